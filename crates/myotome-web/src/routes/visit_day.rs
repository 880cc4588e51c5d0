//! A treatment visit's day over HTTP: read it, and record a step. The rules are the use
//! case's ([`myotome_clinic::visit_day`]).

use crate::auth::Authorized;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiPath};
use crate::permissions::need;
use crate::state::AppState;
use crate::wire::visit_day::{StepIn, VisitDayOut};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use myotome_clinic::visit_day::{self, StepForm};
use myotome_store::AppointmentId;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_day, record_step))
}

/// The visit's day: its stage, checklist, anesthetics and wait, observation, safety and steps.
#[utoipa::path(get, path = "/api/v1/appointments/{id}/day", tag = "appointments",
    params(("id" = i64, Path, description = "Appointment id")),
    responses(
        (status = 200, description = "The day", body = VisitDayOut),
        (status = 404, description = "No such appointment", body = ErrorBody),
    ))]
async fn get_day(
    auth: Authorized<need::PatientRead>,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<VisitDayOut>, ApiError> {
    let day = visit_day::get(&state.clinic, &auth.clinic(), AppointmentId(id)).await?;
    Ok(Json(VisitDayOut::from(&day)))
}

/// Records one step of the day, checked against the steps before it: out of order, before the
/// anesthetic's minimum wait, or (to start the procedure) with checklist items unticked or a
/// re-screen flag and no clinician's reason, it is refused as `step_refused`. Arrival,
/// preparation and ticks are clinicians' and staff's; the rest is a clinician's.
#[utoipa::path(post, path = "/api/v1/appointments/{id}/day", tag = "appointments",
    params(("id" = i64, Path, description = "Appointment id")), request_body = StepIn,
    responses(
        (status = 201, description = "Recorded; the day as it now stands", body = VisitDayOut),
        (status = 403, description = "A step of the procedure by someone who is not a clinician", body = ErrorBody),
        (status = 404, description = "No such appointment", body = ErrorBody),
        (status = 409, description = "The item is already ticked, or the visit has no protocol", body = ErrorBody),
        (status = 422, description = "Not a step or item, or refused now (`step_refused` says why)", body = ErrorBody),
    ))]
async fn record_step(
    auth: Authorized<need::PatientRead>,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<StepIn>,
) -> Result<(StatusCode, Json<VisitDayOut>), ApiError> {
    let form = StepForm {
        step: input.step,
        item: input.item.unwrap_or_default(),
        detail: input.detail.unwrap_or_default(),
        reason: input.reason.unwrap_or_default(),
    };
    let day = visit_day::record(&state.clinic, &auth.clinic(), AppointmentId(id), &form).await?;
    Ok((StatusCode::CREATED, Json(VisitDayOut::from(&day))))
}
