//! Measurements other than body weight (`measurements`): lab results such as HbA1c. Append-only.
//! Runs inside the caller's transaction; the caller audits.

use super::codec::{self, date_text, get, source_columns, ts_text};
use super::error::{DbResult, unique_or_database};
use super::patients::require;
use crate::{MeasurementDetails, MeasurementEntry, MeasurementId, PatientId, RecordSource, Result};
use sqlx::AnyConnection;
use sqlx::any::AnyRow;

const COLUMNS: &str = "id, patient_id, system, code, display, value, unit, measured_on, \
                       source_kind, entered_by, source_system, source_id, recorded_at";

fn measurement_from(row: &AnyRow) -> Result<MeasurementEntry> {
    Ok(MeasurementEntry {
        id: MeasurementId(get(row, "id")?),
        patient_id: PatientId(get(row, "patient_id")?),
        details: MeasurementDetails {
            system: get(row, "system")?,
            code: get(row, "code")?,
            display: get(row, "display")?,
            value: get(row, "value")?,
            unit: get(row, "unit")?,
            measured_on: codec::date(row, "measured_on")?,
        },
        source: codec::source(row)?,
        recorded_at: codec::ts(row, "recorded_at")?,
    })
}

pub(crate) async fn add(
    conn: &mut AnyConnection,
    patient: PatientId,
    details: &MeasurementDetails,
    source: &RecordSource,
) -> Result<MeasurementEntry> {
    super::patients::require_live(conn, patient).await?;
    let columns = source_columns(source);
    let sql = format!(
        "INSERT INTO measurements (patient_id, system, code, display, value, unit, measured_on, \
         source_kind, entered_by, source_system, source_id, recorded_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING {COLUMNS}"
    );
    let row = sqlx::query(&sql)
        .bind(patient.0)
        .bind(&details.system)
        .bind(&details.code)
        .bind(&details.display)
        .bind(details.value)
        .bind(&details.unit)
        .bind(date_text(details.measured_on))
        .bind(columns.kind)
        .bind(columns.entered_by)
        .bind(columns.system)
        .bind(columns.id)
        .bind(ts_text(codec::now()))
        .fetch_one(&mut *conn)
        .await
        .map_err(|e| {
            unique_or_database(e, || {
                format!(
                    "patient {patient} already has the measurement imported from {} as {}",
                    columns.system.unwrap_or_default(),
                    columns.id.unwrap_or_default()
                )
            })
        })?;
    measurement_from(&row)
}

pub(crate) async fn list(
    conn: &mut AnyConnection,
    patient: PatientId,
) -> Result<Vec<MeasurementEntry>> {
    require(conn, patient).await?;
    let sql = format!(
        "SELECT {COLUMNS} FROM measurements WHERE patient_id = $1 \
         ORDER BY measured_on DESC, id DESC"
    );
    let rows = sqlx::query(&sql)
        .bind(patient.0)
        .fetch_all(&mut *conn)
        .await
        .db()?;
    rows.iter().map(measurement_from).collect()
}
