//! Adverse events: what went wrong after a treatment, recorded from the observation step, from
//! the chart, or from what a patient reported; graded (CTCAE v5.0's five grades, each with its
//! plain definition), judged serious or not by the ICH E2A criteria, assessed for how likely the
//! procedure and the product caused it, followed to its outcome — every version kept — and
//! counted in the safety report per protocol or per lot: events per 100 procedures by term and
//! grade with Wilson 95 % intervals, the serious ones listed. The scales and the arithmetic are
//! the core's ([`myotome_core::adverse_event`]).
//!
//! Who may do what: clinicians and staff record events and bring them up to date (ChartWrite —
//! staff take the patient's call); changing an event's grade, seriousness or causality, and
//! marking one recorded in error, are a clinician's (AdverseEventAssess); anyone who reads
//! charts reads them, and the safety report is for those who read outcomes.

use crate::permissions::Permission;
use crate::validate::Check;
use crate::{Caller, Clinic, ClinicError};
use jiff::civil::Date;
use myotome_core::adverse_event::{
    Causality, EventOutcome, Grade, SeriousCriterion, TermRate, term_rates,
};
use myotome_core::lots::LotStatus;
use myotome_store::{
    AdverseEvent, AdverseEventDetails, AdverseEventId, AdverseEventRevision, AppointmentId,
    AppointmentStatus, LotEventKind, LotId, OpenAdverseEvent, PatientId, PatientReportId,
    ReportedVia, SafetyFilter, SafetyScope, Transaction, WaitingReport,
};

const DESCRIPTION_MAX: usize = 2000;
const ACTIONS_MAX: usize = 2000;
const REASON_MAX: usize = 500;

/// The most open events Today lists.
pub const OPEN_LIMIT: u32 = 100;

/// An event as typed (form or API): every field as text, parsed here.
#[derive(Debug, Clone, Default)]
pub struct EventInput {
    pub term: String,
    pub description: String,
    pub onset_on: String,
    /// `1` … `5`.
    pub grade: String,
    /// Seriousness criteria ([`SeriousCriterion::as_str`]); none when not serious.
    pub serious: Vec<String>,
    pub procedure_causality: String,
    /// Blank when no product was involved.
    pub product_causality: String,
    pub actions_taken: String,
    pub outcome: String,
    /// Required when the outcome says it is over.
    pub ended_on: String,
    /// The visit it followed (an id), or blank.
    pub appointment: String,
    /// The lot given at that visit (an id), or blank.
    pub lot: String,
}

