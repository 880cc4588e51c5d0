//! The body `POST /api/v1/fhir` takes, as the OpenAPI document describes it.

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
