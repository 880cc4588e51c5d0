//! Today: the landing page per role.
//!
//! Clinicians and staff see the day's work — today's sessions and follow-ups (a clinician's own
//! first), new requests from the public candidate form, screenings awaiting a clinician's
//! signature, and active plans whose booked visits break one of the protocol's windows — the
//! work lists of [`myotome_clinic::today::work`]. Admins, who do not read charts, see their own
//! landing: users, tokens, the audit trail.

use crate::state::AppState;
use crate::ui::layout::Chrome;
use crate::ui::page::Viewer;
use crate::ui::render::{UiError, in_page, ok};
use crate::ui::screening::verdict_words;
use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use myotome_clinic::today::{self, PLANS_CHECKED};
use myotome_store::{AppointmentKind, AppointmentStatus, PatientId, Role, UserId};
use std::collections::HashMap;

pub fn routes() -> Router<AppState> {
    Router::new().route("/", get(today_page))
}

struct VisitRow {
    id: i64,
    time: String,
    patient_id: i64,
    patient: String,
    label: String,
    kind: &'static str,
    clinician: String,
    status: &'static str,
    /// Where the visit stands in its day, while it is booked (arrived, in procedure …).
    stage: Option<&'static str>,
    mine: bool,
    /// Flags (re-screen, deceased, worse screening), precautions and clearances, in words.
    flags: Vec<String>,
    precautions: Vec<String>,
    clearances: Vec<String>,
}

struct RequestRow {
    patient_id: i64,
    patient: String,
    sent: String,
    conditions: String,
    /// Charts that may be this person's already: (href, name and birth date).
    on_file: Vec<(String, String)>,
}

struct ScreeningRow {
    id: i64,
    patient_id: i64,
    patient: String,
    protocol: String,
    verdict: String,
    badge: &'static str,
    run: String,
}

struct PlanRow {
    id: i64,
    patient_id: i64,
    patient: String,
    protocol: String,
    problems: Vec<String>,
}

#[derive(Template)]
#[template(path = "ui/today.html")]
struct TodayPage {
    chrome: Chrome,
    title: &'static str,
    admin: bool,
    date: String,
    visits: Vec<VisitRow>,
    requests: Vec<RequestRow>,
    screenings: Vec<ScreeningRow>,
    plans: Vec<PlanRow>,
    plans_checked: usize,
    plans_limit: u32,
    /// Active plans flagged for a re-screen or a worse new screening.
    flagged: Vec<PlanRow>,
    /// Adverse events not over yet, serious first.
    events: Vec<EventRow>,
    /// What patients reported through their links, waiting for triage.
    reports: Vec<crate::ui::outcomes::ReportRow>,
}

struct EventRow {
    id: i64,
    patient_id: i64,
    patient: String,
    term: String,
    grade: String,
    serious: bool,
    onset_on: String,
    outcome: &'static str,
}

