//! Appointments and the clinic calendar. Booking or moving a visit of a treatment plan
//! re-checks the plan's windows against its other booked visits ([`crate::windows`]): a date
//! that breaks a window the calendar did not already break is refused with the explanation,
//! unless the caller accepts it. Accepting is a clinical decision: it needs the permission to
//! make plans (clinicians), and each accepted override is recorded in the audit trail as
//! `appointment.window_override` on the patient, with the appointment and the kinds of
//! violation as target.
//!
//! A booking or move is one store transaction: the plan and its appointments are read, the
//! windows checked and the appointment written with its audit rows (the override's included)
//! while no other booking can change that plan's calendar. So two concurrent requests can
//! never both book one plan visit, and a window check always judges the calendar it writes to.

use crate::permissions::Permission;
use crate::validate::{Check, MAX_SHORT_TEXT};
use crate::windows::{self, BookedVisit, Change};
use crate::{Caller, Clinic, ClinicError, safety};
use jiff::civil::{Date, Time};
use myotome_store::{
    Appointment, AppointmentDetails, AppointmentId, AppointmentKind, AppointmentStatus,
    AuditAction, CalendarQuery, ChartStanding, Patient, PatientId, PlanId, PlanVisit,
    ScheduledVisitKind, Store, StoreError, Transaction, TreatmentPlan, User, UserId,
    ViolationDocument,
};

/// The longest calendar page, in days: two months, so one request cannot pull a year of
/// patients' names.
pub const MAX_CALENDAR_DAYS: i32 = 62;
/// Longest appointment, in minutes (the longest seed procedure is 2–4 hours).
pub const MAX_DURATION_MINUTES: u32 = 12 * 60;

/// A new appointment.
#[derive(Debug, Clone)]
pub struct NewAppointment {
    pub kind: AppointmentKind,
    /// What the visit is, e.g. "Review of pain diary".
    pub label: String,
    pub date: Date,
    /// Local time `HH:MM`.
    pub start_time: Option<String>,
    pub duration_minutes: Option<u32>,
    pub clinician: Option<UserId>,
    /// The patient's treatment plan this visit belongs to; its windows are checked.
    pub plan: Option<PlanId>,
    /// Which of the plan's visits this books. When `None` on a plan, the visit of the plan's
    /// schedule with this kind and label is meant, if there is one; otherwise it is a visit
    /// the plan did not lay out.
    pub plan_visit: Option<PlanVisit>,
    /// Book even though it breaks the protocol's windows: a clinician's decision.
    pub accept_violations: bool,
}

/// An appointment as it should now be: moved, given a time, cancelled or completed. A full
/// replacement of time, length and clinician; `label: None` keeps the label.
#[derive(Debug, Clone)]
pub struct AppointmentChange {
    /// The version read.
    pub version: i64,
    pub date: Date,
    pub status: AppointmentStatus,
    pub start_time: Option<String>,
    pub duration_minutes: Option<u32>,
    pub clinician: Option<UserId>,
    pub label: Option<String>,
    /// Move even though it breaks the protocol's windows: a clinician's decision.
    pub accept_violations: bool,
    /// Moving a plan's visit: move every later visit of the plan still booked by the same
    /// number of days, so the protocol's spacing between them is kept.
    pub shift_later: bool,
}

/// A booked or changed appointment, with the window violations that were accepted.
#[derive(Debug, Clone)]
pub struct Booked {
    pub appointment: Appointment,
    pub warnings: Vec<ViolationDocument>,
    /// The plan's later visits moved with it ([`AppointmentChange::shift_later`]).
    pub shifted: Vec<Appointment>,
}

/// `HH:MM`, and only that.
pub fn check_time(check: &mut Check, start_time: Option<&str>) {
    if let Some(text) = start_time {
        let shaped = text.len() == 5 && text.as_bytes()[2] == b':';
        if !shaped || text.parse::<Time>().is_err() {
            check.add(
                "start_time",
                format!("`{text}` is not a time; write HH:MM, e.g. 09:30"),
            );
        }
    }
}