/// Parses and checks what can be checked without the database; the visit and the lot are
/// checked against the chart and the ledger in the write's transaction. `kept_term` is the
/// event's own term on an update, accepted even when the clinic's list no longer has it.
fn parse(
    clinic: &Clinic,
    input: &EventInput,
    kept_term: Option<&str>,
) -> Result<AdverseEventDetails, ClinicError> {
    let mut check = Check::new();
    let term = input.term.trim();
    if clinic.data.event_terms.get(term).is_none() && kept_term != Some(term) {
        check.add(
            "term",
            if term.is_empty() {
                "is required: choose what happened from the list".to_owned()
            } else {
                format!("`{term}` is not on the list of adverse-event terms; choose one from it")
            },
        );
    }
    check.paragraph("description", &input.description, DESCRIPTION_MAX);
    check.paragraph("actions_taken", &input.actions_taken, ACTIONS_MAX);
    let onset_on = check.date("onset_on", &input.onset_on);
    let today = clinic.clock.today();
    if let Some(onset) = onset_on
        && onset > today
    {
        check.add(
            "onset_on",
            format!("is after today ({today}); record an event once it has begun"),
        );
    }
    let grade = input
        .grade
        .trim()
        .parse::<u8>()
        .ok()
        .and_then(Grade::from_number);
    if grade.is_none() {
        check.add("grade", "choose a grade from 1 (mild) to 5 (death)");
    }
    let mut serious = Vec::new();
    for text in &input.serious {
        match SeriousCriterion::parse(text.trim()) {
            Some(criterion) if !serious.contains(&criterion) => serious.push(criterion),
            Some(_) => {}
            None => check.add(
                "serious",
                format!("`{text}` is not a seriousness criterion; tick those on the form"),
            ),
        }
    }
    serious.sort();
    let procedure_causality = Causality::parse(input.procedure_causality.trim());
    if procedure_causality.is_none() {
        check.add(
            "procedure_causality",
            "choose how likely the procedure caused it, from not related to certain",
        );
    }
    let product_causality = match input.product_causality.trim() {
        "" => None,
        text => {
            let parsed = Causality::parse(text);
            if parsed.is_none() {
                check.add(
                    "product_causality",
                    "choose how likely the product caused it, or leave it blank when no product was given",
                );
            }
            parsed
        }
    };
    let outcome = EventOutcome::parse(input.outcome.trim());
    if outcome.is_none() {
        check.add("outcome", "choose how the event stands or ended");
    }
    let ended_on = check.optional_date(
        "ended_on",
        Some(input.ended_on.trim()).filter(|t| !t.is_empty()),
    );
    let ended_on = ended_on.flatten();
    if let Some(outcome) = outcome {
        match ended_on {
            None if outcome.ended() => check.add(
                "ended_on",
                format!(
                    "is required when the outcome is “{}”: the day it ended",
                    outcome.label()
                ),
            ),
            Some(_) if !outcome.ended() => check.add(
                "ended_on",
                format!(
                    "is for an event that is over; leave it blank while it is “{}”",
                    outcome.label()
                ),
            ),
            _ => {}
        }
    }
    if let Some(ended) = ended_on {
        if ended > today {
            check.add("ended_on", format!("is after today ({today})"));
        }
        if let Some(onset) = onset_on
            && ended < onset
        {
            check.add("ended_on", format!("is before the onset ({onset})"));
        }
    }
    // The grade, the seriousness and the outcome must tell one story (CTCAE v5.0: grade 4 is
    // life-threatening, grade 5 is death; ICH E2A: both are serious).
    if let (Some(grade), Some(outcome)) = (grade, outcome) {
        if grade == Grade::Death && outcome != EventOutcome::Fatal {
            check.add("outcome", "is “Fatal” for a grade 5 event (death)");
        }
        if outcome == EventOutcome::Fatal && grade != Grade::Death {
            check.add("grade", "is 5 (death) when the outcome is “Fatal”");
        }
        if grade == Grade::Death && !serious.contains(&SeriousCriterion::Death) {
            check.add(
                "serious",
                "includes “Resulted in death” for a grade 5 event",
            );
        }
        if grade == Grade::LifeThreatening && serious.is_empty() {
            check.add(
                "serious",
                "needs a criterion for a grade 4 (life-threatening) event: it is serious",
            );
        }
        if serious.contains(&SeriousCriterion::Death) && grade != Grade::Death {
            check.add("grade", "is 5 (death) when the event resulted in death");
        }
        if serious.contains(&SeriousCriterion::LifeThreatening) && grade < Grade::LifeThreatening {
            check.add(
                "grade",
                "is at least 4 (life-threatening) when the event was life-threatening",
            );
        }
    }
    let appointment = optional_id(&mut check, "appointment", &input.appointment, "visit");
    let lot = optional_id(&mut check, "lot", &input.lot, "lot");
    if lot.is_some() && appointment.is_none() {
        check.add(
            "lot",
            "needs the visit it was given at; choose the visit the event followed",
        );
    }
    if lot.is_some() && input.product_causality.trim().is_empty() {
        check.add(
            "product_causality",
            "is required when a lot is linked: how likely the product caused it",
        );
    }
    check.finish()?;
    let (Some(onset_on), Some(grade), Some(procedure_causality), Some(outcome)) =
        (onset_on, grade, procedure_causality, outcome)
    else {
        return Err(ClinicError::field("onset_on", "is required"));
    };
    Ok(AdverseEventDetails {
        term: term.to_owned(),
        description: input.description.trim().to_owned(),
        onset_on,
        grade,
        serious,
        procedure_causality,
        product_causality,
        actions_taken: input.actions_taken.trim().to_owned(),
        outcome,
        ended_on,
        appointment_id: appointment.map(AppointmentId),
        lot_id: lot.map(LotId),
    })
}

fn optional_id(check: &mut Check, field: &str, text: &str, what: &str) -> Option<i64> {
    match text.trim() {
        "" => None,
        text => match text.parse::<i64>() {
            Ok(id) if id > 0 => Some(id),
            _ => {
                check.add(field, format!("`{text}` is not a {what} number"));
                None
            }
        },
    }
}

