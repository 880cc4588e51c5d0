//! Password hashing: argon2id with the crate's default (OWASP-recommended) parameters, stored as
//! a PHC string. Hashing and verifying are deliberately slow; handlers run them on the blocking
//! pool so they never stall the async workers.

use argon2::{Argon2, PasswordHasher, PasswordVerifier};
use std::sync::OnceLock;

/// Shortest password accepted. Length beats composition rules; a few words make a good one.
pub const MIN_PASSWORD_CHARS: usize = 12;
/// Longest password accepted, so nobody can make the server hash megabytes.
pub const MAX_PASSWORD_CHARS: usize = 1024;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    #[error(
        "the password has {chars} characters; use at least {MIN_PASSWORD_CHARS} (a few unrelated words make a good one)"
    )]
    TooShort { chars: usize },
    #[error("the password has more than {MAX_PASSWORD_CHARS} characters; use a shorter one")]
    TooLong,
    #[error("the password could not be hashed: {0}")]
    Hashing(String),
}

/// Checks the password's length, without hashing (a form can say every problem at once).
pub fn check_password(password: &str) -> Result<(), PasswordError> {
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        return Err(PasswordError::TooShort { chars });
    }
    if chars > MAX_PASSWORD_CHARS {
        return Err(PasswordError::TooLong);
    }
    Ok(())
}

/// Checks the password's length and hashes it with argon2id and a fresh random salt.
pub fn hash_password(password: &str) -> Result<String, PasswordError> {
    check_password(password)?;
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|hash| hash.to_string())
        .map_err(|e| PasswordError::Hashing(e.to_string()))
}

/// Whether `password` matches the stored PHC `hash`. A malformed hash never matches.
pub fn verify_password(password: &str, hash: &str) -> bool {
    Argon2::default()
        .verify_password(password.as_bytes(), hash)
        .is_ok()
}

/// A valid hash of a random password, checked against when a username does not exist so that
/// a wrong username costs as much time as a wrong password (no username probing by timing).
pub(crate) fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        let password = crate::secret::new_secret()
            .unwrap_or_else(|_| "a fixed fallback that nobody can sign in with".to_owned());
        // Only a broken argon2 fails here; then nothing verifies, which is the safe direction.
        hash_password(&password).unwrap_or_default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hashed_password_verifies_and_a_wrong_one_does_not() {
        let hash = hash_password("correct horse battery staple").expect("hashes");
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery staple", &hash));
        assert!(!verify_password("correct horse battery stapler", &hash));
        assert!(!verify_password("anything", "not a hash"));
    }

    #[test]
    fn short_passwords_are_refused_with_the_minimum_named() {
        let error = hash_password("short").expect_err("too short");
        assert!(error.to_string().contains("at least 12"), "{error}");
    }

    #[test]
    fn the_dummy_hash_is_a_real_hash() {
        assert!(dummy_hash().starts_with("$argon2id$"));
    }
}
