//! Conversions to surgery (`surgical_conversions`) and the dates the time-to-surgery curve
//! reads. Runs inside the caller's transaction or audited read; the caller audits. The
//! schema's triggers refuse any change but one withdrawal.

use super::codec::{self, date_text, get, ts_text};
use super::error::{DbResult, unique_or_database};
use super::outcomes::{Bound, PlanConditions};
use crate::outcomes::{
    ConversionId, NewConversion, ReportFilter, SurgicalConversion, TreatedPlan, Withdrawal,
};
use crate::{PatientId, PlanId, Result, StoreError, UserId};
use jiff::Timestamp;
use jiff::civil::Date;
use sqlx::AnyConnection;
use sqlx::any::AnyRow;
use std::collections::BTreeMap;

const SELECT: &str = "SELECT id, plan_id, patient_id, surgery_on, procedure, note, recorded_at, \
     recorded_by, withdrawn_at, withdrawn_by, withdrawn_reason FROM surgical_conversions";

fn conversion_from(row: &AnyRow) -> Result<SurgicalConversion> {
    let withdrawn = match codec::opt_ts(row, "withdrawn_at")? {
        None => None,
        Some(at) => Some(Withdrawal {
            at,
            by: codec::opt_user(row, "withdrawn_by")?,
            reason: get::<Option<String>>(row, "withdrawn_reason")?.unwrap_or_default(),
        }),
    };
    Ok(SurgicalConversion {
        id: ConversionId(get(row, "id")?),
        plan_id: PlanId(get(row, "plan_id")?),
        patient_id: PatientId(get(row, "patient_id")?),
        surgery_on: codec::date(row, "surgery_on")?,
        procedure: get(row, "procedure")?,
        note: get(row, "note")?,
        recorded_at: codec::ts(row, "recorded_at")?,
        recorded_by: codec::opt_user(row, "recorded_by")?,
        withdrawn,
    })
}

pub(crate) async fn add(
    conn: &mut AnyConnection,
    plan: PlanId,
    patient: PatientId,
    new: &NewConversion,
    by: Option<UserId>,
) -> Result<SurgicalConversion> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO surgical_conversions (plan_id, patient_id, surgery_on, procedure, note, \
         recorded_at, recorded_by) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(plan.0)
    .bind(patient.0)
    .bind(date_text(new.surgery_on))
    .bind(&new.procedure)
    .bind(new.note.as_deref())
    .bind(ts_text(codec::now()))
    .bind(by.map(|u| u.0))
    .fetch_one(&mut *conn)
    .await
    .map_err(|e| {
        unique_or_database(e, || {
            "this plan's conversion to surgery is already recorded; withdraw it first if it was recorded in error".to_owned()
        })
    })?;
    get_one(conn, ConversionId(id)).await
}

pub(crate) async fn get_one(
    conn: &mut AnyConnection,
    id: ConversionId,
) -> Result<SurgicalConversion> {
    let row = sqlx::query(&format!("{SELECT} WHERE id = $1"))
        .bind(id.0)
        .fetch_optional(&mut *conn)
        .await
        .db()?
        .ok_or_else(|| StoreError::NotFound {
            what: "conversion to surgery",
            id: id.to_string(),
        })?;
    conversion_from(&row)
}

pub(crate) async fn withdraw(
    conn: &mut AnyConnection,
    id: ConversionId,
    reason: &str,
    at: Timestamp,
    by: Option<UserId>,
) -> Result<()> {
    let changed = sqlx::query(
        "UPDATE surgical_conversions SET withdrawn_at = $1, withdrawn_by = $2, \
         withdrawn_reason = $3 WHERE id = $4 AND withdrawn_at IS NULL",
    )
    .bind(ts_text(at))
    .bind(by.map(|u| u.0))
    .bind(reason)
    .bind(id.0)
    .execute(&mut *conn)
    .await
    .db()?
    .rows_affected();
    if changed == 1 {
        Ok(())
    } else {
        Err(StoreError::Conflict(
            "this conversion to surgery was already withdrawn".to_owned(),
        ))
    }
}

