//! Sign-in, who-am-I and sign-out. Sessions live in the database (several servers can share
//! them); the cookie holds a random secret whose SHA-256 the store looks up.
//!
//! Checking the password is [`crate::sign_in`]'s, shared with the sign-in page: throttled
//! per username and per client address, the same answer and the same time for a wrong
//! username and a wrong password.

use crate::auth::{Caller, Via};
use crate::credentials::{expired_cookie_header, session_cookie_header};
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ClientAddress};
use crate::sign_in::password_sign_in;
use crate::state::AppState;
use crate::wire::admin::{SessionOut, SignInIn, UserOut};
use crate::wire::at;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use myotome_store::AuditAction;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(sign_in, who_am_i, sign_out))
}

/// Signs in with username and password; sets the session cookie and returns the CSRF token.
#[utoipa::path(
    post,
    path = "/api/v1/session",
    tag = "session",
    security(()),
    request_body = SignInIn,
    responses(
        (status = 200, description = "Signed in; the `myotome_session` cookie is set", body = SessionOut),
        (status = 401, description = "Wrong username or password, or a disabled account (answered alike, so the answer tells no one the password was right)", body = ErrorBody),
        (status = 403, description = "Cross-site sign-in", body = ErrorBody),
        (status = 429, description = "Too many failed attempts", body = ErrorBody),
    )
)]
async fn sign_in(
    State(state): State<AppState>,
    ClientAddress(from): ClientAddress,
    headers: HeaderMap,
    ApiJson(input): ApiJson<SignInIn>,
) -> Result<Response, ApiError> {
    let (user, session) =
        password_sign_in(&state, from, &headers, &input.username, input.password).await?;
    let cookie = HeaderValue::from_str(&session_cookie_header(&session.secret, &state.settings))
        .map_err(|e| ApiError::internal("session cookie", &e))?;
    let body = SessionOut {
        user: UserOut::from(&user),
        via: "session",
        csrf_token: Some(session.csrf_token),
        expires_at: Some(at(session.expires_at)),
    };
    Ok(([(header::SET_COOKIE, cookie)], Json(body)).into_response())
}

/// Who is signed in, with the CSRF token to send with changes.
#[utoipa::path(
    get,
    path = "/api/v1/session",
    tag = "session",
    responses(
        (status = 200, description = "The signed-in user", body = SessionOut),
        (status = 401, description = "Not signed in", body = ErrorBody),
    )
)]
async fn who_am_i(caller: Caller) -> Json<SessionOut> {
    let (via, csrf_token, expires_at) = match &caller.via {
        Via::Session {
            csrf_token,
            expires_at,
            ..
        } => ("session", Some(csrf_token.clone()), Some(at(*expires_at))),
        Via::Token { .. } => ("token", None, None),
    };
    Json(SessionOut {
        user: UserOut::from(&caller.user),
        via,
        csrf_token,
        expires_at,
    })
}

/// Signs out: ends the session in the database and clears the cookie.
#[utoipa::path(
    delete,
    path = "/api/v1/session",
    tag = "session",
    responses(
        (status = 204, description = "Signed out; the cookie is cleared"),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 409, description = "Called with an API token, which has no session to end", body = ErrorBody),
    )
)]
async fn sign_out(caller: Caller, State(state): State<AppState>) -> Result<Response, ApiError> {
    let Via::Session { secret_hash, .. } = &caller.via else {
        return Err(ApiError::Conflict(
            "This request was made with an API token, which has no session to end; an administrator revokes tokens (DELETE /api/v1/tokens/{id}).".to_owned(),
        ));
    };
    state.store.delete_session(secret_hash).await?;
    state
        .store
        .record_audit(&caller.actor, &AuditAction::general("session.sign_out"))
        .await?;
    let cookie = HeaderValue::from_str(&expired_cookie_header(&state.settings))
        .map_err(|e| ApiError::internal("session cookie", &e))?;
    Ok((StatusCode::NO_CONTENT, [(header::SET_COOKIE, cookie)]).into_response())
}
