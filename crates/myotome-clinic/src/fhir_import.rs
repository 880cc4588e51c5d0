//! FHIR import into the store, shared by `myotome import` and `POST /api/v1/fhir`: what
//! myotome-fhir read becomes one [`PatientImport`] per patient, each stored in its own audited
//! transaction, and everything is summed up in an [`ImportSummary`].
//!
//! A patient the store refuses (identifiers naming two patients, a name too long) is reported
//! and the others still import; a database failure stops the import (what was stored stays
//! stored, and importing again finishes the job, since import is idempotent).

use crate::validate::{Check, MAX_SHORT_TEXT};
use myotome_core::facts::CodedRecord;
use myotome_fhir::{ImportedPatient, ReadResult};
use myotome_store::{
    Actor, Contact, Identifier, ImportChange, ImportCounts, MeasurementDetails, PatientDetails,
    PatientImport, RecordDetails, RecordKind, Store, StoreError, StoredCoding,
};
use std::collections::BTreeMap;
use std::time::Instant;

/// What an import read and what it did, patient by patient summed up.
#[derive(Debug, Clone, Default)]
pub struct ImportSummary {
    /// Files (or documents) read.
    pub files: u64,
    pub bytes: u64,
    /// FHIR resources read, whether used or not.
    pub resources: u64,
    /// Seconds from the first byte read to the last patient stored.
    pub seconds: f64,
    pub patients: PatientCounts,
    pub records: ImportCounts,
    pub weights: ImportCounts,
    pub measurements: ImportCounts,
    /// Resources read but not used, by type and reason.
    pub skipped: BTreeMap<String, u64>,
    /// What could not be imported and why, each with its file and line or entry.
    pub rejected: Vec<Rejected>,
    /// Things kept as they were, and why.
    pub notes: Vec<String>,
}

/// Patients created, updated, unchanged and rejected.
#[derive(Debug, Clone, Default)]
pub struct PatientCounts {
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub rejected: u64,
}

/// Something that could not be imported.
#[derive(Debug, Clone)]
pub struct Rejected {
    /// File, with `:line` for NDJSON and JSON syntax errors, and ` entry N` in a Bundle.
    pub location: String,
    /// `Type/id` when known.
    pub resource: Option<String>,
    pub reason: String,
}

/// The source system label kept with imported records when the caller names none.
pub const DEFAULT_SOURCE: &str = "fhir";

/// `POST /api/v1/fhir` and the like: [`import`] as `caller`, who must be allowed to import
/// records from another system.
pub async fn import_as(
    clinic: &crate::Clinic,
    caller: &crate::Caller,
    source: &str,
    read: ReadResult,
    started: Instant,
) -> Result<ImportSummary, crate::ClinicError> {
    caller.may(crate::permissions::Permission::RecordImport)?;
    Ok(import(
        clinic.store.as_ref(),
        &caller.actor,
        (source, clinic.clock.today()),
        read,
        started,
        &mut |_, _| {},
    )
    .await?)
}

/// Stores every patient read; `progress(done, total)` is called after each one. The command
/// line calls this as the machine's operator; a signed-in caller goes through [`import_as`].
/// `today` dates the import: a measurement dated after it, or before the patient's birth, is
/// not stored (it would become "the latest weight" and drive a dose) and is listed as refused.
pub async fn import(
    store: &dyn Store,
    actor: &Actor,
    (source, today): (&str, jiff::civil::Date),
    read: ReadResult,
    started: Instant,
    progress: &mut (dyn FnMut(usize, usize) + Send),
) -> Result<ImportSummary, StoreError> {
    let mut summary = ImportSummary {
        files: read.files,
        bytes: read.bytes,
        resources: read.resources,
        skipped: read.skipped,
        ..ImportSummary::default()
    };
    summary.rejected = read
        .problems
        .iter()
        .map(|p| Rejected {
            location: p.location.to_string(),
            resource: p.resource.clone(),
            reason: p.message.clone(),
        })
        .collect();
    let total = read.patients.len();
    for (done, patient) in read.patients.iter().enumerate() {
        let outcome = match patient_import(source, patient, today) {
            Ok((import, refused)) => {
                summary.rejected.extend(refused);
                store.import_patient(actor, &import).await
            }
            Err(reason) => Err(StoreError::Conflict(reason)),
        };
        match outcome {
            Ok(receipt) => {
                match receipt.patient {
                    ImportChange::Created => summary.patients.created += 1,
                    ImportChange::Updated => summary.patients.updated += 1,
                    ImportChange::Unchanged => summary.patients.unchanged += 1,
                }
                summary.records.add(receipt.records);
                summary.weights.add(receipt.weights);
                summary.measurements.add(receipt.measurements);
                summary.notes.extend(receipt.notes);
            }
            Err(StoreError::Conflict(reason)) => {
                summary.patients.rejected += 1;
                summary.rejected.push(Rejected {
                    location: "import".to_owned(),
                    resource: Some(patient.source_id.clone()),
                    reason,
                });
            }
            Err(other) => return Err(other),
        }
        progress(done + 1, total);
    }
    summary.seconds = started.elapsed().as_secs_f64();
    Ok(summary)
}

