//! Screening: run the core against the stored chart for one or more protocols, keep each
//! result as it was run (protocol id and version, verdict, findings with evidence and
//! citations), and let a clinician sign it once.
//!
//! A screening with contraindications nobody has asked about (no answer on the candidate form,
//! no record either way) is *incomplete*: it cannot be signed until a clinician records the
//! patient's answers to them ([`record_answers`]), which screens again with them. An
//! incomplete screening whose verdict is already *not a candidate* may be signed: no answer
//! can make it better.
//!
//! Screening a patient is one transaction: the chart is read, every protocol's result stored
//! and each audited (`screening.create`) together, so the results always judge one state of
//! the chart and a failure stores none of them.

use crate::permissions::Permission;
use crate::validate::Check;
use crate::{Caller, Clinic, ClinicError, RefusalReason, documents, facts, find_protocol};
use jiff::civil::Date;
use myotome_core::facts::PatientFacts;
use myotome_core::outcome::Outcome;
use myotome_core::protocol::LoadedProtocol;
use myotome_core::screening::ResolvedFacts;
use myotome_core::terminology::{IntakeQuestion, Terminology};
use myotome_store::{
    IntakeChannel, NewIntake, NewScreening, PatientId, ScreeningDocument, ScreeningId,
    StoredScreening,
};
use std::collections::BTreeMap;

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
    let facts = facts::of_screening_chart(&found, &chart, &data.terminology, as_of);
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

/// Signs a screening as the calling clinician. A signed screening cannot be signed again; an
/// incomplete one is refused, naming what nobody has asked (see the module header).
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
    // A stored screening never changes, so reading it before the signature's own transaction
    // decides on what is signed.
    let screening = clinic.store.screening(&caller.actor, id).await?;
    if is_incomplete(&screening.result) {
        let unasked: Vec<&str> = screening
            .result
            .not_asked
            .iter()
            .map(|c| c.label.as_str())
            .collect();
        return Err(ClinicError::refused(
            RefusalReason::ScreeningIncomplete,
            format!(
                "This screening is incomplete: nobody has asked the patient about {}. Record their answers on the screening page (it screens again with them), then sign that screening.",
                spoken_list(&unasked)
            ),
        ));
    }
    Ok(clinic.store.sign_screening(&caller.actor, id, by).await?)
}

/// Whether signing `screening` needs the patient's answers first: some contraindication was
/// asked by nobody, and the verdict could still change (it is not already *not a candidate*).
pub fn is_incomplete(screening: &ScreeningDocument) -> bool {
    !screening.not_asked.is_empty() && screening.verdict != Outcome::NotACandidate
}

/// "a", "a and b", "a, b and c".
fn spoken_list(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// The candidate-form questions that ask about what `screening` found nobody had asked, in the
/// terminology's order: what the clinician asks the patient.
pub fn unasked_questions<'a>(
    terminology: &'a Terminology,
    screening: &ScreeningDocument,
) -> Vec<&'a IntakeQuestion> {
    terminology
        .intake_questions()
        .iter()
        .filter(|q| {
            q.concepts
                .iter()
                .any(|c| screening.not_asked.iter().any(|n| &n.concept == c))
        })
        .collect()
}

/// Records the patient's answers to the questions an incomplete screening lists (question id →
/// yes or no), as asked by the calling clinician, and screens the same protocol again with
/// them. One transaction: the answers go on the chart as a new candidate-form entry (the latest
/// form's other answers and reported conditions carried over, so nothing said before is lost;
/// audited `intake.create`, by the clinician), and the new screening is stored (audited
/// `screening.create`). The old screening stays as it was; the new one is returned, unsigned.
pub async fn record_answers(
    clinic: &Clinic,
    caller: &Caller,
    id: ScreeningId,
    answers: &BTreeMap<String, bool>,
) -> Result<StoredScreening, ClinicError> {
    caller.may(Permission::ScreeningSign)?;
    let data = &clinic.data;
    let mut tx = clinic.store.begin(&caller.actor).await?;
    let screening = tx.screening(id).await?;
    let questions = unasked_questions(&data.terminology, &screening.result);
    if questions.is_empty() {
        return Err(ClinicError::Conflict(
            "Nothing is left to ask on this screening: every contraindication of its protocol was answered or is on record.".to_owned(),
        ));
    }
    let mut check = Check::new();
    for question in &questions {
        if !answers.contains_key(&question.id) {
            check.add(
                format!("answers.{}", question.id),
                "is not answered; choose yes or no as the patient answered",
            );
        }
    }
    for asked in answers.keys() {
        if !questions.iter().any(|q| &q.id == asked) {
            check.add(
                format!("answers.{asked}"),
                "is not one of the questions this screening asks; answer only those listed",
            );
        }
    }
    check.finish()?;
    let loaded = find_protocol(data, &screening.result.protocol.id, "protocol")?;

    let patient = screening.patient_id;
    let chart = tx.screening_chart(patient).await?;
    let latest = chart.intakes.iter().max_by_key(|f| (f.submitted_at, f.id));
    let mut merged: BTreeMap<String, bool> = latest
        .map(|form| form.answers.iter().cloned().collect())
        .unwrap_or_default();
    merged.extend(answers.iter().map(|(q, a)| (q.clone(), *a)));
    let intake = NewIntake {
        answers: merged.into_iter().collect(),
        reported_conditions: latest
            .map(|form| form.reported_conditions.clone())
            .unwrap_or_default(),
        regions: latest.map(|form| form.regions.clone()).unwrap_or_default(),
        note: None,
        channel: IntakeChannel::Staff,
    };
    tx.add_intake(patient, &intake).await?;

    let found = tx.patient(patient).await?;
    let chart = tx.screening_chart(patient).await?;
    let as_of = clinic.clock.today();
    let facts = facts::of_screening_chart(&found, &chart, &data.terminology, as_of);
    let [again] =
        <[NewScreening; 1]>::try_from(to_store(&[loaded], &facts, &data.terminology, as_of))
            .map_err(|_| {
                ClinicError::Unreadable("one protocol screened gave no single result".to_owned())
            })?;
    let stored = tx.add_screening(patient, &again).await?;
    tx.commit().await?;
    Ok(stored)
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
