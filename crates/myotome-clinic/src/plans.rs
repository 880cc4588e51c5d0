//! Treatment plans: made by a clinician from a protocol and a current signed screening, with
//! the dose and the calendar the core computes ([`crate::planning`]). Making a plan is one
//! transaction: the screening's standing is judged by the safety gate ([`crate::safety`]) on
//! the chart as it is when the plan is stored, with its appointments and audit row.

use crate::booking::bookable_user;
use crate::facts::latest_weight;
use crate::permissions::Permission;
use crate::planning::{self, NewPlan, PlanDraft};
use crate::{Caller, Clinic, ClinicError, safety};
use myotome_store::{
    Appointment, AppointmentDetails, AppointmentStatus, DoseDocument, PatientId, PlanId,
    PlanStatus, ProtocolRef, TreatmentPlan, ViolationDocument,
};

/// A stored plan with its booked appointments.
#[derive(Debug, Clone)]
pub struct PlanMade {
    pub plan: TreatmentPlan,
    pub appointments: Vec<Appointment>,
    /// Window violations accepted with `accept_violations`.
    pub warnings: Vec<ViolationDocument>,
}

/// Checks a plan request for a patient and computes its dose and calendar with the patient's
/// latest weight, storing nothing: what the plan builder previews, and what saving stores.
pub async fn prepare(
    clinic: &Clinic,
    caller: &Caller,
    patient: PatientId,
    request: &NewPlan,
) -> Result<PlanDraft, ClinicError> {
    caller.may(Permission::PlanWrite)?;
    let store = clinic.store.as_ref();
    let patient = store.patient(&caller.actor, patient).await?;
    let clinician = bookable_user(store, request.clinician_id, "clinician_id").await?;
    let weight = latest_weight(
        &store.weights(&caller.actor, patient.id).await?,
        clinic.clock.today(),
    );
    let settings = store.clinic_settings().await?;
    let lot = match request.dose.as_ref().and_then(|d| d.lot) {
        Some(id) => Some(store.lot_ledger(id).await.map_err(lot_not_found)?),
        None => None,
    };
    let (request, said) =
        certificate_dose(request, lot.as_ref(), patient.id, clinic.clock.today())?;
    let mut draft = planning::draft(&clinic.data, &request, weight, clinician, settings.as_ref())?;
    say_where_the_cells_come_from(&mut draft.details.dose, said);
    Ok(draft)
}

/// The dose alone, as the plan would compute it with the patient's latest weight (the plan
/// builder shows it, explained, before the dates are chosen); `None` for a protocol that
/// injects nothing.
pub async fn dose_preview(
    clinic: &Clinic,
    caller: &Caller,
    patient: PatientId,
    request: &NewPlan,
) -> Result<Option<DoseDocument>, ClinicError> {
    caller.may(Permission::PlanWrite)?;
    let weight = latest_weight(
        &clinic.store.weights(&caller.actor, patient).await?,
        clinic.clock.today(),
    );
    let settings = clinic.store.clinic_settings().await?;
    let lot = match request.dose.as_ref().and_then(|d| d.lot) {
        Some(id) => Some(clinic.store.lot_ledger(id).await.map_err(lot_not_found)?),
        None => None,
    };
    let (request, said) = certificate_dose(request, lot.as_ref(), patient, clinic.clock.today())?;
    let mut dose = planning::dose_preview(&clinic.data, &request, weight, settings.as_ref())?;
    say_where_the_cells_come_from(&mut dose, said);
    Ok(dose)
}

fn lot_not_found(error: myotome_store::StoreError) -> ClinicError {
    match error {
        myotome_store::StoreError::NotFound { .. } => ClinicError::field(
            "dose.lot_id",
            "is not a lot on file; choose one from the inventory, or type the cells per mL",
        ),
        other => other.into(),
    }
}

