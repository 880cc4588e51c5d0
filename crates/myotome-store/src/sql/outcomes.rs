//! Outcome requests, their links and responses (`outcome_requests`, `outcome_links`,
//! `outcome_responses`). Runs inside the caller's transaction; the caller audits. The schema's
//! triggers refuse any change to a request's terms and any change to a response.

use super::codec::{self, date_text, get, ts_text};
use super::error::{DbResult, unique_or_database};
use crate::outcomes::{
    InstrumentRef, LinkIssued, LinkTarget, NewOutcomeRequest, NewResponse, OutcomeRequest,
    OutcomeRequestId, OutcomeResponse, ReportFilter, ReportRow, ResponseCount, ResponseDocument,
    ResponseMode,
};
use crate::{PatientId, PlanId, PlanVisit, Result, StoreError, UserId};
use jiff::Timestamp;
use jiff::civil::Date;
use sqlx::AnyConnection;
use sqlx::any::AnyRow;

/// A request with its open link and its response, one row each (at most one open link and
/// one response per request).
const SELECT: &str = "SELECT r.id, r.plan_id, r.patient_id, r.protocol_id, r.timepoint, r.label, \
     r.plan_visit, r.baseline, r.instruments, r.due_from, r.due_until, r.created_at, \
     l.created_at AS link_created_at, l.created_by AS link_created_by, \
     l.expires_at AS link_expires_at, \
     s.id AS response_id, s.mode, s.answered_at, s.entered_by, s.document \
     FROM outcome_requests AS r \
     LEFT JOIN outcome_links AS l ON l.request_id = r.id AND l.replaced_at IS NULL \
     LEFT JOIN outcome_responses AS s ON s.request_id = r.id";

fn request_from(row: &AnyRow) -> Result<OutcomeRequest> {
    let id: i64 = get(row, "id")?;
    let plan_visit: i64 = get(row, "plan_visit")?;
    let link = match codec::opt_ts(row, "link_created_at")? {
        None => None,
        Some(created_at) => Some(LinkIssued {
            created_at,
            created_by: codec::opt_user(row, "link_created_by")?,
            expires_at: codec::ts(row, "link_expires_at")?,
        }),
    };
    let response = match get::<Option<i64>>(row, "response_id")? {
        None => None,
        Some(response_id) => Some(OutcomeResponse {
            id: response_id,
            mode: codec::word(row, "mode", ResponseMode::parse)?,
            answered_at: codec::ts(row, "answered_at")?,
            entered_by: codec::opt_user(row, "entered_by")?,
            document: codec::document::<ResponseDocument>(
                row,
                "document",
                "questionnaire response",
                response_id,
            )?,
        }),
    };
    Ok(OutcomeRequest {
        id: OutcomeRequestId(id),
        plan_id: PlanId(get(row, "plan_id")?),
        patient_id: PatientId(get(row, "patient_id")?),
        protocol_id: get(row, "protocol_id")?,
        timepoint: get(row, "timepoint")?,
        label: get(row, "label")?,
        plan_visit: u32::try_from(plan_visit).ok().map(PlanVisit),
        baseline: get::<i64>(row, "baseline")? == 1,
        instruments: codec::json::<Vec<InstrumentRef>>(row, "instruments")?,
        due_from: codec::date(row, "due_from")?,
        due_until: codec::date(row, "due_until")?,
        created_at: codec::ts(row, "created_at")?,
        link,
        response,
    })
}

/// Adds the requests not made yet (a request is its plan, timepoint and plan visit); returns
/// how many were added.
pub(crate) async fn add_requests(
    conn: &mut AnyConnection,
    requests: &[NewOutcomeRequest],
) -> Result<u64> {
    let now = ts_text(codec::now());
    let mut added = 0;
    for request in requests {
        added += sqlx::query(
            "INSERT INTO outcome_requests (plan_id, patient_id, protocol_id, timepoint, label, \
             plan_visit, baseline, instruments, due_from, due_until, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
             ON CONFLICT (plan_id, timepoint, plan_visit) DO NOTHING",
        )
        .bind(request.plan_id.0)
        .bind(request.patient_id.0)
        .bind(&request.protocol_id)
        .bind(&request.timepoint)
        .bind(&request.label)
        .bind(request.plan_visit.map_or(-1, |v| i64::from(v.0)))
        .bind(i64::from(request.baseline))
        .bind(codec::json_text(&request.instruments)?)
        .bind(date_text(request.due_from))
        .bind(date_text(request.due_until))
        .bind(&now)
        .execute(&mut *conn)
        .await
        .db()?
        .rows_affected();
    }
    Ok(added)
}

