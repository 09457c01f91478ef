//! What this device keeps between sync runs, in `DATA_DIR/sync/`: its device id (plain: it is
//! random and public), and its sync state — every record it knows, the conflicts, the stamp of
//! the last snapshot it published — sealed with the group's key (credentials may be in it). The
//! keys themselves are in the secret store (the OS keychain on the desktop), never the
//! passphrase.

use std::path::{Path, PathBuf};

use omniroute_store::{SecretString, Secrets};
use omniroute_sync::{ConflictList, DeviceId, Stamp, State, SyncKeys};
use serde::{Deserialize, Serialize};

/// The secret holding the keys (48 bytes, hex).
const KEYS_SECRET: &str = "sync/keys";
/// The name the local state is sealed under (never an object on the hub).
const LOCAL_NAME: &str = "local/state";

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Kept {
    pub state: State,
    pub conflicts: ConflictList,
    /// The highest stamp in the last snapshot published.
    pub published: Option<Stamp>,
    /// Whether this device has merged its group at least once (the first run merges before it
    /// records local changes, so the group's records win over a newcomer's defaults).
    pub joined: bool,
}

/// The sync settings a device keeps (the address and whether credentials sync); the keys are
/// in the secret store.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Settings {
    pub url: Option<String>,
    #[serde(default)]
    pub credentials: bool,
}

fn dir(data_dir: &Path) -> PathBuf {
    data_dir.join("sync")
}

/// This device's id, made on first use.
pub fn device(data_dir: &Path) -> std::io::Result<DeviceId> {
    let path = dir(data_dir).join("device");
    if let Ok(text) = std::fs::read_to_string(&path)
        && let Ok(device) = text.trim().parse::<DeviceId>()
    {
        return Ok(device);
    }
    let device = DeviceId::random().map_err(std::io::Error::other)?;
    std::fs::create_dir_all(dir(data_dir))?;
    write_atomically(&path, device.to_string().as_bytes())?;
    Ok(device)
}

pub fn load_settings(data_dir: &Path) -> Settings {
    std::fs::read(dir(data_dir).join("settings.json"))
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or_default()
}

pub fn save_settings(data_dir: &Path, settings: &Settings) -> std::io::Result<()> {
    std::fs::create_dir_all(dir(data_dir))?;
    let bytes = serde_json::to_vec_pretty(settings).map_err(std::io::Error::other)?;
    write_atomically(&dir(data_dir).join("settings.json"), &bytes)
}

/// The kept state; a missing or unopenable file (other keys) is a fresh start.
pub fn load(data_dir: &Path, keys: &SyncKeys) -> Kept {
    let Ok(sealed) = std::fs::read(dir(data_dir).join("state.bin")) else {
        return Kept::default();
    };
    match keys.open(LOCAL_NAME, &sealed) {
        Ok(plain) => serde_json::from_slice(&plain).unwrap_or_else(|e| {
            tracing::warn!(error = %e, "the kept sync state is unreadable; starting afresh");
            Kept::default()
        }),
        Err(_) => Kept::default(),
    }
}

pub fn save(data_dir: &Path, keys: &SyncKeys, kept: &Kept) -> std::io::Result<()> {
    let plain = zeroize::Zeroizing::new(serde_json::to_vec(kept).map_err(std::io::Error::other)?);
    let sealed = keys
        .seal(LOCAL_NAME, &plain)
        .map_err(std::io::Error::other)?;
    std::fs::create_dir_all(dir(data_dir))?;
    write_atomically(&dir(data_dir).join("state.bin"), &sealed)
}

/// Forgets the kept state (another group: nothing of the old one applies).
pub fn forget(data_dir: &Path) {
    let _ = std::fs::remove_file(dir(data_dir).join("state.bin"));
}

pub async fn load_keys(secrets: &Secrets) -> Option<SyncKeys> {
    let hex = secrets.get(KEYS_SECRET).await.ok()??;
    let bytes: Option<Vec<u8>> = (0..hex.expose().len())
        .step_by(2)
        .map(|i| {
            hex.expose()
                .get(i..i + 2)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        })
        .collect();
    SyncKeys::from_bytes(&zeroize::Zeroizing::new(bytes?)).ok()
}

pub async fn save_keys(
    secrets: &Secrets,
    keys: &SyncKeys,
) -> Result<(), omniroute_store::SecretError> {
    let hex: String = keys.to_bytes().iter().map(|b| format!("{b:02x}")).collect();
    secrets.put(KEYS_SECRET, &SecretString::new(hex)).await
}

pub async fn forget_keys(secrets: &Secrets) {
    let _ = secrets.delete(KEYS_SECRET).await;
}

fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)
}
