//! The chart: demographics, weight, conditions / medications / allergies with where each came
//! from, candidate forms, screenings, plans and appointments, and one timeline of all of them,
//! newest first. The weight and record forms post here and come back to the chart (303), or
//! re-render it with the problem at the field (422).
//!
//! Reading the chart is one store read with the viewer's actor, [`Store::patient_chart`]: the
//! same queries as the API's `GET /patients/{id}` family, in one transaction, audited as one
//! `chart.read` event (each audited read is a commit; seven of them made the page slow). Plans
//! are read only when the role may read plans.
//!
//! [`Store::patient_chart`]: myotome_store::Store::patient_chart

use super::{display_name, patient_id};
use crate::error::ApiError;
use crate::permissions::{Permission, need};
use crate::state::AppState;
use crate::ui::alerts::{self, SafetyStrip};
use crate::ui::form::{FieldErrors, Fields};
use crate::ui::layout::Chrome;
use crate::ui::page::{Page, Viewer};
use crate::ui::render::{UiError, html, in_page, ok, see_other};
use crate::wire::patients::sex_word;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use jiff::civil::Date;
use myotome_clinic::patients::{self, weight_entry};
use myotome_clinic::records;
use myotome_clinic::safety::PatientSafety;
use myotome_core::terminology::system_label;
use myotome_store::{
    Appointment, AppointmentKind, AppointmentStatus, ClinicalRecord, IntakeChannel, IntakeForm,
    Patient, PatientId, PlanStatus, RecordKind, RecordSource, StoredScreening, TreatmentPlan, User,
    UserId, WeightEntry,
};

/// The code systems the record form offers (short names the API accepts).
const SYSTEMS: [(&str, &str); 3] = [
    ("snomed", "SNOMED CT"),
    ("icd10cm", "ICD-10-CM"),
    ("rxnorm", "RxNorm"),
];
/// Record statuses the form offers, most used first (FHIR words, as the API takes them).
const STATUSES: [&str; 9] = [
    "active",
    "inactive",
    "resolved",
    "remission",
    "recurrence",
    "completed",
    "stopped",
    "on-hold",
    "entered-in-error",
];

/// Whole years from `born` to `on`.
fn age(born: Date, on: Date) -> i32 {
    let years = i32::from(on.year()) - i32::from(born.year());
    if (on.month(), on.day()) < (born.month(), born.day()) {
        years - 1
    } else {
        years
    }
}

fn kg_text(grams: u32) -> String {
    let kg = f64::from(grams) / 1000.0;
    let text = format!("{kg:.1}");
    text.strip_suffix(".0").map_or(text.clone(), str::to_owned)
}

struct Demographics {
    id: PatientId,
    name: String,
    birth_date: String,
    age: Option<i32>,
    sex: &'static str,
    deceased: Option<String>,
    identifiers: Vec<(String, String)>,
    phone: String,
    email: String,
    address: String,
}

struct RecordView {
    label: String,
    codes: Vec<String>,
    status: &'static str,
    /// Still counts (active, recurrence, relapse) — shown with a word, not only a colour.
    current: bool,
    start: String,
    end: String,
    /// `Some(system)` for an imported record.
    imported_from: Option<String>,
}

struct IntakeView {
    submitted: String,
    from_public_form: bool,
    yes: Vec<String>,
    no: Vec<String>,
    reported: Vec<String>,
    /// Where the problem is, as the catalogue names the regions.
    regions: Vec<String>,
    /// Who entered it (a clinician recording the patient's answers); empty for the public form.
    by: String,
    note: Option<String>,
}

/// One lot a patient received (look-back).
struct LotGivenView {
    href: String,
    lot: String,
    product: String,
    what: &'static str,
    date: String,
    /// A recall or quarantine on the lot now.
    warning: Option<&'static str>,
}

struct ScreeningView {
    href: String,
    created: String,
    protocol: String,
    version: String,
    verdict: String,
    verdict_class: &'static str,
    signed: Option<String>,
}

struct PlanView {
    id: i64,
    href: String,
    /// "Re-screen before treatment" and worse-screening flags, as sentences.
    flags: Vec<String>,
    created: String,
    protocol: String,
    indication: String,
    region: String,
    status: &'static str,
}

