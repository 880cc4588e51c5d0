//! Adverse events in the clinic's pages.
//!
//! - `/patients/{id}/adverse-events/new` (`?via=observation&visit=N` from the visit's
//!   observation step): the form — the term from the seeds' list, the grade with each grade's
//!   definition beside it, the seriousness criteria, how likely the procedure and the product
//!   caused it, what was done, how it stands, and the visit and lot it followed.
//! - `POST /patients/{id}/adverse-events`: records it; a mistake comes back with the fields as
//!   typed and each problem beside its field.
//! - `/adverse-events/{id}`: the event, every version it went through, the form to bring it up
//!   to date, marking it recorded in error, and — when the product is judged a possible cause
//!   and the lot is still in stock — the offer to quarantine the lot.
//! - `/safety` and `/safety.csv`: the safety report per protocol or per lot.
//!
//! The rules are the use case's ([`myotome_clinic::adverse_events`]).

use crate::error::ApiError;
use crate::permissions::need;
use crate::state::AppState;
use crate::ui::form::{FieldErrors, Fields};
use crate::ui::layout::Chrome;
use crate::ui::outcomes::blank_is_none;
use crate::ui::page::{Page, PathText, Viewer, id_in_path};
use crate::ui::render::{UiError, html, in_page, ok, see_other};
use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::extract::rejection::QueryRejection;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use myotome_clinic::ClinicError;
use myotome_clinic::adverse_events::{self, EventInput, SafetyQuery};
use myotome_clinic::permissions::Permission;
use myotome_core::adverse_event::{
    CAUSALITY_SOURCE, Causality, EventOutcome, GRADING_SOURCE, Grade, SERIOUSNESS_SOURCE,
    SeriousCriterion,
};
use myotome_store::{
    AdverseEvent, AdverseEventDetails, AdverseEventId, AppointmentStatus, PatientId, ReportedVia,
    SafetyScope,
};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/patients/{id}/adverse-events/new", get(new_page))
        .route("/patients/{id}/adverse-events", post(record))
        .route("/adverse-events/{id}", get(event_page).post(update))
        .route("/adverse-events/{id}/in-error", post(mark_in_error))
        .route("/adverse-event-reports/{id}/dismiss", post(dismiss_report))
        .route("/safety", get(safety_page))
        .route("/safety.csv", get(safety_csv))
}

/// An option of a list.
pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// A grade with its definition, to choose by reading it.
pub struct GradeChoice {
    pub value: u8,
    pub label: &'static str,
    pub definition: &'static str,
    pub checked: bool,
}

/// The event form, as typed or as the event stands.
pub struct EventForm {
    pub action: String,
    pub via: &'static str,
    pub version: Option<i64>,
    pub report: Option<i64>,
    pub expected_terms: Vec<Choice>,
    pub risk_terms: Vec<Choice>,
    pub description: String,
    pub onset_on: String,
    pub grades: Vec<GradeChoice>,
    pub grading_source: &'static str,
    pub serious: Vec<Choice>,
    pub seriousness_source: &'static str,
    pub procedure_causality: Vec<Choice>,
    pub product_causality: Vec<Choice>,
    pub causality_source: &'static str,
    pub actions_taken: String,
    pub outcomes: Vec<Choice>,
    pub ended_on: String,
    pub visits: Vec<Choice>,
    pub lots: Vec<Choice>,
    pub errors: FieldErrors,
}

fn input_of(form: &Fields) -> EventInput {
    EventInput {
        term: form.get("term").to_owned(),
        description: form.get("description").to_owned(),
        onset_on: form.get("onset_on").to_owned(),
        grade: form.get("grade").to_owned(),
        serious: form.all("serious").into_iter().map(str::to_owned).collect(),
        procedure_causality: form.get("procedure_causality").to_owned(),
        product_causality: form.get("product_causality").to_owned(),
        actions_taken: form.get("actions_taken").to_owned(),
        outcome: form.get("outcome").to_owned(),
        ended_on: form.get("ended_on").to_owned(),
        appointment: form.get("appointment").to_owned(),
        lot: form.get("lot").to_owned(),
    }
}