/// `request` with its cells per mL from the chosen lot's certificate (checked: a lot that may
/// not be given, or another patient's own, or one whose certificate gives no count, is refused;
/// a typed count that differs from the certificate is an error at the field), and the sentence
/// saying where the count comes from — the lot, or typed by hand.
fn certificate_dose(
    request: &NewPlan,
    lot: Option<&myotome_store::LotLedger>,
    patient: PatientId,
    today: jiff::civil::Date,
) -> Result<(NewPlan, Option<String>), ClinicError> {
    let Some(dose) = &request.dose else {
        return Ok((request.clone(), None));
    };
    let Some(ledger) = lot else {
        let said = dose.cells_per_ml.map(|cells| {
            format!(
                "Cells per mL: {} as typed by hand, not from a lot's certificate.",
                myotome_core::dosing::group_digits(cells.round() as u64)
            )
        });
        return Ok((request.clone(), said));
    };
    let details = &ledger.lot.details;
    let standing = myotome_core::lots::standing(
        ledger
            .events
            .iter()
            .map(|e| crate::lots::movement(&e.event)),
        details.expiry,
        today,
    );
    let usable = myotome_core::lots::may_be_given(
        &standing,
        details.expiry,
        details.patient_id.as_ref(),
        &patient,
    );
    if let Err(refusal) = usable {
        return Err(ClinicError::refused(
            crate::RefusalReason::LotRefused,
            format!("Lot {}: {refusal}.", details.lot_number),
        ));
    }
    let Some(cells) = details.cells_per_ml else {
        return Err(ClinicError::field(
            "dose.lot_id",
            format!(
                "lot {}'s certificate gives no cells per mL on file; type the count from the certificate instead",
                details.lot_number
            ),
        ));
    };
    if let Some(typed) = dose.cells_per_ml
        && (typed - cells as f64).abs() > 0.5
    {
        return Err(ClinicError::field(
            "dose.cells_per_ml",
            format!(
                "is {} but lot {}'s certificate says {}; leave it empty to use the certificate, or choose no lot",
                myotome_core::dosing::group_digits(typed.round() as u64),
                details.lot_number,
                myotome_core::dosing::group_digits(cells)
            ),
        ));
    }
    let mut with = request.clone();
    if let Some(dose) = &mut with.dose {
        dose.cells_per_ml = Some(cells as f64);
    }
    let said = format!(
        "Cells per mL: {}, from the certificate of lot {} ({}).",
        myotome_core::dosing::group_digits(cells),
        details.lot_number,
        ledger.product.details.name
    );
    Ok((with, Some(said)))
}

/// Puts the sentence saying where the cell count comes from first in the dose's explanation.
fn say_where_the_cells_come_from(dose: &mut Option<DoseDocument>, said: Option<String>) {
    if let (Some(dose), Some(said)) = (dose.as_mut(), said)
        && dose.cells_delivered.is_some()
    {
        dose.explanation.insert(0, said);
    }
}

/// Makes a treatment plan. With `book` its sessions and follow-ups are booked at once (the
/// API); without, they stay proposed in the plan's schedule and are booked later from the
/// plan's page, each with the window check of [`crate::booking::book`].
pub async fn make(
    clinic: &Clinic,
    caller: &Caller,
    patient: PatientId,
    request: &NewPlan,
    book: bool,
) -> Result<PlanMade, ClinicError> {
    caller.may(Permission::PlanWrite)?;
    let clinician =
        bookable_user(clinic.store.as_ref(), request.clinician_id, "clinician_id").await?;
    // Read before the transaction: a plan names the settings version it was made with,
    // whatever is saved after.
    let settings = clinic.store.clinic_settings().await?;
    let mut tx = clinic.store.begin(&caller.actor).await?;
    let found = tx.patient(patient).await?;
    let chart = tx.screening_chart(patient).await?;
    let lot = match request.dose.as_ref().and_then(|d| d.lot) {
        Some(id) => Some(tx.lot_ledger(id).await.map_err(lot_not_found)?),
        None => None,
    };
    let (request, said) = certificate_dose(request, lot.as_ref(), patient, clinic.clock.today())?;
    let request = &request;
    let mut draft = planning::draft(
        &clinic.data,
        request,
        latest_weight(&chart.weights, clinic.clock.today()),
        clinician,
        settings.as_ref(),
    )?;
    say_where_the_cells_come_from(&mut draft.details.dose, said);
    let standing = tx.chart_standing(patient).await?;
    draft.details.safety = Some(safety::gate_plan(
        &found,
        &standing,
        &ProtocolRef {
            id: draft.details.protocol_id.clone(),
            version: draft.details.protocol_version.clone(),
        },
        &request.acknowledged_precautions,
        &clinic.clock.time_zone(),
    )?);
    let to_book = if book { &draft.appointments[..] } else { &[] };
    let (plan, appointments) = tx.create_plan(patient, &draft.details, to_book).await?;
    // The plan's questionnaires are asked for from the day it is made: baseline before the
    // first session, each follow-up timepoint in its visit's window.
    let requests = crate::outcomes::requests_for_plan(&clinic.data, &plan, clinic.clock.today());
    tx.add_outcome_requests(patient, &requests).await?;
    tx.commit().await?;
    Ok(PlanMade {
        plan,
        appointments,
        warnings: draft.warnings,
    })
}

