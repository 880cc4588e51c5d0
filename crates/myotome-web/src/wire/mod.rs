//! Wire types: the JSON documents the API and the command line exchange. Kept apart from the
//! core and store types so neither has to follow a wire format, and the format never changes by
//! accident when they do. Inputs deny unknown fields: a misspelt field is an error, never
//! silently dropped data.

pub mod admin;
pub mod care;
pub mod clinical;
pub mod fhir;
pub mod integer;
pub mod patients;
pub mod protocols;
pub mod records;
pub mod schema;

use jiff::Timestamp;

/// RFC 3339 text for a timestamp, as every `*_at` field carries it.
pub(crate) fn at(timestamp: Timestamp) -> String {
    timestamp.to_string()
}