fn check_duration(check: &mut Check, minutes: Option<u32>) {
    if let Some(minutes) = minutes
        && (minutes == 0 || minutes > MAX_DURATION_MINUTES)
    {
        check.add(
            "duration_minutes",
            format!(
                "{minutes} minutes is not an appointment length; give 1 to {MAX_DURATION_MINUTES}"
            ),
        );
    }
}

/// Accepting a window violation is a clinical decision: it needs the permission to make
/// plans, whatever the role may otherwise do with appointments.
fn may_accept_violations(caller: &Caller) -> Result<(), ClinicError> {
    caller.may(Permission::PlanWrite).map_err(|_| ClinicError::Forbidden {
        role: caller.role,
        permission: Permission::PlanWrite,
        context: Some(
            "Accepting a protocol-window violation (`accept_violations`) is a clinical decision.",
        ),
    })
}

/// A user that can be booked: exists and is not disabled; a field error naming `field`
/// otherwise.
pub async fn bookable_user(
    store: &dyn Store,
    id: Option<UserId>,
    field: &str,
) -> Result<Option<UserId>, ClinicError> {
    Ok(bookable(store, id, field).await?.map(|user| user.id))
}

/// [`bookable_user`], the user read (their name goes into a double-booking refusal; read
/// before the use case's transaction, which holds the store's write lock).
async fn bookable(
    store: &dyn Store,
    id: Option<UserId>,
    field: &str,
) -> Result<Option<User>, ClinicError> {
    let Some(id) = id else {
        return Ok(None);
    };
    match store.user(id).await {
        Ok(user) if user.disabled => Err(ClinicError::field(
            field,
            format!("{} is disabled; choose someone else", user.username),
        )),
        // A visit is with a clinician: an administrator or a member of staff cannot hold one.
        Ok(user) if user.role != myotome_store::Role::Clinician => Err(ClinicError::field(
            field,
            format!(
                "{} is not a clinician (their role is {}); choose a clinician",
                user.username,
                user.role.as_str()
            ),
        )),
        Ok(user) => Ok(Some(user)),
        Err(StoreError::NotFound { .. }) => {
            Err(ClinicError::field(field, format!("there is no user {id}")))
        }
        Err(other) => Err(other.into()),
    }
}

/// The audit event of an accepted window override: the appointment and the kinds of
/// violation, never patient data.
fn window_override(appointment: &Appointment, warnings: &[ViolationDocument]) -> AuditAction {
    let mut kinds: Vec<&str> = warnings.iter().map(|v| v.kind.as_str()).collect();
    kinds.sort_unstable();
    kinds.dedup();
    AuditAction::on_patient("appointment.window_override", appointment.patient_id).with_target(
        format!("appointment/{} ({})", appointment.id.0, kinds.join(", ")),
    )
}

/// Whether a plan visit of this schedule kind may be booked as an appointment of `kind`.
fn kinds_agree(scheduled: ScheduledVisitKind, kind: AppointmentKind) -> bool {
    match scheduled {
        ScheduledVisitKind::Session => kind == AppointmentKind::Session,
        ScheduledVisitKind::FollowUp | ScheduledVisitKind::CheckIn => {
            kind == AppointmentKind::FollowUp
        }
    }
}

/// The plan visit a new appointment books: the one named (checked against the schedule), or
/// the schedule's visit of the same kind and label.
fn plan_visit_of(
    plan: &TreatmentPlan,
    booking: &NewAppointment,
) -> Result<Option<PlanVisit>, ClinicError> {
    let visits = &plan.details.schedule.visits;
    match booking.plan_visit {
        Some(number) => match visits.get(number.index()) {
            None => Err(ClinicError::field(
                "plan_visit",
                format!(
                    "plan {} has {} visits, numbered from 0; there is no visit {}",
                    plan.id,
                    visits.len(),
                    number.0
                ),
            )),
            Some(scheduled) if !kinds_agree(scheduled.kind, booking.kind) => {
                let kind = match scheduled.kind {
                    ScheduledVisitKind::Session => "session",
                    ScheduledVisitKind::FollowUp | ScheduledVisitKind::CheckIn => "follow_up",
                };
                Err(ClinicError::field(
                    "kind",
                    format!(
                        "visit {} of plan {} ({}) is booked as a {kind}",
                        number.0, plan.id, scheduled.label
                    ),
                ))
            }
            Some(_) => Ok(Some(number)),
        },
        None => Ok(visits
            .iter()
            .position(|v| v.label == booking.label && kinds_agree(v.kind, booking.kind))
            .and_then(|i| u32::try_from(i).ok())
            .map(PlanVisit)),
    }
}

