//! Treatment plans (`treatment_plans`), appointments (`appointments`) and the calendar. Runs
//! inside the caller's transaction; the caller audits.
//!
//! An appointment's plan must be a plan of the same patient: the schema enforces it with the
//! composite key `(plan_id, patient_id)`, and the functions here check first so the caller
//! gets a sentence instead of a constraint error.

use super::codec::{self, date_text, get, json_text, ts_text};
use super::error::DbResult;
use super::patients::{require, require_live, stale_or_missing};
use crate::{
    Appointment, AppointmentDetails, AppointmentId, CalendarQuery, PatientId, PlanDetails, PlanId,
    PlanStatus, PlanVisit, Result, Side, StoreError, TreatmentPlan, UserId,
};
use sqlx::AnyConnection;
use sqlx::any::AnyRow;

// --- Plans --------------------------------------------------------------------------------------

const PLAN_COLUMNS: &str = "id, patient_id, protocol_id, protocol_version, indication, region, \
     side, target_sites, dose, schedule, notes, safety, settings_version, status, version, \
     created_at, created_by, updated_at";

fn plan_from(row: &AnyRow) -> Result<TreatmentPlan> {
    let id: i64 = get(row, "id")?;
    Ok(TreatmentPlan {
        id: PlanId(id),
        patient_id: PatientId(get(row, "patient_id")?),
        details: PlanDetails {
            protocol_id: get(row, "protocol_id")?,
            protocol_version: get(row, "protocol_version")?,
            indication: get(row, "indication")?,
            region: get(row, "region")?,
            side: codec::opt_word(row, "side", Side::parse)?,
            target_sites: codec::json(row, "target_sites")?,
            dose: codec::opt_document(row, "dose", "plan", id)?,
            schedule: codec::document(row, "schedule", "plan", id)?,
            notes: get(row, "notes")?,
            safety: codec::opt_document(row, "safety", "plan", id)?,
            settings_version: get(row, "settings_version")?,
        },
        status: codec::word(row, "status", codec::parse_plan_status)?,
        version: get(row, "version")?,
        created_at: codec::ts(row, "created_at")?,
        created_by: codec::opt_user(row, "created_by")?,
        updated_at: codec::ts(row, "updated_at")?,
    })
}

fn plan_not_found(id: PlanId) -> StoreError {
    StoreError::NotFound {
        what: "plan",
        id: id.to_string(),
    }
}

pub(crate) async fn create_plan(
    conn: &mut AnyConnection,
    patient: PatientId,
    plan: &PlanDetails,
    appointments: &[AppointmentDetails],
    created_by: Option<UserId>,
) -> Result<(TreatmentPlan, Vec<Appointment>)> {
    require_live(conn, patient).await?;
    let now = ts_text(codec::now());
    let dose = plan.dose.as_ref().map(json_text).transpose()?;
    let safety = plan.safety.as_ref().map(json_text).transpose()?;
    let sql = format!(
        "INSERT INTO treatment_plans (patient_id, protocol_id, protocol_version, indication, \
         region, side, target_sites, dose, schedule, notes, status, version, created_at, \
         created_by, updated_at, safety, settings_version) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'active', 1, $11, $12, $11, $13, $14) \
         RETURNING {PLAN_COLUMNS}"
    );
    let row = sqlx::query(&sql)
        .bind(patient.0)
        .bind(&plan.protocol_id)
        .bind(&plan.protocol_version)
        .bind(&plan.indication)
        .bind(&plan.region)
        .bind(plan.side.map(Side::as_str))
        .bind(json_text(&plan.target_sites)?)
        .bind(dose)
        .bind(json_text(&plan.schedule)?)
        .bind(&plan.notes)
        .bind(&now)
        .bind(created_by.map(|u| u.0))
        .bind(safety)
        .bind(plan.settings_version)
        .fetch_one(&mut *conn)
        .await
        .db()?;
    let created = plan_from(&row)?;
    // The plan did not exist when the caller built these, so every appointment is attached to
    // it whatever its `plan_id` said.
    let mut booked = Vec::with_capacity(appointments.len());
    for details in appointments {
        let details = AppointmentDetails {
            plan_id: Some(created.id),
            ..details.clone()
        };
        booked.push(insert_appointment(conn, patient, &details).await?);
    }
    Ok((created, booked))
}

pub(crate) async fn plan(conn: &mut AnyConnection, id: PlanId) -> Result<TreatmentPlan> {
    let sql = format!("SELECT {PLAN_COLUMNS} FROM treatment_plans WHERE id = $1");
    let row = sqlx::query(&sql)
        .bind(id.0)
        .fetch_optional(&mut *conn)
        .await
        .db()?
        .ok_or_else(|| plan_not_found(id))?;
    plan_from(&row)
}

