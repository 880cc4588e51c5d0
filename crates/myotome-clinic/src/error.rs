//! The one error of every use case. Each variant says what kind of failure it is, so an edge
//! (the API, a page, the command line) decides its answer from the variant and its data —
//! never from the sentence, which is for people.

use crate::permissions::{Permission, refusal};
use myotome_store::{Role, StoreError, ViolationDocument};
use std::collections::BTreeMap;

/// Why a use case did not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum ClinicError {
    /// No such record (or not visible to the caller). The sentence names it.
    #[error("{0}")]
    NotFound(String),
    /// The caller's role may not do this; the sentence names the roles that may.
    #[error("{}", forbidden_sentence(*.role, *.permission, .context))]
    Forbidden {
        role: Role,
        permission: Permission,
        /// What was attempted, when more specific than the permission ("Accepting a
        /// protocol-window violation is a clinical decision.").
        context: Option<&'static str>,
    },
    /// Fields of the command are wrong: each field's path and what to change.
    #[error("{}", invalid_sentence(.0))]
    Invalid(FieldErrors),
    /// A clinical or clinic rule refused: the reason, its sentence, and for window refusals
    /// every broken window with its citation.
    #[error("{}", .0.message)]
    Refused(Refusal),
    /// The new patient may be someone already on file: the charts that match, to offer before
    /// adding another (the caller confirms a different person to add anyway).
    #[error("{message}")]
    PossibleDuplicate {
        message: String,
        existing: Vec<myotome_store::Patient>,
    },
    /// Someone changed the record since the caller read it.
    #[error("{0}")]
    Stale(String),
    /// The change breaks a uniqueness or state rule (a visit already booked, a signed
    /// screening signed again, a taken username).
    #[error("{0}")]
    Conflict(String),
    /// A stored document this program cannot read; the sentence names the record.
    #[error("{0}")]
    Unreadable(String),
    /// The store failed; the detail is logged where it happened, never shown.
    #[error("the store failed: {0}")]
    Store(Box<dyn std::error::Error + Send + Sync>),
}

/// Per-field problems: the field's path in the command (`birth_date`, `target_sites[1]`) and
/// a phrase saying what is wrong and how to fix it.
pub type FieldErrors = BTreeMap<String, String>;

/// A rule's refusal.
#[derive(Debug, Clone)]
pub struct Refusal {
    pub reason: RefusalReason,
    pub message: String,
    /// For [`RefusalReason::WindowViolation`]: each broken window, explained and cited.
    pub violations: Vec<ViolationDocument>,
}

/// What kind of rule refused. One stable word each ([`RefusalReason::code`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefusalReason {
    /// No protocol with that id in the library.
    UnknownProtocol,
    /// The dose calculator refused (out of range, missing certificate value …);
    /// `no_weight_on_record` when a weight-based floor found no weight on the chart.
    DoseRefused { no_weight_on_record: bool },
    /// The session planner refused, about the sessions asked for or their spacing.
    PlanRefused(PlanPart),
    /// The dates break a protocol window.
    WindowViolation,
    /// The request cannot be honoured in this state or on this backend.
    Unsupported,
    /// No signed screening for the plan's protocol.
    NotScreened,
    /// The chart changed after the signed screening; the message names each change.
    ScreeningNotCurrent,
    /// The screening says not a candidate, or the patient is recorded as deceased; the
    /// message quotes each finding and its source.
    NotACandidate,
    /// A finding needs a clearance nobody has recorded yet.
    ClearanceNeeded,
    /// The screening has contraindications nobody has asked about; signing needs the
    /// patient's answers first.
    ScreeningIncomplete,
    /// A lot may not be used or moved so (expired, recalled, quarantined, used up, another
    /// patient's own, not enough on hand); the message says which.
    LotRefused,
    /// A step of the visit's day cannot be taken now (out of order, the anesthetic's wait,
    /// the checklist or a safety flag without a clinician's reason); the message says which.
    StepRefused,
    /// The procedure note lacks what a signed note must hold; the message names each part.
    NoteIncomplete,
}

/// The part of a plan request the planner refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlanPart {
    /// The number of sessions.
    Sessions,
    /// The time between sessions.
    Spacing,
}

