//! Appointments and the clinic calendar over HTTP: each handler turns its JSON into the
//! use case's command ([`myotome_clinic::booking`]) and the result into JSON. Which window
//! breaks refuse a booking, who may accept them, and the one transaction a booking is, are the
//! use case's.

use crate::auth::Authorized;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::permissions::need;
use crate::state::AppState;
use crate::validate::Check;
use crate::wire::care::{
    AppointmentIn, AppointmentOut, AppointmentSavedOut, AppointmentUpdateIn, CalendarOut,
    CalendarQuery, parse_kind, parse_status,
};
use crate::wire::clinical::ViolationOut;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use myotome_clinic::booking::{self, AppointmentChange, Booked, NewAppointment};
use myotome_store::{AppointmentId, PatientId, PlanId, PlanVisit, UserId};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_appointments, book_appointment))
        .routes(routes!(get_appointment, update_appointment))
        .routes(routes!(calendar))
}

impl From<Booked> for AppointmentSavedOut {
    fn from(booked: Booked) -> Self {
        Self {
            appointment: AppointmentOut::from(&booked.appointment),
            warnings: booked.warnings.iter().map(ViolationOut::from).collect(),
        }
    }
}

/// The booking command from its JSON: the kind and date parsed (each problem at its field).
pub(crate) fn new_appointment(input: AppointmentIn) -> Result<NewAppointment, ApiError> {
    let mut check = Check::new();
    let kind = parse_kind(&input.kind)
        .map_err(|e| check.add("kind", e))
        .ok();
    let date = check.date("date", &input.date);
    check.finish()?;
    let (Some(kind), Some(date)) = (kind, date) else {
        return Err(ApiError::unchecked("appointment"));
    };
    Ok(NewAppointment {
        kind,
        label: input.label,
        date,
        start_time: input.start_time,
        duration_minutes: input.duration_minutes,
        clinician: input.clinician_id.map(UserId),
        plan: input.plan_id.map(PlanId),
        plan_visit: input.plan_visit.map(PlanVisit),
        accept_violations: input.accept_violations,
    })
}

/// The change command from its JSON: the date and status parsed.
pub(crate) fn appointment_change(
    input: AppointmentUpdateIn,
) -> Result<AppointmentChange, ApiError> {
    let mut check = Check::new();
    let date = check.date("date", &input.date);
    let status = parse_status(&input.status)
        .map_err(|e| check.add("status", e))
        .ok();
    check.finish()?;
    let (Some(date), Some(status)) = (date, status) else {
        return Err(ApiError::unchecked("appointment"));
    };
    Ok(AppointmentChange {
        version: input.version,
        date,
        status,
        start_time: input.start_time,
        duration_minutes: input.duration_minutes,
        clinician: input.clinician_id.map(UserId),
        label: input.label,
        accept_violations: input.accept_violations,
        shift_later: input.shift_later_visits,
    })
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
    let appointments = booking::list(&state.clinic, &auth.clinic(), PatientId(id)).await?;
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
    let booked = booking::book(
        &state.clinic,
        &auth.clinic(),
        PatientId(id),
        new_appointment(input)?,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(booked.into())))
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
    let appointment = booking::get(&state.clinic, &auth.clinic(), AppointmentId(id)).await?;
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
    let booked = booking::change(
        &state.clinic,
        &auth.clinic(),
        AppointmentId(id),
        appointment_change(input)?,
    )
    .await?;
    Ok(Json(booked.into()))
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
    check.finish()?;
    let (Some(from), Some(to)) = (from, to) else {
        return Err(ApiError::unchecked("calendar"));
    };
    let appointments = booking::calendar(
        &state.clinic,
        &auth.clinic(),
        from,
        to,
        query.clinician.map(UserId),
    )
    .await?;
    Ok(Json(CalendarOut {
        from: from.to_string(),
        to: to.to_string(),
        appointments: appointments.iter().map(AppointmentOut::from).collect(),
    }))
}
