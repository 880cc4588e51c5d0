//! What reading FHIR produces: per patient, the demographics and the records Myotome uses, each
//! keeping the identifier it had in the source so a repeated import finds it again; plus every
//! problem met, located by file and line or entry, and what was skipped.

use jiff::civil::Date;
use myotome_core::facts::{CodedRecord, Measurement, PatientFacts, Sex, Weight};
use std::collections::BTreeMap;
use std::fmt;

/// Where in the input something was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The file as the user named it, or a label such as `request body`.
    pub file: String,
    /// 1-based line, for NDJSON and for JSON syntax errors.
    pub line: Option<usize>,
    /// 0-based index of the Bundle entry.
    pub entry: Option<usize>,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.file)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        if let Some(entry) = self.entry {
            write!(f, " entry {entry}")?;
        }
        Ok(())
    }
}

/// A resource (or a whole file) that could not be read, and why. The rest still imports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub location: Location,
    /// The resource type when known, e.g. `Observation/abc`.
    pub resource: Option<String>,
    /// What is wrong and, where it helps, how to fix it.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.location)?;
        if let Some(resource) = &self.resource {
            write!(f, " ({resource})")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// An identifier the patient is known by in the source system.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceIdentifier {
    pub system: String,
    pub value: String,
}

/// A condition, medication or allergy with its source identifier (`Condition/abc`).
#[derive(Debug, Clone, PartialEq)]
pub struct SourcedRecord {
    pub source_id: String,
    pub record: CodedRecord,
}

/// A body-weight measurement with its source identifier.
#[derive(Debug, Clone, PartialEq)]
pub struct SourcedWeight {
    pub source_id: String,
    pub on: Date,
    pub weight: Weight,
}

/// One patient as read from the source.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportedPatient {
    /// `Patient/<id>` (or the entry's full URL when the resource has no id).
    pub source_id: String,
    pub identifiers: Vec<SourceIdentifier>,
    pub family_name: String,
    pub given_names: String,
    pub birth_date: Option<Date>,
    pub sex: Option<Sex>,
    /// `Some` when the patient has died; the date when known.
    pub deceased: Option<Option<Date>>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub address: Option<String>,
    pub conditions: Vec<SourcedRecord>,
    pub medications: Vec<SourcedRecord>,
    pub allergies: Vec<SourcedRecord>,
    pub weights: Vec<SourcedWeight>,
    /// Lab results Myotome shows beside findings (HbA1c); `id` holds the source identifier.
    pub measurements: Vec<Measurement>,
}

impl ImportedPatient {
    /// "Given Family", for summaries.
    pub fn display_name(&self) -> String {
        match (self.given_names.is_empty(), self.family_name.is_empty()) {
            (false, false) => format!("{} {}", self.given_names, self.family_name),
            (true, false) => self.family_name.clone(),
            (false, true) => self.given_names.clone(),
            (true, true) => "(no name)".to_owned(),
        }
    }

    /// The latest weight by date.
    pub fn latest_weight(&self) -> Option<Weight> {
        self.weights.iter().max_by_key(|w| w.on).map(|w| w.weight)
    }

    /// What screening looks at, straight from the record (no candidate-form answers).
    pub fn facts(&self) -> PatientFacts {
        let records = |list: &[SourcedRecord]| list.iter().map(|r| r.record.clone()).collect();
        PatientFacts {
            birth_date: self.birth_date,
            sex: self.sex,
            weight: self.latest_weight(),
            deceased: self.deceased,
            conditions: records(&self.conditions),
            medications: records(&self.medications),
            allergies: records(&self.allergies),
            measurements: self.measurements.clone(),
            intake: Default::default(),
        }
    }
}

/// Everything read from one or more inputs.
#[derive(Debug, Clone, Default)]
pub struct ReadResult {
    pub patients: Vec<ImportedPatient>,
    /// Resources or files that could not be read; the rest was.
    pub problems: Vec<Problem>,
    /// Resources read but not used, by type and reason (`Claim: not used by Myotome`).
    pub skipped: BTreeMap<String, u64>,
    pub files: u64,
    pub bytes: u64,
    pub resources: u64,
}
