//! Sign-in, who-am-I and sign-out. Sessions live in the database (several servers can share
//! them); the cookie holds a random secret whose SHA-256 the store looks up.
//!
//! Sign-in is throttled per username and per client address: failures are counted in the
//! database, and sign-ins being checked right now count too (see [`crate::throttle`]). A wrong
//! username and a wrong password get the same answer and cost the same time (an unknown user is
//! checked against a dummy hash), so sign-in cannot be used to find out who has an account.

use crate::auth::{Caller, Via};
use crate::credentials::{
    IssuedSession, create_session, expired_cookie_header, session_cookie_header,
};
use crate::csrf;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ClientAddress};
use crate::password::{dummy_hash, verify_password};
use crate::state::AppState;
use crate::throttle::Limits;
use crate::wire::admin::{SessionOut, SignInIn, UserOut};
use crate::wire::at;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use jiff::Timestamp;
use myotome_store::{Actor, AuditAction, User};
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
        (status = 401, description = "Wrong username or password", body = ErrorBody),
        (status = 403, description = "Cross-site sign-in, or the account is disabled", body = ErrorBody),
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

/// Checks a username and password and opens a session: throttled, audited, the same answer
/// for a wrong username and a wrong password. Shared by the API and the sign-in page.
pub(crate) async fn password_sign_in(
    state: &AppState,
    from: String,
    headers: &HeaderMap,
    username: &str,
    password: String,
) -> Result<(User, IssuedSession), ApiError> {
    csrf::check_sign_in(headers)?;
    let username = username.trim().to_owned();
    if username.is_empty() || password.is_empty() {
        return Err(ApiError::Unauthenticated(wrong_credentials(state)));
    }
    let key = username.to_lowercase();
    let store = state.store.as_ref();
    let settings = &state.settings;
    let now = Timestamp::now();
    let since = now
        .checked_sub(settings.sign_in_window)
        .map_err(|e| ApiError::internal("sign-in window", &e))?;
    let limits = Limits {
        per_username: u64::from(settings.sign_in_limit),
        per_address: u64::from(settings.sign_in_limit_per_address),
        since,
    };
    // Counted before the password is checked, with the attempts in flight: parallel guesses
    // cannot all see "no failures yet".
    let Some(attempt) = state.sign_in.begin(store, &key, &from, limits).await? else {
        return Err(ApiError::TooManyAttempts(format!(
            "Too many failed sign-ins for this username or from this address; wait {} minutes and try again, or ask an administrator to set a new password.",
            settings.sign_in_window.as_mins()
        )));
    };

    let credentials = store.user_credentials(&username).await?;
    let (user, hash) = match credentials {
        Some((user, hash)) => (Some(user), hash),
        None => (None, dummy_hash().to_owned()),
    };
    let matches = state
        .sign_in
        .argon2(move || verify_password(&password, &hash))
        .await?;
    let succeeded = matches && user.as_ref().is_some_and(|u| !u.disabled);
    attempt.finish(store, succeeded, now).await?;
    let Some(user) = user.clone().filter(|_| matches) else {
        // The typed name is only kept when it is a real account's: a password typed into the
        // username box must not end up in the audit trail.
        let actor = match &user {
            Some(user) => Actor {
                user_id: Some(user.id),
                name: user.username.clone(),
                from,
            },
            None => Actor {
                user_id: None,
                name: "unknown user".to_owned(),
                from,
            },
        };
        store
            .record_audit(&actor, &AuditAction::general("session.sign_in_failed"))
            .await?;
        return Err(ApiError::Unauthenticated(wrong_credentials(state)));
    };
    let actor = Actor {
        user_id: Some(user.id),
        name: user.username.clone(),
        from,
    };
    if user.disabled {
        store
            .record_audit(
                &actor,
                &AuditAction::general("session.sign_in_refused_disabled"),
            )
            .await?;
        return Err(ApiError::AccountDisabled);
    }
    let session = create_session(store, &user, settings, now).await?;
    store
        .record_audit(&actor, &AuditAction::general("session.sign_in"))
        .await?;
    Ok((user, session))
}

fn wrong_credentials(state: &AppState) -> String {
    format!(
        "The username or password is wrong; check both and try again. After {} failed attempts sign-in pauses for {} minutes.",
        state.settings.sign_in_limit,
        state.settings.sign_in_window.as_mins()
    )
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
