//! The crate's one error type. Every failure of decoding, opening or deriving is a value the
//! gateway can show ("wrong passphrase or altered object", "unsupported format"), never a panic.

/// What went wrong in the sync core.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SyncError {
    /// The sync passphrase is too short to resist a hub guessing it offline.
    #[error("the sync passphrase must be at least {min} characters")]
    WeakPassphrase { min: usize },
    /// A pairing code that is not one this crate generates (wrong length, letters, checksum).
    #[error("invalid pairing code: {0}")]
    InvalidPairingCode(&'static str),
    /// Argon2 refused its parameters or failed.
    #[error("key derivation failed: {0}")]
    KeyDerivation(String),
    /// The operating system gave no randomness.
    #[error("no randomness available: {0}")]
    Random(String),
    /// Authentication failed: another passphrase sealed it, or the bytes were altered, or they
    /// were sealed for another object name or group. AEAD cannot tell these apart, by design.
    #[error("cannot open sync object: wrong passphrase, or the object was altered or moved")]
    CannotOpen,
    /// The object starts with a format version this build does not know.
    #[error("unsupported sync object format {0}")]
    UnsupportedFormat(u8),
    /// Fewer bytes than a header and an authentication tag.
    #[error("sync object truncated")]
    Truncated,
    /// The bytes authenticated but do not decode into what they should (a bug or an older build).
    #[error("sync object content invalid: {0}")]
    Corrupt(String),
    /// A device id that is not 32 lowercase hex digits.
    #[error("invalid device id")]
    InvalidDeviceId,
    /// A stamp that is not `wall.counter.device`.
    #[error("invalid stamp: {0}")]
    InvalidStamp(String),
    /// Encoding a snapshot failed (JSON or compression).
    #[error("cannot encode snapshot: {0}")]
    Encode(String),
}
