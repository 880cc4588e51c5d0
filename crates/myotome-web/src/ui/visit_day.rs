//! The visit's day page (`/appointments/{id}/day`): where the visit stands (booked → arrived →
//! in preparation → in procedure → observation → done), the plan's flags, precautions and
//! clearances, the protocol's checklist with a tick per item (who and when), the anesthetics
//! with their wait and cautions, the start of the procedure (with the clinician's reason when
//! items are unticked or a flag stands), the observation's minimum with what to watch for and
//! have at hand, and every step recorded. A countdown (`static/app.js`) shows the time left
//! where the page already states the time. The rules are the use case's
//! ([`myotome_clinic::visit_day`]).

use crate::error::ApiError;
use crate::permissions::{Permission, need};
use crate::state::AppState;
use crate::ui::form::Fields;
use crate::ui::layout::Chrome;
use crate::ui::page::{Page, PathText, Viewer, id_in_path};
use crate::ui::render::{UiError, html, in_page, ok, see_other};
use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use myotome_clinic::ClinicError;
use myotome_clinic::visit_day::{self, StepForm, VisitDay, observation_ends_at};
use myotome_core::visit_day::{Stage, Step, anesthesia_wait};
use myotome_store::AppointmentId;
use std::collections::BTreeMap;

pub fn routes() -> Router<AppState> {
    Router::new().route("/appointments/{id}/day", get(day_page).post(record))
}

struct ItemRow {
    key: String,
    group: &'static str,
    text: String,
    /// "Ticked by Sam Lee at 09:02", when ticked.
    ticked: Option<String>,
}

struct AnesthesiaRow {
    kind: &'static str,
    label: &'static str,
    purpose: String,
    wait: Option<String>,
    caution: Option<String>,
}

struct StepRow {
    at: String,
    what: &'static str,
    detail: String,
    reason: String,
    by: String,
}

#[derive(Template)]
#[template(path = "ui/calendar/day.html")]
pub(crate) struct DayPage {
    chrome: Chrome,
    title: String,
    id: i64,
    patient_id: i64,
    patient: String,
    label: String,
    date: String,
    protocol: Option<String>,
    stage: Stage,
    stage_label: &'static str,
    flags: Vec<String>,
    precautions: Vec<String>,
    clearances: Vec<String>,
    checklist: Vec<ItemRow>,
    unticked: usize,
    anesthesia: Vec<AnesthesiaRow>,
    /// "09:05" and its RFC 3339 form for the countdown, while the wait is not over.
    may_start: Option<(String, String)>,
    observation_minutes: Option<u32>,
    observation_ends: Option<(String, String)>,
    watch_for: Vec<String>,
    have_at_hand: Vec<String>,
    steps: Vec<StepRow>,
    may_handle: bool,
    may_perform: bool,
    /// A refusal or problem, said at the top.
    problem: Option<String>,
    /// What was typed into the reason and detail boxes.
    reason: String,
    detail: String,
    /// The procedure note (for a plan's visit).
    note: Option<crate::ui::procedure_note::NoteSection>,
    /// When the aftercare sheet was recorded as given.
    aftercare_given: Option<String>,
}

fn step_words(step: Step) -> &'static str {
    match step {
        Step::Arrived => "Arrived",
        Step::PreparationStarted => "Preparation started",
        Step::Checked => "Checklist item ticked",
        Step::AnesthesiaGiven => "Anesthetic given",
        Step::ProcedureStarted => "Procedure started",
        Step::ProcedureEnded => "Procedure ended",
        Step::ObservationEnded => "Observation ended",
        Step::AftercareGiven => "Aftercare sheet given",
    }
}