/// The form's typed values of an event as it stands.
fn input_from(details: &AdverseEventDetails) -> EventInput {
    EventInput {
        term: details.term.clone(),
        description: details.description.clone(),
        onset_on: details.onset_on.to_string(),
        grade: details.grade.number().to_string(),
        serious: details
            .serious
            .iter()
            .map(|c| c.as_str().to_owned())
            .collect(),
        procedure_causality: details.procedure_causality.as_str().to_owned(),
        product_causality: details
            .product_causality
            .map(|c| c.as_str().to_owned())
            .unwrap_or_default(),
        actions_taken: details.actions_taken.clone(),
        outcome: details.outcome.as_str().to_owned(),
        ended_on: details.ended_on.map(|d| d.to_string()).unwrap_or_default(),
        appointment: details
            .appointment_id
            .map(|a| a.to_string())
            .unwrap_or_default(),
        lot: details.lot_id.map(|l| l.to_string()).unwrap_or_default(),
    }
}

fn causality_choices(selected: &str, blank: Option<&str>) -> Vec<Choice> {
    let mut choices: Vec<Choice> = blank
        .map(|label| Choice {
            value: String::new(),
            label: label.to_owned(),
            selected: selected.is_empty(),
        })
        .into_iter()
        .collect();
    choices.extend(Causality::ALL.into_iter().map(|c| Choice {
        value: c.as_str().to_owned(),
        label: c.label().to_owned(),
        selected: c.as_str() == selected,
    }));
    choices
}

/// The form, with the patient's visits (held or under way by today) and the lots they were
/// given to link.
/// Where the form posts: a new event's address, or an event's with the version it changes.
struct FormTarget {
    action: String,
    via: ReportedVia,
    version: Option<i64>,
    /// The patient's report it records, when it comes from one.
    report: Option<i64>,
}

async fn event_form(
    state: &AppState,
    viewer: &Viewer,
    patient: PatientId,
    target: FormTarget,
    typed: &EventInput,
    errors: FieldErrors,
) -> Result<EventForm, UiError> {
    let caller = viewer.clinic();
    let chart = myotome_clinic::patients::chart(&state.clinic, &caller, patient)
        .await
        .map_err(|e| in_page(viewer)(ApiError::from(e)))?;
    let lots = myotome_clinic::lots::given_to(&state.clinic, &caller, patient)
        .await
        .map_err(|e| in_page(viewer)(ApiError::from(e)))?;
    let today = state.clinic.clock.today();
    let term = |expected: bool| {
        state
            .data
            .event_terms
            .iter()
            .filter(|t| t.expected == expected)
            .map(|t| Choice {
                value: t.id.clone(),
                label: t.label.clone(),
                selected: t.id == typed.term,
            })
            .collect()
    };
    let mut visits = vec![Choice {
        value: String::new(),
        label: "— not linked to a visit —".to_owned(),
        selected: typed.appointment.is_empty(),
    }];
    let mut held: Vec<_> = chart
        .appointments
        .iter()
        .filter(|a| {
            // The visit linked now stays offered whatever became of it, so saving does not
            // silently unlink it.
            a.id.to_string() == typed.appointment.trim()
                || (a.details.date <= today
                    && matches!(
                        a.details.status,
                        AppointmentStatus::Completed | AppointmentStatus::Booked
                    ))
        })
        .collect();
    held.sort_by_key(|a| std::cmp::Reverse((a.details.date, a.id)));
    visits.extend(held.into_iter().map(|a| Choice {
        value: a.id.to_string(),
        label: format!("{} — {} (visit {})", a.details.date, a.details.label, a.id),
        selected: a.id.to_string() == typed.appointment.trim(),
    }));
    let mut lot_choices = vec![Choice {
        value: String::new(),
        label: "— no product involved —".to_owned(),
        selected: typed.lot.is_empty(),
    }];
    for given in &lots {
        let value = given.lot.id.to_string();
        if lot_choices.iter().any(|c| c.value == value) {
            continue;
        }
        lot_choices.push(Choice {
            selected: value == typed.lot.trim(),
            label: format!(
                "Lot {} — {}{}",
                given.lot.details.lot_number,
                given.product.details.name,
                given
                    .event
                    .event
                    .appointment_id
                    .map(|a| format!(" (visit {a})"))
                    .unwrap_or_default()
            ),
            value,
        });
    }
    Ok(EventForm {
        action: target.action,
        via: target.via.as_str(),
        version: target.version,
        report: target.report,
        expected_terms: term(true),
        risk_terms: term(false),
        description: typed.description.clone(),
        onset_on: typed.onset_on.clone(),
        grades: Grade::ALL
            .into_iter()
            .map(|g| GradeChoice {
                value: g.number(),
                label: g.label(),
                definition: g.definition(),
                checked: g.number().to_string() == typed.grade.trim(),
            })
            .collect(),
        grading_source: GRADING_SOURCE,
        serious: SeriousCriterion::ALL
            .into_iter()
            .map(|c| Choice {
                value: c.as_str().to_owned(),
                label: c.label().to_owned(),
                selected: typed.serious.iter().any(|s| s == c.as_str()),
            })
            .collect(),
        seriousness_source: SERIOUSNESS_SOURCE,
        procedure_causality: causality_choices(
            typed.procedure_causality.trim(),
            Some("— choose —"),
        ),
        product_causality: causality_choices(
            typed.product_causality.trim(),
            Some("— no product given —"),
        ),
        causality_source: CAUSALITY_SOURCE,
        actions_taken: typed.actions_taken.clone(),
        outcomes: EventOutcome::ALL
            .into_iter()
            .map(|o| Choice {
                value: o.as_str().to_owned(),
                label: o.label().to_owned(),
                selected: o.as_str() == typed.outcome.trim(),
            })
            .collect(),
        ended_on: typed.ended_on.clone(),
        visits,
        lots: lot_choices,
        errors,
    })
}

