//! A treatment visit's day: the patient's arrival, the pre-procedure checklist (the protocol's
//! preparation, each item ticked with who and when), the anesthetic chosen and its wait, the
//! start and end of the procedure and the end of observation — each a step checked against the
//! steps before it in the transaction that writes it, with its audit row.
//!
//! Starting the procedure is where safety is judged again: a recorded death or a signed "not a
//! candidate" stops it outright (as at booking); the re-screen flags of the plan
//! ([`crate::safety::care_safety`]), required checklist items left unticked, both need a
//! clinician's recorded reason to pass; and the anesthetic's minimum wait is never skipped
//! (seed 003 "Allow sufficient time for effect").
//!
//! Who may do what: clinicians and staff record the arrival, start the preparation and tick the
//! checklist and hand over the aftercare sheet (AppointmentWrite); giving an anesthetic, starting and ending the procedure and
//! ending the observation are a clinician's (ProcedurePerform).

use crate::permissions::Permission;
use crate::safety;
use crate::validate::{Check, MAX_LONG_TEXT};
use crate::{Caller, Clinic, ClinicError, RefusalReason};
use jiff::Timestamp;
use myotome_core::protocol::{AnesthesiaKind, AnesthesiaOption, Protocol};
use myotome_core::visit_day::{self as day, ChecklistItem, Stage, Step, StepRefusal};
use myotome_store::{
    Appointment, AppointmentId, AppointmentStatus, NewVisitStep, Patient, StoredSettings,
    Transaction, TreatmentPlan, VisitStep,
};

/// What the visit's page shows of its day.
#[derive(Debug, Clone)]
pub struct VisitDay {
    pub appointment: Appointment,
    pub patient: Patient,
    pub plan: Option<TreatmentPlan>,
    /// The plan's protocol as run under the plan's settings (`None` for a visit outside a plan
    /// or of a protocol no longer in the library).
    pub protocol: Option<Protocol>,
    pub stage: Stage,
    pub steps: Vec<VisitStep>,
    /// The flags, precautions and clearances the plan carries.
    pub safety: safety::CareSafety,
}

/// One checklist item with its tick, if any.
#[derive(Debug, Clone)]
pub struct ChecklistLine<'a> {
    pub item: ChecklistItem<'a>,
    pub ticked: Option<&'a VisitStep>,
}

impl VisitDay {
    /// The checklist with each item's tick.
    pub fn checklist(&self) -> Vec<ChecklistLine<'_>> {
        let Some(protocol) = &self.protocol else {
            return Vec::new();
        };
        day::checklist(protocol)
            .into_iter()
            .map(|item| ChecklistLine {
                ticked: self.steps.iter().find(|s| {
                    s.step.kind == Step::Checked && s.step.item.as_deref() == Some(&item.key)
                }),
                item,
            })
            .collect()
    }

    /// The anesthetics given, with the option each was and when.
    pub fn anesthetics(&self) -> Vec<(&AnesthesiaOption, &VisitStep)> {
        let Some(protocol) = &self.protocol else {
            return Vec::new();
        };
        anesthetics_given(protocol, &self.steps)
    }

    /// When the procedure may start, after the anesthetics given (`None`: no wait applies).
    pub fn may_start_at(&self) -> Option<Timestamp> {
        self.anesthetics()
            .iter()
            .filter_map(|(option, step)| day::may_start_at(option, step.step.at))
            .max()
    }

    /// The protocol's minimum observation in minutes (the seed's, or the clinic's setting).
    pub fn observation_minutes(&self) -> Option<u32> {
        self.protocol
            .as_ref()
            .and_then(|p| p.observation.minutes.given().map(|m| m.min))
    }

    /// What to watch for during the observation, from the protocol.
    pub fn watch_for(&self) -> Vec<String> {
        self.protocol
            .iter()
            .flat_map(|p| p.observation.watch_for.iter().map(|s| s.text.clone()))
            .collect()
    }

    /// What to have at hand during the observation, from the protocol.
    pub fn have_at_hand(&self) -> Vec<String> {
        self.protocol
            .iter()
            .flat_map(|p| p.observation.have_at_hand.iter().map(|s| s.text.clone()))
            .collect()
    }

    /// The step recorded last of `kind`, if any.
    pub fn last(&self, kind: Step) -> Option<&VisitStep> {
        self.steps.iter().rev().find(|s| s.step.kind == kind)
    }
}

