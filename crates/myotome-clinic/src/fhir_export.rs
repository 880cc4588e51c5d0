//! A patient's whole Myotome record as FHIR R4, shared by `myotome export` and
//! `GET /api/v1/fhir/Patient/{id}/$everything`: the chart read through the store (so every read
//! is audited), turned into myotome-fhir's export input, and bundled — with the patient's
//! questionnaire answers as QuestionnaireResponses and its adverse events as AdverseEvents. Also
//! the library's instruments as
//! Questionnaires.

use crate::ClinicError;
use jiff::civil::Date;
use myotome_core::ClinicalData;
use myotome_core::facts::{Coding, Measurement, Weight};
use myotome_fhir::export::{
    self, ActivityExport, BundleKind, CarePlanExport, FindingExport, ScreeningExport,
};
use myotome_fhir::questionnaire::{self, AnswerExport, ResponseExport};
use myotome_fhir::{ImportedPatient, SourceIdentifier, SourcedRecord, SourcedWeight};
use myotome_store::{
    Actor, AppointmentStatus, ClinicalRecord, EvidenceDocument, OutcomeRequest, PatientId,
    PlanStatus, RecordKind, Store, StoredScreening, UserId,
};
use serde_json::Value;
use std::collections::BTreeMap;

/// `GET …/$everything`: [`everything`] as `caller`, who must be allowed to let a whole record
/// leave the system (a clinician's decision).
pub async fn everything_for(
    clinic: &crate::Clinic,
    caller: &crate::Caller,
    id: PatientId,
    kind: BundleKind,
) -> Result<Value, ClinicError> {
    caller.may(crate::permissions::Permission::RecordExport)?;
    everything(clinic.store.as_ref(), &caller.actor, &clinic.data, id, kind).await
}

