//! The audit log: append-only rows in `audit_events`, hash-chained, appended inside the
//! transaction of the action they record (so an acknowledged action always has its row, and a
//! failed append fails the action).
//!
//! # What the log defends against
//!
//! The database refuses (the first by migration 0001, the rest by 0002):
//! - updating or deleting an audit row or an index row (`audit_events`, `audit_listed`);
//! - inserting a row whose seq is not the one just reserved in `audit_head` (so no forged
//!   row at seq 0 or below, and none beyond the head), and an index row with seq below 1;
//! - moving the head back, skipping seqs, pointing it at a hash that is not its row's, or
//!   deleting it;
//! - on PostgreSQL, `TRUNCATE` of any of the three tables (which row triggers do not see).
//!
//! Someone who can drop those triggers (DDL rights) gets past the refusals, and [`verify`]
//! then names the first row that is wrong: an edited row (hash mismatch), a deleted row (gap in
//! seq), deleted newest rows (head beyond the last row), a re-linked or re-numbered row
//! (`prev_hash` mismatch), a forged row outside `1..=head` in either table, an edited index,
//! and a head that was rewound without rewriting the rows after it.
//!
//! What the chain alone cannot detect: the hash is unkeyed, so someone with write access who
//! rewrites rows *and recomputes every hash after them and the head* produces a chain that
//! verifies. Anchoring closes that: an intact [`verify`] returns the head hash; an operator
//! records `(rows, head_hash)` outside the database (a ticket, a printed log, another
//! system), and later confirms with `Store::audit_anchor(rows)` that row still has that hash.
//! A recompute of any row up to an anchor changes the anchor row's hash, and emptying the
//! whole log and resetting the head to the genesis hash (which looks like a new database)
//! removes the anchor row; rows written after the newest anchor are covered only once a newer
//! anchor is recorded.
//!
//! # Appending
//!
//! 1. `UPDATE audit_head SET seq = seq + 1 WHERE id = 1 RETURNING seq, hash` — the new seq and
//!    the previous row's hash. This write takes the head row's lock on PostgreSQL and the
//!    database write lock on SQLite, so appends from every connection and every `serve`
//!    process are serialised into one chain; a transaction that rolls back gives its seq back.
//! 2. `hash = chain_hash(prev_hash, row)`; the row is inserted with `prev_hash` and `hash`,
//!    and one `audit_listed` row per distinct listed patient.
//! 3. `UPDATE audit_head SET hash = $hash` so the next append links to this row.
//!
//! # The hash
//!
//! `hash = lower-hex(SHA-256(encoding))`, where `encoding` is the concatenation of, in order:
//!
//! | field | encoding |
//! |---|---|
//! | prev_hash | text |
//! | seq | i64 |
//! | at | text (exactly as stored, RFC 3339 with six fraction digits) |
//! | actor_user_id | optional i64 |
//! | actor_name | text |
//! | from | text |
//! | action | text |
//! | patient_id | optional i64 |
//! | listed_patients | u64 count, then each id as i64, in the order listed |
//! | target | optional text |
//!
//! with *text* = u64 byte length (big-endian) followed by the UTF-8 bytes; *i64* = 8 bytes
//! big-endian two's complement; *optional* = one byte `0` for none, or `1` followed by the
//! value. Every field is length-prefixed or fixed-width, so no two different rows encode to
//! the same bytes (moving a character from one field to the next changes the encoding).
//!
//! The first row links to the genesis hash (64 zeros) that the migration seeds in
//! `audit_head`.
//!
//! # Finding a patient's events
//!
//! A list or search records the patients it showed. They are kept twice: in the hashed row as
//! text (`12,15`, the evidence) and in `audit_listed(seq, patient_id)`, an index table, so a
//! patient's trail is an index lookup. A `LIKE '%,12,%'` over the text column would read every
//! event ever written; the log grows by every page view. Verification checks the index table
//! against the hashed rows, so deleting index rows to hide a trail is detected too.
//!
//! # Verifying
//!
//! [`verify`] first looks for rows numbered below 1 in either table (forged: the chain starts
//! at 1, and the walk would never reach them, while a patient's trail would show them). It
//! then pages through the rows in seq order (1,000 at a time: memory stays bounded for any
//! length of log) inside one snapshot, and reports the first row that fails, with why: a gap
//! in seq (rows deleted), a row beyond the head (forged), a `prev_hash` that does not link (row
//! re-linked or a row before it replaced), a hash that does not match the row (row edited), an
//! index row that does not match or lies beyond the last row, or a head that does not match
//! the last row (newest rows deleted).

