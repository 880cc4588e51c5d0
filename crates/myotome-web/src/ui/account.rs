//! Signing in and out, and changing one's own password.
//!
//! Sign-in is the API's ([`crate::sign_in::password_sign_in`]): the same throttling,
//! the same answer for a wrong username and a wrong password, the same audit rows. The page
//! says why someone landed on it (session ended, signed out) and goes back where they were.

use crate::credentials::{create_session, expired_cookie_header, session_cookie_header};
use crate::error::ApiError;
use crate::extract::ClientAddress;
use crate::sign_in::password_sign_in;
use crate::state::AppState;
use crate::ui::form::{FieldErrors, Fields};
use crate::ui::layout::Chrome;
use crate::ui::page::{PageRejection, Viewer, safe_next};
use crate::ui::render::{UiError, html, in_page, ok, see_other};
use askama::Template;
use axum::Router;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use jiff::Timestamp;
use myotome_clinic::access;
use myotome_store::AuditAction;
use serde::Deserialize;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/sign-in", get(sign_in_page).post(sign_in_submit))
        .route("/sign-out", post(sign_out))
        .route(
            "/account/password",
            get(password_page).post(password_submit),
        )
}

#[derive(Template)]
#[template(path = "ui/sign_in.html")]
struct SignInPage<'a> {
    chrome: Chrome,
    title: &'a str,
    notice: Option<&'static str>,
    error: Option<String>,
    username: &'a str,
    next: &'a str,
    no_users_yet: bool,
}

#[derive(Debug, Deserialize, Default)]
struct SignInQuery {
    next: Option<String>,
    expired: Option<String>,
    signed_out: Option<String>,
}

async fn sign_in_page(
    State(state): State<AppState>,
    query: Result<Query<SignInQuery>, QueryRejection>,
) -> Result<Response, UiError> {
    let query = query.map(|Query(q)| q).unwrap_or_default();
    let notice = if query.expired.is_some() {
        Some(
            "Your session has ended — it expired, you signed out elsewhere, or your password was changed. Sign in again to go on; everything you saved is kept.",
        )
    } else if query.signed_out.is_some() {
        Some("You are signed out.")
    } else {
        None
    };
    let no_users_yet = state.store.count_users().await? == 0;
    Ok(ok(&SignInPage {
        chrome: Chrome::anonymous(),
        title: "Sign in",
        notice,
        error: None,
        username: "",
        next: safe_next(query.next.as_deref()),
        no_users_yet,
    }))
}

async fn sign_in_submit(
    State(state): State<AppState>,
    ClientAddress(from): ClientAddress,
    headers: HeaderMap,
    form: Fields,
) -> Response {
    let username = form.get("username");
    let next = safe_next(Some(form.get("next")));
    match password_sign_in(
        &state,
        from,
        &headers,
        username,
        form.get("password").to_owned(),
    )
    .await
    {
        Ok((_, session)) => {
            let cookie = session_cookie_header(&session.secret, &state.settings);
            match HeaderValue::from_str(&cookie) {
                Ok(cookie) => {
                    let mut response = see_other(next);
                    response.headers_mut().insert(header::SET_COOKIE, cookie);
                    response
                }
                Err(e) => UiError::from(ApiError::internal("session cookie", &e)).into_response(),
            }
        }
        Err(error) => html(
            error.status(),
            &SignInPage {
                chrome: Chrome::anonymous(),
                title: "Sign in",
                notice: None,
                error: Some(error.message()),
                username,
                next,
                no_users_yet: false,
            },
        ),
    }
}

async fn sign_out(
    State(state): State<AppState>,
    viewer: Result<Viewer, PageRejection>,
    headers: HeaderMap,
) -> Response {
    if let (Ok(viewer), Some(secret)) = (viewer, crate::auth::session_cookie(&headers)) {
        let ended = async {
            state
                .store
                .delete_session(&crate::secret::sha256_hex(secret))
                .await?;
            state
                .store
                .record_audit(&viewer.actor, &AuditAction::general("session.sign_out"))
                .await
        };
        if let Err(e) = ended.await {
            return UiError::new(ApiError::from(e), Some(&viewer)).into_response();
        }
    }
    let mut response = see_other("/sign-in?signed_out=1");
    if let Ok(cookie) = HeaderValue::from_str(&expired_cookie_header(&state.settings)) {
        response.headers_mut().insert(header::SET_COOKIE, cookie);
    }
    response
}

#[derive(Template)]
#[template(path = "ui/password.html")]
struct PasswordPage<'a> {
    chrome: Chrome,
    title: &'a str,
    changed: bool,
    errors: FieldErrors,
}

#[derive(Debug, Deserialize, Default)]
struct PasswordQuery {
    changed: Option<String>,
}

async fn password_page(
    viewer: Viewer,
    query: Result<Query<PasswordQuery>, QueryRejection>,
) -> Response {
    let query = query.map(|Query(q)| q).unwrap_or_default();
    ok(&PasswordPage {
        chrome: Chrome::for_viewer(&viewer, ""),
        title: "Change your password",
        changed: query.changed.is_some(),
        errors: FieldErrors::none(),
    })
}

/// Checks the current password, sets the new one (which ends every session of this user, on
/// every device), and signs this browser in again so the person can go on working.
async fn password_submit(
    viewer: Viewer,
    State(state): State<AppState>,
    ClientAddress(from): ClientAddress,
    form: Fields,
) -> Result<Response, UiError> {
    let mut errors = FieldErrors::none();
    let current = form.get("current_password").to_owned();
    let new = form.get("new_password").to_owned();
    if form.get("confirm_password") != new {
        errors.add(
            "confirm_password",
            "does not match the new password; type the same password in both boxes",
        );
    }
    let (_, hash) = state
        .store
        .user_credentials(&viewer.user.username)
        .await
        .map_err(in_page(&viewer))?
        .ok_or_else(|| {
            UiError::new(
                ApiError::NotFound("Your account no longer exists.".to_owned()),
                Some(&viewer),
            )
        })?;
    let matches = crate::sign_in::current_password_matches(
        &state,
        &from,
        &viewer.user.username,
        current,
        hash,
    )
    .await
    .map_err(in_page(&viewer))?;
    if !matches {
        errors.add("current_password", "is not your current password");
    }
    if !errors.is_empty() {
        return Ok(html(
            StatusCode::UNPROCESSABLE_ENTITY,
            &PasswordPage {
                chrome: Chrome::for_viewer(&viewer, ""),
                title: "Change your password",
                changed: false,
                errors,
            },
        ));
    }
    let changed =
        access::change_own_password(&state.clinic, &viewer.clinic(), state.sign_in.as_ref(), new)
            .await
            .map_err(ApiError::from);
    let user = match changed {
        Ok(user) => user,
        Err(error @ ApiError::Invalid { .. }) => {
            return Ok(html(
                error.status(),
                &PasswordPage {
                    chrome: Chrome::for_viewer(&viewer, ""),
                    title: "Change your password",
                    changed: false,
                    errors: FieldErrors::from_api(&error, &[]),
                },
            ));
        }
        Err(error) => return Err(UiError::new(error, Some(&viewer))),
    };
    let session = create_session(
        state.store.as_ref(),
        &user,
        &state.settings,
        Timestamp::now(),
    )
    .await
    .map_err(in_page(&viewer))?;
    let cookie = HeaderValue::from_str(&session_cookie_header(&session.secret, &state.settings))
        .map_err(|e| UiError::from(ApiError::internal("session cookie", &e)))?;
    let mut response = see_other("/account/password?changed=1");
    response.headers_mut().insert(header::SET_COOKIE, cookie);
    Ok(response)
}
