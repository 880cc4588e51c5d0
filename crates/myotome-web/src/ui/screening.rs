//! Screening pages: choose protocols and run them against the stored chart (the use case
//! [`myotome_clinic::screening::screen`]), read a stored screening in plain words — verdict,
//! each finding with its evidence and seed citation, matched indications, questions not yet
//! asked — and sign it once as a clinician.
//!
//! A stored screening is read back from its typed result document as it was run; nothing is
//! re-decided here. Measurements (HbA1c beside diabetes) are shown
//! beside their finding, never judged.

use crate::error::ApiError;
use crate::permissions::need;
use crate::state::AppState;
use crate::ui::alerts::{self, SafetyStrip};
use crate::ui::form::{FieldErrors, Fields};
use crate::ui::layout::Chrome;
use crate::ui::page::{Page, PathText, Viewer, id_in_path};
use crate::ui::render::{UiError, html, in_page, ok, see_other};
use crate::wire::care::ScreeningRunIn;
use askama::Template;
use axum::Router;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use myotome_clinic::ClinicError;
use myotome_clinic::safety::{self, RecordClearance};
use myotome_clinic::screening;
use myotome_core::outcome::Outcome;
use myotome_store::{
    ClinicalRecord, EvidenceDocument, MatchedBy, PatientId, RecordSource, ScreeningId,
    SourceDocument, StoredScreening, UserId,
};
use serde::Deserialize;
use std::collections::BTreeMap;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/patients/{id}/screenings/new", get(new_page))
        .route("/patients/{id}/screenings", get(list_page).post(run))
        .route("/screenings/{id}", get(screening_page))
        .route("/screenings/{id}/sign", post(sign))
        .route("/screenings/{id}/clearances", post(record_clearance))
        .route("/screenings/{id}/answers", post(record_answers))
}

// --- Plain words ----------------------------------------------------------------------------------

/// A verdict or finding outcome in the clinic's words, and the badge style that goes with it
/// (the words carry the meaning; the colour only repeats it).
/// A screening's verdict in the clinic's words: "Eligible" only says so when something on the
/// record matches one of the protocol's indications; otherwise it says that nothing does.
/// The verdict as the clinic reads it, and its badge: an eligible verdict with no matching
/// indication says so, and an incomplete screening (contraindications nobody has asked about)
/// says its verdict may still change.
pub fn verdict_words(screening: &StoredScreening) -> (String, &'static str) {
    let (words, badge) = match screening.verdict {
        Outcome::Eligible if !screening.result.indicated => {
            ("Eligible, but no matching indication on record", "warn")
        }
        other => outcome_words(other),
    };
    if screening::is_incomplete(&screening.result) {
        (
            format!("{words} so far — incomplete: not everything was asked"),
            "warn",
        )
    } else {
        (words.to_owned(), badge)
    }
}

pub fn outcome_words(outcome: Outcome) -> (&'static str, &'static str) {
    match outcome {
        Outcome::Eligible => ("Eligible", "ok"),
        Outcome::EligibleWithPrecautions => ("Eligible with precautions", "warn"),
        Outcome::NeedsClearance => ("Needs clearance", "warn"),
        Outcome::NotACandidate => ("Not a candidate", "danger"),
    }
}

// --- Running screenings ---------------------------------------------------------------------------

struct ProtocolChoice {
    id: String,
    title: String,
    version: String,
    checked: bool,
}

#[derive(Template)]
#[template(path = "ui/screening/new.html")]
struct NewPage {
    chrome: Chrome,
    title: String,
    patient_id: i64,
    patient_name: String,
    protocols: Vec<ProtocolChoice>,
    as_of: String,
    errors: FieldErrors,
}

fn patient_name(details: &myotome_store::PatientDetails) -> String {
    if details.given_names.trim().is_empty() {
        details.family_name.clone()
    } else {
        format!("{}, {}", details.family_name, details.given_names)
    }
}

fn choices(state: &AppState, checked: &dyn Fn(&str) -> bool) -> Vec<ProtocolChoice> {
    state
        .data
        .protocols
        .iter()
        .map(|loaded| {
            let id = loaded.protocol.id.to_string();
            ProtocolChoice {
                checked: checked(&id),
                title: loaded.protocol.title.clone(),
                version: loaded.protocol.version.to_string(),
                id,
            }
        })
        .collect()
}