async fn view(
    state: &AppState,
    viewer: &Viewer,
    day: &VisitDay,
    problem: Option<String>,
    typed: Option<&Fields>,
) -> Result<DayPage, UiError> {
    let names: BTreeMap<i64, String> = state
        .store
        .users()
        .await
        .map_err(|e| in_page(viewer)(ApiError::from(ClinicError::from(e))))?
        .into_iter()
        .map(|u| (u.id.0, u.display_name))
        .collect();
    let who = |by: Option<myotome_store::UserId>| {
        by.and_then(|u| names.get(&u.0).cloned())
            .unwrap_or_else(|| "—".to_owned())
    };
    let clock = |at: jiff::Timestamp| {
        at.to_zoned(viewer.zone.clone())
            .strftime("%H:%M")
            .to_string()
    };
    let now = state.clinic.clock.now();
    let upcoming =
        |at: Option<jiff::Timestamp>| at.filter(|t| *t > now).map(|t| (clock(t), t.to_string()));
    let checklist: Vec<ItemRow> = day
        .checklist()
        .iter()
        .map(|line| ItemRow {
            key: line.item.key.clone(),
            group: line.item.group,
            text: line.item.statement.text.clone(),
            ticked: line
                .ticked
                .map(|s| format!("Ticked by {} at {}", who(s.by), clock(s.step.at))),
        })
        .collect();
    let protocol = day.protocol.as_ref();
    let details = &day.patient.details;
    let may_perform = viewer.may(Permission::ProcedurePerform);
    let note =
        crate::ui::procedure_note::section(state, viewer, day, may_perform, typed, &names).await?;
    Ok(DayPage {
        note,
        aftercare_given: day.last(Step::AftercareGiven).map(|s| clock(s.step.at)),
        chrome: Chrome::for_viewer(viewer, "/calendar"),
        title: format!("{} — the day", day.appointment.details.label),
        id: day.appointment.id.0,
        patient_id: day.patient.id.0,
        patient: format!("{} {}", details.given_names, details.family_name),
        label: day.appointment.details.label.clone(),
        date: day.appointment.details.date.to_string(),
        protocol: protocol.map(|p| p.title.clone()),
        stage: day.stage,
        stage_label: day.stage.label(),
        flags: day.safety.flags.iter().map(|f| f.sentence()).collect(),
        precautions: day.safety.precautions.clone(),
        clearances: day.safety.clearances.clone(),
        unticked: checklist.iter().filter(|i| i.ticked.is_none()).count(),
        checklist,
        anesthesia: protocol
            .map(|p| {
                p.anesthesia
                    .iter()
                    .map(|a| AnesthesiaRow {
                        kind: a.kind.as_str(),
                        label: a.kind.label(),
                        purpose: a.purpose.clone(),
                        wait: anesthesia_wait(a).map(|(min, max)| {
                            format!(
                                "wait {} to {} minutes before starting",
                                min.as_secs() / 60,
                                max.as_secs() / 60
                            )
                        }),
                        caution: a.caution.clone(),
                    })
                    .collect()
            })
            .unwrap_or_default(),
        may_start: upcoming(day.may_start_at()),
        observation_minutes: day.observation_minutes(),
        observation_ends: upcoming(observation_ends_at(day)),
        watch_for: day.watch_for(),
        have_at_hand: day.have_at_hand(),
        steps: day
            .steps
            .iter()
            .map(|s| StepRow {
                at: clock(s.step.at),
                what: step_words(s.step.kind),
                detail: match (&s.step.item, &s.step.detail) {
                    (_, Some(detail)) => detail.clone(),
                    (Some(item), None) => item.clone(),
                    (None, None) => String::new(),
                },
                reason: s.step.reason.clone().unwrap_or_default(),
                by: who(s.by),
            })
            .collect(),
        may_handle: viewer.may(Permission::AppointmentWrite),
        may_perform,
        problem,
        reason: typed
            .map(|f| f.get("reason").to_owned())
            .unwrap_or_default(),
        detail: typed
            .map(|f| f.get("detail").to_owned())
            .unwrap_or_default(),
    })
}

/// The day page of visit `id`, with a problem said at the top and what was typed kept.
pub(crate) async fn page_with(
    state: &AppState,
    viewer: &Viewer,
    id: i64,
    problem: Option<String>,
    typed: Option<&Fields>,
) -> Result<DayPage, UiError> {
    let day = visit_day::get(&state.clinic, &viewer.clinic(), AppointmentId(id))
        .await
        .map_err(|e| in_page(viewer)(ApiError::from(e)))?;
    view(state, viewer, &day, problem, typed).await
}

async fn day_page(
    page: Page<need::PatientRead>,
    State(state): State<AppState>,
    PathText(id): PathText,
) -> Result<Response, UiError> {
    let viewer = &page.viewer;
    let id = id_in_path(&id, "appointment").map_err(in_page(viewer))?;
    Ok(ok(&page_with(&state, viewer, id, None, None).await?))
}

async fn record(
    page: Page<need::PatientRead>,
    State(state): State<AppState>,
    PathText(id): PathText,
    fields: Fields,
) -> Result<Response, UiError> {
    let viewer = &page.viewer;
    let id = id_in_path(&id, "appointment").map_err(in_page(viewer))?;
    let form = StepForm {
        step: fields.get("step").to_owned(),
        item: fields.get("item").to_owned(),
        detail: fields.get("detail").to_owned(),
        reason: fields.get("reason").to_owned(),
    };
    let result = visit_day::record(&state.clinic, &viewer.clinic(), AppointmentId(id), &form).await;
    let (status, problem) = match result {
        Ok(_) => return Ok(see_other(&format!("/appointments/{id}/day#steps"))),
        Err(ClinicError::Refused(refusal)) => (StatusCode::UNPROCESSABLE_ENTITY, refusal.message),
        Err(ClinicError::Conflict(sentence)) => (StatusCode::CONFLICT, sentence),
        Err(ClinicError::Invalid(fields)) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            fields.values().cloned().collect::<Vec<_>>().join(" "),
        ),
        Err(other) => return Err(in_page(viewer)(ApiError::from(other))),
    };
    let shown = page_with(&state, viewer, id, Some(problem), Some(&fields)).await?;
    Ok(html(status, &shown))
}