#[derive(Template)]
#[template(path = "ui/adverse_events/new.html")]
struct NewPage {
    chrome: Chrome,
    title: String,
    patient_id: i64,
    patient: String,
    via_label: &'static str,
    form: EventForm,
}

#[derive(Debug, Default, serde::Deserialize)]
struct NewParams {
    #[serde(default)]
    via: Option<String>,
    #[serde(default)]
    visit: Option<String>,
    /// A patient's report (its id) to record.
    #[serde(default)]
    report: Option<String>,
}

async fn render_new(
    state: &AppState,
    viewer: &Viewer,
    patient: PatientId,
    (via, report): (ReportedVia, Option<i64>),
    typed: &EventInput,
    errors: FieldErrors,
) -> Result<Response, UiError> {
    let failed = !errors.is_empty();
    let form = event_form(
        state,
        viewer,
        patient,
        FormTarget {
            action: format!("/patients/{patient}/adverse-events"),
            via,
            version: None,
            report,
        },
        typed,
        errors,
    )
    .await?;
    let chart = myotome_clinic::patients::chart(&state.clinic, &viewer.clinic(), patient)
        .await
        .map_err(|e| in_page(viewer)(ApiError::from(e)))?;
    let name = format!(
        "{} {}",
        chart.patient.details.given_names, chart.patient.details.family_name
    );
    let page = NewPage {
        chrome: Chrome::for_viewer(viewer, "/patients"),
        title: format!("Record an adverse event — {name}"),
        patient_id: patient.0,
        patient: name,
        via_label: via.label(),
        form,
    };
    Ok(if failed {
        html(StatusCode::UNPROCESSABLE_ENTITY, &page)
    } else {
        ok(&page)
    })
}

