//! Values a seed leaves to the clinic. A protocol field that the source document does not fix
//! ("schedule a follow-up per your internal procedures") is written as
//! `{ clinic_sets = "why", source = { … } }` instead of a number: Myotome never invents a
//! clinical value, and everything that needs the value says that the clinic must set it.

use crate::citation::Source;
use serde::de::{DeserializeOwned, Error as _};
use serde::{Deserialize, Deserializer};

/// Either the value the protocol gives, or a note that the clinic must set it.
#[derive(Debug, Clone, PartialEq)]
pub enum Setting<T> {
    Given(T),
    ClinicSets(ClinicSetting),
}

/// Why a value is left to the clinic, citing the vague passage.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClinicSetting {
    #[serde(rename = "clinic_sets")]
    pub why: String,
    pub source: Source,
}

impl<T> Setting<T> {
    pub fn given(&self) -> Option<&T> {
        match self {
            Setting::Given(value) => Some(value),
            Setting::ClinicSets(_) => None,
        }
    }
}

impl<'de, T: DeserializeOwned> Deserialize<'de> for Setting<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // Buffer once, then decide on the presence of `clinic_sets`, so that errors inside the
        // given value are reported as that value's own errors rather than "no variant matched".
        let value = toml::Value::deserialize(deserializer)?;
        let is_clinic_set = value
            .as_table()
            .is_some_and(|table| table.contains_key("clinic_sets"));
        if is_clinic_set {
            ClinicSetting::deserialize(value)
                .map(Setting::ClinicSets)
                .map_err(|e| D::Error::custom(e.message()))
        } else {
            T::deserialize(value)
                .map(Setting::Given)
                .map_err(|e| D::Error::custom(e.message()))
        }
    }
}
