//! Citations. Every clinical statement a protocol makes names the document it came from (one of
//! the protocol's declared references: a seed document, a published standard, or the clinic's
//! own policy) and the section within it, optionally with the words quoted.

use serde::Deserialize;
use std::fmt;

/// Where a clinical statement comes from: `{ ref = "seed", section = "…", quote = "…" }`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    /// Key of an entry in the protocol's `[references]` table.
    #[serde(rename = "ref")]
    pub reference: String,
    /// Section of that document, as headed there.
    pub section: String,
    /// The supporting words, verbatim, where a short quote helps review.
    #[serde(default)]
    pub quote: Option<String>,
}

/// A document a protocol cites.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reference {
    /// File name for a seed (e.g. `003_4f5da57ecc3fb2dd.txt`), or the standard's name.
    pub document: String,
    pub title: String,
    pub kind: ReferenceKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReferenceKind {
    /// One of the clinical source documents in `shared/seeds/`.
    Seed,
    /// A published standard named by the protocol (e.g. CPT code numbers).
    Standard,
    /// The clinic's own written policy.
    ClinicPolicy,
}

/// A source resolved against its protocol's references, ready to print.
#[derive(Debug, Clone, Copy)]
pub struct Citation<'a> {
    pub reference: &'a Reference,
    pub source: &'a Source,
}

impl fmt::Display for Citation<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} § {}", self.reference.document, self.source.section)
    }
}
