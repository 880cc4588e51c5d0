//! The core's results as the documents the store keeps (see `myotome_store::documents`): a
//! screening with its findings, evidence and citations; a dose with its arithmetic; a window
//! violation with its citation. Built here once, for every edge: the API and the pages read the
//! stored documents, never the core's borrowed results.

use myotome_core::citation::Citation;
use myotome_core::dosing::Dose;
use myotome_core::protocol::Protocol;
use myotome_core::schedule::Violation;
use myotome_core::screening::{Evidence, Finding, LatestMeasurement, Match, Screening};
use myotome_core::terminology::system_label;
use myotome_store::{
    ConceptDocument, DOCUMENT_SCHEMA, DoseDocument, EvidenceDocument, FindingDocument,
    FloorBasisDocument, IndicationDocument, MatchedBy, MeasurementDocument, ProtocolRef,
    ScreeningDocument, SourceDocument, ViolationDocument,
};

pub fn protocol_ref(protocol: &Protocol) -> ProtocolRef {
    ProtocolRef {
        id: protocol.id.to_string(),
        version: protocol.version.to_string(),
    }
}

pub fn source(citation: Citation<'_>) -> SourceDocument {
    SourceDocument {
        document: citation.reference.document.clone(),
        title: citation.reference.title.clone(),
        section: citation.source.section.clone(),
        quote: citation.source.quote.clone(),
    }
}

/// A screening as it is stored (and shown, and exported).
pub fn screening(screening: &Screening<'_>) -> ScreeningDocument {
    ScreeningDocument {
        schema: DOCUMENT_SCHEMA,
        protocol: protocol_ref(screening.protocol),
        as_of: screening.as_of,
        verdict: screening.verdict,
        indicated: screening.is_indicated(),
        findings: screening.findings.iter().map(finding).collect(),
        indications: screening
            .indications
            .iter()
            .map(|m| IndicationDocument {
                concept: m.indication.concept.clone(),
                label: m.indication.label.clone(),
                evidence: m.evidence.iter().map(evidence).collect(),
                source: m.citation.map(source),
            })
            .collect(),
        not_asked: screening
            .not_asked
            .iter()
            .map(|c| ConceptDocument {
                concept: c.id.clone(),
                label: c.label.clone(),
            })
            .collect(),
    }
}

fn finding(f: &Finding<'_>) -> FindingDocument {
    FindingDocument {
        concept: f.concept.id.clone(),
        outcome: f.outcome,
        clearance_by: f.clearance_by.map(str::to_owned),
        sentence: f.sentence(),
        evidence: f.evidence.iter().map(evidence).collect(),
        measurements: f.measurements.iter().map(measurement).collect(),
        source: f.citation.map(source),
    }
}

fn measurement(latest: &LatestMeasurement<'_>) -> MeasurementDocument {
    MeasurementDocument {
        code: latest.code.code.clone(),
        system: system_label(&latest.code.system).to_owned(),
        display: latest.code.display.clone(),
        value: latest.measurement.value,
        unit: latest.measurement.unit.clone(),
        on: latest.measurement.on,
        sentence: latest.to_string(),
    }
}

fn evidence(evidence: &Evidence<'_>) -> EvidenceDocument {
    let sentence = evidence.to_string();
    match evidence {
        Evidence::Record {
            kind,
            record,
            matched,
        } => {
            let (matched_by, system, code, term) = match matched {
                Match::Code(coding) => (
                    MatchedBy::Code,
                    Some(system_label(&coding.system).to_owned()),
                    Some(coding.code.clone()),
                    None,
                ),
                Match::Text { term } => (MatchedBy::Text, None, None, Some((*term).to_owned())),
            };
            EvidenceDocument::Record {
                record: kind.label().to_owned(),
                record_id: record.id.clone(),
                matched_by,
                system,
                code,
                term,
                name: record.name().to_owned(),
                status: record.status.as_str().to_owned(),
                start: record.start,
                sentence,
            }
        }
        Evidence::Intake { question } => EvidenceDocument::Intake {
            question_id: question.id.clone(),
            question: question.question.clone(),
            sentence,
        },
        Evidence::ReportedCondition => EvidenceDocument::ReportedCondition { sentence },
        Evidence::Deceased { on } => EvidenceDocument::Deceased { on: *on, sentence },
    }
}

/// A dose as it is stored with its plan.
pub fn dose(protocol: &Protocol, dose: &Dose) -> DoseDocument {
    DoseDocument {
        schema: DOCUMENT_SCHEMA,
        protocol: protocol_ref(protocol),
        cell_floor: dose.floor.map(|f| f.minimum_cells),
        floor_basis: dose.floor.map(|f| FloorBasisDocument {
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
        per_side: dose.bilateral,
        explanation: dose.explanation.clone(),
    }
}

/// A broken window, explained and cited.
pub fn violation(violation: &Violation<'_>) -> ViolationDocument {
    ViolationDocument {
        kind: violation.kind,
        session: violation.session,
        explanation: violation.explanation.clone(),
        source: violation.citation.map(source),
    }
}
