//! The use cases' modules under the path the web crate has long named them by; everything is
//! [`myotome_clinic`]'s.

pub use myotome_clinic::fhir_export as export;
pub use myotome_clinic::fhir_import as import;
pub use myotome_clinic::{facts, find_protocol, planning, sentence, unknown_protocol, windows};
