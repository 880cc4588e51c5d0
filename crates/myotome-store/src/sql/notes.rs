//! Procedure notes (`procedure_notes`, `note_addenda`, `note_errors`). Runs inside the caller's transaction;
//! the caller audits. A signature is a SHA-256 over the document exactly as stored, the signer
//! and the time, so reading a note can say whether its content still matches what was signed;
//! the schema's triggers refuse any change to a signed note.

use super::codec::{self, get, ts_text};
use super::error::DbResult;
use crate::documents::ProcedureNoteDocument;
use crate::notes::{Addendum, EnteredInError, NoteSignature, ProcedureNote};
use crate::{AppointmentId, PatientId, Result, StoreError, UserId};
use jiff::Timestamp;
use sha2::{Digest, Sha256};
use sqlx::AnyConnection;
use sqlx::any::AnyRow;

const COLUMNS: &str = "id, appointment_id, patient_id, document, version, created_at, \
     created_by, updated_at, signed_at, signed_by, signature";

/// A draft that changed (or was signed) since the caller read it.
fn changed_since() -> StoreError {
    StoreError::Conflict(
        "the procedure note changed since it was read, or it is signed; reload it and look again"
            .to_owned(),
    )
}

/// The hash a signature stores: the document text as stored, who signed and when.
fn signature_of(document_text: &str, by: Option<i64>, at_text: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(b"myotome procedure note v1\n");
    hasher.update((document_text.len() as u64).to_be_bytes());
    hasher.update(document_text.as_bytes());
    hasher.update(by.unwrap_or(0).to_be_bytes());
    hasher.update(at_text.as_bytes());
    hex::encode(hasher.finalize())
}

fn note_from(
    row: &AnyRow,
    addenda: Vec<Addendum>,
    entered_in_error: Option<EnteredInError>,
) -> Result<ProcedureNote> {
    let id: i64 = get(row, "id")?;
    let text: String = get(row, "document")?;
    let signed_at: Option<String> = get(row, "signed_at")?;
    let signature = match signed_at {
        None => None,
        Some(at_text) => {
            let by: Option<i64> = get(row, "signed_by")?;
            let hash: String = get::<Option<String>>(row, "signature")?.unwrap_or_default();
            Some(NoteSignature {
                at: codec::ts(row, "signed_at")?,
                by: by.map(UserId),
                matches: signature_of(&text, by, &at_text) == hash,
                hash,
            })
        }
    };

    Ok(ProcedureNote {
        id,
        appointment_id: AppointmentId(get(row, "appointment_id")?),
        patient_id: PatientId(get(row, "patient_id")?),
        document: codec::document(row, "document", "procedure note", id)?,
        version: get(row, "version")?,
        created_at: codec::ts(row, "created_at")?,
        created_by: codec::opt_user(row, "created_by")?,
        updated_at: codec::ts(row, "updated_at")?,
        signature,
        addenda,
        entered_in_error,
    })
}