use super::codec::{self, get};
use super::error::{DbResult, corrupt};
use crate::{Actor, AuditAction, AuditEvent, ChainCheck, PatientId, Result, UserId};
use sha2::{Digest, Sha256};
use sqlx::AnyConnection;
use sqlx::any::AnyRow;

/// The hash the first row links to.
pub(crate) const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Rows verified per query.
const PAGE: i64 = 1000;

/// A seq handed out by the head, with the hash of the row before it.
pub(crate) struct Reservation {
    seq: i64,
    prev_hash: String,
}

/// Appends `actions` in order, the first with `early` (a seq reserved before the operation)
/// when there is one: the end of every audited transaction. At least one action is required:
/// a transaction that names none must not commit (nor leave a reserved seq without its row,
/// which would show as a gap in the chain); the caller drops it, which rolls back.
pub(crate) async fn append_all(
    conn: &mut AnyConnection,
    mut early: Option<Reservation>,
    actor: &Actor,
    actions: &[AuditAction],
) -> Result<()> {
    if actions.is_empty() {
        return Err(crate::StoreError::Database(
            "an audited transaction named no audit event; nothing was stored".into(),
        ));
    }
    for action in actions {
        let reservation = match early.take() {
            Some(reservation) => reservation,
            None => reserve(conn).await?,
        };
        write(conn, reservation, actor, action).await?;
    }
    Ok(())
}

/// Takes the next seq (and with it the lock that serialises appends). Then [`write`] the row.
pub(crate) async fn reserve(conn: &mut AnyConnection) -> Result<Reservation> {
    let row = sqlx::query("UPDATE audit_head SET seq = seq + 1 WHERE id = 1 RETURNING seq, hash")
        .fetch_optional(&mut *conn)
        .await
        .db()?
        .ok_or_else(|| {
            corrupt("the audit_head row is missing; the database was altered outside Myotome")
        })?;
    Ok(Reservation {
        seq: get(&row, "seq")?,
        prev_hash: get(&row, "hash")?,
    })
}

/// Writes the event for a seq taken earlier in the same transaction.
pub(crate) async fn write(
    conn: &mut AnyConnection,
    reservation: Reservation,
    actor: &Actor,
    action: &AuditAction,
) -> Result<()> {
    let at = codec::ts_text(codec::now());
    let listed = listed_text(&action.listed_patients);
    let fields = Fields {
        seq: reservation.seq,
        at: &at,
        actor_user_id: actor.user_id.map(|id| id.0),
        actor_name: &actor.name,
        from: &actor.from,
        action: &action.action,
        patient_id: action.patient_id.map(|id| id.0),
        listed_patients: &action
            .listed_patients
            .iter()
            .map(|id| id.0)
            .collect::<Vec<_>>(),
        target: action.target.as_deref(),
    };
    let hash = chain_hash(&reservation.prev_hash, &fields);
    sqlx::query(
        "INSERT INTO audit_events (seq, at, actor_user_id, actor_name, from_addr, action, \
         patient_id, listed_patients, target, prev_hash, hash) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(fields.seq)
    .bind(fields.at)
    .bind(fields.actor_user_id)
    .bind(fields.actor_name)
    .bind(fields.from)
    .bind(fields.action)
    .bind(fields.patient_id)
    .bind(&listed)
    .bind(fields.target)
    .bind(&reservation.prev_hash)
    .bind(&hash)
    .execute(&mut *conn)
    .await
    .db()?;

    let distinct = distinct_sorted(fields.listed_patients);
    // Chunks keep each statement well under both backends' parameter limits (a calendar can
    // list thousands of patients).
    for chunk in distinct.chunks(400) {
        let values = (0..chunk.len())
            .map(|i| format!("($1, ${})", i + 2))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!("INSERT INTO audit_listed (seq, patient_id) VALUES {values}");
        let mut query = sqlx::query(&sql).bind(fields.seq);
        for id in chunk {
            query = query.bind(*id);
        }
        query.execute(&mut *conn).await.db()?;
    }

    sqlx::query("UPDATE audit_head SET hash = $1 WHERE id = 1")
        .bind(&hash)
        .execute(&mut *conn)
        .await
        .db()?;
    Ok(())
}

/// The hashed fields of one row.
struct Fields<'a> {
    seq: i64,
    at: &'a str,
    actor_user_id: Option<i64>,
    actor_name: &'a str,
    from: &'a str,
    action: &'a str,
    patient_id: Option<i64>,
    listed_patients: &'a [i64],
    target: Option<&'a str>,
}