/// What happens to the plan's visits still booked when it is completed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BookedVisits {
    /// Refuse to complete a plan with visits still booked: ask the person first.
    #[default]
    Ask,
    /// The person confirmed: cancel the visits booked from today on.
    Cancel,
}

/// A plan's new status, and the visits the change cancelled.
#[derive(Debug, Clone)]
pub struct StatusChanged {
    pub plan: TreatmentPlan,
    pub cancelled: Vec<Appointment>,
}

/// Marks a plan active, completed or cancelled; `version` must be the one read. One
/// transaction with the visits it touches:
///
/// - cancelling a plan cancels every visit of it still booked from today on (the pages ask
///   before sending it);
/// - completing a plan with visits still booked from today on is refused with their dates,
///   unless `booked` says to cancel them.
pub async fn change_status(
    clinic: &Clinic,
    caller: &Caller,
    id: PlanId,
    version: i64,
    status: PlanStatus,
    booked: BookedVisits,
) -> Result<StatusChanged, ClinicError> {
    caller.may(Permission::PlanWrite)?;
    let today = clinic.clock.today();
    let mut tx = clinic.store.begin(&caller.actor).await?;
    let (current, appointments) = tx.plan_with_appointments(id).await?;
    if current.version != version {
        return Err(ClinicError::Stale(format!(
            "Plan {id} was changed by someone else (now version {}); reload it and try again.",
            current.version
        )));
    }
    if status == PlanStatus::Active && current.status != PlanStatus::Active {
        // A plan made active again would skip the safety gate a new plan passes.
        return Err(ClinicError::Conflict(format!(
            "Plan {id} is {}; a plan is not made active again. Make a new plan: it is checked against a current signed screening.",
            current.status.as_str()
        )));
    }
    let still_booked: Vec<&Appointment> = appointments
        .iter()
        .filter(|a| a.details.status == AppointmentStatus::Booked && a.details.date >= today)
        .collect();
    let cancel = match status {
        PlanStatus::Cancelled => true,
        PlanStatus::Completed if !still_booked.is_empty() => {
            if booked == BookedVisits::Ask {
                let dates: Vec<String> = still_booked
                    .iter()
                    .map(|a| format!("{} ({})", a.details.date, a.details.label))
                    .collect();
                return Err(ClinicError::Conflict(format!(
                    "Plan {id} still has {} booked: {}. Confirm to complete the plan and cancel them, or complete the visits first.",
                    if dates.len() == 1 {
                        "one visit".to_owned()
                    } else {
                        format!("{} visits", dates.len())
                    },
                    dates.join(", ")
                )));
            }
            true
        }
        PlanStatus::Completed | PlanStatus::Active => false,
    };
    let plan = tx.set_plan_status(id, version, status).await?;
    let mut cancelled = Vec::new();
    if cancel {
        for visit in still_booked {
            let details = AppointmentDetails {
                status: AppointmentStatus::Cancelled,
                ..visit.details.clone()
            };
            cancelled.push(
                tx.update_appointment(visit.id, visit.version, &details)
                    .await?,
            );
        }
    }
    tx.commit().await?;
    Ok(StatusChanged { plan, cancelled })
}

/// One plan.
pub async fn get(
    clinic: &Clinic,
    caller: &Caller,
    id: PlanId,
) -> Result<TreatmentPlan, ClinicError> {
    caller.may(Permission::PlanRead)?;
    Ok(clinic.store.plan(&caller.actor, id).await?)
}

/// The patient's plans.
pub async fn list(
    clinic: &Clinic,
    caller: &Caller,
    patient: PatientId,
) -> Result<Vec<TreatmentPlan>, ClinicError> {
    caller.may(Permission::PlanRead)?;
    Ok(clinic.store.plans(&caller.actor, patient).await?)
}