async fn new_page(
    page: Page<need::ChartWrite>,
    State(state): State<AppState>,
    PathText(id): PathText,
    query: Result<axum::extract::Query<NewParams>, QueryRejection>,
) -> Result<Response, UiError> {
    let viewer = &page.viewer;
    let patient = PatientId(id_in_path(&id, "patient").map_err(in_page(viewer))?);
    let params = query.map(|q| q.0).unwrap_or_default();
    let via = params
        .via
        .as_deref()
        .and_then(ReportedVia::parse)
        .unwrap_or(ReportedVia::Chart);
    let today = state.clinic.clock.today();
    let report = params
        .report
        .as_deref()
        .and_then(|r| r.trim().parse::<i64>().ok());
    // The patient's own words start the description.
    let told = match report {
        Some(id) => adverse_events::reports_waiting(&state.clinic, &viewer.clinic())
            .await
            .map_err(|e| in_page(viewer)(ApiError::from(e)))?
            .into_iter()
            .find(|w| w.report.id.0 == id && w.report.patient_id == patient)
            .map(|w| format!("The patient wrote: “{}”", w.report.text)),
        None => None,
    };
    let typed = EventInput {
        onset_on: today.to_string(),
        appointment: params.visit.unwrap_or_default(),
        outcome: EventOutcome::Ongoing.as_str().to_owned(),
        description: told.unwrap_or_default(),
        ..EventInput::default()
    };
    render_new(
        &state,
        viewer,
        patient,
        (via, report),
        &typed,
        FieldErrors::none(),
    )
    .await
}

async fn record(
    page: Page<need::ChartWrite>,
    State(state): State<AppState>,
    PathText(id): PathText,
    form: Fields,
) -> Result<Response, UiError> {
    let viewer = &page.viewer;
    let patient = PatientId(id_in_path(&id, "patient").map_err(in_page(viewer))?);
    let via = ReportedVia::parse(form.get("via")).unwrap_or(ReportedVia::Chart);
    let report = form.get("report").trim().parse::<i64>().ok();
    let input = input_of(&form);
    let caller = viewer.clinic();
    let recorded = match report {
        Some(id) => {
            adverse_events::record_reported(
                &state.clinic,
                &caller,
                myotome_store::PatientReportId(id),
                &input,
            )
            .await
        }
        None => adverse_events::record(&state.clinic, &caller, patient, via, &input).await,
    };
    match recorded {
        Ok(event) => Ok(see_other(&format!(
            "/adverse-events/{}?recorded=1",
            event.id
        ))),
        Err(error @ ClinicError::Invalid(_)) => {
            let errors = FieldErrors::from_api(&ApiError::from(error), &[]);
            render_new(&state, viewer, patient, (via, report), &input, errors).await
        }
        Err(error) => Err(in_page(viewer)(ApiError::from(error))),
    }
}

/// An event in words.
pub struct EventSummary {
    pub id: i64,
    pub term: String,
    pub grade: String,
    pub serious: Vec<&'static str>,
    pub procedure_causality: &'static str,
    pub product_causality: Option<&'static str>,
    pub outcome: String,
    pub onset_on: String,
    pub description: String,
    pub actions_taken: String,
    pub visit_href: Option<String>,
    pub visit: Option<String>,
    pub lot_href: Option<String>,
    pub lot: Option<String>,
    pub reported_via: &'static str,
    pub in_error: Option<String>,
    pub attention: bool,
}

pub fn summary(state: &AppState, viewer: &Viewer, event: &AdverseEvent) -> EventSummary {
    let d = &event.details;
    EventSummary {
        id: event.id.0,
        term: state.data.event_terms.label(&d.term).to_owned(),
        grade: format!("Grade {} — {}", d.grade.number(), d.grade.label()),
        serious: d.serious.iter().map(|c| c.label()).collect(),
        procedure_causality: d.procedure_causality.label(),
        product_causality: d.product_causality.map(Causality::label),
        outcome: match d.ended_on {
            Some(on) => format!("{} on {on}", d.outcome.label()),
            None => d.outcome.label().to_owned(),
        },
        onset_on: d.onset_on.to_string(),
        description: d.description.clone(),
        actions_taken: d.actions_taken.clone(),
        visit_href: d.appointment_id.map(|a| format!("/appointments/{a}")),
        visit: d.appointment_id.map(|a| format!("visit {a}")),
        lot_href: d.lot_id.map(|l| format!("/lots/{l}")),
        lot: d.lot_id.map(|l| format!("lot {l}")),
        reported_via: event.reported_via.label(),
        in_error: event.in_error.as_ref().map(|w| {
            format!(
                "Marked as recorded in error {}: {}",
                viewer.time(w.at),
                w.reason
            )
        }),
        attention: event.needs_attention(),
    }
}

