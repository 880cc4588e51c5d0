//! FHIR R4 over the API: import a Bundle (`POST /api/v1/fhir`), a patient's whole record
//! (`GET /api/v1/fhir/Patient/{id}/$everything`, with their questionnaire answers), a protocol
//! as a PlanDefinition, and the outcome instruments as Questionnaires.
//! Bodies are FHIR JSON (`application/fhir+json` or `application/json`).

use crate::auth::Authorized;
use crate::clinic::{export, import, unknown_protocol};
use crate::error::{ApiError, ErrorBody};
use crate::extract::ApiPath;
use crate::permissions::need;
use crate::state::AppState;
use crate::wire::fhir::ImportSummary;
use crate::wire::fhir_bundle::FhirBundleIn;
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use myotome_fhir::export::BundleKind;
use myotome_store::PatientId;
use serde_json::Value;
use std::time::Instant;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(import_bundle))
        .routes(routes!(patient_everything))
        .routes(routes!(plan_definition))
        .routes(routes!(questionnaires))
        .routes(routes!(questionnaire))
}

const FHIR_JSON: &str = "application/fhir+json";

/// FHIR JSON with its media type.
fn fhir_response(value: Value) -> Response {
    ([(header::CONTENT_TYPE, FHIR_JSON)], Json(value)).into_response()
}

/// Imports a FHIR R4 Bundle (or one Patient resource): patients are recognised by their
/// identifiers and records by their source ids, so sending the same Bundle again changes
/// nothing. Each patient is stored in its own transaction; what could not be imported is
/// listed with its entry index and reason, and the rest is imported.
#[utoipa::path(
    post,
    path = "/api/v1/fhir",
    tag = "fhir",
    request_body(content = FhirBundleIn, content_type = "application/fhir+json", description = "A FHIR R4 Bundle"),
    responses(
        (status = 200, description = "What was created, updated, left unchanged and rejected", body = ImportSummary),
        (status = 413, description = "The body is over the server's limit", body = ErrorBody),
        (status = 415, description = "Not sent as JSON", body = ErrorBody),
        (status = 422, description = "Nothing in the body could be read (not JSON, not FHIR)", body = ErrorBody),
    )
)]
async fn import_bundle(
    auth: Authorized<need::RecordImport>,
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<ImportSummary>, ApiError> {
    let started = Instant::now();
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let media = content_type.split(';').next().unwrap_or("").trim();
    if !media.eq_ignore_ascii_case(FHIR_JSON) && !media.eq_ignore_ascii_case("application/json") {
        return Err(ApiError::UnsupportedMediaType(format!(
            "Send the Bundle as {FHIR_JSON} (or application/json), not `{content_type}`."
        )));
    }
    let body = body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::PayloadTooLarge
        } else {
            ApiError::Malformed(rejection.body_text())
        }
    })?;
    let read = myotome_fhir::read_document("request body", &body);
    if read.resources == 0
        && let Some(problem) = read.problems.first()
    {
        return Err(ApiError::field("body", problem.to_string()));
    }
    let summary = import::import_as(
        &state.clinic,
        &auth.clinic(),
        import::DEFAULT_SOURCE,
        read,
        started,
    )
    .await?;
    Ok(Json(ImportSummary::from(&summary)))
}

/// Everything Myotome holds on a patient as a FHIR R4 searchset Bundle: Patient, Conditions,
/// MedicationStatements, AllergyIntolerances, Observations (weights, lab results), CarePlans
/// (treatment plans with their sessions) and RiskAssessments (screenings).
#[utoipa::path(
    get,
    path = "/api/v1/fhir/Patient/{id}/$everything",
    tag = "fhir",
    params(("id" = i64, Path, description = "Patient id")),
    responses(
        (status = 200, description = "A searchset Bundle", content_type = "application/fhir+json", body = Object),
        (status = 404, description = "No such patient", body = ErrorBody),
    )
)]
async fn patient_everything(
    auth: Authorized<need::RecordExport>,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
) -> Result<Response, ApiError> {
    let bundle = export::everything_for(
        &state.clinic,
        &auth.clinic(),
        PatientId(id),
        BundleKind::Searchset,
    )
    .await?;
    Ok(fhir_response(bundle))
}

/// A protocol of the library as a FHIR R4 PlanDefinition.
#[utoipa::path(
    get,
    path = "/api/v1/fhir/PlanDefinition/{id}",
    tag = "fhir",
    params(("id" = String, Path, description = "Protocol id, e.g. hip-biologics")),
    responses(
        (status = 200, description = "The PlanDefinition", content_type = "application/fhir+json", body = Object),
        (status = 404, description = "No such protocol", body = ErrorBody),
    )
)]
async fn plan_definition(
    _auth: Authorized<need::ProtocolRead>,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> Result<Response, ApiError> {
    let data = &state.data;
    let loaded = data
        .protocols
        .get(&id)
        .ok_or_else(|| ApiError::NotFound(unknown_protocol(data, &id, "id")))?;
    Ok(fhir_response(myotome_fhir::export::plan_definition(
        &loaded.protocol,
        &data.terminology,
    )))
}

/// Every outcome instrument of the library as a FHIR R4 Questionnaire, in a Bundle.
#[utoipa::path(
    get,
    path = "/api/v1/fhir/Questionnaire",
    tag = "fhir",
    responses(
        (status = 200, description = "A searchset Bundle of Questionnaires", content_type = "application/fhir+json", body = Object),
    )
)]
async fn questionnaires(
    _auth: Authorized<need::ProtocolRead>,
    State(state): State<AppState>,
) -> Response {
    fhir_response(myotome_clinic::fhir_export::questionnaires(&state.data))
}

/// One outcome instrument as a FHIR R4 Questionnaire (the version patients answer now).
#[utoipa::path(
    get,
    path = "/api/v1/fhir/Questionnaire/{id}",
    tag = "fhir",
    params(("id" = String, Path, description = "Instrument id, e.g. nprs, or the resource's id, instrument-nprs")),
    responses(
        (status = 200, description = "The Questionnaire", content_type = "application/fhir+json", body = Object),
        (status = 404, description = "No such instrument", body = ErrorBody),
    )
)]
async fn questionnaire(
    _auth: Authorized<need::ProtocolRead>,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> Result<Response, ApiError> {
    // By the instrument's id (`nprs`) or the resource's own (`instrument-nprs`).
    let instrument = state
        .data
        .instruments
        .iter()
        .find(|i| i.id == id || myotome_fhir::questionnaire::questionnaire_id(&i.id) == id);
    let instrument = instrument.ok_or_else(|| {
        let known: Vec<&str> = state
            .data
            .instruments
            .iter()
            .map(|i| i.id.as_str())
            .collect();
        ApiError::NotFound(format!(
            "No instrument has the id `{id}`; the library has: {}.",
            known.join(", ")
        ))
    })?;
    Ok(fhir_response(myotome_fhir::questionnaire::questionnaire(
        instrument,
    )))
}
