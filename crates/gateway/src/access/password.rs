//! The dashboard password: `INITIAL_PASSWORD` until one is set, then an Argon2id hash kept in
//! the `auth` settings section. Hashing is deliberately slow; callers run it off the runtime.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// The settings section holding the password record.
pub const SECTION: &str = "auth";
pub const MIN_LENGTH: usize = 8;

/// What is stored about the password. The hash is a PHC string (`$argon2id$v=19$…`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PasswordRecord {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_hash: Option<String>,
    /// When the password was last set, Unix ms (0: never, `INITIAL_PASSWORD` is in force).
    #[serde(default)]
    pub changed_at: i64,
}

#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    #[error("no randomness for the password salt: {0}")]
    Random(String),
    #[error("cannot hash the password: {0}")]
    Hash(String),
}

/// An Argon2id hash (OWASP parameters: 19 MiB, 2 passes) with a fresh 16-byte salt.
pub fn hash(password: &str) -> Result<String, PasswordError> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| PasswordError::Random(e.to_string()))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| PasswordError::Hash(e.to_string()))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| PasswordError::Hash(e.to_string()))
}

/// Whether `password` matches `record`, or `initial` when no password was ever set. A stored
/// hash that does not parse matches nothing.
pub fn matches(record: &PasswordRecord, initial: &str, password: &str) -> bool {
    match &record.password_hash {
        Some(phc) => PasswordHash::new(phc).is_ok_and(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        }),
        // Digests first so the comparison's time does not depend on either length.
        None => Sha256::digest(password.as_bytes())
            .ct_eq(&Sha256::digest(initial.as_bytes()))
            .into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn initial_password_until_a_hash_is_stored() {
        let fresh = PasswordRecord::default();
        assert!(matches(&fresh, "123456", "123456"));
        assert!(!matches(&fresh, "123456", "1234567"));
        assert!(!matches(&fresh, "123456", ""));

        let phc = hash("correct horse").unwrap();
        assert!(phc.starts_with("$argon2id$v=19$"), "{phc}");
        assert_ne!(hash("correct horse").unwrap(), phc, "salted");
        let set = PasswordRecord {
            password_hash: Some(phc),
            changed_at: 1,
        };
        assert!(matches(&set, "123456", "correct horse"));
        assert!(
            !matches(&set, "123456", "123456"),
            "initial no longer works"
        );
        let broken = PasswordRecord {
            password_hash: Some("not a hash".into()),
            changed_at: 1,
        };
        assert!(!matches(&broken, "123456", "123456"));
    }

    #[test]
    fn record_round_trips_in_camel_case() {
        let record = PasswordRecord {
            password_hash: Some("$argon2id$x".into()),
            changed_at: 42,
        };
        let json = serde_json::to_value(&record).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"passwordHash": "$argon2id$x", "changedAt": 42})
        );
        assert_eq!(
            serde_json::from_value::<PasswordRecord>(json).unwrap(),
            record
        );
    }
}
