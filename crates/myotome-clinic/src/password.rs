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
    #[error(
        "the password has a control character or is only spaces; use letters, digits, punctuation and spaces between words"
    )]
    NotText,
    #[error(
        "the password is one of the most common ones (or a keyboard run, or one character repeated), which are guessed first; choose a few unrelated words"
    )]
    Common,
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
    if password.chars().any(char::is_control) || password.trim().is_empty() {
        return Err(PasswordError::NotText);
    }
    if is_common(password) {
        return Err(PasswordError::Common);
    }
    Ok(())
}

/// Passwords of the minimum length that lists of the most used passwords and keyboard runs
/// put first, compared in lower case without spaces (NIST SP 800-63B §5.1.1.2 asks that new
/// passwords be checked against commonly used values). A short list, embedded: it catches
/// the obvious, not a breach corpus.
const COMMON: [&str; 32] = [
    "123456789012",
    "1234567890123",
    "12345678901234",
    "123456789123",
    "123123123123",
    "123456123456",
    "000000000000",
    "111111111111",
    "password1234",
    "password12345",
    "password123456",
    "passwordpassword",
    "passw0rd1234",
    "qwertyuiopas",
    "qwertyuiop12",
    "qwertyuiop123",
    "qwerty123456",
    "qwertyqwerty",
    "1q2w3e4r5t6y",
    "1qaz2wsx3edc",
    "qazwsxedcrfv",
    "zaq12wsxcde3",
    "asdfghjkl123",
    "abcdefghijkl",
    "abc123abc123",
    "iloveyou1234",
    "welcome12345",
    "letmein12345",
    "administrator",
    "changeme1234",
    "trustno1trustno1",
    "football1234",
];

fn is_common(password: &str) -> bool {
    let plain: String = password
        .chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect();
    let mut chars = plain.chars();
    let one_character = chars.next().is_some_and(|first| chars.all(|c| c == first));
    one_character || COMMON.contains(&plain.as_str())
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
    fn blank_control_and_common_passwords_are_refused() {
        for blank in [
            "            ",
            "\0\0\0\0\0\0\0\0\0\0\0\0",
            "a long passw\u{7}rd",
        ] {
            assert!(
                matches!(check_password(blank), Err(PasswordError::NotText)),
                "{blank:?}"
            );
        }
        for common in [
            "123456789012",
            "Password1234",
            "QWERTY 123456",
            "zzzzzzzzzzzzzz",
        ] {
            assert!(
                matches!(check_password(common), Err(PasswordError::Common)),
                "{common:?}"
            );
        }
        assert!(check_password("correct horse battery staple").is_ok());
    }

    #[test]
    fn short_passwords_are_refused_with_the_minimum_named() {
        let error = hash_password("short").expect_err("too short");
        assert!(error.to_string().contains("at least 12"), "{error}");
    }
}
