//! The shapes of the FHIR R4 JSON Myotome reads: only the elements it uses, every one optional,
//! unknown elements ignored (serde skips them without building them). A present element of the
//! wrong JSON type is an error for that resource only.

use serde::Deserialize;
use serde_json::value::RawValue;

/// Just the type of a resource, read before deciding whether to parse the rest.
#[derive(Deserialize)]
pub struct Head<'a> {
    #[serde(rename = "resourceType", borrow, default)]
    pub resource_type: Option<std::borrow::Cow<'a, str>>,
}

/// Every Bundle type (transaction, collection, searchset …) carries its resources the same way.
#[derive(Deserialize)]
pub struct Bundle<'a> {
    #[serde(borrow, default)]
    pub entry: Vec<BundleEntry<'a>>,
}

#[derive(Deserialize)]
pub struct BundleEntry<'a> {
    #[serde(rename = "fullUrl", default)]
    pub full_url: Option<String>,
    #[serde(borrow, default)]
    pub resource: Option<&'a RawValue>,
}

#[derive(Deserialize, Default, Clone)]
pub struct CodeableConcept {
    #[serde(default)]
    pub coding: Vec<Coding>,
    #[serde(default)]
    pub text: Option<String>,
}

impl CodeableConcept {
    /// The first code of the concept, the one FHIR status elements carry.
    pub fn first_code(&self) -> Option<&str> {
        self.coding.iter().find_map(|c| c.code.as_deref())
    }
}

#[derive(Deserialize, Clone)]
pub struct Coding {
    #[serde(default)]
    pub system: Option<String>,
    #[serde(default)]
    pub code: Option<String>,
    #[serde(default)]
    pub display: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct Reference {
    #[serde(default)]
    pub reference: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct Period {
    #[serde(default)]
    pub start: Option<String>,
    #[serde(default)]
    pub end: Option<String>,
}

#[derive(Deserialize)]
pub struct Identifier {
    #[serde(default)]
    pub system: Option<String>,
    #[serde(default)]
    pub value: Option<String>,
}

#[derive(Deserialize)]
pub struct HumanName {
    #[serde(rename = "use", default)]
    pub name_use: Option<String>,
    #[serde(default)]
    pub family: Option<String>,
    #[serde(default)]
    pub given: Vec<String>,
    #[serde(default)]
    pub text: Option<String>,
}

#[derive(Deserialize)]
pub struct ContactPoint {
    #[serde(default)]
    pub system: Option<String>,
    #[serde(default)]
    pub value: Option<String>,
}

#[derive(Deserialize)]
pub struct Address {
    #[serde(default)]
    pub text: Option<String>,
    #[serde(default)]
    pub line: Vec<String>,
    #[serde(default)]
    pub city: Option<String>,
    #[serde(default)]
    pub state: Option<String>,
    #[serde(rename = "postalCode", default)]
    pub postal_code: Option<String>,
    #[serde(default)]
    pub country: Option<String>,
}

#[derive(Deserialize)]
pub struct Patient {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub identifier: Vec<Identifier>,
    #[serde(default)]
    pub name: Vec<HumanName>,
    #[serde(default)]
    pub gender: Option<String>,
    #[serde(rename = "birthDate", default)]
    pub birth_date: Option<String>,
    #[serde(rename = "deceasedBoolean", default)]
    pub deceased_boolean: Option<bool>,
    #[serde(rename = "deceasedDateTime", default)]
    pub deceased_date_time: Option<String>,
    #[serde(default)]
    pub telecom: Vec<ContactPoint>,
    #[serde(default)]
    pub address: Vec<Address>,
}

#[derive(Deserialize)]
pub struct Condition {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(rename = "clinicalStatus", default)]
    pub clinical_status: Option<CodeableConcept>,
    #[serde(rename = "verificationStatus", default)]
    pub verification_status: Option<CodeableConcept>,
    #[serde(default)]
    pub code: Option<CodeableConcept>,
    #[serde(default)]
    pub subject: Option<Reference>,
    #[serde(rename = "onsetDateTime", default)]
    pub onset_date_time: Option<String>,
    #[serde(rename = "onsetPeriod", default)]
    pub onset_period: Option<Period>,
    #[serde(rename = "abatementDateTime", default)]
    pub abatement_date_time: Option<String>,
    #[serde(rename = "abatementPeriod", default)]
    pub abatement_period: Option<Period>,
}

/// MedicationRequest and MedicationStatement share what Myotome reads of them.
#[derive(Deserialize)]
pub struct MedicationUse<'a> {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(rename = "doNotPerform", default)]
    pub do_not_perform: Option<bool>,
    #[serde(rename = "medicationCodeableConcept", default)]
    pub medication_codeable_concept: Option<CodeableConcept>,
    #[serde(rename = "medicationReference", default)]
    pub medication_reference: Option<Reference>,
    #[serde(default)]
    pub subject: Option<Reference>,
    /// MedicationRequest: when it was written.
    #[serde(rename = "authoredOn", default)]
    pub authored_on: Option<String>,
    /// MedicationStatement: when it was taken.
    #[serde(rename = "effectiveDateTime", default)]
    pub effective_date_time: Option<String>,
    #[serde(rename = "effectivePeriod", default)]
    pub effective_period: Option<Period>,
    /// Contained resources, parsed only when a `#id` reference asks for one.
    #[serde(borrow, default)]
    pub contained: Vec<&'a RawValue>,
}

#[derive(Deserialize)]
pub struct Medication {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub code: Option<CodeableConcept>,
}

#[derive(Deserialize)]
pub struct AllergyIntolerance {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(rename = "clinicalStatus", default)]
    pub clinical_status: Option<CodeableConcept>,
    #[serde(rename = "verificationStatus", default)]
    pub verification_status: Option<CodeableConcept>,
    #[serde(default)]
    pub code: Option<CodeableConcept>,
    #[serde(default)]
    pub patient: Option<Reference>,
    #[serde(rename = "onsetDateTime", default)]
    pub onset_date_time: Option<String>,
}

#[derive(Deserialize)]
pub struct Quantity {
    #[serde(default)]
    pub value: Option<f64>,
    #[serde(default)]
    pub unit: Option<String>,
    #[serde(default)]
    pub system: Option<String>,
    #[serde(default)]
    pub code: Option<String>,
}

#[derive(Deserialize)]
pub struct Observation {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub code: Option<CodeableConcept>,
    #[serde(default)]
    pub subject: Option<Reference>,
    #[serde(rename = "effectiveDateTime", default)]
    pub effective_date_time: Option<String>,
    #[serde(rename = "effectivePeriod", default)]
    pub effective_period: Option<Period>,
    #[serde(default)]
    pub issued: Option<String>,
    #[serde(rename = "valueQuantity", default)]
    pub value_quantity: Option<Quantity>,
    #[serde(rename = "valueCodeableConcept", default)]
    pub value_codeable_concept: Option<CodeableConcept>,
}