pub(crate) async fn plans(
    conn: &mut AnyConnection,
    patient: PatientId,
) -> Result<Vec<TreatmentPlan>> {
    require(conn, patient).await?;
    plans_of(conn, patient).await
}

/// [`plans`] for a patient the caller has already found (the chart read).
pub(crate) async fn plans_of(
    conn: &mut AnyConnection,
    patient: PatientId,
) -> Result<Vec<TreatmentPlan>> {
    let sql = format!(
        "SELECT {PLAN_COLUMNS} FROM treatment_plans WHERE patient_id = $1 \
         ORDER BY created_at DESC, id DESC"
    );
    let rows = sqlx::query(&sql)
        .bind(patient.0)
        .fetch_all(&mut *conn)
        .await
        .db()?;
    rows.iter().map(plan_from).collect()
}

pub(crate) async fn set_plan_status(
    conn: &mut AnyConnection,
    id: PlanId,
    expected_version: i64,
    status: PlanStatus,
) -> Result<TreatmentPlan> {
    let sql = format!(
        "UPDATE treatment_plans SET status = $1, version = version + 1, updated_at = $2 \
         WHERE id = $3 AND version = $4 RETURNING {PLAN_COLUMNS}"
    );
    let row = sqlx::query(&sql)
        .bind(status.as_str())
        .bind(ts_text(codec::now()))
        .bind(id.0)
        .bind(expected_version)
        .fetch_optional(&mut *conn)
        .await
        .db()?;
    match row {
        Some(row) => plan_from(&row),
        None => {
            Err(stale_or_missing(conn, "treatment_plans", "plan", id.0, expected_version).await)
        }
    }
}

// --- Appointments -------------------------------------------------------------------------------

const APPOINTMENT_COLUMNS: &str = "id, patient_id, plan_id, plan_visit, kind, label, date, \
     start_time, duration_minutes, clinician_id, status, version, created_at, updated_at";

fn appointment_from(row: &AnyRow) -> Result<Appointment> {
    let duration: Option<i64> = get(row, "duration_minutes")?;
    let duration_minutes = duration
        .map(|minutes| {
            u32::try_from(minutes).map_err(|_| {
                super::error::corrupt(format!(
                    "column `duration_minutes` holds {minutes}, out of range"
                ))
            })
        })
        .transpose()?;
    Ok(Appointment {
        id: AppointmentId(get(row, "id")?),
        patient_id: PatientId(get(row, "patient_id")?),
        details: AppointmentDetails {
            plan_id: get::<Option<i64>>(row, "plan_id")?.map(PlanId),
            plan_visit: get::<Option<i64>>(row, "plan_visit")?
                .map(|visit| {
                    u32::try_from(visit).map(PlanVisit).map_err(|_| {
                        super::error::corrupt(format!(
                            "column `plan_visit` holds {visit}, out of range"
                        ))
                    })
                })
                .transpose()?,
            kind: codec::word(row, "kind", codec::parse_appointment_kind)?,
            label: get(row, "label")?,
            date: codec::date(row, "date")?,
            start_time: get(row, "start_time")?,
            duration_minutes,
            clinician_id: codec::opt_user(row, "clinician_id")?,
            status: codec::word(row, "status", codec::parse_appointment_status)?,
        },
        version: get(row, "version")?,
        created_at: codec::ts(row, "created_at")?,
        updated_at: codec::ts(row, "updated_at")?,
    })
}

fn appointment_not_found(id: AppointmentId) -> StoreError {
    StoreError::NotFound {
        what: "appointment",
        id: id.to_string(),
    }
}

/// Refuses a plan of another patient and a clinician who does not exist, with a sentence.
async fn check_references(
    conn: &mut AnyConnection,
    patient: PatientId,
    details: &AppointmentDetails,
) -> Result<()> {
    if details.plan_visit.is_some() && details.plan_id.is_none() {
        return Err(StoreError::Conflict(
            "an appointment names a plan visit but no plan; give the plan too".to_owned(),
        ));
    }
    if let Some(plan_id) = details.plan_id {
        let owner: Option<i64> =
            sqlx::query_scalar("SELECT patient_id FROM treatment_plans WHERE id = $1")
                .bind(plan_id.0)
                .fetch_optional(&mut *conn)
                .await
                .db()?;
        match owner {
            None => return Err(plan_not_found(plan_id)),
            Some(owner) if owner != patient.0 => {
                return Err(StoreError::Conflict(format!(
                    "plan {plan_id} is not a plan of patient {patient}; an appointment can only belong to its own patient's plan"
                )));
            }
            Some(_) => {}
        }
    }
    if let Some(clinician) = details.clinician_id {
        let found: Option<i64> = sqlx::query_scalar("SELECT id FROM users WHERE id = $1")
            .bind(clinician.0)
            .fetch_optional(&mut *conn)
            .await
            .db()?;
        if found.is_none() {
            return Err(StoreError::NotFound {
                what: "user",
                id: clinician.to_string(),
            });
        }
    }
    Ok(())
}

