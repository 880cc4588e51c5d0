//! The outbox (`outbox`): messages written by the use case that decides to send them, taken
//! and marked by the mail loop. Runs inside the caller's transaction or connection; the caller
//! audits.

use super::codec::{self, get, ts_text};
use super::error::DbResult;
use crate::outbox::{Delivery, Mail, MailId, MailState, NewMail};
use crate::outcomes::OutcomeRequestId;
use crate::{PatientId, Result, UserId};
use jiff::Timestamp;
use sqlx::AnyConnection;
use sqlx::any::AnyRow;

const SELECT: &str = "SELECT id, patient_id, request_id, recipient, subject, body, state, \
     attempts, next_attempt_at, last_error, created_at, created_by, sent_at FROM outbox";

fn mail_from(row: &AnyRow) -> Result<Mail> {
    Ok(Mail {
        id: MailId(get(row, "id")?),
        patient_id: PatientId(get(row, "patient_id")?),
        request_id: get::<Option<i64>>(row, "request_id")?.map(OutcomeRequestId),
        recipient: get(row, "recipient")?,
        subject: get(row, "subject")?,
        body: get(row, "body")?,
        state: codec::word(row, "state", MailState::parse)?,
        attempts: codec::u32_of(row, "attempts")?,
        next_attempt_at: codec::ts(row, "next_attempt_at")?,
        last_error: get(row, "last_error")?,
        created_at: codec::ts(row, "created_at")?,
        created_by: codec::opt_user(row, "created_by")?,
        sent_at: codec::opt_ts(row, "sent_at")?,
    })
}

/// Puts a message in the outbox, to go at once.
pub(crate) async fn enqueue(
    conn: &mut AnyConnection,
    mail: &NewMail,
    by: Option<UserId>,
) -> Result<MailId> {
    let now = ts_text(mail.queued_at);
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO outbox (patient_id, request_id, recipient, subject, body, state, attempts, \
         next_attempt_at, created_at, created_by) \
         VALUES ($1, $2, $3, $4, $5, 'queued', 0, $6, $6, $7) RETURNING id",
    )
    .bind(mail.patient_id.0)
    .bind(mail.request_id.map(|r| r.0))
    .bind(&mail.recipient)
    .bind(&mail.subject)
    .bind(&mail.body)
    .bind(&now)
    .bind(by.map(|u| u.0))
    .fetch_one(&mut *conn)
    .await
    .db()?;
    Ok(MailId(id))
}

/// Queued messages whose next attempt is due at `now`, the oldest first.
pub(crate) async fn waiting(
    conn: &mut AnyConnection,
    now: Timestamp,
    limit: u32,
) -> Result<Vec<Mail>> {
    sqlx::query(&format!(
        "{SELECT} WHERE state = 'queued' AND next_attempt_at <= $1 ORDER BY next_attempt_at, id \
         LIMIT $2"
    ))
    .bind(ts_text(now))
    .bind(i64::from(limit))
    .fetch_all(&mut *conn)
    .await
    .db()?
    .iter()
    .map(mail_from)
    .collect()
}

/// Takes a waiting message for one attempt: moves its next attempt to `until` if it is still
/// queued and due at `now`. `false`: another mail loop took it first.
pub(crate) async fn take(
    conn: &mut AnyConnection,
    id: MailId,
    now: Timestamp,
    until: Timestamp,
) -> Result<bool> {
    let taken = sqlx::query(
        "UPDATE outbox SET next_attempt_at = $1 \
         WHERE id = $2 AND state = 'queued' AND next_attempt_at <= $3",
    )
    .bind(ts_text(until))
    .bind(id.0)
    .bind(ts_text(now))
    .execute(&mut *conn)
    .await
    .db()?
    .rows_affected();
    Ok(taken == 1)
}

/// Records what became of an attempt by the mail loop holding the message's lease (`lease`,
/// the time `take` moved it to): a sent or abandoned message loses its body. `false`: the
/// message is no longer this loop's — given up on meanwhile (a newer link, an answer) or, its
/// lease run out, taken by another.
pub(crate) async fn record(
    conn: &mut AnyConnection,
    id: MailId,
    delivery: &Delivery,
    lease: Timestamp,
) -> Result<bool> {
    let query = match delivery {
        Delivery::Sent { at } => sqlx::query(
            "UPDATE outbox SET state = 'sent', body = NULL, sent_at = $1, \
             attempts = attempts + 1, last_error = NULL \
             WHERE id = $2 AND state = 'queued' AND next_attempt_at = $3",
        )
        .bind(ts_text(*at)),
        Delivery::Retry { error, retry_at } => sqlx::query(
            "UPDATE outbox SET attempts = attempts + 1, last_error = $1, next_attempt_at = $2 \
             WHERE id = $3 AND state = 'queued' AND next_attempt_at = $4",
        )
        .bind(error)
        .bind(ts_text(*retry_at)),
        Delivery::GaveUp { error } => sqlx::query(
            "UPDATE outbox SET state = 'failed', body = NULL, attempts = attempts + 1, \
             last_error = $1 WHERE id = $2 AND state = 'queued' AND next_attempt_at = $3",
        )
        .bind(error),
    };
    let changed = query
        .bind(id.0)
        .bind(ts_text(lease))
        .execute(&mut *conn)
        .await
        .db()?
        .rows_affected();
    Ok(changed == 1)
}

/// Gives up on the request's messages still waiting (their link replaced, or the
/// questionnaire answered): they would only send a link that no longer opens.
pub(crate) async fn supersede(
    conn: &mut AnyConnection,
    request: OutcomeRequestId,
    why: &str,
) -> Result<()> {
    sqlx::query(
        "UPDATE outbox SET state = 'failed', body = NULL, last_error = $1 \
         WHERE request_id = $2 AND state = 'queued'",
    )
    .bind(why)
    .bind(request.0)
    .execute(&mut *conn)
    .await
    .db()?;
    Ok(())
}

/// The latest messages, newest first (`patient`: only theirs).
pub(crate) async fn latest(
    conn: &mut AnyConnection,
    patient: Option<PatientId>,
    limit: u32,
) -> Result<Vec<Mail>> {
    let rows = match patient {
        Some(patient) => {
            sqlx::query(&format!(
                "{SELECT} WHERE patient_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2"
            ))
            .bind(patient.0)
            .bind(i64::from(limit))
            .fetch_all(&mut *conn)
            .await
        }
        None => {
            sqlx::query(&format!(
                "{SELECT} ORDER BY created_at DESC, id DESC LIMIT $1"
            ))
            .bind(i64::from(limit))
            .fetch_all(&mut *conn)
            .await
        }
    }
    .db()?;
    rows.iter().map(mail_from).collect()
}
