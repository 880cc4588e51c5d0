//! One person, one chart: the charts that may be the same person (`possible_duplicates`) and
//! the merge of one chart into another (`merge`), which moves every record of the merged chart
//! and leaves it, read-only, pointing at the kept one (`patients.merged_into`), with what moved
//! in `patient_merges`. Runs inside the caller's transaction; the caller audits.
//!
//! Screenings and clearances are immutable; the schema lets a merge re-point them to the chart
//! they were merged into and nothing else (migration 0007). An appointment's plan must be of
//! its own patient (a composite key), so a merged chart's appointments leave their plan for
//! the moment of the move and take it back after.

use super::codec::{self, get, json_text, ts_text};
use super::error::{DbResult, unique_or_database};
use super::patients::{self, require};
use crate::{
    Identifier, MergeCounts, Patient, PatientDetails, PatientId, PatientMerge, Result, StoreError,
    UserId, keys,
};
use sqlx::AnyConnection;
use sqlx::any::AnyRow;

/// Live charts (not merged away) that may be the person `details` describes: the same folded
/// name and birth date, or an identifier of the same system whose value matches once trimmed
/// and case-folded. `except` leaves out the chart being edited.
pub(crate) async fn possible_duplicates(
    conn: &mut AnyConnection,
    details: &PatientDetails,
    except: Option<PatientId>,
) -> Result<Vec<Patient>> {
    let mut ids: Vec<i64> = Vec::new();
    if let Some(born) = details.birth_date {
        let (family_key, given_key) = patients::name_keys(details);
        let same: Vec<i64> = sqlx::query_scalar(
            "SELECT id FROM patients WHERE merged_into IS NULL AND birth_date = $1 \
             AND family_key = $2 AND given_key = $3 ORDER BY id",
        )
        .bind(codec::date_text(born))
        .bind(&family_key)
        .bind(&given_key)
        .fetch_all(&mut *conn)
        .await
        .db()?;
        ids.extend(same);
    }
    for Identifier { system, value } in &details.identifiers {
        let holders: Vec<i64> = sqlx::query_scalar(
            "SELECT i.patient_id FROM patient_identifiers AS i \
             JOIN patients AS p ON p.id = i.patient_id \
             WHERE p.merged_into IS NULL AND i.system = $1 AND i.value_key = $2",
        )
        .bind(system)
        .bind(keys::identifier_key(value))
        .fetch_all(&mut *conn)
        .await
        .db()?;
        ids.extend(holders);
    }
    ids.retain(|id| Some(PatientId(*id)) != except);
    ids.sort_unstable();
    ids.dedup();
    let found: Vec<PatientId> = ids.into_iter().map(PatientId).collect();
    patients::by_ids(conn, &found).await
}

/// The tables whose rows are simply re-pointed from the merged chart to the kept one, with the
/// counter each adds to. Plans, appointments and identifiers need more and are moved apart.
type Counter = fn(&mut MergeCounts) -> &mut u64;

const MOVED: [(&str, Counter); 15] = [
    ("weights", |c| &mut c.weights),
    ("measurements", |c| &mut c.measurements),
    ("clinical_records", |c| &mut c.records),
    ("intake_forms", |c| &mut c.intakes),
    ("screenings", |c| &mut c.screenings),
    ("clearances", |c| &mut c.clearances),
    ("treatment_plans", |c| &mut c.plans),
    ("biologic_lots", |c| &mut c.lots),
    ("recall_notices", |c| &mut c.recall_notices),
    ("procedure_notes", |c| &mut c.procedure_notes),
    ("outcome_requests", |c| &mut c.outcome_requests),
    ("outbox", |c| &mut c.messages),
    ("surgical_conversions", |c| &mut c.surgical_conversions),
    ("adverse_events", |c| &mut c.adverse_events),
    ("adverse_event_reports", |c| &mut c.patient_reports),
];

