//! Screenings: run the core against the stored chart for one or more protocols, keep each
//! result as it was run (protocol id and version, verdict, findings with evidence and
//! citations), and let a clinician sign it once.

use crate::auth::Authorized;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiPath};
use crate::permissions::need;
use crate::state::AppState;
use crate::wire::care::{
    ClearanceIn, ClearanceOut, ScreeningAnswersIn, ScreeningRunIn, StoredScreeningOut,
};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use myotome_clinic::{safety, screening};
use myotome_store::{PatientId, ScreeningId};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_screenings, run_screenings))
        .routes(routes!(get_screening))
        .routes(routes!(sign_screening))
        .routes(routes!(record_answers))
        .routes(routes!(record_clearance))
}

/// Records who cleared the patient for a finding of a signed screening that needs clearance
/// (e.g. an obstetrician for pregnancy): their role and name, when and how. A plan of the
/// protocol is refused until every such finding has one.
#[utoipa::path(
    post,
    path = "/api/v1/screenings/{id}/clearances",
    tag = "screenings",
    params(("id" = i64, Path, description = "Screening id")),
    request_body = ClearanceIn,
    responses(
        (status = 201, description = "Recorded", body = ClearanceOut),
        (status = 404, description = "No such screening", body = ErrorBody),
        (status = 409, description = "The screening is not signed yet", body = ErrorBody),
        (status = 422, description = "No finding of that concept needs clearance, or a field is wrong", body = ErrorBody),
    )
)]
async fn record_clearance(
    auth: Authorized<need::ScreeningSign>,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<ClearanceIn>,
) -> Result<(StatusCode, Json<ClearanceOut>), ApiError> {
    let clearance = safety::record_clearance(
        &state.clinic,
        &auth.clinic(),
        ScreeningId(id),
        &input.into(),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(ClearanceOut::from(&clearance))))
}

/// Screens the patient for the given protocols (all when none are named) and stores each
/// result, unsigned.
#[utoipa::path(
    post,
    path = "/api/v1/patients/{id}/screenings",
    tag = "screenings",
    params(("id" = i64, Path, description = "Patient id")),
    request_body = ScreeningRunIn,
    responses(
        (status = 201, description = "One stored screening per protocol", body = [StoredScreeningOut]),
        (status = 404, description = "No such patient", body = ErrorBody),
        (status = 422, description = "Unknown protocol (`unknown_protocol`), a protocol named twice, or a bad date", body = ErrorBody),
    )
)]
async fn run_screenings(
    auth: Authorized<need::ScreeningRun>,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<ScreeningRunIn>,
) -> Result<(StatusCode, Json<Vec<StoredScreeningOut>>), ApiError> {
    let stored = screening::screen(
        &state.clinic,
        &auth.clinic(),
        PatientId(id),
        &input.command()?,
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(
            stored
                .iter()
                .map(|s| StoredScreeningOut::new(s, &state.data.terminology))
                .collect(),
        ),
    ))
}

/// The patient's screenings, newest first.
#[utoipa::path(
    get,
    path = "/api/v1/patients/{id}/screenings",
    tag = "screenings",
    params(("id" = i64, Path, description = "Patient id")),
    responses(
        (status = 200, description = "Screenings, newest first", body = [StoredScreeningOut]),
        (status = 404, description = "No such patient", body = ErrorBody),
    )
)]
async fn list_screenings(
    auth: Authorized<need::PatientRead>,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Vec<StoredScreeningOut>>, ApiError> {
    let screenings = screening::list(&state.clinic, &auth.clinic(), PatientId(id)).await?;
    Ok(Json(
        screenings
            .iter()
            .map(|s| StoredScreeningOut::new(s, &state.data.terminology))
            .collect(),
    ))
}

/// One screening.
#[utoipa::path(
    get,
    path = "/api/v1/screenings/{id}",
    tag = "screenings",
    params(("id" = i64, Path, description = "Screening id")),
    responses(
        (status = 200, description = "The screening", body = StoredScreeningOut),
        (status = 404, description = "No such screening", body = ErrorBody),
    )
)]
async fn get_screening(
    auth: Authorized<need::PatientRead>,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<StoredScreeningOut>, ApiError> {
    let screening = screening::get(&state.clinic, &auth.clinic(), ScreeningId(id)).await?;
    Ok(Json(StoredScreeningOut::new(
        &screening,
        &state.data.terminology,
    )))
}

/// Signs a screening as the signed-in clinician. A signed screening cannot be signed again.
#[utoipa::path(
    post,
    path = "/api/v1/screenings/{id}/sign",
    tag = "screenings",
    params(("id" = i64, Path, description = "Screening id")),
    responses(
        (status = 200, description = "Signed", body = StoredScreeningOut),
        (status = 404, description = "No such screening", body = ErrorBody),
        (status = 409, description = "Already signed", body = ErrorBody),
        (status = 422, description = "Incomplete (`screening_incomplete`): record the patient's answers first", body = ErrorBody),
    )
)]
async fn sign_screening(
    auth: Authorized<need::ScreeningSign>,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<StoredScreeningOut>, ApiError> {
    let screening = screening::sign(&state.clinic, &auth.clinic(), ScreeningId(id)).await?;
    Ok(Json(StoredScreeningOut::new(
        &screening,
        &state.data.terminology,
    )))
}

/// Records the patient's answers to what an incomplete screening found nobody had asked, as
/// asked by the signed-in clinician, and screens the same protocol again with them: the answers
/// go on the chart as a candidate form (the earlier form's other answers kept) and the new,
/// unsigned screening is returned.
#[utoipa::path(
    post,
    path = "/api/v1/screenings/{id}/answers",
    tag = "screenings",
    params(("id" = i64, Path, description = "Screening id")),
    request_body = ScreeningAnswersIn,
    responses(
        (status = 201, description = "The new screening, with the answers", body = StoredScreeningOut),
        (status = 404, description = "No such screening", body = ErrorBody),
        (status = 409, description = "Nothing is left to ask on this screening", body = ErrorBody),
        (status = 422, description = "A question unanswered, or one this screening does not ask", body = ErrorBody),
    )
)]
async fn record_answers(
    auth: Authorized<need::ScreeningSign>,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<ScreeningAnswersIn>,
) -> Result<(StatusCode, Json<StoredScreeningOut>), ApiError> {
    let stored = screening::record_answers(
        &state.clinic,
        &auth.clinic(),
        ScreeningId(id),
        &input.answers,
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(StoredScreeningOut::new(&stored, &state.data.terminology)),
    ))
}