/// A version as the history lists it.
pub struct VersionRow {
    pub version: i64,
    pub at: String,
    pub what: String,
}

#[derive(Template)]
#[template(path = "ui/adverse_events/event.html")]
struct EventPage {
    chrome: Chrome,
    title: String,
    patient_id: i64,
    event: EventSummary,
    recorded: bool,
    versions: Vec<VersionRow>,
    /// A clinician may mark it recorded in error (the version it was read at goes with it).
    may_mark: bool,
    version: i64,
    form: Option<EventForm>,
    /// The lot to quarantine, with the reason to give.
    quarantine: Option<(i64, String)>,
    reason_error: Option<String>,
}

async fn render_event(
    state: &AppState,
    viewer: &Viewer,
    id: AdverseEventId,
    recorded: bool,
    retry: Option<(&EventInput, FieldErrors)>,
    reason_error: Option<String>,
) -> Result<Response, UiError> {
    let caller = viewer.clinic();
    let (event, revisions) = adverse_events::history(&state.clinic, &caller, id)
        .await
        .map_err(|e| in_page(viewer)(ApiError::from(e)))?;
    let may_write = viewer.may(Permission::ChartWrite) && event.in_error.is_none();
    let failed = retry.is_some() || reason_error.is_some();
    let form = if may_write {
        let standing = input_from(&event.details);
        let (typed, errors) = match &retry {
            Some((typed, errors)) => (*typed, errors.clone()),
            None => (&standing, FieldErrors::none()),
        };
        Some(
            event_form(
                state,
                viewer,
                event.patient_id,
                FormTarget {
                    action: format!("/adverse-events/{id}"),
                    via: event.reported_via,
                    version: Some(event.version),
                    report: None,
                },
                typed,
                errors,
            )
            .await?,
        )
    } else {
        None
    };
    let lot_view = match event.details.lot_id {
        Some(lot) => myotome_clinic::lots::get(&state.clinic, &caller, lot)
            .await
            .ok(),
        None => None,
    };
    let lot_status = lot_view
        .as_ref()
        .filter(|_| viewer.may(Permission::LotReceive))
        .map(|view| view.standing.status);
    let quarantine = adverse_events::offers_quarantine(&event, lot_status)
        .then(|| {
            event.details.lot_id.map(|lot| {
                (
                    lot.0,
                    format!(
                        "Adverse event {} ({}): the product judged a {} cause",
                        event.id,
                        state.data.event_terms.label(&event.details.term),
                        event
                            .details
                            .product_causality
                            .map(|c| c.label().to_lowercase())
                            .unwrap_or_default()
                    ),
                )
            })
        })
        .flatten();
    let versions = revisions
        .iter()
        .map(|r| VersionRow {
            version: r.version,
            at: viewer.time(r.recorded_at),
            what: format!(
                "{} · grade {} · {}{} · procedure: {}{}",
                state.data.event_terms.label(&r.details.term),
                r.details.grade.number(),
                r.details.outcome.label(),
                r.details
                    .ended_on
                    .map(|d| format!(" on {d}"))
                    .unwrap_or_default(),
                r.details.procedure_causality.label(),
                r.details
                    .product_causality
                    .map(|c| format!(" · product: {}", c.label()))
                    .unwrap_or_default()
            ),
        })
        .collect();
    let mut summary = summary(state, viewer, &event);
    if let Some(view) = &lot_view {
        summary.lot = Some(format!(
            "lot {} ({})",
            view.ledger.lot.details.lot_number, view.ledger.product.details.name
        ));
    }
    let page = EventPage {
        chrome: Chrome::for_viewer(viewer, "/patients"),
        title: format!("Adverse event {} — {}", event.id, summary.term),
        patient_id: event.patient_id.0,
        event: summary,
        recorded,
        versions,
        may_mark: may_write && viewer.may(Permission::AdverseEventAssess),
        version: event.version,
        form,
        quarantine,
        reason_error,
    };
    Ok(if failed {
        html(StatusCode::UNPROCESSABLE_ENTITY, &page)
    } else {
        ok(&page)
    })
}

