//! End-to-end encryption of what a device stores on the hub.
//!
//! **Keys.** The sync passphrase (or a [`PairingCode`]) goes through
//! Argon2id once, to a 32-byte master secret; HKDF-SHA256 expands that into two independent
//! values with two labels: the encryption key (`omniroute-sync/v1/key`) and the group id
//! (`omniroute-sync/v1/group`) under which the devices' objects are stored. The hub sees the
//! group id; it cannot get the key or the master from it (HKDF outputs under different labels
//! are independent), and its only way in is guessing passphrases, each guess costing one full
//! Argon2id. Two separate Argon2id runs would cost the same per guess to an attacker and twice
//! as much to every device joining, so one run it is. The Argon2 salt is a fixed label: every
//! device must reach the same values from the passphrase alone, before it knows where to look.
//! The flip side is that guesses can be shared across groups, hence the minimum passphrase length
//! ([`MIN_PASSPHRASE_CHARS`]) and the pairing code (120 random bits) as the better choice.
//!
//! **Sealing.** XChaCha20-Poly1305 with a random 24-byte nonce (random nonces are safe at this
//! size). An object is `version (1 byte) ‖ nonce (24) ‖ ciphertext+tag`; the associated data
//! binds the version, the group id and the object's name, so a ciphertext copied under another
//! name or group, or with another version byte, does not open. Failures are
//! [`SyncError::CannotOpen`], never a panic.

use std::fmt;

use argon2::{Algorithm, Argon2, Params, Version};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hkdf::Hkdf;
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::error::SyncError;
use crate::pairing::PairingCode;

/// Passphrases shorter than this are refused: the hub can try guesses offline.
pub const MIN_PASSPHRASE_CHARS: usize = 12;

/// The format byte every sealed object starts with.
pub const SEAL_VERSION: u8 = 1;

const NONCE_LEN: usize = 24;
const TAG_LEN: usize = 16;
const HEADER_LEN: usize = 1 + NONCE_LEN;
const KDF_SALT: &[u8] = b"omniroute-sync/v1/argon2id";
const KEY_INFO: &[u8] = b"omniroute-sync/v1/key";
const GROUP_INFO: &[u8] = b"omniroute-sync/v1/group";
const AAD_LABEL: &[u8] = b"omniroute-sync/v1/object";
const HUB_TOKEN_LABEL: &[u8] = b"omniroute-sync/v1/hub-token";

/// Argon2id's cost.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KdfParams {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
}

impl KdfParams {
    /// 64 MiB, 3 passes, one lane: about half a second on a laptop, once per pairing.
    pub const RECOMMENDED: KdfParams = KdfParams {
        memory_kib: 64 * 1024,
        iterations: 3,
        parallelism: 1,
    };

    /// The cheapest Argon2 allows. For tests only: keys from it are easy to brute-force.
    pub const INSECURE_FOR_TESTS: KdfParams = KdfParams {
        memory_kib: 8,
        iterations: 1,
        parallelism: 1,
    };
}

/// The name of a device group on the hub: 16 bytes, written as 32 hex digits. Derived from the
/// passphrase, revealing nothing about it or the key.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct GroupId([u8; 16]);

impl fmt::Display for GroupId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for byte in self.0 {
            write!(f, "{byte:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for GroupId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "GroupId({self})")
    }
}

/// The group's encryption key; wiped from memory on drop, never printed.
pub struct SyncKey(Zeroizing<[u8; 32]>);

impl fmt::Debug for SyncKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SyncKey(***)")
    }
}

/// What a passphrase gives a device: the key to seal and open, and the group to store under.
#[derive(Debug)]
pub struct SyncKeys {
    key: SyncKey,
    group: GroupId,
}

impl SyncKeys {
    /// Derives both from a passphrase (surrounding whitespace ignored, so a pasted line works).
    pub fn from_passphrase(passphrase: &str, params: KdfParams) -> Result<Self, SyncError> {
        let passphrase = passphrase.trim();
        if passphrase.chars().count() < MIN_PASSPHRASE_CHARS {
            return Err(SyncError::WeakPassphrase {
                min: MIN_PASSPHRASE_CHARS,
            });
        }
        Self::derive(passphrase.as_bytes(), params)
    }

    /// Derives both from a pairing code shown on another device of the group.
    pub fn from_pairing_code(code: &PairingCode, params: KdfParams) -> Result<Self, SyncError> {
        Self::derive(code.as_str().as_bytes(), params)
    }

