//! JSON shapes of clinical results — screening, dose, session plan, calendar check — shared by
//! the command line (`--format json`) and the API, so both speak the same documents. Kept apart
//! from the core types so the core never has to follow a wire format.

use myotome_clinic::documents;
use myotome_clinic::planning::visit_label;
use myotome_core::protocol::Protocol;
use myotome_core::schedule::{SessionPlan, Violation};
use myotome_store::{
    DoseDocument, EvidenceDocument, FindingDocument, MatchedBy, MeasurementDocument,
    ScreeningDocument, SourceDocument, ViolationDocument,
};
use serde::Serialize;

// --- Shared output pieces -----------------------------------------------------------------------

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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

impl From<&myotome_store::ProtocolRef> for ProtocolRef {
    fn from(protocol: &myotome_store::ProtocolRef) -> Self {
        Self {
            id: protocol.id.clone(),
            version: protocol.version.clone(),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SourceOut {
    pub document: String,
    pub title: String,
    pub section: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quote: Option<String>,
}

impl From<&SourceDocument> for SourceOut {
    fn from(source: &SourceDocument) -> Self {
        Self {
            document: source.document.clone(),
            title: source.title.clone(),
            section: source.section.clone(),
            quote: source.quote.clone(),
        }
    }
}

// --- Screening (output) -------------------------------------------------------------------------

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ScreeningOut {
    pub protocol: ProtocolRef,
    pub as_of: String,
    pub verdict: &'static str,
    pub indicated: bool,
    pub findings: Vec<FindingOut>,
    pub indications: Vec<IndicationOut>,
    pub not_asked: Vec<ConceptOut>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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

impl From<&FindingDocument> for FindingOut {
    fn from(f: &FindingDocument) -> Self {
        Self {
            concept: f.concept.clone(),
            outcome: f.outcome.as_str(),
            clearance_by: f.clearance_by.clone(),
            sentence: f.sentence.clone(),
            evidence: f.evidence.iter().map(EvidenceOut::from).collect(),
            measurements: f.measurements.iter().map(MeasurementOut::from).collect(),
            source: f.source.as_ref().map(SourceOut::from),
        }
    }
}

/// A measured value shown beside a finding.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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

impl From<&MeasurementDocument> for MeasurementOut {
    fn from(m: &MeasurementDocument) -> Self {
        Self {
            code: m.code.clone(),
            system: m.system.clone(),
            display: m.display.clone(),
            value: m.value,
            unit: m.unit.clone(),
            on: m.on.to_string(),
            sentence: m.sentence.clone(),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IndicationOut {
    pub concept: String,
    pub label: String,
    pub evidence: Vec<EvidenceOut>,
    pub source: Option<SourceOut>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConceptOut {
    pub concept: String,
    pub label: String,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EvidenceOut {
    Record {
        record: String,
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
        status: String,
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

impl From<&EvidenceDocument> for EvidenceOut {
    fn from(evidence: &EvidenceDocument) -> Self {
        match evidence.clone() {
            EvidenceDocument::Record {
                record,
                record_id,
                matched_by,
                system,
                code,
                term,
                name,
                status,
                start,
                sentence,
            } => EvidenceOut::Record {
                record,
                record_id,
                matched_by: match matched_by {
                    MatchedBy::Code => "code",
                    MatchedBy::Text => "text",
                },
                system,
                code,
                term,
                name,
                status,
                start: start.map(|d| d.to_string()),
                sentence,
            },
            EvidenceDocument::Intake {
                question_id,
                question,
                sentence,
            } => EvidenceOut::Intake {
                question_id,
                question,
                sentence,
            },
            EvidenceDocument::ReportedCondition { sentence } => {
                EvidenceOut::ReportedCondition { sentence }
            }
            EvidenceDocument::Deceased { on, sentence } => EvidenceOut::Deceased {
                on: on.map(|d| d.to_string()),
                sentence,
            },
        }
    }
}

impl From<&ScreeningDocument> for ScreeningOut {
    fn from(screening: &ScreeningDocument) -> Self {
        Self {
            protocol: (&screening.protocol).into(),
            as_of: screening.as_of.to_string(),
            verdict: screening.verdict.as_str(),
            indicated: screening.indicated,
            findings: screening.findings.iter().map(FindingOut::from).collect(),
            indications: screening
                .indications
                .iter()
                .map(|m| IndicationOut {
                    concept: m.concept.clone(),
                    label: m.label.clone(),
                    evidence: m.evidence.iter().map(EvidenceOut::from).collect(),
                    source: m.source.as_ref().map(SourceOut::from),
                })
                .collect(),
            not_asked: screening
                .not_asked
                .iter()
                .map(|c| ConceptOut {
                    concept: c.concept.clone(),
                    label: c.label.clone(),
                })
                .collect(),
        }
    }
}

// --- Dose (output) ------------------------------------------------------------------------------

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
    /// Both sides are treated: every amount above is for each side.
    pub per_side: bool,
    pub explanation: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FloorBasisOut {
    pub cells_per_kg: u64,
    pub weight_kg: f64,
    pub cells_per_ml: u64,
    pub minimum_volume_ml: f64,
}

impl From<&DoseDocument> for DoseOut {
    fn from(dose: &DoseDocument) -> Self {
        Self {
            protocol: (&dose.protocol).into(),
            cell_floor: dose.cell_floor,
            floor_basis: dose.floor_basis.as_ref().map(|f| FloorBasisOut {
                cells_per_kg: f.cells_per_kg,
                weight_kg: f.weight_kg,
                cells_per_ml: f.cells_per_ml,
                minimum_volume_ml: f.minimum_volume_ml,
            }),
            product_volume_ml: dose.product_volume_ml,
            saline_volume_ml: dose.saline_volume_ml,
            total_volume_ml: dose.total_volume_ml,
            cells_delivered: dose.cells_delivered,
            per_site_ml: dose.per_site_ml.clone(),
            per_side: dose.per_side,
            explanation: dose.explanation.clone(),
        }
    }
}

// --- Plan (output) ------------------------------------------------------------------------------

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PlanOut {
    pub protocol: ProtocolRef,
    pub visits: Vec<VisitOut>,
    pub unscheduled: Vec<String>,
    pub explanation: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
                        kind: kind.as_str(),
                        label,
                        date: visit.date.to_string(),
                        earliest: visit.window.map(|(e, _)| e.to_string()),
                        latest: visit.window.map(|(_, l)| l.to_string()),
                        source: visit
                            .citation
                            .map(|c| SourceOut::from(&documents::source(c))),
                    }
                })
                .collect(),
            unscheduled: plan.unscheduled.clone(),
            explanation: plan.explanation.clone(),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CalendarCheckOut {
    pub protocol: ProtocolRef,
    pub ok: bool,
    pub violations: Vec<ViolationOut>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ViolationOut {
    pub kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session: Option<u32>,
    pub explanation: String,
    pub source: Option<SourceOut>,
}

impl From<&ViolationDocument> for ViolationOut {
    fn from(violation: &ViolationDocument) -> Self {
        Self {
            kind: violation.kind.as_str(),
            session: violation.session,
            explanation: violation.explanation.clone(),
            source: violation.source.as_ref().map(SourceOut::from),
        }
    }
}

impl From<&Violation<'_>> for ViolationOut {
    fn from(violation: &Violation<'_>) -> Self {
        Self::from(&documents::violation(violation))
    }
}
