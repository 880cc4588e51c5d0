//! Conditions, medications and allergies (`clinical_records`), intake forms (`intake_forms`) and
//! screenings (`screenings`). Runs inside the caller's transaction; the caller audits.
//!
//! Intake forms and screenings are immutable once stored (a screening's only later write is
//! its one signature; the schema's triggers refuse anything else). Records are versioned.

use super::codec::{self, date_text, get, json_text, source_columns, ts_text};
use super::error::{DbResult, unique_or_database};
use super::patients::{require, require_live, stale_or_missing};
use crate::{
    ClinicalRecord, IntakeChannel, IntakeForm, IntakeId, NewIntake, NewScreening, PatientId,
    RecordDetails, RecordId, RecordKind, RecordSource, Result, ScreeningId, Signature, StoreError,
    StoredCoding, StoredScreening, UserId,
};
use jiff::Timestamp;
use myotome_core::outcome::Outcome;
use sqlx::AnyConnection;
use sqlx::any::AnyRow;

// --- Records ------------------------------------------------------------------------------------

const RECORD_COLUMNS: &str = "id, patient_id, kind, codings, text, status, start_date, end_date, \
     source_kind, entered_by, source_system, source_id, version, recorded_at, updated_at";

fn record_from(row: &AnyRow) -> Result<ClinicalRecord> {
    Ok(ClinicalRecord {
        id: RecordId(get(row, "id")?),
        patient_id: PatientId(get(row, "patient_id")?),
        details: RecordDetails {
            kind: codec::word(row, "kind", codec::parse_record_kind)?,
            codings: codec::json::<Vec<StoredCoding>>(row, "codings")?,
            text: get(row, "text")?,
            status: codec::word(row, "status", codec::parse_record_status)?,
            start: codec::opt_date(row, "start_date")?,
            end: codec::opt_date(row, "end_date")?,
        },
        source: codec::source(row)?,
        version: get(row, "version")?,
        recorded_at: codec::ts(row, "recorded_at")?,
        updated_at: codec::ts(row, "updated_at")?,
    })
}

pub(crate) async fn add_record(
    conn: &mut AnyConnection,
    patient: PatientId,
    details: &RecordDetails,
    source: &RecordSource,
) -> Result<ClinicalRecord> {
    require_live(conn, patient).await?;
    let columns = source_columns(source);
    let duplicate = |existing: Option<i64>| {
        let which = existing.map_or("a record".to_owned(), |id| format!("record {id}"));
        format!(
            "patient {patient} already has {which} imported from {} as {}; update it instead of adding it again",
            columns.system.unwrap_or_default(),
            columns.id.unwrap_or_default()
        )
    };
    if let (Some(system), Some(source_id)) = (columns.system, columns.id) {
        let existing: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM clinical_records \
             WHERE patient_id = $1 AND source_system = $2 AND source_id = $3",
        )
        .bind(patient.0)
        .bind(system)
        .bind(source_id)
        .fetch_optional(&mut *conn)
        .await
        .db()?;
        if existing.is_some() {
            return Err(StoreError::Conflict(duplicate(existing)));
        }
    }
    let now = ts_text(codec::now());
    let sql = format!(
        "INSERT INTO clinical_records (patient_id, kind, codings, text, status, start_date, \
         end_date, source_kind, entered_by, source_system, source_id, version, recorded_at, \
         updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 1, $12, $12) \
         RETURNING {RECORD_COLUMNS}"
    );
    let row = sqlx::query(&sql)
        .bind(patient.0)
        .bind(details.kind.as_str())
        .bind(json_text(&details.codings)?)
        .bind(&details.text)
        .bind(details.status.as_str())
        .bind(details.start.map(date_text))
        .bind(details.end.map(date_text))
        .bind(columns.kind)
        .bind(columns.entered_by)
        .bind(columns.system)
        .bind(columns.id)
        .bind(&now)
        .fetch_one(&mut *conn)
        .await
        .map_err(|e| unique_or_database(e, || duplicate(None)))?;
    record_from(&row)
}

