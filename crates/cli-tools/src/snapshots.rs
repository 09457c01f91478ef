//! Copies of a tool's files taken before every Apply and Restore, so each can be undone:
//! `<snapshots_dir>/<tool>/<id>/` holds each file's bytes and a `manifest.json` (time, tool,
//! why, and per file its path, whether it existed, its permissions and a SHA-256 of the bytes).
//! The manifest is written last, so a snapshot without one never completed and is not listed.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::atomic_write;
use crate::error::Error;
use crate::plan::{hex, read_bytes};
use crate::tools::ToolId;

const MANIFEST: &str = "manifest.json";

/// Why a snapshot was taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub enum SnapshotReason {
    /// Before Apply wrote the tool's files.
    Apply,
    /// Before a Restore put older files back (restoring this one undoes the restore).
    Restore,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct SnapshotInfo {
    pub id: String,
    pub time_ms: u64,
    pub tool: ToolId,
    pub reason: SnapshotReason,
    pub files: Vec<SnapshotFile>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct SnapshotFile {
    pub path: String,
    /// Whether the file existed; a restore deletes the ones that did not.
    pub existed: bool,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Manifest {
    pub id: String,
    pub time_ms: u64,
    pub tool: ToolId,
    pub reason: SnapshotReason,
    pub files: Vec<ManifestFile>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ManifestFile {
    pub path: PathBuf,
    pub existed: bool,
    /// Unix permission bits.
    pub mode: Option<u32>,
    /// The copy's file name within the snapshot, when the file existed.
    pub blob: Option<String>,
    pub sha256: Option<String>,
    /// For a file that did not exist: its parent directories that did not exist either,
    /// deepest first; a restore removes them again when they are empty.
    #[serde(default)]
    pub missing_dirs: Vec<PathBuf>,
}

/// A file's state at the time of the snapshot.
pub(crate) struct FileState {
    pub path: PathBuf,
    pub bytes: Option<Vec<u8>>,
    pub mode: Option<u32>,
    pub missing_dirs: Vec<PathBuf>,
}

impl FileState {
    /// The file the tool reads at `path`, whose bytes are at `target` (the same path, or the
    /// file a link leads to).
    pub fn capture(path: &Path, target: &Path) -> Result<Self, Error> {
        Ok(Self::new(path, target, read_bytes(target)?))
    }

    /// Like `capture`, with the bytes already read.
    pub fn new(path: &Path, target: &Path, bytes: Option<Vec<u8>>) -> Self {
        let missing_dirs = match bytes {
            Some(_) => Vec::new(),
            None => target
                .ancestors()
                .skip(1)
                .take_while(|dir| !dir.as_os_str().is_empty() && !dir.exists())
                .map(Path::to_path_buf)
                .collect(),
        };
        Self {
            path: path.to_path_buf(),
            bytes,
            mode: atomic_write::mode_of(target),
            missing_dirs,
        }
    }
}

/// Records `files` as they are and returns the snapshot's id.
pub(crate) fn take(
    snapshots_dir: &Path,
    tool: ToolId,
    reason: SnapshotReason,
    files: &[FileState],
) -> Result<String, Error> {
    let time_ms = now_ms();
    let id = new_id(time_ms);
    let dir = snapshots_dir.join(tool.as_str()).join(&id);
    let failed = |source: io::Error| Error::Snapshot {
        path: dir.clone(),
        source,
    };
    create_private_dir(&dir).map_err(failed)?;
    let mut entries = Vec::new();
    for (i, file) in files.iter().enumerate() {
        let (blob, sha256) = match &file.bytes {
            Some(bytes) => {
                let blob = format!("{i}.bin");
                atomic_write::write(&dir.join(&blob), bytes, None, &mut atomic_write::no_fault)
                    .map_err(failed)?;
                (Some(blob), Some(hex(&Sha256::digest(bytes))))
            }
            None => (None, None),
        };
        entries.push(ManifestFile {
            path: file.path.clone(),
            existed: file.bytes.is_some(),
            mode: file.mode,
            blob,
            sha256,
            missing_dirs: file.missing_dirs.clone(),
        });
    }
    let manifest = Manifest {
        id: id.clone(),
        time_ms,
        tool,
        reason,
        files: entries,
    };
    let json = serde_json::to_vec_pretty(&manifest).map_err(|e| failed(io::Error::other(e)))?;
    atomic_write::write(
        &dir.join(MANIFEST),
        &json,
        None,
        &mut atomic_write::no_fault,
    )
    .map_err(failed)?;
    Ok(id)
}

/// The snapshots of `tool`, newest first. Incomplete or unreadable ones are left out.
pub fn snapshots(snapshots_dir: &Path, tool: ToolId) -> Result<Vec<SnapshotInfo>, Error> {
    let dir = snapshots_dir.join(tool.as_str());
    let entries = match fs::read_dir(&dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => return Err(Error::Read { path: dir, source }),
    };
    let mut found: Vec<SnapshotInfo> = entries
        .filter_map(|entry| {
            let manifest = read_manifest(&entry.ok()?.path()).ok()?;
            (manifest.tool == tool).then(|| info(&manifest))
        })
        .collect();
    found.sort_by(|a, b| b.time_ms.cmp(&a.time_ms).then_with(|| b.id.cmp(&a.id)));
    Ok(found)
}

fn info(manifest: &Manifest) -> SnapshotInfo {
    SnapshotInfo {
        id: manifest.id.clone(),
        time_ms: manifest.time_ms,
        tool: manifest.tool,
        reason: manifest.reason,
        files: manifest
            .files
            .iter()
            .map(|f| SnapshotFile {
                path: f.path.display().to_string(),
                existed: f.existed,
            })
            .collect(),
    }
}

/// Each saved file's bytes, in the manifest's order; `None` for a file that did not exist.
pub(crate) type SavedFiles = Vec<Option<Vec<u8>>>;

/// A snapshot's manifest and each file's bytes (checked against their SHA-256).
pub(crate) fn load(
    snapshots_dir: &Path,
    tool: ToolId,
    id: &str,
) -> Result<(Manifest, SavedFiles), Error> {
    let invalid = |reason: &str| Error::SnapshotInvalid {
        id: id.to_owned(),
        reason: reason.to_owned(),
    };
    if id.is_empty() || id.len() > 64 || !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    {
        return Err(Error::SnapshotNotFound {
            tool,
            id: id.to_owned(),
        });
    }
    let dir = snapshots_dir.join(tool.as_str()).join(id);
    let manifest = match read_manifest(&dir) {
        Ok(manifest) => manifest,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Err(Error::SnapshotNotFound {
                tool,
                id: id.to_owned(),
            });
        }
        Err(_) => return Err(invalid("its manifest cannot be read")),
    };
    if manifest.tool != tool || manifest.id != id {
        return Err(invalid("its manifest belongs to another snapshot"));
    }
    let mut contents = Vec::new();
    for file in &manifest.files {
        let bytes = match (&file.blob, file.existed) {
            (Some(blob), true) if !blob.contains(['/', '\\']) && blob != ".." => {
                let bytes =
                    fs::read(dir.join(blob)).map_err(|_| invalid("a saved file is missing"))?;
                if file.sha256.as_deref() != Some(hex(&Sha256::digest(&bytes)).as_str()) {
                    return Err(invalid("a saved file does not match its checksum"));
                }
                Some(bytes)
            }
            (None, false) => None,
            _ => return Err(invalid("its manifest is inconsistent")),
        };
        contents.push(bytes);
    }
    Ok((manifest, contents))
}

fn read_manifest(dir: &Path) -> io::Result<Manifest> {
    let bytes = fs::read(dir.join(MANIFEST))?;
    serde_json::from_slice(&bytes).map_err(io::Error::other)
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// `<ms>-<pid>-<n>`: sortable by time, unique within a process by the counter and across
/// processes by the pid.
fn new_id(time_ms: u64) -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("{time_ms:013}-{:x}-{n:06}", std::process::id())
}

/// The snapshot holds keys: only the owner may read it.
fn create_private_dir(dir: &Path) -> io::Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir)
}