    fn derive(secret: &[u8], params: KdfParams) -> Result<Self, SyncError> {
        let argon_params = Params::new(
            params.memory_kib,
            params.iterations,
            params.parallelism,
            Some(32),
        )
        .map_err(|e| SyncError::KeyDerivation(e.to_string()))?;
        let mut master = Zeroizing::new([0u8; 32]);
        Argon2::new(Algorithm::Argon2id, Version::V0x13, argon_params)
            .hash_password_into(secret, KDF_SALT, master.as_mut())
            .map_err(|e| SyncError::KeyDerivation(e.to_string()))?;
        // The master is uniformly random already: it is HKDF's pseudorandom key as it stands.
        let hkdf = Hkdf::<Sha256>::from_prk(master.as_ref())
            .map_err(|e| SyncError::KeyDerivation(e.to_string()))?;
        let mut key = Zeroizing::new([0u8; 32]);
        let mut group = [0u8; 16];
        hkdf.expand(KEY_INFO, key.as_mut())
            .and_then(|()| hkdf.expand(GROUP_INFO, &mut group))
            .map_err(|e| SyncError::KeyDerivation(e.to_string()))?;
        Ok(Self {
            key: SyncKey(key),
            group: GroupId(group),
        })
    }

    /// The group's id, the one thing about the group the hub sees.
    pub fn group(&self) -> GroupId {
        self.group
    }

    /// What a device keeps instead of the passphrase: key then group (48 bytes), for the secret
    /// store. Wiped when dropped.
    pub fn to_bytes(&self) -> Zeroizing<Vec<u8>> {
        let mut out = Zeroizing::new(Vec::with_capacity(48));
        out.extend_from_slice(self.key.0.as_ref());
        out.extend_from_slice(&self.group.0);
        out
    }

