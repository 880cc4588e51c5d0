//! Treatment plans over HTTP: made by a clinician from a protocol
//! ([`myotome_clinic::plans`]), with the dose and the calendar the core computes, stored
//! together with their appointments in one transaction.

use crate::auth::Authorized;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiPath};
use crate::permissions::need;
use crate::state::AppState;
use crate::wire::care::{
    AppointmentOut, PlanCreatedOut, PlanIn, PlanStatusIn, TreatmentPlanOut, parse_plan_status,
};
use crate::wire::clinical::ViolationOut;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use myotome_clinic::plans::{self, PlanMade};
use myotome_store::{PatientId, PlanId};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_plans, create_plan))
        .routes(routes!(get_plan))
        .routes(routes!(set_plan_status))
}

impl From<PlanMade> for PlanCreatedOut {
    fn from(made: PlanMade) -> Self {
        Self {
            plan: TreatmentPlanOut::from(&made.plan),
            appointments: made.appointments.iter().map(AppointmentOut::from).collect(),
            warnings: made.warnings.iter().map(ViolationOut::from).collect(),
        }
    }
}

/// Makes a treatment plan and books its sessions and follow-ups.
#[utoipa::path(
    post,
    path = "/api/v1/patients/{id}/plans",
    tag = "plans",
    params(("id" = i64, Path, description = "Patient id")),
    request_body = PlanIn,
    responses(
        (status = 201, description = "Stored with its appointments; accepted window violations are listed as warnings", body = PlanCreatedOut),
        (status = 404, description = "No such patient", body = ErrorBody),
        (status = 422, description = "A choice the protocol does not allow (`invalid_input`), an unknown protocol (`unknown_protocol`), a refused dose (`dose_refused`) or plan (`plan_refused`), or dates that break a window (`window_violation`, with `violations`)", body = ErrorBody),
    )
)]
async fn create_plan(
    auth: Authorized<need::PlanWrite>,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<PlanIn>,
) -> Result<(StatusCode, Json<PlanCreatedOut>), ApiError> {
    let made = plans::make(
        &state.clinic,
        &auth.clinic(),
        PatientId(id),
        &input.into(),
        true,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(made.into())))
}

/// The patient's treatment plans.
#[utoipa::path(
    get,
    path = "/api/v1/patients/{id}/plans",
    tag = "plans",
    params(("id" = i64, Path, description = "Patient id")),
    responses(
        (status = 200, description = "Plans", body = [TreatmentPlanOut]),
        (status = 404, description = "No such patient", body = ErrorBody),
    )
)]
async fn list_plans(
    auth: Authorized<need::PlanRead>,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Vec<TreatmentPlanOut>>, ApiError> {
    let plans = plans::list(&state.clinic, &auth.clinic(), PatientId(id)).await?;
    Ok(Json(plans.iter().map(TreatmentPlanOut::from).collect()))
}

/// One treatment plan.
#[utoipa::path(
    get,
    path = "/api/v1/plans/{id}",
    tag = "plans",
    params(("id" = i64, Path, description = "Plan id")),
    responses(
        (status = 200, description = "The plan", body = TreatmentPlanOut),
        (status = 404, description = "No such plan", body = ErrorBody),
    )
)]
async fn get_plan(
    auth: Authorized<need::PlanRead>,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<TreatmentPlanOut>, ApiError> {
    let plan = plans::get(&state.clinic, &auth.clinic(), PlanId(id)).await?;
    Ok(Json(TreatmentPlanOut::from(&plan)))
}

/// Marks a plan active, completed or cancelled; `version` must be the one read. Cancelling
/// cancels the plan's visits booked from today on, in the same transaction; completing a plan
/// with such visits needs `cancel_booked_visits`.
#[utoipa::path(
    post,
    path = "/api/v1/plans/{id}/status",
    tag = "plans",
    params(("id" = i64, Path, description = "Plan id")),
    request_body = PlanStatusIn,
    responses(
        (status = 200, description = "Changed", body = TreatmentPlanOut),
        (status = 404, description = "No such plan", body = ErrorBody),
        (status = 409, description = "Changed by someone else since it was read (`stale_version`), or completing a plan with visits still booked (`conflict`)", body = ErrorBody),
        (status = 422, description = "Not a plan status", body = ErrorBody),
    )
)]
async fn set_plan_status(
    auth: Authorized<need::PlanWrite>,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<PlanStatusIn>,
) -> Result<Json<TreatmentPlanOut>, ApiError> {
    let status = parse_plan_status(&input.status).map_err(|e| ApiError::field("status", e))?;
    let booked = if input.cancel_booked_visits {
        plans::BookedVisits::Cancel
    } else {
        plans::BookedVisits::Ask
    };
    let changed = plans::change_status(
        &state.clinic,
        &auth.clinic(),
        PlanId(id),
        input.version,
        status,
        booked,
    )
    .await?;
    Ok(Json(TreatmentPlanOut::from(&changed.plan)))
}
