//! The clinic calendar as a week (`/calendar?week=YYYY-MM-DD&clinician=ID`), and one
//! appointment with its move and cancel forms (`/appointments/{id}`).
//!
//! Moving and cancelling are the use case [`myotome_clinic::booking::change`]: a plan's visit
//! moved to a date that breaks the protocol's windows is refused, and the page shows why at
//! the date field with the typed date kept. Staff may book, move and cancel (`AppointmentWrite`); only a
//! clinician's plan decisions are out of their reach. After such a refusal a clinician is
//! offered a box that moves the visit anyway for that date (`accept_violations`, which the
//! API refuses from staff); the appointment page then shows the window it breaks as a warning.

use crate::error::ApiError;
use crate::permissions::{Permission, need};
use crate::state::AppState;
use crate::ui::alerts::{self, CareView, SafetyStrip};
use crate::ui::form::{FieldErrors, Fields};
use crate::ui::layout::Chrome;
use crate::ui::page::{Page, PathText, Viewer, id_in_path};
use crate::ui::plans::{
    Choice, ViolationView, override_key, patient_name, status_label, violation_sentence,
};
use crate::ui::render::{UiError, html, in_page, ok, see_other};
use crate::validate::parse_date;
use askama::Template;
use axum::Router;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use jiff::ToSpan;
use jiff::civil::Date;
use myotome_clinic::ClinicError;
use myotome_clinic::booking::{self, AppointmentChange};
use myotome_clinic::windows::visit_warnings;
use myotome_store::{
    Appointment, AppointmentId, AppointmentKind, AppointmentStatus, PatientId, PlanId, Role,
    UserId, ViolationDocument,
};
use serde::Deserialize;
use std::collections::BTreeMap;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/calendar", get(week_page))
        .route("/appointments/{id}", get(appointment_page))
        .route("/appointments/{id}/move", post(move_appointment))
        .route("/appointments/{id}/cancel", post(cancel_appointment))
}

fn status_class(status: AppointmentStatus) -> &'static str {
    match status {
        AppointmentStatus::Booked => "info",
        AppointmentStatus::Completed => "ok",
        AppointmentStatus::Cancelled => "muted",
        AppointmentStatus::NoShow => "warn",
    }
}

fn kind_text(kind: AppointmentKind) -> &'static str {
    match kind {
        AppointmentKind::Session => "Session",
        AppointmentKind::FollowUp => "Follow-up",
    }
}

// --- The week ------------------------------------------------------------------------------------

#[derive(Debug, Deserialize, Default)]
struct WeekQuery {
    week: Option<String>,
    clinician: Option<String>,
}

struct Entry {
    id: i64,
    time: Option<String>,
    patient: String,
    label: String,
    kind: &'static str,
    status: &'static str,
    status_class: &'static str,
    clinician: Option<String>,
}

struct Day {
    heading: String,
    date: String,
    today: bool,
    entries: Vec<Entry>,
    /// Where "Book a visit" on this day leads (the patient search, carrying the day and the
    /// clinician shown), for those who may book.
    book: Option<String>,
}

#[derive(Template)]
#[template(path = "ui/calendar/week.html")]
struct WeekPage {
    chrome: Chrome,
    title: String,
    heading: String,
    week: String,
    clinicians: Vec<Choice>,
    days: Vec<Day>,
    previous: String,
    next: String,
    this_week: String,
    problem: Option<String>,
    total: usize,
}

fn monday_of(date: Date) -> Date {
    let back = i64::from(date.weekday().to_monday_zero_offset());
    date.checked_sub(back.days()).unwrap_or(date)
}

