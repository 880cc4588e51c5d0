//! The screening verdict scale. A leaf: terminology (universal rules), protocols
//! (contraindication outcomes) and screening read it without reading each other.

use serde::Deserialize;

/// A screening verdict or a finding's outcome, from best to worst.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Eligible,
    EligibleWithPrecautions,
    NeedsClearance,
    NotACandidate,
}

impl Outcome {
    /// Every outcome, best first.
    pub const ALL: [Outcome; 4] = [
        Outcome::Eligible,
        Outcome::EligibleWithPrecautions,
        Outcome::NeedsClearance,
        Outcome::NotACandidate,
    ];

    /// The outcome named by its identifier ([`Outcome::as_str`]); the one text form.
    pub fn parse(text: &str) -> Option<Outcome> {
        Self::ALL.into_iter().find(|o| o.as_str() == text)
    }

    /// The stable identifier used in files and the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Eligible => "eligible",
            Outcome::EligibleWithPrecautions => "eligible_with_precautions",
            Outcome::NeedsClearance => "needs_clearance",
            Outcome::NotACandidate => "not_a_candidate",
        }
    }

    /// Plain words for the clinician.
    pub fn label(self) -> &'static str {
        match self {
            Outcome::Eligible => "eligible",
            Outcome::EligibleWithPrecautions => "eligible with precautions",
            Outcome::NeedsClearance => "needs clearance",
            Outcome::NotACandidate => "not a candidate",
        }
    }
}
