//! API tokens, for the admin: each acts as one user, with that user's role.

use crate::auth::Authorized;
use crate::credentials::create_api_token;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiPath};
use crate::permissions::need;
use crate::state::AppState;
use crate::validate::{Check, MAX_SHORT_TEXT};
use crate::wire::admin::{NewTokenIn, TokenCreatedOut, TokenOut};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use myotome_store::{Actor, ApiToken, StoreError, TokenId, UserId};
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
    _auth: Authorized<need::TokenAdmin>,
    State(state): State<AppState>,
) -> Result<Json<Vec<TokenOut>>, ApiError> {
    let tokens = state.store.api_tokens().await?;
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
    let (token, secret) = new_token(&state, &auth.actor, &input).await?;
    Ok((
        StatusCode::CREATED,
        Json(TokenCreatedOut {
            token: TokenOut::from(&token),
            secret,
        }),
    ))
}

/// Creates a token (API and admin page): a name is required and the user must exist (422 on
/// `user_id` otherwise). Returns the token and its secret, which is shown this once.
pub(crate) async fn new_token(
    state: &AppState,
    actor: &Actor,
    input: &NewTokenIn,
) -> Result<(ApiToken, String), ApiError> {
    let mut check = Check::new();
    check.required_text("name", &input.name, MAX_SHORT_TEXT);
    check.finish()?;
    let store = state.store.as_ref();
    let user = match store.user(UserId(input.user_id)).await {
        Ok(user) => user,
        Err(StoreError::NotFound { .. }) => {
            return Err(ApiError::field(
                "user_id",
                format!("there is no user {}", input.user_id),
            ));
        }
        Err(other) => return Err(other.into()),
    };
    Ok(create_api_token(store, actor, user.id, &input.name).await?)
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
    let token = state
        .store
        .revoke_api_token(&auth.actor, TokenId(id))
        .await?;
    Ok(Json(TokenOut::from(&token)))
}