/// See the module documentation for the encoding.
fn chain_hash(prev_hash: &str, row: &Fields<'_>) -> String {
    fn text(hasher: &mut Sha256, value: &str) {
        hasher.update((value.len() as u64).to_be_bytes());
        hasher.update(value.as_bytes());
    }
    fn int(hasher: &mut Sha256, value: i64) {
        hasher.update(value.to_be_bytes());
    }
    let mut hasher = Sha256::new();
    text(&mut hasher, prev_hash);
    int(&mut hasher, row.seq);
    text(&mut hasher, row.at);
    match row.actor_user_id {
        None => hasher.update([0u8]),
        Some(id) => {
            hasher.update([1u8]);
            int(&mut hasher, id);
        }
    }
    text(&mut hasher, row.actor_name);
    text(&mut hasher, row.from);
    text(&mut hasher, row.action);
    match row.patient_id {
        None => hasher.update([0u8]),
        Some(id) => {
            hasher.update([1u8]);
            int(&mut hasher, id);
        }
    }
    hasher.update((row.listed_patients.len() as u64).to_be_bytes());
    for id in row.listed_patients {
        int(&mut hasher, *id);
    }
    match row.target {
        None => hasher.update([0u8]),
        Some(target) => {
            hasher.update([1u8]);
            text(&mut hasher, target);
        }
    }
    hex::encode(hasher.finalize())
}

fn listed_text(ids: &[PatientId]) -> String {
    ids.iter()
        .map(|id| id.0.to_string())
        .collect::<Vec<_>>()
        .join(",")
}

fn parse_listed(text: &str) -> Option<Vec<i64>> {
    if text.is_empty() {
        return Some(Vec::new());
    }
    text.split(',').map(|id| id.parse().ok()).collect()
}

fn distinct_sorted(ids: &[i64]) -> Vec<i64> {
    let mut ids = ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    ids
}

const COLUMNS: &str = "seq, at, actor_user_id, actor_name, from_addr, action, patient_id, \
                       listed_patients, target, prev_hash, hash";

fn event(row: &AnyRow) -> Result<AuditEvent> {
    let listed: String = get(row, "listed_patients")?;
    let listed = parse_listed(&listed)
        .ok_or_else(|| corrupt("column `listed_patients` is not a list of ids"))?;
    Ok(AuditEvent {
        seq: get(row, "seq")?,
        at: codec::ts(row, "at")?,
        actor_user_id: get::<Option<i64>>(row, "actor_user_id")?.map(UserId),
        actor_name: get(row, "actor_name")?,
        from: get(row, "from_addr")?,
        action: get(row, "action")?,
        patient_id: get::<Option<i64>>(row, "patient_id")?.map(PatientId),
        listed_patients: listed.into_iter().map(PatientId).collect(),
        target: get(row, "target")?,
        prev_hash: get(row, "prev_hash")?,
        hash: get(row, "hash")?,
    })
}

/// Every event about the patient (as subject or listed), oldest first.
pub(crate) async fn trail(conn: &mut AnyConnection, patient: PatientId) -> Result<Vec<AuditEvent>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM audit_events \
         WHERE patient_id = $1 OR seq IN (SELECT seq FROM audit_listed WHERE patient_id = $1) \
         ORDER BY seq"
    );
    let rows = sqlx::query(&sql)
        .bind(patient.0)
        .fetch_all(&mut *conn)
        .await
        .db()?;
    rows.iter().map(event).collect()
}

/// One row as stored, for verification: text kept exactly as stored, nothing parsed that
/// could fail before the hash is checked.
struct StoredRow {
    seq: i64,
    at: String,
    actor_user_id: Option<i64>,
    actor_name: String,
    from: String,
    action: String,
    patient_id: Option<i64>,
    listed_patients: String,
    target: Option<String>,
    prev_hash: String,
    hash: String,
}

fn stored_row(row: &AnyRow) -> Result<StoredRow> {
    Ok(StoredRow {
        seq: get(row, "seq")?,
        at: get(row, "at")?,
        actor_user_id: get(row, "actor_user_id")?,
        actor_name: get(row, "actor_name")?,
        from: get(row, "from_addr")?,
        action: get(row, "action")?,
        patient_id: get(row, "patient_id")?,
        listed_patients: get(row, "listed_patients")?,
        target: get(row, "target")?,
        prev_hash: get(row, "prev_hash")?,
        hash: get(row, "hash")?,
    })
}