async fn today_page(viewer: Viewer, State(state): State<AppState>) -> Result<Response, UiError> {
    let date = state.clock.today();
    let mut page = TodayPage {
        chrome: Chrome::for_viewer(&viewer, "/"),
        title: "Today",
        admin: viewer.role() == Role::Admin,
        date: date.strftime("%A %-d %B %Y").to_string(),
        visits: Vec::new(),
        requests: Vec::new(),
        screenings: Vec::new(),
        plans: Vec::new(),
        plans_checked: 0,
        plans_limit: PLANS_CHECKED,
        flagged: Vec::new(),
        events: Vec::new(),
        reports: Vec::new(),
    };
    if page.admin {
        return Ok(ok(&page));
    }
    let work = today::work(&state.clinic, &viewer.clinic())
        .await
        .map_err(in_page(&viewer))?;
    page.plans_checked = work.plans_checked;
    let patients = &work.patients;
    let appointments = &work.visits;
    let intakes = &work.requests;
    let unsigned = &work.unsigned;
    let broken = &work.broken_plans;
    let name = |id: PatientId| match patients.get(&id) {
        Some(p) if p.details.given_names.trim().is_empty() => p.details.family_name.clone(),
        Some(p) => format!("{}, {}", p.details.family_name, p.details.given_names),
        None => format!("Patient {id}"),
    };
    let clinicians: HashMap<UserId, String> = if appointments.is_empty() {
        HashMap::new()
    } else {
        state
            .store
            .users()
            .await
            .map_err(in_page(&viewer))?
            .into_iter()
            .map(|u| (u.id, u.display_name))
            .collect()
    };

    page.visits = appointments
        .iter()
        .map(|a| VisitRow {
            id: a.id.0,
            time: a
                .details
                .start_time
                .clone()
                .unwrap_or_else(|| "No time set".to_owned()),
            patient_id: a.patient_id.0,
            patient: name(a.patient_id),
            label: a.details.label.clone(),
            kind: match a.details.kind {
                AppointmentKind::Session => "Session",
                AppointmentKind::FollowUp => "Follow-up",
            },
            clinician: a
                .details
                .clinician_id
                .and_then(|id| clinicians.get(&id).cloned())
                .unwrap_or_else(|| "Not assigned".to_owned()),
            status: match a.details.status {
                AppointmentStatus::Booked => "Booked",
                AppointmentStatus::Completed => "Completed",
                AppointmentStatus::Cancelled => "Cancelled",
                AppointmentStatus::NoShow => "Did not attend",
            },
            stage: work
                .stages
                .get(&a.id)
                .filter(|_| a.details.status == AppointmentStatus::Booked)
                .map(|stage| stage.label()),
            mine: a.details.clinician_id == Some(viewer.user.id),
            flags: work
                .visit_safety
                .get(&a.id)
                .map(|c| c.flags.iter().map(|f| f.sentence()).collect())
                .unwrap_or_default(),
            precautions: work
                .visit_safety
                .get(&a.id)
                .map(|c| c.precautions.clone())
                .unwrap_or_default(),
            clearances: work
                .visit_safety
                .get(&a.id)
                .map(|c| c.clearances.clone())
                .unwrap_or_default(),
        })
        .collect();
    page.reports = crate::ui::outcomes::report_rows(&viewer, &work.patient_reports);
    page.events = work
        .adverse_events
        .iter()
        .map(|open| EventRow {
            id: open.event.id.0,
            patient_id: open.event.patient_id.0,
            patient: open.patient_name.clone(),
            term: state
                .data
                .event_terms
                .label(&open.event.details.term)
                .to_owned(),
            grade: format!(
                "{} — {}",
                open.event.details.grade.number(),
                open.event.details.grade.label()
            ),
            serious: open.event.details.is_serious(),
            onset_on: open.event.details.onset_on.to_string(),
            outcome: open.event.details.outcome.label(),
        })
        .collect();
    page.flagged = work
        .flagged_plans
        .iter()
        .map(|(plan, flags)| PlanRow {
            id: plan.id.0,
            patient_id: plan.patient_id.0,
            patient: name(plan.patient_id),
            protocol: format!(
                "{}, version {}",
                plan.details.protocol_id, plan.details.protocol_version
            ),
            problems: flags.iter().map(|f| f.sentence()).collect(),
        })
        .collect();
    page.requests = intakes
        .iter()
        .map(|f| RequestRow {
            patient_id: f.patient_id.0,
            patient: name(f.patient_id),
            sent: viewer.time(f.submitted_at),
            on_file: work
                .request_duplicates
                .get(&f.patient_id)
                .map(|others| {
                    others
                        .iter()
                        .map(|p| {
                            (
                                format!("/patients/{}", p.id),
                                format!(
                                    "{}, {}{}",
                                    p.details.family_name,
                                    p.details.given_names,
                                    p.details
                                        .birth_date
                                        .map(|b| format!(", born {b}"))
                                        .unwrap_or_default()
                                ),
                            )
                        })
                        .collect()
                })
                .unwrap_or_default(),
            conditions: f
                .reported_conditions
                .iter()
                .map(|c| {
                    state
                        .data
                        .terminology
                        .concept(c)
                        .map_or_else(|| c.to_string(), |concept| concept.label.clone())
                })
                .collect::<Vec<_>>()
                .join("; "),
        })
        .collect();
    page.screenings = unsigned
        .iter()
        .map(|s| {
            let (verdict, badge) = verdict_words(s);
            ScreeningRow {
                id: s.id.0,
                patient_id: s.patient_id.0,
                patient: name(s.patient_id),
                protocol: format!("{}, version {}", s.protocol_id, s.protocol_version),
                verdict,
                badge,
                run: viewer.time(s.created_at),
            }
        })
        .collect();
    page.plans = broken
        .iter()
        .map(|(plan, violations)| PlanRow {
            id: plan.id.0,
            patient_id: plan.patient_id.0,
            patient: name(plan.patient_id),
            protocol: format!(
                "{}, version {}",
                plan.details.protocol_id, plan.details.protocol_version
            ),
            problems: violations.iter().map(|v| v.explanation.clone()).collect(),
        })
        .collect();
    Ok(ok(&page))
}