#[derive(Debug, Default, serde::Deserialize)]
struct EventParams {
    #[serde(default)]
    recorded: Option<String>,
}

async fn event_page(
    page: Page<need::PatientRead>,
    State(state): State<AppState>,
    PathText(id): PathText,
    query: Result<axum::extract::Query<EventParams>, QueryRejection>,
) -> Result<Response, UiError> {
    let viewer = &page.viewer;
    let id = AdverseEventId(id_in_path(&id, "adverse event").map_err(in_page(viewer))?);
    let recorded = query.is_ok_and(|q| q.0.recorded.is_some());
    render_event(&state, viewer, id, recorded, None, None).await
}

async fn update(
    page: Page<need::ChartWrite>,
    State(state): State<AppState>,
    PathText(id): PathText,
    form: Fields,
) -> Result<Response, UiError> {
    let viewer = &page.viewer;
    let id = AdverseEventId(id_in_path(&id, "adverse event").map_err(in_page(viewer))?);
    let version = version_read(&form).map_err(in_page(viewer))?;
    let input = input_of(&form);
    match adverse_events::update(&state.clinic, &viewer.clinic(), id, version, &input).await {
        Ok(event) => Ok(see_other(&format!("/adverse-events/{}", event.id))),
        Err(error @ ClinicError::Invalid(_)) => {
            let errors = FieldErrors::from_api(&ApiError::from(error), &[]);
            render_event(&state, viewer, id, false, Some((&input, errors)), None).await
        }
        Err(error) => Err(in_page(viewer)(ApiError::from(error))),
    }
}

/// The version of the event the form was made from (a hidden field).
fn version_read(form: &Fields) -> Result<i64, ApiError> {
    form.get("version").trim().parse().map_err(|_| {
        ApiError::Conflict(
            "The form lost which version of the event it changes; open the event again.".to_owned(),
        )
    })
}

async fn mark_in_error(
    page: Page<need::AdverseEventAssess>,
    State(state): State<AppState>,
    PathText(id): PathText,
    form: Fields,
) -> Result<Response, UiError> {
    let viewer = &page.viewer;
    let id = AdverseEventId(id_in_path(&id, "adverse event").map_err(in_page(viewer))?);
    let version = version_read(&form).map_err(in_page(viewer))?;
    match adverse_events::mark_in_error(
        &state.clinic,
        &viewer.clinic(),
        id,
        version,
        form.get("reason"),
    )
    .await
    {
        Ok(event) => Ok(see_other(&format!("/adverse-events/{}", event.id))),
        Err(error @ ClinicError::Invalid(_)) => {
            let errors = FieldErrors::from_api(&ApiError::from(error), &[]);
            let sentence = errors.get("reason").unwrap_or("is required").to_owned();
            render_event(&state, viewer, id, false, None, Some(sentence)).await
        }
        Err(error) => Err(in_page(viewer)(ApiError::from(error))),
    }
}

async fn dismiss_report(
    page: Page<need::ChartWrite>,
    State(state): State<AppState>,
    PathText(id): PathText,
    form: Fields,
) -> Result<Response, UiError> {
    let viewer = &page.viewer;
    let id = myotome_store::PatientReportId(
        id_in_path(&id, "patient's report").map_err(in_page(viewer))?,
    );
    adverse_events::dismiss_report(&state.clinic, &viewer.clinic(), id, form.get("note"))
        .await
        .map_err(|e| in_page(viewer)(ApiError::from(e)))?;
    Ok(see_other("/outcomes#patient-reports"))
}

// --- The safety report -------------------------------------------------------------------------

#[derive(Debug, Default, serde::Deserialize)]
struct SafetyParams {
    #[serde(default)]
    protocol: Option<String>,
    #[serde(default)]
    lot: Option<String>,
    #[serde(default)]
    from: Option<String>,
    #[serde(default)]
    until: Option<String>,
}

