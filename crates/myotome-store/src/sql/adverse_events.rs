//! Adverse events (`adverse_events`, with every version in `adverse_event_revisions`) and the
//! rows the safety report counts. Runs inside the caller's transaction or audited read; the
//! caller audits. The schema's triggers refuse deleting an event and changing a version.

use super::codec::{self, date_text, get, ts_text};
use super::error::DbResult;
use super::outcomes::Bound;
use crate::adverse_events::{
    AdverseEvent, AdverseEventDetails, AdverseEventId, AdverseEventRevision, OpenAdverseEvent,
    PatientReport, PatientReportId, ReportedVia, SafetyFilter, SafetyRows, SafetyScope, Triage,
    WaitingReport,
};
use crate::outcomes::Withdrawal;
use crate::{AppointmentId, LotId, PatientId, Result, StoreError, UserId};
use jiff::Timestamp;
use myotome_core::adverse_event::{Causality, EventOutcome, Grade, SeriousCriterion};
use sqlx::AnyConnection;
use sqlx::any::AnyRow;

/// The columns every version holds, in this order (the insert and the revision copy share
/// them).
const DETAIL_COLUMNS: &str = "term, description, onset_on, grade, serious, procedure_causality, \
     product_causality, actions_taken, outcome, ended_on, appointment_id, lot_id";

const COLUMNS: &str = "e.id, e.patient_id, e.reported_via, e.term, e.description, \
     e.onset_on, e.grade, e.serious, e.procedure_causality, e.product_causality, \
     e.actions_taken, e.outcome, e.ended_on, e.appointment_id, e.lot_id, e.version, \
     e.recorded_at, e.recorded_by, e.updated_at, e.updated_by, e.in_error_at, e.in_error_by, \
     e.in_error_reason";

fn serious_text(criteria: &[SeriousCriterion]) -> String {
    criteria
        .iter()
        .map(|c| c.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

fn details_from(row: &AnyRow) -> Result<AdverseEventDetails> {
    let grade: i64 = get(row, "grade")?;
    let unreadable = |what: &'static str| StoreError::Unreadable {
        what,
        id: get::<i64>(row, "id")
            .or_else(|_| get::<i64>(row, "event_id"))
            .map(|id| id.to_string())
            .unwrap_or_default(),
    };
    let serious_text: String = get(row, "serious")?;
    let serious = serious_text
        .split(',')
        .filter(|s| !s.is_empty())
        .map(|s| SeriousCriterion::parse(s).ok_or_else(|| unreadable("adverse event seriousness")))
        .collect::<Result<Vec<_>>>()?;
    Ok(AdverseEventDetails {
        term: get(row, "term")?,
        description: get(row, "description")?,
        onset_on: codec::date(row, "onset_on")?,
        grade: u8::try_from(grade)
            .ok()
            .and_then(Grade::from_number)
            .ok_or_else(|| unreadable("adverse event grade"))?,
        serious,
        procedure_causality: codec::word(row, "procedure_causality", Causality::parse)?,
        product_causality: codec::opt_word(row, "product_causality", Causality::parse)?,
        actions_taken: get(row, "actions_taken")?,
        outcome: codec::word(row, "outcome", EventOutcome::parse)?,
        ended_on: codec::opt_date(row, "ended_on")?,
        appointment_id: get::<Option<i64>>(row, "appointment_id")?.map(AppointmentId),
        lot_id: get::<Option<i64>>(row, "lot_id")?.map(LotId),
    })
}

fn event_from(row: &AnyRow) -> Result<AdverseEvent> {
    let in_error = match codec::opt_ts(row, "in_error_at")? {
        None => None,
        Some(at) => Some(Withdrawal {
            at,
            by: codec::opt_user(row, "in_error_by")?,
            reason: get::<Option<String>>(row, "in_error_reason")?.unwrap_or_default(),
        }),
    };
    Ok(AdverseEvent {
        id: AdverseEventId(get(row, "id")?),
        patient_id: PatientId(get(row, "patient_id")?),
        reported_via: codec::word(row, "reported_via", ReportedVia::parse)?,
        details: details_from(row)?,
        version: get(row, "version")?,
        recorded_at: codec::ts(row, "recorded_at")?,
        recorded_by: codec::opt_user(row, "recorded_by")?,
        updated_at: codec::ts(row, "updated_at")?,
        updated_by: codec::opt_user(row, "updated_by")?,
        in_error,
    })
}

/// Binds the detail columns in [`DETAIL_COLUMNS`]' order.
fn bind_details<'q>(
    query: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    details: &'q AdverseEventDetails,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    query
        .bind(details.term.as_str())
        .bind(details.description.as_str())
        .bind(date_text(details.onset_on))
        .bind(i64::from(details.grade.number()))
        .bind(serious_text(&details.serious))
        .bind(details.procedure_causality.as_str())
        .bind(details.product_causality.map(Causality::as_str))
        .bind(details.actions_taken.as_str())
        .bind(details.outcome.as_str())
        .bind(details.ended_on.map(date_text))
        .bind(details.appointment_id.map(|a| a.0))
        .bind(details.lot_id.map(|l| l.0))
}

