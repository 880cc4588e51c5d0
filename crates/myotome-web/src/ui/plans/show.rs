//! One treatment plan: its page (with the form that books the proposed visits), the printable
//! plan, and the patient's aftercare sheet.
//!
//! A proposed visit is a visit of the plan's schedule document with no appointment booking it
//! (or only cancelled ones). Booking checks all the chosen dates together against the
//! protocol's windows first ([`windows::brought_by_visits`], the rule every booking follows),
//! so a refusal books nothing and names the date that breaks the window; then the visits are
//! booked together in one transaction ([`booking::book_all`]), which checks again.

use super::{
    Choice, DoseView, ViolationView, VisitView, kind_label, override_key, patient_name,
    violation_sentence, window_text,
};
use crate::error::ApiError;
use crate::permissions::{Permission, need};
use crate::state::AppState;
use crate::ui::alerts::{self, CareView, SafetyStrip};
use crate::ui::form::{FieldErrors, Fields};
use crate::ui::layout::Chrome;
use crate::ui::page::{Page, PathText, Viewer, id_in_path};
use crate::ui::render::{UiError, html, in_page, ok, see_other};
use crate::validate::{Check, parse_date};
use crate::wire::care::parse_plan_status;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use jiff::civil::Date;
use myotome_clinic::booking::{self, NewAppointment, check_time};
use myotome_clinic::windows::{self, BookedVisit, booked_visits, check_plan_calendar};
use myotome_clinic::{ClinicError, documents, plans};
use myotome_core::protocol::{Protocol, Statement};
use myotome_core::setting::Setting;
use myotome_store::{
    Appointment, AppointmentKind, AppointmentStatus, Patient, PlanId, PlanVisit, Role,
    ScheduleDocument, ScheduledVisitKind, TreatmentPlan, UserId,
};

/// A plan with what the pages show beside it.
struct PlanContext {
    plan: TreatmentPlan,
    patient: Patient,
    /// The plan's appointments, in date order.
    appointments: Vec<Appointment>,
}

async fn load(state: &AppState, viewer: &Viewer, id: i64) -> Result<PlanContext, UiError> {
    let caller = viewer.clinic();
    let plan = plans::get(&state.clinic, &caller, PlanId(id))
        .await
        .map_err(in_page(viewer))?;
    let patient = myotome_clinic::patients::get(&state.clinic, &caller, plan.patient_id)
        .await
        .map_err(in_page(viewer))?;
    let mut appointments: Vec<Appointment> = booking::list(&state.clinic, &caller, plan.patient_id)
        .await
        .map_err(in_page(viewer))?
        .into_iter()
        .filter(|a| a.details.plan_id == Some(plan.id))
        .collect();
    appointments.sort_by(|a, b| {
        (a.details.date, &a.details.start_time).cmp(&(b.details.date, &b.details.start_time))
    });
    Ok(PlanContext {
        plan,
        patient,
        appointments,
    })
}

impl PlanContext {
    fn schedule(&self) -> &ScheduleDocument {
        &self.plan.details.schedule
    }

    /// The active appointment booking the schedule's visit `index`, if any.
    fn booked(&self, index: usize) -> Option<&Appointment> {
        self.appointments.iter().find(|a| {
            a.details.plan_visit.is_some_and(|v| v.index() == index)
                && a.details.status != AppointmentStatus::Cancelled
        })
    }

    /// Indices of the schedule's visits not booked yet.
    fn proposed(&self) -> Vec<usize> {
        (0..self.schedule().visits.len())
            .filter(|i| self.booked(*i).is_none())
            .collect()
    }

    fn rows(&self) -> Vec<VisitRow> {
        self.schedule()
            .visits
            .iter()
            .enumerate()
            .map(|(index, visit)| {
                let booked = self.booked(index);
                VisitRow {
                    visit: VisitView::from(visit),
                    appointment: booked.map(|a| BookedView {
                        id: a.id.0,
                        date: a.details.date.to_string(),
                        time: a.details.start_time.clone(),
                        status: status_label(a.details.status),
                    }),
                }
            })
            .collect()
    }
}

