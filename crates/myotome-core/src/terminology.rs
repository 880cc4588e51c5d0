//! Terminology as data: the screening concept vocabulary with its candidate-form questions
//! (`terminology/concepts.toml`), and the value sets that map codes from an EHR (RxNorm,
//! SNOMED CT, ICD-10-CM) to those concepts (`terminology/value-sets.toml`).
//!
//! A code maps to a concept only for one kind of record: warfarin as a *medication* is an
//! anticoagulant, but an *allergy* to warfarin is not.

use crate::problem::Problems;
use crate::screening::Outcome;
use crate::toml_reader::{FieldPath, TomlReader};
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};

pub const RXNORM: &str = "http://www.nlm.nih.gov/research/umls/rxnorm";
pub const SNOMED_CT: &str = "http://snomed.info/sct";
pub const ICD_10_CM: &str = "http://hl7.org/fhir/sid/icd-10-cm";

/// The canonical FHIR system URI for a system name, accepting the short names people type
/// (`rxnorm`, `snomed`, `icd10cm`). Unknown systems pass through unchanged.
pub fn canonical_system(system: &str) -> &str {
    match system.trim().to_ascii_lowercase().as_str() {
        "rxnorm" => RXNORM,
        "snomed" | "snomed-ct" | "snomedct" | "sct" => SNOMED_CT,
        "icd10cm" | "icd-10-cm" | "icd10" | "icd-10" => ICD_10_CM,
        _ => system.trim(),
    }
}

/// A short name for a system URI, for printing ("RxNorm 855332").
pub fn system_label(system: &str) -> &str {
    match system {
        RXNORM => "RxNorm",
        SNOMED_CT => "SNOMED CT",
        ICD_10_CM => "ICD-10-CM",
        other => other,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConceptKind {
    Contraindication,
    Indication,
    /// A fact about the record itself (deceased), applied to every protocol.
    Record,
}

/// A rule that holds for every protocol, with no protocol-specific source.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UniversalRule {
    pub outcome: Outcome,
    pub rationale: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Concept {
    pub id: String,
    pub kind: ConceptKind,
    pub label: String,
    /// Concepts whose evidence also counts for this one (hip OA counts as OA).
    #[serde(default)]
    pub narrower: Vec<String>,
    #[serde(default)]
    pub every_protocol: Option<UniversalRule>,
}

/// A yes/no question of the public candidate form.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IntakeQuestion {
    pub id: String,
    pub question: String,
    /// Concepts a "yes" is evidence for.
    pub concepts: Vec<String>,
}

/// Which kind of record a code is read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordKind {
    Condition,
    Medication,
    Allergy,
}

