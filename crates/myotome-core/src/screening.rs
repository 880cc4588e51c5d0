//! Candidate screening: patient facts + protocol + as-of date → a verdict and its findings.
//!
//! Each protocol contraindication whose concept is supported by a current record or a "yes" on
//! the candidate form becomes a finding with its evidence and seed citation; the worst finding
//! decides the verdict. A record is evidence through a code in the concept's value set, or — when
//! none of its codes is known for its kind of record — through a text term in its text or coding
//! displays; the evidence says which ([`Match`]). Each finding carries the latest measurement of
//! each code the value sets list for its concept (e.g. HbA1c beside diabetes), shown, never
//! judged. Screening also reports which of the protocol's indications the documented conditions
//! match, and which concepts the candidate form did not ask about.

use crate::citation::Citation;
use crate::facts::{CodedRecord, Coding, Measurement, PatientFacts};
use crate::protocol::{Contraindication, Indication, LoadedProtocol, Protocol};
use crate::terminology::{
    Concept, IntakeQuestion, MeasurementCode, RecordKind, Terminology, system_label,
};
use jiff::civil::Date;
use std::fmt;

pub use crate::outcome::Outcome;

/// How a record was recognised as evidence for a concept.
#[derive(Debug, Clone, Copy)]
pub enum Match<'a> {
    /// This coding of the record is in the concept's value set.
    Code(&'a Coding),
    /// None of the record's codes is known for its kind of record, but its text or a coding's
    /// display names this text term of the concept (as written in the value sets).
    Text { term: &'a str },
}

/// The fact that triggered a finding.
#[derive(Debug, Clone, Copy)]
pub enum Evidence<'a> {
    /// A current record recognised by a code or a text term.
    Record {
        kind: RecordKind,
        record: &'a CodedRecord,
        matched: Match<'a>,
    },
    /// A "yes" on the candidate form.
    Intake { question: &'a IntakeQuestion },
    /// The condition was reported on the candidate form as a reason for the visit.
    ReportedCondition,
    /// The record says the patient has died.
    Deceased { on: Option<Date> },
}

impl fmt::Display for Evidence<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Evidence::Record {
                kind,
                record,
                matched,
            } => {
                write!(
                    f,
                    "{} {}: {}",
                    record.status.as_str(),
                    kind.label(),
                    record.name()
                )?;
                match matched {
                    Match::Code(coding) => {
                        write!(f, " ({} {})", system_label(&coding.system), coding.code)?
                    }
                    Match::Text { term } => write!(f, " (text match: \"{term}\")")?,
                }
                if let Some(start) = record.start {
                    write!(f, ", since {start}")?;
                }
                Ok(())
            }
            Evidence::Intake { question } => {
                write!(f, "candidate form: \"{}\" answered yes", question.question)
            }
            Evidence::ReportedCondition => {
                f.write_str("candidate form: reported as a reason for the visit")
            }
            Evidence::Deceased { on: Some(date) } => write!(f, "record: deceased on {date}"),
            Evidence::Deceased { on: None } => f.write_str("record: deceased"),
        }
    }
}

/// The latest result of a measurement code the value sets list for a finding's concept, for the
/// clinician to weigh beside it. No threshold is applied: no seed gives one.
#[derive(Debug, Clone, Copy)]
pub struct LatestMeasurement<'a> {
    /// The value-set entry (its display names what was measured).
    pub code: &'a MeasurementCode,
    /// The most recent result on or before the as-of date.
    pub measurement: &'a Measurement,
}

impl fmt::Display for LatestMeasurement<'_> {
    /// "Hemoglobin A1c/Hemoglobin.total in Blood (LOINC 4548-4): 7.6 % on 2019-06-25"
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let m = self.measurement;
        write!(
            f,
            "{} ({} {}): {} {} on {}",
            self.code.display,
            system_label(&self.code.system),
            self.code.code,
            m.value,
            m.unit,
            m.on
        )
    }
}

