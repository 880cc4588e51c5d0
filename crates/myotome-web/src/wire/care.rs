//! Screenings, treatment plans, appointments and the calendar on the wire.

use super::at;
use super::clinical::{DoseOut, ProtocolRef, ScreeningOut, ViolationOut};
use myotome_clinic::ClinicError;
use myotome_clinic::planning::{DoseInput, FollowUpDate, NewPlan, ScheduleInput};
use myotome_clinic::safety::RecordClearance;
use myotome_clinic::screening::ScreeningRun;
use myotome_clinic::validate::Check;
use myotome_store::{
    Appointment, AppointmentKind, AppointmentStatus, Clearance, PlanSafetyDocument, PlanStatus,
    ScheduleDocument, ScheduledVisit, StoredScreening, TreatmentPlan, UserId,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

// --- Screenings ---------------------------------------------------------------------------------

/// Which protocols to screen for, and on which date.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScreeningRunIn {
    /// Protocol ids, each once; every protocol of the library when absent.
    #[serde(default)]
    #[schema(min_items = 1)]
    pub protocols: Option<Vec<String>>,
    /// The date the facts are judged on; today when absent.
    #[serde(default)]
    #[schema(format = Date)]
    pub as_of: Option<String>,
}

impl ScreeningRunIn {
    /// The use case's command: the date parsed (a field error on `as_of` otherwise).
    pub fn command(self) -> Result<ScreeningRun, ClinicError> {
        let mut check = Check::new();
        let as_of = check.optional_date("as_of", self.as_of.as_deref());
        check.finish()?;
        let Some(as_of) = as_of else {
            return Err(ClinicError::unchecked("screening run"));
        };
        Ok(ScreeningRun {
            protocols: self.protocols,
            as_of,
        })
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SignatureOut {
    pub by: i64,
    pub at: String,
}

/// A stored screening: what the core decided, with its evidence and citations, as it was run.
#[derive(Debug, Serialize, ToSchema)]
pub struct StoredScreeningOut {
    pub id: i64,
    pub patient_id: i64,
    pub protocol: ProtocolRef,
    #[schema(format = Date)]
    pub as_of: String,
    /// eligible, eligible_with_precautions, needs_clearance or not_a_candidate.
    pub verdict: &'static str,
    /// The full screening document (findings, evidence, citations).
    pub result: ScreeningOut,
    pub created_at: String,
    pub created_by: Option<i64>,
    /// `null` until a clinician signs.
    pub signed: Option<SignatureOut>,
    /// Contraindications nobody has asked about (`result.not_asked`) while the verdict could
    /// still change: signing is refused (`screening_incomplete`) until the patient's answers
    /// to `to_ask` are recorded (`POST /api/v1/screenings/{id}/answers`).
    pub incomplete: bool,
    /// The candidate-form questions that ask about `result.not_asked`, in the terminology's
    /// order; empty when the screening is complete.
    pub to_ask: Vec<QuestionOut>,
}

/// A candidate-form question.
#[derive(Debug, Serialize, ToSchema)]
pub struct QuestionOut {
    /// The question's id, the key of its answer.
    pub id: String,
    /// The question in plain words.
    pub question: String,
}

impl StoredScreeningOut {
    /// The screening for the wire; `terminology` names the questions an incomplete one asks.
    pub fn new(s: &StoredScreening, terminology: &myotome_core::terminology::Terminology) -> Self {
        let incomplete = myotome_clinic::screening::is_incomplete(&s.result);
        let to_ask = if incomplete {
            myotome_clinic::screening::unasked_questions(terminology, &s.result)
                .into_iter()
                .map(|q| QuestionOut {
                    id: q.id.clone(),
                    question: q.question.clone(),
                })
                .collect()
        } else {
            Vec::new()
        };
        Self {
            id: s.id.0,
            patient_id: s.patient_id.0,
            protocol: ProtocolRef {
                id: s.protocol_id.clone(),
                version: s.protocol_version.clone(),
            },
            as_of: s.as_of.to_string(),
            verdict: s.verdict.as_str(),
            result: ScreeningOut::from(&s.result),
            created_at: at(s.created_at),
            created_by: s.created_by.map(|id| id.0),
            signed: s.signature.as_ref().map(|sig| SignatureOut {
                by: sig.by.0,
                at: at(sig.at),
            }),
            incomplete,
            to_ask,
        }
    }
}

/// The patient's answers to the candidate-form questions an incomplete screening asks: those
/// whose concepts are in its `result.not_asked` (the questions are in the terminology's
/// concepts file; a missing or extra one is named at `answers.<question>`).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScreeningAnswersIn {
    /// Question id → the patient's answer, e.g. `{"pregnant": false, "hiv": false}`.
    pub answers: std::collections::BTreeMap<String, bool>,
}

// --- Treatment plans ----------------------------------------------------------------------------

/// The dose inputs. Which are needed depends on the protocol: a cell floor needs
/// `cells_per_ml` (and the patient's recorded weight); a protocol without one needs the product
/// volume; a protocol that leaves the saline ratio to the clinic needs it.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DoseIn {
    /// Viable cells per mL of product, from the lot's certificate (e.g. 25000000 or 2.5e7).
    #[serde(default)]
    pub cells_per_ml: Option<f64>,
    /// Product volume; computed from the cell floor when absent.
    #[serde(default)]
    pub product_volume_ml: Option<f64>,
    /// mL of saline per mL of product.
    #[serde(default)]
    pub saline_per_product_ml: Option<f64>,
    /// The syringe's smallest step: the clinic's equipment, not a clinical value. Default 0.1.
    #[serde(default)]
    pub graduation_ml: Option<f64>,
    /// A lot whose certificate gives the cells per mL (then leave `cells_per_ml` out, or give
    /// the same); the plan's explanation says which lot, or that the count was typed by hand.
    #[serde(default)]
    pub lot_id: Option<i64>,
}

