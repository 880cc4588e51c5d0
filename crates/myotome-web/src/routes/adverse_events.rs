//! Adverse events over HTTP: recording one on a chart, reading a patient's and one event
//! with its versions, bringing it up to date, marking it recorded in error, and the safety
//! report. The rules are the use case's ([`myotome_clinic::adverse_events`]).

use crate::auth::Authorized;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::permissions::need;
use crate::state::AppState;
use crate::wire::adverse_events::{
    AdverseEventIn, AdverseEventOut, AdverseEventUpdateIn, InErrorIn, SafetyQueryIn,
    SafetyReportOut,
};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use myotome_clinic::ClinicError;
use myotome_clinic::adverse_events::{self, SafetyQuery};
use myotome_store::{AdverseEventId, LotId, PatientId, ReportedVia, SafetyScope};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(record, of_patient))
        .routes(routes!(one, update))
        .routes(routes!(in_error))
        .routes(routes!(safety_report))
}

/// Records an adverse event on the patient's chart: its term, grade, seriousness, causality
/// and outcome, linked to the visit it followed and the lot given there.
#[utoipa::path(post, path = "/api/v1/patients/{id}/adverse-events", tag = "safety",
    params(("id" = i64, Path, description = "Patient id")), request_body = AdverseEventIn,
    responses(
        (status = 201, description = "Recorded", body = AdverseEventOut),
        (status = 404, description = "No such patient", body = ErrorBody),
        (status = 422, description = "A field is wrong, or the fields do not tell one story (each at its field)", body = ErrorBody),
    ))]
async fn record(
    auth: Authorized<need::ChartWrite>,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<AdverseEventIn>,
) -> Result<(StatusCode, Json<AdverseEventOut>), ApiError> {
    let via = reported_via(input.reported_via.as_deref())?;
    let event = adverse_events::record(
        &state.clinic,
        &auth.clinic(),
        PatientId(id),
        via,
        &input.input(),
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(AdverseEventOut::of(&state.data.event_terms, &event)),
    ))
}

fn reported_via(text: Option<&str>) -> Result<ReportedVia, ApiError> {
    match text {
        None => Ok(ReportedVia::Chart),
        Some(text) => ReportedVia::parse(text).ok_or_else(|| {
            ApiError::from(ClinicError::field(
                "reported_via",
                "is one of `observation`, `chart` or `patient`",
            ))
        }),
    }
}

/// Every adverse event on the patient's chart (those recorded in error too), the latest
/// onset first.
#[utoipa::path(get, path = "/api/v1/patients/{id}/adverse-events", tag = "safety",
    params(("id" = i64, Path, description = "Patient id")),
    responses(
        (status = 200, description = "The events", body = [AdverseEventOut]),
        (status = 404, description = "No such patient", body = ErrorBody),
    ))]
async fn of_patient(
    auth: Authorized<need::PatientRead>,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Vec<AdverseEventOut>>, ApiError> {
    let events = adverse_events::for_patient(&state.clinic, &auth.clinic(), PatientId(id)).await?;
    Ok(Json(
        events
            .iter()
            .map(|e| AdverseEventOut::of(&state.data.event_terms, e))
            .collect(),
    ))
}

/// One adverse event with every version it went through.
#[utoipa::path(get, path = "/api/v1/adverse-events/{id}", tag = "safety",
    params(("id" = i64, Path, description = "Adverse event id")),
    responses(
        (status = 200, description = "The event and its versions", body = AdverseEventOut),
        (status = 404, description = "No such event", body = ErrorBody),
    ))]