struct AppointmentView {
    plan_id: Option<i64>,
    booked: bool,
    /// Shown beside a booked visit whose plan needs a re-screen.
    flag: Option<&'static str>,
    href: String,
    date: String,
    time: String,
    label: String,
    kind: &'static str,
    status: &'static str,
    clinician: String,
}

struct TimelineEntry {
    date: Date,
    /// What it is: "Condition", "Screening", …
    what: &'static str,
    text: String,
    href: Option<String>,
}

/// What the weight form shows.
#[derive(Default)]
struct WeightForm {
    kg: String,
    measured_on: String,
    errors: FieldErrors,
}

/// What the record form shows.
struct RecordForm {
    kind: String,
    system: String,
    code: String,
    text: String,
    status: String,
    start: String,
    errors: FieldErrors,
}

impl Default for RecordForm {
    fn default() -> Self {
        Self {
            kind: "condition".to_owned(),
            system: String::new(),
            code: String::new(),
            text: String::new(),
            status: "active".to_owned(),
            start: String::new(),
            errors: FieldErrors::none(),
        }
    }
}

#[derive(Template)]
#[template(path = "ui/patients/chart.html")]
struct ChartPage {
    chrome: Chrome,
    title: String,
    patient: Demographics,
    notice: Option<&'static str>,
    may_edit: bool,
    may_chart: bool,
    may_screen: bool,
    may_plan: bool,
    may_read_plans: bool,
    latest_weight: Option<(String, String)>,
    earlier_weights: Vec<(String, String)>,
    conditions: Vec<RecordView>,
    medications: Vec<RecordView>,
    allergies: Vec<RecordView>,
    intakes: Vec<IntakeView>,
    screenings: Vec<ScreeningView>,
    plans: Vec<PlanView>,
    appointments: Vec<AppointmentView>,
    /// Adverse events, the latest onset first.
    adverse_events: Vec<crate::ui::adverse_events::EventSummary>,
    timeline: Vec<TimelineEntry>,
    safety: SafetyStrip,
    /// This chart was merged into that one (its records are there now).
    merged_into: Option<i64>,
    /// The charts merged into this one, as sentences.
    merges: Vec<String>,
    /// Look-back: the biologic lots issued to or given at this patient's visits.
    lots: Vec<LotGivenView>,
    may_merge: bool,
    merge_form: MergeForm,
    /// Booking a visit outside any plan (a consultation, a review), for who may book.
    may_book: bool,
    visit_form: VisitForm,
    /// Clinicians to book with: (id, name).
    clinicians: Vec<(String, String)>,
    weight_form: WeightForm,
    record_form: RecordForm,
    systems: [(&'static str, &'static str); 3],
    statuses: [&'static str; 9],
}

/// Everything on a chart, read through the store as the viewer.
struct ChartData {
    patient: Patient,
    weights: Vec<WeightEntry>,
    records: Vec<ClinicalRecord>,
    intakes: Vec<IntakeForm>,
    screenings: Vec<StoredScreening>,
    plans: Vec<TreatmentPlan>,
    appointments: Vec<Appointment>,
    adverse_events: Vec<myotome_store::AdverseEvent>,
    users: Vec<User>,
}

async fn read_chart(
    state: &AppState,
    viewer: &Viewer,
    id: PatientId,
) -> Result<ChartData, ApiError> {
    let caller = viewer.clinic();
    let (chart, users) = tokio::try_join!(
        async {
            myotome_clinic::patients::chart(&state.clinic, &caller, id)
                .await
                .map_err(ApiError::from)
        },
        async { state.store.users().await.map_err(ApiError::from) },
    )?;
    Ok(ChartData {
        patient: chart.patient,
        weights: chart.weights,
        records: chart.records,
        intakes: chart.intakes,
        screenings: chart.screenings,
        plans: chart.plans,
        appointments: chart.appointments,
        adverse_events: chart.adverse_events,
        users,
    })
}

fn user_name(users: &[User], id: Option<UserId>) -> String {
    id.and_then(|id| users.iter().find(|u| u.id == id))
        .map_or_else(String::new, |u| u.display_name.clone())
}

fn record_label(record: &ClinicalRecord) -> String {
    let d = &record.details;
    d.text
        .clone()
        .filter(|t| !t.trim().is_empty())
        .or_else(|| d.codings.iter().find_map(|c| c.display.clone()))
        .or_else(|| {
            d.codings
                .first()
                .map(|c| format!("{} {}", system_label(&c.system), c.code))
        })
        .unwrap_or_else(|| "(no name recorded)".to_owned())
}

fn record_view(record: &ClinicalRecord) -> RecordView {
    let d = &record.details;
    let status = d.status.as_str();
    RecordView {
        label: record_label(record),
        codes: d
            .codings
            .iter()
            .map(|c| match &c.display {
                Some(display) => format!("{} {} ({display})", system_label(&c.system), c.code),
                None => format!("{} {}", system_label(&c.system), c.code),
            })
            .collect(),
        status,
        current: matches!(status, "active" | "recurrence" | "relapse"),
        start: d.start.map_or_else(String::new, |d| d.to_string()),
        end: d.end.map_or_else(String::new, |d| d.to_string()),
        imported_from: match &record.source {
            RecordSource::Imported { system, .. } => Some(system.clone()),
            RecordSource::Entered { .. } => None,
        },
    }
}

fn plan_status_word(status: PlanStatus) -> &'static str {
    match status {
        PlanStatus::Active => "Active",
        PlanStatus::Completed => "Completed",
        PlanStatus::Cancelled => "Cancelled",
    }
}