/// The note of a visit, with its addenda in order; `None` before one is written.
pub(crate) async fn of(
    conn: &mut AnyConnection,
    appointment: AppointmentId,
) -> Result<Option<ProcedureNote>> {
    let sql = format!("SELECT {COLUMNS} FROM procedure_notes WHERE appointment_id = $1");
    let Some(row) = sqlx::query(&sql)
        .bind(appointment.0)
        .fetch_optional(&mut *conn)
        .await
        .db()?
    else {
        return Ok(None);
    };
    let id: i64 = get(&row, "id")?;
    let addenda = sqlx::query(
        "SELECT id, text, at, by_user FROM note_addenda WHERE note_id = $1 ORDER BY id",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await
    .db()?
    .iter()
    .map(|a| {
        Ok(Addendum {
            id: get(a, "id")?,
            text: get(a, "text")?,
            at: codec::ts(a, "at")?,
            by: codec::opt_user(a, "by_user")?,
        })
    })
    .collect::<Result<_>>()?;
    let entered_in_error =
        sqlx::query("SELECT reason, at, by_user FROM note_errors WHERE note_id = $1")
            .bind(id)
            .fetch_optional(&mut *conn)
            .await
            .db()?
            .map(|e| {
                Ok::<_, StoreError>(EnteredInError {
                    reason: get(&e, "reason")?,
                    at: codec::ts(&e, "at")?,
                    by: codec::opt_user(&e, "by_user")?,
                })
            })
            .transpose()?;
    note_from(&row, addenda, entered_in_error).map(Some)
}

/// Writes the draft: a new note when `expected` is `None`, else the draft at version
/// `expected` (a signed note or a newer version is refused).
pub(crate) async fn save(
    conn: &mut AnyConnection,
    appointment: AppointmentId,
    patient: PatientId,
    document: &ProcedureNoteDocument,
    expected: Option<i64>,
    by: Option<UserId>,
) -> Result<()> {
    let text = codec::json_text(document)?;
    let now = ts_text(codec::now());
    match expected {
        None => {
            sqlx::query(
                "INSERT INTO procedure_notes (appointment_id, patient_id, document, created_at, \
                 created_by, updated_at) VALUES ($1, $2, $3, $4, $5, $4)",
            )
            .bind(appointment.0)
            .bind(patient.0)
            .bind(&text)
            .bind(&now)
            .bind(by.map(|u| u.0))
            .execute(&mut *conn)
            .await
            .map_err(|e| {
                super::error::unique_or_database(e, || {
                    "this visit has a procedure note already; reload it and save again".to_owned()
                })
            })?;
        }
        Some(version) => {
            let changed = sqlx::query(
                "UPDATE procedure_notes SET document = $1, version = version + 1, updated_at = $2 \
                 WHERE appointment_id = $3 AND version = $4 AND signed_at IS NULL",
            )
            .bind(&text)
            .bind(&now)
            .bind(appointment.0)
            .bind(version)
            .execute(&mut *conn)
            .await
            .db()?
            .rows_affected();
            if changed == 0 {
                return Err(changed_since());
            }
        }
    }
    Ok(())
}

/// Signs the visit's draft at version `expected` as `by` at `at`: the signature hashes the
/// document as stored. Returns the signature's hash.
pub(crate) async fn sign(
    conn: &mut AnyConnection,
    appointment: AppointmentId,
    expected: i64,
    by: Option<UserId>,
    at: Timestamp,
) -> Result<String> {
    let text: Option<String> = sqlx::query_scalar(
        "SELECT document FROM procedure_notes WHERE appointment_id = $1 AND version = $2 \
         AND signed_at IS NULL",
    )
    .bind(appointment.0)
    .bind(expected)
    .fetch_optional(&mut *conn)
    .await
    .db()?;
    let Some(text) = text else {
        return Err(changed_since());
    };
    let at_text = ts_text(at);
    let hash = signature_of(&text, by.map(|u| u.0), &at_text);
    let signed = sqlx::query(
        "UPDATE procedure_notes SET signed_at = $1, signed_by = $2, signature = $3 \
         WHERE appointment_id = $4 AND version = $5 AND signed_at IS NULL",
    )
    .bind(&at_text)
    .bind(by.map(|u| u.0))
    .bind(&hash)
    .bind(appointment.0)
    .bind(expected)
    .execute(&mut *conn)
    .await
    .db()?
    .rows_affected();
    if signed != 1 {
        return Err(changed_since());
    }
    Ok(hash)
}

pub(crate) async fn add_addendum(
    conn: &mut AnyConnection,
    note: i64,
    text: &str,
    by: Option<UserId>,
    at: Timestamp,
) -> Result<()> {
    lock_note(conn, note).await?;
    sqlx::query("INSERT INTO note_addenda (note_id, text, at, by_user) VALUES ($1, $2, $3, $4)")
        .bind(note)
        .bind(text)
        .bind(ts_text(at))
        .bind(by.map(|u| u.0))
        .execute(&mut *conn)
        .await
        .db()?;
    Ok(())
}

/// Marks the note entered in error; a note already marked is refused.
pub(crate) async fn mark_entered_in_error(
    conn: &mut AnyConnection,
    note: i64,
    reason: &str,
    by: Option<UserId>,
    at: Timestamp,
) -> Result<()> {
    lock_note(conn, note).await?;
    sqlx::query("INSERT INTO note_errors (note_id, reason, at, by_user) VALUES ($1, $2, $3, $4)")
        .bind(note)
        .bind(reason)
        .bind(ts_text(at))
        .bind(by.map(|u| u.0))
        .execute(&mut *conn)
        .await
        .map_err(|e| {
            super::error::unique_or_database(e, || {
                "this note is marked entered in error already".to_owned()
            })
        })?;
    Ok(())
}

/// Takes the note's row lock (a write that changes nothing, allowed on any note), so that a
/// mark and an addendum or a save racing it are one after the other: the later one sees the
/// mark, and the schema's triggers refuse it. SQLite's writers are one at a time already.
async fn lock_note(conn: &mut AnyConnection, note: i64) -> Result<()> {
    sqlx::query("UPDATE procedure_notes SET patient_id = patient_id WHERE id = $1")
        .bind(note)
        .execute(&mut *conn)
        .await
        .db()?;
    Ok(())
}
