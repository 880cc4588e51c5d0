//! Issuing credentials: sessions (the cookie and its CSRF token) and, through the use cases
//! ([`myotome_clinic::access::create_api_token`], re-exported here), API tokens. Every secret
//! is 32 random bytes; the store keeps only its SHA-256.

use crate::secret::sha256_hex;
use crate::settings::Settings;
use jiff::Timestamp;
use myotome_store::{NewSession, Store, StoreError, User};

pub use myotome_clinic::access::create_api_token;
/// A new secret, or the failure logged with its context and answered as a store failure.
pub(crate) use myotome_clinic::secret::random;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "myotome_session";

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
