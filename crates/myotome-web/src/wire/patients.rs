//! Patients and their weights on the wire.

use super::at;
use myotome_clinic::patients::{self, PatientForm, SearchForm, WeightForm};
use myotome_core::facts::Sex;
use myotome_store::{Contact, Identifier, Patient, PatientMerge, WeightEntry};
use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::{IntoParams, ToSchema};

/// `false`, `true` (died, date unknown) or the date of death `YYYY-MM-DD`.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(untagged)]
pub enum Deceased {
    Flag(bool),
    #[schema(format = Date)]
    Date(String),
}

impl<'de> Deserialize<'de> for Deceased {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct DeceasedVisitor;
        impl Visitor<'_> for DeceasedVisitor {
            type Value = Deceased;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("false, true, or the date of death as \"YYYY-MM-DD\"")
            }
            fn visit_bool<E: de::Error>(self, value: bool) -> Result<Deceased, E> {
                Ok(Deceased::Flag(value))
            }
            fn visit_str<E: de::Error>(self, value: &str) -> Result<Deceased, E> {
                Ok(Deceased::Date(value.to_owned()))
            }
        }
        deserializer.deserialize_any(DeceasedVisitor)
    }
}

/// An identifier the patient is known by elsewhere (MRN, EHR id).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IdentifierWire {
    /// The issuing system: a URI or a short clinic label.
    #[schema(schema_with = super::schema::required_line)]
    pub system: String,
    #[schema(schema_with = super::schema::required_line)]
    pub value: String,
}

/// How to reach the patient; every field optional free text.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactWire {
    #[serde(default)]
    #[schema(schema_with = super::schema::phone)]
    pub phone: Option<String>,
    /// Must contain an `@` when not blank.
    #[serde(default)]
    #[schema(schema_with = super::schema::email)]
    pub email: Option<String>,
    /// May span several lines.
    #[serde(default)]
    #[schema(
        max_length = 1000,
        pattern = "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*$"
    )]
    pub address: Option<String>,
}

/// A new patient. Text is stored exactly as sent.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatientIn {
    /// Not blank; at most 200 characters.
    #[schema(schema_with = super::schema::required_line)]
    pub family_name: String,
    /// May be empty (people with one name); at most 200 characters.
    #[serde(default)]
    #[schema(schema_with = super::schema::line)]
    pub given_names: String,
    /// Not in the future.
    #[serde(default)]
    #[schema(format = Date, example = "1968-04-02")]
    pub birth_date: Option<String>,
    /// female, male, other or unknown.
    #[serde(default)]
    #[schema(schema_with = super::schema::sex)]
    pub sex: Option<String>,
    #[serde(default)]
    pub deceased: Option<Deceased>,
    #[serde(default)]
    pub identifiers: Vec<IdentifierWire>,
    #[serde(default)]
    pub contact: ContactWire,
    /// Add the patient even though someone on file has the same name and birth date or a
    /// matching identifier (answered 409 `possible_duplicate` otherwise): the caller checked
    /// that this is another person.
    #[serde(default)]
    pub confirm_new_person: bool,
}

/// A patient's demographics as they should now be, with the version that was read.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatientUpdateIn {
    /// The version the change is based on; an older one is refused with 409 `stale_version`.
    #[serde(deserialize_with = "super::integer::whole")]
    pub version: i64,
    #[schema(schema_with = super::schema::required_line)]
    pub family_name: String,
    #[serde(default)]
    #[schema(schema_with = super::schema::line)]
    pub given_names: String,
    /// Not in the future.
    #[serde(default)]
    #[schema(format = Date)]
    pub birth_date: Option<String>,
    #[serde(default)]
    #[schema(schema_with = super::schema::sex)]
    pub sex: Option<String>,
    #[serde(default)]
    pub deceased: Option<Deceased>,
    #[serde(default)]
    pub identifiers: Vec<IdentifierWire>,
    #[serde(default)]
    pub contact: ContactWire,
}

impl PatientUpdateIn {
    /// The demographics part, to validate like a new patient.
    pub fn details(self) -> (i64, PatientIn) {
        (
            self.version,
            PatientIn {
                family_name: self.family_name,
                given_names: self.given_names,
                birth_date: self.birth_date,
                sex: self.sex,
                deceased: self.deceased,
                identifiers: self.identifiers,
                contact: self.contact,
                confirm_new_person: false,
            },
        )
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PatientOut {
    pub id: i64,
    pub family_name: String,
    pub given_names: String,
    #[schema(format = Date)]
    pub birth_date: Option<String>,
    pub sex: Option<&'static str>,
    pub deceased: Deceased,
    pub identifiers: Vec<IdentifierWire>,
    pub contact: ContactWire,
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
    /// Set when this chart was merged into another: its records are on that chart now.
    pub merged_into: Option<i64>,
}

/// Which chart to merge into this one, and why.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MergeIn {
    /// The other chart of the same person; its records move to this one.
    #[serde(deserialize_with = "super::integer::whole")]
    pub merged_id: i64,
    /// Why they are one person, e.g. "same MRN; birth date typed wrong on the candidate form".
    #[schema(schema_with = super::schema::required_line)]
    pub reason: String,
}

/// A merge as recorded: what moved.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MergeOut {
    pub kept_id: i64,
    pub merged_id: i64,
    pub reason: String,
    pub merged_by: Option<i64>,
    pub merged_at: String,
    pub moved: MovedOut,
}

