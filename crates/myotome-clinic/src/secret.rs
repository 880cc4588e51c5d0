//! Secrets handed to clients (API tokens here; sessions, set-up links and CSRF tokens at the web
//! edge): 32 bytes from the operating system's random generator, as hex. The database keeps
//! only the SHA-256 of a bearer secret, so a copy of the database does not hand out live
//! sessions or tokens.

use myotome_store::StoreError;
use sha2::{Digest, Sha256};

/// The operating system would not give random bytes.
#[derive(Debug, thiserror::Error)]
#[error("the operating system's random number generator failed: {0}")]
pub struct RandomError(getrandom::Error);

/// 32 random bytes as 64 hex characters.
pub fn new_secret() -> Result<String, RandomError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(RandomError)?;
    Ok(hex::encode(bytes))
}

/// A new secret, or the failure logged with `context` and answered as a store failure (the
/// caller cannot do anything about it but try again).
pub fn random(context: &'static str) -> Result<String, StoreError> {
    new_secret().map_err(|e| {
        tracing::error!(error = %e, "{context}");
        StoreError::Database(Box::new(e))
    })
}

/// SHA-256 of a secret, hex: what the store keeps and looks up by.
pub fn sha256_hex(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_64_hex_characters_and_differ() {
        let a = new_secret().expect("random bytes");
        let b = new_secret().expect("random bytes");
        assert_eq!(a.len(), 64);
        assert!(a.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
    }
}