fn appointment_status_word(status: AppointmentStatus) -> &'static str {
    match status {
        AppointmentStatus::Booked => "Booked",
        AppointmentStatus::Completed => "Completed",
        AppointmentStatus::Cancelled => "Cancelled",
        AppointmentStatus::NoShow => "Did not attend",
    }
}

fn kind_word(kind: RecordKind) -> &'static str {
    match kind {
        RecordKind::Condition => "Condition",
        RecordKind::Medication => "Medication",
        RecordKind::Allergy => "Allergy",
    }
}

impl ChartPage {
    fn new(state: &AppState, viewer: &Viewer, data: ChartData) -> Self {
        let data_ = &state.data;
        let protocol_title = |id: &str| {
            data_
                .protocols
                .get(id)
                .map_or_else(|| id.to_owned(), |p| p.protocol.title.clone())
        };
        let concept_label = |id: &str| {
            data_
                .terminology
                .concept(id)
                .map_or_else(|| id.to_owned(), |c| c.label.clone())
        };
        let p = &data.patient;
        let d = &p.details;
        let now = state.clock.today();
        let patient = Demographics {
            id: p.id,
            name: display_name(p),
            birth_date: d.birth_date.map_or_else(String::new, |b| b.to_string()),
            age: d
                .birth_date
                .map(|b| age(b, d.deceased.flatten().unwrap_or(now))),
            sex: d.sex.map_or("", sex_word),
            deceased: d.deceased.map(|on| {
                on.map_or_else(
                    || "Deceased (date not recorded)".to_owned(),
                    |on| format!("Deceased on {on}"),
                )
            }),
            identifiers: d
                .identifiers
                .iter()
                .map(|i| (i.system.clone(), i.value.clone()))
                .collect(),
            phone: d.contact.phone.clone().unwrap_or_default(),
            email: d.contact.email.clone().unwrap_or_default(),
            address: d.contact.address.clone().unwrap_or_default(),
        };

        let mut timeline = Vec::new();
        // Weights come newest first from the store.
        let weights: Vec<(String, String)> = data
            .weights
            .iter()
            .map(|w| (kg_text(w.grams), w.measured_on.to_string()))
            .collect();
        for w in &data.weights {
            timeline.push(TimelineEntry {
                date: w.measured_on,
                what: "Weight",
                text: format!("{} kg", kg_text(w.grams)),
                href: None,
            });
        }
        let mut conditions = Vec::new();
        let mut medications = Vec::new();
        let mut allergies = Vec::new();
        for record in &data.records {
            let view = record_view(record);
            timeline.push(TimelineEntry {
                date: record
                    .details
                    .start
                    .unwrap_or_else(|| viewer.date(record.recorded_at)),
                what: kind_word(record.details.kind),
                text: format!("{} ({})", view.label, view.status),
                href: None,
            });
            match record.details.kind {
                RecordKind::Condition => conditions.push(view),
                RecordKind::Medication => medications.push(view),
                RecordKind::Allergy => allergies.push(view),
            }
        }
        let terminology = &data_.terminology;
        let intakes = data
            .intakes
            .iter()
            .map(|form| {
                let question = |id: &str| {
                    terminology
                        .intake_question(id)
                        .map_or_else(|| id.to_owned(), |q| q.question.clone())
                };
                let from_public_form = form.channel == IntakeChannel::CandidateForm;
                timeline.push(TimelineEntry {
                    date: viewer.date(form.submitted_at),
                    what: "Candidate form",
                    text: if from_public_form {
                        "Submitted through the public “Am I a candidate?” form".to_owned()
                    } else {
                        "Entered by the clinic".to_owned()
                    },
                    href: None,
                });
                IntakeView {
                    submitted: viewer.date(form.submitted_at).to_string(),
                    from_public_form,
                    yes: form
                        .answers
                        .iter()
                        .filter(|(_, a)| *a)
                        .map(|(q, _)| question(q))
                        .collect(),
                    no: form
                        .answers
                        .iter()
                        .filter(|(_, a)| !*a)
                        .map(|(q, _)| question(q))
                        .collect(),
                    reported: form
                        .reported_conditions
                        .iter()
                        .map(|c| concept_label(c))
                        .collect(),
                    regions: form
                        .regions
                        .iter()
                        .map(|r| {
                            data_
                                .catalog
                                .region(r)
                                .map_or_else(|| r.clone(), |region| region.label.clone())
                        })
                        .collect(),
                    by: user_name(&data.users, form.submitted_by),
                    note: form.note.clone(),
                }
            })
            .collect();
        let screenings = data
            .screenings
            .iter()
            .map(|s| {
                let (verdict, verdict_class) = crate::ui::screening::verdict_words(s);
                let href = format!("/screenings/{}", s.id);
                let protocol = protocol_title(&s.protocol_id);
                timeline.push(TimelineEntry {
                    date: viewer.date(s.created_at),
                    what: "Screening",
                    text: format!(
                        "{protocol} (version {}): {verdict}{}",
                        s.protocol_version,
                        if s.signature.is_some() {
                            ", signed"
                        } else {
                            ", not signed"
                        }
                    ),
                    href: Some(href.clone()),
                });
                ScreeningView {
                    href,
                    created: viewer.date(s.created_at).to_string(),
                    protocol,
                    version: s.protocol_version.clone(),
                    verdict,
                    verdict_class,
                    signed: s.signature.as_ref().map(|sig| {
                        let by = user_name(&data.users, Some(sig.by));
                        format!("Signed by {by} on {}", viewer.date(sig.at))
                    }),
                }
            })
            .collect();
        let plans = data
            .plans
            .iter()
            .map(|plan| {
                let href = format!("/plans/{}", plan.id);
                let protocol = protocol_title(&plan.details.protocol_id);
                let indication = concept_label(&plan.details.indication);
                let region_label = data_
                    .catalog
                    .region(&plan.details.region)
                    .map_or_else(|| plan.details.region.clone(), |r| r.label.clone());
                let region = match &plan.details.side {
                    Some(side) => format!("{region_label}, {}", side.as_str()),
                    None => region_label,
                };
                let status = plan_status_word(plan.status);
                timeline.push(TimelineEntry {
                    date: viewer.date(plan.created_at),
                    what: "Treatment plan",
                    text: format!("{protocol}: {indication}, {region} ({status})"),
                    href: Some(href.clone()),
                });
                PlanView {
                    id: plan.id.0,
                    flags: Vec::new(),
                    href,
                    created: viewer.date(plan.created_at).to_string(),
                    protocol,
                    indication,
                    region,
                    status,
                }
            })
            .collect();
        let appointments = data
            .appointments
            .iter()
            .map(|a| {
                let href = format!("/appointments/{}", a.id);
                let status = appointment_status_word(a.details.status);
                timeline.push(TimelineEntry {
                    date: a.details.date,
                    what: "Appointment",
                    text: format!("{} ({status})", a.details.label),
                    href: Some(href.clone()),
                });
                AppointmentView {
                    plan_id: a.details.plan_id.map(|p| p.0),
                    booked: a.details.status == AppointmentStatus::Booked,
                    flag: None,
                    href,
                    date: a.details.date.to_string(),
                    time: a.details.start_time.clone().unwrap_or_default(),
                    label: a.details.label.clone(),
                    kind: match a.details.kind {
                        AppointmentKind::Session => "Session",
                        AppointmentKind::FollowUp => "Follow-up",
                    },
                    status,
                    clinician: user_name(&data.users, a.details.clinician_id),
                }
            })
            .collect();
        timeline.push(TimelineEntry {
            date: viewer.date(p.created_at),
            what: "Patient added",
            text: "Added to the clinic's records".to_owned(),
            href: None,
        });
        // Newest first; on one day, in the order above (stable sort).
        timeline.sort_by_key(|entry| std::cmp::Reverse(entry.date));

        let mut weights = weights.into_iter();
        ChartPage {
            chrome: Chrome::for_viewer(viewer, "/patients"),
            title: patient.name.clone(),
            notice: None,
            may_edit: viewer.may(Permission::PatientWrite),
            may_chart: viewer.may(Permission::ChartWrite),
            may_screen: viewer.may(Permission::ScreeningRun),
            may_plan: viewer.may(Permission::PlanWrite),
            may_read_plans: viewer.may(Permission::PlanRead),
            latest_weight: weights.next(),
            earlier_weights: weights.collect(),
            conditions,
            medications,
            allergies,
            intakes,
            screenings,
            plans,
            appointments,
            adverse_events: data
                .adverse_events
                .iter()
                .map(|e| crate::ui::adverse_events::summary(state, viewer, e))
                .collect(),
            timeline,
            patient,
            weight_form: WeightForm::default(),
            record_form: RecordForm::default(),
            systems: SYSTEMS,
            statuses: STATUSES,
            safety: SafetyStrip::default(),
            merged_into: None,
            merges: Vec::new(),
            lots: Vec::new(),
            may_merge: false,
            merge_form: MergeForm::default(),
            may_book: viewer.may(Permission::AppointmentWrite),
            visit_form: VisitForm::default(),
            clinicians: data
                .users
                .iter()
                .filter(|u| u.role == myotome_store::Role::Clinician && !u.disabled)
                .map(|u| (u.id.0.to_string(), u.display_name.clone()))
                .collect(),
        }
    }

