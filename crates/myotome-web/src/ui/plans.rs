//! Treatment plans as pages: the step-by-step plan builder (`/patients/{id}/plans/new`), the
//! plan with its sessions and the form that books the proposed ones (`/plans/{id}`), and the
//! printable plan and aftercare sheet ([`show`]).
//!
//! The builder is one GET form: each step's choice stays in the query, so it works without
//! JavaScript (planning.js only submits it when a choice changes). Everything clinical is the
//! use cases': the dose is [`myotome_clinic::plans::dose_preview`], the preview and the saved
//! plan are [`myotome_clinic::plans::prepare`] and [`myotome_clinic::plans::make`]. A plan
//! saved here keeps its visits *proposed* in its schedule document; the plan's page books them,
//! each through [`myotome_clinic::booking::book`] with its window check.

mod show;

pub(crate) use show::status_label;

use crate::error::ApiError;
use crate::permissions::need;
use crate::state::AppState;
use crate::ui::alerts::{self, SafetyStrip};
use crate::ui::form::{FieldErrors, Fields};
use crate::ui::layout::Chrome;
use crate::ui::page::{Page, PathText, Viewer, id_in_path};
use crate::ui::render::{UiError, html, in_page, ok, see_other};
use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use myotome_clinic::planning::{DoseInput, NewPlan, ScheduleInput, allowed_sites};
use myotome_clinic::{ClinicError, PlanPart, RefusalReason, plans, safety};
use myotome_core::protocol::Protocol;
use myotome_core::setting::Setting;
use myotome_store::{
    DoseDocument, Patient, PatientId, ScheduledVisit, ScheduledVisitKind, SourceDocument,
    ViolationDocument,
};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/patients/{id}/plans/new", get(builder))
        .route("/patients/{id}/plans", post(save))
        .route("/plans/{id}", get(show::plan_page))
        .route("/plans/{id}/book", post(show::book))
        .route("/plans/{id}/status", post(show::set_status))
        .route("/plans/{id}/print", get(show::print_page))
        .route("/plans/{id}/aftercare", get(show::aftercare_page))
}

// --- Shared with the calendar -------------------------------------------------------------------

/// A patient's name as the clinic reads it on lists: "Family, Given".
pub(crate) fn patient_name(patient: &Patient) -> String {
    let details = &patient.details;
    if details.given_names.trim().is_empty() {
        details.family_name.clone()
    } else {
        format!("{}, {}", details.family_name, details.given_names)
    }
}

/// "Source: title, section “…”" for a citation.
pub(crate) fn source_text(source: &SourceDocument) -> String {
    format!("Source: {}, section “{}”.", source.title, source.section)
}

/// A violation as one sentence with its citation, for the message at a date field.
pub(crate) fn violation_sentence(violation: &ViolationDocument) -> String {
    match &violation.source {
        Some(source) => format!("{} {}", violation.explanation, source_text(source)),
        None => violation.explanation.clone(),
    }
}

/// The value of the "book outside the window anyway" box: the refused dates and a digest of
/// the window sentences the clinician was shown. A tick is honoured only when the same dates
/// give the same sentences again on submit, so it never accepts a window nobody read (a date
/// changed since, or a colleague's move that broke another window meanwhile).
pub(crate) fn override_key(dates: &str, shown: impl IntoIterator<Item = String>) -> String {
    let mut shown: Vec<String> = shown.into_iter().collect();
    shown.sort();
    let digest = crate::secret::sha256_hex(&shown.join("\n"));
    format!("{dates}~{}", &digest[..16])
}

/// A protocol window violation shown in a list.
#[derive(Debug, Clone)]
pub(crate) struct ViolationView {
    pub explanation: String,
    pub source: Option<String>,
}

impl From<&ViolationDocument> for ViolationView {
    fn from(violation: &ViolationDocument) -> Self {
        Self {
            explanation: violation.explanation.clone(),
            source: violation.source.as_ref().map(source_text),
        }
    }
}