impl RefusalReason {
    pub fn code(self) -> &'static str {
        match self {
            RefusalReason::UnknownProtocol => "unknown_protocol",
            RefusalReason::DoseRefused { .. } => "dose_refused",
            RefusalReason::PlanRefused(_) => "plan_refused",
            RefusalReason::WindowViolation => "window_violation",
            RefusalReason::Unsupported => "unsupported",
            RefusalReason::NotScreened => "not_screened",
            RefusalReason::ScreeningNotCurrent => "screening_not_current",
            RefusalReason::NotACandidate => "not_a_candidate",
            RefusalReason::ClearanceNeeded => "clearance_needed",
            RefusalReason::ScreeningIncomplete => "screening_incomplete",
            RefusalReason::LotRefused => "lot_refused",
            RefusalReason::StepRefused => "step_refused",
            RefusalReason::NoteIncomplete => "note_incomplete",
        }
    }
}

impl ClinicError {
    /// One field is wrong.
    pub fn field(field: impl Into<String>, message: impl Into<String>) -> Self {
        let mut fields = FieldErrors::new();
        fields.insert(field.into(), message.into());
        ClinicError::Invalid(fields)
    }

    pub fn refused(reason: RefusalReason, message: impl Into<String>) -> Self {
        ClinicError::Refused(Refusal {
            reason,
            message: message.into(),
            violations: Vec::new(),
        })
    }

    /// Refused for the broken windows, each explained and cited. The sentence ends with what
    /// a clinician may do; each edge says how (a field, a box to tick).
    pub fn window_violation(violations: Vec<ViolationDocument>) -> Self {
        let explained: Vec<&str> = violations.iter().map(|v| v.explanation.as_str()).collect();
        let message = format!(
            "The dates break {} of the protocol's windows: {} Choose other dates, or, as a clinician, accept the violations to book them anyway (they are then kept as warnings).",
            if violations.len() == 1 {
                "one".to_owned()
            } else {
                violations.len().to_string()
            },
            explained.join(" ")
        );
        ClinicError::Refused(Refusal {
            reason: RefusalReason::WindowViolation,
            message,
            violations,
        })
    }

    /// A value validation said was there is missing: a bug in this crate, not the caller's.
    pub fn unchecked(context: &'static str) -> Self {
        tracing::error!("{context}: validation passed but a checked value is missing");
        ClinicError::Store(format!("{context}: a checked value is missing").into())
    }

    /// The caller's role may not do this.
    pub fn forbidden(role: Role, permission: Permission) -> Self {
        ClinicError::Forbidden {
            role,
            permission,
            context: None,
        }
    }
}

fn forbidden_sentence(
    role: Role,
    permission: Permission,
    context: &Option<&'static str>,
) -> String {
    match context {
        Some(context) => format!("{context} {}", refusal(role, permission)),
        None => refusal(role, permission),
    }
}

fn invalid_sentence(fields: &FieldErrors) -> String {
    let listed: Vec<String> = fields
        .iter()
        .map(|(field, problem)| format!("`{field}`: {problem}"))
        .collect();
    match listed.len() {
        1 => sentence(format!("Fix one field: {}", listed.join(""))),
        n => sentence(format!("Fix {n} fields: {}", listed.join("; "))),
    }
}

impl From<StoreError> for ClinicError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::NotFound { .. } => {
                ClinicError::NotFound(sentence(format!("{error}; check the id")))
            }
            StoreError::Stale { .. } => ClinicError::Stale(sentence(&error)),
            StoreError::Conflict(message) => ClinicError::Conflict(sentence(message)),
            StoreError::Unsupported(message) => {
                ClinicError::refused(RefusalReason::Unsupported, sentence(message))
            }
            StoreError::Unreadable { .. } => ClinicError::Unreadable(sentence(&error)),
            StoreError::Database(detail) => ClinicError::Store(detail),
        }
    }
}

/// Store and core messages are written to sit inside a sentence (no capital, no full stop);
/// what a use case answers is a sentence.
pub fn sentence(text: impl std::fmt::Display) -> String {
    let text = text.to_string();
    // An identifier such as `knee-msc` keeps its case: it is a name, not a word.
    let first_word = text.split_whitespace().next().unwrap_or_default();
    let is_identifier = first_word.contains('-') && !first_word.chars().any(char::is_uppercase);
    let mut chars = text.chars();
    let mut out: String = match chars.next() {
        Some(_) if is_identifier => text.clone(),
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => return text,
    };
    if !out.ends_with(['.', '!', '?']) {
        out.push('.');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::sentence;

    #[test]
    fn a_sentence_opens_with_a_capital_unless_it_opens_with_a_protocol_id() {
        assert_eq!(sentence("the dose is refused"), "The dose is refused.");
        assert_eq!(
            sentence("knee-msc sets a floor"),
            "knee-msc sets a floor.",
            "a protocol id is a name, never capitalised"
        );
        assert_eq!(sentence("Done!"), "Done!");
    }
}