    /// The alert strip, and each active plan's flags on the plan and its booked visits.
    fn with_safety(mut self, safety: &PatientSafety) -> Self {
        self.safety = SafetyStrip::from_safety(safety);
        for (plan, care) in &safety.plans {
            let rescreen = care.needs_rescreen();
            if let Some(view) = self.plans.iter_mut().find(|p| p.id == plan.id.0) {
                view.flags = care.flags.iter().map(|f| f.sentence()).collect();
            }
            for visit in self
                .appointments
                .iter_mut()
                .filter(|a| a.booked && a.plan_id == Some(plan.id.0))
            {
                if rescreen {
                    visit.flag = Some("Re-screen before treatment");
                }
            }
        }
        self
    }
}

pub(super) async fn chart(
    page: Page<need::PatientRead>,
    State(state): State<AppState>,
    Path(id): Path<String>,
    query: Fields,
) -> Result<Response, UiError> {
    let viewer = &page.viewer;
    let id = patient_id(&id).map_err(in_page(viewer))?;
    let data = read_chart(&state, viewer, id)
        .await
        .map_err(in_page(viewer))?;
    let safety = alerts::read(&state, viewer, id).await?;
    let merged_into = data.patient.merged_into;
    let chart = ChartPage::new(&state, viewer, data).with_safety(&safety);
    let mut chart = with_merges(&state, viewer, chart, merged_into).await?;
    chart.lots = lots_given(&state, viewer, id).await?;
    // An event's lot by its number, as the look-back names it.
    for event in &mut chart.adverse_events {
        if let Some(given) = chart
            .lots
            .iter()
            .find(|l| event.lot_href.as_deref() == Some(l.href.as_str()))
        {
            event.lot = Some(format!("lot {}", given.lot));
        }
    }
    chart.notice = match query.get("saved") {
        "1" => Some("The patient's details are saved."),
        "weight" => Some("The weight is recorded."),
        "record" => Some("The record is added."),
        "merge" => Some("The other chart is merged into this one."),
        _ => None,
    };
    // Arrived from the calendar's "Book a visit" (by way of the patient list): the visit form
    // opens on that day, with that clinician.
    if let Some(booking) = super::BookingFor::read(&query) {
        chart.visit_form.date = booking.date.to_string();
        if let Some(with) = booking.with {
            chart.visit_form.clinician = with.to_string();
        }
    }
    Ok(ok(&chart))
}

