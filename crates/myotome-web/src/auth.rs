//! Who is calling: the session cookie or the API token on a request, resolved to a user and an
//! [`Actor`] for the audit trail, with the CSRF check for cookie-authenticated changes and the
//! permission check for the handler's [`Need`].

use crate::credentials::SESSION_COOKIE;
use crate::csrf;
use crate::error::ApiError;
use crate::extract::client_address;
use crate::permissions::{Need, allows, refusal};
use crate::secret::sha256_hex;
use crate::state::AppState;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use jiff::Timestamp;
use myotome_store::{Actor, TokenId, User};
use std::marker::PhantomData;
use std::ops::Deref;

/// How the caller proved who they are.
#[derive(Debug, Clone)]
pub enum Via {
    Session {
        /// SHA-256 of the cookie's secret: how the store knows the session.
        secret_hash: String,
        csrf_token: String,
        expires_at: Timestamp,
    },
    Token {
        token_id: TokenId,
    },
}

/// A signed-in caller.
#[derive(Debug, Clone)]
pub struct Caller {
    pub user: User,
    /// The user, their username and client address, for the store's audit rows. With an API
    /// token the name is `"{username} (token {id})"`, so the trail tells the two apart.
    pub actor: Actor,
    pub via: Via,
}

impl Caller {
    /// The caller as the use cases know them: user, role and audit actor.
    pub fn clinic(&self) -> myotome_clinic::Caller {
        myotome_clinic::Caller {
            user: Some(self.user.id),
            role: self.user.role,
            actor: self.actor.clone(),
        }
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        if let Some(caller) = parts.extensions.get::<Caller>() {
            return Ok(caller.clone());
        }
        let caller = authenticate(parts, state).await?;
        parts.extensions.insert(caller.clone());
        Ok(caller)
    }
}

async fn authenticate(parts: &Parts, state: &AppState) -> Result<Caller, ApiError> {
    let from = client_address(parts);
    let actor = |user: &User| Actor {
        user_id: Some(user.id),
        name: user.username.clone(),
        from: from.clone(),
    };
    // A bearer token wins over a cookie: a script that sends one means it.
    if let Some(value) = parts.headers.get(header::AUTHORIZATION) {
        let secret = value
            .to_str()
            .ok()
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .ok_or_else(|| {
                ApiError::Unauthenticated(
                    "The Authorization header must be `Bearer <API token>`.".to_owned(),
                )
            })?;
        return match state.store.api_token_user(&sha256_hex(secret)).await? {
            Some((token, user)) => Ok(Caller {
                // The trail says a token acted, and which: not the user at their desk.
                actor: Actor {
                    name: format!("{} (token {})", user.username, token.id.0),
                    ..actor(&user)
                },
                user,
                via: Via::Token { token_id: token.id },
            }),
            None => Err(ApiError::Unauthenticated(
                "This API token is not valid: it was revoked, its user is disabled, or it was mistyped. Ask an administrator for a new one.".to_owned(),
            )),
        };
    }
    let Some(secret) = session_cookie(&parts.headers) else {
        return Err(ApiError::Unauthenticated(
            "Sign in first (POST /api/v1/session), or send an API token as `Authorization: Bearer <token>`.".to_owned(),
        ));
    };
    let secret_hash = sha256_hex(secret);
    let Some(session) = state.store.session(&secret_hash, Timestamp::now()).await? else {
        return Err(ApiError::Unauthenticated(
            "Your session has ended (signed out, expired, or the account was disabled or given a new password); sign in again.".to_owned(),
        ));
    };
    if csrf::is_unsafe(&parts.method) {
        csrf::check(&parts.headers, &session.csrf_token)?;
    }
    Ok(Caller {
        actor: actor(&session.user),
        user: session.user,
        via: Via::Session {
            secret_hash,
            csrf_token: session.csrf_token,
            expires_at: session.expires_at,
        },
    })
}

/// The session secret from the `Cookie` header(s), if any.
pub fn session_cookie(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value.trim())
        .filter(|value| !value.is_empty())
}

/// A caller whose role has the permission `P`; otherwise 401 (not signed in) or 403.
#[derive(Debug, Clone)]
pub struct Authorized<P> {
    pub caller: Caller,
    need: PhantomData<P>,
}

impl<P> Deref for Authorized<P> {
    type Target = Caller;

    fn deref(&self) -> &Caller {
        &self.caller
    }
}

impl<P: Need> FromRequestParts<AppState> for Authorized<P> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let caller = Caller::from_request_parts(parts, state).await?;
        if allows(caller.user.role, P::PERMISSION) {
            Ok(Self {
                caller,
                need: PhantomData,
            })
        } else {
            Err(ApiError::Forbidden(refusal(
                caller.user.role,
                P::PERMISSION,
            )))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn the_session_cookie_is_found_among_others() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("theme=dark; myotome_session=abc123 ; other=1"),
        );
        assert_eq!(session_cookie(&headers), Some("abc123"));
        headers.insert(header::COOKIE, HeaderValue::from_static("myotome_session="));
        assert_eq!(session_cookie(&headers), None);
    }
}
