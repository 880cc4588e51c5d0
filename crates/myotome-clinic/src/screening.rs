//! Screening: run the core against the stored chart for one or more protocols, keep each
//! result as it was run (protocol id and version, verdict, findings with evidence and
//! citations), and let a clinician sign it once.
//!
//! Screening a patient is one transaction: the chart is read, every protocol's result stored
//! and each audited (`screening.create`) together, so the results always judge one state of
//! the chart and a failure stores none of them.

use crate::permissions::Permission;
use crate::validate::Check;
use crate::{Caller, Clinic, ClinicError, documents, facts, find_protocol};
use jiff::civil::Date;
use myotome_core::facts::PatientFacts;
use myotome_core::protocol::LoadedProtocol;
use myotome_core::screening::ResolvedFacts;
use myotome_core::terminology::Terminology;
use myotome_store::{NewScreening, PatientId, ScreeningId, StoredScreening};

/// Which protocols to screen for, and on which date.
#[derive(Debug, Clone, Default)]
pub struct ScreeningRun {
    /// Protocol ids, each once; every protocol of the library when `None`.
    pub protocols: Option<Vec<String>>,
    /// The date the facts are judged on; today when `None`.
    pub as_of: Option<Date>,
}

/// Screens the patient's stored chart for each protocol asked for (all when none are named)
/// and stores each result unsigned, in the order asked.
pub async fn screen(
    clinic: &Clinic,
    caller: &Caller,
    patient: PatientId,
    run: &ScreeningRun,
) -> Result<Vec<StoredScreening>, ClinicError> {
    caller.may(Permission::ScreeningRun)?;
    let data = &clinic.data;
    let protocols = chosen_protocols(clinic, run.protocols.as_deref())?;
    let as_of = run.as_of.unwrap_or_else(|| clinic.clock.today());

    let mut tx = clinic.store.begin(&caller.actor).await?;
    let found = tx.patient(patient).await?;
    let chart = tx.screening_chart(patient).await?;
    let facts = facts::of_screening_chart(&found, &chart, &data.terminology);
    let screenings = to_store(&protocols, &facts, &data.terminology, as_of);
    let mut stored = Vec::with_capacity(screenings.len());
    for screening in &screenings {
        stored.push(tx.add_screening(patient, screening).await?);
    }
    tx.commit().await?;
    Ok(stored)
}

/// The protocols a run names, checked: each known, each once, at most the library's size.
fn chosen_protocols<'a>(
    clinic: &'a Clinic,
    ids: Option<&[String]>,
) -> Result<Vec<&'a LoadedProtocol>, ClinicError> {
    let data = &clinic.data;
    let Some(ids) = ids else {
        return Ok(data.protocols.iter().collect());
    };
    let mut check = Check::new();
    let library = data.protocols.len();
    if ids.is_empty() {
        check.add(
            "protocols",
            "is empty; name at least one protocol, or leave it out to screen for all",
        );
    } else if ids.len() > library {
        // Checked before anything else looks at the list: its length is the caller's.
        check.add(
            "protocols",
            format!(
                "names {} protocols but the library has {library}; name each at most once, or leave it out to screen for all",
                ids.len()
            ),
        );
    } else {
        for (i, id) in ids.iter().enumerate() {
            if ids[..i].contains(id) {
                check.add(
                    format!("protocols[{i}]"),
                    format!("`{id}` is listed twice; name each protocol once"),
                );
            }
        }
    }
    check.finish()?;
    ids.iter()
        .enumerate()
        .map(|(i, id)| find_protocol(data, id, &format!("protocols[{i}]")))
        .collect()
}

/// Screens `facts` for each protocol as of `as_of`, in the order given, and makes each result
/// the record to store. Pure, so the candidate form can screen before it stores anything and
/// store the screenings with the patient in one transaction.
pub fn to_store(
    protocols: &[&LoadedProtocol],
    facts: &PatientFacts,
    terminology: &Terminology,
    as_of: Date,
) -> Vec<NewScreening> {
    let resolved = ResolvedFacts::new(facts, terminology, as_of);
    protocols
        .iter()
        .map(|loaded| NewScreening {
            result: documents::screening(&resolved.screen(&loaded.protocol)),
        })
        .collect()
}

/// Signs a screening as the calling clinician. A signed screening cannot be signed again.
pub async fn sign(
    clinic: &Clinic,
    caller: &Caller,
    id: ScreeningId,
) -> Result<StoredScreening, ClinicError> {
    caller.may(Permission::ScreeningSign)?;
    let Some(by) = caller.user else {
        return Err(ClinicError::Conflict(
            "A screening is signed by a person; sign in as the clinician who signs it.".to_owned(),
        ));
    };
    Ok(clinic.store.sign_screening(&caller.actor, id, by).await?)
}

/// One stored screening.
pub async fn get(
    clinic: &Clinic,
    caller: &Caller,
    id: ScreeningId,
) -> Result<StoredScreening, ClinicError> {
    caller.may(Permission::PatientRead)?;
    Ok(clinic.store.screening(&caller.actor, id).await?)
}

/// The patient's screenings, newest first.
pub async fn list(
    clinic: &Clinic,
    caller: &Caller,
    patient: PatientId,
) -> Result<Vec<StoredScreening>, ClinicError> {
    caller.may(Permission::PatientRead)?;
    Ok(clinic.store.screenings(&caller.actor, patient).await?)
}
