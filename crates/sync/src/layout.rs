//! Where a device's data lives on the hub (another OmniRoute with `SYNC_HUB=true`, or a WebDAV
//! folder), and how a snapshot is turned into the bytes stored there.
//!
//! ```text
//! <group>/devices/<device>.snapshot     one per device, written only by that device
//! ```
//!
//! Each device writes one object, its whole known state, and reads everyone else's to merge:
//! no two devices ever write the same object, so a hub needs no locking or compare-and-swap,
//! and a WebDAV folder's plain PUT and PROPFIND suffice. Names are random (group id from the
//! passphrase, device ids from the OS's randomness): they say nothing of providers, models or
//! keys. What the hub learns is the number of devices, their snapshots' sizes and when they
//! write.
//!
//! A snapshot is its JSON, deflated (records repeat field names, stamps and device ids, so it
//! shrinks severalfold for little CPU), then sealed ([`SyncKeys::seal`]) under its object name.

use std::io::{Read, Write};

use flate2::Compression;
use flate2::read::DeflateDecoder;
use flate2::write::DeflateEncoder;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::crypto::{GroupId, SyncKeys};
use crate::error::SyncError;
use crate::hlc::DeviceId;
use crate::record::{Scope, State};

/// The folder, under the group, holding one snapshot per device.
pub const DEVICES_FOLDER: &str = "devices";
/// The file extension of a snapshot.
pub const SNAPSHOT_EXTENSION: &str = "snapshot";
/// The most a snapshot may inflate to; a larger one is refused rather than filling memory.
pub const MAX_SNAPSHOT_BYTES: u64 = 64 * 1024 * 1024;

/// The snapshot's name within its group, bound into its encryption: `devices/<device>.snapshot`.
pub fn snapshot_name(device: DeviceId) -> String {
    format!("{DEVICES_FOLDER}/{device}.{SNAPSHOT_EXTENSION}")
}

/// The folder to list for every device's snapshot: `<group>/devices/`.
pub fn devices_folder(group: GroupId) -> String {
    format!("{group}/{DEVICES_FOLDER}/")
}

/// The snapshot's full path on the hub: `<group>/devices/<device>.snapshot`.
pub fn snapshot_path(group: GroupId, device: DeviceId) -> String {
    format!("{group}/{}", snapshot_name(device))
}

/// The device whose snapshot a file listed in [`devices_folder`] is (`<device>.snapshot`);
/// `None` for anything else (temporary uploads, stray files).
pub fn device_of_file(file_name: &str) -> Option<DeviceId> {
    let stem = file_name
        .strip_suffix(SNAPSHOT_EXTENSION)?
        .strip_suffix('.')?;
    stem.parse().ok()
}

/// What one device publishes: everything it knows, as of a moment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Snapshot {
    /// The device that wrote it.
    pub device: DeviceId,
    /// When it was written, by the writer's wall clock (shown in the status; not for ordering).
    pub written_at_ms: u64,
    pub state: State,
}

impl Snapshot {
    /// The snapshot of `state` a device publishes: only the kinds in `scope`, so credentials
    /// leave the device only when the user turned that on.
    pub fn new(device: DeviceId, written_at_ms: u64, state: &State, scope: Scope) -> Self {
        Self {
            device,
            written_at_ms,
            state: state.scoped(scope),
        }
    }
}

/// The bytes to store at [`snapshot_path`] for `snapshot`.
pub fn seal_snapshot(snapshot: &Snapshot, keys: &SyncKeys) -> Result<Vec<u8>, SyncError> {
    let json =
        Zeroizing::new(serde_json::to_vec(snapshot).map_err(|e| SyncError::Encode(e.to_string()))?);
    let mut encoder = DeflateEncoder::new(Vec::new(), Compression::default());
    encoder
        .write_all(&json)
        .map_err(|e| SyncError::Encode(e.to_string()))?;
    let deflated = Zeroizing::new(
        encoder
            .finish()
            .map_err(|e| SyncError::Encode(e.to_string()))?,
    );
    keys.seal(&snapshot_name(snapshot.device), &deflated)
}

/// Opens the snapshot stored at [`snapshot_path`] for `device`. Fails with
/// [`SyncError::CannotOpen`] for another passphrase, altered bytes, or bytes copied from another
/// device's name or another group; with [`SyncError::Corrupt`] for content that authenticates
/// but is not a consistent snapshot of that device.
pub fn open_snapshot(
    sealed: &[u8],
    keys: &SyncKeys,
    device: DeviceId,
) -> Result<Snapshot, SyncError> {
    let deflated = keys.open(&snapshot_name(device), sealed)?;
    let mut json = Zeroizing::new(Vec::new());
    DeflateDecoder::new(deflated.as_slice())
        .take(MAX_SNAPSHOT_BYTES + 1)
        .read_to_end(&mut json)
        .map_err(|e| SyncError::Corrupt(format!("inflate: {e}")))?;
    if json.len() as u64 > MAX_SNAPSHOT_BYTES {
        return Err(SyncError::Corrupt("snapshot larger than 64 MiB".into()));
    }
    let snapshot: Snapshot =
        serde_json::from_slice(&json).map_err(|e| SyncError::Corrupt(e.to_string()))?;
    if snapshot.device != device {
        return Err(SyncError::Corrupt(format!(
            "snapshot of {} stored under {device}",
            snapshot.device
        )));
    }
    snapshot.state.validate()?;
    Ok(snapshot)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_random_ids_only() {
        let device = DeviceId::from_bytes([0xab; 16]);
        let name = snapshot_name(device);
        assert_eq!(name, format!("devices/{}.snapshot", "ab".repeat(16)));
        assert_eq!(device_of_file(&format!("{device}.snapshot")), Some(device));
        assert_eq!(device_of_file(&format!("{device}.snapshot.tmp")), None);
        assert_eq!(device_of_file(&format!("{device}snapshot")), None);
        assert_eq!(device_of_file("notes.snapshot"), None);
    }
}