/// The visit must be this patient's, held or under way (its day begun), no later than the
/// onset; the lot must have been issued or given at that visit (issued: the observation comes
/// before the note that records the administration is signed).
async fn check_links(
    tx: &mut Box<dyn Transaction>,
    patient: PatientId,
    details: &AdverseEventDetails,
) -> Result<(), ClinicError> {
    let Some(visit) = details.appointment_id else {
        return Ok(());
    };
    let appointment = tx.appointment(visit).await.map_err(|_| {
        ClinicError::field("appointment", format!("visit {visit} is not on this chart"))
    })?;
    if appointment.patient_id != patient {
        return Err(ClinicError::field(
            "appointment",
            format!("visit {visit} is not on this chart"),
        ));
    }
    match appointment.details.status {
        AppointmentStatus::Cancelled | AppointmentStatus::NoShow => {
            return Err(ClinicError::field(
                "appointment",
                format!("visit {visit} did not take place; choose the visit the event followed"),
            ));
        }
        AppointmentStatus::Booked if tx.visit_steps(visit).await?.is_empty() => {
            return Err(ClinicError::field(
                "appointment",
                format!(
                    "visit {visit} has not begun (no arrival recorded); choose a visit that took place"
                ),
            ));
        }
        AppointmentStatus::Booked | AppointmentStatus::Completed => {}
    }
    if details.onset_on < appointment.details.date {
        return Err(ClinicError::field(
            "onset_on",
            format!(
                "is before the visit it followed ({}); choose the right visit or the right day",
                appointment.details.date
            ),
        ));
    }
    if let Some(lot) = details.lot_id {
        let ledger = tx
            .lot_ledger(lot)
            .await
            .map_err(|_| ClinicError::field("lot", format!("lot {lot} is not in the inventory")))?;
        let given_there = ledger.events.iter().any(|e| {
            e.event.appointment_id == Some(visit)
                && matches!(
                    e.event.kind,
                    LotEventKind::Issued | LotEventKind::Administered
                )
        });
        if !given_there {
            return Err(ClinicError::field(
                "lot",
                format!(
                    "lot {} was not issued or given at visit {visit}; choose the lot the patient received",
                    ledger.lot.details.lot_number
                ),
            ));
        }
    }
    Ok(())
}

/// Records an event on the patient's chart; audited as `adverse_event.record`.
pub async fn record(
    clinic: &Clinic,
    caller: &Caller,
    patient: PatientId,
    via: ReportedVia,
    input: &EventInput,
) -> Result<AdverseEvent, ClinicError> {
    caller.may(Permission::ChartWrite)?;
    let details = parse(clinic, input, None)?;
    let mut tx = clinic.store.begin(&caller.actor).await?;
    tx.patient(patient).await?;
    check_links(&mut tx, patient, &details).await?;
    let event = tx
        .add_adverse_event(patient, via, &details, clinic.clock.now())
        .await?;
    tx.commit().await?;
    Ok(event)
}

/// The most waiting patient reports listed.
pub const REPORTS_LIMIT: u32 = 100;

/// Records what a patient reported through a link as an adverse event (reported by the
/// patient), and marks the report triaged with it, in one transaction; a report triaged
/// already is a `Conflict`. Audited as `adverse_event.record` and `adverse_event.triaged`.
pub async fn record_reported(
    clinic: &Clinic,
    caller: &Caller,
    report: PatientReportId,
    input: &EventInput,
) -> Result<AdverseEvent, ClinicError> {
    caller.may(Permission::ChartWrite)?;
    let details = parse(clinic, input, None)?;
    let mut tx = clinic.store.begin(&caller.actor).await?;
    let report = tx.patient_report(report).await?;
    check_links(&mut tx, report.patient_id, &details).await?;
    let now = clinic.clock.now();
    let event = tx
        .add_adverse_event(report.patient_id, ReportedVia::Patient, &details, now)
        .await?;
    tx.triage_patient_report(&report, Some(event.id), None, now)
        .await?;
    tx.commit().await?;
    Ok(event)
}

/// Triages what a patient reported as not an adverse event (an unrelated cold, a question),
/// with the reason; audited as `adverse_event.triaged`.
pub async fn dismiss_report(
    clinic: &Clinic,
    caller: &Caller,
    report: PatientReportId,
    note: &str,
) -> Result<(), ClinicError> {
    caller.may(Permission::ChartWrite)?;
    let mut check = Check::new();
    check.required_text("note", note, REASON_MAX);
    check.finish()?;
    let mut tx = clinic.store.begin(&caller.actor).await?;
    let report = tx.patient_report(report).await?;
    tx.triage_patient_report(&report, None, Some(note.trim()), clinic.clock.now())
        .await?;
    tx.commit().await?;
    Ok(())
}