async fn week_page(
    page: Page<need::CalendarRead>,
    State(state): State<AppState>,
    query: Result<Query<WeekQuery>, QueryRejection>,
) -> Result<Response, UiError> {
    let query = query.map(|Query(q)| q).unwrap_or_default();
    let today = state.clock.today();
    let mut problem = None;
    let chosen = match query.week.as_deref().map(str::trim) {
        None | Some("") => today,
        Some(text) => parse_date(text).unwrap_or_else(|message| {
            problem = Some(format!("The week {message}. Showing this week instead."));
            today
        }),
    };
    let monday = monday_of(chosen);
    let sunday = monday.checked_add(6.days()).unwrap_or(monday);
    let clinician: Option<i64> = query
        .clinician
        .as_deref()
        .and_then(|c| c.trim().parse::<i64>().ok());
    let store = state.store.as_ref();
    let users = store.users().await.map_err(in_page(&page.viewer))?;
    let names: BTreeMap<i64, String> = users
        .iter()
        .map(|u| (u.id.0, u.display_name.clone()))
        .collect();
    let appointments = booking::calendar(
        &state.clinic,
        &page.clinic(),
        monday,
        sunday,
        clinician.map(UserId),
    )
    .await
    .map_err(in_page(&page.viewer))?;
    let mut ids: Vec<PatientId> = appointments.iter().map(|a| a.patient_id).collect();
    ids.sort_by_key(|id| id.0);
    ids.dedup();
    let patients: BTreeMap<i64, String> = if ids.is_empty() {
        BTreeMap::new()
    } else {
        store
            .patients_by_id(&page.actor, &ids)
            .await
            .map_err(in_page(&page.viewer))?
            .iter()
            .map(|p| (p.id.0, patient_name(p)))
            .collect()
    };
    let may_book = page.viewer.may(Permission::AppointmentWrite);
    let mut days: Vec<Day> = (0..7)
        .map(|offset: i64| {
            let date = monday.checked_add(offset.days()).unwrap_or(monday);
            let booking = crate::ui::patients::BookingFor {
                date,
                with: clinician,
            };
            Day {
                heading: date.strftime("%A %-d %B").to_string(),
                date: date.to_string(),
                today: date == today,
                entries: Vec::new(),
                book: (may_book && date >= today).then(|| format!("/patients?{}", booking.query())),
            }
        })
        .collect();
    let mut sorted: Vec<&Appointment> = appointments.iter().collect();
    sorted.sort_by(|a, b| {
        (a.details.date, &a.details.start_time).cmp(&(b.details.date, &b.details.start_time))
    });
    for appointment in &sorted {
        let details = &appointment.details;
        let Some(day) = days.iter_mut().find(|d| d.date == details.date.to_string()) else {
            continue;
        };
        day.entries.push(Entry {
            id: appointment.id.0,
            time: details.start_time.clone(),
            patient: patients
                .get(&appointment.patient_id.0)
                .cloned()
                .unwrap_or_else(|| format!("Patient {}", appointment.patient_id.0)),
            label: details.label.clone(),
            kind: kind_text(details.kind),
            status: status_label(details.status),
            status_class: status_class(details.status),
            clinician: details
                .clinician_id
                .and_then(|id| names.get(&id.0).cloned()),
        });
    }
    let clinician_param = clinician.map_or_else(String::new, |c| format!("&clinician={c}"));
    let link = |date: Date| format!("/calendar?week={date}{clinician_param}");
    let clinicians = users
        .iter()
        .filter(|u| u.role == Role::Clinician && !u.disabled)
        .map(|u| Choice {
            value: u.id.0.to_string(),
            label: u.display_name.clone(),
            selected: Some(u.id.0) == clinician,
        })
        .collect();
    Ok(ok(&WeekPage {
        chrome: Chrome::for_viewer(&page, "/calendar"),
        title: format!("Calendar — week of {monday}"),
        heading: format!(
            "{} to {}",
            monday.strftime("%-d %B %Y"),
            sunday.strftime("%-d %B %Y")
        ),
        week: monday.to_string(),
        clinicians,
        total: sorted.len(),
        days,
        previous: link(monday.checked_sub(7.days()).unwrap_or(monday)),
        next: link(monday.checked_add(7.days()).unwrap_or(monday)),
        this_week: link(today),
        problem,
    }))
}

// --- One appointment -----------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "ui/calendar/appointment.html")]
struct AppointmentPage {
    chrome: Chrome,
    title: String,
    id: i64,
    version: i64,
    patient_id: i64,
    patient: String,
    label: String,
    kind: &'static str,
    date: String,
    time: Option<String>,
    duration: Option<u32>,
    clinician: Option<String>,
    status: &'static str,
    status_class: &'static str,
    plan_id: Option<i64>,
    /// Whether the move and cancel forms are shown.
    may_change: bool,
    notice: Option<&'static str>,
    /// What the move form's boxes hold (typed values after a refusal).
    date_value: String,
    time_value: String,
    errors: FieldErrors,
    /// The protocol windows this visit breaks among its plan's visits, kept as warnings.
    warnings: Vec<ViolationView>,
    /// After a move refused for a window, to a clinician: the box that moves it anyway; its
    /// value is the refused date, so the tick accepts only that date.
    offer_override: bool,
    override_key: String,
    safety: SafetyStrip,
    care: CareView,
    /// The move form's "move the later visits too" box, as ticked.
    shift_later: bool,
    /// Where the visit is in its day (arrived, in procedure …).
    day_stage: &'static str,
}

#[derive(Debug, Deserialize, Default)]
struct AppointmentQuery {
    moved: Option<String>,
    cancelled: Option<String>,
}

