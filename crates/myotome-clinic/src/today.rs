//! Today's work for clinicians and staff: today's visits (the caller's own first), requests
//! from the public candidate form, screenings waiting for a clinician's signature, and active
//! plans whose booked visits break a protocol window (the rule of [`crate::windows`]). Every
//! list is one bounded store read, audited as a list of the patients it showed, and the
//! patients' records come from one more; the work does not grow with the number of patients.

use crate::permissions::Permission;
use crate::windows::{booked_visits, check_plan_calendar};
use crate::{Caller, Clinic, ClinicError};
use jiff::SignedDuration;
use jiff::civil::Date;
use myotome_store::{
    Appointment, CalendarQuery, IntakeForm, Patient, PatientId, StoredScreening, TreatmentPlan,
    ViolationDocument,
};
use std::collections::HashMap;

/// How far back new candidate requests are listed, in days.
pub const REQUEST_DAYS: i64 = 14;
/// Most rows of each list.
pub const LIST_LIMIT: u32 = 50;
/// Most active plans checked for broken windows (most recently changed first).
pub const PLANS_CHECKED: u32 = 500;

/// The day's work lists.
#[derive(Debug, Clone)]
pub struct Work {
    pub date: Date,
    /// Today's appointments, the caller's own first, each group in time order.
    pub visits: Vec<Appointment>,
    /// Candidate forms sent in the last [`REQUEST_DAYS`] days, newest first.
    pub requests: Vec<IntakeForm>,
    /// Screenings no clinician has signed yet, newest first.
    pub unsigned: Vec<StoredScreening>,
    /// Active plans whose booked visits break a window, with the windows.
    pub broken_plans: Vec<(TreatmentPlan, Vec<ViolationDocument>)>,
    /// How many active plans were checked (at most [`PLANS_CHECKED`]).
    pub plans_checked: usize,
    /// Every patient the lists name, by id.
    pub patients: HashMap<PatientId, Patient>,
}

/// The work lists for today (the clinic's clock) as `caller` may see them.
pub async fn work(clinic: &Clinic, caller: &Caller) -> Result<Work, ClinicError> {
    caller.may(Permission::PatientRead)?;
    caller.may(Permission::PlanRead)?;
    let store = clinic.store.as_ref();
    let actor = &caller.actor;
    let date = clinic.clock.today();
    let mut visits = store
        .calendar(
            actor,
            &CalendarQuery {
                from: date,
                to: date,
                clinician_id: None,
            },
        )
        .await?;
    // The caller's own visits first; the sort is stable, so each group keeps time order.
    visits.sort_by_key(|a| caller.user.is_none() || a.details.clinician_id != caller.user);
    let since = clinic.clock.now() - SignedDuration::from_hours(24 * REQUEST_DAYS);
    let requests = store
        .candidate_intakes_since(actor, since, LIST_LIMIT)
        .await?;
    let unsigned = store.unsigned_screenings(actor, LIST_LIMIT).await?;
    let plans = store.active_plans(actor, PLANS_CHECKED).await?;
    let plans_checked = plans.len();
    let mut broken_plans = Vec::new();
    for (plan, appointments) in plans {
        let Some(loaded) = clinic.data.protocols.get(&plan.details.protocol_id) else {
            continue;
        };
        let booked = booked_visits(&appointments);
        let violations = check_plan_calendar(&loaded.protocol, &plan.details.schedule, &booked);
        if !violations.is_empty() && broken_plans.len() < LIST_LIMIT as usize {
            broken_plans.push((plan, violations));
        }
    }

    // The names of every patient shown, in one read.
    let mut ids: Vec<PatientId> = Vec::new();
    let named = visits
        .iter()
        .map(|a| a.patient_id)
        .chain(requests.iter().map(|f| f.patient_id))
        .chain(unsigned.iter().map(|s| s.patient_id))
        .chain(broken_plans.iter().map(|(plan, _)| plan.patient_id));
    for id in named {
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    let patients = if ids.is_empty() {
        HashMap::new()
    } else {
        store
            .patients_by_id(actor, &ids)
            .await?
            .into_iter()
            .map(|p| (p.id, p))
            .collect()
    };
    Ok(Work {
        date,
        visits,
        requests,
        unsigned,
        broken_plans,
        plans_checked,
        patients,
    })
}