pub(crate) async fn update_record(
    conn: &mut AnyConnection,
    id: RecordId,
    expected_version: i64,
    details: &RecordDetails,
) -> Result<ClinicalRecord> {
    // The source is where the record came from and stays as it was.
    let sql = format!(
        "UPDATE clinical_records SET kind = $1, codings = $2, text = $3, status = $4, \
         start_date = $5, end_date = $6, version = version + 1, updated_at = $7 \
         WHERE id = $8 AND version = $9 RETURNING {RECORD_COLUMNS}"
    );
    let row = sqlx::query(&sql)
        .bind(details.kind.as_str())
        .bind(json_text(&details.codings)?)
        .bind(&details.text)
        .bind(details.status.as_str())
        .bind(details.start.map(date_text))
        .bind(details.end.map(date_text))
        .bind(ts_text(codec::now()))
        .bind(id.0)
        .bind(expected_version)
        .fetch_optional(&mut *conn)
        .await
        .db()?;
    match row {
        Some(row) => record_from(&row),
        None => {
            Err(stale_or_missing(conn, "clinical_records", "record", id.0, expected_version).await)
        }
    }
}

pub(crate) async fn records(
    conn: &mut AnyConnection,
    patient: PatientId,
    kind: Option<RecordKind>,
) -> Result<Vec<ClinicalRecord>> {
    require(conn, patient).await?;
    records_of(conn, patient, kind).await
}

/// [`records`] for a patient the caller has already found (the chart read).
pub(crate) async fn records_of(
    conn: &mut AnyConnection,
    patient: PatientId,
    kind: Option<RecordKind>,
) -> Result<Vec<ClinicalRecord>> {
    let rows = match kind {
        Some(kind) => {
            let sql = format!(
                "SELECT {RECORD_COLUMNS} FROM clinical_records \
                 WHERE patient_id = $1 AND kind = $2 ORDER BY id"
            );
            sqlx::query(&sql)
                .bind(patient.0)
                .bind(kind.as_str())
                .fetch_all(&mut *conn)
                .await
        }
        None => {
            let sql = format!(
                "SELECT {RECORD_COLUMNS} FROM clinical_records WHERE patient_id = $1 ORDER BY id"
            );
            sqlx::query(&sql)
                .bind(patient.0)
                .fetch_all(&mut *conn)
                .await
        }
    }
    .db()?;
    rows.iter().map(record_from).collect()
}

// --- Intake -------------------------------------------------------------------------------------

const INTAKE_COLUMNS: &str = "id, patient_id, answers, reported_conditions, regions, note, channel, submitted_at, submitted_by";

fn intake_from(row: &AnyRow) -> Result<IntakeForm> {
    Ok(IntakeForm {
        id: IntakeId(get(row, "id")?),
        patient_id: PatientId(get(row, "patient_id")?),
        answers: codec::json(row, "answers")?,
        reported_conditions: codec::json(row, "reported_conditions")?,
        regions: codec::json(row, "regions")?,
        note: get(row, "note")?,
        channel: codec::word(row, "channel", codec::parse_channel)?,
        submitted_at: codec::ts(row, "submitted_at")?,
        submitted_by: codec::opt_user(row, "submitted_by")?,
    })
}

pub(crate) async fn add_intake(
    conn: &mut AnyConnection,
    patient: PatientId,
    intake: &NewIntake,
    submitted_by: Option<UserId>,
) -> Result<IntakeForm> {
    require_live(conn, patient).await?;
    let sql = format!(
        "INSERT INTO intake_forms (patient_id, answers, reported_conditions, regions, note, \
         channel, submitted_at, submitted_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
         RETURNING {INTAKE_COLUMNS}"
    );
    let row = sqlx::query(&sql)
        .bind(patient.0)
        .bind(json_text(&intake.answers)?)
        .bind(json_text(&intake.reported_conditions)?)
        .bind(json_text(&intake.regions)?)
        .bind(&intake.note)
        .bind(codec::channel_text(intake.channel))
        .bind(ts_text(codec::now()))
        .bind(submitted_by.map(|u| u.0))
        .fetch_one(&mut *conn)
        .await
        .db()?;
    intake_from(&row)
}