impl RecordKind {
    pub fn label(self) -> &'static str {
        match self {
            RecordKind::Condition => "condition",
            RecordKind::Medication => "medication",
            RecordKind::Allergy => "allergy",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
struct ValueSetEntry {
    record: RecordKind,
    system: String,
    code: String,
    display: String,
    concept: String,
    /// Where the mapping was checked (terminology browser, release), for review.
    #[serde(default)]
    #[allow(dead_code)]
    source: Option<String>,
}

/// system → code → the (record kind, concept) pairs the code maps to.
type CodeIndex = HashMap<Box<str>, HashMap<Box<str>, Vec<(RecordKind, String)>>>;

/// Concepts, questions and code mappings, validated against each other.
#[derive(Debug, Clone)]
pub struct Terminology {
    concepts: BTreeMap<String, Concept>,
    questions: Vec<IntakeQuestion>,
    codes: CodeIndex,
    /// concept → the broader concepts its evidence also supports.
    broader: HashMap<String, Vec<String>>,
}

impl Terminology {
    pub fn parse(
        concepts_file: &str,
        concepts_text: &str,
        value_sets_file: &str,
        value_sets_text: &str,
    ) -> Result<Self, Problems> {
        let mut reader = TomlReader::parse(concepts_file, concepts_text);
        let concepts: Option<Vec<Concept>> = reader.list("concepts");
        let questions: Option<Vec<IntakeQuestion>> = reader.list("intake_questions");
        reader.reject_unknown_keys(&["concepts", "intake_questions"]);
        let mut codes_reader = TomlReader::parse(value_sets_file, value_sets_text);
        let entries: Option<Vec<ValueSetEntry>> = codes_reader.list("codes");
        codes_reader.reject_unknown_keys(&["codes"]);

        let (Some(concepts), Some(questions), Some(entries)) = (concepts, questions, entries)
        else {
            let mut problems = reader.problems;
            problems.extend(codes_reader.problems);
            return Err(Problems(problems));
        };
        let mut problems = reader.problems.clone();
        problems.extend(codes_reader.problems.clone());

        let mut concept_map = BTreeMap::new();
        for (i, concept) in concepts.into_iter().enumerate() {
            if concept_map.contains_key(&concept.id) {
                let path = FieldPath::root().key("concepts").index(i).key("id");
                problems.push(
                    reader.problem(&path, format!("concept `{}` is declared twice", concept.id)),
                );
            }
            concept_map.insert(concept.id.clone(), concept);
        }
        let mut broader: HashMap<String, Vec<String>> = HashMap::new();
        for (i, concept) in concept_map.values().enumerate() {
            for narrower in &concept.narrower {
                if concept_map.contains_key(narrower) {
                    broader
                        .entry(narrower.clone())
                        .or_default()
                        .push(concept.id.clone());
                } else {
                    let path = FieldPath::root().key("concepts").index(i).key("narrower");
                    problems.push(
                        reader.problem(&path, format!("`{narrower}` is not a declared concept")),
                    );
                }
            }
        }
        for (i, question) in questions.iter().enumerate() {
            let path = FieldPath::root().key("intake_questions").index(i);
            if questions[..i].iter().any(|q| q.id == question.id) {
                problems.push(reader.problem(
                    &path.key("id"),
                    format!("question `{}` is declared twice", question.id),
                ));
            }
            for concept in &question.concepts {
                if !concept_map.contains_key(concept) {
                    problems.push(reader.problem(
                        &path.key("concepts"),
                        format!("`{concept}` is not a declared concept; declare it under [[concepts]] or fix the name"),
                    ));
                }
            }
        }
        let mut codes = CodeIndex::new();
        for (i, entry) in entries.into_iter().enumerate() {
            let path = FieldPath::root().key("codes").index(i);
            if !concept_map.contains_key(&entry.concept) {
                problems.push(codes_reader.problem(
                    &path.key("concept"),
                    format!(
                        "`{}` is not a declared concept in {concepts_file}",
                        entry.concept
                    ),
                ));
            }
            let system = canonical_system(&entry.system);
            let mappings = codes
                .entry(system.into())
                .or_default()
                .entry(entry.code.trim().into())
                .or_default();
            if mappings
                .iter()
                .any(|(kind, concept)| *kind == entry.record && *concept == entry.concept)
            {
                problems.push(codes_reader.problem(
                    &path.key("code"),
                    format!(
                        "code {} ({}) is mapped to `{}` twice",
                        entry.code, entry.display, entry.concept
                    ),
                ));
            }
            mappings.push((entry.record, entry.concept));
        }
        if problems.is_empty() {
            Ok(Self {
                concepts: concept_map,
                questions,
                codes,
                broader,
            })
        } else {
            Err(Problems(problems))
        }
    }

    pub fn concept(&self, id: &str) -> Option<&Concept> {
        self.concepts.get(id)
    }

    pub fn concepts(&self) -> impl Iterator<Item = &Concept> {
        self.concepts.values()
    }

    pub fn intake_questions(&self) -> &[IntakeQuestion] {
        &self.questions
    }

    pub fn intake_question(&self, id: &str) -> Option<&IntakeQuestion> {
        self.questions.iter().find(|q| q.id == id)
    }

    /// The concepts a code supports when read from a record of `kind`, broader ones included.
    /// `system` must already be canonical (see [`canonical_system`]).
    pub fn concepts_for<'a>(
        &'a self,
        kind: RecordKind,
        system: &str,
        code: &str,
    ) -> impl Iterator<Item = &'a str> + 'a {
        self.codes
            .get(system)
            .and_then(|by_code| by_code.get(code))
            .into_iter()
            .flatten()
            .filter(move |(record, _)| *record == kind)
            .flat_map(move |(_, concept)| {
                std::iter::once(concept.as_str()).chain(
                    self.broader
                        .get(concept)
                        .into_iter()
                        .flatten()
                        .map(String::as_str),
                )
            })
    }

    /// The given concept and every broader concept it supports.
    pub fn with_broader<'a>(&'a self, concept: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        std::iter::once(concept).chain(
            self.broader
                .get(concept)
                .into_iter()
                .flatten()
                .map(String::as_str),
        )
    }
}
