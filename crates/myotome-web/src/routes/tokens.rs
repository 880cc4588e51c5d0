//! API tokens, for the admin, over HTTP: each acts as one user, with that user's role. The
//! checks and the store calls are the use cases' ([`myotome_clinic::access`]).

use crate::auth::Authorized;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiPath};
use crate::permissions::need;
use crate::state::AppState;
use crate::wire::admin::{NewTokenIn, TokenCreatedOut, TokenOut};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use myotome_clinic::access;
use myotome_store::TokenId;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_tokens, create_token))
        .routes(routes!(revoke_token))
}

/// Every token, revoked ones included (secrets are never shown again).
#[utoipa::path(
    get,
    path = "/api/v1/tokens",
    tag = "admin",
    responses((status = 200, description = "Tokens", body = [TokenOut]))
)]
async fn list_tokens(
    auth: Authorized<need::TokenAdmin>,
    State(state): State<AppState>,
) -> Result<Json<Vec<TokenOut>>, ApiError> {
    let tokens = access::tokens(&state.clinic, &auth.clinic()).await?;
    Ok(Json(tokens.iter().map(TokenOut::from).collect()))
}

/// Creates a token acting as a user; the secret is in this answer only.
#[utoipa::path(
    post,
    path = "/api/v1/tokens",
    tag = "admin",
    request_body = NewTokenIn,
    responses(
        (status = 201, description = "Created; keep the secret, it is not shown again", body = TokenCreatedOut),
        (status = 422, description = "No such user, or no name", body = ErrorBody),
    )
)]
async fn create_token(
    auth: Authorized<need::TokenAdmin>,
    State(state): State<AppState>,
    ApiJson(input): ApiJson<NewTokenIn>,
) -> Result<(StatusCode, Json<TokenCreatedOut>), ApiError> {
    let (token, secret) = access::new_token(&state.clinic, &auth.clinic(), &input.into()).await?;
    Ok((
        StatusCode::CREATED,
        Json(TokenCreatedOut {
            token: TokenOut::from(&token),
            secret,
        }),
    ))
}

/// Revokes a token: it stops working at once.
#[utoipa::path(
    delete,
    path = "/api/v1/tokens/{id}",
    tag = "admin",
    params(("id" = i64, Path, description = "Token id")),
    responses(
        (status = 200, description = "Revoked", body = TokenOut),
        (status = 404, description = "No such token", body = ErrorBody),
    )
)]
async fn revoke_token(
    auth: Authorized<need::TokenAdmin>,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<TokenOut>, ApiError> {
    let token = access::revoke_token(&state.clinic, &auth.clinic(), TokenId(id)).await?;
    Ok(Json(TokenOut::from(&token)))
}
