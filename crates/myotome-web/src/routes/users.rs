//! Users, for the admin: list, add, change name, role or disabled state, set a password.
//! Disabling a user or setting their password ends their sessions (the store does it).

use crate::auth::Authorized;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiPath};
use crate::password::hash_password;
use crate::permissions::need;
use crate::state::AppState;
use crate::validate::Check;
use crate::wire::admin::{NewUserIn, PasswordIn, UserOut, UserUpdateIn};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use myotome_store::{Actor, NewUser, Role, User, UserId};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_users, create_user))
        .routes(routes!(update_user))
        .routes(routes!(set_password))
}

/// Hashes a new password on the blocking pool (within the argon2 permits); a too-short one is
/// a 422 on `field`.
pub async fn new_password_hash(
    state: &AppState,
    field: &str,
    password: String,
) -> Result<String, ApiError> {
    let field = field.to_owned();
    state
        .sign_in
        .argon2(move || hash_password(&password))
        .await?
        .map_err(|e| ApiError::field(field, e.to_string()))
}

/// Every user.
#[utoipa::path(
    get,
    path = "/api/v1/users",
    tag = "admin",
    responses((status = 200, description = "Users", body = [UserOut]))
)]
async fn list_users(
    _auth: Authorized<need::UserAdmin>,
    State(state): State<AppState>,
) -> Result<Json<Vec<UserOut>>, ApiError> {
    let users = state.store.users().await?;
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
    let user = add_user(&state, &auth.actor, input).await?;
    Ok((StatusCode::CREATED, Json(UserOut::from(&user))))
}

/// The username, display name and role of a new user, checked together (one 422 naming every
/// field that is wrong); the password is checked when it is hashed.
pub(crate) fn check_new_user(input: &NewUserIn) -> Result<Role, ApiError> {
    let mut check = Check::new();
    check.username("username", &input.username);
    check.display_name("display_name", &input.display_name);
    let role = Role::parse(&input.role)
        .map_err(|e| check.add("role", e))
        .ok();
    check.finish()?;
    role.ok_or_else(|| ApiError::unchecked("user"))
}

/// Adds a user (API and admin page): the fields, then the password (422 on `password`), then
/// the store, which refuses a taken username (409).
pub(crate) async fn add_user(
    state: &AppState,
    actor: &Actor,
    input: NewUserIn,
) -> Result<User, ApiError> {
    let role = check_new_user(&input)?;
    let password_hash = new_password_hash(state, "password", input.password).await?;
    let user = state
        .store
        .create_user(
            actor,
            &NewUser {
                username: input.username,
                display_name: input.display_name,
                role,
                password_hash,
            },
        )
        .await?;
    Ok(user)
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
    let user = change_user(&state, &auth.actor, auth.user.id, UserId(id), &input).await?;
    Ok(Json(UserOut::from(&user)))
}

/// Changes a user's name, role or disabled state (API and admin page) as the admin `me`;
/// `input.version` must be the one read.
pub(crate) async fn change_user(
    state: &AppState,
    actor: &Actor,
    me: UserId,
    id: UserId,
    input: &UserUpdateIn,
) -> Result<User, ApiError> {
    let mut check = Check::new();
    check.display_name("display_name", &input.display_name);
    let role = Role::parse(&input.role)
        .map_err(|e| check.add("role", e))
        .ok();
    check.finish()?;
    let Some(role) = role else {
        return Err(ApiError::unchecked("user"));
    };
    // An admin cannot lock themselves out; another admin (or `myotome user`) can do it.
    if id == me && (input.disabled || role != Role::Admin) {
        return Err(ApiError::Conflict(
            "You cannot disable yourself or give up your own admin role; ask another admin, so the clinic always keeps one.".to_owned(),
        ));
    }
    let user = state
        .store
        .update_user(
            actor,
            id,
            input.version,
            &input.display_name,
            role,
            input.disabled,
        )
        .await?;
    Ok(user)
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
    let user = change_password(&state, &auth.actor, UserId(id), input.password).await?;
    Ok(Json(UserOut::from(&user)))
}

/// Sets a user's password (API and admin page); a too-short one is a 422 on `password`.
pub(crate) async fn change_password(
    state: &AppState,
    actor: &Actor,
    id: UserId,
    password: String,
) -> Result<User, ApiError> {
    let hash = new_password_hash(state, "password", password).await?;
    Ok(state.store.set_password(actor, id, &hash).await?)
}
