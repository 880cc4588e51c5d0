//! Patients: search with paging, demographics, and the weight history, over HTTP. The checks
//! and the store calls are the use cases' ([`myotome_clinic::patients`]); a handler reads the
//! request into its command and the answer into JSON.

use crate::auth::Authorized;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::permissions::need;
use crate::state::AppState;
use crate::wire::patients::{
    MergeIn, MergeOut, PatientIn, PatientListOut, PatientOut, PatientSearchQuery, PatientUpdateIn,
    WeightIn, WeightOut,
};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use myotome_clinic::patients;
use myotome_store::PatientId;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_patients, create_patient))
        .routes(routes!(get_patient, update_patient))
        .routes(routes!(list_weights, add_weight))
        .routes(routes!(list_merges, merge_patients))
}

/// Merges another chart of the same person into this one: every record, weight, measurement,
/// form, screening, clearance, plan, appointment and identifier moves here, in one audited
/// transaction; the other chart stays, read-only, pointing at this one.
#[utoipa::path(
    post,
    path = "/api/v1/patients/{id}/merges",
    tag = "patients",
    params(("id" = i64, Path, description = "The chart that stays")),
    request_body = MergeIn,
    responses(
        (status = 201, description = "Merged: what moved", body = MergeOut),
        (status = 404, description = "No such patient", body = ErrorBody),
        (status = 409, description = "A chart already merged, the same chart twice, or one imported record on both charts", body = ErrorBody),
        (status = 422, description = "No reason given", body = ErrorBody),
    )
)]
async fn merge_patients(
    auth: Authorized<need::ChartMerge>,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<MergeIn>,
) -> Result<(StatusCode, Json<MergeOut>), ApiError> {
    let merge = patients::merge(
        &state.clinic,
        &auth.clinic(),
        &patients::MergeRequest {
            kept: PatientId(id),
            merged: PatientId(input.merged_id),
            reason: input.reason,
        },
    )
    .await?;
    Ok((StatusCode::CREATED, Json(MergeOut::from(&merge))))
}

/// The charts merged into this one, oldest first.
#[utoipa::path(
    get,
    path = "/api/v1/patients/{id}/merges",
    tag = "patients",
    params(("id" = i64, Path, description = "Patient id")),
    responses(
        (status = 200, description = "The merges, oldest first", body = [MergeOut]),
        (status = 404, description = "No such patient", body = ErrorBody),
    )
)]
async fn list_merges(
    auth: Authorized<need::PatientRead>,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Vec<MergeOut>>, ApiError> {
    let merges = patients::merges(&state.clinic, &auth.clinic(), PatientId(id)).await?;
    Ok(Json(merges.iter().map(MergeOut::from).collect()))
}

/// Lists patients, by name, birth date or identifier, a page at a time.
#[utoipa::path(
    get,
    path = "/api/v1/patients",
    tag = "patients",
    params(PatientSearchQuery),
    responses(
        (status = 200, description = "A page of patients, and how many match in all", body = PatientListOut),
        (status = 422, description = "A search or paging parameter is wrong", body = ErrorBody),
    )
)]
async fn list_patients(
    auth: Authorized<need::PatientRead>,
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<PatientSearchQuery>,
) -> Result<Json<PatientListOut>, ApiError> {
    let found = patients::search(&state.clinic, &auth.clinic(), query.into()).await?;
    Ok(Json(PatientListOut {
        patients: found.list.patients.iter().map(PatientOut::from).collect(),
        total: found.list.total,
        page: found.page.number,
        per_page: found.page.size,
    }))
}

/// Adds a patient.
#[utoipa::path(
    post,
    path = "/api/v1/patients",
    tag = "patients",
    request_body = PatientIn,
    responses(
        (status = 201, description = "Added", body = PatientOut),
        (status = 409, description = "Someone on file may be this person (`possible_duplicate`: the same name and birth date, or a matching identifier); send `confirm_new_person` to add anyway", body = ErrorBody),
        (status = 422, description = "A field is wrong", body = ErrorBody),
    )
)]
async fn create_patient(
    auth: Authorized<need::PatientWrite>,
    State(state): State<AppState>,
    ApiJson(input): ApiJson<PatientIn>,
) -> Result<(StatusCode, Json<PatientOut>), ApiError> {
    let patient = patients::add(&state.clinic, &auth.clinic(), &input.into()).await?;
    Ok((StatusCode::CREATED, Json(PatientOut::from(&patient))))
}

/// One patient's demographics.
#[utoipa::path(
    get,
    path = "/api/v1/patients/{id}",
    tag = "patients",
    params(("id" = i64, Path, description = "Patient id")),
    responses(
        (status = 200, description = "The patient", body = PatientOut),
        (status = 404, description = "No such patient", body = ErrorBody),
    )
)]
async fn get_patient(
    auth: Authorized<need::PatientRead>,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<PatientOut>, ApiError> {
    let patient = patients::get(&state.clinic, &auth.clinic(), PatientId(id)).await?;
    Ok(Json(PatientOut::from(&patient)))
}

/// Replaces a patient's demographics; `version` must be the one read.
#[utoipa::path(
    put,
    path = "/api/v1/patients/{id}",
    tag = "patients",
    params(("id" = i64, Path, description = "Patient id")),
    request_body = PatientUpdateIn,
    responses(
        (status = 200, description = "Changed", body = PatientOut),
        (status = 404, description = "No such patient", body = ErrorBody),
        (status = 409, description = "Changed by someone else since it was read (`stale_version`)", body = ErrorBody),
        (status = 422, description = "A field is wrong", body = ErrorBody),
    )
)]
async fn update_patient(
    auth: Authorized<need::PatientWrite>,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<PatientUpdateIn>,
) -> Result<Json<PatientOut>, ApiError> {
    let (version, input) = input.details();
    let patient = patients::update(
        &state.clinic,
        &auth.clinic(),
        PatientId(id),
        version,
        &input.into(),
    )
    .await?;
    Ok(Json(PatientOut::from(&patient)))
}

/// The patient's weights, newest first.
#[utoipa::path(
    get,
    path = "/api/v1/patients/{id}/weights",
    tag = "patients",
    params(("id" = i64, Path, description = "Patient id")),
    responses(
        (status = 200, description = "Weights, newest first", body = [WeightOut]),
        (status = 404, description = "No such patient", body = ErrorBody),
    )
)]
async fn list_weights(
    auth: Authorized<need::PatientRead>,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Vec<WeightOut>>, ApiError> {
    let weights = patients::weights(&state.clinic, &auth.clinic(), PatientId(id)).await?;
    Ok(Json(weights.iter().map(WeightOut::from).collect()))
}

/// Records a body weight (kilograms).
#[utoipa::path(
    post,
    path = "/api/v1/patients/{id}/weights",
    tag = "patients",
    params(("id" = i64, Path, description = "Patient id")),
    request_body = WeightIn,
    responses(
        (status = 201, description = "Recorded", body = WeightOut),
        (status = 404, description = "No such patient", body = ErrorBody),
        (status = 422, description = "Not a body weight, or a bad date", body = ErrorBody),
    )
)]
async fn add_weight(
    auth: Authorized<need::ChartWrite>,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<WeightIn>,
) -> Result<(StatusCode, Json<WeightOut>), ApiError> {
    let entry =
        patients::add_weight(&state.clinic, &auth.clinic(), PatientId(id), &input.into()).await?;
    Ok((StatusCode::CREATED, Json(WeightOut::from(&entry))))
}
