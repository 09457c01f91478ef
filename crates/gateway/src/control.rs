//! What the desktop shell does with a running gateway, without knowing Tauri or the gateway's
//! insides: switch and list combos, read provider health, notice that configuration changed.
//! Each is the function the management API calls (`PUT /api/combos/active`,
//! `GET /api/health/providers`), so the tray and the dashboard always agree. Stopping is
//! `Handle::shutdown`.

use crate::AppState;
use crate::error::ApiError;

pub use crate::admin::provider_health::{ProviderHealth, ProviderState, TightestWindow};

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