/// Refuses a second live appointment for one plan visit: it would book the visit twice.
fn not_yet_booked(
    plan: &TreatmentPlan,
    appointments: &[Appointment],
    visit: Option<PlanVisit>,
    except: Option<AppointmentId>,
) -> Result<(), ClinicError> {
    let Some(visit) = visit else {
        return Ok(());
    };
    let holder = appointments.iter().find(|a| {
        a.details.plan_visit == Some(visit)
            && a.details.status != AppointmentStatus::Cancelled
            && Some(a.id) != except
    });
    match holder {
        None => Ok(()),
        Some(holder) => {
            let label = plan
                .details
                .schedule
                .visits
                .get(visit.index())
                .map_or("this visit", |v| v.label.as_str());
            Err(ClinicError::Conflict(format!(
                "{label} of plan {} is already booked for {} (appointment {}); move or cancel that appointment instead of booking the visit again.",
                plan.id, holder.details.date, holder.id
            )))
        }
    }
}

/// The windows a change to a plan's calendar brings, judged on the appointments the use case's
/// transaction read. Refused unless accepted; `Ok` with the accepted ones otherwise. A plan whose protocol is no longer
/// in the library is not checked.
fn windows_brought(
    clinic: &Clinic,
    plan: &TreatmentPlan,
    appointments: &[Appointment],
    change: Change,
    accept: bool,
) -> Result<Vec<ViolationDocument>, ClinicError> {
    let Some(loaded) = clinic.data.protocols.get(&plan.details.protocol_id) else {
        return Ok(Vec::new());
    };
    let brought = windows::brought_by(
        &loaded.protocol,
        &plan.details.schedule,
        appointments,
        change,
    );
    if !brought.is_empty() && !accept {
        return Err(ClinicError::window_violation(brought));
    }
    Ok(brought)
}

/// Books an appointment for `patient`, a plan's visit checked against the plan's windows.
pub async fn book(
    clinic: &Clinic,
    caller: &Caller,
    patient: PatientId,
    booking: NewAppointment,
) -> Result<Booked, ClinicError> {
    let mut booked = book_all(clinic, caller, patient, vec![booking]).await?;
    booked
        .pop()
        .ok_or_else(|| ClinicError::unchecked("booking"))
}

/// Books several appointments for `patient` in one transaction, in the order given, each
/// checked as [`book`] checks it against what is booked before it: all are booked or none.
/// The plan page books the visits a clinician chose this way.
pub async fn book_all(
    clinic: &Clinic,
    caller: &Caller,
    patient: PatientId,
    bookings: Vec<NewAppointment>,
) -> Result<Vec<Booked>, ClinicError> {
    caller.may(Permission::AppointmentWrite)?;
    let mut clinicians = Vec::with_capacity(bookings.len());
    for booking in &bookings {
        let mut check = Check::new();
        check.required_text("label", &booking.label, MAX_SHORT_TEXT);
        check_time(&mut check, booking.start_time.as_deref());
        check_duration(&mut check, booking.duration_minutes);
        check.finish()?;
        if booking.accept_violations {
            may_accept_violations(caller)?;
        }
        clinicians.push(bookable(clinic.store.as_ref(), booking.clinician, "clinician_id").await?);
    }

    let mut tx = clinic.store.begin(&caller.actor).await?;
    let found = tx.patient(patient).await?;
    let standing = tx.chart_standing(patient).await?;
    let mut booked = Vec::with_capacity(bookings.len());
    for (booking, clinician) in bookings.into_iter().zip(clinicians) {
        let gate = Gate {
            patient: &found,
            standing: &standing,
        };
        booked.push(book_in(clinic, tx.as_mut(), gate, booking, clinician).await?);
    }
    tx.commit().await?;
    Ok(booked)
}

