//! Conditions, medications and allergies, checked as the command line's facts file is: FHIR
//! status words, real dates, an end not before the start, and a code or a text.

use crate::auth::Authorized;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::permissions::need;
use crate::state::AppState;
use crate::validate::{Check, MAX_SHORT_TEXT};
use crate::wire::records::{RecordIn, RecordOut, RecordUpdateIn, RecordsQuery};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use myotome_core::facts::RecordStatus;
use myotome_core::terminology::canonical_system;
use myotome_store::{PatientId, RecordDetails, RecordId, RecordKind, RecordSource, StoredCoding};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Most codes one record may carry.
const MAX_CODES: usize = 20;
/// Longest record text, in characters.
const MAX_RECORD_TEXT: usize = 2000;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_records, add_record))
        .routes(routes!(update_record))
}

pub fn parse_kind(text: &str) -> Result<RecordKind, String> {
    match text {
        "condition" => Ok(RecordKind::Condition),
        "medication" => Ok(RecordKind::Medication),
        "allergy" => Ok(RecordKind::Allergy),
        other => Err(format!(
            "`{other}` is not a record kind; use condition, medication or allergy"
        )),
    }
}

/// Checks a record. Code systems are stored as their FHIR URIs (`rxnorm` → the RxNorm URI);
/// every other text is stored exactly as sent. Shared with the chart page's record form
/// (`ui::patients`).
pub(crate) fn record_details(input: &RecordIn) -> Result<RecordDetails, ApiError> {
    let mut check = Check::new();
    let kind = parse_kind(&input.kind)
        .map_err(|e| check.add("kind", e))
        .ok();
    if input.codes.len() > MAX_CODES {
        check.add(
            "codes",
            format!("has {} codes; at most {MAX_CODES}", input.codes.len()),
        );
    }
    let mut codings = Vec::new();
    let mut coding =
        |check: &mut Check, at: &str, system: &str, code: &str, display: Option<&String>| {
            check.required_text(&format!("{at}system"), system, MAX_SHORT_TEXT);
            check.required_text(&format!("{at}code"), code, MAX_SHORT_TEXT);
            if let Some(display) = display {
                check.line(&format!("{at}display"), display, MAX_SHORT_TEXT);
            }
            codings.push(StoredCoding {
                system: canonical_system(system).to_owned(),
                code: code.to_owned(),
                display: display.cloned(),
            });
        };
    for (i, c) in input.codes.iter().enumerate() {
        coding(
            &mut check,
            &format!("codes[{i}]."),
            &c.system,
            &c.code,
            c.display.as_ref(),
        );
    }
    match (&input.system, &input.code) {
        (Some(system), Some(code)) => coding(&mut check, "", system, code, input.display.as_ref()),
        (None, None) => {
            if input.display.is_some() {
                check.add(
                    "display",
                    "goes with `system` and `code`; put a name without a code in `text`",
                );
            }
        }
        (Some(_), None) => check.add(
            "code",
            "is missing; give both `system` and `code`, or neither",
        ),
        (None, Some(_)) => check.add(
            "system",
            "is missing; give both `system` and `code`, or neither",
        ),
    }
    if let Some(text) = &input.text {
        check.paragraph("text", text, MAX_RECORD_TEXT);
    }
    let has_text = input.text.as_deref().is_some_and(|t| !t.trim().is_empty());
    if codings.is_empty() && !has_text {
        check.add(
            "codes",
            "the record has neither a code nor a text; give a code (`system` and `code`, or `codes`) or a `text`",
        );
    }
    let status = RecordStatus::parse(&input.status)
        .map_err(|e| check.add("status", e))
        .ok();
    let start = check.optional_date("start", input.start.as_deref());
    let end = check.optional_date("end", input.end.as_deref());
    if let (Some(Some(start)), Some(Some(end))) = (start, end)
        && end < start
    {
        check.add("end", format!("{end} is before the start ({start})"));
    }
    check.finish()?;
    let (Some(kind), Some(status), Some(start), Some(end)) = (kind, status, start, end) else {
        return Err(ApiError::unchecked("record"));
    };
    Ok(RecordDetails {
        kind,
        codings,
        text: input.text.clone(),
        status,
        start,
        end,
    })
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
    let kind = query
        .kind
        .as_deref()
        .map(parse_kind)
        .transpose()
        .map_err(|e| ApiError::field("kind", e))?;
    let records = state
        .store
        .records(&auth.actor, PatientId(id), kind)
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
    let details = record_details(&input)?;
    let record = state
        .store
        .add_record(
            &auth.actor,
            PatientId(id),
            &details,
            &RecordSource::Entered {
                by: Some(auth.user.id),
            },
        )
        .await?;
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
    let details = record_details(&input)?;
    let record = state
        .store
        .update_record(&auth.actor, RecordId(id), version, &details)
        .await?;
    Ok(Json(RecordOut::from(&record)))
}
