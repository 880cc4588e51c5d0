//! The storage temperature log over HTTP: the log with its excursions, a reading recorded, a
//! logger's CSV imported. The rules are the use case's ([`myotome_clinic::storage`]).

use crate::auth::Authorized;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiQuery};
use crate::permissions::need;
use crate::state::AppState;
use crate::wire::storage::{LocationLogOut, LogQuery, ReadingIn, ReadingOut, ReadingsImportIn};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use myotome_clinic::storage::{self, ReadingForm};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(log, record))
        .routes(routes!(import))
}

/// Each storage location's readings of the last `days` days, newest first, with the lots held
/// there then that a reading put outside their label's range.
#[utoipa::path(get, path = "/api/v1/storage/readings", tag = "inventory", params(LogQuery),
    responses(
        (status = 200, description = "The log, location by location", body = [LocationLogOut]),
        (status = 422, description = "`days` is not 1 to 3660", body = ErrorBody),
    ))]
async fn log(
    auth: Authorized<need::InventoryRead>,
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<LogQuery>,
) -> Result<Json<Vec<LocationLogOut>>, ApiError> {
    let days = query.days.unwrap_or(30);
    if !(1..=3660).contains(&days) {
        return Err(ApiError::from(myotome_clinic::ClinicError::field(
            "days",
            "is not 1 to 3660; say how many days back to read",
        )));
    }
    let logs = storage::log(&state.clinic, &auth.clinic(), days).await?;
    Ok(Json(logs.iter().map(LocationLogOut::from).collect()))
}

/// Records one reading off a location's display.
#[utoipa::path(post, path = "/api/v1/storage/readings", tag = "inventory", request_body = ReadingIn,
    responses(
        (status = 201, description = "Recorded", body = ReadingOut),
        (status = 422, description = "A field is wrong (no location, a future time, not a storage temperature)", body = ErrorBody),
    ))]
async fn record(
    auth: Authorized<need::LotReceive>,
    State(state): State<AppState>,
    ApiJson(input): ApiJson<ReadingIn>,
) -> Result<(StatusCode, Json<ReadingOut>), ApiError> {
    let form = ReadingForm {
        location: input.location,
        taken_at: input.taken_at.unwrap_or_default(),
        temperature_c: input.temperature_c.to_string(),
        note: input.note.unwrap_or_default(),
    };
    let reading = storage::record(&state.clinic, &auth.clinic(), &form).await?;
    Ok((StatusCode::CREATED, Json(ReadingOut::from(&reading))))
}

/// Imports a data logger's CSV, all rows or none; each problem is named by its line
/// (`csv.line4.temperature_c`).
#[utoipa::path(post, path = "/api/v1/storage/readings/import", tag = "inventory",
    request_body = ReadingsImportIn,
    responses(
        (status = 201, description = "Imported", body = [ReadingOut]),
        (status = 422, description = "A line is wrong; nothing was imported", body = ErrorBody),
    ))]
async fn import(
    auth: Authorized<need::LotReceive>,
    State(state): State<AppState>,
    ApiJson(input): ApiJson<ReadingsImportIn>,
) -> Result<(StatusCode, Json<Vec<ReadingOut>>), ApiError> {
    let stored = storage::import(
        &state.clinic,
        &auth.clinic(),
        &input.csv,
        input.location.as_deref().unwrap_or(""),
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(stored.iter().map(ReadingOut::from).collect()),
    ))
}
