//! Conditions, medications and allergies over HTTP. The checks (FHIR status words, real
//! dates, an end not before the start, a code or a text) and the store calls are the use
//! cases' ([`myotome_clinic::records`]).

use crate::auth::Authorized;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::permissions::need;
use crate::state::AppState;
use crate::wire::records::{RecordIn, RecordOut, RecordUpdateIn, RecordsQuery};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use myotome_clinic::records;
use myotome_store::{PatientId, RecordId};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_records, add_record))
        .routes(routes!(update_record))
}

/// The patient's records, optionally of one kind.
#[utoipa::path(
    get,
    path = "/api/v1/patients/{id}/records",
    tag = "records",
    params(("id" = i64, Path, description = "Patient id"), RecordsQuery),
    responses(
        (status = 200, description = "Records", body = [RecordOut]),
        (status = 404, description = "No such patient", body = ErrorBody),
        (status = 422, description = "Unknown kind", body = ErrorBody),
    )
)]
async fn list_records(
    auth: Authorized<need::PatientRead>,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(query): ApiQuery<RecordsQuery>,
) -> Result<Json<Vec<RecordOut>>, ApiError> {
    let records = records::list(
        &state.clinic,
        &auth.clinic(),
        PatientId(id),
        query.kind.as_deref(),
    )
    .await?;
    Ok(Json(records.iter().map(RecordOut::from).collect()))
}

/// Adds a condition, medication or allergy.
#[utoipa::path(
    post,
    path = "/api/v1/patients/{id}/records",
    tag = "records",
    params(("id" = i64, Path, description = "Patient id")),
    request_body = RecordIn,
    responses(
        (status = 201, description = "Added", body = RecordOut),
        (status = 404, description = "No such patient", body = ErrorBody),
        (status = 422, description = "A field is wrong", body = ErrorBody),
    )
)]
async fn add_record(
    auth: Authorized<need::ChartWrite>,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<RecordIn>,
) -> Result<(StatusCode, Json<RecordOut>), ApiError> {
    let record = records::add(&state.clinic, &auth.clinic(), PatientId(id), &input.into()).await?;
    Ok((StatusCode::CREATED, Json(RecordOut::from(&record))))
}

/// Corrects a record (e.g. a medication stopped); `version` must be the one read.
#[utoipa::path(
    put,
    path = "/api/v1/records/{id}",
    tag = "records",
    params(("id" = i64, Path, description = "Record id")),
    request_body = RecordUpdateIn,
    responses(
        (status = 200, description = "Changed", body = RecordOut),
        (status = 404, description = "No such record", body = ErrorBody),
        (status = 409, description = "Changed by someone else since it was read", body = ErrorBody),
        (status = 422, description = "A field is wrong", body = ErrorBody),
    )
)]
async fn update_record(
    auth: Authorized<need::ChartWrite>,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<RecordUpdateIn>,
) -> Result<Json<RecordOut>, ApiError> {
    let (version, input) = input.details();
    let record = records::update(
        &state.clinic,
        &auth.clinic(),
        RecordId(id),
        version,
        &input.into(),
    )
    .await?;
    Ok(Json(RecordOut::from(&record)))
}