pub(crate) fn status_label(status: AppointmentStatus) -> &'static str {
    match status {
        AppointmentStatus::Booked => "booked",
        AppointmentStatus::Completed => "completed",
        AppointmentStatus::Cancelled => "cancelled",
        AppointmentStatus::NoShow => "did not attend",
    }
}

/// The plan itself, as both the plan page and the printed plan show it.
struct PlanSummary {
    id: i64,
    patient_id: i64,
    patient: String,
    birth_date: Option<String>,
    protocol: String,
    protocol_ref: String,
    indication: String,
    region: String,
    side: Option<String>,
    sites: Vec<String>,
    dose: Option<DoseView>,
    notes: Option<String>,
    status: &'static str,
    created: String,
    unscheduled: Vec<String>,
    explanation: Vec<String>,
}

fn summary(state: &AppState, ctx: &PlanContext, viewer: &Viewer) -> PlanSummary {
    let details = &ctx.plan.details;
    let protocol = state
        .data
        .protocols
        .get(&details.protocol_id)
        .map(|l| &l.protocol);
    let catalog = &state.data.catalog;
    PlanSummary {
        id: ctx.plan.id.0,
        patient_id: ctx.patient.id.0,
        patient: patient_name(&ctx.patient),
        birth_date: ctx.patient.details.birth_date.map(|d| d.to_string()),
        protocol: protocol.map_or_else(|| details.protocol_id.clone(), |p| p.title.clone()),
        protocol_ref: format!(
            "{} version {}",
            details.protocol_id, details.protocol_version
        ),
        indication: protocol
            .and_then(|p| {
                p.indications
                    .iter()
                    .find(|i| i.concept == details.indication)
            })
            .map_or_else(|| details.indication.clone(), |i| i.label.clone()),
        region: catalog
            .region(&details.region)
            .map_or_else(|| details.region.clone(), |r| r.label.clone()),
        side: details.side.map(|s| s.as_str().to_owned()),
        sites: details
            .target_sites
            .iter()
            .map(|id| {
                catalog
                    .structure(id)
                    .map_or_else(|| id.clone(), |s| s.label.clone())
            })
            .collect(),
        dose: details.dose.as_ref().map(DoseView::from_doc),
        notes: details.notes.clone(),
        status: ctx.plan.status.as_str(),
        created: viewer.date(ctx.plan.created_at).to_string(),
        unscheduled: ctx.schedule().unscheduled.clone(),
        explanation: ctx.schedule().explanation.clone(),
    }
}

struct BookedView {
    id: i64,
    date: String,
    time: Option<String>,
    status: &'static str,
}

struct VisitRow {
    visit: VisitView,
    appointment: Option<BookedView>,
}

/// One proposed visit in the booking form, with what was typed.
struct BookRow {
    index: usize,
    kind: &'static str,
    label: String,
    window: Option<String>,
    date_field: String,
    time_field: String,
    date: String,
    time: String,
    /// Ticked to be booked.
    chosen: bool,
}

/// What a proposed visit's boxes show: date, time, and whether it is ticked.
type Typed = (String, String, bool);