/// One contraindication or precaution that applies to the patient.
#[derive(Debug, Clone)]
pub struct Finding<'a> {
    pub concept: &'a Concept,
    pub outcome: Outcome,
    pub clearance_by: Option<&'a str>,
    /// Why it matters, from the protocol.
    pub rationale: &'a str,
    pub evidence: Vec<Evidence<'a>>,
    /// The latest result of each measurement code listed for the concept, in value-set order;
    /// empty when there is none.
    pub measurements: Vec<LatestMeasurement<'a>>,
    /// The seed citation; `None` only for record rules that hold for every protocol.
    pub citation: Option<Citation<'a>>,
}

impl Finding<'_> {
    /// The plain sentence the clinician reads.
    pub fn sentence(&self) -> String {
        let mut sentence = format!("{}: {}", self.concept.label, self.rationale);
        if let Some(by) = self.clearance_by {
            sentence.push_str(&format!(" Clearance needed from: {by}."));
        }
        sentence
    }
}

/// A protocol indication matched by the patient's documented conditions.
#[derive(Debug, Clone)]
pub struct IndicationMatch<'a> {
    pub indication: &'a Indication,
    pub evidence: Vec<Evidence<'a>>,
    pub citation: Option<Citation<'a>>,
}

/// The result of screening one patient for one protocol.
#[derive(Debug, Clone)]
pub struct Screening<'a> {
    pub protocol: &'a Protocol,
    pub as_of: Date,
    pub verdict: Outcome,
    /// Worst first; ties in protocol order.
    pub findings: Vec<Finding<'a>>,
    /// Protocol indications matched by documented or reported conditions.
    pub indications: Vec<IndicationMatch<'a>>,
    /// Contraindications with no evidence either way: the candidate form did not ask, and no
    /// coded record supports them. The clinician should ask.
    pub not_asked: Vec<&'a Concept>,
}

impl Screening<'_> {
    /// Whether any documented condition matches one of the protocol's indications.
    pub fn is_indicated(&self) -> bool {
        !self.indications.is_empty()
    }
}

/// A patient's facts resolved to concepts once, so that screening against several protocols
/// reads each record's codes only once.
#[derive(Debug, Clone)]
pub struct ResolvedFacts<'a> {
    as_of: Date,
    terminology: &'a Terminology,
    /// (concept id, evidence) for every current record code and every "yes" answer.
    supported: Vec<(&'a str, Evidence<'a>)>,
    /// Concepts some candidate-form question asked about (answered yes or no).
    asked: Vec<&'a str>,
    deceased: Option<Option<Date>>,
    /// Looked at only for a finding whose concept has measurement codes: most have none, so
    /// nothing is spent on them when resolving.
    measurements: &'a [Measurement],
}

impl<'a> ResolvedFacts<'a> {
    pub fn new(facts: &'a PatientFacts, terminology: &'a Terminology, as_of: Date) -> Self {
        let mut supported = Vec::new();
        let kinds = [
            (RecordKind::Condition, &facts.conditions),
            (RecordKind::Medication, &facts.medications),
            (RecordKind::Allergy, &facts.allergies),
        ];
        for (kind, records) in kinds {
            for record in records.iter().filter(|r| r.is_current_on(as_of)) {
                resolve_record(terminology, kind, record, &mut supported);
            }
        }
        let mut asked = Vec::new();
        for (question_id, answer) in facts.intake.answers() {
            let Some(question) = terminology.intake_question(question_id) else {
                continue;
            };
            for concept in &question.concepts {
                asked.push(concept.as_str());
                if answer {
                    supported.push((concept.as_str(), Evidence::Intake { question }));
                }
            }
        }
        for reported in facts.intake.reported_conditions() {
            for concept in terminology.with_broader(reported) {
                supported.push((concept, Evidence::ReportedCondition));
            }
        }
        let deceased = facts
            .deceased
            .filter(|date| date.is_none_or(|on| on <= as_of));
        Self {
            as_of,
            terminology,
            supported,
            asked,
            deceased,
            measurements: &facts.measurements,
        }
    }