async fn one(
    auth: Authorized<need::PatientRead>,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<AdverseEventOut>, ApiError> {
    let (event, versions) =
        adverse_events::history(&state.clinic, &auth.clinic(), AdverseEventId(id)).await?;
    let terms = &state.data.event_terms;
    Ok(Json(
        AdverseEventOut::of(terms, &event).with_versions(terms, &versions),
    ))
}

/// Brings an event up to date (its outcome, the day it ended, a corrected assessment) as a
/// new version, if it is still at `version`.
#[utoipa::path(put, path = "/api/v1/adverse-events/{id}", tag = "safety",
    params(("id" = i64, Path, description = "Adverse event id")), request_body = AdverseEventUpdateIn,
    responses(
        (status = 200, description = "The new version", body = AdverseEventOut),
        (status = 404, description = "No such event", body = ErrorBody),
        (status = 409, description = "Changed by someone else since `version`, or recorded in error", body = ErrorBody),
        (status = 422, description = "A field is wrong (each at its field)", body = ErrorBody),
    ))]
async fn update(
    auth: Authorized<need::ChartWrite>,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<AdverseEventUpdateIn>,
) -> Result<Json<AdverseEventOut>, ApiError> {
    let event = adverse_events::update(
        &state.clinic,
        &auth.clinic(),
        AdverseEventId(id),
        input.version,
        &input.event.input(),
    )
    .await?;
    Ok(Json(AdverseEventOut::of(&state.data.event_terms, &event)))
}

/// Marks an event recorded in error, with the reason: it stays on the chart, marked so, and
/// leaves the safety report.
#[utoipa::path(post, path = "/api/v1/adverse-events/{id}/in-error", tag = "safety",
    params(("id" = i64, Path, description = "Adverse event id")), request_body = InErrorIn,
    responses(
        (status = 200, description = "Marked", body = AdverseEventOut),
        (status = 404, description = "No such event", body = ErrorBody),
        (status = 409, description = "Already marked, or changed since `version`", body = ErrorBody),
        (status = 422, description = "No reason given", body = ErrorBody),
    ))]
async fn in_error(
    auth: Authorized<need::AdverseEventAssess>,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<InErrorIn>,
) -> Result<Json<AdverseEventOut>, ApiError> {
    let event = adverse_events::mark_in_error(
        &state.clinic,
        &auth.clinic(),
        AdverseEventId(id),
        input.version,
        &input.reason,
    )
    .await?;
    Ok(Json(AdverseEventOut::of(&state.data.event_terms, &event)))
}

/// The safety report of a protocol (its held sessions) or of one lot (the visits it was given
/// at): events per 100 procedures by term and grade with Wilson 95 % intervals, and the
/// serious events.
#[utoipa::path(get, path = "/api/v1/safety/report", tag = "safety", params(SafetyQueryIn),
    responses(
        (status = 200, description = "The report", body = SafetyReportOut),
        (status = 422, description = "An unknown protocol or lot, or an unreadable date", body = ErrorBody),
    ))]
async fn safety_report(
    auth: Authorized<need::OutcomeRead>,
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<SafetyQueryIn>,
) -> Result<Json<SafetyReportOut>, ApiError> {
    let date =
        |field: &str, text: &Option<String>| -> Result<Option<jiff::civil::Date>, ApiError> {
            match text.as_deref().map(str::trim) {
                None => Ok(None),
                Some(text) => myotome_clinic::validate::parse_date(text)
                    .map(Some)
                    .map_err(|sentence| ApiError::from(ClinicError::field(field, sentence))),
            }
        };
    let scope = match (query.lot, query.protocol) {
        (Some(lot), _) => SafetyScope::Lot(LotId(lot)),
        (None, Some(protocol)) => SafetyScope::Protocol(protocol),
        (None, None) => {
            return Err(ApiError::from(ClinicError::field(
                "protocol",
                "is required unless a lot is named",
            )));
        }
    };
    let report = adverse_events::safety_report(
        &state.clinic,
        &auth.clinic(),
        &SafetyQuery {
            scope,
            from: date("from", &query.from)?,
            until: date("until", &query.until)?,
        },
    )
    .await?;
    Ok(Json(SafetyReportOut::of(&state.data.event_terms, &report)))
}
