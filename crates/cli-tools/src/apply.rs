//! Apply and Restore: the only code that writes a tool's files. Apply first checks every file is
//! still what the plan read (another writer in between means refusal, nothing written), then
//! snapshots them, then replaces each atomically; if one write fails, the files already written
//! are put back. Restore snapshots the current state first, so it can be undone the same way.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::atomic_write::{self, BeforeRename};
use crate::context::Context;
use crate::error::Error;
use crate::plan::{FilePlan, Plan, fingerprint, read_bytes, write_target};
use crate::snapshots::{self, FileState, SnapshotReason};
use crate::tools::{ToolId, config_files};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct Applied {
    pub tool: ToolId,
    /// The snapshot of the files as they were; `None` when nothing needed writing.
    pub snapshot_id: Option<String>,
    /// The files written.
    pub files: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct Restored {
    pub tool: ToolId,
    pub restored_from: String,
    /// The snapshot of the files just before the restore: restoring it undoes this one.
    pub undo_snapshot_id: String,
    pub files: Vec<String>,
}

/// Writes the plan's files, after snapshotting them into `snapshots_dir`.
pub fn apply(plan: &Plan, snapshots_dir: &Path) -> Result<Applied, Error> {
    apply_with(plan, snapshots_dir, &mut atomic_write::no_fault)
}

/// [`apply`], provided `plan` is the very plan the user previewed as `plan_id` ([`Preview`]'s
/// id): the API's flow, where the server plans again on confirmation and writes only if
/// neither the files nor the settings moved in between.
///
/// [`Preview`]: crate::Preview
pub fn apply_previewed(plan: &Plan, plan_id: &str, snapshots_dir: &Path) -> Result<Applied, Error> {
    if plan.id() != plan_id {
        return Err(Error::PreviewOutdated);
    }
    apply(plan, snapshots_dir)
}

/// [`apply`] with a step run before each rename (the crash tests' seam).
pub(crate) fn apply_with(
    plan: &Plan,
    snapshots_dir: &Path,
    before_rename: BeforeRename<'_>,
) -> Result<Applied, Error> {
    let changed: Vec<&FilePlan> = plan.files.iter().filter(|f| f.changed()).collect();
    if changed.is_empty() {
        return Ok(Applied {
            tool: plan.tool,
            snapshot_id: None,
            files: Vec::new(),
        });
    }
    let mut states = Vec::new();
    for file in &changed {
        let target = write_target(&file.path)?;
        let current = read_bytes(&target)?;
        // A link pointed elsewhere since the plan is a change too.
        if target != file.target
            || fingerprint(current.as_deref()) != fingerprint(file.before.as_deref())
        {
            let diff = plan.masked_diff(
                &file.path,
                file.before.as_deref(),
                current.as_deref().unwrap_or_default(),
            );
            return Err(Error::ChangedSincePlan {
                path: file.path.clone(),
                diff,
            });
        }
        states.push(FileState::new(&file.path, &target, current));
    }
    let snapshot_id = snapshots::take(snapshots_dir, plan.tool, SnapshotReason::Apply, &states)?;
    let writes: Vec<Write<'_>> = changed
        .iter()
        .zip(&states)
        .map(|(file, state)| Write {
            target: file.target.clone(),
            bytes: Some(&file.after),
            mode: None,
            old: state,
        })
        .collect();
    write_all(&writes, Some(&snapshot_id), before_rename)?;
    Ok(Applied {
        tool: plan.tool,
        snapshot_id: Some(snapshot_id),
        files: changed
            .iter()
            .map(|f| f.path.display().to_string())
            .collect(),
    })
}

/// Puts the files of snapshot `snapshot_id` back byte for byte (deleting those that did not
/// exist then), after snapshotting them as they are now. Only the tool's own config files (as
/// `ctx` locates them) are written, whatever the manifest says.
pub fn restore(
    ctx: &Context,
    snapshots_dir: &Path,
    tool: ToolId,
    snapshot_id: &str,
) -> Result<Restored, Error> {
    restore_with(
        ctx,
        snapshots_dir,
        tool,
        snapshot_id,
        &mut atomic_write::no_fault,
    )
}

pub(crate) fn restore_with(
    ctx: &Context,
    snapshots_dir: &Path,
    tool: ToolId,
    snapshot_id: &str,
    before_rename: BeforeRename<'_>,
) -> Result<Restored, Error> {
    let (manifest, contents) = snapshots::load(snapshots_dir, tool, snapshot_id)?;
    let known: Vec<PathBuf> = config_files(ctx, tool)
        .into_iter()
        .map(|f| f.path)
        .collect();
    let mut states = Vec::new();
    let mut targets = Vec::new();
    for file in &manifest.files {
        if !known.contains(&file.path) {
            return Err(Error::SnapshotInvalid {
                id: snapshot_id.to_owned(),
                reason: format!(
                    "{} is not one of {tool}'s config files here",
                    file.path.display()
                ),
            });
        }
        let current = write_target(&file.path)?;
        states.push(FileState::capture(&file.path, &current)?);
        // A file that did not exist is deleted where the tool looks for it: a link made since
        // then goes, not the file it leads to.
        targets.push(if file.existed {
            current
        } else {
            file.path.clone()
        });
    }
    let undo_snapshot_id = snapshots::take(snapshots_dir, tool, SnapshotReason::Restore, &states)?;
    let writes: Vec<Write<'_>> = manifest
        .files
        .iter()
        .zip(&contents)
        .zip(targets)
        .zip(&states)
        .map(|(((file, bytes), target), old)| Write {
            target,
            bytes: bytes.as_deref(),
            mode: file.mode,
            old,
        })
        .collect();
    write_all(&writes, Some(&undo_snapshot_id), before_rename)?;
    // Apply created these directories for files that did not exist: leave no trace of them,
    // unless something else is in them now.
    for file in manifest.files.iter().filter(|f| !f.existed) {
        for dir in file
            .missing_dirs
            .iter()
            .filter(|dir| file.path.starts_with(dir))
        {
            let _ = fs::remove_dir(dir);
        }
    }
    Ok(Restored {
        tool,
        restored_from: snapshot_id.to_owned(),
        undo_snapshot_id,
        files: manifest
            .files
            .iter()
            .map(|f| f.path.display().to_string())
            .collect(),
    })
}

/// One file to put in place: `bytes` (`None`: delete it), and how it was before.
struct Write<'a> {
    target: PathBuf,
    bytes: Option<&'a [u8]>,
    mode: Option<u32>,
    old: &'a FileState,
}

/// Writes each file; when one fails, puts the earlier ones back as they were.
fn write_all(
    writes: &[Write<'_>],
    snapshot_id: Option<&str>,
    before_rename: BeforeRename<'_>,
) -> Result<(), Error> {
    for (i, write) in writes.iter().enumerate() {
        if let Err(source) = put(&write.target, write.bytes, write.mode, before_rename) {
            let rolled_back = writes[..i].iter().all(|done| {
                put(
                    &done.target,
                    done.old.bytes.as_deref(),
                    done.old.mode,
                    &mut atomic_write::no_fault,
                )
                .is_ok()
            });
            return Err(Error::Write {
                path: write.old.path.clone(),
                source,
                rolled_back,
                snapshot_id: snapshot_id.map(str::to_owned),
            });
        }
    }
    Ok(())
}

fn put(
    target: &Path,
    bytes: Option<&[u8]>,
    mode: Option<u32>,
    before_rename: BeforeRename<'_>,
) -> io::Result<()> {
    match bytes {
        Some(bytes) => atomic_write::write(target, bytes, mode, before_rename),
        None => atomic_write::remove(target),
    }
}

#[cfg(test)]
#[path = "apply_tests.rs"]
mod tests;
