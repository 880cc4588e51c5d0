//! Appointments and the clinic calendar. Booking or moving a visit of a treatment plan
//! re-checks the plan's windows against its other booked visits: a date that breaks a window
//! the calendar did not already break is refused with the explanation, unless
//! `accept_violations` is sent. Accepting is a clinical decision: it needs the permission to
//! make plans (clinicians), and each accepted override is recorded in the audit trail as
//! `appointment.window_override` on the patient, with the appointment and the kinds of
//! violation as target.

use crate::auth::Authorized;
use crate::clinic::planning::window_violation;
use crate::clinic::windows::{BookedVisit, brought_by_change, check_plan_calendar};
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::permissions::{Permission, allows, need, refusal};
use crate::routes::plans::bookable_user;
use crate::state::AppState;
use crate::validate::{Check, MAX_SHORT_TEXT};
use crate::wire::care::{
    AppointmentIn, AppointmentOut, AppointmentSavedOut, AppointmentUpdateIn, CalendarOut,
    CalendarQuery, parse_kind, parse_status,
};
use crate::wire::clinical::ViolationOut;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use jiff::civil::{Date, Time};
use myotome_store::{
    Actor, Appointment, AppointmentDetails, AppointmentId, AppointmentStatus, AuditAction,
    CalendarQuery as StoreCalendarQuery, PatientId, PlanId, Role, Store, UserId,
};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The longest calendar page, in days: two months, so one request cannot pull a year of
/// patients' names.
const MAX_CALENDAR_DAYS: i32 = 62;
/// Longest appointment, in minutes (the longest seed procedure is 2–4 hours).
const MAX_DURATION_MINUTES: u32 = 12 * 60;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_appointments, book_appointment))
        .routes(routes!(get_appointment, update_appointment))
        .routes(routes!(calendar))
}

pub(crate) fn check_time(check: &mut Check, start_time: Option<&str>) {
    if let Some(text) = start_time {
        let shaped = text.len() == 5 && text.as_bytes()[2] == b':';
        if !shaped || text.parse::<Time>().is_err() {
            check.add(
                "start_time",
                format!("`{text}` is not a time; write HH:MM, e.g. 09:30"),
            );
        }
    }
}

fn check_duration(check: &mut Check, minutes: Option<u32>) {
    if let Some(minutes) = minutes
        && (minutes == 0 || minutes > MAX_DURATION_MINUTES)
    {
        check.add(
            "duration_minutes",
            format!(
                "{minutes} minutes is not an appointment length; give 1 to {MAX_DURATION_MINUTES}"
            ),
        );
    }
}

/// `accept_violations` overrides a protocol window: a clinical decision, so it needs the
/// permission to make plans, whatever the role may otherwise do with appointments.
fn may_accept_violations(role: Role) -> Result<(), ApiError> {
    if allows(role, Permission::PlanWrite) {
        Ok(())
    } else {
        Err(ApiError::Forbidden(format!(
            "Accepting a protocol-window violation (`accept_violations`) is a clinical decision. {}",
            refusal(role, Permission::PlanWrite)
        )))
    }
}

/// Records an accepted window override in the audit trail: the appointment and the kinds of
/// violation, never patient data.
async fn record_override(
    store: &dyn Store,
    actor: &Actor,
    appointment: &Appointment,
    warnings: &[ViolationOut],
) -> Result<(), ApiError> {
    let mut kinds: Vec<&str> = warnings.iter().map(|v| v.kind).collect();
    kinds.sort_unstable();
    kinds.dedup();
    let action =
        AuditAction::on_patient("appointment.window_override", appointment.patient_id).with_target(
            format!("appointment/{} ({})", appointment.id.0, kinds.join(", ")),
        );
    store.record_audit(actor, &action).await?;
    Ok(())
}

