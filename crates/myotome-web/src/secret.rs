//! Secrets handed to clients (session cookies, API tokens, set-up links, CSRF tokens): 32 bytes
//! from the operating system's random generator, as hex, made by the use cases'
//! [`myotome_clinic::secret`] (re-exported here). The database keeps only the SHA-256 of a
//! bearer secret, so a copy of the database does not hand out live sessions or tokens. What is
//! the web edge's own: comparing a CSRF token in constant time.

pub use myotome_clinic::secret::{RandomError, new_secret, sha256_hex};

/// Compares two strings in time that depends only on their lengths, so a CSRF token cannot be
/// guessed byte by byte from response times.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constant_time_comparison_matches_equality() {
        assert!(constant_time_eq("abc", "abc"));
        assert!(!constant_time_eq("abc", "abd"));
        assert!(!constant_time_eq("abc", "abcd"));
    }
}