/// One visit of a schedule, for a table.
#[derive(Debug, Clone)]
pub(crate) struct VisitView {
    pub kind: &'static str,
    pub label: String,
    pub date: String,
    pub window: Option<String>,
}

impl From<&ScheduledVisit> for VisitView {
    fn from(visit: &ScheduledVisit) -> Self {
        Self {
            kind: kind_label(visit.kind),
            label: visit.label.clone(),
            date: visit.date.to_string(),
            window: window_text(visit),
        }
    }
}

pub(crate) fn kind_label(kind: ScheduledVisitKind) -> &'static str {
    match kind {
        ScheduledVisitKind::Session => "Session",
        ScheduledVisitKind::CheckIn => "Check-in",
        ScheduledVisitKind::FollowUp => "Follow-up",
    }
}

pub(crate) fn window_text(visit: &ScheduledVisit) -> Option<String> {
    match (&visit.earliest, &visit.latest) {
        (Some(earliest), Some(latest)) if earliest == latest => Some(format!("on {earliest}")),
        (Some(earliest), Some(latest)) => Some(format!("{earliest} to {latest}")),
        _ => None,
    }
}

/// A dose as the pages show it: the amounts, and the calculator's explanation in words.
#[derive(Debug, Clone, Default)]
pub(crate) struct DoseView {
    pub amounts: Vec<(String, String)>,
    pub explanation: Vec<String>,
}

impl DoseView {
    pub fn from_doc(doc: &DoseDocument) -> Self {
        // A bilateral dose is for each side; the labels say so, so no one halves it.
        let each = if doc.per_side { ", each side" } else { "" };
        let label = |what: &str| format!("{what}{each}");
        let mut amounts = vec![
            (label("Product"), format!("{} mL", doc.product_volume_ml)),
            (label("Saline"), format!("{} mL", doc.saline_volume_ml)),
            (label("Total"), format!("{} mL", doc.total_volume_ml)),
        ];
        if !doc.per_site_ml.is_empty() {
            let split: Vec<String> = doc.per_site_ml.iter().map(|v| format!("{v} mL")).collect();
            amounts.push((label("Per site"), split.join(", ")));
        }
        if let Some(floor) = doc.cell_floor {
            amounts.push((label("Minimum cells"), grouped(floor)));
        }
        if let Some(cells) = doc.cells_delivered {
            amounts.push((label("Cells delivered"), grouped(cells)));
        }
        Self {
            amounts,
            explanation: doc.explanation.clone(),
        }
    }
}

/// A whole number with its thousands grouped, as people read cell counts: 160,000,000.
pub(crate) fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

// --- The plan builder ----------------------------------------------------------------------------

/// One option of a select or one checkbox.
#[derive(Debug, Clone)]
pub(crate) struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// What the person has chosen so far, as typed.
#[derive(Debug, Clone, Default)]
struct Choices {
    protocol: String,
    indication: String,
    region: String,
    side: String,
    target_sites: Vec<String>,
    product_volume_ml: String,
    cells_per_ml: String,
    /// The lot whose certificate gives the cells per mL.
    lot_id: String,
    saline_per_product_ml: String,
    start: String,
    sessions: String,
    every_weeks: String,
    notes: String,
    acknowledged_precautions: Vec<String>,
}

impl Choices {
    fn read(fields: &Fields) -> Self {
        let text = |name: &str| fields.get(name).trim().to_owned();
        Self {
            protocol: text("protocol"),
            indication: text("indication"),
            region: text("region"),
            side: text("side"),
            target_sites: fields
                .all("target_sites")
                .into_iter()
                .map(str::to_owned)
                .collect(),
            product_volume_ml: text("product_volume_ml"),
            cells_per_ml: text("cells_per_ml"),
            lot_id: text("lot_id"),
            saline_per_product_ml: text("saline_per_product_ml"),
            start: text("start"),
            sessions: text("sessions"),
            every_weeks: text("every_weeks"),
            notes: fields.get("notes").to_owned(),
            acknowledged_precautions: fields
                .all("acknowledged_precautions")
                .into_iter()
                .map(str::to_owned)
                .collect(),
        }
    }