/// What the safety gate reads of the patient, once per use case.
#[derive(Clone, Copy)]
struct Gate<'a> {
    patient: &'a Patient,
    standing: &'a ChartStanding,
}

/// One booking inside the use case's transaction.
async fn book_in(
    clinic: &Clinic,
    tx: &mut dyn Transaction,
    gate: Gate<'_>,
    booking: NewAppointment,
    clinician: Option<User>,
) -> Result<Booked, ClinicError> {
    let patient = gate.patient.id;
    let mut warnings = Vec::new();
    let mut plan_visit = None;
    let mut duration_minutes = booking.duration_minutes;
    if gate.patient.details.deceased.is_some() {
        safety::gate_booking(gate.patient, gate.standing, None)?;
    }
    if let Some(plan_id) = booking.plan {
        let (plan, appointments) = plan_of(tx, plan_id, patient).await?;
        safety::gate_booking(gate.patient, gate.standing, Some(&plan))?;
        if duration_minutes.is_none() && booking.kind == AppointmentKind::Session {
            duration_minutes = session_minutes(clinic, tx, &plan).await?;
        }
        plan_visit = plan_visit_of(&plan, &booking)?;
        not_yet_booked(&plan, &appointments, plan_visit, None)?;
        let visit = BookedVisit {
            kind: booking.kind,
            plan_visit,
            date: booking.date,
        };
        warnings = windows_brought(
            clinic,
            &plan,
            &appointments,
            Change::Book(visit),
            booking.accept_violations,
        )?;
    }
    let details = AppointmentDetails {
        plan_id: booking.plan,
        plan_visit,
        kind: booking.kind,
        label: booking.label,
        date: booking.date,
        start_time: booking.start_time,
        duration_minutes,
        clinician_id: clinician.as_ref().map(|u| u.id),
        status: AppointmentStatus::Booked,
    };
    clinician_free(
        tx,
        &details,
        clinician.as_ref().map(|u| (u.id, u.display_name.as_str())),
        None,
    )
    .await?;
    let appointment = tx.book_appointment(patient, &details).await?;
    if !warnings.is_empty() {
        tx.record_audit(window_override(&appointment, &warnings));
    }
    Ok(Booked {
        appointment,
        warnings,
        shifted: Vec::new(),
    })
}

/// The session length of the plan's protocol as the clinic ran it (its upper bound, so the
/// clinician's day is never overbooked): given by the seed, e.g. IMS "15 to 30 minutes"
/// (seed 002), or set by the clinic in the settings version the plan was made under where the
/// seed gives none. `None` when neither says.
async fn session_minutes(
    clinic: &Clinic,
    tx: &mut dyn Transaction,
    plan: &TreatmentPlan,
) -> Result<Option<u32>, ClinicError> {
    let Some(loaded) = clinic.data.protocols.get(&plan.details.protocol_id) else {
        return Ok(None);
    };
    let settings = match plan.details.settings_version {
        Some(version) => Some(tx.clinic_settings_version(version).await?),
        None => None,
    };
    let protocol = crate::settings::protocol_as_run(&loaded.protocol, settings.as_ref());
    Ok(protocol
        .schedule
        .session_length
        .as_ref()
        .and_then(|length| length.given())
        .and_then(|length| length.max.whole_minutes())
        .filter(|m| *m > 0))
}

const MINUTES_PER_DAY: i64 = 24 * 60;

/// Minutes after midnight of an `HH:MM` start time.
fn start_minute(start_time: Option<&str>) -> Option<u32> {
    let time: Time = start_time?.parse().ok()?;
    Some(u32::try_from(time.hour()).ok()? * 60 + u32::try_from(time.minute()).ok()?)
}

