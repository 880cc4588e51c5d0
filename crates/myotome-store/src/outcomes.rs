//! Patient-reported outcomes as the store keeps them: a plan's questionnaire requests (a
//! timepoint of its protocol, the instruments asked, a due window), the link a request was
//! last sent as (its token kept only as a hash), and the response — written once, with each
//! instrument's version, the answers and the scores as they were computed, never changed.

use crate::model::{PatientId, PlanId, PlanVisit, UserId};
use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct OutcomeRequestId(pub i64);

impl fmt::Display for OutcomeRequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// An instrument at the version asked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InstrumentRef {
    pub id: String,
    pub version: String,
}

/// A questionnaire to ask a plan's patient for.
#[derive(Debug, Clone, PartialEq)]
pub struct NewOutcomeRequest {
    pub plan_id: PlanId,
    pub patient_id: PatientId,
    pub protocol_id: String,
    /// The protocol's outcome timepoint id (`baseline`, `initial_follow_up` …).
    pub timepoint: String,
    pub label: String,
    /// The plan visit it goes with; `None` for baseline.
    pub plan_visit: Option<PlanVisit>,
    pub baseline: bool,
    pub instruments: Vec<InstrumentRef>,
    pub due_from: Date,
    pub due_until: Date,
}

/// The latest link a request was sent as (older ones were replaced and no longer open).
#[derive(Debug, Clone, PartialEq)]
pub struct LinkIssued {
    pub created_at: Timestamp,
    pub created_by: Option<UserId>,
    pub expires_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq)]
pub struct OutcomeRequest {
    pub id: OutcomeRequestId,
    pub plan_id: PlanId,
    pub patient_id: PatientId,
    pub protocol_id: String,
    pub timepoint: String,
    pub label: String,
    pub plan_visit: Option<PlanVisit>,
    pub baseline: bool,
    pub instruments: Vec<InstrumentRef>,
    pub due_from: Date,
    pub due_until: Date,
    pub created_at: Timestamp,
    pub link: Option<LinkIssued>,
    pub response: Option<OutcomeResponse>,
}

/// How the answers reached the clinic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ResponseMode {
    /// The patient answered through the link.
    Link,
    /// Staff typed what the patient said on the telephone.
    Phone,
    /// Staff typed what the patient answered at the clinic.
    InPerson,
}

impl ResponseMode {
    pub const ALL: [ResponseMode; 3] = [
        ResponseMode::Link,
        ResponseMode::Phone,
        ResponseMode::InPerson,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ResponseMode::Link => "link",
            ResponseMode::Phone => "phone",
            ResponseMode::InPerson => "in_person",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.as_str() == text)
    }

    pub fn label(self) -> &'static str {
        match self {
            ResponseMode::Link => "by the patient, through the link",
            ResponseMode::Phone => "given by telephone, entered by staff",
            ResponseMode::InPerson => "given at the clinic, entered by staff",
        }
    }
}

/// One score as it was computed when the answers were stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScoreDocument {
    pub id: String,
    pub label: String,
    /// `None` when it could not be scored (`note` says why).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// One instrument's answers (item id → the value chosen; a skipped item is absent).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InstrumentResponse {
    pub id: String,
    pub version: String,
    pub answers: BTreeMap<String, i32>,
    pub scores: Vec<ScoreDocument>,
}

/// A response as stored, whole.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResponseDocument {
    #[serde(default = "schema_1")]
    pub schema: u32,
    pub instruments: Vec<InstrumentResponse>,
}

fn schema_1() -> u32 {
    1
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewResponse {
    pub mode: ResponseMode,
    pub answered_at: Timestamp,
    pub document: ResponseDocument,
}

#[derive(Debug, Clone, PartialEq)]
pub struct OutcomeResponse {
    pub id: i64,
    pub mode: ResponseMode,
    pub answered_at: Timestamp,
    /// The staff member who typed it; `None` when the patient answered through the link.
    pub entered_by: Option<UserId>,
    pub document: ResponseDocument,
}

/// What a patient's link opens: the request, the patient's first name, and the link's own
/// standing. Nothing else of the chart.
#[derive(Debug, Clone, PartialEq)]
pub struct LinkTarget {
    pub request: OutcomeRequest,
    pub first_name: String,
    pub expires_at: Timestamp,
    /// A newer link was sent for the same request.
    pub replaced: bool,
}

/// Requests of one timepoint of one protocol that were answered or whose window has closed
/// (a request still open is neither a response nor a miss yet), and how many were answered:
/// a response rate, with no patient in it. Cancelled plans are left out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseCount {
    pub protocol_id: String,
    pub timepoint: String,
    pub label: String,
    pub baseline: bool,
    pub opened: u64,
    pub answered: u64,
}

/// Which requests a cohort report reads: one protocol's, whose window opened by `opened_by`,
/// of plans matching the rest (each `None` = any).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportFilter {
    pub protocol_id: String,
    pub indication: Option<String>,
    pub region: Option<String>,
    /// The clinician who made the plan.
    pub clinician: Option<UserId>,
    /// Plans made on or after this day …
    pub made_from: Option<Date>,
    /// … and on or before this one (UTC days).
    pub made_until: Option<Date>,
    /// Plans to whose visits this product …
    pub product: Option<crate::ProductId>,
    /// … or this lot was issued or given.
    pub lot: Option<crate::LotId>,
    pub opened_by: Date,
}

/// One request of a report, with its scores when answered (numbers only).
#[derive(Debug, Clone, PartialEq)]
pub struct ReportRow {
    pub request_id: OutcomeRequestId,
    pub plan_id: PlanId,
    pub patient_id: PatientId,
    pub timepoint: String,
    pub baseline: bool,
    pub due_from: Date,
    pub due_until: Date,
    pub answered: bool,
    /// (instrument, score, value).
    pub scores: Vec<(String, String, f64)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ConversionId(pub i64);

impl fmt::Display for ConversionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// That a plan's patient went on to have surgery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewConversion {
    pub surgery_on: Date,
    /// The operation, in the clinic's words ("total hip arthroplasty, right").
    pub procedure: String,
    pub note: Option<String>,
    /// When it was recorded (the clinic's clock).
    pub recorded_at: Timestamp,
}

/// A conversion to surgery as recorded, and its withdrawal when it was recorded in error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SurgicalConversion {
    pub id: ConversionId,
    pub plan_id: PlanId,
    pub patient_id: PatientId,
    pub surgery_on: Date,
    pub procedure: String,
    pub note: Option<String>,
    pub recorded_at: Timestamp,
    pub recorded_by: Option<UserId>,
    pub withdrawn: Option<Withdrawal>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Withdrawal {
    pub at: Timestamp,
    pub by: Option<UserId>,
    pub reason: String,
}

/// A plan of a report's cohort as the time-to-surgery curve reads it (dates only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreatedPlan {
    pub plan_id: PlanId,
    /// The first session held; `None` before treatment.
    pub treated_on: Option<Date>,
    /// The day of surgery, when a standing conversion is recorded.
    pub surgery_on: Option<Date>,
    /// The latest day the clinic heard from the patient: a visit held or a questionnaire
    /// answered.
    pub last_contact: Option<Date>,
}