/// The lots this patient received, each with the lot's standing now (a recall shows here).
async fn lots_given(
    state: &AppState,
    viewer: &Viewer,
    patient: myotome_store::PatientId,
) -> Result<Vec<LotGivenView>, UiError> {
    let caller = viewer.clinic();
    let given = myotome_clinic::lots::given_to(&state.clinic, &caller, patient)
        .await
        .map_err(|e| in_page(viewer)(crate::error::ApiError::from(e)))?;
    let mut views = Vec::with_capacity(given.len());
    for g in given {
        let standing = myotome_clinic::lots::get(&state.clinic, &caller, g.lot.id)
            .await
            .map_err(|e| in_page(viewer)(crate::error::ApiError::from(e)))?
            .standing;
        views.push(LotGivenView {
            href: format!("/lots/{}", g.lot.id),
            lot: g.lot.details.lot_number.clone(),
            product: g.product.details.name.clone(),
            what: match g.event.event.kind {
                myotome_store::LotEventKind::Administered => "Given",
                _ => "Issued to a visit",
            },
            date: viewer.date(g.event.at).to_string(),
            warning: match standing.status {
                myotome_core::lots::LotStatus::Recalled => Some("Recalled"),
                myotome_core::lots::LotStatus::Quarantined => Some("Quarantined"),
                _ => None,
            },
        });
    }
    Ok(views)
}