    /// For each measurement code listed for `concept` (value-set order), the latest measurement
    /// on or before the as-of date; of two on the same day, the one listed last.
    fn measurements_for(&self, concept: &str) -> Vec<LatestMeasurement<'a>> {
        self.terminology
            .measurement_codes()
            .iter()
            .filter(|code| code.concept == concept)
            .filter_map(|code| {
                self.measurements
                    .iter()
                    .filter(|m| {
                        m.on <= self.as_of
                            && m.coding.code == code.code
                            && m.coding.system == code.system
                    })
                    .reduce(|latest, m| if m.on >= latest.on { m } else { latest })
                    .map(|measurement| LatestMeasurement { code, measurement })
            })
            .collect()
    }

    /// Every current record and "yes" answer that supports `concept` (broader concepts
    /// included), in chart order: what a finding for it would rest on.
    pub fn evidence(&self, concept: &str) -> Vec<Evidence<'a>> {
        self.evidence_for(concept)
    }

    fn evidence_for(&self, concept: &str) -> Vec<Evidence<'a>> {
        self.supported
            .iter()
            .filter(|(c, _)| *c == concept)
            .map(|(_, evidence)| *evidence)
            .collect()
    }

    /// Screens against one protocol.
    pub fn screen(&self, protocol: &'a Protocol) -> Screening<'a> {
        let mut findings = Vec::new();
        if let Some(on) = self.deceased {
            let rule = self
                .terminology
                .concept("deceased")
                .and_then(|concept| concept.every_protocol.as_ref().map(|rule| (concept, rule)));
            if let Some((concept, rule)) = rule {
                findings.push(Finding {
                    concept,
                    outcome: rule.outcome,
                    clearance_by: None,
                    rationale: &rule.rationale,
                    evidence: vec![Evidence::Deceased { on }],
                    measurements: Vec::new(),
                    citation: None,
                });
            }
        }
        let mut not_asked = Vec::new();
        for rule in &protocol.contraindications {
            let Some(concept) = self.terminology.concept(&rule.concept) else {
                continue; // validation guarantees every protocol concept is in the vocabulary
            };
            let evidence = self.evidence_for(&rule.concept);
            if evidence.is_empty() {
                if !self.asked.contains(&rule.concept.as_str()) {
                    not_asked.push(concept);
                }
                continue;
            }
            let measurements = self.measurements_for(&rule.concept);
            findings.push(finding(protocol, rule, concept, evidence, measurements));
        }
        // Stable: worst first, protocol order within an outcome.
        findings.sort_by_key(|f| std::cmp::Reverse(f.outcome));
        let verdict = findings.first().map_or(Outcome::Eligible, |f| f.outcome);
        let indications = protocol
            .indications
            .iter()
            .filter_map(|indication| {
                let evidence: Vec<Evidence<'a>> = self
                    .evidence_for(&indication.concept)
                    .into_iter()
                    .filter(|e| {
                        matches!(
                            e,
                            Evidence::Record {
                                kind: RecordKind::Condition,
                                ..
                            } | Evidence::ReportedCondition
                        )
                    })
                    .collect();
                (!evidence.is_empty()).then(|| IndicationMatch {
                    indication,
                    evidence,
                    citation: protocol.cite(&indication.source),
                })
            })
            .collect();
        Screening {
            protocol,
            as_of: self.as_of,
            verdict,
            findings,
            indications,
            not_asked,
        }
    }
}

fn finding<'a>(
    protocol: &'a Protocol,
    rule: &'a Contraindication,
    concept: &'a Concept,
    evidence: Vec<Evidence<'a>>,
    measurements: Vec<LatestMeasurement<'a>>,
) -> Finding<'a> {
    Finding {
        concept,
        outcome: rule.outcome,
        clearance_by: rule.clearance_by.as_deref(),
        rationale: &rule.rationale,
        evidence,
        measurements,
        citation: protocol.cite(&rule.source),
    }
}