/// What patients reported through their links and no one has triaged, the oldest first.
pub async fn reports_waiting(
    clinic: &Clinic,
    caller: &Caller,
) -> Result<Vec<WaitingReport>, ClinicError> {
    caller.may(Permission::PatientRead)?;
    Ok(clinic
        .store
        .patient_reports_waiting(&caller.actor, REPORTS_LIMIT)
        .await?)
}

/// Brings an event up to date (its outcome, the day it ended, a corrected assessment) as a new
/// version, if no one changed it since `version` was read; audited as `adverse_event.update`.
/// Staff bring the story up to date; changing the term, grade, seriousness or causality is a
/// clinician's judgement (AdverseEventAssess).
pub async fn update(
    clinic: &Clinic,
    caller: &Caller,
    id: AdverseEventId,
    version: i64,
    input: &EventInput,
) -> Result<AdverseEvent, ClinicError> {
    caller.may(Permission::ChartWrite)?;
    let mut tx = clinic.store.begin(&caller.actor).await?;
    let event = tx.adverse_event(id).await?;
    let details = parse(clinic, input, Some(&event.details.term))?;
    let d = &event.details;
    let reassessed = (&details.term, details.grade, &details.serious)
        != (&d.term, d.grade, &d.serious)
        || (details.procedure_causality, details.product_causality)
            != (d.procedure_causality, d.product_causality);
    if reassessed {
        caller.may(Permission::AdverseEventAssess)?;
    }
    if event.in_error.is_some() {
        return Err(ClinicError::Conflict(
            "This event was marked as recorded in error; it is kept as it was.".to_owned(),
        ));
    }
    if event.version != version {
        return Err(ClinicError::Stale(
            "This event was brought up to date by someone else since you opened it; open it again to see it as it stands.".to_owned(),
        ));
    }
    check_links(&mut tx, event.patient_id, &details).await?;
    let updated = tx
        .update_adverse_event(&event, &details, clinic.clock.now())
        .await?;
    tx.commit().await?;
    Ok(updated)
}

/// Marks an event recorded in error (on the wrong chart, or not an adverse event), with the
/// reason, if no one changed it since `version` was read; it stays on the chart marked so and
/// leaves the safety report — a clinician's decision. Audited as `adverse_event.in_error`.
pub async fn mark_in_error(
    clinic: &Clinic,
    caller: &Caller,
    id: AdverseEventId,
    version: i64,
    reason: &str,
) -> Result<AdverseEvent, ClinicError> {
    caller.may(Permission::AdverseEventAssess)?;
    let mut check = Check::new();
    check.required_text("reason", reason, REASON_MAX);
    check.finish()?;
    let mut tx = clinic.store.begin(&caller.actor).await?;
    let event = tx.adverse_event(id).await?;
    if event.version != version {
        return Err(ClinicError::Stale(
            "This event was brought up to date by someone else since you opened it; open it again before marking it.".to_owned(),
        ));
    }
    tx.mark_adverse_event_in_error(&event, reason.trim(), clinic.clock.now())
        .await?;
    let marked = tx.adverse_event(id).await?;
    tx.commit().await?;
    Ok(marked)
}

/// Every event on the patient's chart (those recorded in error too), the latest onset first.
pub async fn for_patient(
    clinic: &Clinic,
    caller: &Caller,
    patient: PatientId,
) -> Result<Vec<AdverseEvent>, ClinicError> {
    caller.may(Permission::PatientRead)?;
    Ok(clinic.store.adverse_events(&caller.actor, patient).await?)
}

/// An event with every version it went through.
pub async fn history(
    clinic: &Clinic,
    caller: &Caller,
    id: AdverseEventId,
) -> Result<(AdverseEvent, Vec<AdverseEventRevision>), ClinicError> {
    caller.may(Permission::PatientRead)?;
    Ok(clinic
        .store
        .adverse_event_history(&caller.actor, id)
        .await?)
}

/// Events not over yet, serious first: Today's list.
pub async fn open(clinic: &Clinic, caller: &Caller) -> Result<Vec<OpenAdverseEvent>, ClinicError> {
    caller.may(Permission::PatientRead)?;
    Ok(clinic
        .store
        .open_adverse_events(&caller.actor, OPEN_LIMIT)
        .await?)
}

/// Whether the page should offer to quarantine the event's lot: the product is judged
/// possibly (or more) the cause, and the lot is still usable stock rather than already
/// quarantined, recalled, used up or gone.
pub fn offers_quarantine(event: &AdverseEvent, lot_status: Option<LotStatus>) -> bool {
    event.in_error.is_none()
        && event
            .details
            .product_causality
            .is_some_and(Causality::related)
        && event.details.lot_id.is_some()
        && lot_status == Some(LotStatus::Available)
}