/// The violations that booking `changed` (a new visit, or an existing one at its new date)
/// would bring to the plan's calendar. `Ok(empty)` when the protocol is no longer in the library.
///
/// Only violations the change introduces count: the calendar is checked before and after it,
/// and what was already broken before (a window a clinician accepted earlier) is not this
/// change's doing. Otherwise one accepted override would refuse every later booking or move on
/// the plan, and staff, who may not accept violations, could no longer book the rest of it.
async fn plan_violations(
    state: &AppState,
    actor: &Actor,
    patient: PatientId,
    plan_id: PlanId,
    changed: (Option<AppointmentId>, BookedVisit),
) -> Result<Vec<ViolationOut>, ApiError> {
    let store = state.store.as_ref();
    let plan = store.plan(actor, plan_id).await?;
    if plan.patient_id != patient {
        return Err(ApiError::field(
            "plan_id",
            format!("plan {plan_id} is another patient's"),
        ));
    }
    let Some(loaded) = state.data.protocols.get(&plan.details.protocol_id) else {
        return Ok(Vec::new());
    };
    let (changed_id, changed_visit) = changed;
    let booked: Vec<(AppointmentId, BookedVisit)> = store
        .appointments(actor, patient)
        .await?
        .into_iter()
        .filter(|a| a.details.plan_id == Some(plan_id))
        .filter(|a| a.details.status != AppointmentStatus::Cancelled)
        .map(|a| (a.id, BookedVisit::from(&a)))
        .collect();
    let before: Vec<BookedVisit> = booked.iter().map(|(_, visit)| visit.clone()).collect();
    let mut after: Vec<BookedVisit> = booked
        .into_iter()
        .filter(|(id, _)| Some(*id) != changed_id)
        .map(|(_, visit)| visit)
        .collect();
    after.push(changed_visit);
    let schedule = &plan.details.schedule;
    Ok(brought_by_change(
        &check_plan_calendar(&loaded.protocol, schedule, &before),
        check_plan_calendar(&loaded.protocol, schedule, &after),
    ))
}

/// The patient's appointments, in date order.
#[utoipa::path(
    get,
    path = "/api/v1/patients/{id}/appointments",
    tag = "appointments",
    params(("id" = i64, Path, description = "Patient id")),
    responses(
        (status = 200, description = "Appointments in date order", body = [AppointmentOut]),
        (status = 404, description = "No such patient", body = ErrorBody),
    )
)]
async fn list_appointments(
    auth: Authorized<need::PatientRead>,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Vec<AppointmentOut>>, ApiError> {
    let appointments = state.store.appointments(&auth.actor, PatientId(id)).await?;
    Ok(Json(
        appointments.iter().map(AppointmentOut::from).collect(),
    ))
}

/// Books an appointment, optionally as a visit of one of the patient's plans.
#[utoipa::path(
    post,
    path = "/api/v1/patients/{id}/appointments",
    tag = "appointments",
    params(("id" = i64, Path, description = "Patient id")),
    request_body = AppointmentIn,
    responses(
        (status = 201, description = "Booked", body = AppointmentSavedOut),
        (status = 403, description = "`accept_violations` sent by a role that does not make plans", body = ErrorBody),
        (status = 404, description = "No such patient or plan", body = ErrorBody),
        (status = 422, description = "A field is wrong, or the date breaks the plan's windows (`window_violation`)", body = ErrorBody),
    )
)]
async fn book_appointment(
    auth: Authorized<need::AppointmentWrite>,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<AppointmentIn>,
) -> Result<(StatusCode, Json<AppointmentSavedOut>), ApiError> {
    let saved = book_visit(&state, &auth.actor, auth.user.role, PatientId(id), input).await?;
    Ok((StatusCode::CREATED, Json(saved)))
}