    /// Keys kept with [`SyncKeys::to_bytes`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, SyncError> {
        let (Some(key), Some(group)) = (bytes.get(..32), bytes.get(32..48)) else {
            return Err(SyncError::KeyDerivation(
                "stored sync keys are not 48 bytes".into(),
            ));
        };
        if bytes.len() != 48 {
            return Err(SyncError::KeyDerivation(
                "stored sync keys are not 48 bytes".into(),
            ));
        }
        let mut k = Zeroizing::new([0u8; 32]);
        k.copy_from_slice(key);
        let mut g = [0u8; 16];
        g.copy_from_slice(group);
        Ok(Self {
            key: SyncKey(k),
            group: GroupId(g),
        })
    }

    /// The token a device presents to an OmniRoute hub for its group (hex): the hub keeps its
    /// hash at the group's first write and refuses other tokens, so knowing a group id is not
    /// enough to overwrite or read its objects. One-way from the key: the hub learns nothing
    /// that opens an object.
    pub fn hub_token(&self) -> String {
        use sha2::Digest;
        let mut hash = Sha256::new();
        hash.update(HUB_TOKEN_LABEL);
        hash.update(self.key.0.as_ref());
        hash.update(self.group.0);
        hash.finalize().iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Encrypts `plaintext` as the object `name` of this group.
    pub fn seal(&self, name: &str, plaintext: &[u8]) -> Result<Vec<u8>, SyncError> {
        let mut nonce = [0u8; NONCE_LEN];
        getrandom::fill(&mut nonce).map_err(|e| SyncError::Random(e.to_string()))?;
        let aad = self.associated_data(SEAL_VERSION, name);
        let ciphertext = self
            .cipher()
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: plaintext,
                    aad: &aad,
                },
            )
            .map_err(|_| SyncError::Encode("encryption failed".into()))?;
        let mut sealed = Vec::with_capacity(HEADER_LEN + ciphertext.len());
        sealed.push(SEAL_VERSION);
        sealed.extend_from_slice(&nonce);
        sealed.extend_from_slice(&ciphertext);
        Ok(sealed)
    }

    /// Decrypts the object `name` of this group. The plaintext is wiped when dropped.
    pub fn open(&self, name: &str, sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>, SyncError> {
        let Some((&version, rest)) = sealed.split_first() else {
            return Err(SyncError::Truncated);
        };
        if version != SEAL_VERSION {
            return Err(SyncError::UnsupportedFormat(version));
        }
        if rest.len() < NONCE_LEN + TAG_LEN {
            return Err(SyncError::Truncated);
        }
        let (nonce, ciphertext) = rest.split_at(NONCE_LEN);
        let aad = self.associated_data(version, name);
        self.cipher()
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad: &aad,
                },
            )
            .map(Zeroizing::new)
            .map_err(|_| SyncError::CannotOpen)
    }

    fn cipher(&self) -> XChaCha20Poly1305 {
        XChaCha20Poly1305::new(self.key.0.as_ref().into())
    }

    /// Label, version, group and name, each length-prefixed so no two differ only in where
    /// one ends and the next begins.
    fn associated_data(&self, version: u8, name: &str) -> Vec<u8> {
        let mut aad = Vec::with_capacity(AAD_LABEL.len() + 1 + 16 + name.len() + 8);
        for part in [AAD_LABEL, &[version], &self.group.0, name.as_bytes()] {
            aad.extend_from_slice(&(part.len() as u32).to_be_bytes());
            aad.extend_from_slice(part);
        }
        aad
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PASSPHRASE: &str = "correct horse battery staple";

    fn keys(passphrase: &str) -> SyncKeys {
        SyncKeys::from_passphrase(passphrase, KdfParams::INSECURE_FOR_TESTS).unwrap()
    }

    #[test]
    fn the_same_passphrase_gives_the_same_group_and_key_on_every_device() {
        let (one, two) = (keys(PASSPHRASE), keys(&format!("  {PASSPHRASE}\n")));
        assert_eq!(one.group(), two.group());
        let sealed = one.seal("devices/x.snapshot", b"hello").unwrap();
        assert_eq!(
            two.open("devices/x.snapshot", &sealed).unwrap().as_slice(),
            b"hello"
        );
        assert_ne!(one.group(), keys("another passphrase here").group());
    }

    #[test]
    fn kept_keys_come_back_and_the_hub_token_reveals_neither() {
        let keys = keys(PASSPHRASE);
        let again = SyncKeys::from_bytes(&keys.to_bytes()).unwrap();
        assert_eq!(again.group(), keys.group());
        let sealed = keys.seal("devices/x.snapshot", b"kept").unwrap();
        assert_eq!(
            again
                .open("devices/x.snapshot", &sealed)
                .unwrap()
                .as_slice(),
            b"kept"
        );
        assert!(SyncKeys::from_bytes(&[0; 47]).is_err() && SyncKeys::from_bytes(&[0; 49]).is_err());
        let token = keys.hub_token();
        let key_hex: String = keys.key.0.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(token.len(), 64);
        assert_eq!(token, again.hub_token());
        assert!(!token.contains(&key_hex[..16]) && !token.contains(&keys.group().to_string()));
        assert_ne!(
            token,
            super::SyncKeys::from_passphrase(
                "another passphrase here",
                KdfParams::INSECURE_FOR_TESTS
            )
            .unwrap()
            .hub_token()
        );
    }

    #[test]
    fn short_passphrases_are_refused() {
        let refused = SyncKeys::from_passphrase("  hunter2  ", KdfParams::INSECURE_FOR_TESTS);
        assert_eq!(
            refused.unwrap_err(),
            SyncError::WeakPassphrase {
                min: MIN_PASSPHRASE_CHARS
            }
        );
    }

    #[test]
    fn the_group_id_and_the_key_differ_and_the_key_never_prints() {
        let keys = keys(PASSPHRASE);
        let group = keys.group().to_string();
        let key_hex: String = keys.key.0.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(group.len(), 32);
        assert!(!key_hex.contains(&group) && !group.contains(&key_hex[..32]));
        assert!(!format!("{keys:?}").contains(&key_hex[..16]));
    }

    #[test]
    fn a_ciphertext_moved_to_another_name_or_group_fails() {
        let keys = keys(PASSPHRASE);
        let sealed = keys.seal("devices/a.snapshot", b"body").unwrap();
        assert_eq!(
            keys.open("devices/b.snapshot", &sealed).unwrap_err(),
            SyncError::CannotOpen
        );
        // Even with the right key, another group's name does not open it.
        let elsewhere = SyncKeys {
            key: SyncKey(keys.key.0.clone()),
            group: GroupId([0; 16]),
        };
        let moved = elsewhere.open("devices/a.snapshot", &sealed);
        assert_eq!(moved.unwrap_err(), SyncError::CannotOpen);
        assert_eq!(
            keys.open("devices/a.snapshot", &sealed).unwrap().as_slice(),
            b"body"
        );
    }

    #[test]
    fn recommended_parameters_are_accepted() {
        let keys = SyncKeys::from_passphrase(PASSPHRASE, KdfParams::RECOMMENDED).unwrap();
        assert_ne!(
            keys.group(),
            self::keys(PASSPHRASE).group(),
            "the cost is part of the key"
        );
    }

    #[test]
    fn malformed_objects_fail_with_typed_errors() {
        let keys = keys(PASSPHRASE);
        assert_eq!(keys.open("n", &[]).unwrap_err(), SyncError::Truncated);
        assert_eq!(
            keys.open("n", &[SEAL_VERSION; 40]).unwrap_err(),
            SyncError::Truncated
        );
        assert_eq!(
            keys.open("n", &[9; 80]).unwrap_err(),
            SyncError::UnsupportedFormat(9)
        );
        assert_eq!(
            keys.open("n", &[SEAL_VERSION; 41]).unwrap_err(),
            SyncError::CannotOpen
        );
        let bad = KdfParams {
            memory_kib: 1,
            iterations: 0,
            parallelism: 0,
        };
        assert!(matches!(
            SyncKeys::from_passphrase(PASSPHRASE, bad),
            Err(SyncError::KeyDerivation(_))
        ));
    }
}
