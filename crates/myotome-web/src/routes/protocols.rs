//! The protocol library, read-only, for every signed-in role.

use crate::auth::Authorized;
use crate::clinic::unknown_protocol;
use crate::error::{ApiError, ErrorBody};
use crate::extract::ApiPath;
use crate::permissions::need;
use crate::state::AppState;
use crate::wire::protocols::{ProtocolOut, ProtocolSummaryOut};
use axum::Json;
use axum::extract::State;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_protocols))
        .routes(routes!(get_protocol))
}

/// Every protocol in the library, by id.
#[utoipa::path(
    get,
    path = "/api/v1/protocols",
    tag = "protocols",
    responses((status = 200, description = "The library", body = [ProtocolSummaryOut]))
)]
async fn list_protocols(
    _auth: Authorized<need::ProtocolRead>,
    State(state): State<AppState>,
) -> Json<Vec<ProtocolSummaryOut>> {
    Json(state.data.protocols.iter().map(Into::into).collect())
}

/// One protocol: what a plan may choose (indications, regions and sites, follow-ups) and the
/// protocol file itself.
#[utoipa::path(
    get,
    path = "/api/v1/protocols/{id}",
    tag = "protocols",
    params(("id" = String, Path, description = "Protocol id, e.g. hip-biologics")),
    responses(
        (status = 200, description = "The protocol", body = ProtocolOut),
        (status = 404, description = "No such protocol; the message lists the known ids", body = ErrorBody),
    )
)]
async fn get_protocol(
    _auth: Authorized<need::ProtocolRead>,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<ProtocolOut>, ApiError> {
    let data = &state.data;
    let loaded = data
        .protocols
        .get(&id)
        .ok_or_else(|| ApiError::NotFound(unknown_protocol(data, &id, "id")))?;
    Ok(Json(ProtocolOut::new(loaded, &data.catalog)))
}
