//! Candidate screening: patient facts + protocol + as-of date → a verdict and its findings.
//!
//! Each protocol contraindication whose concept is supported by a current coded record or a
//! "yes" on the candidate form becomes a finding with its evidence and seed citation; the worst
//! finding decides the verdict. Screening also reports which of the protocol's indications the
//! documented conditions match, and which concepts the candidate form did not ask about.

use crate::citation::Citation;
use crate::facts::{CodedRecord, Coding, PatientFacts};
use crate::protocol::{Contraindication, Indication, Protocol};
use crate::terminology::{Concept, IntakeQuestion, RecordKind, Terminology, system_label};
use jiff::civil::Date;
use serde::Deserialize;
use std::fmt;

/// A screening verdict or a finding's outcome, from best to worst.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Eligible,
    EligibleWithPrecautions,
    NeedsClearance,
    NotACandidate,
}

impl Outcome {
    /// The stable identifier used in files and the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Eligible => "eligible",
            Outcome::EligibleWithPrecautions => "eligible_with_precautions",
            Outcome::NeedsClearance => "needs_clearance",
            Outcome::NotACandidate => "not_a_candidate",
        }
    }

    /// Plain words for the clinician.
    pub fn label(self) -> &'static str {
        match self {
            Outcome::Eligible => "eligible",
            Outcome::EligibleWithPrecautions => "eligible with precautions",
            Outcome::NeedsClearance => "needs clearance",
            Outcome::NotACandidate => "not a candidate",
        }
    }
}

/// The fact that triggered a finding.
#[derive(Debug, Clone, Copy)]
pub enum Evidence<'a> {
    /// A current coded record whose code is in the concept's value set.
    Record {
        kind: RecordKind,
        record: &'a CodedRecord,
        coding: &'a Coding,
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
                coding,
            } => {
                write!(
                    f,
                    "{} {}: {} ({} {})",
                    record.status.as_str(),
                    kind.label(),
                    record.name(),
                    system_label(&coding.system),
                    coding.code
                )?;
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

/// One contraindication or precaution that applies to the patient.
#[derive(Debug, Clone)]
pub struct Finding<'a> {
    pub concept: &'a Concept,
    pub outcome: Outcome,
    pub clearance_by: Option<&'a str>,
    /// Why it matters, from the protocol.
    pub rationale: &'a str,
    pub evidence: Vec<Evidence<'a>>,
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
                for coding in &record.codings {
                    for concept in terminology.concepts_for(kind, &coding.system, &coding.code) {
                        // One record with two codes for the same concept is one piece of evidence.
                        let duplicate = supported.iter().any(|(c, e): &(&str, Evidence<'_>)| {
                            *c == concept
                                && matches!(e, Evidence::Record { record: r, .. } if std::ptr::eq(*r, record))
                        });
                        if !duplicate {
                            supported.push((
                                concept,
                                Evidence::Record {
                                    kind,
                                    record,
                                    coding,
                                },
                            ));
                        }
                    }
                }
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
        }
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
            findings.push(finding(protocol, rule, concept, evidence));
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
) -> Finding<'a> {
    Finding {
        concept,
        outcome: rule.outcome,
        clearance_by: rule.clearance_by.as_deref(),
        rationale: &rule.rationale,
        evidence,
        citation: protocol.cite(&rule.source),
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