/// Whether a measurement's date can be one: not after `today`, not before the birth date.
fn implausible_date(
    on: jiff::civil::Date,
    birth: Option<jiff::civil::Date>,
    today: jiff::civil::Date,
) -> Option<String> {
    if on > today {
        return Some(format!(
            "is dated {on}, after today ({today}): a measurement cannot come from the future; it was not imported"
        ));
    }
    birth.filter(|born| on < *born).map(|born| {
        format!("is dated {on}, before the patient's birth ({born}); it was not imported")
    })
}

/// The store's form of one imported patient, checked like the API checks a patient, and the
/// weights and measurements left out for a date that cannot be theirs (each as refused).
pub fn patient_import(
    source: &str,
    patient: &ImportedPatient,
    today: jiff::civil::Date,
) -> Result<(PatientImport, Vec<Rejected>), String> {
    let mut refused = Vec::new();
    let mut refuse = |id: &str, what: &str, reason: String| {
        refused.push(Rejected {
            location: "import".to_owned(),
            resource: Some(id.to_owned()),
            reason: format!("{what} {reason}"),
        });
    };
    let weights: Vec<_> = patient
        .weights
        .iter()
        .filter(
            |w| match implausible_date(w.on, patient.birth_date, today) {
                Some(reason) => {
                    refuse(&w.source_id, "A weight", reason);
                    false
                }
                None => true,
            },
        )
        .map(|w| (w.source_id.clone(), w.on, w.weight.grams()))
        .collect();
    let measurements: Vec<_> = patient
        .measurements
        .iter()
        .filter(
            |m| match implausible_date(m.on, patient.birth_date, today) {
                Some(reason) => {
                    refuse(
                        m.id.as_deref().unwrap_or("Observation"),
                        "A measurement",
                        reason,
                    );
                    false
                }
                None => true,
            },
        )
        .collect();
    let mut check = Check::new();
    check.line("family_name", &patient.family_name, MAX_SHORT_TEXT);
    check.line("given_names", &patient.given_names, MAX_SHORT_TEXT);
    for identifier in &patient.identifiers {
        check.line("identifier", &identifier.system, MAX_SHORT_TEXT);
        check.line("identifier", &identifier.value, MAX_SHORT_TEXT);
    }
    check.finish().map_err(|e| e.to_string())?;
    let mut identifiers: Vec<Identifier> = patient
        .identifiers
        .iter()
        .map(|i| Identifier {
            system: i.system.clone(),
            value: i.value.clone(),
        })
        .collect();
    identifiers.dedup();
    if identifiers.is_empty() {
        // Without an identifier the next import could not recognise the patient; the
        // source's own id is the one thing that stays the same.
        identifiers.push(Identifier {
            system: source.to_owned(),
            value: patient.source_id.clone(),
        });
    }
    let details = PatientDetails {
        family_name: patient.family_name.clone(),
        given_names: patient.given_names.clone(),
        birth_date: patient.birth_date,
        sex: patient.sex,
        deceased: patient.deceased,
        identifiers,
        contact: Contact {
            phone: patient.phone.clone(),
            email: patient.email.clone(),
            address: patient.address.clone(),
        },
    };
    let kinds = [
        (RecordKind::Condition, &patient.conditions),
        (RecordKind::Medication, &patient.medications),
        (RecordKind::Allergy, &patient.allergies),
    ];
    let records = kinds
        .into_iter()
        .flat_map(|(kind, list)| {
            list.iter()
                .map(move |r| (r.source_id.clone(), record_details(kind, &r.record)))
        })
        .collect();
    let import = PatientImport {
        source_system: source.to_owned(),
        details,
        records,
        weights,
        measurements: measurements
            .into_iter()
            .map(|m| {
                (
                    m.id.clone().unwrap_or_default(),
                    MeasurementDetails {
                        system: m.coding.system.clone(),
                        code: m.coding.code.clone(),
                        display: m.coding.display.clone(),
                        value: m.value,
                        unit: m.unit.clone(),
                        measured_on: m.on,
                    },
                )
            })
            .collect(),
    };
    Ok((import, refused))
}

fn record_details(kind: RecordKind, record: &CodedRecord) -> RecordDetails {
    RecordDetails {
        kind,
        codings: record
            .codings
            .iter()
            .map(|c| StoredCoding {
                system: c.system.clone(),
                code: c.code.clone(),
                display: c.display.clone(),
            })
            .collect(),
        text: record.text.clone(),
        status: record.status,
        start: record.start,
        end: record.end,
    }
}
