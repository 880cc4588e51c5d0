//! Today's work for clinicians and staff: today's visits (the caller's own first) with their
//! safety flags, precautions and clearances, requests from the public candidate form,
//! screenings waiting for a clinician's signature, active plans flagged for a re-screen or a
//! worse new screening ([`crate::safety`]), and active plans whose booked visits break a
//! protocol window (the rule of [`crate::windows`]). Every
//! list is one bounded store read, audited as a list of the patients it showed, and the
//! patients' records come from one more; the work does not grow with the number of patients.

use crate::permissions::Permission;
use crate::safety::{self, CareFlag, CareSafety};
use crate::windows::{booked_visits, check_plan_calendar};
use crate::{Caller, Clinic, ClinicError};
use jiff::SignedDuration;
use jiff::civil::Date;
use myotome_store::{
    Appointment, AppointmentId, CalendarQuery, ChartStanding, IntakeForm, Patient, PatientId,
    PlanId, StoredScreening, TreatmentPlan, ViolationDocument,
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
    /// Each of today's visits' flags, precautions and clearances (by appointment id).
    pub visit_safety: HashMap<AppointmentId, CareSafety>,
    /// Where each of today's visits stands in its day (arrived, in procedure …), by id.
    pub stages: HashMap<AppointmentId, myotome_core::visit_day::Stage>,
    /// Active plans flagged for a re-screen or a worse new screening, the caller's own plans
    /// first, at most [`LIST_LIMIT`].
    pub flagged_plans: Vec<(TreatmentPlan, Vec<CareFlag>)>,
    /// Candidate requests whose person may already have a chart (the same folded name and
    /// birth date, or identifier): the charts to open and merge.
    pub request_duplicates: HashMap<PatientId, Vec<Patient>>,
    /// Adverse events not over yet, serious first (with the patient's name), at most
    /// [`crate::adverse_events::OPEN_LIMIT`].
    pub adverse_events: Vec<myotome_store::OpenAdverseEvent>,
    /// What patients reported through their links, waiting for triage.
    pub patient_reports: Vec<myotome_store::WaitingReport>,
}

/// Most patients whose screening standing Today judges: today's visits' first, then the
/// active plans' (most recently changed first).
pub const STANDINGS_CHECKED: usize = 200;

/// The library's version of a plan's protocol (`None` once it left the library).
fn current_version(clinic: &Clinic, plan: &TreatmentPlan) -> Option<String> {
    clinic
        .data
        .protocols
        .get(&plan.details.protocol_id)
        .map(|l| l.protocol.version.to_string())
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
    let adverse_events = store
        .open_adverse_events(actor, crate::adverse_events::OPEN_LIMIT)
        .await?;
    let patient_reports = store
        .patient_reports_waiting(actor, crate::adverse_events::REPORTS_LIMIT)
        .await?;
    // The public form never says whether someone is on file; staff see it here.
    let mut asked: Vec<PatientId> = Vec::new();
    for form in &requests {
        if !asked.contains(&form.patient_id) {
            asked.push(form.patient_id);
        }
    }
    let request_duplicates: HashMap<PatientId, Vec<Patient>> = if asked.is_empty() {
        HashMap::new()
    } else {
        store
            .duplicates_of(actor, &asked)
            .await?
            .into_iter()
            .collect()
    };
    let plans = store.active_plans(actor, PLANS_CHECKED).await?;
    let plans_checked = plans.len();

    // Screening standings: today's patients first, then the active plans' patients.
    let mut judged: Vec<PatientId> = Vec::new();
    let candidates = visits
        .iter()
        .map(|a| a.patient_id)
        .chain(plans.iter().map(|(plan, _)| plan.patient_id));
    for id in candidates {
        if judged.len() == STANDINGS_CHECKED {
            break;
        }
        if !judged.contains(&id) {
            judged.push(id);
        }
    }
    let standings: HashMap<PatientId, ChartStanding> = if judged.is_empty() {
        HashMap::new()
    } else {
        store
            .chart_standings(actor, &judged)
            .await?
            .into_iter()
            .map(|s| (s.patient_id, s))
            .collect()
    };
    let judged_patients: HashMap<PatientId, Patient> = if judged.is_empty() {
        HashMap::new()
    } else {
        store
            .patients_by_id(actor, &judged)
            .await?
            .into_iter()
            .map(|p| (p.id, p))
            .collect()
    };
    let zone = clinic.clock.time_zone();
    let plan_by_id: HashMap<PlanId, &TreatmentPlan> =
        plans.iter().map(|(plan, _)| (plan.id, plan)).collect();
    let mut visit_safety = HashMap::new();
    for visit in &visits {
        let (Some(patient), Some(standing)) = (
            judged_patients.get(&visit.patient_id),
            standings.get(&visit.patient_id),
        ) else {
            continue;
        };
        let plan = visit
            .details
            .plan_id
            .and_then(|id| plan_by_id.get(&id).copied());
        let current = plan.and_then(|p| current_version(clinic, p));
        let care = safety::care_safety(patient, standing, plan, current.as_deref(), &zone);
        if !care.is_empty() {
            visit_safety.insert(visit.id, care);
        }
    }
    let mut flagged_plans = Vec::new();
    for (plan, appointments) in &plans {
        let (Some(patient), Some(standing)) = (
            judged_patients.get(&plan.patient_id),
            standings.get(&plan.patient_id),
        ) else {
            continue;
        };
        let current = current_version(clinic, plan);
        let flags = safety::plan_flags(patient, standing, plan, current.as_deref(), &zone);
        if flags.is_empty() {
            continue;
        }
        let mine = caller.user.is_some()
            && (plan.created_by == caller.user
                || appointments
                    .iter()
                    .any(|a| a.details.clinician_id == caller.user));
        flagged_plans.push((mine, plan.clone(), flags));
    }
    // The plan's own clinician sees theirs first; the sort is stable.
    flagged_plans.sort_by_key(|(mine, _, _)| !mine);
    let flagged_plans: Vec<(TreatmentPlan, Vec<CareFlag>)> = flagged_plans
        .into_iter()
        .take(LIST_LIMIT as usize)
        .map(|(_, plan, flags)| (plan, flags))
        .collect();

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
        .chain(broken_plans.iter().map(|(plan, _)| plan.patient_id))
        .chain(flagged_plans.iter().map(|(plan, _)| plan.patient_id));
    for id in named {
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    // Those read for their standings already are not read again.
    let mut patients = judged_patients;
    ids.retain(|id| !patients.contains_key(id));
    if !ids.is_empty() {
        patients.extend(
            store
                .patients_by_id(actor, &ids)
                .await?
                .into_iter()
                .map(|p| (p.id, p)),
        );
    }
    let stages = visits
        .iter()
        .map(|v| v.id)
        .zip(crate::visit_day::stages(clinic, &visits).await?)
        .collect();
    Ok(Work {
        date,
        adverse_events,
        patient_reports,
        stages,
        visits,
        requests,
        unsigned,
        broken_plans,
        plans_checked,
        patients,
        visit_safety,
        flagged_plans,
        request_duplicates,
    })
}