/// Adds the evidence of one current record: the concepts of its known codes; or, when none of
/// its codes is known for `kind` (a known code decides, text never overrides it), the text terms
/// named in its text or coding displays. Conditions are never matched by text. One record is one
/// piece of evidence per concept, however many codes or terms name it.
fn resolve_record<'a>(
    terminology: &'a Terminology,
    kind: RecordKind,
    record: &'a CodedRecord,
    supported: &mut Vec<(&'a str, Evidence<'a>)>,
) {
    let start = supported.len();
    let push = |supported: &mut Vec<(&'a str, Evidence<'a>)>, concept: &'a str, matched| {
        if !supported[start..].iter().any(|(c, _)| *c == concept) {
            supported.push((
                concept,
                Evidence::Record {
                    kind,
                    record,
                    matched,
                },
            ));
        }
    };
    let mut known = false;
    for coding in &record.codings {
        if let Some(concepts) = terminology.mapped_concepts(kind, &coding.system, &coding.code) {
            known = true;
            for concept in concepts {
                push(supported, concept, Match::Code(coding));
            }
        }
    }
    if known || kind == RecordKind::Condition {
        return;
    }
    let mut scan = |text: &'a str| {
        terminology.for_each_text_match(kind, text, |found| {
            for concept in found.concepts() {
                push(supported, concept, Match::Text { term: found.term });
            }
        });
    };
    if let Some(text) = record.text.as_deref() {
        scan(text);
    }
    for (i, coding) in record.codings.iter().enumerate() {
        let Some(display) = coding.display.as_deref() else {
            continue;
        };
        let seen = record.text.as_deref() == Some(display)
            || record.codings[..i]
                .iter()
                .any(|c| c.display.as_deref() == Some(display));
        if !seen {
            scan(display);
        }
    }
}

/// Screens one patient against one protocol.
pub fn screen<'a>(
    protocol: &'a Protocol,
    facts: &'a PatientFacts,
    terminology: &'a Terminology,
    as_of: Date,
) -> Screening<'a> {
    ResolvedFacts::new(facts, terminology, as_of).screen(protocol)
}

/// Why a candidate comes: the regions of the body and the complaints (indication concepts) they
/// named on the candidate form.
#[derive(Debug, Clone, Copy)]
pub struct ReasonForVisit<'a> {
    pub regions: &'a [String],
    pub complaints: &'a [String],
}

/// The protocols a candidate's reason for coming points to, in library order, best match
/// first found: those that treat a named complaint (a broader concept counts: knee
/// osteoarthritis is osteoarthritis) with a site in a named region; else those that treat a
/// named complaint anywhere; else those with a site in a named region; else every protocol
/// (nothing was said, or nothing the library treats was named — the clinician decides).
pub fn protocols_for_reason<'a>(
    protocols: &[&'a LoadedProtocol],
    terminology: &Terminology,
    reason: ReasonForVisit<'_>,
) -> Vec<&'a LoadedProtocol> {
    let treats_complaint = |protocol: &Protocol| {
        reason.complaints.iter().any(|complaint| {
            terminology.with_broader(complaint).any(|concept| {
                protocol
                    .indications
                    .iter()
                    .any(|indication| indication.concept == concept)
            })
        })
    };
    let works_in_region = |protocol: &Protocol| {
        protocol
            .sites
            .iter()
            .any(|site| reason.regions.contains(&site.region))
    };
    let tiers: [&dyn Fn(&Protocol) -> bool; 3] = [
        &|p| treats_complaint(p) && works_in_region(p),
        &treats_complaint,
        &works_in_region,
    ];
    for tier in tiers {
        let chosen: Vec<&'a LoadedProtocol> = protocols
            .iter()
            .copied()
            .filter(|loaded| tier(&loaded.protocol))
            .collect();
        if !chosen.is_empty() {
            return chosen;
        }
    }
    protocols.to_vec()
}
