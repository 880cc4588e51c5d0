//! Clearances (`clearances`) and a patient's standing for the safety gate: the latest signed
//! screening of each protocol, what changed in the chart since, and the clearances recorded on
//! those screenings. Runs inside the caller's transaction; the caller audits.
//!
//! "What changed" is read from the chart's own timestamps rather than kept in a log of its
//! own: a record's `updated_at` (added or changed), a weight's, measurement's or form's
//! `recorded_at`/`submitted_at`, and the patient's `facts_changed_at` (birth date, sex, death).
//! Every writer already keeps those, so no write path can forget to log a change.

use super::clinical::{SCREENING_COLUMNS, screening_from};
use super::codec::{self, date_text, get, ts_text};
use super::error::DbResult;
use super::patients::{require, require_live};
use crate::{
    ChartChange, ChartChangeKind, ChartStanding, Clearance, ClearanceId, ClearanceMethod,
    NewClearance, PatientId, RecordId, Result, StoreError, StoredCoding, StoredScreening, UserId,
};
use jiff::Timestamp;
use sqlx::AnyConnection;
use sqlx::any::AnyRow;

const CLEARANCE_COLUMNS: &str = "id, patient_id, screening_id, concept, cleared_by_role, \
     cleared_by_name, cleared_on, method, reference, recorded_by, recorded_at";

fn clearance_from(row: &AnyRow) -> Result<Clearance> {
    Ok(Clearance {
        id: ClearanceId(get(row, "id")?),
        patient_id: PatientId(get(row, "patient_id")?),
        details: NewClearance {
            screening_id: crate::ScreeningId(get(row, "screening_id")?),
            concept: get(row, "concept")?,
            cleared_by_role: get(row, "cleared_by_role")?,
            cleared_by_name: get(row, "cleared_by_name")?,
            cleared_on: codec::date(row, "cleared_on")?,
            method: codec::word(row, "method", ClearanceMethod::parse)?,
            reference: get(row, "reference")?,
        },
        recorded_by: codec::opt_user(row, "recorded_by")?,
        recorded_at: codec::ts(row, "recorded_at")?,
    })
}

/// Records a clearance on one of the patient's screenings.
pub(crate) async fn add_clearance(
    conn: &mut AnyConnection,
    patient: PatientId,
    clearance: &NewClearance,
    recorded_by: Option<UserId>,
) -> Result<Clearance> {
    require_live(conn, patient).await?;
    let of_patient: Option<i64> =
        sqlx::query_scalar("SELECT patient_id FROM screenings WHERE id = $1")
            .bind(clearance.screening_id.0)
            .fetch_optional(&mut *conn)
            .await
            .db()?;
    if of_patient != Some(patient.0) {
        return Err(StoreError::NotFound {
            what: "screening",
            id: clearance.screening_id.to_string(),
        });
    }
    let sql = format!(
        "INSERT INTO clearances (patient_id, screening_id, concept, cleared_by_role, \
         cleared_by_name, cleared_on, method, reference, recorded_by, recorded_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING {CLEARANCE_COLUMNS}"
    );
    let row = sqlx::query(&sql)
        .bind(patient.0)
        .bind(clearance.screening_id.0)
        .bind(&clearance.concept)
        .bind(&clearance.cleared_by_role)
        .bind(&clearance.cleared_by_name)
        .bind(date_text(clearance.cleared_on))
        .bind(clearance.method.as_str())
        .bind(&clearance.reference)
        .bind(recorded_by.map(|u| u.0))
        .bind(ts_text(codec::now()))
        .fetch_one(&mut *conn)
        .await
        .db()?;
    clearance_from(&row)
}

/// The patient's standing (see [`ChartStanding`]).
pub(crate) async fn standing(
    conn: &mut AnyConnection,
    patient: PatientId,
) -> Result<ChartStanding> {
    require(conn, patient).await?;
    standing_of(conn, patient).await
}