/// Everything Myotome holds on the patient, as one Bundle. The command line calls this as the
/// machine's operator; a signed-in caller goes through [`everything_for`].
pub async fn everything(
    store: &dyn Store,
    actor: &Actor,
    data: &ClinicalData,
    id: PatientId,
    kind: BundleKind,
) -> Result<Value, ClinicError> {
    let patient = store.patient(actor, id).await?;
    let records = store.records(actor, id, None).await?;
    let weights = store.weights(actor, id).await?;
    let measurements = store.measurements(actor, id).await?;
    let plans = store.plans(actor, id).await?;
    let appointments = store.appointments(actor, id).await?;
    let screenings = store.screenings(actor, id).await?;

    let sourced = |kind: RecordKind, prefix: &str| -> Vec<SourcedRecord> {
        records
            .iter()
            .filter(|r| r.details.kind == kind)
            .map(|r| SourcedRecord {
                source_id: format!("{prefix}/{}", r.id),
                record: super::facts::coded_record(r),
            })
            .collect()
    };
    let chart = ImportedPatient {
        source_id: format!("Patient/{}", patient.id),
        identifiers: patient
            .details
            .identifiers
            .iter()
            .map(|i| SourceIdentifier {
                system: i.system.clone(),
                value: i.value.clone(),
            })
            .collect(),
        family_name: patient.details.family_name.clone(),
        given_names: patient.details.given_names.clone(),
        birth_date: patient.details.birth_date,
        sex: patient.details.sex,
        deceased: patient.details.deceased,
        phone: patient.details.contact.phone.clone(),
        email: patient.details.contact.email.clone(),
        address: patient.details.contact.address.clone(),
        conditions: sourced(RecordKind::Condition, "Condition"),
        medications: sourced(RecordKind::Medication, "MedicationStatement"),
        allergies: sourced(RecordKind::Allergy, "AllergyIntolerance"),
        weights: weights
            .iter()
            .filter_map(|w| {
                Some(SourcedWeight {
                    source_id: format!("Observation/weight-{}", w.id),
                    on: w.measured_on,
                    weight: Weight::from_kg(f64::from(w.grams) / 1000.0).ok()?,
                })
            })
            .collect(),
        measurements: measurements
            .iter()
            .map(|m| Measurement {
                id: Some(format!("Observation/measurement-{}", m.id)),
                coding: Coding::new(
                    &m.details.system,
                    &m.details.code,
                    m.details.display.as_deref(),
                ),
                value: m.details.value,
                unit: m.details.unit.clone(),
                on: m.details.measured_on,
            })
            .collect(),
    };
    let patient_id = patient.id.to_string();
    let mut resources = export::chart(&chart);
    for plan in &plans {
        let activities = appointments
            .iter()
            .filter(|a| a.details.plan_id == Some(plan.id))
            .map(|a| ActivityExport {
                label: a.details.label.clone(),
                date: a.details.date,
                status: match a.details.status {
                    AppointmentStatus::Booked => "booked",
                    AppointmentStatus::Completed => "completed",
                    AppointmentStatus::Cancelled => "cancelled",
                    AppointmentStatus::NoShow => "no_show",
                }
                .to_owned(),
            })
            .collect();
        let details = &plan.details;
        resources.push(export::care_plan(
            &patient_id,
            &CarePlanExport {
                id: format!("plan-{}", plan.id),
                status: match plan.status {
                    PlanStatus::Active => "active",
                    PlanStatus::Completed => "completed",
                    PlanStatus::Cancelled => "cancelled",
                }
                .to_owned(),
                protocol_id: details.protocol_id.clone(),
                protocol_version: details.protocol_version.clone(),
                protocol_title: data
                    .protocols
                    .get(&details.protocol_id)
                    .map(|p| p.protocol.title.clone()),
                indication: details.indication.clone(),
                region: details.region.clone(),
                side: details.side.map(|s| s.as_str().to_owned()),
                target_sites: details.target_sites.clone(),
                created: date_of(plan.created_at),
                notes: details.notes.clone(),
                activities,
            },
        ));
    }
    for screening in &screenings {
        resources.push(export::risk_assessment(
            &patient_id,
            &screening_export(screening, &records),
        ));
    }
    let requests = store.outcome_requests(actor, id).await?;
    let mut entered_by = BTreeMap::new();
    for user in requests
        .iter()
        .filter_map(|r| r.response.as_ref()?.entered_by)
    {
        if let std::collections::btree_map::Entry::Vacant(slot) = entered_by.entry(user) {
            slot.insert(store.user(user).await?.display_name);
        }
    }
    resources.extend(
        questionnaire_responses(data, &requests, &entered_by)
            .iter()
            .map(|r| questionnaire::questionnaire_response(&patient_id, r)),
    );
    // Adverse events that stand (one recorded in error is no event: R4's AdverseEvent has no
    // status to say so).
    let events = store.adverse_events(actor, id).await?;
    resources.extend(
        events
            .iter()
            .filter(|e| e.in_error.is_none())
            .map(|e| export::adverse_event(&adverse_event_export(data, e))),
    );
    Ok(export::bundle(kind, resources))
}

fn causality_export(c: myotome_core::adverse_event::Causality) -> export::CausalityExport {
    export::CausalityExport {
        code: c.who_umc_code(),
        text: c.label().to_owned(),
    }
}

fn adverse_event_export(
    data: &ClinicalData,
    event: &myotome_store::AdverseEvent,
) -> export::AdverseEventExport {
    let d = &event.details;
    export::AdverseEventExport {
        id: event.id.0,
        patient_id: event.patient_id.0,
        term: d.term.clone(),
        label: data.event_terms.label(&d.term).to_owned(),
        onset_on: d.onset_on,
        recorded: event.recorded_at.to_string(),
        grade: d.grade.number(),
        serious: d.is_serious(),
        outcome: d.outcome.as_str().to_owned(),
        procedure: d
            .appointment_id
            .map(|a| (a.0, causality_export(d.procedure_causality))),
        lot: d
            .lot_id
            .zip(d.product_causality)
            .map(|(lot, c)| (lot.0, causality_export(c))),
    }
}