fn anesthetics_given<'a>(
    protocol: &'a Protocol,
    steps: &'a [VisitStep],
) -> Vec<(&'a AnesthesiaOption, &'a VisitStep)> {
    steps
        .iter()
        .filter(|s| s.step.kind == Step::AnesthesiaGiven)
        .filter_map(|s| {
            let kind = s.step.item.as_deref().and_then(AnesthesiaKind::parse)?;
            let option = protocol.anesthesia.iter().find(|a| a.kind == kind)?;
            Some((option, s))
        })
        .collect()
}

/// The stage the booking alone says: cancelled and no-show are the calendar's.
pub(crate) fn booked_as(appointment: &Appointment) -> Stage {
    match appointment.details.status {
        AppointmentStatus::Cancelled => Stage::Cancelled,
        AppointmentStatus::NoShow => Stage::NoShow,
        AppointmentStatus::Booked | AppointmentStatus::Completed => Stage::Booked,
    }
}

/// The stage of each of `appointments`, from their steps (one read for the lot): what Today
/// shows beside each visit.
pub async fn stages(
    clinic: &Clinic,
    appointments: &[Appointment],
) -> Result<Vec<Stage>, ClinicError> {
    let ids: Vec<AppointmentId> = appointments.iter().map(|a| a.id).collect();
    let steps = clinic.store.visit_steps(&ids).await?;
    Ok(appointments
        .iter()
        .map(|a| {
            day::stage_after(
                booked_as(a),
                steps
                    .iter()
                    .filter(|s| s.appointment_id == a.id)
                    .map(|s| s.step.kind),
            )
        })
        .collect())
}

/// Reads the visit's day (an audited read of the visit and the patient).
pub async fn get(
    clinic: &Clinic,
    caller: &Caller,
    id: AppointmentId,
) -> Result<VisitDay, ClinicError> {
    caller.may(Permission::PatientRead)?;
    let appointment = clinic.store.appointment(&caller.actor, id).await?;
    let patient = clinic
        .store
        .patient(&caller.actor, appointment.patient_id)
        .await?;
    let standing = clinic
        .store
        .chart_standing(&caller.actor, appointment.patient_id)
        .await?;
    let plan = match appointment.details.plan_id {
        Some(plan) => Some(clinic.store.plan(&caller.actor, plan).await?),
        None => None,
    };
    let settings = match plan.as_ref().and_then(|p| p.details.settings_version) {
        Some(version) => Some(clinic.store.clinic_settings_version(version).await?),
        None => None,
    };
    let steps = clinic.store.visit_steps(&[id]).await?;
    Ok(assemble(
        clinic,
        appointment,
        patient,
        plan,
        settings.as_ref(),
        &standing,
        steps,
    ))
}

fn assemble(
    clinic: &Clinic,
    appointment: Appointment,
    patient: Patient,
    plan: Option<TreatmentPlan>,
    settings: Option<&StoredSettings>,
    standing: &myotome_store::ChartStanding,
    steps: Vec<VisitStep>,
) -> VisitDay {
    let loaded = plan
        .as_ref()
        .and_then(|p| clinic.data.protocols.get(&p.details.protocol_id));
    let protocol = loaded.map(|l| crate::settings::protocol_as_run(&l.protocol, settings));
    let current = loaded.map(|l| l.protocol.version.to_string());
    let safety = safety::care_safety(
        &patient,
        standing,
        plan.as_ref(),
        current.as_deref(),
        &clinic.clock.time_zone(),
    );
    let stage = day::stage_after(booked_as(&appointment), steps.iter().map(|s| s.step.kind));
    VisitDay {
        appointment,
        patient,
        plan,
        protocol,
        stage,
        steps,
        safety,
    }
}

