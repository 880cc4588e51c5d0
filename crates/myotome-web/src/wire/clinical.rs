//! JSON shapes of clinical results — screening, dose, session plan, calendar check — shared by
//! the command line (`--format json`) and the API, so both speak the same documents. Kept apart
//! from the core types so the core never has to follow a wire format.

use myotome_core::citation::Citation;
use myotome_core::dosing::Dose;
use myotome_core::protocol::Protocol;
use myotome_core::schedule::{PlannedVisit, SessionPlan, Violation, VisitKind};
use myotome_core::screening::{Evidence, Finding, LatestMeasurement, Match, Screening};
use myotome_core::terminology::system_label;
use serde::Serialize;
use utoipa::ToSchema;

// --- Shared output pieces -----------------------------------------------------------------------

#[derive(Debug, Clone, Serialize, ToSchema)]
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

#[derive(Debug, Clone, Serialize, ToSchema)]
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

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ScreeningOut {
    pub protocol: ProtocolRef,
    pub as_of: String,
    pub verdict: &'static str,
    pub indicated: bool,
    pub findings: Vec<FindingOut>,
    pub indications: Vec<IndicationOut>,
    pub not_asked: Vec<ConceptOut>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FindingOut {
    pub concept: String,
    pub outcome: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub clearance_by: Option<String>,
    pub sentence: String,
    pub evidence: Vec<EvidenceOut>,
    /// The latest result of each measurement the value sets list for the concept (e.g. HbA1c
    /// beside diabetes), for the clinician to weigh; no threshold is applied. Absent when none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub measurements: Vec<MeasurementOut>,
    /// `null` only for record rules that hold for every protocol (deceased).
    pub source: Option<SourceOut>,
}

impl From<&Finding<'_>> for FindingOut {
    fn from(f: &Finding<'_>) -> Self {
        Self {
            concept: f.concept.id.clone(),
            outcome: f.outcome.as_str(),
            clearance_by: f.clearance_by.map(str::to_owned),
            sentence: f.sentence(),
            evidence: f.evidence.iter().map(EvidenceOut::from).collect(),
            measurements: f.measurements.iter().map(MeasurementOut::from).collect(),
            source: f.citation.map(SourceOut::from),
        }
    }
}

/// A measured value shown beside a finding.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MeasurementOut {
    /// e.g. `4548-4`
    pub code: String,
    /// e.g. `LOINC`
    pub system: String,
    /// What was measured, as the value sets name it.
    pub display: String,
    pub value: f64,
    /// As recorded (UCUM where the source used it), e.g. `%`.
    pub unit: String,
    /// ISO date of the measurement.
    pub on: String,
    pub sentence: String,
}

impl From<&LatestMeasurement<'_>> for MeasurementOut {
    fn from(latest: &LatestMeasurement<'_>) -> Self {
        Self {
            code: latest.code.code.clone(),
            system: system_label(&latest.code.system).to_owned(),
            display: latest.code.display.clone(),
            value: latest.measurement.value,
            unit: latest.measurement.unit.clone(),
            on: latest.measurement.on.to_string(),
            sentence: latest.to_string(),
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct IndicationOut {
    pub concept: String,
    pub label: String,
    pub evidence: Vec<EvidenceOut>,
    pub source: Option<SourceOut>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ConceptOut {
    pub concept: String,
    pub label: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EvidenceOut {
    Record {
        record: &'static str,
        #[serde(skip_serializing_if = "Option::is_none")]
        record_id: Option<String>,
        /// How the record was recognised: `code` (a code in the value set) or `text` (a text
        /// term in its text, when none of its codes is known).
        matched_by: &'static str,
        /// The code system label of the matching code; absent for a text match.
        #[serde(skip_serializing_if = "Option::is_none")]
        system: Option<String>,
        /// The matching code; absent for a text match.
        #[serde(skip_serializing_if = "Option::is_none")]
        code: Option<String>,
        /// The text term that matched; present only for a text match.
        #[serde(skip_serializing_if = "Option::is_none")]
        term: Option<String>,
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
                matched,
            } => EvidenceOut::Record {
                record: kind.label(),
                record_id: record.id.clone(),
                matched_by: match matched {
                    Match::Code(_) => "code",
                    Match::Text { .. } => "text",
                },
                system: match matched {
                    Match::Code(coding) => Some(system_label(&coding.system).to_owned()),
                    Match::Text { .. } => None,
                },
                code: match matched {
                    Match::Code(coding) => Some(coding.code.clone()),
                    Match::Text { .. } => None,
                },
                term: match matched {
                    Match::Code(_) => None,
                    Match::Text { term } => Some((*term).to_owned()),
                },
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
            findings: screening.findings.iter().map(FindingOut::from).collect(),
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

#[derive(Debug, Clone, Serialize, ToSchema)]
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

#[derive(Debug, Clone, Serialize, ToSchema)]
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

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PlanOut {
    pub protocol: ProtocolRef,
    pub visits: Vec<VisitOut>,
    pub unscheduled: Vec<String>,
    pub explanation: Vec<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
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

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CalendarCheckOut {
    pub protocol: ProtocolRef,
    pub ok: bool,
    pub violations: Vec<ViolationOut>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
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