/// A follow-up booked on a chosen date.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FollowUpDateIn {
    /// The protocol's follow-up id (see GET /api/v1/protocols/{id}).
    pub id: String,
    #[schema(format = Date)]
    pub date: String,
}

/// Either lay sessions out from `start` (`sessions`, `every` optional), or check given `dates`
/// (with optional `follow_ups`).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScheduleIn {
    #[serde(default)]
    #[schema(format = Date)]
    pub start: Option<String>,
    /// Number of sessions, at most 52; the protocol's minimum when absent.
    #[serde(default, deserialize_with = "super::integer::optional")]
    #[schema(minimum = 1, maximum = 52)]
    pub sessions: Option<u32>,
    /// ISO 8601 duration between sessions, e.g. `P1W`.
    #[serde(default)]
    pub every: Option<String>,
    /// The session dates, at most 52.
    #[serde(default)]
    #[schema(max_items = 52)]
    pub dates: Option<Vec<String>>,
    /// At most 52.
    #[serde(default)]
    #[schema(max_items = 52)]
    pub follow_ups: Vec<FollowUpDateIn>,
}

/// A new treatment plan.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanIn {
    pub protocol: String,
    /// One of the protocol's indication concepts.
    pub indication: String,
    /// One of the protocol's regions.
    pub region: String,
    /// left, right, both or midline; required when a target site is paired.
    #[serde(default)]
    #[schema(schema_with = super::schema::side)]
    pub side: Option<String>,
    /// Structures of the anatomy catalogue the protocol allows in the region, each once; at
    /// most 64.
    #[schema(max_items = 64)]
    pub target_sites: Vec<String>,
    #[serde(default)]
    pub dose: Option<DoseIn>,
    pub schedule: ScheduleIn,
    /// Store the plan even though its dates break the protocol's windows; the response then
    /// lists them as `warnings`.
    #[serde(default)]
    pub accept_violations: bool,
    /// The clinician the appointments are booked with.
    #[serde(default, deserialize_with = "super::integer::optional")]
    pub clinician_id: Option<i64>,
    #[serde(default)]
    pub notes: Option<String>,
    /// The concepts of the signed screening's precautions (findings with the outcome
    /// `eligible_with_precautions`), each acknowledged by the clinician making the plan; every
    /// one must be listed.
    #[serde(default)]
    #[schema(max_items = 64)]
    pub acknowledged_precautions: Vec<String>,
}