    /// The plan request; numbers that do not read as numbers are left out and named in
    /// `errors`.
    fn plan_in(&self, protocol: &Protocol, errors: &mut FieldErrors) -> NewPlan {
        let dose = protocol.dosing.as_ref().map(|_| DoseInput {
            cells_per_ml: number(
                errors,
                "cells_per_ml",
                &self.cells_per_ml,
                "is not a number of cells per mL; write e.g. 25000000 or 2.5e7",
            ),
            product_volume_ml: number(
                errors,
                "product_volume_ml",
                &self.product_volume_ml,
                "is not a volume in mL; write e.g. 2 or 2.5",
            ),
            saline_per_product_ml: number(
                errors,
                "saline_per_product_ml",
                &self.saline_per_product_ml,
                "is not a number of mL; write e.g. 1 or 0.5",
            ),
            graduation_ml: None,
            lot: match self.lot_id.as_str() {
                "" => None,
                text => match text.parse::<i64>() {
                    Ok(id) => Some(myotome_store::LotId(id)),
                    Err(_) => {
                        errors.add("lot_id", "is not a lot on file; choose one from the list");
                        None
                    }
                },
            },
        });
        let sessions = whole(
            errors,
            "sessions",
            &self.sessions,
            "is not a number of sessions; write a whole number such as 2",
        );
        let every = whole(
            errors,
            "every_weeks",
            &self.every_weeks,
            "is not a number of weeks; write a whole number such as 4",
        )
        .map(|weeks| format!("P{weeks}W"));
        NewPlan {
            protocol: self.protocol.clone(),
            indication: self.indication.clone(),
            region: self.region.clone(),
            side: (!self.side.is_empty()).then(|| self.side.clone()),
            target_sites: self.target_sites.clone(),
            dose,
            schedule: ScheduleInput {
                start: (!self.start.is_empty()).then(|| self.start.clone()),
                sessions,
                every,
                dates: None,
                follow_ups: Vec::new(),
            },
            accept_violations: false,
            clinician_id: None,
            notes: (!self.notes.trim().is_empty()).then(|| self.notes.trim().to_owned()),
            acknowledged_precautions: self.acknowledged_precautions.clone(),
        }
    }
}

fn number(errors: &mut FieldErrors, field: &str, text: &str, problem: &str) -> Option<f64> {
    if text.is_empty() {
        return None;
    }
    match text.parse::<f64>() {
        Ok(value) if value.is_finite() => Some(value),
        _ => {
            errors.add(field, format!("“{text}” {problem}"));
            None
        }
    }
}

fn whole(errors: &mut FieldErrors, field: &str, text: &str, problem: &str) -> Option<u32> {
    if text.is_empty() {
        return None;
    }
    match text.parse::<u32>() {
        Ok(value) => Some(value),
        Err(_) => {
            errors.add(field, format!("“{text}” {problem}"));
            None
        }
    }
}

/// A refusal's sentence as a page says it: where the fix is on another page, say which.
fn for_the_page(refusal: &myotome_clinic::Refusal) -> String {
    let mut message = refusal.message.clone();
    if refusal.reason
        == (RefusalReason::DoseRefused {
            no_weight_on_record: true,
        })
    {
        message.push_str(" Add one on the patient's chart.");
    }
    message
}