async fn new_page(
    page: Page<need::ScreeningRun>,
    State(state): State<AppState>,
    PathText(id): PathText,
) -> Result<Response, UiError> {
    let viewer = &page.viewer;
    let id = id_in_path(&id, "patient").map_err(in_page(viewer))?;
    let patient = state
        .store
        .patient(&viewer.actor, PatientId(id))
        .await
        .map_err(in_page(viewer))?;
    let name = patient_name(&patient.details);
    Ok(ok(&NewPage {
        chrome: Chrome::for_viewer(viewer, "/patients"),
        title: format!("Screen {name}"),
        patient_id: id,
        patient_name: name,
        protocols: choices(&state, &|_| false),
        as_of: state.clock.today().to_string(),
        errors: FieldErrors::none(),
    }))
}

async fn run(
    page: Page<need::ScreeningRun>,
    State(state): State<AppState>,
    PathText(id): PathText,
    form: Fields,
) -> Result<Response, UiError> {
    let viewer = &page.viewer;
    let id = id_in_path(&id, "patient").map_err(in_page(viewer))?;
    let chosen: Vec<String> = form
        .all("protocols")
        .into_iter()
        .map(str::to_owned)
        .collect();
    let as_of = form.get("as_of").trim().to_owned();
    let result = if chosen.is_empty() {
        Err(ApiError::field(
            "protocols",
            "Choose at least one protocol to screen for.",
        ))
    } else {
        let input = ScreeningRunIn {
            protocols: Some(chosen.clone()),
            as_of: (!as_of.is_empty()).then(|| as_of.clone()),
        };
        match input.command().map_err(ApiError::from) {
            Ok(run) => screening::screen(&state.clinic, &viewer.clinic(), PatientId(id), &run)
                .await
                .map_err(ApiError::from),
            Err(error) => Err(error),
        }
    };
    match result {
        Ok(stored) => match stored.as_slice() {
            [one] => Ok(see_other(&format!("/screenings/{}", one.id))),
            many => {
                let ids: Vec<String> = many.iter().map(|s| s.id.to_string()).collect();
                Ok(see_other(&format!(
                    "/patients/{id}/screenings?ran={}",
                    ids.join(",")
                )))
            }
        },
        Err(error @ (ApiError::Invalid { .. } | ApiError::Refused { .. })) => {
            let patient = state
                .store
                .patient(&viewer.actor, PatientId(id))
                .await
                .map_err(in_page(viewer))?;
            let name = patient_name(&patient.details);
            let rename: Vec<(String, &str)> = (0..chosen.len())
                .map(|i| (format!("protocols[{i}]"), "protocols"))
                .collect();
            let rename: Vec<(&str, &str)> = rename.iter().map(|(a, b)| (a.as_str(), *b)).collect();
            let mut errors = FieldErrors::from_api(&error, &rename);
            if let ApiError::Refused { .. } = error {
                // An unknown protocol: say it at the list too.
                errors.add("protocols", error.message());
            }
            Ok(html(
                StatusCode::UNPROCESSABLE_ENTITY,
                &NewPage {
                    chrome: Chrome::for_viewer(viewer, "/patients"),
                    title: format!("Screen {name}"),
                    patient_id: id,
                    patient_name: name,
                    protocols: choices(&state, &|p| chosen.iter().any(|c| c == p)),
                    as_of,
                    errors,
                },
            ))
        }
        Err(other) => Err(UiError::new(other, Some(viewer))),
    }
}

// --- Lists ----------------------------------------------------------------------------------------

struct ListedScreening {
    id: i64,
    protocol: String,
    as_of: String,
    verdict: String,
    badge: &'static str,
    signed: bool,
}

#[derive(Template)]
#[template(path = "ui/screening/list.html")]
struct ListPage {
    chrome: Chrome,
    title: String,
    patient_id: i64,
    patient_name: String,
    just_ran: bool,
    screenings: Vec<ListedScreening>,
    may_run: bool,
}

#[derive(Debug, Deserialize, Default)]
struct ListQuery {
    ran: Option<String>,
}