/// Copies the event as it now stands into its versions.
async fn keep_version(conn: &mut AnyConnection, id: AdverseEventId) -> Result<()> {
    sqlx::query(&format!(
        "INSERT INTO adverse_event_revisions (event_id, version, {DETAIL_COLUMNS}, recorded_at, \
         recorded_by) SELECT id, version, {DETAIL_COLUMNS}, updated_at, updated_by \
         FROM adverse_events WHERE id = $1"
    ))
    .bind(id.0)
    .execute(&mut *conn)
    .await
    .db()?;
    Ok(())
}

pub(crate) async fn add(
    conn: &mut AnyConnection,
    patient: PatientId,
    via: ReportedVia,
    details: &AdverseEventDetails,
    at: Timestamp,
    by: Option<UserId>,
) -> Result<AdverseEvent> {
    super::patients::require_live(conn, patient).await?;
    let sql = format!(
        "INSERT INTO adverse_events ({DETAIL_COLUMNS}, patient_id, reported_via, version, \
         recorded_at, recorded_by, updated_at, updated_by) VALUES ($1, $2, $3, $4, $5, $6, $7, \
         $8, $9, $10, $11, $12, $13, $14, 1, $15, $16, $15, $16) RETURNING id"
    );
    let id: i64 = bind_details(sqlx::query(&sql), details)
        .bind(patient.0)
        .bind(via.as_str())
        .bind(ts_text(at))
        .bind(by.map(|u| u.0))
        .fetch_one(&mut *conn)
        .await
        .db()
        .and_then(|row| get(&row, "id"))?;
    let id = AdverseEventId(id);
    keep_version(conn, id).await?;
    get_one(conn, id).await
}

pub(crate) async fn get_one(conn: &mut AnyConnection, id: AdverseEventId) -> Result<AdverseEvent> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM adverse_events AS e WHERE e.id = $1"
    ))
    .bind(id.0)
    .fetch_optional(&mut *conn)
    .await
    .db()?
    .ok_or_else(|| StoreError::NotFound {
        what: "adverse event",
        id: id.to_string(),
    })?;
    event_from(&row)
}

/// Brings the event up to date, if it is still at `version` and stands; keeps the version.
pub(crate) async fn update(
    conn: &mut AnyConnection,
    event: &AdverseEvent,
    details: &AdverseEventDetails,
    at: Timestamp,
    by: Option<UserId>,
) -> Result<AdverseEvent> {
    let sql = format!(
        "UPDATE adverse_events SET ({DETAIL_COLUMNS}, version, updated_at, updated_by) = \
         ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, version + 1, $13, $14) \
         WHERE id = $15 AND version = $16 AND in_error_at IS NULL"
    );
    let changed = bind_details(sqlx::query(&sql), details)
        .bind(ts_text(at))
        .bind(by.map(|u| u.0))
        .bind(event.id.0)
        .bind(event.version)
        .execute(&mut *conn)
        .await
        .db()?
        .rows_affected();
    if changed != 1 {
        return Err(StoreError::Conflict(
            "this adverse event was changed by someone else, or marked as recorded in error, since you opened it; open it again to see it as it stands".to_owned(),
        ));
    }
    keep_version(conn, event.id).await?;
    get_one(conn, event.id).await
}

pub(crate) async fn mark_in_error(
    conn: &mut AnyConnection,
    event: &AdverseEvent,
    reason: &str,
    at: Timestamp,
    by: Option<UserId>,
) -> Result<()> {
    let changed = sqlx::query(
        "UPDATE adverse_events SET in_error_at = $1, in_error_by = $2, in_error_reason = $3 \
         WHERE id = $4 AND in_error_at IS NULL AND version = $5",
    )
    .bind(ts_text(at))
    .bind(by.map(|u| u.0))
    .bind(reason)
    .bind(event.id.0)
    .bind(event.version)
    .execute(&mut *conn)
    .await
    .db()?
    .rows_affected();
    if changed == 1 {
        Ok(())
    } else {
        Err(StoreError::Conflict(
            "this adverse event is already marked as recorded in error, or was changed since it was read".to_owned(),
        ))
    }
}