/// A step as asked for.
#[derive(Debug, Clone, Default)]
pub struct StepForm {
    /// `arrived`, `preparation_started`, `checked`, `anesthesia_given`, `procedure_started`,
    /// `procedure_ended` or `observation_ended`.
    pub step: String,
    /// The checklist item's key (`checked`) or the anesthetic's kind (`anesthesia_given`).
    pub item: String,
    /// What was seen (`observation_ended`).
    pub detail: String,
    /// The clinician's reason, where one is needed.
    pub reason: String,
}

/// The permission a step needs.
fn permission_for(step: Step) -> Permission {
    match step {
        Step::Arrived | Step::PreparationStarted | Step::Checked | Step::AftercareGiven => {
            Permission::AppointmentWrite
        }
        Step::AnesthesiaGiven
        | Step::ProcedureStarted
        | Step::ProcedureEnded
        | Step::ObservationEnded => Permission::ProcedurePerform,
    }
}

/// Records one step of the visit's day, checked in its transaction against the steps before
/// it (and, to start the procedure, against the chart's safety, the checklist and the
/// anesthetic's wait). Returns the day as it now stands.
pub async fn record(
    clinic: &Clinic,
    caller: &Caller,
    id: AppointmentId,
    form: &StepForm,
) -> Result<VisitDay, ClinicError> {
    let Some(step) = Step::parse(form.step.trim()) else {
        return Err(ClinicError::field(
            "step",
            "is not a step of the day; use arrived, preparation_started, checked, anesthesia_given, procedure_started, procedure_ended or observation_ended",
        ));
    };
    caller.may(Permission::PatientRead)?;
    caller.may(permission_for(step))?;
    let mut check = Check::new();
    check.paragraph("reason", &form.reason, MAX_LONG_TEXT);
    check.paragraph("detail", &form.detail, MAX_LONG_TEXT);
    check.finish()?;
    let now = clinic.clock.now();
    let mut tx = clinic.store.begin(&caller.actor).await?;
    let appointment = tx.appointment(id).await?;
    let patient = tx.patient(appointment.patient_id).await?;
    let standing = tx.chart_standing(appointment.patient_id).await?;
    let plan = match appointment.details.plan_id {
        Some(plan) => Some(tx.plan_with_appointments(plan).await?.0),
        None => None,
    };
    let settings = match plan.as_ref().and_then(|p| p.details.settings_version) {
        Some(version) => Some(tx.clinic_settings_version(version).await?),
        None => None,
    };
    if today_date_refusal(&appointment, clinic.clock.today()) {
        return Err(ClinicError::refused(
            RefusalReason::StepRefused,
            format!(
                "This visit is booked for {}, not today: its day is recorded as it happens. If the patient came today, move the visit to today first.",
                appointment.details.date
            ),
        ));
    }
    let steps = tx.visit_steps(id).await?;
    let today = assemble(
        clinic,
        appointment,
        patient,
        plan,
        settings.as_ref(),
        &standing,
        steps,
    );
    day::may_take(step, today.stage).map_err(out_of_order)?;
    let new = match step {
        Step::Checked => checked(&today, form, now)?,
        Step::AnesthesiaGiven => anesthetic(&today, form, now)?,
        Step::ProcedureStarted => {
            procedure_start(&today, &standing, form, now, &clinic.clock.time_zone())?
        }
        Step::ObservationEnded => observation_end(&today, form, now, &clinic.clock.time_zone())?,
        Step::Arrived | Step::PreparationStarted | Step::ProcedureEnded | Step::AftercareGiven => {
            NewVisitStep {
                kind: step,
                item: None,
                detail: None,
                reason: None,
                at: now,
            }
        }
    };
    tx.add_visit_step(&today.appointment, &new).await?;
    commit_and_read(tx, clinic, caller, id).await
}

