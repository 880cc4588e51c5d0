//! Wire types: the JSON documents the API exchanges. Kept apart from the core and store types so
//! neither has to follow a wire format, and the format never changes by accident when they do.
//! Inputs deny unknown fields: a misspelt field is an error, never silently dropped data. The
//! shapes the command line prints too (`clinical`, `fhir`) are the `myotome-wire` crate's.

pub mod admin;
pub mod adverse_events;
pub mod billing;
pub mod care;
pub mod fhir_bundle;
pub mod integer;
pub mod lots;
pub mod outcomes;
pub mod patients;
pub mod protocols;
pub mod records;
pub mod schema;
pub mod storage;
pub mod visit_day;

pub use myotome_wire::{clinical, fhir};

use jiff::Timestamp;

/// RFC 3339 text for a timestamp, as every `*_at` field carries it.
pub(crate) fn at(timestamp: Timestamp) -> String {
    timestamp.to_string()
}
