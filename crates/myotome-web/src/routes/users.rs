//! Users, for the admin, over HTTP: list, add, change name, role or disabled state, set a
//! password. The checks and the store calls are the use cases' ([`myotome_clinic::access`]);
//! new passwords are hashed under the server's argon2 permits ([`crate::throttle::Gate`]).
//! Disabling a user or setting their password ends their sessions (the store does it).

use crate::auth::Authorized;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiPath};
use crate::permissions::need;
use crate::state::AppState;
use crate::wire::admin::{NewUserIn, PasswordIn, UserOut, UserUpdateIn};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use myotome_clinic::access;
use myotome_store::UserId;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_users, create_user))
        .routes(routes!(update_user))
        .routes(routes!(set_password))
}

/// Every user.
#[utoipa::path(
    get,
    path = "/api/v1/users",
    tag = "admin",
    responses((status = 200, description = "Users", body = [UserOut]))
)]
async fn list_users(
    auth: Authorized<need::UserAdmin>,
    State(state): State<AppState>,
) -> Result<Json<Vec<UserOut>>, ApiError> {
    let users = access::users(&state.clinic, &auth.clinic()).await?;
    Ok(Json(users.iter().map(UserOut::from).collect()))
}

/// Adds a user.
#[utoipa::path(
    post,
    path = "/api/v1/users",
    tag = "admin",
    request_body = NewUserIn,
    responses(
        (status = 201, description = "Added", body = UserOut),
        (status = 409, description = "The username is taken", body = ErrorBody),
        (status = 422, description = "A field is wrong (e.g. a password under 12 characters)", body = ErrorBody),
    )
)]
async fn create_user(
    auth: Authorized<need::UserAdmin>,
    State(state): State<AppState>,
    ApiJson(input): ApiJson<NewUserIn>,
) -> Result<(StatusCode, Json<UserOut>), ApiError> {
    let user = access::add_user(
        &state.clinic,
        &auth.clinic(),
        state.sign_in.as_ref(),
        input.into(),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(UserOut::from(&user))))
}

/// Changes a user's name, role or disabled state; `version` must be the one read.
#[utoipa::path(
    put,
    path = "/api/v1/users/{id}",
    tag = "admin",
    params(("id" = i64, Path, description = "User id")),
    request_body = UserUpdateIn,
    responses(
        (status = 200, description = "Changed", body = UserOut),
        (status = 404, description = "No such user", body = ErrorBody),
        (status = 409, description = "Changed by someone else, or an admin locking themselves out", body = ErrorBody),
        (status = 422, description = "A field is wrong", body = ErrorBody),
    )
)]
async fn update_user(
    auth: Authorized<need::UserAdmin>,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<UserUpdateIn>,
) -> Result<Json<UserOut>, ApiError> {
    let user =
        access::change_user(&state.clinic, &auth.clinic(), UserId(id), &input.into()).await?;
    Ok(Json(UserOut::from(&user)))
}

/// Sets a user's password (ends their sessions).
#[utoipa::path(
    post,
    path = "/api/v1/users/{id}/password",
    tag = "admin",
    params(("id" = i64, Path, description = "User id")),
    request_body = PasswordIn,
    responses(
        (status = 200, description = "Set", body = UserOut),
        (status = 404, description = "No such user", body = ErrorBody),
        (status = 422, description = "The password is too short", body = ErrorBody),
    )
)]
async fn set_password(
    auth: Authorized<need::UserAdmin>,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<PasswordIn>,
) -> Result<Json<UserOut>, ApiError> {
    let user = access::change_password(
        &state.clinic,
        &auth.clinic(),
        state.sign_in.as_ref(),
        UserId(id),
        input.password,
    )
    .await?;
    Ok(Json(UserOut::from(&user)))
}
