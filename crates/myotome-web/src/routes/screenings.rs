//! Screenings: run the core against the stored chart for one or more protocols, keep each
//! result as it was run (protocol id and version, verdict, findings with evidence and
//! citations), and let a clinician sign it once.

use crate::auth::Authorized;
use crate::clinic::{facts, find_protocol};
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiPath};
use crate::permissions::need;
use crate::state::AppState;
use crate::validate::{Check, today};
use crate::wire::care::{ScreeningRunIn, StoredScreeningOut};
use crate::wire::clinical::ScreeningOut;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use jiff::civil::Date;
use myotome_core::facts::PatientFacts;
use myotome_core::protocol::LoadedProtocol;
use myotome_core::screening::ResolvedFacts;
use myotome_core::terminology::Terminology;
use myotome_store::{Actor, NewScreening, PatientId, ScreeningId, StoredScreening};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_screenings, run_screenings))
        .routes(routes!(get_screening))
        .routes(routes!(sign_screening))
}

/// Screens the patient for the given protocols (all when none are named) and stores each
/// result, unsigned.
#[utoipa::path(
    post,
    path = "/api/v1/patients/{id}/screenings",
    tag = "screenings",
    params(("id" = i64, Path, description = "Patient id")),
    request_body = ScreeningRunIn,
    responses(
        (status = 201, description = "One stored screening per protocol", body = [StoredScreeningOut]),
        (status = 404, description = "No such patient", body = ErrorBody),
        (status = 422, description = "Unknown protocol (`unknown_protocol`), a protocol named twice, or a bad date", body = ErrorBody),
    )
)]
async fn run_screenings(
    auth: Authorized<need::ScreeningRun>,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<ScreeningRunIn>,
) -> Result<(StatusCode, Json<Vec<StoredScreeningOut>>), ApiError> {
    let stored = screen_and_store(&state, &auth.actor, PatientId(id), &input).await?;
    Ok((
        StatusCode::CREATED,
        Json(stored.iter().map(StoredScreeningOut::from).collect()),
    ))
}

/// Checks the request, screens the patient's stored chart for each protocol (all when none
/// are named) and stores each result unsigned, in the order asked. Shared by the API and the
/// screening pages.
pub(crate) async fn screen_and_store(
    state: &AppState,
    actor: &Actor,
    patient_id: PatientId,
    input: &ScreeningRunIn,
) -> Result<Vec<StoredScreening>, ApiError> {
    let data = &state.data;
    let mut check = Check::new();
    let as_of = check
        .optional_date("as_of", input.as_of.as_deref())
        .flatten();
    if let Some(ids) = &input.protocols {
        let library = data.protocols.len();
        if ids.is_empty() {
            check.add(
                "protocols",
                "is empty; name at least one protocol, or leave it out to screen for all",
            );
        } else if ids.len() > library {
            // Checked before anything else looks at the list: its length is the caller's.
            check.add(
                "protocols",
                format!(
                    "names {} protocols but the library has {library}; name each at most once, or leave it out to screen for all",
                    ids.len()
                ),
            );
        } else {
            for (i, id) in ids.iter().enumerate() {
                if ids[..i].contains(id) {
                    check.add(
                        format!("protocols[{i}]"),
                        format!("`{id}` is listed twice; name each protocol once"),
                    );
                }
            }
        }
    }
    check.finish()?;
    let protocols: Vec<&LoadedProtocol> = match &input.protocols {
        None => data.protocols.iter().collect(),
        Some(ids) => ids
            .iter()
            .enumerate()
            .map(|(i, id)| find_protocol(data, id, &format!("protocols[{i}]")))
            .collect::<Result<_, _>>()?,
    };
    let as_of = as_of.unwrap_or_else(today);

    let store = state.store.as_ref();
    let patient = store.patient(actor, patient_id).await?;
    let facts = facts::load(store, actor, &patient, &data.terminology).await?;
    let screenings = screenings_to_store(&protocols, &facts, &data.terminology, as_of)?;
    let mut stored = Vec::with_capacity(screenings.len());
    for screening in &screenings {
        stored.push(store.add_screening(actor, patient.id, screening).await?);
    }
    Ok(stored)
}

/// Screens `facts` for each protocol as of `as_of`, in the order given, and makes each result
/// the record to store: protocol id and version, verdict, and the result document (findings,
/// evidence, citations). Pure, so the candidate form can screen before it stores anything and
/// store the screenings with the patient in one transaction.
pub(crate) fn screenings_to_store(
    protocols: &[&LoadedProtocol],
    facts: &PatientFacts,
    terminology: &Terminology,
    as_of: Date,
) -> Result<Vec<NewScreening>, ApiError> {
    let resolved = ResolvedFacts::new(facts, terminology, as_of);
    protocols
        .iter()
        .map(|loaded| {
            let screening = resolved.screen(&loaded.protocol);
            let result = serde_json::to_value(ScreeningOut::from(&screening))
                .map_err(|e| ApiError::internal("cannot encode a screening", &e))?;
            Ok(NewScreening {
                protocol_id: loaded.protocol.id.to_string(),
                protocol_version: loaded.protocol.version.to_string(),
                as_of,
                verdict: screening.verdict.as_str().to_owned(),
                result,
            })
        })
        .collect()
}

/// The patient's screenings, newest first.
#[utoipa::path(
    get,
    path = "/api/v1/patients/{id}/screenings",
    tag = "screenings",
    params(("id" = i64, Path, description = "Patient id")),
    responses(
        (status = 200, description = "Screenings, newest first", body = [StoredScreeningOut]),
        (status = 404, description = "No such patient", body = ErrorBody),
    )
)]
async fn list_screenings(
    auth: Authorized<need::PatientRead>,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Vec<StoredScreeningOut>>, ApiError> {
    let screenings = state.store.screenings(&auth.actor, PatientId(id)).await?;
    Ok(Json(
        screenings.iter().map(StoredScreeningOut::from).collect(),
    ))
}

/// One screening.
#[utoipa::path(
    get,
    path = "/api/v1/screenings/{id}",
    tag = "screenings",
    params(("id" = i64, Path, description = "Screening id")),
    responses(
        (status = 200, description = "The screening", body = StoredScreeningOut),
        (status = 404, description = "No such screening", body = ErrorBody),
    )
)]
async fn get_screening(
    auth: Authorized<need::PatientRead>,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<StoredScreeningOut>, ApiError> {
    let screening = state.store.screening(&auth.actor, ScreeningId(id)).await?;
    Ok(Json(StoredScreeningOut::from(&screening)))
}

/// Signs a screening as the signed-in clinician. A signed screening cannot be signed again.
#[utoipa::path(
    post,
    path = "/api/v1/screenings/{id}/sign",
    tag = "screenings",
    params(("id" = i64, Path, description = "Screening id")),
    responses(
        (status = 200, description = "Signed", body = StoredScreeningOut),
        (status = 404, description = "No such screening", body = ErrorBody),
        (status = 409, description = "Already signed", body = ErrorBody),
    )
)]
async fn sign_screening(
    auth: Authorized<need::ScreeningSign>,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<StoredScreeningOut>, ApiError> {
    let screening = state
        .store
        .sign_screening(&auth.actor, ScreeningId(id), auth.user.id)
        .await?;
    Ok(Json(StoredScreeningOut::from(&screening)))
}
