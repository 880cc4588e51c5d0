//! Candidate forms entered by the clinic, over HTTP: the yes/no answers and reported
//! conditions, checked against the terminology's questions and indication concepts by the use
//! cases ([`myotome_clinic::intake`]).

use crate::auth::Authorized;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiPath};
use crate::permissions::need;
use crate::state::AppState;
use crate::wire::records::{IntakeIn, IntakeOut};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use myotome_clinic::intake;
use myotome_store::PatientId;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_intakes, add_intake))
}

/// The patient's candidate forms, newest first.
#[utoipa::path(
    get,
    path = "/api/v1/patients/{id}/intake",
    tag = "records",
    params(("id" = i64, Path, description = "Patient id")),
    responses(
        (status = 200, description = "Candidate forms, newest first", body = [IntakeOut]),
        (status = 404, description = "No such patient", body = ErrorBody),
    )
)]
async fn list_intakes(
    auth: Authorized<need::PatientRead>,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Vec<IntakeOut>>, ApiError> {
    let forms = intake::list(&state.clinic, &auth.clinic(), PatientId(id)).await?;
    Ok(Json(forms.iter().map(IntakeOut::from).collect()))
}

/// Records a candidate form as the patient answered it.
#[utoipa::path(
    post,
    path = "/api/v1/patients/{id}/intake",
    tag = "records",
    params(("id" = i64, Path, description = "Patient id")),
    request_body = IntakeIn,
    responses(
        (status = 201, description = "Recorded", body = IntakeOut),
        (status = 404, description = "No such patient", body = ErrorBody),
        (status = 422, description = "An unknown question or condition", body = ErrorBody),
    )
)]
async fn add_intake(
    auth: Authorized<need::ChartWrite>,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<IntakeIn>,
) -> Result<(StatusCode, Json<IntakeOut>), ApiError> {
    let form = intake::add(&state.clinic, &auth.clinic(), PatientId(id), input.into()).await?;
    Ok((StatusCode::CREATED, Json(IntakeOut::from(&form))))
}
