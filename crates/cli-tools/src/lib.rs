//! Coding tools (Claude Code, Codex CLI, Gemini CLI, OpenClaw, opencode, Continue; Cline, Roo
//! Code and Cursor by hand) pointed at the gateway without ever destroying their configuration.
//!
//! - [`detect`]: which tools are installed and where their files point now.
//! - [`plan`] → [`Plan::preview`]: the exact change, as masked diffs; reads files only.
//! - [`apply`] / [`apply_previewed`]: refuse if a file changed since the plan (or the plan is
//!   not the one previewed), snapshot, write atomically.
//! - [`snapshots`] / [`restore`]: every Apply (and Restore) can be undone byte for byte.
//! - [`env_for`]: the variables and arguments for one run, writing nothing.
//!
//! Edits are structural and keep every unrelated byte (see `edit/`); the tool table is in
//! `tools.rs`, the keys each tool gets in `configure.rs`. Everything takes a [`Context`] (home,
//! environment, PATH, OS) instead of reading the process's own.

mod apply;
mod atomic_write;
mod configure;
mod context;
mod detect;
mod edit;
mod error;
mod launch;
mod plan;
mod secret;
mod settings;
mod snapshots;
mod tools;

pub use apply::{Applied, Restored, apply, apply_previewed, restore};
pub use context::{Context, Os};
pub use detect::{ConfigFileStatus, Configured, ManualSetup, ToolStatus, detect};
pub use error::Error;
pub use launch::{Launch, Shell, SideFile, env_for};
pub use plan::{FilePreview, Plan, Preview, plan};
pub use secret::{ApiKey, key_hint, mask_secrets};
pub use settings::{Settings, gateway_root};
pub use snapshots::{SnapshotFile, SnapshotInfo, SnapshotReason, snapshots};
pub use tools::{FileRole, ToolId};