/// Refuses a booked appointment with a time that overlaps another booked appointment of the
/// same clinician, the day before and after included (a 23:30 procedure of two hours holds
/// 00:00–01:30 of the next day). An appointment without a length holds its start minute only,
/// so two visits at one time always conflict. Checked inside the use case's transaction, so two
/// concurrent bookings of one slot cannot both pass.
async fn clinician_free(
    tx: &mut dyn Transaction,
    details: &AppointmentDetails,
    clinician: Option<(UserId, &str)>,
    except: Option<AppointmentId>,
) -> Result<(), ClinicError> {
    let (Some((clinician, who)), Some(start)) =
        (clinician, start_minute(details.start_time.as_deref()))
    else {
        return Ok(());
    };
    if details.status != AppointmentStatus::Booked {
        return Ok(());
    }
    // Minutes from the midnight starting `details.date`, so days either side compare.
    let start = i64::from(start);
    let end = start + i64::from(details.duration_minutes.unwrap_or(1).max(1));
    let around = tx
        .calendar(&CalendarQuery {
            from: details.date.yesterday().unwrap_or(details.date),
            to: details.date.tomorrow().unwrap_or(details.date),
            clinician_id: Some(clinician),
        })
        .await?;
    let clash = around.iter().find(|other| {
        let o = &other.details;
        if Some(other.id) == except
            || o.status != AppointmentStatus::Booked
            || o.clinician_id != Some(clinician)
        {
            return false;
        }
        let Some(other_start) = start_minute(o.start_time.as_deref()) else {
            return false;
        };
        let day_offset = i64::from((o.date - details.date).get_days());
        let other_start = day_offset * MINUTES_PER_DAY + i64::from(other_start);
        let other_end = other_start + i64::from(o.duration_minutes.unwrap_or(1).max(1));
        start < other_end && other_start < end
    });
    let Some(clash) = clash else {
        return Ok(());
    };
    let o = &clash.details;
    let until = match o.duration_minutes {
        Some(minutes) => {
            let end = start_minute(o.start_time.as_deref()).unwrap_or(0) + minutes;
            format!(" to {:02}:{:02}", end / 60 % 24, end % 60)
        }
        None => String::new(),
    };
    // The other visit is named by its time only: it may be another patient's.
    Err(ClinicError::Conflict(format!(
        "{who} is already booked on {} from {}{until}; choose another time or clinician.",
        o.date,
        o.start_time.as_deref().unwrap_or(""),
    )))
}

/// The plan, with its appointments, when it is `patient`'s.
async fn plan_of(
    tx: &mut dyn Transaction,
    plan_id: PlanId,
    patient: PatientId,
) -> Result<(TreatmentPlan, Vec<Appointment>), ClinicError> {
    let (plan, appointments) = tx.plan_with_appointments(plan_id).await?;
    if plan.patient_id != patient {
        return Err(ClinicError::field(
            "plan_id",
            format!("plan {plan_id} is another patient's"),
        ));
    }
    Ok((plan, appointments))
}

