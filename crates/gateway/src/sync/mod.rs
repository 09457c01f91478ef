//! Cloud sync of this device's providers, combos and settings with the other devices of its
//! group, through a hub the user owns (`remote.rs`), end-to-end encrypted (`omniroute-sync`).
//!
//! It runs in the background only: after local changes (debounced), every few minutes, and
//! after failures with a growing backoff; each run is bounded by `SYNC_TIMEOUT`. No request
//! path ever waits for it — a hub that is down, slow or answering garbage shows in
//! `GET /api/sync/status` and the tray, nothing else. `run.rs` is one run.

pub mod local;
pub mod remote;
mod run;

use std::sync::Mutex;

use omniroute_sync::{ConflictSummary, DeviceId, Scope, SyncKeys, SyncSchedule, SyncStatus};

use crate::AppState;

/// A configured group: where, with which keys, and whether credentials go along.
pub struct Group {
    pub url: String,
    pub keys: SyncKeys,
    pub remote: remote::Remote,
    pub scope: Scope,
}

/// The sync of this device: its group (if any), its kept state, its status.
pub struct Sync {
    device: DeviceId,
    /// Held for a whole run, and from the start until the configuration is known, so nothing
    /// runs (or answers "not configured") before the keys are derived.
    group: std::sync::Arc<tokio::sync::Mutex<Option<Group>>>,
    status: Mutex<SyncStatus>,
    schedule: SyncSchedule,
    wake: tokio::sync::Notify,
}

impl Sync {
    pub fn new(device: DeviceId) -> Self {
        Self {
            device,
            group: std::sync::Arc::new(tokio::sync::Mutex::new(None)),
            status: Mutex::new(SyncStatus {
                device: Some(device),
                ..SyncStatus::default()
            }),
            schedule: SyncSchedule::default(),
            wake: tokio::sync::Notify::new(),
        }
    }

    pub fn device(&self) -> DeviceId {
        self.device
    }

    pub fn status(&self) -> SyncStatus {
        crate::health::lock(&self.status).clone()
    }

    fn with_status<T>(&self, f: impl FnOnce(&mut SyncStatus) -> T) -> T {
        f(&mut crate::health::lock(&self.status))
    }

    /// The group slot, taken before the gateway serves: its configuration from the
    /// environment is worked out in the background, and whoever asks meanwhile waits for it.
    pub fn claim(&self) -> Option<tokio::sync::OwnedMutexGuard<Option<Group>>> {
        self.group.clone().try_lock_owned().ok()
    }

    /// Joins the group of `keys` at `url` (or leaves sync with `None`); runs soon.
    pub async fn configure(&self, group: Option<Group>) {
        let mut slot = self.group.lock().await;
        self.set(&mut slot, group);
    }

    fn set(&self, slot: &mut Option<Group>, group: Option<Group>) {
        self.with_status(|s| {
            s.enabled = group.is_some();
            s.credentials = group.as_ref().is_some_and(|g| g.scope.credentials);
            s.last_error = None;
            s.consecutive_failures = 0;
            s.next_run_ms = None;
            s.conflicts.clear();
            s.devices.clear();
        });
        *slot = group;
        self.wake.notify_one();
    }

    /// Something changed locally: a run after the debounce.
    pub fn local_change(&self) {
        let now = now_ms();
        self.with_status(|s| s.local_change(now, &self.schedule));
        self.wake.notify_one();
    }

    /// One run now (the dashboard's "Sync now"); its outcome is in the status.
    pub async fn run_now(&self, state: &AppState) -> SyncStatus {
        let mut group = self.group.lock().await;
        if let Some(group) = group.as_mut() {
            self.run_bounded(state, group).await;
        }
        self.status()
    }

    async fn run_bounded(&self, state: &AppState, group: &mut Group) {
        let started = now_ms();
        self.with_status(|s| s.started(started));
        let outcome = tokio::time::timeout(
            state.config.sync_timeout,
            run::once(state, self.device, group),
        )
        .await;
        let now = now_ms();
        match outcome {
            Ok(Ok(report)) => self.with_status(|s| {
                s.succeeded(now, &self.schedule);
                s.pending_changes = 0;
                s.devices = report.devices;
                s.clock_warnings = report.clock_warnings;
                s.conflicts = report.conflicts.iter().map(ConflictSummary::from).collect();
            }),
            Ok(Err(failure)) => {
                tracing::warn!(error = %failure.message, "sync run failed");
                let pending = run::pending(state, self.device, group).await;
                self.with_status(|s| {
                    s.failed(now, failure.kind, failure.message.clone(), &self.schedule);
                    s.pending_changes = pending;
                });
            }
            Err(_) => {
                tracing::warn!("sync run timed out");
                self.with_status(|s| {
                    s.failed(
                        now,
                        omniroute_sync::FailureKind::Timeout,
                        format!(
                            "the hub did not finish within {} s",
                            state.config.sync_timeout.as_secs()
                        ),
                        &self.schedule,
                    );
                });
            }
        }
    }

