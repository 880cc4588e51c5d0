//! The fee schedule (`fee_schedule`), imported PTP edits (`ptp_edits`) and visits' coding
//! (`visit_codings`). Runs inside the caller's transaction or read; the caller audits.

use super::codec::{self, get, ts_text};
use super::error::DbResult;
use crate::billing::{Fee, ImportedEdit, PtpImport, VisitCoding, VisitCodingDocument};
use crate::{AppointmentId, Result, StoreError, UserId};
use jiff::Timestamp;
use sqlx::AnyConnection;

pub(crate) async fn fees(conn: &mut AnyConnection) -> Result<Vec<Fee>> {
    sqlx::query("SELECT code, cents, updated_at FROM fee_schedule ORDER BY code")
        .fetch_all(&mut *conn)
        .await
        .db()?
        .iter()
        .map(|row| {
            Ok(Fee {
                code: get(row, "code")?,
                cents: get(row, "cents")?,
                updated_at: codec::ts(row, "updated_at")?,
            })
        })
        .collect()
}

/// Sets a code's charge (`None` removes it).
pub(crate) async fn set_fee(
    conn: &mut AnyConnection,
    code: &str,
    cents: Option<i64>,
    at: Timestamp,
    by: Option<UserId>,
) -> Result<()> {
    sqlx::query("DELETE FROM fee_schedule WHERE code = $1")
        .bind(code)
        .execute(&mut *conn)
        .await
        .db()?;
    if let Some(cents) = cents {
        sqlx::query(
            "INSERT INTO fee_schedule (code, cents, updated_at, updated_by) VALUES ($1, $2, $3, $4)",
        )
        .bind(code)
        .bind(cents)
        .bind(ts_text(at))
        .bind(by.map(|u| u.0))
        .execute(&mut *conn)
        .await
        .db()?;
    }
    Ok(())
}

pub(crate) async fn imported_edits(conn: &mut AnyConnection) -> Result<Vec<ImportedEdit>> {
    sqlx::query("SELECT column1, column2, modifier, rationale FROM ptp_edits")
        .fetch_all(&mut *conn)
        .await
        .db()?
        .iter()
        .map(|row| {
            Ok(ImportedEdit {
                column1: get(row, "column1")?,
                column2: get(row, "column2")?,
                modifier: u8::try_from(get::<i64>(row, "modifier")?).unwrap_or(9),
                rationale: get(row, "rationale")?,
            })
        })
        .collect()
}

pub(crate) async fn ptp_import(conn: &mut AnyConnection) -> Result<Option<PtpImport>> {
    let row = sqlx::query(
        "SELECT MIN(file_name) AS file_name, MIN(imported_at) AS imported_at, COUNT(*) AS n \
         FROM ptp_edits",
    )
    .fetch_one(&mut *conn)
    .await
    .db()?;
    let edits: i64 = get(&row, "n")?;
    if edits == 0 {
        return Ok(None);
    }
    Ok(Some(PtpImport {
        file_name: get(&row, "file_name")?,
        imported_at: codec::ts(&row, "imported_at")?,
        edits: u64::try_from(edits).unwrap_or(0),
    }))
}

/// Replaces every imported edit by the file's (a quarter's file is whole).
pub(crate) async fn replace_edits(
    conn: &mut AnyConnection,
    file_name: &str,
    edits: &[ImportedEdit],
    at: Timestamp,
) -> Result<()> {
    sqlx::query("DELETE FROM ptp_edits")
        .execute(&mut *conn)
        .await
        .db()?;
    let at = ts_text(at);
    for edit in edits {
        sqlx::query(
            "INSERT INTO ptp_edits (column1, column2, modifier, rationale, file_name, imported_at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (column1, column2) DO NOTHING",
        )
        .bind(&edit.column1)
        .bind(&edit.column2)
        .bind(i64::from(edit.modifier))
        .bind(&edit.rationale)
        .bind(file_name)
        .bind(&at)
        .execute(&mut *conn)
        .await
        .db()?;
    }
    Ok(())
}

pub(crate) async fn visit_coding(
    conn: &mut AnyConnection,
    visit: AppointmentId,
) -> Result<Option<VisitCoding>> {
    let Some(row) = sqlx::query(
        "SELECT appointment_id, document, version, updated_at, updated_by FROM visit_codings \
         WHERE appointment_id = $1",
    )
    .bind(visit.0)
    .fetch_optional(&mut *conn)
    .await
    .db()?
    else {
        return Ok(None);
    };
    Ok(Some(VisitCoding {
        appointment_id: AppointmentId(get(&row, "appointment_id")?),
        document: codec::json::<VisitCodingDocument>(&row, "document")?,
        version: get(&row, "version")?,
        updated_at: codec::ts(&row, "updated_at")?,
        updated_by: codec::opt_user(&row, "updated_by")?,
    }))
}

/// Saves the visit's coding as version `expected + 1` (`expected` 0 before any); `Stale` when
/// someone saved in between.
pub(crate) async fn save_visit_coding(
    conn: &mut AnyConnection,
    visit: AppointmentId,
    expected: i64,
    document: &VisitCodingDocument,
    at: Timestamp,
    by: Option<UserId>,
) -> Result<()> {
    let text = codec::json_text(document)?;
    let changed = if expected == 0 {
        sqlx::query(
            "INSERT INTO visit_codings (appointment_id, document, version, updated_at, updated_by) \
             VALUES ($1, $2, 1, $3, $4) ON CONFLICT (appointment_id) DO NOTHING",
        )
        .bind(visit.0)
        .bind(&text)
        .bind(ts_text(at))
        .bind(by.map(|u| u.0))
        .execute(&mut *conn)
        .await
        .db()?
        .rows_affected()
    } else {
        sqlx::query(
            "UPDATE visit_codings SET document = $1, version = version + 1, updated_at = $2, \
             updated_by = $3 WHERE appointment_id = $4 AND version = $5",
        )
        .bind(&text)
        .bind(ts_text(at))
        .bind(by.map(|u| u.0))
        .bind(visit.0)
        .bind(expected)
        .execute(&mut *conn)
        .await
        .db()?
        .rows_affected()
    };
    if changed == 1 {
        return Ok(());
    }
    let current = visit_coding(conn, visit).await?.map_or(0, |c| c.version);
    Err(StoreError::Stale {
        what: "the coding of visit",
        id: visit.to_string(),
        current_version: current,
        sent_version: expected,
    })
}