#[derive(Template)]
#[template(path = "ui/plans/plan.html")]
struct PlanPage {
    chrome: Chrome,
    title: String,
    plan: PlanSummary,
    rows: Vec<VisitRow>,
    /// The booking form, when there is something to book and the viewer may book.
    book: Vec<BookRow>,
    clinicians: Vec<Choice>,
    may_book: bool,
    /// Whether the viewer may mark the plan completed or cancelled.
    may_change: bool,
    version: i64,
    /// The week of the plan's first visit, for the calendar link.
    calendar_week: String,
    booked: Option<String>,
    errors: FieldErrors,
    violations: Vec<ViolationView>,
    /// The windows the plan's booked visits break, kept as warnings (a clinician accepted
    /// them, or a later change caused them), each with its citation.
    warnings: Vec<ViolationView>,
    /// After a booking refused for a window, to a clinician: the box that books anyway.
    offer_override: bool,
    /// The box's value: the dates it accepts ([`override_key`]).
    override_key: String,
    safety: SafetyStrip,
    care: CareView,
    /// Completing was refused for visits still booked: the question, with a button that
    /// completes the plan and cancels them.
    confirm_complete: Option<String>,
    /// Booked visits from today on, which cancelling the plan cancels (the confirm dialog
    /// says how many).
    booked_ahead: usize,
}

/// What the "book anyway" box confirms: the visits and dates that were refused and the
/// window sentences shown for them ([`override_key`]).
fn booking_override_key(
    to_book: &[ToBook],
    errors: &FieldErrors,
    violations: &[ViolationView],
) -> String {
    let mut chosen: Vec<(usize, Date)> = to_book.iter().map(|v| (v.index, v.date)).collect();
    chosen.sort_by_key(|(index, _)| *index);
    let dates = chosen
        .iter()
        .map(|(index, date)| format!("{index}:{date}"))
        .collect::<Vec<_>>()
        .join(",");
    let shown = errors
        .others(&[])
        .into_iter()
        .map(|(field, sentence)| format!("{field}: {sentence}"))
        .chain(violations.iter().map(|v| v.explanation.clone()));
    override_key(&dates, shown)
}

/// The plan's kept warnings: its booked visits checked against the protocol's windows (the
/// check Today's list uses), and the violations accepted when the plan was made with its own
/// dates that the booked visits do not show (a session count, say).
fn kept_warnings(state: &AppState, ctx: &PlanContext) -> Vec<ViolationView> {
    let mut warnings: Vec<ViolationView> =
        match state.data.protocols.get(&ctx.plan.details.protocol_id) {
            Some(loaded) => check_plan_calendar(
                &loaded.protocol,
                &ctx.plan.details.schedule,
                &booked_visits(&ctx.appointments),
            )
            .iter()
            .map(ViolationView::from)
            .collect(),
            None => Vec::new(),
        };
    for accepted in &ctx.schedule().accepted_violations {
        if !warnings
            .iter()
            .any(|w| w.explanation == accepted.explanation)
        {
            warnings.push(ViolationView::from(accepted));
        }
    }
    warnings
}

#[derive(serde::Deserialize, Default)]
pub(super) struct PlanQuery {
    booked: Option<u32>,
    status: Option<String>,
    cancelled: Option<u32>,
}

