//! The clinic's settings (`clinic_settings`): one row per version, never changed. Runs inside
//! the caller's transaction; the caller audits.

use super::codec::{self, get, json_text, ts_text};
use super::error::{DbResult, unique_or_database};
use crate::documents::ClinicSettingsDocument;
use crate::{Result, StoreError, StoredSettings, UserId};
use sqlx::AnyConnection;
use sqlx::any::AnyRow;

const COLUMNS: &str = "version, document, note, changed_by, changed_at";

fn settings_from(row: &AnyRow) -> Result<StoredSettings> {
    let version: i64 = get(row, "version")?;
    Ok(StoredSettings {
        version,
        document: codec::document(row, "document", "clinic settings", version)?,
        note: get(row, "note")?,
        changed_by: codec::opt_user(row, "changed_by")?,
        changed_at: codec::ts(row, "changed_at")?,
    })
}

pub(crate) async fn latest(conn: &mut AnyConnection) -> Result<Option<StoredSettings>> {
    let sql = format!("SELECT {COLUMNS} FROM clinic_settings ORDER BY version DESC LIMIT 1");
    sqlx::query(&sql)
        .fetch_optional(&mut *conn)
        .await
        .db()?
        .as_ref()
        .map(settings_from)
        .transpose()
}

pub(crate) async fn version(conn: &mut AnyConnection, version: i64) -> Result<StoredSettings> {
    let sql = format!("SELECT {COLUMNS} FROM clinic_settings WHERE version = $1");
    let row = sqlx::query(&sql)
        .bind(version)
        .fetch_optional(&mut *conn)
        .await
        .db()?
        .ok_or_else(|| StoreError::NotFound {
            what: "clinic settings version",
            id: version.to_string(),
        })?;
    settings_from(&row)
}

pub(crate) async fn save(
    conn: &mut AnyConnection,
    expected: i64,
    document: &ClinicSettingsDocument,
    note: Option<&str>,
    by: Option<UserId>,
) -> Result<StoredSettings> {
    let current = latest(conn).await?.map_or(0, |s| s.version);
    let stale = || StoreError::Stale {
        what: "clinic settings",
        id: "current".to_owned(),
        current_version: current,
        sent_version: expected,
    };
    if current != expected {
        return Err(stale());
    }
    let sql = format!(
        "INSERT INTO clinic_settings (version, document, note, changed_by, changed_at) \
         VALUES ($1, $2, $3, $4, $5) RETURNING {COLUMNS}"
    );
    let row = sqlx::query(&sql)
        .bind(expected + 1)
        .bind(json_text(document)?)
        .bind(note)
        .bind(by.map(|u| u.0))
        .bind(ts_text(codec::now()))
        .fetch_one(&mut *conn)
        .await
        .map_err(|e| {
            unique_or_database(e, || {
                "someone saved the settings at the same moment; reload them and save again"
                    .to_owned()
            })
        })?;
    settings_from(&row)
}