fn broken(seq: i64, rows_checked: u64, reason: String) -> ChainCheck {
    ChainCheck::Broken {
        seq,
        rows_checked,
        reason,
    }
}

/// Walks the whole chain (see the module documentation). Run it inside one snapshot.
pub(crate) async fn verify(conn: &mut AnyConnection) -> Result<ChainCheck> {
    let head = sqlx::query("SELECT seq, hash FROM audit_head WHERE id = 1")
        .fetch_optional(&mut *conn)
        .await
        .db()?
        .ok_or_else(|| {
            corrupt("the audit_head row is missing; the database was altered outside Myotome")
        })?;
    let head_seq: i64 = get(&head, "seq")?;
    let head_hash: String = get(&head, "hash")?;

    // Rows before row 1 are outside the chain: the walk below starts at 1 and would never see
    // them, but a patient's trail would show them.
    if let Some(seq) = lowest_below_1(conn, "audit_events").await? {
        return Ok(broken(
            seq,
            0,
            format!(
                "row {seq} lies outside the chain, which starts at row 1; it was added outside Myotome"
            ),
        ));
    }
    if let Some(seq) = lowest_below_1(conn, "audit_listed").await? {
        return Ok(broken(
            seq,
            0,
            format!(
                "the patient index (audit_listed) has a row for audit row {seq}, outside the chain, which starts at row 1; it was added outside Myotome"
            ),
        ));
    }

    let page_sql =
        format!("SELECT {COLUMNS} FROM audit_events WHERE seq > $1 ORDER BY seq LIMIT $2");
    let mut expected: i64 = 1;
    let mut prev_hash = GENESIS.to_owned();
    let mut checked: u64 = 0;
    loop {
        let rows = sqlx::query(&page_sql)
            .bind(expected - 1)
            .bind(PAGE)
            .fetch_all(&mut *conn)
            .await
            .db()?;
        let Some(last) = rows.last() else { break };
        let first_seq = expected;
        let last_seq: i64 = get(last, "seq")?;
        // The index rows of this page, to compare with the hashed lists.
        let index_rows = sqlx::query(
            "SELECT seq, patient_id FROM audit_listed WHERE seq >= $1 AND seq <= $2 \
             ORDER BY seq, patient_id",
        )
        .bind(first_seq)
        .bind(last_seq)
        .fetch_all(&mut *conn)
        .await
        .db()?;
        let mut index = Vec::with_capacity(index_rows.len());
        for row in &index_rows {
            index.push((get::<i64>(row, "seq")?, get::<i64>(row, "patient_id")?));
        }
        let mut index = index.into_iter().peekable();

        for row in &rows {
            let row = stored_row(row)?;
            let seq = row.seq;
            if seq != expected {
                let reason = if expected == 1 {
                    format!(
                        "row 1 is missing: the chain starts at row {seq}; the oldest audit rows were deleted"
                    )
                } else {
                    format!(
                        "row {expected} is missing: row {} is followed by row {seq}; audit rows were deleted",
                        expected - 1
                    )
                };
                return Ok(broken(expected, checked, reason));
            }
            if seq > head_seq {
                return Ok(broken(
                    seq,
                    checked,
                    format!(
                        "row {seq} lies beyond the chain head (row {head_seq}); it was added outside Myotome"
                    ),
                ));
            }
            if row.prev_hash != prev_hash {
                return Ok(broken(
                    seq,
                    checked,
                    format!(
                        "row {seq} does not link to the row before it: its prev_hash is not that row's hash; it was re-linked, or the row before it was replaced"
                    ),
                ));
            }
            let Some(listed) = parse_listed(&row.listed_patients) else {
                return Ok(broken(
                    seq,
                    checked,
                    format!(
                        "row {seq} was altered after it was written: its listed patients are not a list of ids"
                    ),
                ));
            };
            let fields = Fields {
                seq,
                at: &row.at,
                actor_user_id: row.actor_user_id,
                actor_name: &row.actor_name,
                from: &row.from,
                action: &row.action,
                patient_id: row.patient_id,
                listed_patients: &listed,
                target: row.target.as_deref(),
            };
            if chain_hash(&row.prev_hash, &fields) != row.hash {
                return Ok(broken(
                    seq,
                    checked,
                    format!(
                        "row {seq} was altered after it was written: its contents no longer match its hash"
                    ),
                ));
            }
            let mut indexed = Vec::new();
            while let Some((_, patient)) = index.next_if(|(index_seq, _)| *index_seq == seq) {
                indexed.push(patient);
            }
            if index.peek().is_some_and(|(index_seq, _)| *index_seq < seq)
                || indexed != distinct_sorted(&listed)
            {
                return Ok(broken(
                    seq,
                    checked,
                    format!(
                        "the patient index (audit_listed) does not match row {seq}: index rows were edited, so a patient's audit trail would be incomplete"
                    ),
                ));
            }
            prev_hash = row.hash;
            expected += 1;
            checked += 1;
        }
        if index.next().is_some() {
            return Ok(broken(
                expected - 1,
                checked,
                format!(
                    "the patient index (audit_listed) has rows for audit rows that do not exist near row {}; it was edited",
                    expected - 1
                ),
            ));
        }
    }

    let last = expected - 1;
    let beyond: Option<i64> =
        sqlx::query_scalar("SELECT MIN(seq) FROM audit_listed WHERE seq > $1")
            .bind(last)
            .fetch_one(&mut *conn)
            .await
            .db()?;
    if let Some(seq) = beyond {
        return Ok(broken(
            seq,
            checked,
            format!(
                "the patient index (audit_listed) has a row for audit row {seq}, beyond the last row of the log (row {last}); it was added outside Myotome"
            ),
        ));
    }
    if last < head_seq {
        let reason = if last + 1 == head_seq {
            format!(
                "row {head_seq} is missing: the chain head records {head_seq} rows but the log ends at row {last}; the newest row was deleted"
            )
        } else {
            format!(
                "rows {} to {head_seq} are missing: the chain head records {head_seq} rows but the log ends at row {last}; the newest rows were deleted",
                last + 1
            )
        };
        return Ok(broken(last + 1, checked, reason));
    }
    if prev_hash != head_hash {
        return Ok(broken(
            last,
            checked,
            format!(
                "the chain head does not match row {last}: the head or the last row was rewritten"
            ),
        ));
    }
    Ok(ChainCheck::Intact {
        rows: checked,
        head_hash,
    })
}