/// Whether the visit is booked for another day than `today`: its steps are recorded as they
/// happen, so a visit of another day is moved first (which checks its windows again).
fn today_date_refusal(appointment: &Appointment, today: jiff::civil::Date) -> bool {
    appointment.details.date != today
}

async fn commit_and_read(
    tx: Box<dyn Transaction>,
    clinic: &Clinic,
    caller: &Caller,
    id: AppointmentId,
) -> Result<VisitDay, ClinicError> {
    tx.commit().await?;
    get(clinic, caller, id).await
}

fn out_of_order(refusal: StepRefusal) -> ClinicError {
    ClinicError::refused(RefusalReason::StepRefused, refusal.to_string())
}

/// The anesthetic's wait as the clinic reads it: the earliest start in its time zone, to the
/// minute and never before the moment allowed.
fn wait_refusal(refusal: StepRefusal, zone: &jiff::tz::TimeZone) -> ClinicError {
    match refusal {
        StepRefusal::AnesthesiaWait { may_start_at } => {
            let minute = jiff::SignedDuration::from_mins(1);
            let shown = may_start_at
                .round(
                    jiff::TimestampRound::new()
                        .smallest(jiff::Unit::Minute)
                        .mode(jiff::RoundMode::Ceil),
                )
                .unwrap_or(may_start_at + minute);
            ClinicError::refused(
                RefusalReason::StepRefused,
                format!(
                    "The anesthetic has not had time to take effect: the procedure may start at {} at the earliest (the protocol's minimum wait).",
                    shown.to_zoned(zone.clone()).strftime("%H:%M")
                ),
            )
        }
        other => out_of_order(other),
    }
}

fn optional(text: &str) -> Option<String> {
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
}

fn protocol_of(today: &VisitDay) -> Result<&Protocol, ClinicError> {
    today.protocol.as_ref().ok_or_else(|| {
        ClinicError::Conflict(
            "This visit belongs to no plan of a protocol in the library, so it has no checklist or anesthetic to record."
                .to_owned(),
        )
    })
}

fn checked(today: &VisitDay, form: &StepForm, now: Timestamp) -> Result<NewVisitStep, ClinicError> {
    let protocol = protocol_of(today)?;
    let key = form.item.trim();
    let items = day::checklist(protocol);
    let Some(item) = items.iter().find(|i| i.key == key) else {
        return Err(ClinicError::field(
            "item",
            format!("“{key}” is not an item of this visit's checklist"),
        ));
    };
    if today
        .checklist()
        .iter()
        .any(|line| line.item.key == key && line.ticked.is_some())
    {
        return Err(ClinicError::Conflict(format!(
            "“{}” is already ticked.",
            item.statement.text
        )));
    }
    Ok(NewVisitStep {
        kind: Step::Checked,
        item: Some(item.key.clone()),
        detail: Some(item.statement.text.clone()),
        reason: None,
        at: now,
    })
}

fn anesthetic(
    today: &VisitDay,
    form: &StepForm,
    now: Timestamp,
) -> Result<NewVisitStep, ClinicError> {
    let protocol = protocol_of(today)?;
    let kind = form.item.trim();
    let option =
        AnesthesiaKind::parse(kind).and_then(|k| protocol.anesthesia.iter().find(|a| a.kind == k));
    let Some(option) = option else {
        let offered: Vec<&str> = protocol
            .anesthesia
            .iter()
            .map(|a| a.kind.as_str())
            .collect();
        return Err(ClinicError::field(
            "item",
            if offered.is_empty() {
                format!("{} names no anesthetic", protocol.id)
            } else {
                format!(
                    "“{kind}” is not an anesthetic of {}; choose {}",
                    protocol.id,
                    offered.join(" or ")
                )
            },
        ));
    };
    Ok(NewVisitStep {
        kind: Step::AnesthesiaGiven,
        item: Some(option.kind.as_str().to_owned()),
        detail: optional(&form.detail),
        reason: None,
        at: now,
    })
}

