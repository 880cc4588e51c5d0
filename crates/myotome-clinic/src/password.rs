//! Password hashing: argon2id with the crate's default (OWASP-recommended) parameters, stored as
//! a PHC string, and the length rule every new password meets. Hashing and verifying are
//! deliberately slow; a server runs them off its async workers (see
//! [`crate::access::PasswordHashing`]), the command line where it stands.

use argon2::{Argon2, PasswordHasher, PasswordVerifier};

/// Shortest password accepted. Length beats composition rules; a few words make a good one.
pub const MIN_PASSWORD_CHARS: usize = 12;
/// Longest password accepted, so nobody can make the server hash megabytes.
pub const MAX_PASSWORD_CHARS: usize = 1024;

/// Why a password was not hashed.
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
}
