//! Password hashing at the web edge. The hashing itself and the length rule are the use
//! cases' ([`myotome_clinic::password`], re-exported here for the callers that name this
//! path); what is the server's own is the dummy hash sign-in checks a missing username against.
//! Hashing and verifying are deliberately slow; handlers run them on the blocking pool
//! ([`crate::throttle::Gate`]) so they never stall the async workers.

pub use myotome_clinic::password::{
    MAX_PASSWORD_CHARS, MIN_PASSWORD_CHARS, PasswordError, check_password, hash_password,
    verify_password,
};
use std::sync::OnceLock;

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
    fn the_dummy_hash_is_a_real_hash() {
        assert!(dummy_hash().starts_with("$argon2id$"));
    }
}