impl From<DoseIn> for DoseInput {
    fn from(dose: DoseIn) -> Self {
        Self {
            cells_per_ml: dose.cells_per_ml,
            product_volume_ml: dose.product_volume_ml,
            saline_per_product_ml: dose.saline_per_product_ml,
            graduation_ml: dose.graduation_ml,
            lot: dose.lot_id.map(myotome_store::LotId),
        }
    }
}

impl From<PlanIn> for NewPlan {
    fn from(plan: PlanIn) -> Self {
        Self {
            protocol: plan.protocol,
            indication: plan.indication,
            region: plan.region,
            side: plan.side,
            target_sites: plan.target_sites,
            dose: plan.dose.map(DoseInput::from),
            schedule: ScheduleInput {
                start: plan.schedule.start,
                sessions: plan.schedule.sessions,
                every: plan.schedule.every,
                dates: plan.schedule.dates,
                follow_ups: plan
                    .schedule
                    .follow_ups
                    .into_iter()
                    .map(|f| FollowUpDate {
                        id: f.id,
                        date: f.date,
                    })
                    .collect(),
            },
            accept_violations: plan.accept_violations,
            clinician_id: plan.clinician_id.map(UserId),
            notes: plan.notes,
            acknowledged_precautions: plan.acknowledged_precautions,
        }
    }
}

/// One visit of a stored schedule.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ScheduledVisitOut {
    /// session, follow_up or check_in.
    pub kind: &'static str,
    pub label: String,
    #[schema(format = Date)]
    pub date: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(format = Date)]
    pub earliest: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(format = Date)]
    pub latest: Option<String>,
    /// The protocol's follow-up id, for follow-ups and check-ins.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub follow_up: Option<String>,
}

impl From<&ScheduledVisit> for ScheduledVisitOut {
    fn from(visit: &ScheduledVisit) -> Self {
        Self {
            kind: visit.kind.as_str(),
            label: visit.label.clone(),
            date: visit.date.to_string(),
            earliest: visit.earliest.map(|d| d.to_string()),
            latest: visit.latest.map(|d| d.to_string()),
            follow_up: visit.follow_up.clone(),
        }
    }
}

/// The schedule a plan was made with, as stored in the plan.
#[derive(Debug, Serialize, ToSchema)]
pub struct ScheduleOut {
    pub protocol: ProtocolRef,
    /// laid_out (from a start date) or given_dates.
    pub mode: &'static str,
    pub visits: Vec<ScheduledVisitOut>,
    /// Follow-ups the protocol leaves to the clinic, so not booked.
    pub unscheduled: Vec<String>,
    pub explanation: Vec<String>,
    /// Window violations the clinician accepted when making the plan.
    pub accepted_violations: Vec<ViolationOut>,
}