pub(crate) async fn intakes(
    conn: &mut AnyConnection,
    patient: PatientId,
) -> Result<Vec<IntakeForm>> {
    require(conn, patient).await?;
    intakes_of(conn, patient).await
}

/// [`intakes`] for a patient the caller has already found (the chart read).
pub(crate) async fn intakes_of(
    conn: &mut AnyConnection,
    patient: PatientId,
) -> Result<Vec<IntakeForm>> {
    let sql = format!(
        "SELECT {INTAKE_COLUMNS} FROM intake_forms WHERE patient_id = $1 \
         ORDER BY submitted_at DESC, id DESC"
    );
    let rows = sqlx::query(&sql)
        .bind(patient.0)
        .fetch_all(&mut *conn)
        .await
        .db()?;
    rows.iter().map(intake_from).collect()
}

// --- Screenings ---------------------------------------------------------------------------------

pub(crate) const SCREENING_COLUMNS: &str = "id, patient_id, protocol_id, protocol_version, as_of, verdict, \
     result, created_at, created_by, signed_by, signed_at";

pub(crate) fn screening_from(row: &AnyRow) -> Result<StoredScreening> {
    let signature = match (
        codec::opt_user(row, "signed_by")?,
        codec::opt_ts(row, "signed_at")?,
    ) {
        (Some(by), Some(at)) => Some(Signature { by, at }),
        _ => None,
    };
    let id: i64 = get(row, "id")?;
    Ok(StoredScreening {
        id: ScreeningId(id),
        patient_id: PatientId(get(row, "patient_id")?),
        protocol_id: get(row, "protocol_id")?,
        protocol_version: get(row, "protocol_version")?,
        as_of: codec::date(row, "as_of")?,
        verdict: codec::word(row, "verdict", Outcome::parse)?,
        result: codec::document(row, "result", "screening", id)?,
        created_at: codec::ts(row, "created_at")?,
        created_by: codec::opt_user(row, "created_by")?,
        signature,
    })
}

fn screening_not_found(id: ScreeningId) -> StoreError {
    StoreError::NotFound {
        what: "screening",
        id: id.to_string(),
    }
}

pub(crate) async fn add_screening(
    conn: &mut AnyConnection,
    patient: PatientId,
    screening: &NewScreening,
    created_by: Option<UserId>,
) -> Result<StoredScreening> {
    require_live(conn, patient).await?;
    let sql = format!(
        "INSERT INTO screenings (patient_id, protocol_id, protocol_version, as_of, verdict, \
         result, created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
         RETURNING {SCREENING_COLUMNS}"
    );
    let row = sqlx::query(&sql)
        .bind(patient.0)
        .bind(&screening.result.protocol.id)
        .bind(&screening.result.protocol.version)
        .bind(date_text(screening.result.as_of))
        .bind(screening.result.verdict.as_str())
        .bind(json_text(&screening.result)?)
        .bind(ts_text(codec::now()))
        .bind(created_by.map(|u| u.0))
        .fetch_one(&mut *conn)
        .await
        .db()?;
    screening_from(&row)
}

pub(crate) async fn screening(
    conn: &mut AnyConnection,
    id: ScreeningId,
) -> Result<StoredScreening> {
    let sql = format!("SELECT {SCREENING_COLUMNS} FROM screenings WHERE id = $1");
    let row = sqlx::query(&sql)
        .bind(id.0)
        .fetch_optional(&mut *conn)
        .await
        .db()?
        .ok_or_else(|| screening_not_found(id))?;
    screening_from(&row)
}