/// Every event on the patient's chart (in error too), the latest onset first.
pub(crate) async fn of_patient(
    conn: &mut AnyConnection,
    patient: PatientId,
) -> Result<Vec<AdverseEvent>> {
    sqlx::query(&format!(
        "SELECT {COLUMNS} FROM adverse_events AS e WHERE e.patient_id = $1 ORDER BY e.onset_on DESC, e.id DESC"
    ))
    .bind(patient.0)
    .fetch_all(&mut *conn)
    .await
    .db()?
    .iter()
    .map(event_from)
    .collect()
}

/// Every version of an event, the first first.
pub(crate) async fn revisions(
    conn: &mut AnyConnection,
    id: AdverseEventId,
) -> Result<Vec<AdverseEventRevision>> {
    sqlx::query(&format!(
        "SELECT event_id, version, {DETAIL_COLUMNS}, recorded_at, recorded_by \
         FROM adverse_event_revisions WHERE event_id = $1 ORDER BY version"
    ))
    .bind(id.0)
    .fetch_all(&mut *conn)
    .await
    .db()?
    .iter()
    .map(|row| {
        Ok(AdverseEventRevision {
            version: get(row, "version")?,
            details: details_from(row)?,
            recorded_at: codec::ts(row, "recorded_at")?,
            recorded_by: codec::opt_user(row, "recorded_by")?,
        })
    })
    .collect()
}

/// Standing events not over yet, serious first, then the earliest onset, at most `limit`.
pub(crate) async fn open(conn: &mut AnyConnection, limit: u32) -> Result<Vec<OpenAdverseEvent>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS}, p.given_names, p.family_name FROM adverse_events AS e \
         JOIN patients AS p ON p.id = e.patient_id \
         WHERE e.in_error_at IS NULL AND e.outcome IN ('ongoing', 'recovering', 'unknown') \
         ORDER BY CASE WHEN e.serious = '' THEN 1 ELSE 0 END, e.onset_on, e.id LIMIT $1"
    ))
    .bind(i64::from(limit))
    .fetch_all(&mut *conn)
    .await
    .db()?;
    rows.iter()
        .map(|row| {
            Ok(OpenAdverseEvent {
                event: event_from(row)?,
                patient_name: format!(
                    "{} {}",
                    get::<String>(row, "given_names")?,
                    get::<String>(row, "family_name")?
                ),
            })
        })
        .collect()
}

/// The procedures in the report's scope and the standing events that followed them. A session
/// held counts whatever became of its plan since: a plan is often cancelled because of the
/// very event the report must count.
pub(crate) async fn safety_rows(
    conn: &mut AnyConnection,
    filter: &SafetyFilter,
) -> Result<SafetyRows> {
    // The procedures: held sessions of the protocol's plans (not cancelled), or the visits
    // the lot was given at; in the period by the visit's date.
    let (mut procedures, first) = match &filter.scope {
        SafetyScope::Protocol(protocol) => (
            String::from(
                "SELECT a.id FROM appointments AS a JOIN treatment_plans AS p ON p.id = a.plan_id \
                 WHERE a.kind = 'session' AND a.status = 'completed' AND p.protocol_id = $1",
            ),
            Bound::Text(protocol.clone()),
        ),
        SafetyScope::Lot(lot) => (
            String::from(
                "SELECT DISTINCT a.id FROM appointments AS a JOIN lot_events AS l \
                 ON l.appointment_id = a.id WHERE l.kind = 'administered' AND l.lot_id = $1",
            ),
            Bound::Id(lot.0),
        ),
    };
    let mut values = vec![first];
    if let Some(from) = filter.from {
        values.push(Bound::Text(date_text(from)));
        procedures.push_str(&format!(" AND a.date >= ${}", values.len()));
    }
    if let Some(until) = filter.until {
        values.push(Bound::Text(date_text(until)));
        procedures.push_str(&format!(" AND a.date <= ${}", values.len()));
    }
    let count_sql = format!("SELECT COUNT(*) AS n FROM ({procedures}) AS q");
    let count: i64 = bound(&count_sql, &values)
        .fetch_one(&mut *conn)
        .await
        .db()
        .and_then(|row| get(&row, "n"))?;
    let events_sql = format!(
        "SELECT {COLUMNS} FROM adverse_events AS e WHERE e.in_error_at IS NULL AND e.appointment_id IN ({procedures}) \
         ORDER BY e.onset_on, e.id"
    );
    let events = bound(&events_sql, &values)
        .fetch_all(&mut *conn)
        .await
        .db()?
        .iter()
        .map(event_from)
        .collect::<Result<Vec<_>>>()?;
    Ok(SafetyRows {
        procedures: u64::try_from(count).unwrap_or(0),
        events,
    })
}

