//! Signing in with a username and password, for the API (`POST /api/v1/session`) and the
//! sign-in page alike: HTTP authentication, so the web edge's own, not a use case.
//!
//! Sign-in is throttled per username and per client address: failures are counted in the
//! database, and sign-ins being checked right now count too (see [`crate::throttle`]). A wrong
//! username and a wrong password get the same answer and cost the same time (an unknown user is
//! checked against a dummy hash), so sign-in cannot be used to find out who has an account.

use crate::credentials::{IssuedSession, create_session};
use crate::csrf;
use crate::error::ApiError;
use crate::password::{dummy_hash, verify_password};
use crate::state::AppState;
use crate::throttle::Limits;
use axum::http::HeaderMap;
use jiff::Timestamp;
use myotome_store::{Actor, AuditAction, User};

/// Checks a username and password and opens a session: throttled, audited, the same answer
/// for a wrong username and a wrong password. Shared by the API and the sign-in page.
pub async fn password_sign_in(
    state: &AppState,
    from: String,
    headers: &HeaderMap,
    username: &str,
    password: String,
) -> Result<(User, IssuedSession), ApiError> {
    csrf::check_sign_in(headers)?;
    let username = username.trim().to_owned();
    // Nothing is stored for what cannot be a username (a million characters, a line break):
    // no account has such a name, so the answer is the wrong-credentials one at once.
    if password.is_empty() || myotome_clinic::validate::check_username(&username).is_err() {
        return Err(ApiError::Unauthenticated(wrong_credentials(state)));
    }
    // The store counts the attempts under a digest of the name, never the name as typed: a
    // password typed into the username box must not be kept in the clear.
    let key = username.clone();
    let store = state.store.as_ref();
    let settings = &state.settings;
    let now = Timestamp::now();
    // Counted before the password is checked, with the attempts in flight: parallel guesses
    // cannot all see "no failures yet".
    let Some(attempt) = state
        .sign_in
        .begin(store, &key, &from, limits(state, now)?)
        .await?
    else {
        return Err(too_many(state));
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
        // Answered exactly as a wrong password: a different answer would tell whoever guesses
        // that the password was right (the audit trail keeps the difference).
        return Err(ApiError::Unauthenticated(wrong_credentials(state)));
    }
    let session = create_session(store, &user, settings, now).await?;
    store
        .record_audit(&actor, &AuditAction::general("session.sign_in"))
        .await?;
    Ok((user, session))
}

/// The window and limits failed attempts are counted against.
fn limits(state: &AppState, now: Timestamp) -> Result<Limits, ApiError> {
    let settings = &state.settings;
    let since = now
        .checked_sub(settings.sign_in_window)
        .map_err(|e| ApiError::internal("sign-in window", &e))?;
    Ok(Limits {
        per_username: u64::from(settings.sign_in_limit),
        per_address: u64::from(settings.sign_in_limit_per_address),
        since,
    })
}

fn too_many(state: &AppState) -> ApiError {
    ApiError::TooManyAttempts(format!(
        "Too many failed sign-ins for this username or from this address; wait {} minutes and try again, or ask an administrator to set a new password.",
        state.settings.sign_in_window.as_mins()
    ))
}

/// Whether `password` is `username`'s current one, counted like a sign-in: a wrong guess is a
/// failed attempt of that name and address, and past the limit the check is refused without
/// being made (the password-change form must not be a way around sign-in's throttle).
pub async fn current_password_matches(
    state: &AppState,
    from: &str,
    username: &str,
    password: String,
    hash: String,
) -> Result<bool, ApiError> {
    let store = state.store.as_ref();
    let now = Timestamp::now();
    let Some(attempt) = state
        .sign_in
        .begin(store, username, from, limits(state, now)?)
        .await?
    else {
        return Err(too_many(state));
    };
    let matches = state
        .sign_in
        .argon2(move || verify_password(&password, &hash))
        .await?;
    attempt.finish(store, matches, now).await?;
    Ok(matches)
}

fn wrong_credentials(state: &AppState) -> String {
    format!(
        "The username or password is wrong, or the account is disabled; check both and try again, or ask an administrator. After {} failed attempts sign-in pauses for {} minutes.",
        state.settings.sign_in_limit,
        state.settings.sign_in_window.as_mins()
    )
}