/// How many of each kind of record moved.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MovedOut {
    pub identifiers: u64,
    pub weights: u64,
    pub measurements: u64,
    pub records: u64,
    pub intakes: u64,
    pub screenings: u64,
    pub clearances: u64,
    pub plans: u64,
    pub appointments: u64,
}

impl From<&PatientMerge> for MergeOut {
    fn from(m: &PatientMerge) -> Self {
        let c = &m.moved;
        Self {
            kept_id: m.kept.0,
            merged_id: m.merged.0,
            reason: m.reason.clone(),
            merged_by: m.merged_by.map(|u| u.0),
            merged_at: at(m.merged_at),
            moved: MovedOut {
                identifiers: c.identifiers,
                weights: c.weights,
                measurements: c.measurements,
                records: c.records,
                intakes: c.intakes,
                screenings: c.screenings,
                clearances: c.clearances,
                plans: c.plans,
                appointments: c.appointments,
            },
        }
    }
}

pub fn sex_word(sex: Sex) -> &'static str {
    match sex {
        Sex::Female => "female",
        Sex::Male => "male",
        Sex::Other => "other",
        Sex::Unknown => "unknown",
    }
}

impl From<&Patient> for PatientOut {
    fn from(patient: &Patient) -> Self {
        let details = &patient.details;
        Self {
            id: patient.id.0,
            family_name: details.family_name.clone(),
            given_names: details.given_names.clone(),
            birth_date: details.birth_date.map(|d| d.to_string()),
            sex: details.sex.map(sex_word),
            deceased: match details.deceased {
                None => Deceased::Flag(false),
                Some(None) => Deceased::Flag(true),
                Some(Some(date)) => Deceased::Date(date.to_string()),
            },
            identifiers: details
                .identifiers
                .iter()
                .map(|i| IdentifierWire {
                    system: i.system.clone(),
                    value: i.value.clone(),
                })
                .collect(),
            contact: ContactWire {
                phone: details.contact.phone.clone(),
                email: details.contact.email.clone(),
                address: details.contact.address.clone(),
            },
            version: patient.version,
            created_at: at(patient.created_at),
            updated_at: at(patient.updated_at),
            merged_into: patient.merged_into.map(|p| p.0),
        }
    }
}

/// The use case's command: the same fields, dates still text.
impl From<PatientIn> for PatientForm {
    fn from(input: PatientIn) -> Self {
        PatientForm {
            family_name: input.family_name,
            given_names: input.given_names,
            birth_date: input.birth_date,
            sex: input.sex,
            deceased: input.deceased.map(|deceased| match deceased {
                Deceased::Flag(flag) => patients::Deceased::Flag(flag),
                Deceased::Date(date) => patients::Deceased::Date(date),
            }),
            identifiers: input.identifiers.iter().map(Into::into).collect(),
            contact: (&input.contact).into(),
            confirm_new_person: input.confirm_new_person,
        }
    }
}

impl From<&IdentifierWire> for Identifier {
    fn from(wire: &IdentifierWire) -> Self {
        Identifier {
            system: wire.system.clone(),
            value: wire.value.clone(),
        }
    }
}

impl From<&ContactWire> for Contact {
    fn from(wire: &ContactWire) -> Self {
        Contact {
            phone: wire.phone.clone(),
            email: wire.email.clone(),
            address: wire.address.clone(),
        }
    }
}

/// Search and paging. Without criteria, everyone, by family name.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PatientSearchQuery {
    /// Part of a family or given name, any case.
    #[param(schema_with = super::schema::line)]
    pub name: Option<String>,
    #[param(format = Date)]
    pub birth_date: Option<String>,
    /// An identifier value, exactly.
    #[param(schema_with = super::schema::line)]
    pub identifier: Option<String>,
    /// 1-based page number (default 1).
    #[param(minimum = 1, maximum = 1000000)]
    pub page: Option<u32>,
    /// Patients per page, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub per_page: Option<u32>,
}

impl From<PatientSearchQuery> for SearchForm {
    fn from(query: PatientSearchQuery) -> Self {
        SearchForm {
            name: query.name,
            birth_date: query.birth_date,
            identifier: query.identifier,
            page: query.page,
            per_page: query.per_page,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PatientListOut {
    pub patients: Vec<PatientOut>,
    /// Matches across all pages.
    pub total: u64,
    pub page: u32,
    pub per_page: u32,
}

/// A body-weight measurement.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WeightIn {
    /// Kilograms, above zero, at most 650.
    #[schema(example = 71.5, minimum = 0.001, maximum = 650)]
    pub kg: f64,
    /// When it was measured, not in the future; today when absent.
    #[serde(default)]
    #[schema(format = Date)]
    pub measured_on: Option<String>,
}

impl From<WeightIn> for WeightForm {
    fn from(input: WeightIn) -> Self {
        WeightForm {
            kg: input.kg,
            measured_on: input.measured_on,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WeightOut {
    pub id: i64,
    pub patient_id: i64,
    #[schema(format = Date)]
    pub measured_on: String,
    pub kg: f64,
    pub grams: u32,
    pub recorded_at: String,
}

impl From<&WeightEntry> for WeightOut {
    fn from(entry: &WeightEntry) -> Self {
        Self {
            id: entry.id.0,
            patient_id: entry.patient_id.0,
            measured_on: entry.measured_on.to_string(),
            kg: f64::from(entry.grams) / 1000.0,
            grams: entry.grams,
            recorded_at: at(entry.recorded_at),
        }
    }
}