/// The query the use case takes (a lot when one is chosen, else the protocol — IMS when none
/// is named), each problem at its field.
fn safety_query(state: &AppState, params: &SafetyParams) -> Result<SafetyQuery, FieldErrors> {
    let mut errors = FieldErrors::none();
    let mut date = |field: &str, value: &Option<String>| {
        blank_is_none(value).and_then(|text| match myotome_clinic::validate::parse_date(&text) {
            Ok(date) => Some(date),
            Err(sentence) => {
                errors.add(field, sentence);
                None
            }
        })
    };
    let from = date("from", &params.from);
    let until = date("until", &params.until);
    let scope = match blank_is_none(&params.lot) {
        Some(text) => match text.parse::<i64>() {
            Ok(id) => SafetyScope::Lot(myotome_store::LotId(id)),
            Err(_) => {
                errors.add("lot", "choose a lot from the list");
                SafetyScope::Lot(myotome_store::LotId(0))
            }
        },
        None => SafetyScope::Protocol(blank_is_none(&params.protocol).unwrap_or_else(|| {
            state
                .data
                .protocols
                .get("ims")
                .or_else(|| state.data.protocols.iter().next())
                .map(|l| l.protocol.id.to_string())
                .unwrap_or_default()
        })),
    };
    if errors.is_empty() {
        Ok(SafetyQuery { scope, from, until })
    } else {
        Err(errors)
    }
}

pub struct RateRow {
    pub term: String,
    pub expected: bool,
    pub events: u64,
    pub affected: u64,
    pub per_100: String,
    pub interval: String,
    pub grades: Vec<String>,
    pub serious: u64,
}

fn per_100(p: &myotome_core::statistics::Proportion) -> (String, String) {
    match (p.estimate, p.low, p.high) {
        (Some(e), Some(l), Some(h)) => (
            format!("{:.1}", e * 100.0),
            format!("{:.1} to {:.1}", l * 100.0, h * 100.0),
        ),
        _ => ("—".to_owned(), "—".to_owned()),
    }
}

#[derive(Template)]
#[template(path = "ui/safety/report.html")]
struct SafetyPage {
    chrome: Chrome,
    title: String,
    protocols: Vec<Choice>,
    lots: Vec<Choice>,
    from: String,
    until: String,
    errors: FieldErrors,
    report_title: String,
    procedures: u64,
    events: u64,
    rates: Vec<RateRow>,
    serious: Vec<EventSummary>,
    csv_href: String,
    grading_source: &'static str,
    as_of: String,
}