/// The visit form as typed, with its problems.
#[derive(Debug, Clone, Default)]
struct VisitForm {
    label: String,
    date: String,
    start_time: String,
    minutes: String,
    clinician: String,
    errors: FieldErrors,
}

/// Books a visit outside any plan from the chart: a consultation or a review, on a date, with
/// a time, length and clinician when given. The use case checks the clinician's day.
pub(super) async fn book_visit(
    page: Page<need::AppointmentWrite>,
    State(state): State<AppState>,
    Path(id): Path<String>,
    form: Fields,
) -> Result<Response, UiError> {
    let viewer = &page.viewer;
    let id = patient_id(&id).map_err(in_page(viewer))?;
    let typed = VisitForm {
        label: form.get("label").trim().to_owned(),
        date: form.get("date").trim().to_owned(),
        start_time: form.get("start_time").trim().to_owned(),
        minutes: form.get("minutes").trim().to_owned(),
        clinician: form.get("clinician_id").trim().to_owned(),
        errors: FieldErrors::none(),
    };
    let mut problems = std::collections::BTreeMap::new();
    let date = match myotome_clinic::validate::parse_date(&typed.date) {
        Ok(date) => Some(date),
        Err(problem) => {
            problems.insert("date".to_owned(), problem);
            None
        }
    };
    let minutes = if typed.minutes.is_empty() {
        None
    } else {
        match typed.minutes.parse::<u32>() {
            Ok(m) => Some(m),
            Err(_) => {
                problems.insert(
                    "minutes".to_owned(),
                    format!(
                        "“{}” is not a number of minutes; write e.g. 30",
                        typed.minutes
                    ),
                );
                None
            }
        }
    };
    let clinician = typed.clinician.parse::<i64>().ok().map(UserId);
    let outcome = match (date, problems.is_empty()) {
        (Some(date), true) => myotome_clinic::booking::book(
            &state.clinic,
            &viewer.clinic(),
            id,
            myotome_clinic::booking::NewAppointment {
                kind: myotome_store::AppointmentKind::FollowUp,
                label: typed.label.clone(),
                date,
                start_time: (!typed.start_time.is_empty()).then(|| typed.start_time.clone()),
                duration_minutes: minutes,
                clinician,
                plan: None,
                plan_visit: None,
                accept_violations: false,
            },
        )
        .await
        .map_err(ApiError::from),
        _ => Err(ApiError::fields(problems)),
    };
    match outcome {
        Ok(booked) => Ok(see_other(&format!(
            "/appointments/{}",
            booked.appointment.id
        ))),
        Err(
            error @ (ApiError::Invalid { .. } | ApiError::Conflict(_) | ApiError::Refused { .. }),
        ) => {
            let status = error.status();
            chart_with_problem(&state, viewer, id, status, |chart| {
                let mut typed = typed;
                let mut errors = FieldErrors::from_api(&error, &[("duration_minutes", "minutes")]);
                if let ApiError::Conflict(sentence)
                | ApiError::Refused {
                    message: sentence, ..
                } = &error
                {
                    errors.add("start_time", sentence.clone());
                }
                typed.errors = errors;
                chart.visit_form = typed;
            })
            .await
        }
        Err(other) => Err(UiError::new(other, Some(viewer))),
    }
}

