//! The crate's one error type. Messages name files and what is wrong with them but never quote
//! their contents or the key: a diff carried by an error is already masked.

use std::io;
use std::path::PathBuf;

use crate::tools::ToolId;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("unknown tool '{0}'")]
    UnknownTool(String),

    #[error(
        "{tool} keeps its settings in its editor, not in a file OmniRoute edits: {instructions}"
    )]
    NotFileConfigurable { tool: ToolId, instructions: String },

    #[error("{tool} is an editor extension, not a command to launch")]
    NoLaunch { tool: ToolId },

    #[error("invalid settings: {0}")]
    InvalidSettings(String),

    #[error("cannot read {}: {source}", .path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: io::Error,
    },

    #[error("{} is not valid {format} (line {line}, column {column}: {message}); it was left untouched", .path.display())]
    Malformed {
        path: PathBuf,
        format: &'static str,
        line: usize,
        column: usize,
        message: String,
    },

    #[error("{}: {reason}; it was left untouched", .path.display())]
    Unsupported { path: PathBuf, reason: String },

    /// Someone else wrote the file between the preview and Apply; `diff` (masked) shows how it
    /// differs from what was previewed.
    #[error("{} changed since the preview; nothing was written, preview again", .path.display())]
    ChangedSincePlan { path: PathBuf, diff: String },

    #[error(
        "the files or the settings changed since the preview; nothing was written, preview again"
    )]
    PreviewOutdated,

    #[error("cannot write {}: {source}; {}", .path.display(), rollback_note(*.rolled_back))]
    Write {
        path: PathBuf,
        #[source]
        source: io::Error,
        /// Whether the files written before this one were put back.
        rolled_back: bool,
        /// The snapshot of the files as they were before.
        snapshot_id: Option<String>,
    },

    #[error("cannot record a snapshot in {}: {source}", .path.display())]
    Snapshot {
        path: PathBuf,
        #[source]
        source: io::Error,
    },

    #[error("no snapshot '{id}' of {tool}")]
    SnapshotNotFound { tool: ToolId, id: String },

    #[error("snapshot '{id}' cannot be restored: {reason}")]
    SnapshotInvalid { id: String, reason: String },
}

fn rollback_note(rolled_back: bool) -> &'static str {
    if rolled_back {
        "every file is as it was before"
    } else {
        "files written before it could not all be put back; restore the snapshot"
    }
}

impl Error {
    /// A stable name for the API's error code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::UnknownTool(_) => "unknown_tool",
            Self::NotFileConfigurable { .. } => "not_file_configurable",
            Self::NoLaunch { .. } => "no_launch",
            Self::InvalidSettings(_) => "invalid_settings",
            Self::Read { .. } => "read_failed",
            Self::Malformed { .. } => "malformed_config",
            Self::Unsupported { .. } => "unsupported_config",
            Self::ChangedSincePlan { .. } => "changed_since_preview",
            Self::PreviewOutdated => "preview_outdated",
            Self::Write { .. } => "write_failed",
            Self::Snapshot { .. } => "snapshot_failed",
            Self::SnapshotNotFound { .. } => "snapshot_not_found",
            Self::SnapshotInvalid { .. } => "snapshot_invalid",
        }
    }
}