/// Every instrument of the library as a Questionnaire, in one Bundle.
pub fn questionnaires(data: &ClinicalData) -> Value {
    export::bundle(
        BundleKind::Searchset,
        data.instruments
            .iter()
            .map(questionnaire::questionnaire)
            .collect(),
    )
}

/// The answered requests' answers, one export per instrument asked. The question and answer
/// words come from the instrument as loaded when its version is the one answered; otherwise
/// the codes stand alone.
fn questionnaire_responses(
    data: &ClinicalData,
    requests: &[OutcomeRequest],
    usernames: &BTreeMap<UserId, String>,
) -> Vec<ResponseExport> {
    let mut out = Vec::new();
    for request in requests {
        let Some(response) = &request.response else {
            continue;
        };
        for answered in &response.document.instruments {
            let instrument = data
                .instruments
                .get(&answered.id)
                .filter(|i| i.version == answered.version);
            let answers = answered
                .answers
                .iter()
                .map(|(item_id, value)| {
                    let item = instrument.and_then(|i| i.items.iter().find(|it| &it.id == item_id));
                    AnswerExport {
                        item_id: item_id.clone(),
                        text: item.map(|it| it.text.clone()),
                        value: *value,
                        display: item.and_then(|it| {
                            it.choices()
                                .into_iter()
                                .find(|(v, _)| v == value)
                                .map(|(_, label)| label)
                        }),
                    }
                })
                .collect();
            out.push(ResponseExport {
                id: format!("response-{}-{}", response.id, answered.id.replace('_', "-")),
                instrument_id: answered.id.clone(),
                instrument_version: answered.version.clone(),
                care_plan: Some(format!("plan-{}", request.plan_id)),
                authored: response.answered_at.to_string(),
                entered_by: response.entered_by.map(|user| {
                    (
                        usernames
                            .get(&user)
                            .cloned()
                            .unwrap_or_else(|| format!("user {user}")),
                        response.mode.label().to_owned(),
                    )
                }),
                answers,
            });
        }
    }
    out
}

fn date_of(at: jiff::Timestamp) -> Date {
    at.to_zoned(jiff::tz::TimeZone::UTC).date()
}

/// The stored screening document read for export: findings with their sentence and
/// citation, and the records their evidence names.
fn screening_export(screening: &StoredScreening, records: &[ClinicalRecord]) -> ScreeningExport {
    let mut basis = Vec::new();
    let findings = screening
        .result
        .findings
        .iter()
        .map(|f| {
            for evidence in &f.evidence {
                let EvidenceDocument::Record {
                    record_id: Some(id),
                    ..
                } = evidence
                else {
                    continue;
                };
                if let Some(record) = records.iter().find(|r| r.id.to_string() == *id) {
                    let reference = format!("{}/{}", resource_type(record.details.kind), record.id);
                    if !basis.contains(&reference) {
                        basis.push(reference);
                    }
                }
            }
            FindingExport {
                outcome: f.outcome.as_str().to_owned(),
                sentence: f.sentence.clone(),
                citation: f
                    .source
                    .as_ref()
                    .map(|s| format!("{} § {}", s.document, s.section)),
            }
        })
        .filter(|f| !f.sentence.is_empty())
        .collect();
    ScreeningExport {
        id: format!("screening-{}", screening.id),
        protocol_id: screening.protocol_id.clone(),
        protocol_version: screening.protocol_version.clone(),
        as_of: screening.as_of,
        verdict: screening.verdict.as_str().to_owned(),
        signed: screening.signature.is_some(),
        findings,
        basis,
    }
}

fn resource_type(kind: RecordKind) -> &'static str {
    match kind {
        RecordKind::Condition => "Condition",
        RecordKind::Medication => "MedicationStatement",
        RecordKind::Allergy => "AllergyIntolerance",
    }
}