    /// Restores a conflict's losing version (a new local edit) and syncs it out.
    pub async fn restore_conflict(&self, state: &AppState, id: &str) -> Result<bool, String> {
        let mut group = self.group.lock().await;
        let Some(group) = group.as_mut() else {
            return Ok(false);
        };
        let restored = run::restore(state, self.device, group, id).await?;
        if restored {
            self.run_bounded(state, group).await;
        }
        Ok(restored)
    }

    /// Drops a conflict from the list.
    pub async fn dismiss_conflict(&self, state: &AppState, id: &str) -> bool {
        let group = self.group.lock().await;
        let Some(group) = group.as_ref() else {
            return false;
        };
        let dismissed = run::dismiss(state, group, id);
        if dismissed {
            self.with_status(|s| s.conflicts.retain(|c| c.id != id));
        }
        dismissed
    }
}

/// The group this device was configured with: `CLOUD_URL` and `CLOUD_PASSPHRASE` (a pairing code
/// works too) from the environment win over what the dashboard saved.
pub async fn configured_group(state: &AppState) -> Result<Option<Group>, String> {
    let saved = local::load_settings(&state.config.data_dir);
    let Some(url) = state.config.cloud_url.clone().or(saved.url.clone()) else {
        return Ok(None);
    };
    let keys = match &state.config.cloud_passphrase {
        Some(secret) => {
            let keys = derive_keys(secret.expose().to_owned()).await?;
            local::save_keys(&state.secrets, &keys)
                .await
                .map_err(|e| format!("cannot keep the sync keys: {e}"))?;
            keys
        }
        None => match local::load_keys(&state.secrets).await {
            Some(keys) => keys,
            None => return Ok(None),
        },
    };
    let remote = remote::Remote::new(&url, &keys).map_err(|e| e.to_string())?;
    Ok(Some(Group {
        url,
        keys,
        remote,
        scope: Scope {
            credentials: saved.credentials,
        },
    }))
}

/// Keys from a passphrase or a pairing code (Argon2id: off the async threads).
pub async fn derive_keys(secret: String) -> Result<SyncKeys, String> {
    let secret = zeroize::Zeroizing::new(secret);
    tokio::task::spawn_blocking(move || {
        let params = omniroute_sync::KdfParams::RECOMMENDED;
        // Something shaped like a pairing code is one: a mistyped code must fail its check,
        // not quietly become a passphrase of another (empty) group.
        let groups: Vec<&str> = secret
            .split(|c: char| c == '-' || c.is_whitespace())
            .filter(|g| !g.is_empty())
            .collect();
        let code_shaped = groups.len() == 5
            && groups
                .iter()
                .all(|g| g.len() == 5 && g.chars().all(|c| c.is_ascii_alphanumeric()));
        if code_shaped {
            let code = omniroute_sync::PairingCode::parse(&secret)?;
            SyncKeys::from_pairing_code(&code, params)
        } else {
            SyncKeys::from_passphrase(&secret, params)
        }
    })
    .await
    .map_err(|e| e.to_string())?
    .map_err(|e| e.to_string())
}

/// Configures sync as saved or given in the environment (holding `claimed`, the group slot,
/// until it is known), then keeps it running.
pub async fn start(state: AppState, claimed: Option<tokio::sync::OwnedMutexGuard<Option<Group>>>) {
    let mut slot = match claimed {
        Some(slot) => slot,
        None => state.sync.group.clone().lock_owned().await,
    };
    let configured = configured_group(&state).await;
    match configured {
        Ok(group) => {
            state.sync.set(&mut slot, group);
            drop(slot);
        }
        Err(e) => {
            drop(slot);
            tracing::warn!(error = %e, "cloud sync is not configured");
            state.sync.with_status(|s| {
                s.last_error = Some(omniroute_sync::status::SyncFailure {
                    at_ms: now_ms(),
                    kind: omniroute_sync::FailureKind::Local,
                    message: e,
                });
            });
        }
    }
    keep_in_sync(state).await;
}

/// The background loop: wakes on local changes (the registry's generation) and when a run is
/// due; never holds a request.
pub async fn keep_in_sync(state: AppState) {
    let sync = &state.sync;
    let mut seen = state.registry.generation();
    loop {
        let generation = state.registry.generation();
        if generation != seen {
            seen = generation;
            sync.local_change();
        }
        if sync.status().due(now_ms()) {
            let mut group = sync.group.lock().await;
            if let Some(group) = group.as_mut() {
                sync.run_bounded(&state, group).await;
            }
            drop(group);
            // What the run wrote to the database is not a local change.
            seen = state.registry.generation();
        }
        tokio::select! {
            () = tokio::time::sleep(std::time::Duration::from_millis(500)) => {}
            () = sync.wake.notified() => {}
        }
    }
}

pub fn now_ms() -> u64 {
    u64::try_from(omniroute_store::now_ms()).unwrap_or(0)
}