pub(crate) async fn request(
    conn: &mut AnyConnection,
    id: OutcomeRequestId,
) -> Result<OutcomeRequest> {
    let row = sqlx::query(&format!("{SELECT} WHERE r.id = $1"))
        .bind(id.0)
        .fetch_optional(&mut *conn)
        .await
        .db()?
        .ok_or_else(|| StoreError::NotFound {
            what: "questionnaire request",
            id: id.to_string(),
        })?;
    request_from(&row)
}

/// Every request of a patient, in due order.
pub(crate) async fn of_patient(
    conn: &mut AnyConnection,
    patient: PatientId,
) -> Result<Vec<OutcomeRequest>> {
    sqlx::query(&format!(
        "{SELECT} WHERE r.patient_id = $1 ORDER BY r.due_from, r.id"
    ))
    .bind(patient.0)
    .fetch_all(&mut *conn)
    .await
    .db()?
    .iter()
    .map(request_from)
    .collect()
}

/// Unanswered requests whose window has opened by `today` and closed no earlier than `since`,
/// the longest overdue first.
pub(crate) async fn to_chase(
    conn: &mut AnyConnection,
    today: Date,
    since: Date,
    limit: u32,
) -> Result<Vec<OutcomeRequest>> {
    sqlx::query(&format!(
        "{SELECT} JOIN treatment_plans AS p ON p.id = r.plan_id \
         WHERE s.id IS NULL AND r.due_from <= $1 AND r.due_until >= $2 \
         AND p.status <> 'cancelled' ORDER BY r.due_until, r.id LIMIT $3"
    ))
    .bind(date_text(today))
    .bind(date_text(since))
    .bind(i64::from(limit))
    .fetch_all(&mut *conn)
    .await
    .db()?
    .iter()
    .map(request_from)
    .collect()
}

/// Per protocol and timepoint: requests whose window opened by `today`, and how many of them
/// were answered.
pub(crate) async fn response_counts(
    conn: &mut AnyConnection,
    today: Date,
) -> Result<Vec<ResponseCount>> {
    sqlx::query(
        "SELECT r.protocol_id, r.timepoint, MIN(r.label) AS label, MAX(r.baseline) AS baseline, \
         COUNT(*) AS opened, COUNT(s.id) AS answered \
         FROM outcome_requests AS r JOIN treatment_plans AS p ON p.id = r.plan_id \
         LEFT JOIN outcome_responses AS s ON s.request_id = r.id \
         WHERE (r.due_until < $1 OR s.id IS NOT NULL) AND p.status <> 'cancelled' \
         GROUP BY r.protocol_id, r.timepoint \
         ORDER BY r.protocol_id, MAX(r.baseline) DESC, MIN(r.due_from)",
    )
    .bind(date_text(today))
    .fetch_all(&mut *conn)
    .await
    .db()?
    .iter()
    .map(|row| {
        Ok(ResponseCount {
            protocol_id: get(row, "protocol_id")?,
            timepoint: get(row, "timepoint")?,
            label: get(row, "label")?,
            baseline: get::<i64>(row, "baseline")? == 1,
            opened: u64::try_from(get::<i64>(row, "opened")?).unwrap_or(0),
            answered: u64::try_from(get::<i64>(row, "answered")?).unwrap_or(0),
        })
    })
    .collect()
}

