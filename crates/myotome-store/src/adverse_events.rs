//! Adverse events as stored: what went wrong after a treatment, graded and assessed, linked
//! to the visit and the lot, brought up to date as it evolves (every version kept) and marked
//! in error rather than deleted; and what the safety report reads.

use crate::model::id_type;
use crate::outcomes::Withdrawal;
use crate::{AppointmentId, LotId, PatientId, UserId};
use jiff::Timestamp;
use jiff::civil::Date;
use myotome_core::adverse_event::{Causality, EventOutcome, Grade, SeriousCriterion};
use serde::{Deserialize, Serialize};

id_type!(
    /// An adverse event.
    AdverseEventId
);
id_type!(
    /// What a patient reported through a questionnaire's link.
    PatientReportId
);

/// Where the clinic learned of the event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReportedVia {
    /// Seen by the team during the observation after the procedure.
    Observation,
    /// Recorded on the chart (a call, a visit, a letter).
    Chart,
    /// Told by the patient through an outcome questionnaire's link, triaged by staff.
    Patient,
}

impl ReportedVia {
    pub const ALL: [ReportedVia; 3] = [Self::Observation, Self::Chart, Self::Patient];

    /// The one text form (database, forms, API).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Observation => "observation",
            Self::Chart => "chart",
            Self::Patient => "patient",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == text)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Observation => "seen during observation",
            Self::Chart => "recorded on the chart",
            Self::Patient => "reported by the patient",
        }
    }
}

/// What is recorded about an event (each version holds all of it).
#[derive(Debug, Clone, PartialEq)]
pub struct AdverseEventDetails {
    /// A term of `catalog/adverse-events.toml` or the clinic's.
    pub term: String,
    /// What happened, in the clinician's words.
    pub description: String,
    pub onset_on: Date,
    pub grade: Grade,
    /// The seriousness criteria met; empty when the event is not serious.
    pub serious: Vec<SeriousCriterion>,
    pub procedure_causality: Causality,
    /// `None` when no product was given (IMS needling, or before the injection).
    pub product_causality: Option<Causality>,
    pub actions_taken: String,
    pub outcome: EventOutcome,
    /// When it resolved (or ended); set exactly when the outcome says it is over.
    pub ended_on: Option<Date>,
    /// The visit it followed (and through it the procedure note).
    pub appointment_id: Option<AppointmentId>,
    /// The lot given at that visit, when a product may be involved.
    pub lot_id: Option<LotId>,
}

impl AdverseEventDetails {
    pub fn is_serious(&self) -> bool {
        !self.serious.is_empty()
    }

    /// Not over yet: still to be followed up.
    pub fn is_open(&self) -> bool {
        !self.outcome.ended()
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct AdverseEvent {
    pub id: AdverseEventId,
    pub patient_id: PatientId,
    pub reported_via: ReportedVia,
    pub details: AdverseEventDetails,
    /// 1 when recorded, one more with each update (optimistic locking).
    pub version: i64,
    pub recorded_at: Timestamp,
    pub recorded_by: Option<UserId>,
    pub updated_at: Timestamp,
    pub updated_by: Option<UserId>,
    /// Marked as recorded in error, with the reason.
    pub in_error: Option<Withdrawal>,
}

impl AdverseEvent {
    /// An event that stands (not recorded in error) and is serious or not over: the chart's
    /// alert strip shows it.
    pub fn needs_attention(&self) -> bool {
        self.in_error.is_none() && (self.details.is_serious() || self.details.is_open())
    }
}

/// A version of an event as it was recorded.
#[derive(Debug, Clone, PartialEq)]
pub struct AdverseEventRevision {
    pub version: i64,
    pub details: AdverseEventDetails,
    pub recorded_at: Timestamp,
    pub recorded_by: Option<UserId>,
}

/// An open event on Today's list, with the patient's name to show.
#[derive(Debug, Clone, PartialEq)]
pub struct OpenAdverseEvent {
    pub event: AdverseEvent,
    pub patient_name: String,
}

/// What the safety report counts: by protocol (the procedures are the held sessions of its
/// plans) or by lot (the procedures are the visits the lot was given at).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SafetyScope {
    Protocol(String),
    Lot(LotId),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SafetyFilter {
    pub scope: SafetyScope,
    /// Procedures held on or after …
    pub from: Option<Date>,
    /// … and on or before.
    pub until: Option<Date>,
}

/// The procedures in scope and the events that followed them (standing events only).
#[derive(Debug, Clone, PartialEq)]
pub struct SafetyRows {
    pub procedures: u64,
    pub events: Vec<AdverseEvent>,
}

/// What a patient wrote, through a follow-up questionnaire's link, when asked whether anything
/// unexpected happened since treatment; waiting for staff until triaged.
#[derive(Debug, Clone, PartialEq)]
pub struct PatientReport {
    pub id: PatientReportId,
    pub request_id: crate::OutcomeRequestId,
    pub patient_id: PatientId,
    pub text: String,
    pub reported_at: Timestamp,
    pub triage: Option<Triage>,
}

/// How staff triaged a patient's report: recorded as an adverse event, or judged not one.
#[derive(Debug, Clone, PartialEq)]
pub struct Triage {
    pub at: Timestamp,
    pub by: Option<UserId>,
    pub event: Option<AdverseEventId>,
    /// Why it is not an adverse event.
    pub note: Option<String>,
}

/// A report waiting for triage, with the patient's name and the questionnaire's timepoint.
#[derive(Debug, Clone, PartialEq)]
pub struct WaitingReport {
    pub report: PatientReport,
    pub patient_name: String,
    pub timepoint: String,
}