pub(crate) async fn screenings(
    conn: &mut AnyConnection,
    patient: PatientId,
) -> Result<Vec<StoredScreening>> {
    require(conn, patient).await?;
    screenings_of(conn, patient).await
}

/// [`screenings`] for a patient the caller has already found (the chart read).
pub(crate) async fn screenings_of(
    conn: &mut AnyConnection,
    patient: PatientId,
) -> Result<Vec<StoredScreening>> {
    let sql = format!(
        "SELECT {SCREENING_COLUMNS} FROM screenings WHERE patient_id = $1 \
         ORDER BY created_at DESC, id DESC"
    );
    let rows = sqlx::query(&sql)
        .bind(patient.0)
        .fetch_all(&mut *conn)
        .await
        .db()?;
    rows.iter().map(screening_from).collect()
}

pub(crate) async fn sign_screening(
    conn: &mut AnyConnection,
    id: ScreeningId,
    by: UserId,
) -> Result<StoredScreening> {
    let signer: Option<i64> = sqlx::query_scalar("SELECT id FROM users WHERE id = $1")
        .bind(by.0)
        .fetch_optional(&mut *conn)
        .await
        .db()?;
    if signer.is_none() {
        return Err(StoreError::NotFound {
            what: "user",
            id: by.to_string(),
        });
    }
    let sql = format!(
        "UPDATE screenings SET signed_by = $1, signed_at = $2 \
         WHERE id = $3 AND signed_by IS NULL RETURNING {SCREENING_COLUMNS}"
    );
    let row = sqlx::query(&sql)
        .bind(by.0)
        .bind(ts_text(codec::now()))
        .bind(id.0)
        .fetch_optional(&mut *conn)
        .await
        .db()?;
    if let Some(row) = row {
        return screening_from(&row);
    }
    let existing = screening(conn, id).await?;
    match existing.signature {
        Some(signature) => Err(StoreError::Conflict(format!(
            "screening {id} was already signed by user {} at {}; a signed screening cannot be signed again",
            signature.by,
            codec::ts_text(signature.at)
        ))),
        // Not reachable unless the row changed between the two statements of this
        // transaction; say so rather than pretend it was signed.
        None => Err(StoreError::Conflict(format!(
            "screening {id} could not be signed; try again"
        ))),
    }
}

// --- Work lists ---------------------------------------------------------------------------------

/// Largest work list one call returns.
pub(crate) const MAX_LIST: u32 = 200;

pub(crate) async fn unsigned_screenings(
    conn: &mut AnyConnection,
    limit: u32,
) -> Result<Vec<StoredScreening>> {
    // Served by the partial index `screenings_unsigned`.
    let sql = format!(
        "SELECT {SCREENING_COLUMNS} FROM screenings WHERE signed_by IS NULL \
         ORDER BY created_at DESC, id DESC LIMIT $1"
    );
    let rows = sqlx::query(&sql)
        .bind(i64::from(limit.clamp(1, MAX_LIST)))
        .fetch_all(&mut *conn)
        .await
        .db()?;
    rows.iter().map(screening_from).collect()
}

pub(crate) async fn candidate_intakes_since(
    conn: &mut AnyConnection,
    since: Timestamp,
    limit: u32,
) -> Result<Vec<IntakeForm>> {
    let sql = format!(
        "SELECT {INTAKE_COLUMNS} FROM intake_forms WHERE channel = $1 AND submitted_at >= $2 \
         ORDER BY submitted_at DESC, id DESC LIMIT $3"
    );
    let rows = sqlx::query(&sql)
        .bind(codec::channel_text(IntakeChannel::CandidateForm))
        .bind(ts_text(since))
        .bind(i64::from(limit.clamp(1, MAX_LIST)))
        .fetch_all(&mut *conn)
        .await
        .db()?;
    rows.iter().map(intake_from).collect()
}
