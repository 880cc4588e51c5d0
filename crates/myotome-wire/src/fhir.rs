//! JSON shape of an import's summary, shared by `myotome import --format json` and
//! `POST /api/v1/fhir`.

use myotome_clinic::fhir_import;
use myotome_store::ImportCounts;
use serde::Serialize;
use std::collections::BTreeMap;

/// What an import read and what it did, patient by patient summed up.
#[derive(Debug, Clone, Default, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ImportSummary {
    /// Files (or documents) read.
    pub files: u64,
    pub bytes: u64,
    /// FHIR resources read, whether used or not.
    pub resources: u64,
    /// Seconds from the first byte read to the last patient stored.
    pub seconds: f64,
    pub patients: PatientCounts,
    #[cfg_attr(feature = "openapi", schema(value_type = CountsOut))]
    pub records: ImportCounts,
    #[cfg_attr(feature = "openapi", schema(value_type = CountsOut))]
    pub weights: ImportCounts,
    #[cfg_attr(feature = "openapi", schema(value_type = CountsOut))]
    pub measurements: ImportCounts,
    /// Resources read but not used, by type and reason.
    pub skipped: BTreeMap<String, u64>,
    /// What could not be imported and why, each with its file and line or entry.
    pub rejected: Vec<RejectedOut>,
    /// Things kept as they were, and why.
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PatientCounts {
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub rejected: u64,
}

/// Created / updated / unchanged counts.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CountsOut {
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RejectedOut {
    /// File, with `:line` for NDJSON and JSON syntax errors, and ` entry N` in a Bundle.
    pub location: String,
    /// `Type/id` when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
    pub reason: String,
}

impl From<&fhir_import::ImportSummary> for ImportSummary {
    fn from(summary: &fhir_import::ImportSummary) -> Self {
        let p = &summary.patients;
        Self {
            files: summary.files,
            bytes: summary.bytes,
            resources: summary.resources,
            seconds: summary.seconds,
            patients: PatientCounts {
                created: p.created,
                updated: p.updated,
                unchanged: p.unchanged,
                rejected: p.rejected,
            },
            records: summary.records,
            weights: summary.weights,
            measurements: summary.measurements,
            skipped: summary.skipped.clone(),
            rejected: summary
                .rejected
                .iter()
                .map(|r| RejectedOut {
                    location: r.location.clone(),
                    resource: r.resource.clone(),
                    reason: r.reason.clone(),
                })
                .collect(),
            notes: summary.notes.clone(),
        }
    }
}
