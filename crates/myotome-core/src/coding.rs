//! Codes and code systems: a [`Coding`] and the canonical system URIs, with the short names
//! people type and print. A leaf: it depends on nothing else in the core, so facts,
//! terminology and screening all read it without reading each other.

pub const RXNORM: &str = "http://www.nlm.nih.gov/research/umls/rxnorm";
pub const SNOMED_CT: &str = "http://snomed.info/sct";
pub const ICD_10_CM: &str = "http://hl7.org/fhir/sid/icd-10-cm";
pub const LOINC: &str = "http://loinc.org";

/// The canonical FHIR system URI for a system name, accepting the short names people type
/// (`rxnorm`, `snomed`, `icd10cm`, `loinc`). Unknown systems pass through unchanged.
pub fn canonical_system(system: &str) -> &str {
    match system.trim().to_ascii_lowercase().as_str() {
        "rxnorm" => RXNORM,
        "snomed" | "snomed-ct" | "snomedct" | "sct" => SNOMED_CT,
        "icd10cm" | "icd-10-cm" | "icd10" | "icd-10" => ICD_10_CM,
        "loinc" => LOINC,
        _ => system.trim(),
    }
}

/// A short name for a system URI, for printing ("RxNorm 855332").
pub fn system_label(system: &str) -> &str {
    match system {
        RXNORM => "RxNorm",
        SNOMED_CT => "SNOMED CT",
        ICD_10_CM => "ICD-10-CM",
        LOINC => "LOINC",
        other => other,
    }
}

/// A code from a code system. `system` is canonical (see [`canonical_system`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Coding {
    pub system: String,
    pub code: String,
    pub display: Option<String>,
}

impl Coding {
    pub fn new(system: &str, code: &str, display: Option<&str>) -> Self {
        Self {
            system: canonical_system(system).to_owned(),
            code: code.trim().to_owned(),
            display: display.map(str::to_owned),
        }
    }
}