/// [`standing`] for a patient the caller has already found.
pub(crate) async fn standing_of(
    conn: &mut AnyConnection,
    patient: PatientId,
) -> Result<ChartStanding> {
    let sql = format!(
        "SELECT {SCREENING_COLUMNS} FROM screenings WHERE patient_id = $1 \
         AND signed_at IS NOT NULL ORDER BY created_at DESC, id DESC"
    );
    let rows = sqlx::query(&sql)
        .bind(patient.0)
        .fetch_all(&mut *conn)
        .await
        .db()?;
    let mut signed: Vec<StoredScreening> = Vec::new();
    for row in &rows {
        let screening = screening_from(row)?;
        if !signed
            .iter()
            .any(|s| s.protocol_id == screening.protocol_id)
        {
            signed.push(screening);
        }
    }
    let Some(oldest) = signed.iter().map(|s| s.created_at).min() else {
        return Ok(ChartStanding {
            patient_id: patient,
            signed,
            changes: Vec::new(),
            clearances: Vec::new(),
        });
    };
    let changes = changes_since(conn, patient, oldest).await?;
    let ids: Vec<i64> = signed.iter().map(|s| s.id.0).collect();
    let sql = format!(
        "SELECT {CLEARANCE_COLUMNS} FROM clearances WHERE patient_id = $1 \
         ORDER BY recorded_at, id"
    );
    let clearances = sqlx::query(&sql)
        .bind(patient.0)
        .fetch_all(&mut *conn)
        .await
        .db()?
        .iter()
        .map(clearance_from)
        .filter(|c| {
            c.as_ref()
                .map_or(true, |c| ids.contains(&c.details.screening_id.0))
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(ChartStanding {
        patient_id: patient,
        signed,
        changes,
        clearances,
    })
}

/// Every change to what screening reads, strictly after `since`, oldest first.
async fn changes_since(
    conn: &mut AnyConnection,
    patient: PatientId,
    since: Timestamp,
) -> Result<Vec<ChartChange>> {
    let since_text = ts_text(since);
    let mut changes = Vec::new();

    let rows = sqlx::query(
        "SELECT id, kind, codings, text, status, recorded_at, updated_at FROM clinical_records \
         WHERE patient_id = $1 AND updated_at > $2",
    )
    .bind(patient.0)
    .bind(&since_text)
    .fetch_all(&mut *conn)
    .await
    .db()?;
    for row in &rows {
        let id = RecordId(get(row, "id")?);
        let kind = codec::word(row, "kind", codec::parse_record_kind)?;
        let codings: Vec<StoredCoding> = codec::json(row, "codings")?;
        let text: Option<String> = get(row, "text")?;
        let name = text
            .or_else(|| codings.iter().find_map(|c| c.display.clone()))
            .or_else(|| codings.first().map(|c| c.code.clone()))
            .unwrap_or_else(|| "(unnamed record)".to_owned());
        let recorded_at = codec::ts(row, "recorded_at")?;
        let at = codec::ts(row, "updated_at")?;
        let what = if recorded_at > since {
            ChartChangeKind::RecordAdded { id, kind, name }
        } else {
            ChartChangeKind::RecordChanged {
                id,
                kind,
                name,
                status: codec::word(row, "status", codec::parse_record_status)?,
            }
        };
        changes.push(ChartChange { at, what });
    }

    let rows = sqlx::query(
        "SELECT measured_on, grams, recorded_at FROM weights \
         WHERE patient_id = $1 AND recorded_at > $2",
    )
    .bind(patient.0)
    .bind(&since_text)
    .fetch_all(&mut *conn)
    .await
    .db()?;
    for row in &rows {
        changes.push(ChartChange {
            at: codec::ts(row, "recorded_at")?,
            what: ChartChangeKind::WeightAdded {
                measured_on: codec::date(row, "measured_on")?,
                grams: codec::u32_of(row, "grams")?,
            },
        });
    }

    let rows = sqlx::query(
        "SELECT code, display, measured_on, recorded_at FROM measurements \
         WHERE patient_id = $1 AND recorded_at > $2",
    )
    .bind(patient.0)
    .bind(&since_text)
    .fetch_all(&mut *conn)
    .await
    .db()?;
    for row in &rows {
        let display: Option<String> = get(row, "display")?;
        let name = match display {
            Some(display) => display,
            None => get(row, "code")?,
        };
        changes.push(ChartChange {
            at: codec::ts(row, "recorded_at")?,
            what: ChartChangeKind::MeasurementAdded {
                name,
                measured_on: codec::date(row, "measured_on")?,
            },
        });
    }

    let rows = sqlx::query(
        "SELECT channel, submitted_at FROM intake_forms \
         WHERE patient_id = $1 AND submitted_at > $2",
    )
    .bind(patient.0)
    .bind(&since_text)
    .fetch_all(&mut *conn)
    .await
    .db()?;
    for row in &rows {
        changes.push(ChartChange {
            at: codec::ts(row, "submitted_at")?,
            what: ChartChangeKind::IntakeAdded {
                channel: codec::word(row, "channel", codec::parse_channel)?,
            },
        });
    }

    let changed: Option<Option<String>> =
        sqlx::query_scalar("SELECT facts_changed_at FROM patients WHERE id = $1")
            .bind(patient.0)
            .fetch_optional(&mut *conn)
            .await
            .db()?;
    if let Some(at) = changed.flatten() {
        let at = codec::parse_ts(&at, "facts_changed_at")?;
        if at > since {
            changes.push(ChartChange {
                at,
                what: ChartChangeKind::DetailsChanged,
            });
        }
    }
    changes.sort_by_key(|c| c.at);
    Ok(changes)
}