/// A use case's refusal of a plan request, turned into messages at the builder's fields.
/// `None` for an error that is not about the request (the error page shows it).
fn builder_errors(
    error: &ClinicError,
    mut errors: FieldErrors,
) -> Option<(FieldErrors, Vec<ViolationView>)> {
    let mut violations = Vec::new();
    match error {
        ClinicError::Invalid(fields) => {
            for (path, sentence) in fields {
                let field = match path.as_str() {
                    "dose.product_volume_ml" => "product_volume_ml",
                    "dose.cells_per_ml" => "cells_per_ml",
                    "dose.lot_id" => "lot_id",
                    "dose.saline_per_product_ml" => "saline_per_product_ml",
                    "schedule" | "schedule.start" => "start",
                    "schedule.sessions" => "sessions",
                    "schedule.every" => "every_weeks",
                    p if p.starts_with("target_sites") => "target_sites",
                    p => p,
                };
                let sentence = if path == "schedule" {
                    "choose the date of the first session".to_owned()
                } else {
                    sentence.clone()
                };
                errors.add(field, sentence);
            }
        }
        ClinicError::Refused(refusal) => {
            let message = for_the_page(refusal);
            match refusal.reason {
                RefusalReason::DoseRefused { .. } => errors.add("dose", message),
                RefusalReason::UnknownProtocol => errors.add("protocol", message),
                RefusalReason::PlanRefused(PlanPart::Spacing) => errors.add("every_weeks", message),
                RefusalReason::PlanRefused(PlanPart::Sessions) => errors.add("sessions", message),
                RefusalReason::NotScreened
                | RefusalReason::ScreeningNotCurrent
                | RefusalReason::NotACandidate
                | RefusalReason::ClearanceNeeded
                | RefusalReason::ScreeningIncomplete
                | RefusalReason::LotRefused
                | RefusalReason::StepRefused
                | RefusalReason::NoteIncomplete => errors.summary = Some(message),
                RefusalReason::WindowViolation | RefusalReason::Unsupported => {
                    violations = refusal.violations.iter().map(ViolationView::from).collect();
                    errors.summary = Some(message);
                }
            }
        }
        _ => return None,
    }
    Some((errors, violations))
}

#[derive(Debug, Clone)]
struct SiteChoice {
    id: String,
    label: String,
    paired: bool,
    checked: bool,
}

/// The dose step of the builder.
#[derive(Debug, Clone, Default)]
struct DoseStep {
    product_volume_hint: Option<String>,
    cells_hint: Option<String>,
    /// Lots in stock whose certificate gives the cells per mL (and that this patient may
    /// have): (id, "LOT-42 — Donor MSC, 5,000,000 cells/mL, expires 2027-06-30").
    lots: Vec<(String, String)>,
    saline_hint: Option<String>,
    /// The calculator's answer for the choices so far, or its refusal.
    result: Option<Result<DoseView, String>>,
}

#[derive(Template)]
#[template(path = "ui/plans/builder.html")]
struct BuilderPage {
    chrome: Chrome,
    title: String,
    patient_id: i64,
    patient: String,
    weight: Option<String>,
    choices: Choices,
    protocols: Vec<Choice>,
    /// The chosen protocol's title and version, once one is chosen.
    protocol: Option<String>,
    indications: Vec<Choice>,
    regions: Vec<Choice>,
    sites: Vec<SiteChoice>,
    /// Whether any site of the chosen region has a left and a right.
    side_needed: bool,
    sides: Vec<Choice>,
    dose: Option<DoseStep>,
    sessions_hint: Option<String>,
    spacing_hint: Option<String>,
    /// The proposed calendar, when the choices make a plan.
    preview: Option<Preview>,
    violations: Vec<ViolationView>,
    errors: FieldErrors,
    /// Once a protocol is chosen: the safety gate's answer for it.
    screening: Option<ScreeningStep>,
    safety: SafetyStrip,
}

/// The screening a plan rests on, as the builder shows it before anything else is chosen.
#[derive(Debug, Clone)]
struct ScreeningStep {
    /// The gate's refusal: no plan can be saved until it is dealt with.
    refusal: Option<String>,
    /// "Screening 12 of 2026-12-01: eligible with precautions".
    summary: Option<String>,
    screening_id: Option<i64>,
    precautions: Vec<Choice>,
    clearances: Vec<String>,
}

#[derive(Debug, Clone)]
struct Preview {
    visits: Vec<VisitView>,
    unscheduled: Vec<String>,
    explanation: Vec<String>,
}

impl BuilderPage {
    fn step_region(&self) -> bool {
        self.protocol.is_some() && !self.choices.indication.is_empty()
    }

    fn step_sites(&self) -> bool {
        self.step_region() && !self.sites.is_empty()
    }

    fn step_schedule(&self) -> bool {
        self.step_sites() && !self.choices.target_sites.is_empty()
    }
}