/// The lowest seq below 1 in `table`, if any.
async fn lowest_below_1(conn: &mut AnyConnection, table: &'static str) -> Result<Option<i64>> {
    let sql = format!("SELECT MIN(seq) FROM {table} WHERE seq < 1");
    sqlx::query_scalar(&sql).fetch_one(&mut *conn).await.db()
}

/// The stored hash of row `seq`, for checking a recorded anchor.
pub(crate) async fn anchor(conn: &mut AnyConnection, seq: i64) -> Result<Option<String>> {
    sqlx::query_scalar("SELECT hash FROM audit_events WHERE seq = $1")
        .bind(seq)
        .fetch_optional(&mut *conn)
        .await
        .db()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields<'a>(action: &'a str, target: Option<&'a str>, listed: &'a [i64]) -> Fields<'a> {
        Fields {
            seq: 1,
            at: "2025-01-01T00:00:00.000000Z",
            actor_user_id: Some(1),
            actor_name: "ana",
            from: "127.0.0.1",
            action,
            patient_id: None,
            listed_patients: listed,
            target,
        }
    }

    #[test]
    fn the_hash_is_hex_sha256_and_depends_on_the_previous_hash() {
        let row = fields("patient.read", None, &[]);
        let hash = chain_hash(GENESIS, &row);
        assert_eq!(hash.len(), 64);
        assert!(hash.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(hash, chain_hash(&hash, &row));
    }

    #[test]
    fn moving_text_between_fields_changes_the_hash() {
        let a = chain_hash(GENESIS, &fields("patient.read", Some("x"), &[]));
        let b = chain_hash(GENESIS, &fields("patient.readx", Some(""), &[]));
        let c = chain_hash(GENESIS, &fields("patient.readx", None, &[]));
        assert_ne!(a, b);
        assert_ne!(b, c);
        assert_ne!(
            chain_hash(GENESIS, &fields("a", None, &[1, 2])),
            chain_hash(GENESIS, &fields("a", None, &[2, 1]))
        );
    }

    #[test]
    fn listed_patients_round_trip_as_text() {
        let ids = [PatientId(12), PatientId(15)];
        assert_eq!(listed_text(&ids), "12,15");
        assert_eq!(parse_listed("12,15"), Some(vec![12, 15]));
        assert_eq!(parse_listed(""), Some(vec![]));
        assert_eq!(parse_listed("12,x"), None);
    }
}