/// Books an appointment for `patient` as `actor` (whose role is `role`): the fields checked,
/// and a plan's visit checked against the plan's windows. Shared by the API and the pages.
pub(crate) async fn book_visit(
    state: &AppState,
    actor: &Actor,
    role: Role,
    patient: PatientId,
    input: AppointmentIn,
) -> Result<AppointmentSavedOut, ApiError> {
    let mut check = Check::new();
    let kind = parse_kind(&input.kind)
        .map_err(|e| check.add("kind", e))
        .ok();
    check.required_text("label", &input.label, MAX_SHORT_TEXT);
    let date = check.date("date", &input.date);
    check_time(&mut check, input.start_time.as_deref());
    check_duration(&mut check, input.duration_minutes);
    check.finish()?;
    let (Some(kind), Some(date)) = (kind, date) else {
        return Err(ApiError::unchecked("appointment"));
    };
    if input.accept_violations {
        may_accept_violations(role)?;
    }
    let store = state.store.as_ref();
    let clinician = bookable_user(store, input.clinician_id, "clinician_id").await?;
    let plan_id = input.plan_id.map(PlanId);
    let mut warnings = Vec::new();
    if let Some(plan_id) = plan_id {
        let visit = BookedVisit {
            kind,
            label: input.label.clone(),
            date,
        };
        warnings = plan_violations(state, actor, patient, plan_id, (None, visit)).await?;
        if !warnings.is_empty() && !input.accept_violations {
            return Err(window_violation(warnings));
        }
    }
    let appointment = store
        .book_appointment(
            actor,
            patient,
            &AppointmentDetails {
                plan_id,
                kind,
                label: input.label,
                date,
                start_time: input.start_time,
                duration_minutes: input.duration_minutes,
                clinician_id: clinician,
                status: AppointmentStatus::Booked,
            },
        )
        .await?;
    if !warnings.is_empty() {
        record_override(store, actor, &appointment, &warnings).await?;
    }
    Ok(AppointmentSavedOut {
        appointment: AppointmentOut::from(&appointment),
        warnings,
    })
}

/// One appointment.
#[utoipa::path(
    get,
    path = "/api/v1/appointments/{id}",
    tag = "appointments",
    params(("id" = i64, Path, description = "Appointment id")),
    responses(
        (status = 200, description = "The appointment", body = AppointmentOut),
        (status = 404, description = "No such appointment", body = ErrorBody),
    )
)]
async fn get_appointment(
    auth: Authorized<need::PatientRead>,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<AppointmentOut>, ApiError> {
    let appointment = state
        .store
        .appointment(&auth.actor, AppointmentId(id))
        .await?;
    Ok(Json(AppointmentOut::from(&appointment)))
}

/// Moves, re-times, cancels or completes an appointment; `version` must be the one read.
#[utoipa::path(
    put,
    path = "/api/v1/appointments/{id}",
    tag = "appointments",
    params(("id" = i64, Path, description = "Appointment id")),
    request_body = AppointmentUpdateIn,
    responses(
        (status = 200, description = "Changed; accepted window violations are listed as warnings", body = AppointmentSavedOut),
        (status = 403, description = "`accept_violations` sent by a role that does not make plans", body = ErrorBody),
        (status = 404, description = "No such appointment", body = ErrorBody),
        (status = 409, description = "Changed by someone else since it was read", body = ErrorBody),
        (status = 422, description = "A field is wrong, or the new date breaks the plan's windows (`window_violation`)", body = ErrorBody),
    )
)]
async fn update_appointment(
    auth: Authorized<need::AppointmentWrite>,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<AppointmentUpdateIn>,
) -> Result<Json<AppointmentSavedOut>, ApiError> {
    let saved = change_appointment(
        &state,
        &auth.actor,
        auth.user.role,
        AppointmentId(id),
        input,
    )
    .await?;
    Ok(Json(saved))
}