async fn safety_page(
    page: Page<need::OutcomeRead>,
    State(state): State<AppState>,
    query: Result<axum::extract::Query<SafetyParams>, QueryRejection>,
) -> Result<Response, UiError> {
    let viewer = &page.viewer;
    let caller = viewer.clinic();
    let params = query.map(|q| q.0).unwrap_or_default();
    let (query, errors) = match safety_query(&state, &params) {
        Ok(query) => (query, FieldErrors::none()),
        Err(errors) => (
            safety_query(&state, &SafetyParams::default()).map_err(|_| {
                in_page(viewer)(ApiError::Conflict("no protocol is loaded".to_owned()))
            })?,
            errors,
        ),
    };
    let (report, errors) = match adverse_events::safety_report(&state.clinic, &caller, &query).await
    {
        Ok(report) => (report, errors),
        Err(error @ ClinicError::Invalid(_)) => {
            let errors = FieldErrors::from_api(&ApiError::from(error), &[]);
            let fallback = SafetyQuery {
                from: None,
                until: None,
                ..query.clone()
            };
            let report = adverse_events::safety_report(&state.clinic, &caller, &fallback)
                .await
                .map_err(|e| in_page(viewer)(ApiError::from(e)))?;
            (report, errors)
        }
        Err(error) => return Err(in_page(viewer)(ApiError::from(error))),
    };
    let lots = myotome_clinic::lots::inventory(&state.clinic, &caller)
        .await
        .map_err(|e| in_page(viewer)(ApiError::from(e)))?;
    let chosen_protocol = match &query.scope {
        SafetyScope::Protocol(p) => p.clone(),
        SafetyScope::Lot(_) => String::new(),
    };
    let chosen_lot = match &query.scope {
        SafetyScope::Lot(l) => l.to_string(),
        SafetyScope::Protocol(_) => String::new(),
    };
    let mut lot_choices = vec![Choice {
        value: String::new(),
        label: "— every lot (by protocol) —".to_owned(),
        selected: chosen_lot.is_empty(),
    }];
    lot_choices.extend(lots.iter().map(|v| Choice {
        value: v.ledger.lot.id.to_string(),
        label: format!(
            "Lot {} — {}",
            v.ledger.lot.details.lot_number, v.ledger.product.details.name
        ),
        selected: v.ledger.lot.id.to_string() == chosen_lot,
    }));
    let rates = report
        .rates
        .iter()
        .map(|r| {
            let (per, interval) = per_100(&r.procedures);
            RateRow {
                term: state.data.event_terms.label(&r.term).to_owned(),
                expected: state
                    .data
                    .event_terms
                    .get(&r.term)
                    .is_some_and(|t| t.expected),
                events: r.events,
                affected: r.procedures.events,
                per_100: per,
                interval,
                grades: r
                    .by_grade
                    .iter()
                    .map(|(g, p)| {
                        let (per, interval) = per_100(p);
                        format!(
                            "grade {}: {} ({per} per 100; {interval})",
                            g.number(),
                            p.events
                        )
                    })
                    .collect(),
                serious: r.serious,
            }
        })
        .collect();
    let mut csv_href = String::from("/safety.csv?");
    match &query.scope {
        SafetyScope::Protocol(p) => csv_href.push_str(&format!("protocol={p}")),
        SafetyScope::Lot(l) => csv_href.push_str(&format!("lot={l}")),
    }
    if let Some(from) = report.query.from {
        csv_href.push_str(&format!("&from={from}"));
    }
    if let Some(until) = report.query.until {
        csv_href.push_str(&format!("&until={until}"));
    }
    let failed = !errors.is_empty();
    let page = SafetyPage {
        chrome: Chrome::for_viewer(viewer, "/safety"),
        title: format!("Safety report — {}", report.title),
        protocols: state
            .data
            .protocols
            .iter()
            .map(|l| Choice {
                value: l.protocol.id.to_string(),
                label: l.protocol.title.clone(),
                selected: l.protocol.id.to_string() == chosen_protocol,
            })
            .collect(),
        lots: lot_choices,
        from: params.from.clone().unwrap_or_default(),
        until: params.until.clone().unwrap_or_default(),
        errors,
        report_title: report.title.clone(),
        procedures: report.procedures,
        events: report.events,
        rates,
        serious: report
            .serious
            .iter()
            .map(|e| summary(&state, viewer, e))
            .collect(),
        csv_href,
        grading_source: GRADING_SOURCE,
        as_of: report.as_of.to_string(),
    };
    Ok(if failed {
        html(StatusCode::UNPROCESSABLE_ENTITY, &page)
    } else {
        ok(&page)
    })
}

async fn safety_csv(
    page: Page<need::OutcomeRead>,
    State(state): State<AppState>,
    query: Result<axum::extract::Query<SafetyParams>, QueryRejection>,
) -> Result<Response, UiError> {
    let viewer = &page.viewer;
    let params = query.map(|q| q.0).unwrap_or_default();
    let query = safety_query(&state, &params).map_err(|errors| {
        in_page(viewer)(ApiError::Invalid {
            message: "The report's filters are not readable; open the safety report and choose them again.".to_owned(),
            fields: errors
                .others(&[])
                .into_iter()
                .map(|(f, m)| (f.to_owned(), m.to_owned()))
                .collect(),
        })
    })?;
    let report = adverse_events::safety_report(&state.clinic, &viewer.clinic(), &query)
        .await
        .map_err(|e| in_page(viewer)(ApiError::from(e)))?;
    let text = adverse_events::safety_csv(&state.clinic, &report)
        .map_err(|e| in_page(viewer)(ApiError::from(e)))?;
    Ok(crate::ui::render::csv_download(text, "safety-report.csv"))
}