fn bound<'q>(
    sql: &'q str,
    values: &'q [Bound],
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    values
        .iter()
        .fold(sqlx::query(sql), |query, value| match value {
            Bound::Text(text) => query.bind(text.as_str()),
            Bound::Id(id) => query.bind(*id),
        })
}

// --- What patients reported through a link ------------------------------------------------------

const REPORT_COLUMNS: &str = "r.id, r.request_id, r.patient_id, r.text, r.reported_at, \
     r.triaged_at, r.triaged_by, r.adverse_event_id, r.triage_note";

fn report_from(row: &AnyRow) -> Result<PatientReport> {
    let triage = match codec::opt_ts(row, "triaged_at")? {
        None => None,
        Some(at) => Some(Triage {
            at,
            by: codec::opt_user(row, "triaged_by")?,
            event: get::<Option<i64>>(row, "adverse_event_id")?.map(AdverseEventId),
            note: get(row, "triage_note")?,
        }),
    };
    Ok(PatientReport {
        id: PatientReportId(get(row, "id")?),
        request_id: crate::OutcomeRequestId(get(row, "request_id")?),
        patient_id: PatientId(get(row, "patient_id")?),
        text: get(row, "text")?,
        reported_at: codec::ts(row, "reported_at")?,
        triage,
    })
}

/// Keeps what the patient wrote with the questionnaire's answers; one per questionnaire.
pub(crate) async fn add_report(
    conn: &mut AnyConnection,
    request: crate::OutcomeRequestId,
    patient: PatientId,
    text: &str,
    at: Timestamp,
) -> Result<PatientReportId> {
    let id: i64 = sqlx::query(
        "INSERT INTO adverse_event_reports (request_id, patient_id, text, reported_at) \
         VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(request.0)
    .bind(patient.0)
    .bind(text)
    .bind(ts_text(at))
    .fetch_one(&mut *conn)
    .await
    .db()
    .and_then(|row| get(&row, "id"))?;
    Ok(PatientReportId(id))
}

pub(crate) async fn report(conn: &mut AnyConnection, id: PatientReportId) -> Result<PatientReport> {
    let row = sqlx::query(&format!(
        "SELECT {REPORT_COLUMNS} FROM adverse_event_reports AS r WHERE r.id = $1"
    ))
    .bind(id.0)
    .fetch_optional(&mut *conn)
    .await
    .db()?
    .ok_or_else(|| StoreError::NotFound {
        what: "patient's report",
        id: id.to_string(),
    })?;
    report_from(&row)
}

/// Triages a report not triaged yet: recorded as `event`, or not an event for `note`.
pub(crate) async fn triage(
    conn: &mut AnyConnection,
    id: PatientReportId,
    event: Option<AdverseEventId>,
    note: Option<&str>,
    at: Timestamp,
    by: Option<UserId>,
) -> Result<()> {
    let changed = sqlx::query(
        "UPDATE adverse_event_reports SET triaged_at = $1, triaged_by = $2, \
         adverse_event_id = $3, triage_note = $4 WHERE id = $5 AND triaged_at IS NULL",
    )
    .bind(ts_text(at))
    .bind(by.map(|u| u.0))
    .bind(event.map(|e| e.0))
    .bind(note)
    .bind(id.0)
    .execute(&mut *conn)
    .await
    .db()?
    .rows_affected();
    if changed == 1 {
        Ok(())
    } else {
        Err(StoreError::Conflict(
            "this report was triaged already; open the patient's chart to see what became of it"
                .to_owned(),
        ))
    }
}

/// Reports not triaged yet, the oldest first, at most `limit`.
pub(crate) async fn waiting(conn: &mut AnyConnection, limit: u32) -> Result<Vec<WaitingReport>> {
    sqlx::query(&format!(
        "SELECT {REPORT_COLUMNS}, p.given_names, p.family_name, q.label AS timepoint \
         FROM adverse_event_reports AS r JOIN patients AS p ON p.id = r.patient_id \
         JOIN outcome_requests AS q ON q.id = r.request_id \
         WHERE r.triaged_at IS NULL ORDER BY r.reported_at, r.id LIMIT $1"
    ))
    .bind(i64::from(limit))
    .fetch_all(&mut *conn)
    .await
    .db()?
    .iter()
    .map(|row| {
        Ok(WaitingReport {
            report: report_from(row)?,
            patient_name: format!(
                "{} {}",
                get::<String>(row, "given_names")?,
                get::<String>(row, "family_name")?
            ),
            timepoint: get(row, "timepoint")?,
        })
    })
    .collect()
}