async fn insert_appointment(
    conn: &mut AnyConnection,
    patient: PatientId,
    details: &AppointmentDetails,
) -> Result<Appointment> {
    check_references(conn, patient, details).await?;
    let now = ts_text(codec::now());
    let sql = format!(
        "INSERT INTO appointments (patient_id, plan_id, plan_visit, kind, label, date, \
         start_time, duration_minutes, clinician_id, status, version, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 1, $11, $11) \
         RETURNING {APPOINTMENT_COLUMNS}"
    );
    let row = sqlx::query(&sql)
        .bind(patient.0)
        .bind(details.plan_id.map(|p| p.0))
        .bind(details.plan_visit.map(|v| i64::from(v.0)))
        .bind(codec::appointment_kind_text(details.kind))
        .bind(&details.label)
        .bind(date_text(details.date))
        .bind(&details.start_time)
        .bind(details.duration_minutes.map(i64::from))
        .bind(details.clinician_id.map(|u| u.0))
        .bind(codec::appointment_status_text(details.status))
        .bind(&now)
        .fetch_one(&mut *conn)
        .await
        .db()?;
    appointment_from(&row)
}

pub(crate) async fn book(
    conn: &mut AnyConnection,
    patient: PatientId,
    details: &AppointmentDetails,
) -> Result<Appointment> {
    require_live(conn, patient).await?;
    insert_appointment(conn, patient, details).await
}

pub(crate) async fn update_appointment(
    conn: &mut AnyConnection,
    id: AppointmentId,
    expected_version: i64,
    details: &AppointmentDetails,
) -> Result<Appointment> {
    let patient: Option<i64> =
        sqlx::query_scalar("SELECT patient_id FROM appointments WHERE id = $1")
            .bind(id.0)
            .fetch_optional(&mut *conn)
            .await
            .db()?;
    let patient = PatientId(patient.ok_or_else(|| appointment_not_found(id))?);
    check_references(conn, patient, details).await?;
    let sql = format!(
        "UPDATE appointments SET plan_id = $1, kind = $2, label = $3, date = $4, start_time = $5, \
         duration_minutes = $6, clinician_id = $7, status = $8, version = version + 1, \
         updated_at = $9, plan_visit = $10 WHERE id = $11 AND version = $12 \
         RETURNING {APPOINTMENT_COLUMNS}"
    );
    let row = sqlx::query(&sql)
        .bind(details.plan_id.map(|p| p.0))
        .bind(codec::appointment_kind_text(details.kind))
        .bind(&details.label)
        .bind(date_text(details.date))
        .bind(&details.start_time)
        .bind(details.duration_minutes.map(i64::from))
        .bind(details.clinician_id.map(|u| u.0))
        .bind(codec::appointment_status_text(details.status))
        .bind(ts_text(codec::now()))
        .bind(details.plan_visit.map(|v| i64::from(v.0)))
        .bind(id.0)
        .bind(expected_version)
        .fetch_optional(&mut *conn)
        .await
        .db()?;
    match row {
        Some(row) => appointment_from(&row),
        None => {
            Err(stale_or_missing(conn, "appointments", "appointment", id.0, expected_version).await)
        }
    }
}

pub(crate) async fn appointment(
    conn: &mut AnyConnection,
    id: AppointmentId,
) -> Result<Appointment> {
    let sql = format!("SELECT {APPOINTMENT_COLUMNS} FROM appointments WHERE id = $1");
    let row = sqlx::query(&sql)
        .bind(id.0)
        .fetch_optional(&mut *conn)
        .await
        .db()?
        .ok_or_else(|| appointment_not_found(id))?;
    appointment_from(&row)
}

/// The appointments whose ids `ids_sql` selects (a `SELECT` of appointment ids with one `$1`
/// parameter, bound to `param`), in one read.
pub(crate) async fn appointments_selected_by(
    conn: &mut AnyConnection,
    ids_sql: &str,
    param: i64,
) -> Result<Vec<Appointment>> {
    let sql = format!("SELECT {APPOINTMENT_COLUMNS} FROM appointments WHERE id IN ({ids_sql})");
    let rows = sqlx::query(&sql)
        .bind(param)
        .fetch_all(&mut *conn)
        .await
        .db()?;
    rows.iter().map(appointment_from).collect()
}