/// The merge form as typed, with its problems.
#[derive(Debug, Clone, Default)]
struct MergeForm {
    merged_id: String,
    reason: String,
    errors: FieldErrors,
}

/// One chart merged into this one, as the chart lists it.
fn merge_sentence(merge: &myotome_store::PatientMerge, users: &[User], viewer: &Viewer) -> String {
    let m = &merge.moved;
    let by = user_name(users, merge.merged_by);
    format!(
        "Patient {} merged here on {}{}: {} records, {} weights, {} forms, {} screenings, {} clearances, {} plans, {} appointments, {} identifiers. Reason: {}",
        merge.merged,
        viewer.date(merge.merged_at),
        if by.is_empty() {
            String::new()
        } else {
            format!(" by {by}")
        },
        m.records + m.measurements,
        m.weights,
        m.intakes,
        m.screenings,
        m.clearances,
        m.plans,
        m.appointments,
        m.identifiers,
        merge.reason
    )
}

/// The merge part of the chart: where this chart went, what came here, and the form.
async fn with_merges(
    state: &AppState,
    viewer: &Viewer,
    mut chart: ChartPage,
    merged_into: Option<PatientId>,
) -> Result<ChartPage, UiError> {
    let merges = patients::merges(&state.clinic, &viewer.clinic(), chart.patient.id)
        .await
        .map_err(|e| in_page(viewer)(ApiError::from(e)))?;
    let users = state.store.users().await.map_err(in_page(viewer))?;
    chart.merges = merges
        .iter()
        .map(|m| merge_sentence(m, &users, viewer))
        .collect();
    chart.merged_into = merged_into.map(|p| p.0);
    chart.may_merge = merged_into.is_none() && viewer.may(Permission::ChartMerge);
    Ok(chart)
}

/// Re-shows the chart with a form's problem, keeping what was typed.
async fn chart_with_problem(
    state: &AppState,
    viewer: &Viewer,
    id: PatientId,
    status: StatusCode,
    fill: impl FnOnce(&mut ChartPage),
) -> Result<Response, UiError> {
    let data = read_chart(state, viewer, id)
        .await
        .map_err(in_page(viewer))?;
    let safety = alerts::read(state, viewer, id).await?;
    let merged_into = data.patient.merged_into;
    let chart = ChartPage::new(state, viewer, data).with_safety(&safety);
    let mut chart = with_merges(state, viewer, chart, merged_into).await?;
    fill(&mut chart);
    Ok(html(status, &chart))
}

/// Merges the chart named in the form into this one (a clinician's decision, with a reason).
pub(super) async fn merge(
    page: Page<need::ChartMerge>,
    State(state): State<AppState>,
    Path(id): Path<String>,
    form: Fields,
) -> Result<Response, UiError> {
    let viewer = &page.viewer;
    let id = patient_id(&id).map_err(in_page(viewer))?;
    let typed = MergeForm {
        merged_id: form.get("merged_id").trim().to_owned(),
        reason: form.get("reason").trim().to_owned(),
        errors: FieldErrors::none(),
    };
    let result = match typed.merged_id.trim_start_matches('#').parse::<i64>() {
        Ok(other) => patients::merge(
            &state.clinic,
            &viewer.clinic(),
            &patients::MergeRequest {
                kept: id,
                merged: PatientId(other),
                reason: typed.reason.clone(),
            },
        )
        .await
        .map_err(ApiError::from),
        Err(_) => Err(ApiError::field(
            "merged_id",
            format!(
                "“{}” is not a patient number; write the number of the other chart, e.g. 42",
                typed.merged_id
            ),
        )),
    };
    match result {
        Ok(_) => Ok(see_other(&format!("/patients/{id}?saved=merge#merges"))),
        Err(error @ (ApiError::Invalid { .. } | ApiError::Conflict(_) | ApiError::NotFound(_))) => {
            let status = error.status();
            chart_with_problem(&state, viewer, id, status, |chart| {
                let mut typed = typed;
                typed.errors = FieldErrors::from_api(&error, &[("merged", "merged_id")]);
                if typed.errors.is_empty() {
                    typed.errors.add("merged_id", error.message());
                }
                chart.merge_form = typed;
            })
            .await
        }
        Err(other) => Err(UiError::new(other, Some(viewer))),
    }
}

