//! Importing one patient from another system in one transaction: recognise the patient by an
//! identifier, create or update the demographics, and create, update or keep each record,
//! weight and measurement by its source identifier. The caller audits.
//!
//! Why one transaction per patient: an import that fails half-way must not leave a patient
//! with half a chart, and a repeated import must find exactly what the last one wrote.

use super::clinical;
use super::error::DbResult;
use super::{measurements, patients};
use crate::{
    ClinicalRecord, Identifier, ImportChange, ImportCounts, ImportReceipt, MeasurementEntry,
    PatientDetails, PatientId, PatientImport, RecordSource, Result, StoreError, WeightEntry,
};
use sqlx::AnyConnection;
use std::collections::HashMap;

pub(crate) async fn import_patient(
    conn: &mut AnyConnection,
    import: &PatientImport,
) -> Result<ImportReceipt> {
    let source = |id: &str| RecordSource::Imported {
        system: import.source_system.clone(),
        id: id.to_owned(),
    };
    let (patient_id, patient_change) = match find_patient(conn, &import.details.identifiers).await?
    {
        None => (
            patients::create(conn, &import.details).await?.id,
            ImportChange::Created,
        ),
        Some(id) => {
            let existing = patients::get_patient(conn, id).await?;
            let merged = merge(&existing.details, &import.details);
            if merged == existing.details {
                (id, ImportChange::Unchanged)
            } else {
                patients::update(conn, id, existing.version, &merged).await?;
                (id, ImportChange::Updated)
            }
        }
    };
    let mut receipt = ImportReceipt {
        patient_id,
        patient: patient_change,
        records: ImportCounts::default(),
        weights: ImportCounts::default(),
        measurements: ImportCounts::default(),
        notes: Vec::new(),
    };

    let existing_records: HashMap<String, ClinicalRecord> =
        clinical::records(conn, patient_id, None)
            .await?
            .into_iter()
            .filter_map(|r| imported_id(&r.source, &import.source_system).map(|id| (id, r)))
            .collect();
    for (source_id, details) in &import.records {
        let change = match existing_records.get(source_id) {
            None => {
                clinical::add_record(conn, patient_id, details, &source(source_id)).await?;
                ImportChange::Created
            }
            Some(record) if record.details == *details => ImportChange::Unchanged,
            Some(record) => {
                clinical::update_record(conn, record.id, record.version, details).await?;
                ImportChange::Updated
            }
        };
        receipt.records.count(change);
    }

    let existing_weights: HashMap<String, WeightEntry> = patients::weights(conn, patient_id)
        .await?
        .into_iter()
        .filter_map(|w| imported_id(&w.source, &import.source_system).map(|id| (id, w)))
        .collect();
    for (source_id, on, grams) in &import.weights {
        match existing_weights.get(source_id) {
            None => {
                patients::add_weight(conn, patient_id, *on, *grams, &source(source_id)).await?;
                receipt.weights.count(ImportChange::Created);
            }
            Some(weight) => {
                if (weight.measured_on, weight.grams) != (*on, *grams) {
                    receipt.notes.push(format!(
                        "weight {source_id} differs from the one imported before; weights are \
                         kept as first recorded, so it was not changed"
                    ));
                }
                receipt.weights.count(ImportChange::Unchanged);
            }
        }
    }

    let existing_measurements: HashMap<String, MeasurementEntry> =
        measurements::list(conn, patient_id)
            .await?
            .into_iter()
            .filter_map(|m| imported_id(&m.source, &import.source_system).map(|id| (id, m)))
            .collect();
    for (source_id, details) in &import.measurements {
        match existing_measurements.get(source_id) {
            None => {
                measurements::add(conn, patient_id, details, &source(source_id)).await?;
                receipt.measurements.count(ImportChange::Created);
            }
            Some(measurement) => {
                if measurement.details != *details {
                    receipt.notes.push(format!(
                        "measurement {source_id} differs from the one imported before; \
                         measurements are kept as first recorded, so it was not changed"
                    ));
                }
                receipt.measurements.count(ImportChange::Unchanged);
            }
        }
    }
    Ok(receipt)
}

fn imported_id(source: &RecordSource, system: &str) -> Option<String> {
    match source {
        RecordSource::Imported { system: s, id } if s == system => Some(id.clone()),
        _ => None,
    }
}

/// The one patient any of the identifiers names, if any.
async fn find_patient(
    conn: &mut AnyConnection,
    identifiers: &[Identifier],
) -> Result<Option<PatientId>> {
    let mut found: Option<i64> = None;
    for identifier in identifiers {
        let owner: Option<i64> = sqlx::query_scalar(
            "SELECT patient_id FROM patient_identifiers WHERE system = $1 AND value = $2",
        )
        .bind(&identifier.system)
        .bind(&identifier.value)
        .fetch_optional(&mut *conn)
        .await
        .db()?;
        match (found, owner) {
            (Some(a), Some(b)) if a != b => {
                return Err(StoreError::Conflict(
                    "the patient's identifiers name two different patients in Myotome; merge \
                     them, or correct the identifiers in the source system, and import again"
                        .to_owned(),
                ));
            }
            (None, Some(b)) => found = Some(b),
            _ => {}
        }
    }
    Ok(found.map(PatientId))
}

/// The source's demographics, keeping identifiers and contact details Myotome has that the
/// source does not send.
fn merge(existing: &PatientDetails, imported: &PatientDetails) -> PatientDetails {
    let mut identifiers = existing.identifiers.clone();
    for identifier in &imported.identifiers {
        if !identifiers.contains(identifier) {
            identifiers.push(identifier.clone());
        }
    }
    let keep = |new: &Option<String>, old: &Option<String>| new.clone().or_else(|| old.clone());
    PatientDetails {
        identifiers,
        contact: crate::Contact {
            phone: keep(&imported.contact.phone, &existing.contact.phone),
            email: keep(&imported.contact.email, &existing.contact.email),
            address: keep(&imported.contact.address, &existing.contact.address),
        },
        ..imported.clone()
    }
}