async fn builder(
    page: Page<need::PlanWrite>,
    State(state): State<AppState>,
    PathText(id): PathText,
    fields: Fields,
) -> Result<Response, UiError> {
    let id = id_in_path(&id, "patient").map_err(in_page(&page.viewer))?;
    let choices = Choices::read(&fields);
    let mut view = builder_view(&state, &page, PatientId(id), choices).await?;
    if view.step_schedule() && !view.choices.start.is_empty() {
        // Every step is filled in: preview the plan exactly as saving would make it.
        if let Some(loaded) = state.data.protocols.get(&view.choices.protocol) {
            let mut errors = FieldErrors::none();
            let input = view.choices.plan_in(&loaded.protocol, &mut errors);
            match plans::prepare(&state.clinic, &page.clinic(), PatientId(id), &input).await {
                Ok(draft) if errors.is_empty() => {
                    let doc = &draft.details.schedule;
                    view.preview = Some(Preview {
                        visits: doc.visits.iter().map(VisitView::from).collect(),
                        unscheduled: doc.unscheduled.clone(),
                        explanation: doc.explanation.clone(),
                    });
                }
                Ok(_) => view.errors = errors,
                Err(error) => match builder_errors(&error, errors) {
                    Some((errors, violations)) => {
                        view.errors = errors;
                        view.violations = violations;
                    }
                    None => return Err(in_page(&page.viewer)(ApiError::from(error))),
                },
            }
        }
    }
    Ok(ok(&view))
}

async fn save(
    page: Page<need::PlanWrite>,
    State(state): State<AppState>,
    PathText(id): PathText,
    fields: Fields,
) -> Result<Response, UiError> {
    let id = id_in_path(&id, "patient").map_err(in_page(&page.viewer))?;
    let choices = Choices::read(&fields);
    let patient = PatientId(id);
    let mut errors = FieldErrors::none();
    let outcome = match state.data.protocols.get(&choices.protocol) {
        Some(loaded) => {
            let input = choices.plan_in(&loaded.protocol, &mut errors);
            if errors.is_empty() {
                Some(plans::make(&state.clinic, &page.clinic(), patient, &input, false).await)
            } else {
                None
            }
        }
        None => {
            errors.add("protocol", "choose the protocol the plan follows");
            None
        }
    };
    let violations = match outcome {
        Some(Ok(created)) => return Ok(see_other(&format!("/plans/{}", created.plan.id))),
        Some(Err(error)) => match builder_errors(&error, errors) {
            Some((found, violations)) => {
                errors = found;
                violations
            }
            None => return Err(in_page(&page.viewer)(ApiError::from(error))),
        },
        None => Vec::new(),
    };
    let mut view = builder_view(&state, &page, patient, choices).await?;
    view.errors = errors;
    view.violations = violations;
    Ok(html(StatusCode::UNPROCESSABLE_ENTITY, &view))
}