/// Moves, re-times, cancels or completes an appointment; a plan's visit moved to another date
/// (or booked again after a cancellation) is checked against the plan's windows.
pub async fn change(
    clinic: &Clinic,
    caller: &Caller,
    id: AppointmentId,
    change: AppointmentChange,
) -> Result<Booked, ClinicError> {
    caller.may(Permission::AppointmentWrite)?;
    let mut check = Check::new();
    if let Some(label) = &change.label {
        check.required_text("label", label, MAX_SHORT_TEXT);
    }
    check_time(&mut check, change.start_time.as_deref());
    check_duration(&mut check, change.duration_minutes);
    check.finish()?;
    if change.accept_violations {
        may_accept_violations(caller)?;
    }
    let clinician = bookable(clinic.store.as_ref(), change.clinician, "clinician_id").await?;

    let mut tx = clinic.store.begin(&caller.actor).await?;
    let current = tx.appointment(id).await?;
    let moved = change.date != current.details.date;
    let rebooked = current.details.status != AppointmentStatus::Booked
        && change.status == AppointmentStatus::Booked;
    let mut warnings = Vec::new();
    let mut shifts: Vec<(Appointment, Date)> = Vec::new();
    let booking_again = change.status == AppointmentStatus::Booked && (moved || rebooked);
    if booking_again && current.details.plan_id.is_none() {
        let found = tx.patient(current.patient_id).await?;
        let standing = tx.chart_standing(current.patient_id).await?;
        safety::gate_booking(&found, &standing, None)?;
    }
    if let Some(plan_id) = current.details.plan_id
        && booking_again
    {
        let (plan, appointments) = plan_of(tx.as_mut(), plan_id, current.patient_id).await?;
        let found = tx.patient(current.patient_id).await?;
        let standing = tx.chart_standing(current.patient_id).await?;
        safety::gate_booking(&found, &standing, Some(&plan))?;
        not_yet_booked(&plan, &appointments, current.details.plan_visit, Some(id))?;
        if moved && change.shift_later {
            shifts = later_visits_shifted(&appointments, &current, change.date)?;
        }
        if moved {
            let visit = BookedVisit {
                kind: current.details.kind,
                plan_visit: current.details.plan_visit,
                date: change.date,
            };
            warnings = if shifts.is_empty() {
                windows_brought(
                    clinic,
                    &plan,
                    &appointments,
                    Change::Move(id, visit),
                    change.accept_violations,
                )?
            } else {
                windows_brought_by_shift(
                    clinic,
                    &plan,
                    &appointments,
                    (id, change.date),
                    &shifts,
                    change.accept_violations,
                )?
            };
        }
    }
    let details = AppointmentDetails {
        plan_id: current.details.plan_id,
        plan_visit: current.details.plan_visit,
        kind: current.details.kind,
        label: change
            .label
            .unwrap_or_else(|| current.details.label.clone()),
        date: change.date,
        start_time: change.start_time,
        duration_minutes: change.duration_minutes,
        clinician_id: clinician.as_ref().map(|u| u.id),
        status: change.status,
    };
    let named = clinician.as_ref().map(|u| (u.id, u.display_name.as_str()));
    if shifts.is_empty() {
        clinician_free(tx.as_mut(), &details, named, Some(id)).await?;
    }
    let appointment = tx.update_appointment(id, change.version, &details).await?;
    if !warnings.is_empty() {
        tx.record_audit(window_override(&appointment, &warnings));
    }
    let mut shifted = Vec::with_capacity(shifts.len());
    for (later, date) in shifts {
        let details = AppointmentDetails {
            date,
            ..later.details.clone()
        };
        shifted.push(
            tx.update_appointment(later.id, later.version, &details)
                .await?,
        );
    }
    // Checked once every visit is at its new date, so a visit never clashes with the one
    // moving out of its way; each against its own clinician's day.
    for moved in shifted
        .iter()
        .chain((!shifted.is_empty()).then_some(&appointment))
    {
        let who = moved.details.clinician_id.map(|id| match named {
            Some((mover, name)) if mover == id => (id, name),
            _ => (id, "The visit's clinician"),
        });
        clinician_free(tx.as_mut(), &moved.details, who, Some(moved.id)).await?;
    }
    tx.commit().await?;
    Ok(Booked {
        appointment,
        warnings,
        shifted,
    })
}

/// The plan's visits after `current` still booked, each with its date moved by as many days
/// as `current` moves to `to`.
fn later_visits_shifted(
    appointments: &[Appointment],
    current: &Appointment,
    to: Date,
) -> Result<Vec<(Appointment, Date)>, ClinicError> {
    let days = current
        .details
        .date
        .until(to)
        .map(|span| span.get_days())
        .map_err(|_| ClinicError::field("date", "is too far from the visit's date to move it"))?;
    let mut shifted = Vec::new();
    // Later: a later date, or the same date and a later visit of the plan (a follow-up on the
    // session's own day moves with it).
    let later_in_plan = |a: &Appointment| {
        a.details.date > current.details.date
            || (a.details.date == current.details.date
                && matches!(
                    (a.details.plan_visit, current.details.plan_visit),
                    (Some(theirs), Some(ours)) if theirs > ours
                ))
    };
    for later in appointments.iter().filter(|a| {
        a.id != current.id && a.details.status == AppointmentStatus::Booked && later_in_plan(a)
    }) {
        let date = later
            .details
            .date
            .checked_add(jiff::Span::new().days(days))
            .map_err(|_| {
                ClinicError::field(
                    "date",
                    "moves a later visit off the calendar; choose a nearer date",
                )
            })?;
        shifted.push((later.clone(), date));
    }
    Ok(shifted)
}

