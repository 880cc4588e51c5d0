//! From the stored chart to the core's [`PatientFacts`]: demographics, the latest weight, every
//! coded record (the core decides which are current on the as-of date), the measurements (lab
//! results shown beside findings) and the latest candidate form. Pure: the use cases read the
//! chart through the store (audited) and hand it here.

use jiff::civil::Date;
use myotome_core::facts::{CodedRecord, Coding, IntakeAnswers, Measurement, PatientFacts, Weight};
use myotome_core::terminology::{ConceptKind, Terminology};
use myotome_store::{
    ClinicalRecord, IntakeForm, MeasurementEntry, Patient, PatientDetails, RecordKind,
    ScreeningChart, WeightEntry,
};

/// The facts screening looks at, from the chart as a use case's transaction read it.
pub fn of_screening_chart(
    patient: &Patient,
    chart: &ScreeningChart,
    terminology: &Terminology,
    as_of: Date,
) -> PatientFacts {
    let mut facts = from_chart(
        &patient.details,
        &chart.weights,
        &chart.records,
        latest_intake(&chart.intakes),
        (terminology, as_of),
    );
    facts.measurements = chart.measurements.iter().map(measurement).collect();
    facts
}

/// The measurement with the latest date on or before `as_of` (the latest recorded on a tie):
/// a weight dated later is not yet the patient's weight.
pub fn latest_weight(weights: &[WeightEntry], as_of: Date) -> Option<Weight> {
    weights
        .iter()
        .filter(|w| w.measured_on <= as_of)
        .max_by_key(|w| (w.measured_on, w.recorded_at))
        .and_then(|w| Weight::from_kg(f64::from(w.grams) / 1000.0).ok())
}

fn latest_intake(intakes: &[IntakeForm]) -> Option<&IntakeForm> {
    intakes.iter().max_by_key(|f| (f.submitted_at, f.id))
}

/// The facts, from what was read. Pure, so it is tested without a store.
pub fn from_chart(
    details: &PatientDetails,
    weights: &[WeightEntry],
    records: &[ClinicalRecord],
    intake: Option<&IntakeForm>,
    (terminology, as_of): (&Terminology, Date),
) -> PatientFacts {
    let mut facts = PatientFacts {
        birth_date: details.birth_date,
        sex: details.sex,
        weight: latest_weight(weights, as_of),
        deceased: details.deceased,
        ..PatientFacts::default()
    };
    for record in records {
        let coded = coded_record(record);
        match record.details.kind {
            RecordKind::Condition => facts.conditions.push(coded),
            RecordKind::Medication => facts.medications.push(coded),
            RecordKind::Allergy => facts.allergies.push(coded),
        }
    }
    if let Some(form) = intake {
        facts.intake = intake_answers(&form.answers, &form.reported_conditions, terminology);
    }
    facts
}

/// A candidate form's answers and reported conditions as screening reads them. Answers were
/// checked against the vocabulary when stored. If the vocabulary has since dropped a question
/// or concept, that answer no longer means anything to screening; keep the rest rather than
/// lose the whole form.
pub fn intake_answers(
    answers: &[(String, bool)],
    reported_conditions: &[String],
    terminology: &Terminology,
) -> IntakeAnswers {
    let answers = answers
        .iter()
        .filter(|(question, _)| terminology.intake_question(question).is_some())
        .cloned();
    let conditions = reported_conditions
        .iter()
        .filter(|c| {
            terminology
                .concept(c)
                .is_some_and(|concept| concept.kind == ConceptKind::Indication)
        })
        .cloned();
    IntakeAnswers::new(answers, conditions, terminology).unwrap_or_default()
}

/// A stored record as the core reads it, its id the store's (so evidence points at it).
pub fn coded_record(record: &ClinicalRecord) -> CodedRecord {
    let details = &record.details;
    CodedRecord {
        // The store's id, so a finding's evidence points at the record to open.
        id: Some(record.id.to_string()),
        codings: details
            .codings
            .iter()
            .map(|c| Coding::new(&c.system, &c.code, c.display.as_deref()))
            .collect(),
        text: details.text.clone(),
        status: details.status,
        start: details.start,
        end: details.end,
    }
}

fn measurement(entry: &MeasurementEntry) -> Measurement {
    let details = &entry.details;
    Measurement {
        id: Some(entry.id.to_string()),
        coding: Coding::new(&details.system, &details.code, details.display.as_deref()),
        value: details.value,
        unit: details.unit.clone(),
        on: details.measured_on,
    }
}
