//! Treatment plans: made by a clinician from a protocol, with the dose and the calendar the
//! core computes, stored together with their appointments in one transaction.

use crate::auth::Authorized;
use crate::clinic::{facts, planning};
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiPath};
use crate::permissions::need;
use crate::state::AppState;
use crate::wire::care::{
    AppointmentOut, PlanCreatedOut, PlanIn, PlanStatusIn, TreatmentPlanOut, parse_plan_status,
};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use myotome_store::{Actor, PatientId, PlanId, Store, UserId};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_plans, create_plan))
        .routes(routes!(get_plan))
        .routes(routes!(set_plan_status))
}

/// A user that can be booked: exists and is not disabled; 422 naming `field` otherwise.
pub(crate) async fn bookable_user(
    store: &dyn Store,
    id: Option<i64>,
    field: &str,
) -> Result<Option<UserId>, ApiError> {
    let Some(id) = id else {
        return Ok(None);
    };
    match store.user(UserId(id)).await {
        Ok(user) if !user.disabled => Ok(Some(user.id)),
        Ok(user) => Err(ApiError::field(
            field,
            format!("{} is disabled; choose someone else", user.username),
        )),
        Err(myotome_store::StoreError::NotFound { .. }) => {
            Err(ApiError::field(field, format!("there is no user {id}")))
        }
        Err(other) => Err(other.into()),
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
    let created = make_plan(&state, &auth.actor, PatientId(id), &input, true).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// Checks a plan request for a patient and computes its dose and calendar with the patient's
/// latest weight, storing nothing: what the plan builder previews, and what saving stores.
pub(crate) async fn prepare_plan(
    state: &AppState,
    actor: &Actor,
    patient: PatientId,
    input: &PlanIn,
) -> Result<planning::PlanDraft, ApiError> {
    let store = state.store.as_ref();
    let patient = store.patient(actor, patient).await?;
    let clinician = bookable_user(store, input.clinician_id, "clinician_id").await?;
    let weight = facts::latest_weight(&store.weights(actor, patient.id).await?);
    planning::draft(&state.data, input, weight, clinician)
}

/// Makes a treatment plan. With `book` its sessions and follow-ups are booked at once (the
/// API); without, they stay proposed in the plan's schedule document and are booked later
/// from the plan's page, each with the API's window check.
pub(crate) async fn make_plan(
    state: &AppState,
    actor: &Actor,
    patient: PatientId,
    input: &PlanIn,
    book: bool,
) -> Result<PlanCreatedOut, ApiError> {
    let draft = prepare_plan(state, actor, patient, input).await?;
    let to_book: &[myotome_store::AppointmentDetails] =
        if book { &draft.appointments } else { &[] };
    let (plan, appointments) = state
        .store
        .create_plan(actor, patient, &draft.details, to_book)
        .await?;
    Ok(PlanCreatedOut {
        plan: TreatmentPlanOut::from(&plan),
        appointments: appointments.iter().map(AppointmentOut::from).collect(),
        warnings: draft.warnings,
    })
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
    let plans = state.store.plans(&auth.actor, PatientId(id)).await?;
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
    let plan = state.store.plan(&auth.actor, PlanId(id)).await?;
    Ok(Json(TreatmentPlanOut::from(&plan)))
}

/// Marks a plan active, completed or cancelled; `version` must be the one read.
#[utoipa::path(
    post,
    path = "/api/v1/plans/{id}/status",
    tag = "plans",
    params(("id" = i64, Path, description = "Plan id")),
    request_body = PlanStatusIn,
    responses(
        (status = 200, description = "Changed", body = TreatmentPlanOut),
        (status = 404, description = "No such plan", body = ErrorBody),
        (status = 409, description = "Changed by someone else since it was read", body = ErrorBody),
        (status = 422, description = "Not a plan status", body = ErrorBody),
    )
)]
async fn set_plan_status(
    auth: Authorized<need::PlanWrite>,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<PlanStatusIn>,
) -> Result<Json<TreatmentPlanOut>, ApiError> {
    let plan = change_plan_status(
        &state,
        &auth.actor,
        PlanId(id),
        input.version,
        &input.status,
    )
    .await?;
    Ok(Json(TreatmentPlanOut::from(&plan)))
}

/// Marks a plan active, completed or cancelled; `version` must be the one read. Shared by the
/// API and the plan's page.
pub(crate) async fn change_plan_status(
    state: &AppState,
    actor: &Actor,
    id: PlanId,
    version: i64,
    status: &str,
) -> Result<myotome_store::TreatmentPlan, ApiError> {
    let status = parse_plan_status(status).map_err(|e| ApiError::field("status", e))?;
    Ok(state
        .store
        .set_plan_status(actor, id, version, status)
        .await?)
}