/// What starting the procedure must pass: an absolute stop for a death or a signed "not a
/// candidate"; the anesthetic's minimum wait; and, unless a clinician gives a reason, every
/// checklist item ticked and no re-screen flag.
fn procedure_start(
    today: &VisitDay,
    standing: &myotome_store::ChartStanding,
    form: &StepForm,
    now: Timestamp,
    zone: &jiff::tz::TimeZone,
) -> Result<NewVisitStep, ClinicError> {
    safety::gate_booking(&today.patient, standing, today.plan.as_ref())?;
    if let Some(protocol) = &today.protocol {
        let given: Vec<(&AnesthesiaOption, Timestamp)> = anesthetics_given(protocol, &today.steps)
            .into_iter()
            .map(|(option, step)| (option, step.step.at))
            .collect();
        day::anesthesia_allows(&given, now).map_err(|r| wait_refusal(r, zone))?;
    }
    let unticked: Vec<String> = today
        .checklist()
        .iter()
        .filter(|line| line.ticked.is_none())
        .map(|line| line.item.statement.text.clone())
        .collect();
    let flags: Vec<String> = today
        .safety
        .flags
        .iter()
        .map(safety::CareFlag::sentence)
        .collect();
    let reason = optional(&form.reason);
    if (!unticked.is_empty() || !flags.is_empty()) && reason.is_none() {
        let mut problems = Vec::new();
        if !unticked.is_empty() {
            problems.push(format!(
                "{} checklist item(s) are not ticked: {}",
                unticked.len(),
                unticked.join(" · ")
            ));
        }
        problems.extend(flags);
        return Err(ClinicError::refused(
            RefusalReason::StepRefused,
            format!(
                "The procedure has not started. {} Tick what was done, or give the clinician's reason for starting anyway.",
                problems.join(" ")
            ),
        ));
    }
    Ok(NewVisitStep {
        kind: Step::ProcedureStarted,
        item: None,
        detail: (!unticked.is_empty()).then(|| format!("Not ticked: {}", unticked.join(" · "))),
        reason: if unticked.is_empty() && today.safety.flags.is_empty() {
            None
        } else {
            reason
        },
        at: now,
    })
}

/// Ending the observation before the protocol's minimum needs a reason; what was seen is kept.
fn observation_end(
    today: &VisitDay,
    form: &StepForm,
    now: Timestamp,
    zone: &jiff::tz::TimeZone,
) -> Result<NewVisitStep, ClinicError> {
    let minimum = observation_ends_at(today);
    let early = minimum.is_some_and(|at| now < at);
    let reason = optional(&form.reason);
    if early && reason.is_none() {
        let at = minimum.map(|t| t.to_zoned(zone.clone()).strftime("%H:%M").to_string());
        return Err(ClinicError::refused(
            RefusalReason::StepRefused,
            format!(
                "The observation is not over: the protocol's minimum runs until {}. Give the reason for ending it early.",
                at.unwrap_or_default()
            ),
        ));
    }
    Ok(NewVisitStep {
        kind: Step::ObservationEnded,
        item: None,
        detail: optional(&form.detail),
        reason: if early { reason } else { None },
        at: now,
    })
}

/// When the observation's minimum ends: the protocol's minimum (the seed's, or the clinic's
/// where the seed names none) after the procedure ended; `None` when neither says.
pub fn observation_ends_at(today: &VisitDay) -> Option<Timestamp> {
    let ended = today.last(Step::ProcedureEnded)?.step.at;
    let minutes = today.protocol.as_ref()?.observation.minutes.given()?.min;
    Some(ended + jiff::SignedDuration::from_mins(i64::from(minutes)))
}