/// Moves, re-times, cancels or completes an appointment as `actor` (whose role is `role`); a
/// plan's visit moved to another date is checked against the plan's windows. Shared by the API
/// and the pages.
pub(crate) async fn change_appointment(
    state: &AppState,
    actor: &Actor,
    role: Role,
    id: AppointmentId,
    input: AppointmentUpdateIn,
) -> Result<AppointmentSavedOut, ApiError> {
    let mut check = Check::new();
    let date = check.date("date", &input.date);
    let status = parse_status(&input.status)
        .map_err(|e| check.add("status", e))
        .ok();
    if let Some(label) = &input.label {
        check.required_text("label", label, MAX_SHORT_TEXT);
    }
    check_time(&mut check, input.start_time.as_deref());
    check_duration(&mut check, input.duration_minutes);
    check.finish()?;
    let (Some(date), Some(status)) = (date, status) else {
        return Err(ApiError::unchecked("appointment"));
    };
    if input.accept_violations {
        may_accept_violations(role)?;
    }
    let store: &dyn Store = state.store.as_ref();
    let current: Appointment = store.appointment(actor, id).await?;
    let clinician: Option<UserId> =
        bookable_user(store, input.clinician_id, "clinician_id").await?;
    let label = input.label.unwrap_or_else(|| current.details.label.clone());
    let moved: bool = date != current.details.date;
    let mut warnings = Vec::new();
    if let Some(plan_id) = current.details.plan_id
        && moved
        && status == AppointmentStatus::Booked
    {
        let visit = BookedVisit {
            kind: current.details.kind,
            label: label.clone(),
            date,
        };
        warnings = plan_violations(
            state,
            actor,
            current.patient_id,
            plan_id,
            (Some(current.id), visit),
        )
        .await?;
        if !warnings.is_empty() && !input.accept_violations {
            return Err(window_violation(warnings));
        }
    }
    let details = AppointmentDetails {
        plan_id: current.details.plan_id,
        kind: current.details.kind,
        label,
        date,
        start_time: input.start_time,
        duration_minutes: input.duration_minutes,
        clinician_id: clinician,
        status,
    };
    let appointment = store
        .update_appointment(actor, current.id, input.version, &details)
        .await?;
    if !warnings.is_empty() {
        record_override(store, actor, &appointment, &warnings).await?;
    }
    Ok(AppointmentSavedOut {
        appointment: AppointmentOut::from(&appointment),
        warnings,
    })
}

/// The clinic's appointments between two dates (at most 62 days), optionally one clinician's.
#[utoipa::path(
    get,
    path = "/api/v1/calendar",
    tag = "appointments",
    params(CalendarQuery),
    responses(
        (status = 200, description = "Appointments in date and time order", body = CalendarOut),
        (status = 422, description = "Bad dates or a range over 62 days", body = ErrorBody),
    )
)]
async fn calendar(
    auth: Authorized<need::CalendarRead>,
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<CalendarQuery>,
) -> Result<Json<CalendarOut>, ApiError> {
    let mut check = Check::new();
    let from = check.date("from", &query.from);
    let to = check.date("to", &query.to);
    if let (Some(from), Some(to)) = (from, to) {
        if to < from {
            check.add("to", format!("{to} is before `from` ({from})"));
        } else if days_between(from, to) > MAX_CALENDAR_DAYS {
            check.add(
                "to",
                format!("the range {from} to {to} is longer than {MAX_CALENDAR_DAYS} days; ask for less at once"),
            );
        }
    }
    check.finish()?;
    let (Some(from), Some(to)) = (from, to) else {
        return Err(ApiError::unchecked("appointment"));
    };
    let appointments = state
        .store
        .calendar(
            &auth.actor,
            &StoreCalendarQuery {
                from,
                to,
                clinician_id: query.clinician.map(UserId),
            },
        )
        .await?;
    Ok(Json(CalendarOut {
        from: from.to_string(),
        to: to.to_string(),
        appointments: appointments.iter().map(AppointmentOut::from).collect(),
    }))
}

fn days_between(from: Date, to: Date) -> i32 {
    from.until(to).map_or(i32::MAX, |span| span.get_days())
}