/// What the safety report covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SafetyQuery {
    pub scope: SafetyScope,
    pub from: Option<Date>,
    pub until: Option<Date>,
}

pub struct SafetyReport {
    pub query: SafetyQuery,
    /// "Hip biologics" or "Lot ABC123 (product)".
    pub title: String,
    pub procedures: u64,
    pub events: u64,
    pub rates: Vec<TermRate>,
    /// The serious events, earliest onset first.
    pub serious: Vec<AdverseEvent>,
    pub as_of: Date,
}

/// The safety report; audited as `adverse_event.report` with the protocol or lot.
pub async fn safety_report(
    clinic: &Clinic,
    caller: &Caller,
    query: &SafetyQuery,
) -> Result<SafetyReport, ClinicError> {
    caller.may(Permission::OutcomeRead)?;
    if let (Some(from), Some(until)) = (query.from, query.until)
        && from > until
    {
        return Err(ClinicError::field(
            "until",
            "is before `from`; choose a period that runs forwards",
        ));
    }
    let title = match &query.scope {
        SafetyScope::Protocol(id) => crate::find_protocol(&clinic.data, id, "protocol")?
            .protocol
            .title
            .clone(),
        SafetyScope::Lot(lot) => {
            let ledger = clinic.store.lot_ledger(*lot).await?;
            format!(
                "Lot {} ({})",
                ledger.lot.details.lot_number, ledger.product.details.name
            )
        }
    };
    let rows = clinic
        .store
        .safety_rows(
            &caller.actor,
            &SafetyFilter {
                scope: query.scope.clone(),
                from: query.from,
                until: query.until,
            },
        )
        .await?;
    let counted: Vec<myotome_core::adverse_event::CountedEvent<'_>> = rows
        .events
        .iter()
        .filter_map(|e| {
            Some(myotome_core::adverse_event::CountedEvent {
                term: &e.details.term,
                grade: e.details.grade,
                serious: e.details.is_serious(),
                procedure: e.details.appointment_id?.0,
            })
        })
        .collect();
    Ok(SafetyReport {
        query: query.clone(),
        title,
        procedures: rows.procedures,
        events: rows.events.len() as u64,
        rates: term_rates(rows.procedures, &counted),
        serious: rows
            .events
            .iter()
            .filter(|e| e.details.is_serious())
            .cloned()
            .collect(),
        as_of: clinic.clock.today(),
    })
}

fn percent(value: Option<f64>) -> String {
    value
        .map(|v| format!("{:.2}", v * 100.0))
        .unwrap_or_default()
}

/// The report as CSV: one line per term (grade `all`) and per term and grade, rates per 100
/// procedures with their Wilson 95 % interval.
pub fn safety_csv(clinic: &Clinic, report: &SafetyReport) -> Result<String, ClinicError> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let failed =
        |e: csv::Error| ClinicError::Unreadable(format!("the CSV could not be written: {e}"));
    writer
        .write_record([
            "scope",
            "term",
            "term_label",
            "grade",
            "events",
            "procedures_affected",
            "procedures",
            "per_100_procedures",
            "low_95",
            "high_95",
            "serious",
        ])
        .map_err(failed)?;
    for rate in &report.rates {
        let label = clinic.data.event_terms.label(&rate.term);
        let mut lines = vec![(
            "all".to_owned(),
            rate.events,
            &rate.procedures,
            rate.serious,
        )];
        for (grade, proportion) in &rate.by_grade {
            lines.push((grade.number().to_string(), 0, proportion, 0));
        }
        for (grade, events, p, serious) in lines {
            let is_all = grade == "all";
            writer
                .write_record([
                    report.title.as_str(),
                    rate.term.as_str(),
                    label,
                    grade.as_str(),
                    &if is_all {
                        events.to_string()
                    } else {
                        String::new()
                    },
                    &p.events.to_string(),
                    &p.n.to_string(),
                    &percent(p.estimate),
                    &percent(p.low),
                    &percent(p.high),
                    &if is_all {
                        serious.to_string()
                    } else {
                        String::new()
                    },
                ])
                .map_err(failed)?;
        }
    }
    let bytes = writer.into_inner().map_err(|e| {
        ClinicError::Unreadable(format!("the CSV could not be written: {}", e.error()))
    })?;
    String::from_utf8(bytes)
        .map_err(|e| ClinicError::Unreadable(format!("the CSV is not text: {e}")))
}