/// Replaces the request's open link (if any) by a new one.
pub(crate) async fn issue_link(
    conn: &mut AnyConnection,
    request: OutcomeRequestId,
    token_hash: &str,
    expires_at: Timestamp,
    by: Option<UserId>,
) -> Result<()> {
    let now = ts_text(codec::now());
    sqlx::query(
        "UPDATE outcome_links SET replaced_at = $1 WHERE request_id = $2 AND replaced_at IS NULL",
    )
    .bind(&now)
    .bind(request.0)
    .execute(&mut *conn)
    .await
    .db()?;
    sqlx::query(
        "INSERT INTO outcome_links (request_id, token_hash, created_at, created_by, expires_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(request.0)
    .bind(token_hash)
    .bind(&now)
    .bind(by.map(|u| u.0))
    .bind(ts_text(expires_at))
    .execute(&mut *conn)
    .await
    .db()?;
    Ok(())
}

/// The request a link's token hash opens, with the patient's first name; `None` for a hash no
/// link has.
pub(crate) async fn link_target(
    conn: &mut AnyConnection,
    token_hash: &str,
) -> Result<Option<LinkTarget>> {
    let found = sqlx::query(
        "SELECT l.request_id, l.expires_at, l.replaced_at, p.given_names \
         FROM outcome_links AS l JOIN outcome_requests AS r ON r.id = l.request_id \
         JOIN patients AS p ON p.id = r.patient_id WHERE l.token_hash = $1",
    )
    .bind(token_hash)
    .fetch_optional(&mut *conn)
    .await
    .db()?;
    let Some(row) = found else {
        return Ok(None);
    };
    let given: String = get(&row, "given_names")?;
    let target = LinkTarget {
        request: request(conn, OutcomeRequestId(get(&row, "request_id")?)).await?,
        first_name: given
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .to_owned(),
        expires_at: codec::ts(&row, "expires_at")?,
        replaced: get::<Option<String>>(&row, "replaced_at")?.is_some(),
    };
    Ok(Some(target))
}

/// Writes the response; a second one for the same request is a `Conflict`.
pub(crate) async fn add_response(
    conn: &mut AnyConnection,
    request: OutcomeRequestId,
    response: &NewResponse,
    by: Option<UserId>,
) -> Result<()> {
    let entered_by = match response.mode {
        ResponseMode::Link => None,
        ResponseMode::Phone | ResponseMode::InPerson => by.map(|u| u.0),
    };
    let response_id: i64 = sqlx::query_scalar(
        "INSERT INTO outcome_responses (request_id, mode, answered_at, entered_by, document) \
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(request.0)
    .bind(response.mode.as_str())
    .bind(ts_text(response.answered_at))
    .bind(entered_by)
    .bind(codec::json_text(&response.document)?)
    .fetch_one(&mut *conn)
    .await
    .map_err(|e| {
        unique_or_database(e, || {
            "this questionnaire was already answered; answers are kept as given".to_owned()
        })
    })?;
    for instrument in &response.document.instruments {
        for score in &instrument.scores {
            let Some(value) = score.value.filter(|v| v.is_finite()) else {
                continue;
            };
            sqlx::query(
                "INSERT INTO outcome_scores (response_id, request_id, instrument, score, value) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(response_id)
            .bind(request.0)
            .bind(&instrument.id)
            .bind(&score.id)
            .bind(value)
            .execute(&mut *conn)
            .await
            .db()?;
        }
    }
    Ok(())
}

/// The requests a cohort report reads, with their scores, in plan order.
/// A value bound to a report's query: text, or an id (PostgreSQL compares ids as integers).
pub(crate) enum Bound {
    Text(String),
    Id(i64),
}

/// The report's conditions on its plans (aliased `p`), after the caller's own leading values
/// (the protocol first, as `$1`).
pub(crate) struct PlanConditions {
    pub(crate) sql: String,
    pub(crate) values: Vec<Bound>,
}

impl PlanConditions {
    /// `leading` are the caller's values, `$1` … `$n`; the conditions number theirs after.
    pub(crate) fn of(filter: &ReportFilter, leading: Vec<Bound>) -> Self {
        let mut out = Self {
            sql: String::new(),
            values: leading,
        };
        if let Some(indication) = &filter.indication {
            out.push(" AND p.indication = ", Bound::Text(indication.clone()));
        }
        if let Some(region) = &filter.region {
            out.push(" AND p.region = ", Bound::Text(region.clone()));
        }
        if let Some(from) = filter.made_from {
            out.push(" AND p.created_at >= ", Bound::Text(date_text(from)));
        }
        if let Some(until) = filter.made_until {
            // Timestamps are RFC 3339 text: everything of that day sorts before the next day.
            out.push(
                " AND p.created_at < ",
                Bound::Text(date_text(until.tomorrow().unwrap_or(until))),
            );
        }
        if let Some(user) = filter.clinician {
            out.push(" AND p.created_by = ", Bound::Id(user.0));
        }
        // A plan "had" a lot or a product when it was issued to or given at one of its visits
        // (as a recall counts who a lot reached).
        const GIVEN: &str = " AND p.id IN (SELECT a.plan_id FROM appointments AS a \
             JOIN lot_events AS e ON e.appointment_id = a.id";
        if let Some(lot) = filter.lot {
            out.sql.push_str(GIVEN);
            out.push(
                " WHERE e.kind IN ('issued', 'administered') AND e.lot_id = ",
                Bound::Id(lot.0),
            );
            out.sql.push(')');
        }
        if let Some(product) = filter.product {
            out.sql.push_str(GIVEN);
            out.push(
                " JOIN biologic_lots AS l ON l.id = e.lot_id \
                 WHERE e.kind IN ('issued', 'administered') AND l.product_id = ",
                Bound::Id(product.0),
            );
            out.sql.push(')');
        }
        out
    }

    fn push(&mut self, condition: &str, value: Bound) {
        self.values.push(value);
        self.sql.push_str(condition);
        self.sql.push_str(&format!("${}", self.values.len()));
    }

    /// `sql` (which ends where the conditions go) with the conditions and `tail`, bound.
    pub(crate) fn query<'q>(
        &'q self,
        sql: &'q mut String,
        tail: &str,
    ) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
        sql.push_str(&self.sql);
        sql.push_str(tail);
        let mut query = sqlx::query(sql.as_str());
        for value in &self.values {
            query = match value {
                Bound::Text(text) => query.bind(text.as_str()),
                Bound::Id(id) => query.bind(*id),
            };
        }
        query
    }
}

pub(crate) async fn report_rows(
    conn: &mut AnyConnection,
    filter: &ReportFilter,
) -> Result<Vec<ReportRow>> {
    // A request with each of its scores is a line, and the database joins a bucket of a
    // thousand plans' lines into one text: a million answers arrive as a thousand rows, not
    // two million (a row through the driver costs microseconds; joining text costs nothing).
    // The separators are ASCII's unit and record separators, bound as values, which no
    // protocol's or instrument's id holds.
    // A score as text that reads back as the same f64: SQLite's own REAL-to-text keeps 15
    // digits, so it is written with 17; PostgreSQL's is exact already.
    let value = if conn.backend_name() == "SQLite" {
        "printf('%!.17g', sc.value)"
    } else {
        "(sc.value || '')"
    };
    let mut sql = format!(
        "SELECT r.plan_id / 1000 AS bucket, string_agg(\
         r.plan_id || $3 || r.id || $3 || r.patient_id || $3 || r.timepoint || $3 || \
         r.baseline || $3 || r.due_from || $3 || r.due_until || $3 || \
         CASE WHEN s.id IS NULL THEN '0' ELSE '1' END || $3 || \
         COALESCE(sc.instrument, '') || $3 || COALESCE(sc.score, '') || $3 || \
         COALESCE({value}, ''), \
         $4 ORDER BY r.plan_id, r.due_from, r.id, sc.instrument, sc.score) AS lines \
         FROM outcome_requests AS r JOIN treatment_plans AS p ON p.id = r.plan_id \
         LEFT JOIN outcome_responses AS s ON s.request_id = r.id \
         LEFT JOIN outcome_scores AS sc ON sc.response_id = s.id \
         WHERE r.protocol_id = $1 AND r.due_from <= $2 AND p.status <> 'cancelled'",
    );
    let conditions = PlanConditions::of(
        filter,
        vec![
            Bound::Text(filter.protocol_id.clone()),
            Bound::Text(date_text(filter.opened_by)),
            Bound::Text(FIELD.to_string()),
            Bound::Text(RECORD.to_string()),
        ],
    );
    let buckets = conditions
        .query(&mut sql, " GROUP BY r.plan_id / 1000 ORDER BY bucket")
        .fetch_all(&mut *conn)
        .await
        .db()?;
    let mut out: Vec<ReportRow> = Vec::new();
    each_line(&buckets, |line| {
        let (request, score) = report_line(line).ok_or_else(|| StoreError::Unreadable {
            what: "outcome report line",
            id: line.split(FIELD).nth(1).unwrap_or("?").to_owned(),
        })?;
        match out.last_mut() {
            Some(last) if last.request_id == request.request_id => {}
            _ => out.push(request),
        }
        if let (Some(score), Some(last)) = (score, out.last_mut()) {
            last.scores.push(score);
        }
        Ok(())
    })?;
    Ok(out)
}

/// Separates a bucketed line's fields, and its lines (ASCII's unit and record separators).
pub(crate) const FIELD: char = '\u{1f}';
pub(crate) const RECORD: char = '\u{1e}';

/// Each line of rows whose `lines` column joins many lines with [`RECORD`], in order.
pub(crate) fn each_line(
    buckets: &[AnyRow],
    mut each: impl FnMut(&str) -> Result<()>,
) -> Result<()> {
    for bucket in buckets {
        let lines: String = get(bucket, "lines")?;
        for line in lines.split(RECORD) {
            each(line)?;
        }
    }
    Ok(())
}

/// (instrument, score, value).
type ScoreValue = (String, String, f64);

/// One line of a report bucket: the request, and one of its scores when it has one.
fn report_line(line: &str) -> Option<(ReportRow, Option<ScoreValue>)> {
    let mut fields = line.split(FIELD);
    let mut next = || fields.next();
    let plan: i64 = next()?.parse().ok()?;
    let request: i64 = next()?.parse().ok()?;
    let patient: i64 = next()?.parse().ok()?;
    let timepoint = next()?.to_owned();
    let baseline = next()? == "1";
    let due_from: Date = next()?.parse().ok()?;
    let due_until: Date = next()?.parse().ok()?;
    let answered = next()? == "1";
    let (instrument, score, value) = (next()?, next()?, next()?);
    let score = if instrument.is_empty() {
        None
    } else {
        Some((instrument.to_owned(), score.to_owned(), value.parse().ok()?))
    };
    Some((
        ReportRow {
            request_id: OutcomeRequestId(request),
            plan_id: PlanId(plan),
            patient_id: PatientId(patient),
            timepoint,
            baseline,
            due_from,
            due_until,
            answered,
            scores: Vec::new(),
        },
        score,
    ))
}
