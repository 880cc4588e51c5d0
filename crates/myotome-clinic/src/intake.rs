//! Candidate forms: the yes/no answers, where the problem is and the conditions the candidate
//! reported, and their note, checked against the terminology's questions and indication
//! concepts and the anatomy catalogue's regions. The clinic enters
//! them on a chart ([`add`]); the public candidate form stores its own with the new patient,
//! checked by the same [`checked`].

use crate::permissions::Permission;
use crate::validate::{Check, MAX_LONG_TEXT};
use crate::{Caller, Clinic, ClinicError};
use myotome_core::ClinicalData;
use myotome_core::facts::IntakeAnswers;
use myotome_core::terminology::ConceptKind;
use myotome_store::{IntakeChannel, IntakeForm, NewIntake, PatientId};
use std::collections::BTreeMap;

/// A candidate form as answered.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IntakeAnswersForm {
    /// Question id → answer; the questions are in the terminology's concepts file.
    pub answers: BTreeMap<String, bool>,
    /// Indication concepts the candidate reported as the reason for the visit.
    pub reported_conditions: Vec<String>,
    /// Where the problem is: anatomy-catalogue region ids.
    pub regions: Vec<String>,
    /// What the candidate wrote, kept exactly as sent; at most [`MAX_LONG_TEXT`] characters.
    pub note: Option<String>,
}

/// Checks a candidate form's answers and reported conditions against the terminology, its
/// regions against the anatomy catalogue and its note's length, and gives the form to store,
/// as arrived through `channel`.
pub fn checked(
    data: &ClinicalData,
    form: IntakeAnswersForm,
    channel: IntakeChannel,
) -> Result<NewIntake, ClinicError> {
    let terminology = &data.terminology;
    let mut check = Check::new();
    let questions: Vec<&str> = terminology
        .intake_questions()
        .iter()
        .map(|q| q.id.as_str())
        .collect();
    for question in form.answers.keys() {
        if terminology.intake_question(question).is_none() {
            check.add(
                format!("answers.{question}"),
                format!(
                    "is not a candidate-form question; the questions are: {}",
                    questions.join(", ")
                ),
            );
        }
    }
    for (i, condition) in form.reported_conditions.iter().enumerate() {
        let is_indication = terminology
            .concept(condition)
            .is_some_and(|c| c.kind == ConceptKind::Indication);
        if !is_indication {
            let indications: Vec<&str> = terminology
                .concepts()
                .filter(|c| c.kind == ConceptKind::Indication)
                .map(|c| c.id.as_str())
                .collect();
            check.add(
                format!("reported_conditions[{i}]"),
                format!(
                    "`{condition}` is not an indication concept; use one of: {}",
                    indications.join(", ")
                ),
            );
        }
    }
    for (i, region) in form.regions.iter().enumerate() {
        if data.catalog.region(region).is_none() {
            let regions: Vec<&str> = data.catalog.regions().map(|r| r.id.as_str()).collect();
            check.add(
                format!("regions[{i}]"),
                format!(
                    "`{region}` is not a region of the body the clinic treats; use one of: {}",
                    regions.join(", ")
                ),
            );
        } else if form.regions[..i].contains(region) {
            check.add(
                format!("regions[{i}]"),
                format!("`{region}` is listed twice; name each region once"),
            );
        }
    }
    if let Some(note) = &form.note {
        check.paragraph("note", note, MAX_LONG_TEXT);
    }
    check.finish()?;
    // The same validation the core applies to every intake, as the last word.
    let answers = IntakeAnswers::new(
        form.answers.clone(),
        form.reported_conditions.clone(),
        terminology,
    )
    .map_err(|errors| ClinicError::field("answers", errors.join("; ")))?;
    Ok(NewIntake {
        answers: answers.answers().map(|(q, a)| (q.to_owned(), a)).collect(),
        reported_conditions: answers.reported_conditions().to_vec(),
        regions: form.regions,
        note: form.note,
        channel,
    })
}

/// Records a candidate form on the patient's chart as the clinic entered it.
pub async fn add(
    clinic: &Clinic,
    caller: &Caller,
    patient: PatientId,
    form: IntakeAnswersForm,
) -> Result<IntakeForm, ClinicError> {
    caller.may(Permission::ChartWrite)?;
    let intake = checked(&clinic.data, form, IntakeChannel::Staff)?;
    Ok(clinic
        .store
        .add_intake(&caller.actor, patient, &intake)
        .await?)
}

/// The patient's candidate forms, newest first.
pub async fn list(
    clinic: &Clinic,
    caller: &Caller,
    patient: PatientId,
) -> Result<Vec<IntakeForm>, ClinicError> {
    caller.may(Permission::PatientRead)?;
    Ok(clinic.store.intakes(&caller.actor, patient).await?)
}