async fn appointment_view(
    state: &AppState,
    viewer: &Viewer,
    appointment: &Appointment,
) -> Result<AppointmentPage, UiError> {
    let store = state.store.as_ref();
    let patient =
        myotome_clinic::patients::get(&state.clinic, &viewer.clinic(), appointment.patient_id)
            .await
            .map_err(in_page(viewer))?;
    let details = &appointment.details;
    let clinician = match details.clinician_id {
        Some(id) => store.user(id).await.ok().map(|u| u.display_name),
        None => None,
    };
    let warnings = match details.plan_id {
        Some(plan_id) => plan_warnings(state, viewer, appointment, plan_id).await?,
        None => Vec::new(),
    };
    let (safety, mut care) =
        alerts::strip_and_plan(state, viewer, appointment.patient_id, details.plan_id).await?;
    if details.plan_id.is_none() && patient.details.deceased.is_some() {
        care.flags
            .push("Recorded as deceased: no treatment.".to_owned());
    }
    let patient = patient_name(&patient);
    let day_stage =
        myotome_clinic::visit_day::stages(&state.clinic, std::slice::from_ref(appointment))
            .await
            .map_err(|e| in_page(viewer)(ApiError::from(e)))?
            .first()
            .map_or("", |stage| stage.label());
    Ok(AppointmentPage {
        safety,
        care,
        shift_later: false,
        day_stage,
        chrome: Chrome::for_viewer(viewer, "/calendar"),
        title: format!("{} — {patient}", details.label),
        id: appointment.id.0,
        version: appointment.version,
        patient_id: appointment.patient_id.0,
        patient,
        label: details.label.clone(),
        kind: kind_text(details.kind),
        date: details.date.to_string(),
        time: details.start_time.clone(),
        duration: details.duration_minutes,
        clinician,
        status: status_label(details.status),
        status_class: status_class(details.status),
        plan_id: details.plan_id.map(|p| p.0),
        may_change: viewer.may(Permission::AppointmentWrite)
            && details.status == AppointmentStatus::Booked,
        notice: None,
        date_value: details.date.to_string(),
        time_value: details.start_time.clone().unwrap_or_default(),
        errors: FieldErrors::none(),
        warnings,
        offer_override: false,
        override_key: String::new(),
    })
}

/// The windows `appointment` breaks among the visits of its plan (none when the plan's
/// protocol is no longer in the library).
async fn plan_warnings(
    state: &AppState,
    viewer: &Viewer,
    appointment: &Appointment,
    plan_id: PlanId,
) -> Result<Vec<ViolationView>, UiError> {
    if appointment.details.status == AppointmentStatus::Cancelled {
        return Ok(Vec::new());
    }
    let caller = viewer.clinic();
    let plan = myotome_clinic::plans::get(&state.clinic, &caller, plan_id)
        .await
        .map_err(in_page(viewer))?;
    let Some(loaded) = state.data.protocols.get(&plan.details.protocol_id) else {
        return Ok(Vec::new());
    };
    let visits: Vec<Appointment> = booking::list(&state.clinic, &caller, appointment.patient_id)
        .await
        .map_err(in_page(viewer))?
        .into_iter()
        .filter(|a| a.details.plan_id == Some(plan_id))
        .collect();
    Ok(visit_warnings(
        &loaded.protocol,
        &plan.details.schedule,
        &visits,
        appointment,
    )
    .iter()
    .map(ViolationView::from)
    .collect())
}

async fn appointment_page(
    page: Page<need::PatientRead>,
    State(state): State<AppState>,
    PathText(id): PathText,
    query: Result<Query<AppointmentQuery>, QueryRejection>,
) -> Result<Response, UiError> {
    let id = id_in_path(&id, "appointment").map_err(in_page(&page.viewer))?;
    let query = query.map(|Query(q)| q).unwrap_or_default();
    let appointment = state
        .store
        .appointment(&page.actor, AppointmentId(id))
        .await
        .map_err(in_page(&page.viewer))?;
    let mut view = appointment_view(&state, &page, &appointment).await?;
    view.notice = if query.moved.is_some() {
        Some("The appointment is moved.")
    } else if query.cancelled.is_some() {
        Some("The appointment is cancelled.")
    } else {
        None
    };
    Ok(ok(&view))
}

/// The version the form was read at; a form without one is refused as a whole.
fn version_of(fields: &Fields) -> Result<i64, ApiError> {
    fields.get("version").trim().parse::<i64>().map_err(|_| {
        ApiError::Malformed(
            "The form did not say which version of the appointment it changes; reload the page and try again.".to_owned(),
        )
    })
}

