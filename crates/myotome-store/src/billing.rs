//! Billing as stored: the clinic's fee schedule, the NCCI PTP edits it imported, and a visit's
//! coding as the clinician confirmed it (a versioned document beside the suggestions).

use crate::{AppointmentId, UserId};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// A charge for a code, in cents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fee {
    pub code: String,
    pub cents: i64,
    pub updated_at: Timestamp,
}

/// A pair edit as imported from CMS's quarterly file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportedEdit {
    pub column1: String,
    pub column2: String,
    /// 0, 1 or 9, as the file says.
    pub modifier: u8,
    pub rationale: String,
}

/// Which file the imported edits came from, and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PtpImport {
    pub file_name: String,
    pub imported_at: Timestamp,
    pub edits: u64,
}

/// A line the clinician added to a visit beside the suggestions (an evaluation, a code the
/// rules do not make).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AddedLine {
    pub code: String,
    #[serde(default)]
    pub modifiers: Vec<String>,
    pub units: u32,
}

/// A visit's coding as the clinician confirmed it; the suggestions are recomputed from the
/// signed note each time and this says what to do with them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VisitCodingDocument {
    pub schema: u32,
    /// Lines added beside the suggestions.
    #[serde(default)]
    pub added: Vec<AddedLine>,
    /// Suggested codes left off the bill.
    #[serde(default)]
    pub left_out: Vec<String>,
    /// Extra modifiers on a suggested code (e.g. 59 after a pair edit allows it).
    #[serde(default)]
    pub modifiers: Vec<(String, Vec<String>)>,
    /// The ICD-10-CM codes chosen, in pointer order; `None` keeps the suggestion.
    #[serde(default)]
    pub diagnoses: Option<Vec<String>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VisitCoding {
    pub appointment_id: AppointmentId,
    pub document: VisitCodingDocument,
    pub version: i64,
    pub updated_at: Timestamp,
    pub updated_by: Option<UserId>,
}