pub(crate) async fn of_patient(
    conn: &mut AnyConnection,
    patient: PatientId,
) -> Result<Vec<SurgicalConversion>> {
    sqlx::query(&format!(
        "{SELECT} WHERE patient_id = $1 ORDER BY surgery_on, id"
    ))
    .bind(patient.0)
    .fetch_all(&mut *conn)
    .await
    .db()?
    .iter()
    .map(conversion_from)
    .collect()
}

/// Runs `select` (which ends in the report's plan conditions) with the filter's values, each
/// row a plan id and one date column; the first value per plan wins.
async fn dates_by_plan(
    conn: &mut AnyConnection,
    select: &str,
    tail: &str,
    filter: &ReportFilter,
    column: &str,
) -> Result<BTreeMap<i64, Date>> {
    let mut sql = select.to_owned();
    let conditions = PlanConditions::of(filter, vec![Bound::Text(filter.protocol_id.clone())]);
    let rows = conditions
        .query(&mut sql, tail)
        .fetch_all(&mut *conn)
        .await
        .db()?;
    let mut out = BTreeMap::new();
    for row in rows {
        let plan: i64 = get(&row, "plan_id")?;
        let text: Option<String> = get(&row, column)?;
        if let Some(text) = text {
            // A day, or an instant (an answer's time) read as its UTC day.
            let date = if text.contains('T') {
                codec::parse_ts(&text, column)?
                    .to_zoned(jiff::tz::TimeZone::UTC)
                    .date()
            } else {
                codec::parse_date(&text, column)?
            };
            out.entry(plan).or_insert(date);
        }
    }
    Ok(out)
}

/// The report's plans (not cancelled) with their first session held, their standing
/// conversion to surgery and the clinic's last contact with the patient.
pub(crate) async fn treated_plans(
    conn: &mut AnyConnection,
    filter: &ReportFilter,
) -> Result<Vec<TreatedPlan>> {
    const PLANS: &str =
        "FROM treatment_plans AS p WHERE p.protocol_id = $1 AND p.status <> 'cancelled'";
    let mut sql = format!("SELECT p.id AS plan_id {PLANS}");
    let conditions = PlanConditions::of(filter, vec![Bound::Text(filter.protocol_id.clone())]);
    let plans: Vec<i64> = conditions
        .query(&mut sql, " ORDER BY p.id")
        .fetch_all(&mut *conn)
        .await
        .db()?
        .iter()
        .map(|row| get(row, "plan_id"))
        .collect::<Result<_>>()?;
    let visits = "SELECT a.plan_id, MIN(a.date) AS first_held, MAX(a.date) AS last_held \
         FROM appointments AS a JOIN treatment_plans AS p ON p.id = a.plan_id \
         WHERE a.status = 'completed' AND p.protocol_id = $1 AND p.status <> 'cancelled'";
    let first_session = dates_by_plan(
        conn,
        &visits.replace(
            "a.status = 'completed'",
            "a.status = 'completed' AND a.kind = 'session'",
        ),
        " GROUP BY a.plan_id",
        filter,
        "first_held",
    )
    .await?;
    let last_visit =
        dates_by_plan(conn, visits, " GROUP BY a.plan_id", filter, "last_held").await?;
    let last_answer = dates_by_plan(
        conn,
        "SELECT r.plan_id, MAX(s.answered_at) AS answered FROM outcome_responses AS s \
         JOIN outcome_requests AS r ON r.id = s.request_id \
         JOIN treatment_plans AS p ON p.id = r.plan_id \
         WHERE p.protocol_id = $1 AND p.status <> 'cancelled'",
        " GROUP BY r.plan_id",
        filter,
        "answered",
    )
    .await?;
    let surgery = dates_by_plan(
        conn,
        "SELECT c.plan_id, c.surgery_on FROM surgical_conversions AS c \
         JOIN treatment_plans AS p ON p.id = c.plan_id \
         WHERE c.withdrawn_at IS NULL AND p.protocol_id = $1 AND p.status <> 'cancelled'",
        "",
        filter,
        "surgery_on",
    )
    .await?;
    Ok(plans
        .into_iter()
        .map(|plan| TreatedPlan {
            plan_id: PlanId(plan),
            treated_on: first_session.get(&plan).copied(),
            surgery_on: surgery.get(&plan).copied(),
            last_contact: [last_visit.get(&plan), last_answer.get(&plan)]
                .into_iter()
                .flatten()
                .max()
                .copied(),
        })
        .collect())
}
