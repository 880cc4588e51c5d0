//! JSON shape of an import's summary, shared by `myotome import --format json` and
//! `POST /api/v1/fhir`.

use myotome_store::ImportCounts;
use serde::Serialize;
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// What the import takes: a FHIR R4 Bundle (any type), or one resource; each resource is read
/// by its `resourceType`, and what Myotome does not read is counted as skipped. Declared for
/// the OpenAPI document only: the body is read by myotome-fhir, entry by entry, and a problem
/// in one entry is reported in the summary's `rejected` list, never refusing the rest.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct FhirBundleIn {
    /// `Bundle`, or the type of a single resource.
    #[schema(rename = "resourceType")]
    resource_type: String,
    #[schema(nullable = false)]
    entry: Option<Vec<FhirEntryIn>>,
}

/// One entry of a Bundle.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct FhirEntryIn {
    #[schema(rename = "fullUrl", nullable = false)]
    full_url: Option<String>,
    #[schema(nullable = false)]
    resource: Option<FhirResourceIn>,
}

/// A FHIR resource: any `resourceType`, with the elements R4 gives it.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct FhirResourceIn {
    #[schema(rename = "resourceType", min_length = 1, pattern = "^[A-Z][A-Za-z]*$")]
    resource_type: String,
}

/// What an import read and what it did, patient by patient summed up.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct ImportSummary {
    /// Files (or documents) read.
    pub files: u64,
    pub bytes: u64,
    /// FHIR resources read, whether used or not.
    pub resources: u64,
    /// Seconds from the first byte read to the last patient stored.
    pub seconds: f64,
    pub patients: PatientCounts,
    #[schema(value_type = CountsOut)]
    pub records: ImportCounts,
    #[schema(value_type = CountsOut)]
    pub weights: ImportCounts,
    #[schema(value_type = CountsOut)]
    pub measurements: ImportCounts,
    /// Resources read but not used, by type and reason.
    pub skipped: BTreeMap<String, u64>,
    /// What could not be imported and why, each with its file and line or entry.
    pub rejected: Vec<RejectedOut>,
    /// Things kept as they were, and why.
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct PatientCounts {
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub rejected: u64,
}

/// Created / updated / unchanged counts.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CountsOut {
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RejectedOut {
    /// File, with `:line` for NDJSON and JSON syntax errors, and ` entry N` in a Bundle.
    pub location: String,
    /// `Type/id` when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
    pub reason: String,
}