pub(super) async fn add_weight(
    page: Page<need::ChartWrite>,
    State(state): State<AppState>,
    Path(id): Path<String>,
    form: Fields,
) -> Result<Response, UiError> {
    let viewer = &page.viewer;
    let id = patient_id(&id).map_err(in_page(viewer))?;
    let kg_typed = form.get("kg").trim().to_owned();
    let measured_on = form.optional("measured_on");
    // A form sends text; the number is read here, then checked by the use case's own rule.
    let saved = match kg_typed.replace(',', ".").parse::<f64>() {
        Ok(kg) => patients::add_weight(
            &state.clinic,
            &viewer.clinic(),
            id,
            &patients::WeightForm {
                kg,
                measured_on: measured_on.clone(),
            },
        )
        .await
        .map_err(ApiError::from),
        Err(_) => {
            let sentence = if kg_typed.is_empty() {
                "is empty; write the weight in kilograms, e.g. 71.5".to_owned()
            } else {
                format!("`{kg_typed}` is not a number; write the weight in kilograms, e.g. 71.5")
            };
            // The date is still checked, so both problems show at once.
            let date_problem = measured_on.as_deref().and_then(|d| {
                weight_entry(
                    &patients::WeightForm {
                        kg: 70.0,
                        measured_on: Some(d.to_owned()),
                    },
                    state.clinic.clock.today(),
                )
                .err()
            });
            let mut fields = std::collections::BTreeMap::new();
            if let Some(myotome_clinic::ClinicError::Invalid(f)) = date_problem {
                fields.extend(f);
            }
            fields.insert("kg".to_owned(), sentence);
            Err(ApiError::fields(fields))
        }
    };
    match saved {
        Ok(_) => Ok(see_other(&format!("/patients/{id}?saved=weight#weight"))),
        Err(error @ ApiError::Invalid { .. }) => {
            chart_with_problem(
                &state,
                viewer,
                id,
                StatusCode::UNPROCESSABLE_ENTITY,
                |chart| {
                    chart.weight_form = WeightForm {
                        kg: kg_typed,
                        measured_on: measured_on.unwrap_or_default(),
                        errors: FieldErrors::from_api(&error, &[]),
                    };
                },
            )
            .await
        }
        Err(other) => Err(UiError::new(other, Some(viewer))),
    }
}

pub(super) async fn add_record(
    page: Page<need::ChartWrite>,
    State(state): State<AppState>,
    Path(id): Path<String>,
    form: Fields,
) -> Result<Response, UiError> {
    let viewer = &page.viewer;
    let id = patient_id(&id).map_err(in_page(viewer))?;
    let typed = RecordForm {
        kind: form.get("kind").to_owned(),
        system: form.get("system").trim().to_owned(),
        code: form.get("code").trim().to_owned(),
        text: form.get("text").to_owned(),
        status: form.get("status").to_owned(),
        start: form.get("start").trim().to_owned(),
        errors: FieldErrors::none(),
    };
    let optional = |text: &str| (!text.trim().is_empty()).then(|| text.to_owned());
    let input = records::RecordForm {
        kind: typed.kind.clone(),
        system: optional(&typed.system),
        code: optional(&typed.code),
        display: None,
        codes: Vec::new(),
        text: optional(&typed.text),
        status: typed.status.clone(),
        start: optional(&typed.start),
        end: None,
    };
    let saved = records::add(&state.clinic, &viewer.clinic(), id, &input)
        .await
        .map_err(ApiError::from);
    match saved {
        Ok(_) => Ok(see_other(&format!("/patients/{id}?saved=record#records"))),
        Err(error @ ApiError::Invalid { .. }) => {
            chart_with_problem(
                &state,
                viewer,
                id,
                StatusCode::UNPROCESSABLE_ENTITY,
                |chart| {
                    chart.record_form = RecordForm {
                        // "Neither a code nor a text" belongs by the text box.
                        errors: FieldErrors::from_api(&error, &[("codes", "text")]),
                        ..typed
                    };
                },
            )
            .await
        }
        Err(other) => Err(UiError::new(other, Some(viewer))),
    }
}
