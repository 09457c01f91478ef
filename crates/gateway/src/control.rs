//! What the desktop shell does with a running gateway, without knowing Tauri or the gateway's
//! insides: switch and list combos, read provider health, notice that configuration changed,
//! learn which quota windows to tell the user about.
//! Each is the function the management API calls (`PUT /api/combos/active`,
//! `GET /api/health/providers`), so the tray and the dashboard always agree. Stopping is
//! `Handle::shutdown`.

use crate::AppState;
use crate::error::ApiError;

pub use crate::admin::provider_health::{ProviderHealth, ProviderState, TightestWindow};
pub use crate::quota::alerts::{AlertKind, AlertTracker};
use crate::settings::{NOTIFICATIONS, NotificationSettings, Stored};

/// Changes whenever combos, connections or settings did (a cheap "look again" signal).
pub fn generation(state: &AppState) -> u64 {
    state.registry.generation()
}

/// The combos' names, in the dashboard's order.
pub async fn combo_names(state: &AppState) -> Result<Vec<String>, ApiError> {
    Ok(state
        .store
        .combos()
        .await?
        .into_iter()
        .map(|c| c.name)
        .collect())
}

/// The combo `auto` and `active` stand for, if one is chosen.
pub fn active_combo(state: &AppState) -> Option<String> {
    state.registry.snapshot().active_combo.clone()
}

/// Makes `name` the active combo (`None`: none); returns the name now active.
pub async fn activate_combo(
    state: &AppState,
    name: Option<&str>,
) -> Result<Option<String>, ApiError> {
    Ok(crate::admin::combos::activate(state, name).await?.name)
}

/// One line per provider with an enabled account.
pub fn provider_health(state: &AppState) -> Vec<ProviderHealth> {
    crate::admin::provider_health::current(state)
}

/// A quota window to tell the user about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuotaNotice {
    /// The provider's display name.
    pub provider: String,
    /// The account's name.
    pub account: String,
    pub window: String,
    pub kind: AlertKind,
    /// How long until the window resets, for a level reached.
    pub resets_in_ms: Option<u64>,
}

/// The quota windows that crossed 80 %, 95 % or 100 %, or reset, since `tracker` last looked,
/// keeping the kinds Settings → Notifications leaves on.
pub async fn quota_notices(state: &AppState, tracker: &mut AlertTracker) -> Vec<QuotaNotice> {
    let snapshot = state.registry.snapshot();
    let now = omniroute_store::now_ms();
    let accounts: Vec<(&crate::registry::LiveConnection, Vec<_>)> = snapshot
        .connections
        .iter()
        .filter(|c| c.row.enabled)
        .map(|c| (c, state.quota.windows(&c.row.id, now)))
        .collect();
    let alerts = tracker.step(
        now,
        accounts
            .iter()
            .map(|(c, windows)| (c.row.id.as_str(), windows.as_slice())),
    );
    if alerts.is_empty() {
        return Vec::new();
    }
    let wanted: NotificationSettings = match Stored::read(&state.store).await {
        Ok(stored) => stored.section(NOTIFICATIONS),
        Err(e) => {
            tracing::warn!(error = %e, "cannot read the notification settings; using defaults");
            NotificationSettings::default()
        }
    };
    alerts
        .into_iter()
        .filter(|a| allows(&wanted, a.kind))
        .filter_map(|a| {
            let (connection, _) = accounts.iter().find(|(c, _)| c.row.id == a.account)?;
            let provider = &connection.row.provider;
            Some(QuotaNotice {
                provider: state
                    .catalog
                    .get(provider)
                    .map_or_else(|| provider.clone(), |e| e.name.clone()),
                account: connection.row.name.clone(),
                window: a.window,
                kind: a.kind,
                resets_in_ms: a.resets_at.map(|at| u64::try_from(at - now).unwrap_or(0)),
            })
        })
        .collect()
}

fn allows(wanted: &NotificationSettings, kind: AlertKind) -> bool {
    match kind {
        AlertKind::Reached(100..) => wanted.quota_at100,
        AlertKind::Reached(95..) => wanted.quota_at95,
        AlertKind::Reached(_) => wanted.quota_at80,
        AlertKind::Reset => wanted.quota_reset,
    }
}

/// What is wrong with cloud sync, worded for the tray, while a run is failing.
pub fn sync_problem(state: &AppState) -> Option<String> {
    let status = state.sync.status();
    let error = status.last_error.filter(|_| status.enabled)?;
    use omniroute_sync::FailureKind as K;
    Some(
        match error.kind {
            K::Unreachable => "the hub does not answer",
            K::Timeout => "the hub is too slow",
            K::HubRejected => "the hub refuses",
            K::CannotOpen => "data that does not open with this group's key",
            K::Corrupt => "the hub answers nonsense",
            K::Local => "this device's data cannot be read or written",
        }
        .to_owned(),
    )
}
