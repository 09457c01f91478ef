//! Application updates as the gateway sees them: the desktop app plugs its signed updater in
//! through [`Updater`] at start; the dashboard's `/api/system/update`, the tray's "Check for
//! updates" and the API all drive that one object. The headless build has none.

use std::sync::Arc;

use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(
    tag = "state",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub enum UpdateState {
    /// The headless gateway: update it with the package manager or a new binary.
    Unsupported,
    /// Nothing checked yet.
    Idle,
    Checking,
    UpToDate {
        current: String,
    },
    /// A newer signed release is being downloaded.
    Downloading {
        version: String,
        #[ts(type = "number")]
        received: u64,
        #[ts(type = "number | null")]
        total: Option<u64>,
    },
    /// Downloaded and its signature verified; installed when the app restarts.
    Ready {
        version: String,
        notes: Option<String>,
    },
    Failed {
        message: String,
    },
}

/// A source of signed updates (the desktop app's updater plugin).
pub trait Updater: Send + Sync + 'static {
    fn state(&self) -> UpdateState;
    /// Starts a check — and the download of a newer release — in the background; a check
    /// already running is not started twice.
    fn check(&self);
    /// Installs the downloaded release and restarts the app. Errors when none is ready.
    fn install_and_restart(&self) -> Result<(), String>;
}

pub type SharedUpdater = Option<Arc<dyn Updater>>;
