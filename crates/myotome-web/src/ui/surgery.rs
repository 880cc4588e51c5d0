//! Conversion to surgery in the clinic's pages: on a patient's outcomes, each plan either
//! shows the surgery recorded (with a way to withdraw it when recorded in error) or offers a
//! form to record one.
//!
//! - `POST /plans/{id}/surgery`: records it; a mistake in the form comes back with the
//!   fields as typed and each problem beside its field.
//! - `POST /surgery/{id}/withdraw`: withdraws a record made in error, with the reason.
//!
//! The rules are the use case's ([`myotome_clinic::surgery`]); the curve that counts them is
//! on the outcomes report.

use crate::error::ApiError;
use crate::permissions::need;
use crate::state::AppState;
use crate::ui::form::{FieldErrors, Fields};
use crate::ui::outcomes::{Retry, render_patient_page};
use crate::ui::page::{Page, PathText, Viewer, id_in_path};
use crate::ui::render::{UiError, in_page, see_other};
use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::post;
use myotome_clinic::ClinicError;
use myotome_clinic::surgery::{self, SurgeryInput};
use myotome_store::{
    ConversionId, PatientId, PlanId, PlanStatus, SurgicalConversion, TreatmentPlan,
};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/plans/{id}/surgery", post(record))
        .route("/surgery/{id}/withdraw", post(withdraw))
}

/// A plan as the outcomes page shows its conversion to surgery.
pub struct PlanSurgeryRow {
    pub plan_id: i64,
    pub title: String,
    /// The standing record.
    pub recorded: Option<RecordedSurgery>,
    /// Records withdrawn as made in error, in words.
    pub withdrawn: Vec<String>,
    /// The form as typed, after a mistake.
    pub surgery_on: String,
    pub procedure: String,
    pub note: String,
    pub errors: FieldErrors,
}

pub struct RecordedSurgery {
    pub id: i64,
    pub surgery_on: String,
    pub procedure: String,
    pub note: Option<String>,
    pub recorded: String,
}

/// The patient's plans (not cancelled) with their conversions; `failed` is a form to show
/// again with its errors.
pub fn rows(
    state: &AppState,
    viewer: &Viewer,
    plans: &[TreatmentPlan],
    conversions: &[SurgicalConversion],
    failed: Option<(PlanId, &Fields, &FieldErrors)>,
) -> Vec<PlanSurgeryRow> {
    plans
        .iter()
        .filter(|p| p.status != PlanStatus::Cancelled)
        .map(|plan| {
            let of_plan = conversions.iter().filter(|c| c.plan_id == plan.id);
            let recorded =
                of_plan
                    .clone()
                    .find(|c| c.withdrawn.is_none())
                    .map(|c| RecordedSurgery {
                        id: c.id.0,
                        surgery_on: c.surgery_on.to_string(),
                        procedure: c.procedure.clone(),
                        note: c.note.clone(),
                        recorded: viewer.time(c.recorded_at),
                    });
            let withdrawn = of_plan
                .filter_map(|c| {
                    let w = c.withdrawn.as_ref()?;
                    Some(format!(
                        "{} on {} — withdrawn {}: {}",
                        c.procedure,
                        c.surgery_on,
                        viewer.time(w.at),
                        w.reason
                    ))
                })
                .collect();
            let title = state
                .data
                .protocols
                .get(&plan.details.protocol_id)
                .map_or_else(
                    || plan.details.protocol_id.clone(),
                    |l| l.protocol.title.clone(),
                );
            let (form, errors) = match failed {
                Some((id, form, errors)) if id == plan.id => (Some(form), errors.clone()),
                _ => (None, FieldErrors::none()),
            };
            let typed = |name: &str| form.map(|f| f.get(name).to_owned()).unwrap_or_default();
            PlanSurgeryRow {
                plan_id: plan.id.0,
                title: format!(
                    "{title} (plan {}, made {})",
                    plan.id,
                    viewer.date(plan.created_at)
                ),
                recorded,
                withdrawn,
                surgery_on: typed("surgery_on"),
                procedure: typed("procedure"),
                note: typed("note"),
                errors,
            }
        })
        .collect()
}

async fn record(
    page: Page<need::OutcomeWrite>,
    State(state): State<AppState>,
    PathText(id): PathText,
    form: Fields,
) -> Result<Response, UiError> {
    let viewer = &page.viewer;
    let plan = PlanId(id_in_path(&id, "plan").map_err(in_page(viewer))?);
    let patient = PatientId(id_in_path(form.get("patient"), "patient").map_err(in_page(viewer))?);
    let input = SurgeryInput {
        surgery_on: form.get("surgery_on").to_owned(),
        procedure: form.get("procedure").to_owned(),
        note: form.get("note").to_owned(),
    };
    match surgery::record(&state.clinic, &viewer.clinic(), plan, &input).await {
        Ok(recorded) => Ok(see_other(&format!(
            "/patients/{}/outcomes#surgery-{}",
            recorded.patient_id, plan
        ))),
        Err(error @ ClinicError::Invalid(_)) => {
            let errors = FieldErrors::from_api(&ApiError::from(error), &[]);
            render_patient_page(
                &state,
                viewer,
                patient,
                Retry::Surgery(plan, &form, &errors),
            )
            .await
        }
        Err(error) => Err(in_page(viewer)(ApiError::from(error))),
    }
}

async fn withdraw(
    page: Page<need::OutcomeWrite>,
    State(state): State<AppState>,
    PathText(id): PathText,
    form: Fields,
) -> Result<Response, UiError> {
    let viewer = &page.viewer;
    let id = ConversionId(id_in_path(&id, "conversion to surgery").map_err(in_page(viewer))?);
    let withdrawn = surgery::withdraw(&state.clinic, &viewer.clinic(), id, form.get("reason"))
        .await
        .map_err(|e| in_page(viewer)(ApiError::from(e)))?;
    Ok(see_other(&format!(
        "/patients/{}/outcomes#surgery-{}",
        withdrawn.patient_id, withdrawn.plan_id
    )))
}