/// Moves every record of `merged` to `kept` and marks `merged` as merged into it.
pub(crate) async fn merge(
    conn: &mut AnyConnection,
    kept: PatientId,
    merged: PatientId,
    reason: &str,
    by: Option<UserId>,
) -> Result<PatientMerge> {
    require(conn, kept).await?;
    require(conn, merged).await?;
    if kept == merged {
        return Err(StoreError::Conflict(
            "a chart cannot be merged into itself; choose the other chart".to_owned(),
        ));
    }
    for id in [kept, merged] {
        let into: Option<i64> =
            sqlx::query_scalar("SELECT merged_into FROM patients WHERE id = $1")
                .bind(id.0)
                .fetch_one(&mut *conn)
                .await
                .db()?;
        if let Some(into) = into {
            return Err(StoreError::Conflict(format!(
                "patient {id} was already merged into patient {into}; merge with that chart"
            )));
        }
    }
    // Mark first: the schema lets immutable rows move only to the chart theirs was merged into.
    let now = codec::now();
    sqlx::query(
        "UPDATE patients SET merged_into = $1, version = version + 1, updated_at = $2 \
         WHERE id = $3",
    )
    .bind(kept.0)
    .bind(ts_text(now))
    .bind(merged.0)
    .execute(&mut *conn)
    .await
    .db()?;

    let mut moved = MergeCounts::default();
    // Appointments leave their plan while the plans move (the plan key includes the patient).
    let planned: Vec<(i64, i64)> = sqlx::query(
        "SELECT id, plan_id FROM appointments WHERE patient_id = $1 AND plan_id IS NOT NULL",
    )
    .bind(merged.0)
    .fetch_all(&mut *conn)
    .await
    .db()?
    .iter()
    .map(|row: &AnyRow| Ok((get(row, "id")?, get(row, "plan_id")?)))
    .collect::<Result<_>>()?;
    sqlx::query("UPDATE appointments SET plan_id = NULL WHERE patient_id = $1")
        .bind(merged.0)
        .execute(&mut *conn)
        .await
        .db()?;
    for (table, counter) in MOVED {
        // `table` is one of the names above, never input.
        let moved_rows = sqlx::query(&format!(
            "UPDATE {table} SET patient_id = $1 WHERE patient_id = $2"
        ))
        .bind(kept.0)
        .bind(merged.0)
        .execute(&mut *conn)
        .await
        .map_err(|e| same_import(e, table))?
        .rows_affected();
        *counter(&mut moved) = moved_rows;
    }
    moved.appointments =
        sqlx::query("UPDATE appointments SET patient_id = $1 WHERE patient_id = $2")
            .bind(kept.0)
            .bind(merged.0)
            .execute(&mut *conn)
            .await
            .db()?
            .rows_affected();
    for (appointment, plan) in planned {
        sqlx::query("UPDATE appointments SET plan_id = $1 WHERE id = $2")
            .bind(plan)
            .bind(appointment)
            .execute(&mut *conn)
            .await
            .db()?;
    }
    // Identifiers follow the kept chart's, in their order.
    let next: Option<i64> =
        sqlx::query_scalar("SELECT MAX(position) FROM patient_identifiers WHERE patient_id = $1")
            .bind(kept.0)
            .fetch_one(&mut *conn)
            .await
            .db()?;
    moved.identifiers = sqlx::query(
        "UPDATE patient_identifiers SET patient_id = $1, position = position + $2 \
         WHERE patient_id = $3",
    )
    .bind(kept.0)
    .bind(next.map_or(0, |n| n + 1))
    .bind(merged.0)
    .execute(&mut *conn)
    .await
    .db()?
    .rows_affected();

    // Charts merged into the merged one before now point at the kept one.
    sqlx::query("UPDATE patients SET merged_into = $1 WHERE merged_into = $2")
        .bind(kept.0)
        .bind(merged.0)
        .execute(&mut *conn)
        .await
        .db()?;
    // The kept chart now holds records its screenings never judged (moved rows keep their own
    // times): every screening of it is out of date until a new one is signed.
    sqlx::query("UPDATE patients SET facts_changed_at = $1 WHERE id = $2")
        .bind(ts_text(now))
        .bind(kept.0)
        .execute(&mut *conn)
        .await
        .db()?;
    sqlx::query(
        "INSERT INTO patient_merges (kept_id, merged_id, moved, reason, merged_by, merged_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(kept.0)
    .bind(merged.0)
    .bind(json_text(&moved)?)
    .bind(reason)
    .bind(by.map(|u| u.0))
    .bind(ts_text(now))
    .execute(&mut *conn)
    .await
    .db()?;
    Ok(PatientMerge {
        kept,
        merged,
        moved,
        reason: reason.to_owned(),
        merged_by: by,
        merged_at: now,
    })
}

/// Both charts hold one record imported from the same source: say so rather than fail.
fn same_import(error: sqlx::Error, table: &str) -> StoreError {
    unique_or_database(error, || {
        format!(
            "both charts hold the same imported {} (the same source and id); correct or end one of them, then merge",
            match table {
                "weights" => "weight",
                "measurements" => "measurement",
                _ => "record",
            }
        )
    })
}

/// The merges into `kept`, oldest first.
pub(crate) async fn merges_into(
    conn: &mut AnyConnection,
    kept: PatientId,
) -> Result<Vec<PatientMerge>> {
    let rows = sqlx::query(
        "SELECT kept_id, merged_id, moved, reason, merged_by, merged_at FROM patient_merges \
         WHERE kept_id = $1 ORDER BY merged_at, id",
    )
    .bind(kept.0)
    .fetch_all(&mut *conn)
    .await
    .db()?;
    rows.iter()
        .map(|row| {
            Ok(PatientMerge {
                kept: PatientId(get(row, "kept_id")?),
                merged: PatientId(get(row, "merged_id")?),
                moved: codec::json(row, "moved")?,
                reason: get(row, "reason")?,
                merged_by: codec::opt_user(row, "merged_by")?,
                merged_at: codec::ts(row, "merged_at")?,
            })
        })
        .collect()
}
