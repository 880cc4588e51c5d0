//! Operations made of other modules' reads and writes, run in one transaction so a page pays
//! for one audited commit: the whole chart ([`read`]) and the public candidate form's
//! submission ([`candidate_submission`]). The SQL stays with the module that owns each table;
//! this one only sequences it. Runs inside the caller's transaction; the caller audits.

use super::{adverse_events, clinical, patients, plans};
use crate::{
    CandidateReceipt, NewIntake, NewScreening, PatientChart, PatientDetails, PatientId, Result,
    UserId,
};
use sqlx::AnyConnection;

/// The patient first (a missing one is one `NotFound`), then each list with the same query
/// its own read uses.
pub(crate) async fn read(
    conn: &mut AnyConnection,
    id: PatientId,
    include_plans: bool,
) -> Result<PatientChart> {
    let patient = patients::get_patient(conn, id).await?;
    let weights = patients::weights_of(conn, id).await?;
    let records = clinical::records_of(conn, id, None).await?;
    let intakes = clinical::intakes_of(conn, id).await?;
    let screenings = clinical::screenings_of(conn, id).await?;
    let plans = if include_plans {
        plans::plans_of(conn, id).await?
    } else {
        Vec::new()
    };
    let appointments = plans::appointments_of(conn, id).await?;
    let adverse_events = adverse_events::of_patient(conn, id).await?;
    Ok(PatientChart {
        patient,
        weights,
        records,
        intakes,
        screenings,
        plans,
        appointments,
        adverse_events,
    })
}

/// The patient, their form and the screenings, each with the insert its own write uses; the
/// first failure returns before anything is committed.
pub(crate) async fn candidate_submission(
    conn: &mut AnyConnection,
    details: &PatientDetails,
    intake: &NewIntake,
    screenings: &[NewScreening],
    by: Option<UserId>,
) -> Result<CandidateReceipt> {
    let patient = patients::create(conn, details).await?;
    let intake = clinical::add_intake(conn, patient.id, intake, by).await?;
    let mut stored = Vec::with_capacity(screenings.len());
    for screening in screenings {
        stored.push(clinical::add_screening(conn, patient.id, screening, by).await?);
    }
    Ok(CandidateReceipt {
        patient,
        intake,
        screenings: stored,
    })
}
