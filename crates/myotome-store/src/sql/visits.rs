//! A visit's day (`visit_steps`): steps appended and read back in order. Runs inside the
//! caller's transaction; the caller audits. The schema's triggers refuse an update or delete.

use super::codec::{self, get, placeholders, ts_text};
use super::error::DbResult;
use crate::visits::{NewVisitStep, VisitStep};
use crate::{AppointmentId, Result, UserId};
use myotome_core::visit_day::Step;
use sqlx::AnyConnection;
use sqlx::any::AnyRow;

const COLUMNS: &str = "id, appointment_id, kind, item, detail, reason, at, by_user";

fn step_from(row: &AnyRow) -> Result<VisitStep> {
    Ok(VisitStep {
        id: get(row, "id")?,
        appointment_id: AppointmentId(get(row, "appointment_id")?),
        step: NewVisitStep {
            kind: codec::word(row, "kind", Step::parse)?,
            item: get(row, "item")?,
            detail: get(row, "detail")?,
            reason: get(row, "reason")?,
            at: codec::ts(row, "at")?,
        },
        by: codec::opt_user(row, "by_user")?,
    })
}

pub(crate) async fn add(
    conn: &mut AnyConnection,
    appointment: AppointmentId,
    step: &NewVisitStep,
    by: Option<UserId>,
) -> Result<VisitStep> {
    let sql = format!(
        "INSERT INTO visit_steps (appointment_id, kind, item, detail, reason, at, by_user) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {COLUMNS}"
    );
    let row = sqlx::query(&sql)
        .bind(appointment.0)
        .bind(step.kind.as_str())
        .bind(&step.item)
        .bind(&step.detail)
        .bind(&step.reason)
        .bind(ts_text(step.at))
        .bind(by.map(|u| u.0))
        .fetch_one(&mut *conn)
        .await
        .db()?;
    step_from(&row)
}

/// The steps of the visits `ids` (at most a day's list), in the order recorded.
pub(crate) async fn of(conn: &mut AnyConnection, ids: &[AppointmentId]) -> Result<Vec<VisitStep>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT {COLUMNS} FROM visit_steps WHERE appointment_id IN ({}) ORDER BY id",
        placeholders(1, ids.len())
    );
    let mut query = sqlx::query(&sql);
    for id in ids {
        query = query.bind(id.0);
    }
    let rows = query.fetch_all(&mut *conn).await.db()?;
    rows.iter().map(step_from).collect()
}
