//! Conversion to surgery: recording that a plan's patient went on to have surgery (the joint
//! replacement regenerative treatment is meant to put off), withdrawing a record made in error,
//! and reading them for the chart. The time-to-surgery curve that counts them is in
//! [`crate::outcome_reports::time_to_surgery`].

use crate::permissions::Permission;
use crate::validate::Check;
use crate::{Caller, Clinic, ClinicError};
use myotome_store::{
    AppointmentKind, AppointmentStatus, ConversionId, NewConversion, PatientId, PlanId, PlanStatus,
    SurgicalConversion,
};

/// The longest procedure description and note accepted.
const PROCEDURE_MAX: usize = 200;
const NOTE_MAX: usize = 2000;
const REASON_MAX: usize = 500;

/// A conversion as typed: the day of surgery, the operation, a note.
#[derive(Debug, Clone, Default)]
pub struct SurgeryInput {
    pub surgery_on: String,
    pub procedure: String,
    pub note: String,
}

/// Records that the plan's patient had surgery on the day given, after its treatment began
/// and not in the future. One standing record per plan (withdraw a mistaken one first).
/// Audited as `outcomes.surgery` on the chart.
pub async fn record(
    clinic: &Clinic,
    caller: &Caller,
    plan: PlanId,
    input: &SurgeryInput,
) -> Result<SurgicalConversion, ClinicError> {
    caller.may(Permission::OutcomeWrite)?;
    let mut check = Check::new();
    let surgery_on = check.date("surgery_on", &input.surgery_on);
    check.required_text("procedure", &input.procedure, PROCEDURE_MAX);
    check.paragraph("note", &input.note, NOTE_MAX);
    let today = clinic.clock.today();
    if let Some(day) = surgery_on
        && day > today
    {
        check.add(
            "surgery_on",
            format!("is after today ({today}); record a surgery once it has happened"),
        );
    }
    check.finish()?;
    let Some(surgery_on) = surgery_on else {
        return Err(ClinicError::field("surgery_on", "is required"));
    };
    let mut tx = clinic.store.begin(&caller.actor).await?;
    let (plan, visits) = tx.plan_with_appointments(plan).await?;
    if plan.status == PlanStatus::Cancelled {
        return Err(ClinicError::Conflict(
            "this plan was cancelled, so it is not in the time-to-surgery curve; record the surgery on the plan the patient was treated under".to_owned(),
        ));
    }
    let treated_on = visits
        .iter()
        .filter(|v| {
            v.details.kind == AppointmentKind::Session
                && v.details.status == AppointmentStatus::Completed
        })
        .map(|v| v.details.date)
        .min();
    match treated_on {
        None => {
            return Err(ClinicError::field(
                "surgery_on",
                "cannot be recorded yet: no session of this plan has been held, so a surgery now is not a conversion after treatment; cancel the plan instead if the patient chose surgery",
            ));
        }
        Some(first) if surgery_on < first => {
            return Err(ClinicError::field(
                "surgery_on",
                format!(
                    "is before the plan's first session ({first}); a conversion to surgery comes after treatment"
                ),
            ));
        }
        Some(_) => {}
    }
    let note = input.note.trim();
    let recorded = tx
        .add_surgical_conversion(
            &plan,
            &NewConversion {
                surgery_on,
                procedure: input.procedure.trim().to_owned(),
                note: (!note.is_empty()).then(|| note.to_owned()),
                recorded_at: clinic.clock.now(),
            },
        )
        .await?;
    tx.commit().await?;
    Ok(recorded)
}

/// Withdraws a conversion recorded in error, with the reason; the record stays on the chart
/// marked so. Audited as `outcomes.surgery_withdrawn`.
pub async fn withdraw(
    clinic: &Clinic,
    caller: &Caller,
    conversion: ConversionId,
    reason: &str,
) -> Result<SurgicalConversion, ClinicError> {
    caller.may(Permission::OutcomeWrite)?;
    let mut check = Check::new();
    check.required_text("reason", reason, REASON_MAX);
    check.finish()?;
    let mut tx = clinic.store.begin(&caller.actor).await?;
    let found = tx.surgical_conversion(conversion).await?;
    tx.withdraw_surgical_conversion(&found, reason.trim(), clinic.clock.now())
        .await?;
    let withdrawn = tx.surgical_conversion(conversion).await?;
    tx.commit().await?;
    Ok(withdrawn)
}

/// Every conversion recorded on the patient's chart, withdrawn ones too.
pub async fn for_patient(
    clinic: &Clinic,
    caller: &Caller,
    patient: PatientId,
) -> Result<Vec<SurgicalConversion>, ClinicError> {
    caller.may(Permission::OutcomeRead)?;
    Ok(clinic
        .store
        .surgical_conversions(&caller.actor, patient)
        .await?)
}
