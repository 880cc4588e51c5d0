//! What is known about a patient when screening: coded records (from the EHR or entered by the
//! clinic) and the answers of the candidate form. Built at the edge (CLI, API, FHIR import)
//! and validated there through the constructors here.

pub use crate::coding::Coding;
use crate::terminology::Terminology;
use jiff::civil::Date;
use std::collections::BTreeMap;
use std::fmt;

/// The status of a condition, medication or allergy, using the FHIR status words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordStatus {
    Active,
    Recurrence,
    Relapse,
    /// A medication paused for now: still counted, the clinician decides.
    OnHold,
    Inactive,
    Remission,
    Resolved,
    Completed,
    Stopped,
    Cancelled,
    EnteredInError,
    Draft,
    /// The source system did not know: counted, so that nothing is silently ignored.
    Unknown,
}

impl RecordStatus {
    pub fn parse(text: &str) -> Result<Self, String> {
        Ok(match text.trim().to_ascii_lowercase().as_str() {
            "active" => Self::Active,
            "recurrence" => Self::Recurrence,
            "relapse" => Self::Relapse,
            "on-hold" | "on_hold" => Self::OnHold,
            "inactive" => Self::Inactive,
            "remission" => Self::Remission,
            "resolved" => Self::Resolved,
            "completed" => Self::Completed,
            "stopped" => Self::Stopped,
            "cancelled" => Self::Cancelled,
            "entered-in-error" | "entered_in_error" => Self::EnteredInError,
            "draft" => Self::Draft,
            "unknown" => Self::Unknown,
            other => {
                return Err(format!(
                    "`{other}` is not a record status; use active, recurrence, relapse, on-hold, inactive, remission, resolved, completed, stopped, cancelled, entered-in-error, draft or unknown"
                ));
            }
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Recurrence => "recurrence",
            Self::Relapse => "relapse",
            Self::OnHold => "on-hold",
            Self::Inactive => "inactive",
            Self::Remission => "remission",
            Self::Resolved => "resolved",
            Self::Completed => "completed",
            Self::Stopped => "stopped",
            Self::Cancelled => "cancelled",
            Self::EnteredInError => "entered-in-error",
            Self::Draft => "draft",
            Self::Unknown => "unknown",
        }
    }

    /// Whether a record with this status describes the patient now.
    pub fn is_current(self) -> bool {
        matches!(
            self,
            Self::Active | Self::Recurrence | Self::Relapse | Self::OnHold | Self::Unknown
        )
    }
}

/// A coded condition, medication or allergy.
#[derive(Debug, Clone, PartialEq)]
pub struct CodedRecord {
    /// The source system's identifier, when imported.
    pub id: Option<String>,
    pub codings: Vec<Coding>,
    /// Free text, when the record has it.
    pub text: Option<String>,
    pub status: RecordStatus,
    /// Onset, start or authored date.
    pub start: Option<Date>,
    /// Abatement or end date.
    pub end: Option<Date>,
}

impl CodedRecord {
    /// Current on `as_of`: a current status, started by then, not ended by then.
    pub fn is_current_on(&self, as_of: Date) -> bool {
        self.status.is_current()
            && self.start.is_none_or(|start| start <= as_of)
            && self.end.is_none_or(|end| end > as_of)
    }