async fn list_page(
    page: Page<need::PatientRead>,
    State(state): State<AppState>,
    PathText(id): PathText,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Response, UiError> {
    let viewer = &page.viewer;
    let id = id_in_path(&id, "patient").map_err(in_page(viewer))?;
    let ran: Option<Vec<i64>> = query.ok().and_then(|Query(q)| q.ran).map(|text| {
        text.split(',')
            .filter_map(|part| part.trim().parse().ok())
            .collect()
    });
    let patient = state
        .store
        .patient(&viewer.actor, PatientId(id))
        .await
        .map_err(in_page(viewer))?;
    let all = state
        .store
        .screenings(&viewer.actor, PatientId(id))
        .await
        .map_err(in_page(viewer))?;
    let mut shown: Vec<&StoredScreening> = match &ran {
        Some(ids) => ids
            .iter()
            .filter_map(|wanted| all.iter().find(|s| s.id.0 == *wanted))
            .collect(),
        None => all.iter().collect(),
    };
    shown.dedup_by_key(|s| s.id);
    let screenings = shown
        .into_iter()
        .map(|s| {
            let (verdict, badge) = verdict_words(s);
            ListedScreening {
                id: s.id.0,
                protocol: protocol_label(&state, &s.protocol_id, &s.protocol_version),
                as_of: s.as_of.to_string(),
                verdict,
                badge,
                signed: s.signature.is_some(),
            }
        })
        .collect();
    let name = patient_name(&patient.details);
    Ok(ok(&ListPage {
        chrome: Chrome::for_viewer(viewer, "/patients"),
        title: if ran.is_some() {
            format!("Screening results for {name}")
        } else {
            format!("Screenings of {name}")
        },
        patient_id: id,
        patient_name: name,
        just_ran: ran.is_some(),
        screenings,
        may_run: viewer.may(crate::permissions::Permission::ScreeningRun),
    }))
}

/// "Title (id, version N)" when the library still has the protocol, else "id, version N".
fn protocol_label(state: &AppState, id: &str, version: &str) -> String {
    match state.data.protocols.get(id) {
        Some(loaded) => format!("{} ({id}, version {version})", loaded.protocol.title),
        None => format!("{id}, version {version}"),
    }
}

// --- One screening --------------------------------------------------------------------------------

struct EvidenceView {
    sentence: String,
    /// Where it came from: the record (and its import source) or the candidate form.
    origin: String,
}

struct FindingView {
    outcome: &'static str,
    badge: &'static str,
    sentence: String,
    clearance_by: Option<String>,
    evidence: Vec<EvidenceView>,
    measurements: Vec<String>,
    source: Option<SourceDocument>,
}

struct IndicationView {
    label: String,
    evidence: Vec<EvidenceView>,
    source: Option<SourceDocument>,
}

#[derive(Template)]
#[template(path = "ui/screening/show.html")]
struct ScreeningPage {
    chrome: Chrome,
    title: String,
    id: i64,
    patient_id: i64,
    patient_name: String,
    protocol: String,
    protocol_id: String,
    protocol_version: String,
    as_of: String,
    created: String,
    verdict: String,
    badge: &'static str,
    clearance_by: Vec<String>,
    indicated: bool,
    findings: Vec<FindingView>,
    indications: Vec<IndicationView>,
    not_asked: Vec<String>,
    /// (who, when) once signed.
    signed: Option<(String, String)>,
    may_sign: bool,
    /// A refusal to show at the top (a second signature).
    refusal: Option<String>,
    /// Clearances recorded on this screening, as sentences.
    clearances: Vec<String>,
    /// Findings that need a clearance nobody has recorded: (concept, label, role named).
    pending: Vec<(String, String, String)>,
    /// Whether the viewer may record a clearance here (a clinician, on a signed screening).
    may_clear: bool,
    clearance_form: ClearanceForm,
    safety: SafetyStrip,
    /// Contraindications nobody has asked about while the verdict could still change: signing
    /// waits for the patient's answers.
    incomplete: bool,
    /// The questions to ask (an incomplete screening, a clinician viewing), as typed.
    questions: Vec<AnswerView>,
    answers: AnswersForm,
}

/// One question an incomplete screening asks, with what was chosen ("yes", "no" or "").
struct AnswerView {
    id: String,
    question: String,
    answer: String,
}

/// The answers form as typed, with its errors.
#[derive(Debug, Clone, Default)]
struct AnswersForm {
    typed: BTreeMap<String, String>,
    errors: FieldErrors,
}

/// The clearance form as typed, with its errors.
#[derive(Debug, Clone, Default)]
struct ClearanceForm {
    concept: String,
    cleared_by_role: String,
    cleared_by_name: String,
    cleared_on: String,
    method: String,
    reference: String,
    errors: FieldErrors,
}

impl ClearanceForm {
    fn read(fields: &Fields) -> Self {
        let text = |name: &str| fields.get(name).trim().to_owned();
        Self {
            concept: text("concept"),
            cleared_by_role: text("cleared_by_role"),
            cleared_by_name: text("cleared_by_name"),
            cleared_on: text("cleared_on"),
            method: text("method"),
            reference: text("reference"),
            errors: FieldErrors::none(),
        }
    }

    fn command(&self) -> RecordClearance {
        let optional = |t: &str| (!t.is_empty()).then(|| t.to_owned());
        RecordClearance {
            concept: self.concept.clone(),
            cleared_by_role: optional(&self.cleared_by_role),
            cleared_by_name: self.cleared_by_name.clone(),
            cleared_on: self.cleared_on.clone(),
            method: self.method.clone(),
            reference: optional(&self.reference),
        }
    }
}

fn evidence_view(evidence: &EvidenceDocument, records: &[ClinicalRecord]) -> EvidenceView {
    let origin = match evidence {
        EvidenceDocument::Record {
            record,
            record_id,
            matched_by,
            system,
            code,
            term,
            ..
        } => {
            let mut origin = match record_id {
                Some(id) => format!("From {record} record {id}"),
                None => format!("From a {record} record"),
            };
            let stored = record_id
                .as_deref()
                .and_then(|id| records.iter().find(|r| r.id.to_string() == id));
            if let Some(ClinicalRecord {
                source: RecordSource::Imported { system, id },
                ..
            }) = stored
            {
                origin.push_str(&format!(", imported from {system} ({id})"));
            }
            match (matched_by, system, code, term) {
                (MatchedBy::Code, Some(system), Some(code), _) => {
                    origin.push_str(&format!("; recognised by {system} code {code}"));
                }
                (MatchedBy::Text, _, _, Some(term)) => {
                    origin.push_str(&format!("; recognised by the words “{term}” in its text"));
                }
                _ => {}
            }
            origin
        }
        EvidenceDocument::Intake { question, .. } => {
            format!("Candidate form answer “yes” to: {question}")
        }
        EvidenceDocument::ReportedCondition { .. } => "Reported on the candidate form".to_owned(),
        EvidenceDocument::Deceased { .. } => "Patient record".to_owned(),
    };
    EvidenceView {
        sentence: evidence.sentence().to_owned(),
        origin,
    }
}

async fn screening_view(
    state: &AppState,
    viewer: &Viewer,
    id: i64,
    refusal: Option<String>,
) -> Result<ScreeningPage, UiError> {
    screening_view_with(
        state,
        viewer,
        id,
        refusal,
        ClearanceForm::default(),
        AnswersForm::default(),
    )
    .await
}

async fn screening_view_with(
    state: &AppState,
    viewer: &Viewer,
    id: i64,
    refusal: Option<String>,
    clearance_form: ClearanceForm,
    answers: AnswersForm,
) -> Result<ScreeningPage, UiError> {
    let store = state.store.as_ref();
    let stored = store
        .screening(&viewer.actor, ScreeningId(id))
        .await
        .map_err(in_page(viewer))?;
    let patient = store
        .patient(&viewer.actor, stored.patient_id)
        .await
        .map_err(in_page(viewer))?;
    let records = store
        .records(&viewer.actor, stored.patient_id, None)
        .await
        .map_err(in_page(viewer))?;
    let doc = &stored.result;
    let signed = match &stored.signature {
        Some(signature) => Some((
            signer_name(state, signature.by).await,
            viewer.time(signature.at),
        )),
        None => None,
    };
    let (verdict, badge) = verdict_words(&stored);
    let mut clearance_by: Vec<String> = Vec::new();
    let findings = doc
        .findings
        .iter()
        .map(|f| {
            if let Some(by) = &f.clearance_by
                && !clearance_by.contains(by)
            {
                clearance_by.push(by.clone());
            }
            let (outcome, badge) = outcome_words(f.outcome);
            FindingView {
                outcome,
                badge,
                sentence: f.sentence.clone(),
                clearance_by: f.clearance_by.clone(),
                evidence: f
                    .evidence
                    .iter()
                    .map(|e| evidence_view(e, &records))
                    .collect(),
                measurements: f.measurements.iter().map(|m| m.sentence.clone()).collect(),
                source: f.source.clone(),
            }
        })
        .collect();
    let indications = doc
        .indications
        .iter()
        .map(|m| IndicationView {
            label: m.label.clone(),
            evidence: m
                .evidence
                .iter()
                .map(|e| evidence_view(e, &records))
                .collect(),
            source: m.source.clone(),
        })
        .collect();
    let patient_safety = alerts::read(state, viewer, stored.patient_id).await?;
    let standing = &patient_safety.standing;
    let recorded: Vec<_> = standing
        .clearances
        .iter()
        .filter(|c| c.details.screening_id == stored.id)
        .collect();
    let clearances = recorded
        .iter()
        .map(|c| {
            let d = &c.details;
            let mut text = format!(
                "{}: cleared by {} ({}) on {} by {}",
                d.concept.replace('_', " "),
                d.cleared_by_name,
                d.cleared_by_role,
                d.cleared_on,
                d.method.label()
            );
            if let Some(reference) = &d.reference {
                text.push_str(&format!(", {reference}"));
            }
            text
        })
        .collect();
    let pending: Vec<(String, String, String)> = doc
        .findings
        .iter()
        .filter(|f| f.outcome == Outcome::NeedsClearance)
        .filter(|f| !recorded.iter().any(|c| c.details.concept == f.concept))
        .map(|f| {
            (
                f.concept.clone(),
                safety::concept_label(&state.clinic, &f.concept).to_owned(),
                f.clearance_by.clone().unwrap_or_default(),
            )
        })
        .collect();
    let may_clear = stored.signature.is_some()
        && !pending.is_empty()
        && viewer.may(crate::permissions::Permission::ScreeningSign);
    let name = patient_name(&patient.details);
    let may_sign_here = viewer.may(crate::permissions::Permission::ScreeningSign);
    let incomplete = screening::is_incomplete(doc);
    let questions = if incomplete && may_sign_here {
        screening::unasked_questions(&state.data.terminology, doc)
            .into_iter()
            .map(|q| AnswerView {
                id: q.id.clone(),
                question: q.question.clone(),
                answer: answers.typed.get(&q.id).cloned().unwrap_or_default(),
            })
            .collect()
    } else {
        Vec::new()
    };
    Ok(ScreeningPage {
        incomplete,
        questions,
        answers,
        safety: SafetyStrip::from_safety(&patient_safety),
        clearances,
        pending,
        may_clear,
        clearance_form,
        chrome: Chrome::for_viewer(viewer, "/patients"),
        title: format!("Screening {id}: {name}"),
        id,
        patient_id: stored.patient_id.0,
        patient_name: name,
        protocol: protocol_label(state, &stored.protocol_id, &stored.protocol_version),
        protocol_id: stored.protocol_id.clone(),
        protocol_version: stored.protocol_version.clone(),
        as_of: stored.as_of.to_string(),
        created: viewer.time(stored.created_at),
        verdict,
        badge,
        clearance_by,
        indicated: doc.indicated,
        findings,
        indications,
        not_asked: doc.not_asked.iter().map(|c| c.label.clone()).collect(),
        may_sign: signed.is_none() && may_sign_here && !incomplete,
        signed,
        refusal,
    })
}

/// The signer's display name (a user is never deleted; should the lookup fail, their number).
async fn signer_name(state: &AppState, id: UserId) -> String {
    match state.store.user(id).await {
        Ok(user) => user.display_name,
        Err(_) => format!("user {id}"),
    }
}

async fn screening_page(
    page: Page<need::PatientRead>,
    State(state): State<AppState>,
    PathText(id): PathText,
) -> Result<Response, UiError> {
    let id = id_in_path(&id, "screening").map_err(in_page(&page.viewer))?;
    let view = screening_view(&state, &page.viewer, id, None).await?;
    Ok(ok(&view))
}

/// Signs as the signed-in clinician (the API's store call); a second signature is refused
/// with the store's sentence, shown on the screening.
async fn sign(
    page: Page<need::ScreeningSign>,
    State(state): State<AppState>,
    PathText(id): PathText,
) -> Result<Response, UiError> {
    let viewer = &page.viewer;
    let id = id_in_path(&id, "screening").map_err(in_page(viewer))?;
    match screening::sign(&state.clinic, &viewer.clinic(), ScreeningId(id)).await {
        Ok(_) => Ok(see_other(&format!("/screenings/{id}"))),
        Err(ClinicError::Conflict(sentence)) => {
            let view = screening_view(&state, viewer, id, Some(sentence)).await?;
            Ok(html(StatusCode::CONFLICT, &view))
        }
        Err(ClinicError::Refused(refusal)) => {
            let view = screening_view(&state, viewer, id, Some(refusal.message)).await?;
            Ok(html(StatusCode::UNPROCESSABLE_ENTITY, &view))
        }
        Err(other) => Err(UiError::new(ApiError::from(other), Some(viewer))),
    }
}

/// Records the patient's answers to what the screening found nobody had asked (each question
/// yes or no), and opens the new screening made with them; a question left unanswered comes
/// back at its place, everything chosen kept.
async fn record_answers(
    page: Page<need::ScreeningSign>,
    State(state): State<AppState>,
    PathText(id): PathText,
    fields: Fields,
) -> Result<Response, UiError> {
    let viewer = &page.viewer;
    let id = id_in_path(&id, "screening").map_err(in_page(viewer))?;
    let mut form = AnswersForm::default();
    let mut answers = BTreeMap::new();
    let mut unreadable = FieldErrors::none();
    for (name, value) in &fields.0 {
        let Some(question) = name.strip_prefix("answers.") else {
            continue;
        };
        form.typed.insert(question.to_owned(), value.clone());
        match value.as_str() {
            "yes" => {
                answers.insert(question.to_owned(), true);
            }
            "no" => {
                answers.insert(question.to_owned(), false);
            }
            "" => {}
            _ => unreadable.add(name, "is neither yes nor no; choose one"),
        }
    }
    let result = if unreadable.is_empty() {
        screening::record_answers(&state.clinic, &viewer.clinic(), ScreeningId(id), &answers).await
    } else {
        Err(ClinicError::Invalid(BTreeMap::new()))
    };
    match result {
        Ok(again) => Ok(see_other(&format!("/screenings/{}", again.id))),
        Err(error @ ClinicError::Invalid(_)) => {
            form.errors = FieldErrors::from_api(&ApiError::from(error), &[]);
            for (field, sentence) in unreadable.others(&[]) {
                form.errors.add(field, sentence);
            }
            form.errors.summary = Some(
                "Every question needs the patient's answer before the screening can be run again; see the questions marked below."
                    .to_owned(),
            );
            let view =
                screening_view_with(&state, viewer, id, None, ClearanceForm::default(), form)
                    .await?;
            Ok(html(StatusCode::UNPROCESSABLE_ENTITY, &view))
        }
        Err(ClinicError::Conflict(sentence)) => {
            let view = screening_view(&state, viewer, id, Some(sentence)).await?;
            Ok(html(StatusCode::CONFLICT, &view))
        }
        Err(other) => Err(UiError::new(ApiError::from(other), Some(viewer))),
    }
}

/// Records a clearance for one finding (the use case checks the finding, the date and the
/// role); a refused form comes back with its errors at its fields.
async fn record_clearance(
    page: Page<need::ScreeningSign>,
    State(state): State<AppState>,
    PathText(id): PathText,
    fields: Fields,
) -> Result<Response, UiError> {
    let viewer = &page.viewer;
    let id = id_in_path(&id, "screening").map_err(in_page(viewer))?;
    let mut form = ClearanceForm::read(&fields);
    match safety::record_clearance(
        &state.clinic,
        &viewer.clinic(),
        ScreeningId(id),
        &form.command(),
    )
    .await
    {
        Ok(_) => Ok(see_other(&format!("/screenings/{id}#clearance"))),
        Err(error @ (ClinicError::Invalid(_) | ClinicError::Conflict(_))) => {
            let status = if matches!(error, ClinicError::Conflict(_)) {
                StatusCode::CONFLICT
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            form.errors = FieldErrors::from_api(&ApiError::from(error), &[]);
            let view =
                screening_view_with(&state, viewer, id, None, form, AnswersForm::default()).await?;
            Ok(html(status, &view))
        }
        Err(other) => Err(UiError::new(ApiError::from(other), Some(viewer))),
    }
}