/// The builder with every step the choices so far open up.
async fn builder_view(
    state: &AppState,
    viewer: &Viewer,
    patient_id: PatientId,
    choices: Choices,
) -> Result<BuilderPage, UiError> {
    let store = state.store.as_ref();
    let patient = store
        .patient(&viewer.actor, patient_id)
        .await
        .map_err(in_page(viewer))?;
    let weights = store
        .weights(&viewer.actor, patient_id)
        .await
        .map_err(in_page(viewer))?;
    let latest = weights
        .iter()
        .max_by_key(|w| (w.measured_on, w.recorded_at))
        .map(|w| {
            format!(
                "{} kg, measured {}",
                f64::from(w.grams) / 1000.0,
                w.measured_on
            )
        });
    let protocols = state
        .data
        .protocols
        .iter()
        .map(|loaded| Choice {
            value: loaded.protocol.id.to_string(),
            label: format!(
                "{} (version {})",
                loaded.protocol.title, loaded.protocol.version
            ),
            selected: loaded.protocol.id.as_str() == choices.protocol,
        })
        .collect();
    let mut view = BuilderPage {
        chrome: Chrome::for_viewer(viewer, "/patients"),
        title: format!("New treatment plan — {}", patient_name(&patient)),
        patient_id: patient_id.0,
        patient: patient_name(&patient),
        weight: latest,
        choices,
        protocols,
        protocol: None,
        indications: Vec::new(),
        regions: Vec::new(),
        sites: Vec::new(),
        side_needed: false,
        sides: Vec::new(),
        dose: None,
        sessions_hint: None,
        spacing_hint: None,
        preview: None,
        violations: Vec::new(),
        errors: FieldErrors::none(),
        screening: None,
        safety: SafetyStrip::default(),
    };
    let patient_safety = alerts::read(state, viewer, patient_id).await?;
    view.safety = SafetyStrip::from_safety(&patient_safety);
    let standing = &patient_safety.standing;
    let Some(loaded) = state.data.protocols.get(&view.choices.protocol) else {
        return Ok(view);
    };
    // The protocol as the clinic runs it: what the seed leaves open, filled from the settings.
    let settings = myotome_clinic::settings::current(&state.clinic, &viewer.clinic())
        .await
        .map_err(|e| in_page(viewer)(ApiError::from(e)))?;
    let run = myotome_clinic::settings::protocol_as_run(&loaded.protocol, settings.as_ref());
    let protocol = &run;
    let ready = safety::plan_readiness(
        &patient,
        standing,
        &myotome_store::ProtocolRef {
            id: protocol.id.to_string(),
            version: protocol.version.to_string(),
        },
        &state.clock.time_zone(),
    );
    view.screening = Some(ScreeningStep {
        refusal: ready.refusal,
        summary: ready.screening.map(|(id, verdict, as_of)| {
            format!("Signed screening {id} of {as_of}: {}", verdict.label())
        }),
        screening_id: ready.screening.map(|(id, _, _)| id.0),
        precautions: ready
            .precautions
            .into_iter()
            .map(|(concept, sentence)| Choice {
                selected: view.choices.acknowledged_precautions.contains(&concept),
                value: concept,
                label: sentence,
            })
            .collect(),
        clearances: ready.clearances,
    });
    let catalog = &state.data.catalog;
    view.protocol = Some(format!("{} (version {})", protocol.title, protocol.version));
    view.indications = protocol
        .indications
        .iter()
        .map(|i| Choice {
            value: i.concept.clone(),
            label: i.label.clone(),
            selected: i.concept == view.choices.indication,
        })
        .collect();
    let mut regions: Vec<Choice> = Vec::new();
    for site in &protocol.sites {
        if !regions.iter().any(|r| r.value == site.region) {
            regions.push(Choice {
                value: site.region.clone(),
                label: catalog
                    .region(&site.region)
                    .map_or_else(|| site.region.clone(), |r| r.label.clone()),
                selected: site.region == view.choices.region,
            });
        }
    }
    if !view.indications.iter().any(|i| i.selected) {
        view.choices.indication.clear();
    }
    let region_known = regions.iter().any(|r| r.selected);
    if !region_known {
        view.choices.region.clear();
    }
    view.regions = regions;
    if region_known {
        view.sites = allowed_sites(protocol, catalog, &view.choices.region)
            .into_iter()
            .map(|s| SiteChoice {
                id: s.id.clone(),
                label: s.label.clone(),
                paired: s.paired,
                checked: view.choices.target_sites.contains(&s.id),
            })
            .collect();
    }
    // A site ticked under another region (or protocol) no longer applies.
    let sites = &view.sites;
    view.choices
        .target_sites
        .retain(|id| sites.iter().any(|s| s.id == *id));
    view.side_needed = view.sites.iter().any(|s| s.paired);
    let one_side = protocol.one_side.is_some();
    view.sides = [("left", "Left"), ("right", "Right"), ("both", "Both sides")]
        .iter()
        .filter(|(value, _)| !(one_side && *value == "both"))
        .map(|&(value, label)| Choice {
            value: value.to_owned(),
            label: label.to_owned(),
            selected: value == view.choices.side,
        })
        .collect();
    view.sessions_hint = Some(match &protocol.schedule.sessions {
        Setting::Given(b) if b.min == b.max => format!("The protocol plans {} sessions.", b.min),
        Setting::Given(b) => format!(
            "The protocol plans {} to {} sessions; leave empty for {}.",
            b.min, b.max, b.min
        ),
        Setting::ClinicSets(c) => format!(
            "The protocol leaves the number of sessions to the clinic: {}",
            c.why
        ),
    });
    view.spacing_hint = protocol.schedule.spacing.as_ref().map(|s| match s {
        Setting::Given(b) if b.min == b.max => {
            format!("The protocol spaces sessions {} apart.", b.min)
        }
        Setting::Given(b) => format!(
            "The protocol spaces sessions {} to {} apart; leave empty for {}.",
            b.min, b.max, b.min
        ),
        Setting::ClinicSets(c) => format!("The clinic sets the spacing: {}", c.why),
    });
    if let Some(dosing) = &protocol.dosing {
        let mut step = DoseStep {
            product_volume_hint: dosing.product_volume.as_ref().map(|v| match v {
                Setting::Given(b) => format!(
                    "The protocol allows {} mL to {} mL of product.",
                    b.min.millilitres(),
                    b.max.millilitres()
                ),
                Setting::ClinicSets(c) => format!(
                    "The clinic sets the volume ({}); no range is set yet on the clinic settings page.",
                    c.why.trim_end_matches('.')
                ),
            }),
            cells_hint: dosing.cell_floor_per_kg.as_ref().map(|f| {
                format!(
                    "The protocol's floor is {} cells per kg of body weight; enter the viable cells per mL from the lot's certificate.",
                    grouped(f.cells)
                )
            }),
            saline_hint: dosing.saline_dilution.as_ref().map(|s| match &s.saline_per_product_ml {
                Setting::Given(v) => format!("The protocol dilutes with {v} mL saline per mL of product ({}).", s.purpose),
                Setting::ClinicSets(c) => format!("The clinic sets the dilution: {}", c.why),
            }),
            lots: Vec::new(),
            result: None,
        };
        if step.cells_hint.is_some() {
            let certified =
                myotome_clinic::lots::certified_for(&state.clinic, &viewer.clinic(), patient_id)
                    .await
                    .map_err(|e| in_page(viewer)(ApiError::from(e)))?;
            step.lots = certified
                .iter()
                .filter_map(|v| {
                    let d = &v.ledger.lot.details;
                    d.cells_per_ml.map(|cells| {
                        (
                            v.ledger.lot.id.to_string(),
                            format!(
                                "{} — {}, {} cells/mL, expires {}",
                                d.lot_number,
                                v.ledger.product.details.name,
                                grouped(cells),
                                d.expiry
                            ),
                        )
                    })
                })
                .collect();
        }
        if view.step_schedule() {
            let mut errors = FieldErrors::none();
            let input = view.choices.plan_in(protocol, &mut errors);
            step.result = Some(
                match myotome_clinic::plans::dose_preview(
                    &state.clinic,
                    &viewer.clinic(),
                    patient_id,
                    &input,
                )
                .await
                {
                    Ok(Some(dose)) => Ok(DoseView::from_doc(&dose)),
                    Ok(None) => {
                        Err("This protocol injects nothing, so there is no dose.".to_owned())
                    }
                    Err(ClinicError::Invalid(fields)) => {
                        Err(fields.values().cloned().collect::<Vec<_>>().join(" "))
                    }
                    Err(ClinicError::Refused(refusal)) => Err(for_the_page(&refusal)),
                    Err(other) => Err(other.to_string()),
                },
            );
        }
        view.dose = Some(step);
    }
    Ok(view)
}

#[cfg(test)]
mod tests {
    use super::grouped;

    #[test]
    fn cell_counts_are_grouped_by_thousands() {
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(1_000), "1,000");
        assert_eq!(grouped(160_000_000), "160,000,000");
        assert_eq!(grouped(2_000_000), "2,000,000");
    }
}
