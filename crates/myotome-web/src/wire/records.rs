//! Conditions, medications, allergies and candidate forms on the wire.

use super::at;
use myotome_clinic::intake::IntakeAnswersForm;
use myotome_clinic::records::{CodingForm, RecordForm};
use myotome_store::{ClinicalRecord, IntakeChannel, IntakeForm, RecordSource};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::{IntoParams, ToSchema};

/// One code of a record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CodingWire {
    /// A FHIR system URI, or `rxnorm`, `snomed`, `icd10cm` (stored as the URI).
    pub system: String,
    pub code: String,
    #[serde(default)]
    pub display: Option<String>,
}

/// A condition, medication or allergy, as in the command line's facts file: one code
/// (`system` + `code`), several (`codes`), or only a `text`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordIn {
    /// condition, medication or allergy.
    #[schema(schema_with = super::schema::record_kind)]
    pub kind: String,
    #[serde(default)]
    pub system: Option<String>,
    #[serde(default)]
    pub code: Option<String>,
    #[serde(default)]
    pub display: Option<String>,
    #[serde(default)]
    pub codes: Vec<CodingWire>,
    #[serde(default)]
    pub text: Option<String>,
    /// FHIR status word: active, recurrence, relapse, on-hold, inactive, remission, resolved,
    /// completed, stopped, cancelled, entered-in-error, draft, unknown.
    #[schema(schema_with = super::schema::record_status)]
    pub status: String,
    #[serde(default)]
    #[schema(format = Date)]
    pub start: Option<String>,
    #[serde(default)]
    #[schema(format = Date)]
    pub end: Option<String>,
}

/// A record as it should now be, with the version that was read.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordUpdateIn {
    #[serde(deserialize_with = "super::integer::whole")]
    pub version: i64,
    #[schema(schema_with = super::schema::record_kind)]
    pub kind: String,
    #[serde(default)]
    pub system: Option<String>,
    #[serde(default)]
    pub code: Option<String>,
    #[serde(default)]
    pub display: Option<String>,
    #[serde(default)]
    pub codes: Vec<CodingWire>,
    #[serde(default)]
    pub text: Option<String>,
    #[schema(schema_with = super::schema::record_status)]
    pub status: String,
    #[serde(default)]
    #[schema(format = Date)]
    pub start: Option<String>,
    #[serde(default)]
    #[schema(format = Date)]
    pub end: Option<String>,
}

impl RecordUpdateIn {
    pub fn details(self) -> (i64, RecordIn) {
        (
            self.version,
            RecordIn {
                kind: self.kind,
                system: self.system,
                code: self.code,
                display: self.display,
                codes: self.codes,
                text: self.text,
                status: self.status,
                start: self.start,
                end: self.end,
            },
        )
    }
}

/// The use case's command: the same fields, kind, status and dates still text.
impl From<RecordIn> for RecordForm {
    fn from(input: RecordIn) -> Self {
        RecordForm {
            kind: input.kind,
            system: input.system,
            code: input.code,
            display: input.display,
            codes: input
                .codes
                .into_iter()
                .map(|c| CodingForm {
                    system: c.system,
                    code: c.code,
                    display: c.display,
                })
                .collect(),
            text: input.text,
            status: input.status,
            start: input.start,
            end: input.end,
        }
    }
}

/// Where a record came from.
#[derive(Debug, Serialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RecordSourceOut {
    Entered { by: Option<i64> },
    Imported { system: String, id: String },
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RecordOut {
    pub id: i64,
    pub patient_id: i64,
    pub kind: &'static str,
    pub codes: Vec<CodingWire>,
    pub text: Option<String>,
    pub status: &'static str,
    #[schema(format = Date)]
    pub start: Option<String>,
    #[schema(format = Date)]
    pub end: Option<String>,
    pub source: RecordSourceOut,
    pub version: i64,
    pub recorded_at: String,
    pub updated_at: String,
}

impl From<&ClinicalRecord> for RecordOut {
    fn from(record: &ClinicalRecord) -> Self {
        let details = &record.details;
        Self {
            id: record.id.0,
            patient_id: record.patient_id.0,
            kind: details.kind.as_str(),
            codes: details
                .codings
                .iter()
                .map(|c| CodingWire {
                    system: c.system.clone(),
                    code: c.code.clone(),
                    display: c.display.clone(),
                })
                .collect(),
            text: details.text.clone(),
            status: details.status.as_str(),
            start: details.start.map(|d| d.to_string()),
            end: details.end.map(|d| d.to_string()),
            source: match &record.source {
                RecordSource::Entered { by } => RecordSourceOut::Entered {
                    by: by.map(|id| id.0),
                },
                RecordSource::Imported { system, id } => RecordSourceOut::Imported {
                    system: system.clone(),
                    id: id.clone(),
                },
            },
            version: record.version,
            recorded_at: at(record.recorded_at),
            updated_at: at(record.updated_at),
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RecordsQuery {
    /// condition, medication or allergy; all kinds when absent.
    #[param(schema_with = super::schema::optional_record_kind)]
    pub kind: Option<String>,
}

/// A candidate form as entered by the clinic.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IntakeIn {
    /// Question id → answer; the questions are in the terminology's concepts file.
    #[serde(default)]
    pub answers: BTreeMap<String, bool>,
    /// Indication concepts the candidate reported as the reason for the visit.
    #[serde(default)]
    pub reported_conditions: Vec<String>,
    /// Where the problem is: region ids of the anatomy catalogue (a protocol lists its sites
    /// by region), each once.
    #[serde(default)]
    pub regions: Vec<String>,
    /// What the candidate wrote, kept exactly as sent; at most 10,000 characters.
    #[serde(default)]
    #[schema(
        max_length = 10000,
        pattern = "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*$"
    )]
    pub note: Option<String>,
}

impl From<IntakeIn> for IntakeAnswersForm {
    fn from(input: IntakeIn) -> Self {
        IntakeAnswersForm {
            answers: input.answers,
            reported_conditions: input.reported_conditions,
            regions: input.regions,
            note: input.note,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct IntakeOut {
    pub id: i64,
    pub patient_id: i64,
    pub answers: BTreeMap<String, bool>,
    pub reported_conditions: Vec<String>,
    /// Where the problem is: region ids of the anatomy catalogue.
    pub regions: Vec<String>,
    pub note: Option<String>,
    /// staff or candidate_form.
    pub channel: &'static str,
    pub submitted_at: String,
    pub submitted_by: Option<i64>,
}

impl From<&IntakeForm> for IntakeOut {
    fn from(form: &IntakeForm) -> Self {
        Self {
            id: form.id.0,
            patient_id: form.patient_id.0,
            answers: form.answers.iter().cloned().collect(),
            reported_conditions: form.reported_conditions.clone(),
            regions: form.regions.clone(),
            note: form.note.clone(),
            channel: match form.channel {
                IntakeChannel::Staff => "staff",
                IntakeChannel::CandidateForm => "candidate_form",
            },
            submitted_at: at(form.submitted_at),
            submitted_by: form.submitted_by.map(|id| id.0),
        }
    }
}
