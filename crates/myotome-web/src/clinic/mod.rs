//! The clinic's work behind the handlers that has not moved to the use-case crate yet: FHIR
//! import and export. Everything else is [`myotome_clinic`]'s, re-exported here for the
//! modules that name it by this path.

pub mod export;
pub mod import;

pub use myotome_clinic::{facts, find_protocol, planning, sentence, unknown_protocol, windows};