/// Appointments without a start time sort first on their day (they are "that day, any time").
const DAY_ORDER: &str = "ORDER BY date, COALESCE(start_time, ''), id";

pub(crate) async fn appointments(
    conn: &mut AnyConnection,
    patient: PatientId,
) -> Result<Vec<Appointment>> {
    require(conn, patient).await?;
    appointments_of(conn, patient).await
}

/// [`appointments`] for a patient the caller has already found (the chart read).
pub(crate) async fn appointments_of(
    conn: &mut AnyConnection,
    patient: PatientId,
) -> Result<Vec<Appointment>> {
    let sql =
        format!("SELECT {APPOINTMENT_COLUMNS} FROM appointments WHERE patient_id = $1 {DAY_ORDER}");
    let rows = sqlx::query(&sql)
        .bind(patient.0)
        .fetch_all(&mut *conn)
        .await
        .db()?;
    rows.iter().map(appointment_from).collect()
}

/// Every appointment booked on `plan` (any status), in date order.
pub(crate) async fn plan_appointments(
    conn: &mut AnyConnection,
    plan: PlanId,
) -> Result<Vec<Appointment>> {
    let sql =
        format!("SELECT {APPOINTMENT_COLUMNS} FROM appointments WHERE plan_id = $1 {DAY_ORDER}");
    let rows = sqlx::query(&sql)
        .bind(plan.0)
        .fetch_all(&mut *conn)
        .await
        .db()?;
    rows.iter().map(appointment_from).collect()
}

pub(crate) async fn calendar(
    conn: &mut AnyConnection,
    query: &CalendarQuery,
) -> Result<Vec<Appointment>> {
    let rows = match query.clinician_id {
        Some(clinician) => {
            let sql = format!(
                "SELECT {APPOINTMENT_COLUMNS} FROM appointments \
                 WHERE date >= $1 AND date <= $2 AND clinician_id = $3 {DAY_ORDER}"
            );
            sqlx::query(&sql)
                .bind(date_text(query.from))
                .bind(date_text(query.to))
                .bind(clinician.0)
                .fetch_all(&mut *conn)
                .await
        }
        None => {
            let sql = format!(
                "SELECT {APPOINTMENT_COLUMNS} FROM appointments \
                 WHERE date >= $1 AND date <= $2 {DAY_ORDER}"
            );
            sqlx::query(&sql)
                .bind(date_text(query.from))
                .bind(date_text(query.to))
                .fetch_all(&mut *conn)
                .await
        }
    }
    .db()?;
    rows.iter().map(appointment_from).collect()
}

// --- Work lists ---------------------------------------------------------------------------------

/// Most active plans one call returns.
pub(crate) const MAX_ACTIVE_PLANS: u32 = 1000;

pub(crate) async fn active_plans(
    conn: &mut AnyConnection,
    limit: u32,
) -> Result<Vec<(TreatmentPlan, Vec<Appointment>)>> {
    let limit = i64::from(limit.clamp(1, MAX_ACTIVE_PLANS));
    let sql = format!(
        "SELECT {PLAN_COLUMNS} FROM treatment_plans WHERE status = 'active' \
         ORDER BY updated_at DESC, id DESC LIMIT $1"
    );
    let rows = sqlx::query(&sql)
        .bind(limit)
        .fetch_all(&mut *conn)
        .await
        .db()?;
    let plans: Vec<TreatmentPlan> = rows.iter().map(plan_from).collect::<Result<_>>()?;
    // The same plans' appointments in one query (the same subquery, so the same plans).
    let sql = format!(
        "SELECT {APPOINTMENT_COLUMNS} FROM appointments WHERE plan_id IN \
         (SELECT id FROM treatment_plans WHERE status = 'active' \
          ORDER BY updated_at DESC, id DESC LIMIT $1) {DAY_ORDER}"
    );
    let rows = sqlx::query(&sql)
        .bind(limit)
        .fetch_all(&mut *conn)
        .await
        .db()?;
    let mut by_plan: std::collections::HashMap<PlanId, Vec<Appointment>> = Default::default();
    for row in &rows {
        let appointment = appointment_from(row)?;
        if let Some(plan) = appointment.details.plan_id {
            by_plan.entry(plan).or_default().push(appointment);
        }
    }
    Ok(plans
        .into_iter()
        .map(|plan| {
            let appointments = by_plan.remove(&plan.id).unwrap_or_default();
            (plan, appointments)
        })
        .collect())
}
