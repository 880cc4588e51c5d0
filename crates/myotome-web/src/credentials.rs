//! Issuing credentials: sessions (the cookie and its CSRF token) and API tokens. Every secret
//! is 32 random bytes; the store keeps only its SHA-256.

use crate::secret::{new_secret, sha256_hex};
use crate::settings::Settings;
use jiff::Timestamp;
use myotome_store::{Actor, ApiToken, NewApiToken, NewSession, Store, StoreError, User, UserId};

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "myotome_session";

/// How many characters of a token's secret are kept in clear, so an admin can tell tokens
/// apart without the store holding anything that signs in.
const TOKEN_PREFIX_CHARS: usize = 8;

pub(crate) fn random(context: &'static str) -> Result<String, StoreError> {
    new_secret().map_err(|e| {
        tracing::error!(error = %e, "{context}");
        StoreError::Database(Box::new(e))
    })
}

/// Creates an API token acting as `user`. Returns the stored token and its secret, which is
/// shown once and never again.
pub async fn create_api_token(
    store: &dyn Store,
    actor: &Actor,
    user: UserId,
    name: &str,
) -> Result<(ApiToken, String), StoreError> {
    let secret = random("cannot create an API token secret")?;
    let token = store
        .create_api_token(
            actor,
            &NewApiToken {
                user_id: user,
                name: name.to_owned(),
                prefix: secret.chars().take(TOKEN_PREFIX_CHARS).collect(),
                secret_hash: sha256_hex(&secret),
            },
        )
        .await?;
    Ok((token, secret))
}

/// A new session in the store.
pub struct IssuedSession {
    /// The cookie's value.
    pub secret: String,
    pub csrf_token: String,
    pub expires_at: Timestamp,
}

pub async fn create_session(
    store: &dyn Store,
    user: &User,
    settings: &Settings,
    now: Timestamp,
) -> Result<IssuedSession, StoreError> {
    let secret = random("cannot create a session secret")?;
    let csrf_token = random("cannot create a CSRF token")?;
    let expires_at = now
        .saturating_add(settings.session_ttl)
        .map_err(|e| StoreError::Database(Box::new(e)))?;
    store
        .create_session(&NewSession {
            secret_hash: sha256_hex(&secret),
            user_id: user.id,
            csrf_token: csrf_token.clone(),
            expires_at,
        })
        .await?;
    Ok(IssuedSession {
        secret,
        csrf_token,
        expires_at,
    })
}

/// The `Set-Cookie` value for a new session: HttpOnly (scripts cannot read it), SameSite=Strict
/// (other sites' requests do not carry it), `Secure` when the server is behind TLS.
pub fn session_cookie_header(secret: &str, settings: &Settings) -> String {
    let max_age = settings.session_ttl.as_secs().max(0);
    let secure = if settings.secure_cookies {
        "; Secure"
    } else {
        ""
    };
    format!(
        "{SESSION_COOKIE}={secret}; HttpOnly; SameSite=Strict; Path=/; Max-Age={max_age}{secure}"
    )
}

/// The `Set-Cookie` value that makes the browser forget the session.
pub fn expired_cookie_header(settings: &Settings) -> String {
    let secure = if settings.secure_cookies {
        "; Secure"
    } else {
        ""
    };
    format!("{SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0{secure}")
}
