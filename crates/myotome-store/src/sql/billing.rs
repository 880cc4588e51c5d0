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
    let Some(cents) = cents else {
        sqlx::query("DELETE FROM fee_schedule WHERE code = $1")
            .bind(code)
            .execute(&mut *conn)
            .await
            .db()?;
        return Ok(());
    };
    sqlx::query(
        "INSERT INTO fee_schedule (code, cents, updated_at, updated_by) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (code) DO UPDATE SET cents = excluded.cents, \
         updated_at = excluded.updated_at, updated_by = excluded.updated_by",
    )
    .bind(code)
    .bind(cents)
    .bind(ts_text(at))
    .bind(by.map(|u| u.0))
    .execute(&mut *conn)
    .await
    .db()?;
    Ok(())
}

/// The imported edits between the codes given (a visit's lines), not the whole file.
pub(crate) async fn imported_edits(
    conn: &mut AnyConnection,
    codes: &[String],
) -> Result<Vec<ImportedEdit>> {
    if codes.is_empty() {
        return Ok(Vec::new());
    }
    let list = (1..=codes.len())
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "SELECT column1, column2, modifier, rationale FROM ptp_edits \
         WHERE column1 IN ({list}) AND column2 IN ({list})"
    );
    codes
        .iter()
        .fold(sqlx::query(&sql), |query, code| query.bind(code.as_str()))
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

/// Each imported file with its edits, in name order (CMS publishes a quarter's practitioner
/// edits as several files, by range of column 1 code).
pub(crate) async fn ptp_imports(conn: &mut AnyConnection) -> Result<Vec<PtpImport>> {
    sqlx::query(
        "SELECT file_name, MIN(imported_at) AS imported_at, COUNT(*) AS n FROM ptp_edits \
         GROUP BY file_name ORDER BY file_name",
    )
    .fetch_all(&mut *conn)
    .await
    .db()?
    .iter()
    .map(|row| {
        Ok(PtpImport {
            file_name: get(row, "file_name")?,
            imported_at: codec::ts(row, "imported_at")?,
            edits: u64::try_from(get::<i64>(row, "n")?).unwrap_or(0),
        })
    })
    .collect()
}

/// Replaces the edits imported from a file of this name (the same part of an earlier quarter
/// is named the same but for its version: `ccipra-v321r0-f1` → `…-f1`), keeping the others.
pub(crate) async fn replace_edits(
    conn: &mut AnyConnection,
    file_name: &str,
    edits: &[ImportedEdit],
    at: Timestamp,
) -> Result<()> {
    sqlx::query("DELETE FROM ptp_edits WHERE file_name = $1 OR file_name LIKE $2")
        .bind(file_name)
        .bind(format!("%{}", part_of(file_name)))
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

/// The part a CMS file name names after its version (`ccipra-v321r0-f1.txt` → `-f1.txt`), so
/// the next quarter's f1 replaces this quarter's f1 and nothing else; a name without a part
/// is its own.
fn part_of(file_name: &str) -> &str {
    match file_name.rfind("-f") {
        Some(at) => &file_name[at..],
        None => file_name,
    }
}