/// The windows a move and the shift of the later visits bring, judged on the whole calendar
/// after them against the calendar before: refused unless accepted.
fn windows_brought_by_shift(
    clinic: &Clinic,
    plan: &TreatmentPlan,
    appointments: &[Appointment],
    moved: (AppointmentId, Date),
    shifts: &[(Appointment, Date)],
    accept: bool,
) -> Result<Vec<ViolationDocument>, ClinicError> {
    let Some(loaded) = clinic.data.protocols.get(&plan.details.protocol_id) else {
        return Ok(Vec::new());
    };
    let protocol = &loaded.protocol;
    let schedule = &plan.details.schedule;
    let before =
        windows::check_plan_calendar(protocol, schedule, &windows::booked_visits(appointments));
    let after_appointments: Vec<Appointment> = appointments
        .iter()
        .map(|a| {
            let date = if a.id == moved.0 {
                Some(moved.1)
            } else {
                shifts.iter().find(|(s, _)| s.id == a.id).map(|(_, d)| *d)
            };
            match date {
                Some(date) => Appointment {
                    details: AppointmentDetails {
                        date,
                        status: AppointmentStatus::Booked,
                        ..a.details.clone()
                    },
                    ..a.clone()
                },
                None => a.clone(),
            }
        })
        .collect();
    let after = windows::check_plan_calendar(
        protocol,
        schedule,
        &windows::booked_visits(&after_appointments),
    );
    let brought = windows::brought_by_change(&before, after);
    if !brought.is_empty() && !accept {
        return Err(ClinicError::window_violation(brought));
    }
    Ok(brought)
}

/// One appointment.
pub async fn get(
    clinic: &Clinic,
    caller: &Caller,
    id: AppointmentId,
) -> Result<Appointment, ClinicError> {
    caller.may(Permission::PatientRead)?;
    Ok(clinic.store.appointment(&caller.actor, id).await?)
}

/// The patient's appointments, in date order.
pub async fn list(
    clinic: &Clinic,
    caller: &Caller,
    patient: PatientId,
) -> Result<Vec<Appointment>, ClinicError> {
    caller.may(Permission::PatientRead)?;
    Ok(clinic.store.appointments(&caller.actor, patient).await?)
}

/// The clinic's appointments from `from` to `to` (at most [`MAX_CALENDAR_DAYS`] days),
/// optionally one clinician's, in date and time order.
pub async fn calendar(
    clinic: &Clinic,
    caller: &Caller,
    from: Date,
    to: Date,
    clinician: Option<UserId>,
) -> Result<Vec<Appointment>, ClinicError> {
    caller.may(Permission::CalendarRead)?;
    if to < from {
        return Err(ClinicError::field(
            "to",
            format!("{to} is before `from` ({from})"),
        ));
    }
    if days_between(from, to) > MAX_CALENDAR_DAYS {
        return Err(ClinicError::field(
            "to",
            format!(
                "the range {from} to {to} is longer than {MAX_CALENDAR_DAYS} days; ask for less at once"
            ),
        ));
    }
    Ok(clinic
        .store
        .calendar(
            &caller.actor,
            &CalendarQuery {
                from,
                to,
                clinician_id: clinician,
            },
        )
        .await?)
}

fn days_between(from: Date, to: Date) -> i32 {
    from.until(to).map_or(i32::MAX, |span| span.get_days())
}