    /// The best human name for the record.
    pub fn name(&self) -> &str {
        self.text
            .as_deref()
            .or_else(|| self.codings.iter().find_map(|c| c.display.as_deref()))
            .or_else(|| self.codings.first().map(|c| c.code.as_str()))
            .unwrap_or("(unnamed record)")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sex {
    Female,
    Male,
    Other,
    Unknown,
}

impl Sex {
    pub fn parse(text: &str) -> Result<Self, String> {
        match text.trim().to_ascii_lowercase().as_str() {
            "female" | "f" => Ok(Self::Female),
            "male" | "m" => Ok(Self::Male),
            "other" => Ok(Self::Other),
            "unknown" => Ok(Self::Unknown),
            other => Err(format!(
                "`{other}` is not a sex; use female, male, other or unknown"
            )),
        }
    }
}

/// Body weight in whole grams; refuses what no living patient weighs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Weight(u32);

impl Weight {
    /// Heaviest weight accepted, in kg: beyond any recorded human, so surely a typing error.
    const MAX_KG: f64 = 650.0;

    pub fn from_kg(kg: f64) -> Result<Self, String> {
        if !kg.is_finite() || kg <= 0.0 {
            return Err(format!(
                "{kg} kg is not a body weight; give the weight in kilograms, above zero"
            ));
        }
        if kg > Self::MAX_KG {
            return Err(format!(
                "{kg} kg is more than {} kg; check the weight and the unit (kilograms, not pounds or grams)",
                Self::MAX_KG
            ));
        }
        let grams = (kg * 1000.0).round();
        // Stored as whole grams: less than one would be stored as none, and then ignored.
        if grams < 1.0 {
            return Err(format!(
                "{kg} kg is less than one gram; give the weight in kilograms"
            ));
        }
        // In [1, 650 000] grams by the checks above.
        Ok(Self(grams as u32))
    }

    pub fn grams(self) -> u32 {
        self.0
    }

    pub fn kg(self) -> f64 {
        f64::from(self.0) / 1000.0
    }
}

impl fmt::Display for Weight {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kg = self.kg();
        if (kg * 10.0).fract() == 0.0 {
            write!(f, "{kg:.1} kg")
        } else {
            write!(f, "{kg:.3} kg")
        }
    }
}

/// Answers to the candidate form, checked against the vocabulary's questions.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct IntakeAnswers {
    /// question id → answer.
    answers: BTreeMap<String, bool>,
    /// Indication concepts the candidate reported ("chronic back pain").
    reported_conditions: Vec<String>,
}

impl IntakeAnswers {
    /// Validates question ids and reported conditions; every unknown one is reported.
    pub fn new(
        answers: impl IntoIterator<Item = (String, bool)>,
        reported_conditions: impl IntoIterator<Item = String>,
        terminology: &Terminology,
    ) -> Result<Self, Vec<String>> {
        let mut errors = Vec::new();
        let mut checked = BTreeMap::new();
        for (question, answer) in answers {
            if terminology.intake_question(&question).is_none() {
                let known: Vec<&str> = terminology
                    .intake_questions()
                    .iter()
                    .map(|q| q.id.as_str())
                    .collect();
                errors.push(format!(
                    "`{question}` is not a candidate-form question; known questions: {}",
                    known.join(", ")
                ));
            }
            checked.insert(question, answer);
        }
        let mut conditions = Vec::new();
        for concept in reported_conditions {
            match terminology.concept(&concept) {
                Some(c) if c.kind == crate::terminology::ConceptKind::Indication => {
                    conditions.push(concept)
                }
                _ => errors.push(format!(
                    "`{concept}` is not an indication concept of the vocabulary"
                )),
            }
        }
        if errors.is_empty() {
            Ok(Self {
                answers: checked,
                reported_conditions: conditions,
            })
        } else {
            Err(errors)
        }
    }

    pub fn answer(&self, question: &str) -> Option<bool> {
        self.answers.get(question).copied()
    }

    pub fn answers(&self) -> impl Iterator<Item = (&str, bool)> {
        self.answers.iter().map(|(q, a)| (q.as_str(), *a))
    }

    pub fn reported_conditions(&self) -> &[String] {
        &self.reported_conditions
    }
}

/// A measured value from the record (a lab result or vital sign), e.g. HbA1c 7.6 % on a date.
/// Screening does not judge it against a threshold (no seed gives one); it shows the latest
/// relevant measurement beside the finding it informs, for the clinician to weigh.
#[derive(Debug, Clone, PartialEq)]
pub struct Measurement {
    /// The source system's identifier, when imported.
    pub id: Option<String>,
    /// What was measured, e.g. LOINC 4548-4.
    pub coding: Coding,
    pub value: f64,
    /// The unit as recorded (UCUM where the source used it), e.g. `%`.
    pub unit: String,
    /// When it was measured.
    pub on: Date,
}

/// Everything screening may look at.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PatientFacts {
    pub birth_date: Option<Date>,
    pub sex: Option<Sex>,
    pub weight: Option<Weight>,
    /// `Some` when the record says the patient has died; the date when known.
    pub deceased: Option<Option<Date>>,
    pub conditions: Vec<CodedRecord>,
    pub medications: Vec<CodedRecord>,
    pub allergies: Vec<CodedRecord>,
    /// Lab results and vital signs other than body weight, in any order.
    pub measurements: Vec<Measurement>,
    pub intake: IntakeAnswers,
}
