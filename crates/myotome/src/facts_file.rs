//! The patient-facts file `myotome screen` reads. Kept apart from the core types so the core
//! never has to follow a file format, and the format never changes by accident when the core does.

use anyhow::{Result, bail};
use jiff::civil::Date;
use myotome_core::facts::{
    CodedRecord, Coding, IntakeAnswers, PatientFacts, RecordStatus, Sex, Weight,
};
use myotome_core::terminology::Terminology;
use serde::Deserialize;
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
