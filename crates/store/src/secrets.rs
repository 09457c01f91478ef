//! Credentials (API keys, OAuth tokens) kept out of plain columns. Two backends, chosen by
//! configuration: the OS keychain (desktop default) or encryption at rest with a key file in
//! `DATA_DIR` (headless default). The `secrets` table records every secret's name and backend,
//! so other tables can refer to a secret by name whichever backend holds it.

mod encrypted;
mod keychain;

use std::fmt;
use std::path::Path;
use std::str::FromStr;

use sqlx::AnyPool;
use zeroize::Zeroize;

use crate::{Store, StoreError, now_ms};
use encrypted::Cipher;

/// Where new secrets are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretBackendKind {
    /// Encrypted with XChaCha20-Poly1305 under `DATA_DIR/secret.key` (mode 0600).
    Encrypted,
    /// The OS keychain (Secret Service on Linux, Keychain on macOS, Credential Manager on Windows).
    Keychain,
}

impl SecretBackendKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Encrypted => "encrypted",
            Self::Keychain => "keychain",
        }
    }
}

impl FromStr for SecretBackendKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "encrypted" | "file" => Ok(Self::Encrypted),
            "keychain" | "keyring" | "os" => Ok(Self::Keychain),
            other => Err(format!(
                "unknown secrets backend '{other}' (expected 'encrypted' or 'keychain')"
            )),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("cannot use secret key file {path}: {reason}")]
    KeyFile { path: String, reason: String },
    #[error("secret '{name}' cannot be decrypted (was secret.key replaced?)")]
    Decrypt { name: String },
    #[error("encryption failed")]
    Encrypt,
    #[error("OS keychain unavailable: {0}")]
    Keychain(String),
    #[error("secret storage error: {0}")]
    Database(#[from] sqlx::Error),
}

/// A secret value. Never printed: `Debug` and `Display` show `***`; the memory is wiped on drop.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretString(String);

impl SecretString {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }
    /// The clear text, for the one place that must send it (an upstream request header).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl Drop for SecretString {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl fmt::Debug for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretString(***)")
    }
}

impl fmt::Display for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// `(backend, nonce, ciphertext)` of one `secrets` row.
type SecretRow = (String, Option<Vec<u8>>, Option<Vec<u8>>);

/// Reads and writes secrets by name. Reads follow the backend recorded for each secret, so
/// switching the configured backend never strands what was stored before.
#[derive(Clone)]
pub struct Secrets {
    pool: AnyPool,
    write_backend: SecretBackendKind,
    cipher: Cipher,
    keychain: keychain::Keychain,
}

impl fmt::Debug for Secrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Secrets")
            .field("write_backend", &self.write_backend)
            .finish_non_exhaustive()
    }
}

impl Secrets {
    /// Opens secret storage for `store`, creating `data_dir/secret.key` (0600) when missing.
    pub async fn open(
        store: &Store,
        data_dir: &Path,
        backend: SecretBackendKind,
    ) -> Result<Self, StoreError> {
        Self::open_with_key(store, data_dir, backend, None).await
    }

    /// [`Secrets::open`] with the encryption key given (`SECRET_KEY`, 64 hex digits) instead of
    /// the key file: instances that share a database must share the key.
    pub async fn open_with_key(
        store: &Store,
        data_dir: &Path,
        backend: SecretBackendKind,
        key_hex: Option<&SecretString>,
    ) -> Result<Self, StoreError> {
        let cipher = match key_hex {
            Some(hex) => Cipher::from_hex(hex.expose())?,
            None => Cipher::load_or_create(&data_dir.join(encrypted::KEY_FILE))?,
        };
        let install_id = crate::settings::install_id(store).await?;
        Ok(Self {
            pool: store.pool().clone(),
            write_backend: backend,
            cipher,
            keychain: keychain::Keychain::new(format!("omniroute-{install_id}")),
        })
    }

    pub fn backend(&self) -> SecretBackendKind {
        self.write_backend
    }

    /// Stores `value` under `name`, replacing any earlier value (in whichever backend held it).
    pub async fn put(&self, name: &str, value: &SecretString) -> Result<(), SecretError> {
        let previous = self.recorded_backend(name).await?;
        match self.write_backend {
            SecretBackendKind::Encrypted => {
                let (nonce, ciphertext) = self.cipher.seal(name, value.expose())?;
                sqlx::query(
                    "INSERT INTO secrets (name, backend, nonce, ciphertext, updated_at) VALUES ($1, 'encrypted', $2, $3, $4) \
                     ON CONFLICT(name) DO UPDATE SET backend = excluded.backend, nonce = excluded.nonce, \
                     ciphertext = excluded.ciphertext, updated_at = excluded.updated_at",
                )
                .bind(name)
                .bind(nonce)
                .bind(ciphertext)
                .bind(now_ms())
                .execute(&self.pool)
                .await?;
                if previous == Some(SecretBackendKind::Keychain) {
                    self.keychain.delete(name).await?;
                }
            }
            SecretBackendKind::Keychain => {
                self.keychain.set(name, value).await?;
                sqlx::query(
                    "INSERT INTO secrets (name, backend, nonce, ciphertext, updated_at) VALUES ($1, 'keychain', NULL, NULL, $2) \
                     ON CONFLICT(name) DO UPDATE SET backend = excluded.backend, nonce = NULL, \
                     ciphertext = NULL, updated_at = excluded.updated_at",
                )
                .bind(name)
                .bind(now_ms())
                .execute(&self.pool)
                .await?;
            }
        }
        Ok(())
    }

    /// The secret stored under `name`, if any.
    pub async fn get(&self, name: &str) -> Result<Option<SecretString>, SecretError> {
        let row: Option<SecretRow> =
            sqlx::query_as("SELECT backend, nonce, ciphertext FROM secrets WHERE name = $1")
                .bind(name)
                .fetch_optional(&self.pool)
                .await?;
        match row {
            None => Ok(None),
            Some((backend, nonce, ciphertext)) if backend == "encrypted" => {
                let (Some(nonce), Some(ciphertext)) = (nonce, ciphertext) else {
                    return Err(SecretError::Decrypt {
                        name: name.to_owned(),
                    });
                };
                self.cipher.open(name, &nonce, &ciphertext).map(Some)
            }
            Some(_) => self.keychain.get(name).await,
        }
    }

    /// Removes the secret `name` from its backend and from the registry. Missing is not an error.
    pub async fn delete(&self, name: &str) -> Result<(), SecretError> {
        if self.recorded_backend(name).await? == Some(SecretBackendKind::Keychain) {
            self.keychain.delete(name).await?;
        }
        sqlx::query("DELETE FROM secrets WHERE name = $1")
            .bind(name)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn recorded_backend(&self, name: &str) -> Result<Option<SecretBackendKind>, SecretError> {
        let backend: Option<String> =
            sqlx::query_scalar("SELECT backend FROM secrets WHERE name = $1")
                .bind(name)
                .fetch_optional(&self.pool)
                .await?;
        Ok(backend.and_then(|b| b.parse().ok()))
    }
}

#[cfg(test)]
mod tests;