impl From<&ScheduleDocument> for ScheduleOut {
    fn from(schedule: &ScheduleDocument) -> Self {
        Self {
            protocol: (&schedule.protocol).into(),
            mode: schedule.mode.as_str(),
            visits: schedule
                .visits
                .iter()
                .map(ScheduledVisitOut::from)
                .collect(),
            unscheduled: schedule.unscheduled.clone(),
            explanation: schedule.explanation.clone(),
            accepted_violations: schedule
                .accepted_violations
                .iter()
                .map(ViolationOut::from)
                .collect(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TreatmentPlanOut {
    pub id: i64,
    pub patient_id: i64,
    pub protocol: ProtocolRef,
    pub indication: String,
    pub region: String,
    pub side: Option<String>,
    pub target_sites: Vec<String>,
    /// The dose as computed; `null` for protocols that inject nothing.
    pub dose: Option<DoseOut>,
    pub schedule: ScheduleOut,
    pub notes: Option<String>,
    /// active, completed or cancelled.
    pub status: &'static str,
    pub version: i64,
    pub created_at: String,
    pub created_by: Option<i64>,
    pub updated_at: String,
    /// The signed screening the plan was made from, with the precautions acknowledged and the
    /// clearances relied on; `null` for plans made before the safety gate.
    pub safety: Option<PlanSafetyOut>,
}

/// What a plan was made on.
#[derive(Debug, Serialize, ToSchema)]
pub struct PlanSafetyOut {
    pub screening_id: i64,
    /// The screening's verdict when the plan was made.
    pub verdict: &'static str,
    pub screened_at: String,
    pub precautions: Vec<PrecautionOut>,
    pub clearances: Vec<PlanClearanceOut>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PrecautionOut {
    pub concept: String,
    pub sentence: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PlanClearanceOut {
    pub clearance_id: i64,
    pub concept: String,
    pub cleared_by_role: String,
    pub cleared_by_name: String,
    #[schema(format = Date)]
    pub cleared_on: String,
    /// letter, call or note.
    pub method: String,
    pub reference: Option<String>,
}

impl From<&PlanSafetyDocument> for PlanSafetyOut {
    fn from(s: &PlanSafetyDocument) -> Self {
        Self {
            screening_id: s.screening_id,
            verdict: s.verdict.as_str(),
            screened_at: at(s.screened_at),
            precautions: s
                .precautions
                .iter()
                .map(|p| PrecautionOut {
                    concept: p.concept.clone(),
                    sentence: p.sentence.clone(),
                })
                .collect(),
            clearances: s
                .clearances
                .iter()
                .map(|c| PlanClearanceOut {
                    clearance_id: c.clearance_id,
                    concept: c.concept.clone(),
                    cleared_by_role: c.cleared_by_role.clone(),
                    cleared_by_name: c.cleared_by_name.clone(),
                    cleared_on: c.cleared_on.to_string(),
                    method: c.method.clone(),
                    reference: c.reference.clone(),
                })
                .collect(),
        }
    }
}

// --- Clearances ---------------------------------------------------------------------------------

/// A clearance for a finding of a signed screening that needs one.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClearanceIn {
    /// The finding's concept, e.g. `pregnancy`.
    #[schema(schema_with = super::schema::required_line)]
    pub concept: String,
    /// Who gave it, by role (e.g. obstetrician); the role the protocol names when absent.
    #[serde(default)]
    pub cleared_by_role: Option<String>,
    /// Their name.
    #[schema(schema_with = super::schema::required_line)]
    pub cleared_by_name: String,
    /// When it was given (not in the future).
    #[schema(format = Date)]
    pub cleared_on: String,
    /// letter, call or note.
    #[schema(schema_with = super::schema::clearance_method)]
    pub method: String,
    /// The letter's or note's reference, or the call's details.
    #[serde(default)]
    pub reference: Option<String>,
}

impl From<ClearanceIn> for RecordClearance {
    fn from(c: ClearanceIn) -> Self {
        Self {
            concept: c.concept,
            cleared_by_role: c.cleared_by_role,
            cleared_by_name: c.cleared_by_name,
            cleared_on: c.cleared_on,
            method: c.method,
            reference: c.reference,
        }
    }
}

/// A recorded clearance.
#[derive(Debug, Serialize, ToSchema)]
pub struct ClearanceOut {
    pub id: i64,
    pub patient_id: i64,
    pub screening_id: i64,
    pub concept: String,
    pub cleared_by_role: String,
    pub cleared_by_name: String,
    #[schema(format = Date)]
    pub cleared_on: String,
    pub method: &'static str,
    pub reference: Option<String>,
    pub recorded_by: Option<i64>,
    pub recorded_at: String,
}

impl From<&Clearance> for ClearanceOut {
    fn from(c: &Clearance) -> Self {
        let d = &c.details;
        Self {
            id: c.id.0,
            patient_id: c.patient_id.0,
            screening_id: d.screening_id.0,
            concept: d.concept.clone(),
            cleared_by_role: d.cleared_by_role.clone(),
            cleared_by_name: d.cleared_by_name.clone(),
            cleared_on: d.cleared_on.to_string(),
            method: d.method.as_str(),
            reference: d.reference.clone(),
            recorded_by: c.recorded_by.map(|u| u.0),
            recorded_at: at(c.recorded_at),
        }
    }
}

impl From<&TreatmentPlan> for TreatmentPlanOut {
    fn from(plan: &TreatmentPlan) -> Self {
        let d = &plan.details;
        Self {
            id: plan.id.0,
            patient_id: plan.patient_id.0,
            protocol: ProtocolRef {
                id: d.protocol_id.clone(),
                version: d.protocol_version.clone(),
            },
            indication: d.indication.clone(),
            region: d.region.clone(),
            side: d.side.map(|s| s.as_str().to_owned()),
            target_sites: d.target_sites.clone(),
            dose: d.dose.as_ref().map(DoseOut::from),
            schedule: ScheduleOut::from(&d.schedule),
            notes: d.notes.clone(),
            status: plan.status.as_str(),
            version: plan.version,
            created_at: at(plan.created_at),
            created_by: plan.created_by.map(|id| id.0),
            updated_at: at(plan.updated_at),
            safety: d.safety.as_ref().map(PlanSafetyOut::from),
        }
    }
}

/// A stored plan with its booked appointments.
#[derive(Debug, Serialize, ToSchema)]
pub struct PlanCreatedOut {
    pub plan: TreatmentPlanOut,
    pub appointments: Vec<AppointmentOut>,
    /// Window violations accepted with `accept_violations`.
    pub warnings: Vec<ViolationOut>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanStatusIn {
    /// active, completed or cancelled. Cancelling cancels the plan's visits booked from today
    /// on; completing a plan that still has such visits is refused (409) unless
    /// `cancel_booked_visits` is true.
    #[schema(schema_with = super::schema::plan_status)]
    pub status: String,
    #[serde(deserialize_with = "super::integer::whole")]
    pub version: i64,
    /// Completing: cancel the visits still booked from today on.
    #[serde(default)]
    pub cancel_booked_visits: bool,
}

pub fn parse_plan_status(text: &str) -> Result<PlanStatus, String> {
    match text {
        "active" => Ok(PlanStatus::Active),
        "completed" => Ok(PlanStatus::Completed),
        "cancelled" => Ok(PlanStatus::Cancelled),
        other => Err(format!(
            "`{other}` is not a plan status; use active, completed or cancelled"
        )),
    }
}

// --- Appointments -------------------------------------------------------------------------------

/// A new appointment.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AppointmentIn {
    /// session or follow_up.
    #[schema(schema_with = super::schema::appointment_kind)]
    pub kind: String,
    /// What the visit is, e.g. "Review of pain diary".
    #[schema(schema_with = super::schema::required_line)]
    pub label: String,
    #[schema(format = Date)]
    pub date: String,
    /// Local time `HH:MM`.
    #[serde(default)]
    #[schema(schema_with = super::schema::time_of_day)]
    pub start_time: Option<String>,
    /// Minutes, 1 to 720.
    #[serde(default, deserialize_with = "super::integer::optional")]
    #[schema(minimum = 1, maximum = 720)]
    pub duration_minutes: Option<u32>,
    #[serde(default, deserialize_with = "super::integer::optional")]
    pub clinician_id: Option<i64>,
    /// The patient's treatment plan this visit belongs to; its windows are checked.
    #[serde(default, deserialize_with = "super::integer::optional")]
    pub plan_id: Option<i64>,
    /// Which visit of the plan's schedule this books (its place in `schedule.visits`, from
    /// 0). When left out, the plan's visit with this kind and label is meant, if any.
    #[serde(default, deserialize_with = "super::integer::optional")]
    #[schema(minimum = 0)]
    pub plan_visit: Option<u32>,
    /// Book a plan's visit even though it breaks the protocol's windows: a clinical decision,
    /// for clinicians only (staff get 403), recorded in the audit trail.
    #[serde(default)]
    pub accept_violations: bool,
}

/// An appointment as it should now be: moved, given a time, cancelled or completed. A full
/// replacement: `start_time`, `duration_minutes` and `clinician_id` left out are cleared;
/// `label` left out is kept.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AppointmentUpdateIn {
    #[serde(deserialize_with = "super::integer::whole")]
    pub version: i64,
    #[schema(format = Date)]
    pub date: String,
    /// booked, completed, cancelled or no_show.
    #[schema(schema_with = super::schema::appointment_status)]
    pub status: String,
    /// Local time `HH:MM`.
    #[serde(default)]
    #[schema(schema_with = super::schema::time_of_day)]
    pub start_time: Option<String>,
    /// Minutes, 1 to 720.
    #[serde(default, deserialize_with = "super::integer::optional")]
    #[schema(minimum = 1, maximum = 720)]
    pub duration_minutes: Option<u32>,
    #[serde(default, deserialize_with = "super::integer::optional")]
    pub clinician_id: Option<i64>,
    /// Unchanged when absent.
    #[serde(default)]
    #[schema(schema_with = super::schema::optional_required_line)]
    pub label: Option<String>,
    /// Move a plan's visit even though it breaks the protocol's windows: a clinical decision,
    /// for clinicians only (staff get 403), recorded in the audit trail.
    #[serde(default)]
    pub accept_violations: bool,
    /// Moving a plan's visit: move the plan's later visits still booked by the same number of
    /// days, so the protocol's spacing between them is kept (checked as one change).
    #[serde(default)]
    pub shift_later_visits: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AppointmentOut {
    pub id: i64,
    pub patient_id: i64,
    pub plan_id: Option<i64>,
    /// The visit of the plan's schedule this appointment books (its place in
    /// `schedule.visits`, from 0); `null` for a visit the plan did not lay out.
    pub plan_visit: Option<u32>,
    /// session or follow_up.
    pub kind: &'static str,
    pub label: String,
    #[schema(format = Date)]
    pub date: String,
    pub start_time: Option<String>,
    pub duration_minutes: Option<u32>,
    pub clinician_id: Option<i64>,
    /// booked, completed, cancelled or no_show.
    pub status: &'static str,
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
}

pub fn kind_word(kind: AppointmentKind) -> &'static str {
    match kind {
        AppointmentKind::Session => "session",
        AppointmentKind::FollowUp => "follow_up",
    }
}

pub fn parse_kind(text: &str) -> Result<AppointmentKind, String> {
    match text {
        "session" => Ok(AppointmentKind::Session),
        "follow_up" => Ok(AppointmentKind::FollowUp),
        other => Err(format!(
            "`{other}` is not an appointment kind; use session or follow_up"
        )),
    }
}

pub fn status_word(status: AppointmentStatus) -> &'static str {
    match status {
        AppointmentStatus::Booked => "booked",
        AppointmentStatus::Completed => "completed",
        AppointmentStatus::Cancelled => "cancelled",
        AppointmentStatus::NoShow => "no_show",
    }
}

pub fn parse_status(text: &str) -> Result<AppointmentStatus, String> {
    match text {
        "booked" => Ok(AppointmentStatus::Booked),
        "completed" => Ok(AppointmentStatus::Completed),
        "cancelled" => Ok(AppointmentStatus::Cancelled),
        "no_show" => Ok(AppointmentStatus::NoShow),
        other => Err(format!(
            "`{other}` is not an appointment status; use booked, completed, cancelled or no_show"
        )),
    }
}

impl From<&Appointment> for AppointmentOut {
    fn from(a: &Appointment) -> Self {
        let d = &a.details;
        Self {
            id: a.id.0,
            patient_id: a.patient_id.0,
            plan_id: d.plan_id.map(|id| id.0),
            plan_visit: d.plan_visit.map(|v| v.0),
            kind: kind_word(d.kind),
            label: d.label.clone(),
            date: d.date.to_string(),
            start_time: d.start_time.clone(),
            duration_minutes: d.duration_minutes,
            clinician_id: d.clinician_id.map(|id| id.0),
            status: status_word(d.status),
            version: a.version,
            created_at: at(a.created_at),
            updated_at: at(a.updated_at),
        }
    }
}

/// A booked or changed appointment, with the window violations that were accepted.
#[derive(Debug, Serialize, ToSchema)]
pub struct AppointmentSavedOut {
    pub appointment: AppointmentOut,
    pub warnings: Vec<ViolationOut>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CalendarQuery {
    /// First day, `YYYY-MM-DD`.
    #[param(format = Date)]
    pub from: String,
    /// Last day, not before `from` and at most 62 days after it.
    #[param(format = Date)]
    pub to: String,
    /// Only this clinician's appointments.
    pub clinician: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CalendarOut {
    #[schema(format = Date)]
    pub from: String,
    #[schema(format = Date)]
    pub to: String,
    pub appointments: Vec<AppointmentOut>,
}
