//! Conversions to surgery (`surgical_conversions`) and the dates the time-to-surgery curve
//! reads. Runs inside the caller's transaction or audited read; the caller audits. The
//! schema's triggers refuse any change but one withdrawal.

use super::codec::{self, date_text, get, ts_text};
use super::error::{DbResult, unique_or_database};
use super::outcomes::{Bound, FIELD, PlanConditions, RECORD, each_line};
use crate::outcomes::{
    ConversionId, NewConversion, ReportFilter, SurgicalConversion, TreatedPlan, Withdrawal,
};
use crate::{PatientId, PlanId, Result, StoreError, UserId};
use jiff::Timestamp;
use jiff::civil::Date;
use sqlx::AnyConnection;
use sqlx::any::AnyRow;

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
    .bind(ts_text(new.recorded_at))
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

/// The report's plans (not cancelled) with their first session held, their standing
/// conversion to surgery and the clinic's last contact with the patient. As with the report's
/// requests, a plan is a line and a thousand plans one row (see `outcomes::report_rows`).
pub(crate) async fn treated_plans(
    conn: &mut AnyConnection,
    filter: &ReportFilter,
) -> Result<Vec<TreatedPlan>> {
    // Each source grouped by plan once and joined (a hash or merge join), rather than four
    // look-ups per plan: on PostgreSQL the look-ups cost three times as much at 200,000 plans.
    let mut sql = String::from(
        "SELECT p.id / 1000 AS bucket, string_agg(p.id || $2 || COALESCE(a.first_session, '') \
         || $2 || COALESCE(a.last_visit, '') || $2 || COALESCE(s.last_answer, '') || $2 || \
         COALESCE(c.surgery_on, ''), $3) AS lines \
         FROM treatment_plans AS p \
         LEFT JOIN (SELECT plan_id, MIN(CASE WHEN kind = 'session' THEN date END) AS first_session, \
             MAX(date) AS last_visit FROM appointments WHERE status = 'completed' \
             GROUP BY plan_id) AS a ON a.plan_id = p.id \
         LEFT JOIN (SELECT r.plan_id, MAX(s.answered_at) AS last_answer FROM outcome_requests AS r \
             JOIN outcome_responses AS s ON s.request_id = r.id GROUP BY r.plan_id) AS s \
             ON s.plan_id = p.id \
         LEFT JOIN surgical_conversions AS c ON c.plan_id = p.id AND c.withdrawn_at IS NULL \
         WHERE p.protocol_id = $1 AND p.status <> 'cancelled'",
    );
    let conditions = PlanConditions::of(
        filter,
        vec![
            Bound::Text(filter.protocol_id.clone()),
            Bound::Text(FIELD.to_string()),
            Bound::Text(RECORD.to_string()),
        ],
    );
    let buckets = conditions
        .query(&mut sql, " GROUP BY p.id / 1000 ORDER BY bucket")
        .fetch_all(&mut *conn)
        .await
        .db()?;
    let mut out = Vec::new();
    each_line(&buckets, |line| {
        out.push(treated_line(line)?);
        Ok(())
    })?;
    Ok(out)
}

/// `plan␟first session␟last visit␟last answer␟surgery`, each date possibly empty.
fn treated_line(line: &str) -> Result<TreatedPlan> {
    let mut fields = line.split(FIELD);
    let plan: i64 = fields
        .next()
        .and_then(|id| id.parse().ok())
        .ok_or_else(|| StoreError::Unreadable {
            what: "time-to-surgery line",
            id: line.to_owned(),
        })?;
    let mut day = |column: &str| -> Result<Option<Date>> {
        match fields.next().unwrap_or("") {
            "" => Ok(None),
            // An answer's time is an instant, read as its UTC day.
            text if text.contains('T') => Ok(Some(
                codec::parse_ts(text, column)?
                    .to_zoned(jiff::tz::TimeZone::UTC)
                    .date(),
            )),
            text => codec::parse_date(text, column).map(Some),
        }
    };
    let treated_on = day("first session")?;
    let last_visit = day("last visit")?;
    let last_answer = day("last answer")?;
    let surgery_on = day("surgery_on")?;
    Ok(TreatedPlan {
        plan_id: PlanId(plan),
        treated_on,
        surgery_on,
        last_contact: last_visit.max(last_answer),
    })
}