pub(super) async fn plan_page(
    page: Page<need::PlanRead>,
    State(state): State<AppState>,
    PathText(id): PathText,
    query: Result<axum::extract::Query<PlanQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, UiError> {
    let id = id_in_path(&id, "plan").map_err(in_page(&page.viewer))?;
    let ctx = load(&state, &page, id).await?;
    let query = query.map(|q| q.0).unwrap_or_default();
    let booked = match (query.booked, query.status.as_deref()) {
        (Some(1), _) => Some("One visit is booked.".to_owned()),
        (Some(n), _) => Some(format!("{n} visits are booked.")),
        (None, Some("completed")) => Some(format!(
            "The plan is marked completed.{}",
            visits_cancelled(query.cancelled)
        )),
        (None, Some("cancelled")) => Some(format!(
            "The plan is cancelled.{}",
            visits_cancelled(query.cancelled)
        )),
        _ => None,
    };
    let typed = |_: usize, planned: &str| (planned.to_owned(), String::new(), true);
    let view = plan_view(&state, &page, &ctx, &typed, None).await?;
    Ok(ok(&PlanPage { booked, ..view }))
}

/// " N booked visits were cancelled with it." for a status message.
fn visits_cancelled(count: Option<u32>) -> String {
    match count {
        None | Some(0) => String::new(),
        Some(1) => " Its one booked visit was cancelled with it.".to_owned(),
        Some(n) => format!(" Its {n} booked visits were cancelled with it."),
    }
}

/// The plan page; `typed(i, planned)` gives what visit `i`'s boxes show.
async fn plan_view(
    state: &AppState,
    viewer: &Viewer,
    ctx: &PlanContext,
    typed: &(dyn Fn(usize, &str) -> Typed + Sync),
    clinician: Option<&str>,
) -> Result<PlanPage, UiError> {
    let may_book = viewer.may(Permission::AppointmentWrite);
    let book: Vec<BookRow> = ctx
        .proposed()
        .into_iter()
        .filter_map(|i| ctx.schedule().visits.get(i).map(|v| (i, v)))
        .map(|(i, visit)| {
            let (date, time, chosen) = typed(i, &visit.date.to_string());
            BookRow {
                index: i,
                kind: kind_label(visit.kind),
                label: visit.label.clone(),
                window: window_text(visit),
                date_field: format!("date_{i}"),
                time_field: format!("time_{i}"),
                date,
                time,
                chosen,
            }
        })
        .collect();
    let clinicians = if may_book && !book.is_empty() {
        let default = match clinician {
            Some(chosen) => chosen.to_owned(),
            None if viewer.role() == Role::Clinician => viewer.user.id.0.to_string(),
            None => String::new(),
        };
        state
            .store
            .users()
            .await
            .map_err(in_page(viewer))?
            .into_iter()
            .filter(|u| u.role == Role::Clinician && !u.disabled)
            .map(|u| Choice {
                selected: u.id.0.to_string() == default,
                value: u.id.0.to_string(),
                label: u.display_name,
            })
            .collect()
    } else {
        Vec::new()
    };
    let plan = summary(state, ctx, viewer);
    let (safety, care) =
        alerts::strip_and_plan(state, viewer, ctx.plan.patient_id, Some(ctx.plan.id)).await?;
    let today = state.clock.today();
    let booked_ahead = ctx
        .appointments
        .iter()
        .filter(|a| {
            a.details.status == myotome_store::AppointmentStatus::Booked && a.details.date >= today
        })
        .count();
    Ok(PlanPage {
        safety,
        care,
        confirm_complete: None,
        booked_ahead,
        chrome: Chrome::for_viewer(viewer, "/patients"),
        title: format!("Treatment plan — {}", plan.patient),
        plan,
        rows: ctx.rows(),
        book,
        clinicians,
        may_book,
        may_change: viewer.may(Permission::PlanWrite)
            && ctx.plan.status == myotome_store::PlanStatus::Active,
        version: ctx.plan.version,
        calendar_week: ctx
            .schedule()
            .visits
            .iter()
            .map(|v| v.date)
            .min()
            .map(|d| d.to_string())
            .unwrap_or_default(),
        booked: None,
        errors: FieldErrors::none(),
        violations: Vec::new(),
        warnings: kept_warnings(state, ctx),
        offer_override: false,
        override_key: String::new(),
    })
}

/// One visit to book, read from the form.
struct ToBook {
    index: usize,
    kind: AppointmentKind,
    label: String,
    date: Date,
    time: Option<String>,
}

pub(super) async fn book(
    page: Page<need::AppointmentWrite>,
    State(state): State<AppState>,
    PathText(id): PathText,
    fields: Fields,
) -> Result<Response, UiError> {
    let id = id_in_path(&id, "plan").map_err(in_page(&page.viewer))?;
    let ctx = load(&state, &page, id).await?;
    let proposed = ctx.proposed();
    let mut errors = FieldErrors::none();
    let mut to_book: Vec<ToBook> = Vec::new();
    for index in &proposed {
        let Some(visit) = ctx.schedule().visits.get(*index) else {
            continue;
        };
        if !fields.has("visit", &index.to_string()) {
            continue;
        }
        let date_field = format!("date_{index}");
        let time_field = format!("time_{index}");
        let date = match parse_date(fields.get(&date_field).trim()) {
            Ok(date) => Some(date),
            Err(problem) => {
                errors.add(&date_field, problem);
                None
            }
        };
        let time = fields.optional(&time_field);
        let mut check = Check::new();
        check_time(&mut check, time.as_deref());
        if let Err(ClinicError::Invalid(problems)) = check.finish() {
            for problem in problems.values() {
                errors.add(&time_field, problem.clone());
            }
        }
        if let Some(date) = date {
            to_book.push(ToBook {
                index: *index,
                kind: if visit.kind == ScheduledVisitKind::Session {
                    AppointmentKind::Session
                } else {
                    AppointmentKind::FollowUp
                },
                label: visit.label.clone(),
                date,
                time,
            });
        }
    }
    let clinician = fields.optional("clinician_id");
    let clinician_id = match clinician.as_deref().map(str::parse::<i64>) {
        None => None,
        Some(Ok(id)) => Some(UserId(id)),
        Some(Err(_)) => {
            errors.add(
                "clinician_id",
                "is not one of the clinicians; choose from the list",
            );
            None
        }
    };
    if to_book.is_empty() && errors.is_empty() {
        errors.summary = Some(
            "Nothing was chosen to book: tick at least one visit and give its date.".to_owned(),
        );
    }
    // The windows are always checked again. The "book anyway" box accepts them only when it
    // was ticked for exactly these dates and these sentences. Whether the viewer may accept
    // is the use case's decision (`booking::book_all` refuses staff), not the page's.
    let mut violations = Vec::new();
    let mut offer_override = false;
    let mut accept = false;
    let mut key = String::new();
    if errors.is_empty()
        && let Some(loaded) = state.data.protocols.get(&ctx.plan.details.protocol_id)
    {
        violations = window_problems(&loaded.protocol, &ctx, &to_book, &mut errors);
        if !errors.is_empty() || !violations.is_empty() {
            key = booking_override_key(&to_book, &errors, &violations);
        }
        if !key.is_empty() && fields.get("accept_violations") == key {
            accept = true;
            errors = FieldErrors::none();
            violations.clear();
        } else if !key.is_empty() {
            offer_override = page.may(Permission::PlanWrite);
            errors.summary = Some(if offer_override {
                "Nothing was booked: the dates marked below break the protocol's windows. Choose dates inside the windows, book the visit later, or, if you have a clinical reason, tick the box below the visits to book these dates anyway.".to_owned()
            } else {
                "Nothing was booked: the dates marked below break the protocol's windows. Choose dates inside the windows, or book the visit later; only a clinician may book outside a window.".to_owned()
            });
        }
    }
    if errors.is_empty() {
        to_book.sort_by_key(|v| v.date);
        let count = to_book.len();
        let bookings = to_book
            .into_iter()
            .map(|visit| NewAppointment {
                kind: visit.kind,
                label: visit.label,
                date: visit.date,
                start_time: visit.time,
                duration_minutes: None,
                clinician: clinician_id,
                plan: Some(ctx.plan.id),
                plan_visit: u32::try_from(visit.index).ok().map(PlanVisit),
                accept_violations: accept,
            })
            .collect();
        booking::book_all(&state.clinic, &page.clinic(), ctx.plan.patient_id, bookings)
            .await
            .map_err(in_page(&page.viewer))?;
        return Ok(see_other(&format!("/plans/{id}?booked={count}")));
    }
    // Every typed date and time comes back, ticked or not.
    let typed = |i: usize, planned: &str| {
        let date_field = format!("date_{i}");
        let sent = fields.0.iter().any(|(name, _)| *name == date_field);
        (
            if sent {
                fields.get(&date_field).to_owned()
            } else {
                planned.to_owned()
            },
            fields.get(&format!("time_{i}")).to_owned(),
            fields.has("visit", &i.to_string()),
        )
    };
    let view = plan_view(&state, &page, &ctx, &typed, clinician.as_deref()).await?;
    Ok(html(
        StatusCode::UNPROCESSABLE_ENTITY,
        &PlanPage {
            errors,
            violations,
            offer_override,
            override_key: key,
            ..view
        },
    ))
}

/// Checks the visits to book, together with the plan's booked ones, against the protocol's
/// windows ([`windows::brought_by_visits`]). Each violation goes to the date field of the visit
/// it is about; those about an already-booked visit are returned for the list above the form.
fn window_problems(
    protocol: &Protocol,
    ctx: &PlanContext,
    to_book: &[ToBook],
    errors: &mut FieldErrors,
) -> Vec<ViolationView> {
    let new: Vec<BookedVisit> = to_book
        .iter()
        .map(|v| BookedVisit {
            kind: v.kind,
            plan_visit: u32::try_from(v.index).ok().map(PlanVisit),
            date: v.date,
        })
        .collect();
    let mut elsewhere: Vec<ViolationView> = Vec::new();
    let found = windows::brought_by_visits(protocol, ctx.schedule(), &ctx.appointments, &new);
    for (position, violation) in &found {
        match position.and_then(|p| to_book.get(p)) {
            Some(visit) => {
                let field = format!("date_{}", visit.index);
                let sentence = match errors.get(&field) {
                    Some(before) => format!("{before} {}", violation_sentence(violation)),
                    None => violation_sentence(violation),
                };
                errors.add(&field, sentence);
            }
            None => elsewhere.push(ViolationView::from(violation)),
        }
    }
    elsewhere
}

// --- Printing ------------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "ui/plans/print.html")]
struct PrintPage {
    chrome: Chrome,
    title: String,
    plan: PlanSummary,
    rows: Vec<VisitRow>,
}

pub(super) async fn print_page(
    page: Page<need::PlanRead>,
    State(state): State<AppState>,
    PathText(id): PathText,
) -> Result<Response, UiError> {
    let id = id_in_path(&id, "plan").map_err(in_page(&page.viewer))?;
    let ctx = load(&state, &page, id).await?;
    let plan = summary(&state, &ctx, &page.viewer);
    Ok(ok(&PrintPage {
        chrome: Chrome::for_viewer(&page, "/patients"),
        title: format!("Treatment plan — {}", plan.patient),
        rows: ctx.rows(),
        plan,
    }))
}

/// One instruction of the aftercare sheet with where it comes from.
struct Instruction {
    text: String,
    source: Option<String>,
}

fn instruction(protocol: &Protocol, statement: &Statement) -> Instruction {
    Instruction {
        text: statement.text.clone(),
        source: protocol
            .cite(&statement.source)
            .map(|c| super::source_text(&documents::source(c))),
    }
}

/// A visit on the patient's sheet.
struct SheetVisit {
    label: String,
    date: String,
    time: Option<String>,
}

#[derive(Template)]
#[template(path = "ui/plans/aftercare.html")]
struct AftercarePage {
    chrome: Chrome,
    title: String,
    plan_id: i64,
    patient: String,
    protocol: String,
    aftercare: Vec<Instruction>,
    side_effects: Vec<Instruction>,
    follow_ups: Vec<Instruction>,
    visits: Vec<SheetVisit>,
}

pub(super) async fn aftercare_page(
    page: Page<need::PlanRead>,
    State(state): State<AppState>,
    PathText(id): PathText,
) -> Result<Response, UiError> {
    let id = id_in_path(&id, "plan").map_err(in_page(&page.viewer))?;
    let ctx = load(&state, &page, id).await?;
    let loaded = state
        .data
        .protocols
        .get(&ctx.plan.details.protocol_id)
        .ok_or_else(|| {
            UiError::new(
                ApiError::NotFound(format!(
                    "The protocol {} is no longer in the library, so its aftercare cannot be printed.",
                    ctx.plan.details.protocol_id
                )),
                Some(&page.viewer),
            )
        })?;
    let protocol = &loaded.protocol;
    let follow_ups = protocol
        .follow_ups
        .iter()
        .map(|f| {
            let when = match (&f.window, &f.over) {
                (Some(Setting::Given(b)), _) if b.min == b.max => {
                    format!("{} after {}", b.min, f.after.label())
                }
                (Some(Setting::Given(b)), _) => {
                    format!("{} to {} after {}", b.min, b.max, f.after.label())
                }
                (_, Some(Setting::Given(b))) => {
                    format!("over the {} to {} after {}", b.min, b.max, f.after.label())
                }
                _ => "when the clinic arranges it".to_owned(),
            };
            Instruction {
                text: format!("{}: {when}.", f.label),
                source: protocol
                    .cite(&f.source)
                    .map(|c| super::source_text(&documents::source(c))),
            }
        })
        .collect();
    let visits = ctx
        .rows()
        .into_iter()
        .map(|row| match row.appointment {
            Some(a) => SheetVisit {
                label: row.visit.label,
                date: a.date,
                time: a.time,
            },
            None => SheetVisit {
                label: format!("{} (to be confirmed)", row.visit.label),
                date: row.visit.date,
                time: None,
            },
        })
        .collect();
    let patient = patient_name(&ctx.patient);
    Ok(ok(&AftercarePage {
        chrome: Chrome::for_viewer(&page, "/patients"),
        title: format!("Aftercare — {patient}"),
        plan_id: ctx.plan.id.0,
        patient,
        protocol: protocol.title.clone(),
        aftercare: protocol
            .aftercare
            .iter()
            .map(|s| instruction(protocol, s))
            .collect(),
        side_effects: protocol
            .side_effects
            .iter()
            .map(|s| instruction(protocol, s))
            .collect(),
        follow_ups,
        visits,
    }))
}

/// Marks the plan completed or cancelled (clinicians), through the API's own change.
pub(super) async fn set_status(
    page: Page<need::PlanWrite>,
    State(state): State<AppState>,
    PathText(id): PathText,
    fields: Fields,
) -> Result<Response, UiError> {
    let id = id_in_path(&id, "plan").map_err(in_page(&page.viewer))?;
    let version = fields.get("version").trim().parse::<i64>().map_err(|_| {
        in_page(&page.viewer)(ApiError::Malformed(
            "The form did not say which version of the plan it changes; reload the page and try again.".to_owned(),
        ))
    })?;
    let status = parse_plan_status(fields.get("status").trim())
        .map_err(|e| in_page(&page.viewer)(ApiError::field("status", e)))?;
    let booked = if fields.get("cancel_booked_visits") == "yes" {
        plans::BookedVisits::Cancel
    } else {
        plans::BookedVisits::Ask
    };
    match plans::change_status(
        &state.clinic,
        &page.clinic(),
        PlanId(id),
        version,
        status,
        booked,
    )
    .await
    {
        Ok(changed) => Ok(see_other(&format!(
            "/plans/{}?status={}&cancelled={}",
            changed.plan.id.0,
            changed.plan.status.as_str(),
            changed.cancelled.len()
        ))),
        // Visits still booked: ask, on the plan, whether to cancel them with it.
        Err(ClinicError::Conflict(question)) if status == myotome_store::PlanStatus::Completed => {
            let ctx = load(&state, &page, id).await?;
            let typed = |_: usize, planned: &str| (planned.to_owned(), String::new(), true);
            let view = plan_view(&state, &page, &ctx, &typed, None).await?;
            Ok(html(
                StatusCode::CONFLICT,
                &PlanPage {
                    confirm_complete: Some(question),
                    ..view
                },
            ))
        }
        Err(other) => Err(in_page(&page.viewer)(ApiError::from(other))),
    }
}
