//! Encryption at rest: XChaCha20-Poly1305 with a 256-bit key kept in `DATA_DIR/secret.key`
//! (mode 0600). The secret's name is the associated data, so a ciphertext moved to another
//! name does not decrypt.

use std::io::{ErrorKind, Read, Write};
use std::path::Path;
use std::sync::Arc;

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};

use super::{SecretError, SecretString};

pub const KEY_FILE: &str = "secret.key";
const KEY_LEN: usize = 32;
const NONCE_LEN: usize = 24;

#[derive(Clone)]
pub struct Cipher(Arc<XChaCha20Poly1305>);

impl Cipher {
    pub fn load_or_create(path: &Path) -> Result<Self, SecretError> {
        let key_error = |reason: String| SecretError::KeyFile {
            path: path.display().to_string(),
            reason,
        };
        let key = match std::fs::File::open(path) {
            Ok(mut file) => {
                restrict_permissions(path).map_err(|e| key_error(e.to_string()))?;
                let mut key = Vec::with_capacity(KEY_LEN);
                file.read_to_end(&mut key)
                    .map_err(|e| key_error(e.to_string()))?;
                if key.len() != KEY_LEN {
                    return Err(key_error(format!(
                        "expected {KEY_LEN} bytes, found {}",
                        key.len()
                    )));
                }
                key
            }
            Err(e) if e.kind() == ErrorKind::NotFound => {
                let mut key = vec![0u8; KEY_LEN];
                getrandom::fill(&mut key).map_err(|e| key_error(e.to_string()))?;
                let mut file = crate::create_private(path).map_err(|e| key_error(e.to_string()))?;
                file.write_all(&key)
                    .and_then(|()| file.sync_all())
                    .map_err(|e| key_error(e.to_string()))?;
                key
            }
            Err(e) => return Err(key_error(e.to_string())),
        };
        let cipher =
            XChaCha20Poly1305::new_from_slice(&key).map_err(|e| key_error(e.to_string()))?;
        Ok(Self(Arc::new(cipher)))
    }

    /// The key given as 64 hex digits (`SECRET_KEY`), shared by every instance of one database.
    pub fn from_hex(hex: &str) -> Result<Self, SecretError> {
        let invalid = |reason: &str| SecretError::KeyFile {
            path: "SECRET_KEY".into(),
            reason: reason.into(),
        };
        let hex = hex.trim();
        if hex.len() != KEY_LEN * 2 {
            return Err(invalid("expected 64 hex digits (openssl rand -hex 32)"));
        }
        let key = (0..KEY_LEN)
            .map(|i| u8::from_str_radix(hex.get(i * 2..i * 2 + 2).unwrap_or("x"), 16))
            .collect::<Result<Vec<u8>, _>>()
            .map_err(|_| invalid("expected 64 hex digits (openssl rand -hex 32)"))?;
        let cipher = XChaCha20Poly1305::new_from_slice(&key)
            .map_err(|_| invalid("not a key of 32 bytes"))?;
        Ok(Self(Arc::new(cipher)))
    }

    pub fn seal(&self, name: &str, plaintext: &str) -> Result<(Vec<u8>, Vec<u8>), SecretError> {
        let mut nonce = [0u8; NONCE_LEN];
        getrandom::fill(&mut nonce).map_err(|_| SecretError::Encrypt)?;
        let ciphertext = self
            .0
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: plaintext.as_bytes(),
                    aad: name.as_bytes(),
                },
            )
            .map_err(|_| SecretError::Encrypt)?;
        Ok((nonce.to_vec(), ciphertext))
    }

    pub fn open(
        &self,
        name: &str,
        nonce: &[u8],
        ciphertext: &[u8],
    ) -> Result<SecretString, SecretError> {
        let decrypt_error = || SecretError::Decrypt {
            name: name.to_owned(),
        };
        if nonce.len() != NONCE_LEN {
            return Err(decrypt_error());
        }
        let plain = self
            .0
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad: name.as_bytes(),
                },
            )
            .map_err(|_| decrypt_error())?;
        String::from_utf8(plain)
            .map(SecretString::new)
            .map_err(|_| decrypt_error())
    }
}

/// A key file readable by others is tightened to 0600 rather than refused: the owner already
/// exposed it, and refusing would lock them out of their own credentials.
#[cfg(unix)]
fn restrict_permissions(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path)?.permissions().mode();
    if mode & 0o077 != 0 {
        tracing::warn!(path = %path.display(), mode = format!("{:o}", mode & 0o777), "secret key file was readable by others; set to 0600");
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(())
}

#[cfg(not(unix))]
fn restrict_permissions(_path: &Path) -> std::io::Result<()> {
    Ok(())
}