async fn move_appointment(
    page: Page<need::AppointmentWrite>,
    State(state): State<AppState>,
    PathText(id): PathText,
    fields: Fields,
) -> Result<Response, UiError> {
    let id = id_in_path(&id, "appointment").map_err(in_page(&page.viewer))?;
    let version = version_of(&fields).map_err(in_page(&page.viewer))?;
    let current = state
        .store
        .appointment(&page.actor, AppointmentId(id))
        .await
        .map_err(in_page(&page.viewer))?;
    let date = fields.get("date").trim().to_owned();
    let start_time = fields.optional("start_time");
    // The move is always checked as asked. Ticked after a refusal, the box accepts the windows
    // only if this date is refused with the very sentences the clinician was shown.
    let ticked = fields.get("accept_violations").trim().to_owned();
    let shift_later = fields.get("shift_later") == "yes";
    let outcome = match parse_date(&date) {
        Err(problem) => Err(ClinicError::field("date", problem)),
        Ok(new_date) => {
            let change = |accept_violations: bool| AppointmentChange {
                version,
                date: new_date,
                status: AppointmentStatus::Booked,
                start_time: start_time.clone(),
                duration_minutes: current.details.duration_minutes,
                clinician: current.details.clinician_id,
                label: None,
                accept_violations,
                shift_later,
            };
            let caller = page.clinic();
            let mut outcome =
                booking::change(&state.clinic, &caller, current.id, change(false)).await;
            if let Err(ClinicError::Refused(refusal)) = &outcome
                && !refusal.violations.is_empty()
                && !ticked.is_empty()
                && ticked == move_override_key(&date, &refusal.violations)
            {
                outcome = booking::change(&state.clinic, &caller, current.id, change(true)).await;
            }
            outcome
        }
    };
    let mut offer_override = false;
    let mut key = String::new();
    let error = match outcome {
        Ok(_) => return Ok(see_other(&format!("/appointments/{id}?moved=1"))),
        Err(error @ ClinicError::Invalid(_)) => FieldErrors::from_api(&error.into(), &[]),
        // The clinician is booked then: said at the time, which is what to change.
        Err(ClinicError::Conflict(sentence)) => {
            let mut errors = FieldErrors::none();
            errors.add("start_time", sentence);
            errors
        }
        Err(ClinicError::Refused(refusal)) if !refusal.violations.is_empty() => {
            let violations = refusal.violations;
            let mut errors = FieldErrors::none();
            let sentences: Vec<String> = violations.iter().map(violation_sentence).collect();
            errors.add("date", sentences.join(" "));
            key = move_override_key(&date, &violations);
            offer_override = page.may(Permission::PlanWrite);
            errors.summary = Some(if offer_override {
                "The new date breaks the protocol's windows; see the message at the date. Choose another date or, if you have a clinical reason, tick the box below to move it anyway.".to_owned()
            } else {
                "The new date breaks the protocol's windows; see the message at the date. Choose another date; only a clinician may book outside a window.".to_owned()
            });
            errors
        }
        Err(other) => return Err(in_page(&page.viewer)(other)),
    };
    let mut view = appointment_view(&state, &page, &current).await?;
    view.errors = error;
    view.offer_override = offer_override;
    view.override_key = key;
    view.date_value = date;
    view.time_value = start_time.unwrap_or_default();
    view.shift_later = shift_later;
    Ok(html(StatusCode::UNPROCESSABLE_ENTITY, &view))
}

/// The move's "book anyway" box value: the date and the window sentences shown for it.
fn move_override_key(date: &str, violations: &[ViolationDocument]) -> String {
    override_key(date, violations.iter().map(violation_sentence))
}

async fn cancel_appointment(
    page: Page<need::AppointmentWrite>,
    State(state): State<AppState>,
    PathText(id): PathText,
    fields: Fields,
) -> Result<Response, UiError> {
    let id = id_in_path(&id, "appointment").map_err(in_page(&page.viewer))?;
    let version = version_of(&fields).map_err(in_page(&page.viewer))?;
    let current = state
        .store
        .appointment(&page.actor, AppointmentId(id))
        .await
        .map_err(in_page(&page.viewer))?;
    let change = AppointmentChange {
        version,
        date: current.details.date,
        status: AppointmentStatus::Cancelled,
        start_time: current.details.start_time.clone(),
        duration_minutes: current.details.duration_minutes,
        clinician: current.details.clinician_id,
        label: None,
        accept_violations: false,
        shift_later: false,
    };
    booking::change(&state.clinic, &page.clinic(), current.id, change)
        .await
        .map_err(in_page(&page.viewer))?;
    Ok(see_other(&format!("/appointments/{id}?cancelled=1")))
}
