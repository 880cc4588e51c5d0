//! A treatment visit's day as the store keeps it: each step recorded (arrived, preparation
//! started, a checklist item ticked, an anesthetic given, procedure started and ended,
//! observation ended), only ever inserted. The visit's stage is derived from them by
//! `myotome_core::visit_day`.

use crate::model::{AppointmentId, UserId};
use jiff::Timestamp;
use myotome_core::visit_day::Step;

/// One step to record. `at` is the clinic's clock, passed in by the use case.
#[derive(Debug, Clone, PartialEq)]
pub struct NewVisitStep {
    pub kind: Step,
    /// The checklist item's key (`clinic-1`) or the anesthetic's kind (`topical`).
    pub item: Option<String>,
    /// The item's words as the checklist showed them, or what was seen.
    pub detail: Option<String>,
    /// A clinician's reason (required items left unticked, a flag passed, ended early).
    pub reason: Option<String>,
    pub at: Timestamp,
}

/// A recorded step.
#[derive(Debug, Clone, PartialEq)]
pub struct VisitStep {
    pub id: i64,
    pub appointment_id: AppointmentId,
    pub step: NewVisitStep,
    pub by: Option<UserId>,
}
