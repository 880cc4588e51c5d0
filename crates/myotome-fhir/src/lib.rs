//! FHIR R4 in and out, kept in its own crate so its models stay out of every other crate's
//! build (DESIGN.md).
//!
//! - [`read`]: Bundles (any type), single resources and NDJSON → per patient, the facts
//!   Myotome screens on, each record keeping its source identifier ([`model`]).
//! - [`export`]: Myotome's records → R4 resources and Bundles that validate as R4.
//! - [`questionnaire`]: outcome instruments → `Questionnaire`, answers → `QuestionnaireResponse`.
//!
//! Only the elements Myotome uses are read; unknown resources and elements are skipped and
//! counted, never fatal. Terminology (which code means what) is not decided here: that is the
//! core's value sets.

pub mod export;
mod json;
pub mod map;
pub mod model;
pub mod questionnaire;
pub mod read;

pub use model::{
    ImportedPatient, Location, Problem, ReadResult, SourceIdentifier, SourcedRecord, SourcedWeight,
};
pub use read::{Limits, Reader};

use std::path::Path;

/// Reads files and directories with the default limits.
pub fn read_paths<P: AsRef<Path>>(paths: &[P]) -> ReadResult {
    let mut reader = Reader::default();
    for path in paths {
        reader.read_path(path.as_ref());
    }
    reader.finish()
}

/// Reads one JSON document (a Bundle or a resource) held in memory, e.g. a request body.
pub fn read_document(name: &str, bytes: &[u8]) -> ReadResult {
    let mut reader = Reader::default();
    reader.read_json(name, bytes);
    reader.finish()
}
