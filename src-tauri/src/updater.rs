//! Signed updates through `tauri-plugin-updater`, behind the gateway's [`Updater`] trait so the
//! dashboard (`/api/system/update`), the API and the tray drive the same object. A check
//! downloads a newer release at once and verifies its signature against the public key; the
//! verified package is installed when the user restarts (the tray's "Restart to install", the
//! dashboard's button, or quitting the app).
//!
//! The endpoint and public key come from `tauri.conf.json`; `OMNIROUTE_UPDATE_ENDPOINT` and
//! `OMNIROUTE_UPDATE_PUBKEY` replace them (self-hosted release feeds, and the tests).

use std::sync::{Arc, Mutex};

use omniroute_gateway::health::lock;
use omniroute_gateway::{UpdateState, Updater};
use tauri::{AppHandle, Url};
use tauri_plugin_updater::{Update, UpdaterExt};

/// Cheap to clone: the app keeps one for quitting, the gateway one behind its trait.
#[derive(Clone)]
pub struct DesktopUpdater(Arc<Inner>);

pub struct Inner {
    app: AppHandle,
    state: Mutex<UpdateState>,
    /// The verified package waiting for a restart.
    ready: Mutex<Option<(Update, Vec<u8>)>>,
}

impl std::ops::Deref for DesktopUpdater {
    type Target = Inner;

    fn deref(&self) -> &Inner {
        &self.0
    }
}

/// An endpoint given in the environment, when it is a usable URL.
pub fn endpoint_override() -> Option<Url> {
    let raw = std::env::var("OMNIROUTE_UPDATE_ENDPOINT").ok()?;
    match raw.parse::<Url>() {
        Ok(url) => Some(url),
        Err(e) => {
            tracing::warn!(endpoint = %raw, error = %e, "OMNIROUTE_UPDATE_ENDPOINT is not a URL; using the configured one");
            None
        }
    }
}

/// Plain HTTP is acceptable only from this machine (a local release feed, the tests): the
/// package's signature is still checked.
pub fn is_loopback_http(url: &Url) -> bool {
    url.scheme() == "http" && matches!(url.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"))
}

impl DesktopUpdater {
    pub fn new(app: AppHandle) -> Self {
        Self(Arc::new(Inner {
            app,
            state: Mutex::new(UpdateState::Idle),
            ready: Mutex::new(None),
        }))
    }

    fn set(&self, state: UpdateState) {
        *lock(&self.state) = state;
    }

    async fn run_check(self) {
        let result = self.check_and_download().await;
        match result {
            Ok(state) => self.set(state),
            Err(message) => {
                tracing::warn!(%message, "update check failed");
                self.set(UpdateState::Failed { message });
            }
        }
    }

    async fn check_and_download(&self) -> Result<UpdateState, String> {
        let mut builder = self.app.updater_builder();
        if let Some(url) = endpoint_override() {
            builder = builder.endpoints(vec![url]).map_err(|e| e.to_string())?;
        }
        if let Ok(key) = std::env::var("OMNIROUTE_UPDATE_PUBKEY") {
            builder = builder.pubkey(key);
        }
        let updater = builder.build().map_err(|e| e.to_string())?;
        let Some(update) = updater.check().await.map_err(|e| e.to_string())? else {
            tracing::info!("no update available");
            return Ok(UpdateState::UpToDate {
                current: self.app.package_info().version.to_string(),
            });
        };
        let version = update.version.clone();
        tracing::info!(%version, "update available; downloading");
        self.set(UpdateState::Downloading {
            version: version.clone(),
            received: 0,
            total: None,
        });
        let mut received = 0u64;
        // `download` checks the signature before it returns the bytes.
        let bytes = update
            .download(
                |chunk, total| {
                    received += chunk as u64;
                    self.set(UpdateState::Downloading {
                        version: version.clone(),
                        received,
                        total,
                    });
                },
                || {},
            )
            .await
            .map_err(|e| format!("the update to {version} was not installed: {e}"))?;
        tracing::info!(%version, bytes = bytes.len(), "update downloaded and its signature verified");
        let notes = update.body.clone();
        *lock(&self.ready) = Some((update, bytes));
        Ok(UpdateState::Ready { version, notes })
    }

    /// Installs a verified package if one is waiting; called when the app quits.
    pub fn install_pending(&self) -> Result<bool, String> {
        let Some((update, bytes)) = lock(&self.ready).take() else {
            return Ok(false);
        };
        update
            .install(bytes)
            .map_err(|e| format!("installing {} failed: {e}", update.version))?;
        tracing::info!(version = %update.version, "update installed");
        Ok(true)
    }
}

impl Updater for DesktopUpdater {
    fn state(&self) -> UpdateState {
        lock(&self.state).clone()
    }

    fn check(&self) {
        {
            let mut state = lock(&self.state);
            if matches!(
                *state,
                UpdateState::Checking | UpdateState::Downloading { .. }
            ) {
                return;
            }
            *state = UpdateState::Checking;
        }
        tauri::async_runtime::spawn(self.clone().run_check());
    }

    fn install_and_restart(&self) -> Result<(), String> {
        if lock(&self.ready).is_none() {
            return Err("no downloaded update is waiting; check for updates first".into());
        }
        crate::actions::quit(self.app.clone());
        Ok(())
    }
}
