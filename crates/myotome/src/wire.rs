//! JSON shapes of the command line: the patient-facts file it reads and the screening, dose and
//! plan documents it writes. Kept apart from the core types so the core never has to follow a
//! wire format, and the wire format never changes by accident when the core does.

use anyhow::{Result, bail};
use jiff::civil::Date;
use myotome_core::citation::Citation;
use myotome_core::dosing::Dose;
use myotome_core::facts::{
    CodedRecord, Coding, IntakeAnswers, PatientFacts, RecordStatus, Sex, Weight,
};
use myotome_core::protocol::Protocol;
use myotome_core::schedule::{PlannedVisit, SessionPlan, Violation, VisitKind};
use myotome_core::screening::{Evidence, Screening};
use myotome_core::terminology::{Terminology, system_label};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

// --- Patient facts (input) ----------------------------------------------------------------------

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FactsFile {
    #[serde(default)]
    birth_date: Option<String>,
    #[serde(default)]
    sex: Option<String>,
    #[serde(default)]
    weight_kg: Option<f64>,
    /// `true`, or the date of death.
    #[serde(default)]
    deceased: Option<DeceasedField>,
    #[serde(default)]
    conditions: Vec<RecordField>,
    #[serde(default)]
    medications: Vec<RecordField>,
    #[serde(default)]
    allergies: Vec<RecordField>,
    #[serde(default)]
    intake: IntakeField,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum DeceasedField {
    Flag(bool),
    Date(String),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RecordField {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    system: Option<String>,
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    display: Option<String>,
    #[serde(default)]
    codes: Vec<CodingField>,
    #[serde(default)]
    text: Option<String>,
    status: String,
    #[serde(default)]
    start: Option<String>,
    #[serde(default)]
    end: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CodingField {
    system: String,
    code: String,
    #[serde(default)]
    display: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct IntakeField {
    #[serde(default)]
    answers: BTreeMap<String, bool>,
    #[serde(default)]
    reported_conditions: Vec<String>,
}

/// Parses a `YYYY-MM-DD` date, saying which field was wrong.
pub fn parse_date(field: &str, text: &str) -> Result<Date, String> {
    text.trim()
        .parse::<Date>()
        .map_err(|e| format!("{field}: `{text}` is not a date ({e}); write YYYY-MM-DD"))
}

impl FactsFile {
    /// Converts to core facts, reporting every problem with its field path.
    pub fn into_facts(self, terminology: &Terminology) -> Result<PatientFacts> {
        let mut problems = Vec::new();
        let mut facts = PatientFacts::default();
        if let Some(text) = &self.birth_date {
            facts.birth_date = parse_date("birth_date", text)
                .map_err(|e| problems.push(e))
                .ok();
        }
        if let Some(text) = &self.sex {
            facts.sex = Sex::parse(text)
                .map_err(|e| problems.push(format!("sex: {e}")))
                .ok();
        }
        if let Some(kg) = self.weight_kg {
            facts.weight = Weight::from_kg(kg)
                .map_err(|e| problems.push(format!("weight_kg: {e}")))
                .ok();
        }
        facts.deceased = match &self.deceased {
            None | Some(DeceasedField::Flag(false)) => None,
            Some(DeceasedField::Flag(true)) => Some(None),
            Some(DeceasedField::Date(text)) => match parse_date("deceased", text) {
                Ok(date) => Some(Some(date)),
                Err(e) => {
                    problems.push(e);
                    None
                }
            },
        };
        facts.conditions = records("conditions", self.conditions, &mut problems);
        facts.medications = records("medications", self.medications, &mut problems);
        facts.allergies = records("allergies", self.allergies, &mut problems);
        match IntakeAnswers::new(
            self.intake.answers,
            self.intake.reported_conditions,
            terminology,
        ) {
            Ok(intake) => facts.intake = intake,
            Err(errors) => problems.extend(errors.into_iter().map(|e| format!("intake: {e}"))),
        }
        if problems.is_empty() {
            Ok(facts)
        } else {
            bail!(
                "the facts file has {} problem(s):\n  {}",
                problems.len(),
                problems.join("\n  ")
            )
        }
    }
}

fn records(list: &str, fields: Vec<RecordField>, problems: &mut Vec<String>) -> Vec<CodedRecord> {
    let mut out = Vec::new();
    for (i, field) in fields.into_iter().enumerate() {
        let at = format!("{list}[{i}]");
        let mut codings: Vec<Coding> = field
            .codes
            .iter()
            .map(|c| Coding::new(&c.system, &c.code, c.display.as_deref()))
            .collect();
        match (&field.system, &field.code) {
            (Some(system), Some(code)) => {
                codings.push(Coding::new(system, code, field.display.as_deref()))
            }
            (None, None) => {}
            _ => problems.push(format!("{at}: give both `system` and `code`, or neither")),
        }
        if codings.is_empty() && field.text.is_none() {
            problems.push(format!(
                "{at}: give a code (`system` and `code`, or `codes`) or a `text`"
            ));
        }
        let status = RecordStatus::parse(&field.status)
            .map_err(|e| problems.push(format!("{at}.status: {e}")));
        let start = field
            .start
            .as_deref()
            .map(|t| parse_date(&format!("{at}.start"), t))
            .transpose()
            .map_err(|e| problems.push(e));
        let end = field
            .end
            .as_deref()
            .map(|t| parse_date(&format!("{at}.end"), t))
            .transpose()
            .map_err(|e| problems.push(e));
        if let (Ok(status), Ok(start), Ok(end)) = (status, start, end) {
            if let (Some(s), Some(e)) = (start, end)
                && e < s
            {
                problems.push(format!("{at}: ends ({e}) before it starts ({s})"));
            }
            out.push(CodedRecord {
                id: field.id,
                codings,
                text: field.text.or(field.display),
                status,
                start,
                end,
            });
        }
    }
    out
}

// --- Shared output pieces -----------------------------------------------------------------------

#[derive(Debug, Serialize)]
pub struct ProtocolRef {
    pub id: String,
    pub version: String,
}

impl From<&Protocol> for ProtocolRef {
    fn from(protocol: &Protocol) -> Self {
        Self {
            id: protocol.id.to_string(),
            version: protocol.version.to_string(),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct SourceOut {
    pub document: String,
    pub title: String,
    pub section: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quote: Option<String>,
}

impl From<Citation<'_>> for SourceOut {
    fn from(citation: Citation<'_>) -> Self {
        Self {
            document: citation.reference.document.clone(),
            title: citation.reference.title.clone(),
            section: citation.source.section.clone(),
            quote: citation.source.quote.clone(),
        }
    }
}

// --- Screening (output) -------------------------------------------------------------------------

#[derive(Debug, Serialize)]
pub struct ScreeningOut {
    pub protocol: ProtocolRef,
    pub as_of: String,
    pub verdict: &'static str,
    pub indicated: bool,
    pub findings: Vec<FindingOut>,
    pub indications: Vec<IndicationOut>,
    pub not_asked: Vec<ConceptOut>,
}

#[derive(Debug, Serialize)]
pub struct FindingOut {
    pub concept: String,
    pub outcome: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub clearance_by: Option<String>,
    pub sentence: String,
    pub evidence: Vec<EvidenceOut>,
    /// `null` only for record rules that hold for every protocol (deceased).
    pub source: Option<SourceOut>,
}

#[derive(Debug, Serialize)]
pub struct IndicationOut {
    pub concept: String,
    pub label: String,
    pub evidence: Vec<EvidenceOut>,
    pub source: Option<SourceOut>,
}

#[derive(Debug, Serialize)]
pub struct ConceptOut {
    pub concept: String,
    pub label: String,
}

#[derive(Debug, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EvidenceOut {
    Record {
        record: &'static str,
        #[serde(skip_serializing_if = "Option::is_none")]
        record_id: Option<String>,
        system: String,
        code: String,
        name: String,
        status: &'static str,
        #[serde(skip_serializing_if = "Option::is_none")]
        start: Option<String>,
        sentence: String,
    },
    Intake {
        question_id: String,
        question: String,
        sentence: String,
    },
    ReportedCondition {
        sentence: String,
    },
    Deceased {
        #[serde(skip_serializing_if = "Option::is_none")]
        on: Option<String>,
        sentence: String,
    },
}

impl From<&Evidence<'_>> for EvidenceOut {
    fn from(evidence: &Evidence<'_>) -> Self {
        let sentence = evidence.to_string();
        match evidence {
            Evidence::Record {
                kind,
                record,
                coding,
            } => EvidenceOut::Record {
                record: kind.label(),
                record_id: record.id.clone(),
                system: system_label(&coding.system).to_owned(),
                code: coding.code.clone(),
                name: record.name().to_owned(),
                status: record.status.as_str(),
                start: record.start.map(|d| d.to_string()),
                sentence,
            },
            Evidence::Intake { question } => EvidenceOut::Intake {
                question_id: question.id.clone(),
                question: question.question.clone(),
                sentence,
            },
            Evidence::ReportedCondition => EvidenceOut::ReportedCondition { sentence },
            Evidence::Deceased { on } => EvidenceOut::Deceased {
                on: on.map(|d| d.to_string()),
                sentence,
            },
        }
    }
}

impl From<&Screening<'_>> for ScreeningOut {
    fn from(screening: &Screening<'_>) -> Self {
        Self {
            protocol: screening.protocol.into(),
            as_of: screening.as_of.to_string(),
            verdict: screening.verdict.as_str(),
            indicated: screening.is_indicated(),
            findings: screening
                .findings
                .iter()
                .map(|f| FindingOut {
                    concept: f.concept.id.clone(),
                    outcome: f.outcome.as_str(),
                    clearance_by: f.clearance_by.map(str::to_owned),
                    sentence: f.sentence(),
                    evidence: f.evidence.iter().map(EvidenceOut::from).collect(),
                    source: f.citation.map(SourceOut::from),
                })
                .collect(),
            indications: screening
                .indications
                .iter()
                .map(|m| IndicationOut {
                    concept: m.indication.concept.clone(),
                    label: m.indication.label.clone(),
                    evidence: m.evidence.iter().map(EvidenceOut::from).collect(),
                    source: m.citation.map(SourceOut::from),
                })
                .collect(),
            not_asked: screening
                .not_asked
                .iter()
                .map(|c| ConceptOut {
                    concept: c.id.clone(),
                    label: c.label.clone(),
                })
                .collect(),
        }
    }
}

// --- Dose (output) ------------------------------------------------------------------------------

#[derive(Debug, Serialize)]
pub struct DoseOut {
    pub protocol: ProtocolRef,
    /// Minimum cells the patient must receive, as a plain integer; `null` without a floor.
    pub cell_floor: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub floor_basis: Option<FloorBasisOut>,
    pub product_volume_ml: f64,
    pub saline_volume_ml: f64,
    pub total_volume_ml: f64,
    pub cells_delivered: Option<u64>,
    pub per_site_ml: Vec<f64>,
    pub explanation: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct FloorBasisOut {
    pub cells_per_kg: u64,
    pub weight_kg: f64,
    pub cells_per_ml: u64,
    pub minimum_volume_ml: f64,
}

impl DoseOut {
    pub fn new(protocol: &Protocol, dose: &Dose) -> Self {
        Self {
            protocol: protocol.into(),
            cell_floor: dose.floor.map(|f| f.minimum_cells),
            floor_basis: dose.floor.map(|f| FloorBasisOut {
                cells_per_kg: f.cells_per_kg,
                weight_kg: f.weight.kg(),
                cells_per_ml: f.cells_per_ml,
                minimum_volume_ml: f.minimum_volume.millilitres(),
            }),
            product_volume_ml: dose.product_volume.millilitres(),
            saline_volume_ml: dose.saline_volume.millilitres(),
            total_volume_ml: dose.total_volume.millilitres(),
            cells_delivered: dose.cells_delivered,
            per_site_ml: dose.per_site.iter().map(|v| v.millilitres()).collect(),
            explanation: dose.explanation.clone(),
        }
    }
}

// --- Plan (output) ------------------------------------------------------------------------------

#[derive(Debug, Serialize)]
pub struct PlanOut {
    pub protocol: ProtocolRef,
    pub visits: Vec<VisitOut>,
    pub unscheduled: Vec<String>,
    pub explanation: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct VisitOut {
    pub kind: &'static str,
    pub label: String,
    pub date: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub earliest: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latest: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<SourceOut>,
}

pub fn visit_label(visit: &PlannedVisit<'_>) -> (&'static str, String) {
    match &visit.kind {
        VisitKind::Session { number } => ("session", format!("Session {number}")),
        VisitKind::FollowUp {
            follow_up,
            after_session,
        } => (
            "follow_up",
            format!("{} (after session {after_session})", follow_up.label),
        ),
        VisitKind::CheckIn { follow_up, number } => {
            ("check_in", format!("{} #{number}", follow_up.label))
        }
    }
}

impl PlanOut {
    pub fn new(protocol: &Protocol, plan: &SessionPlan<'_>) -> Self {
        Self {
            protocol: protocol.into(),
            visits: plan
                .visits
                .iter()
                .map(|visit| {
                    let (kind, label) = visit_label(visit);
                    VisitOut {
                        kind,
                        label,
                        date: visit.date.to_string(),
                        earliest: visit.window.map(|(e, _)| e.to_string()),
                        latest: visit.window.map(|(_, l)| l.to_string()),
                        source: visit.citation.map(SourceOut::from),
                    }
                })
                .collect(),
            unscheduled: plan.unscheduled.clone(),
            explanation: plan.explanation.clone(),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct CalendarCheckOut {
    pub protocol: ProtocolRef,
    pub ok: bool,
    pub violations: Vec<ViolationOut>,
}

#[derive(Debug, Serialize)]
pub struct ViolationOut {
    pub kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session: Option<u32>,
    pub explanation: String,
    pub source: Option<SourceOut>,
}

impl From<&Violation<'_>> for ViolationOut {
    fn from(violation: &Violation<'_>) -> Self {
        Self {
            kind: violation.kind.as_str(),
            session: violation.session,
            explanation: violation.explanation.clone(),
            source: violation.citation.map(SourceOut::from),
        }
    }
}
