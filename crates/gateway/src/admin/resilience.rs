//! `GET /api/resilience` (breakers per provider, cooldowns per connection, their profiles) and
//! `POST /api/resilience/reset` ("Reset all": every breaker closed, every cooldown cleared).

use axum::Json;
use axum::extract::State;
use omniroute_routing::breaker::BreakerProfile;
use omniroute_routing::cooldown::BackoffProfile;
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::admin::json::ApiJson;
use crate::admin::providers::reload;
use crate::error::ApiError;
use crate::health::HealthReport;

/// The settings section holding the profiles.
pub const SECTION: &str = "resilience";

/// Breaker and backoff profiles; stored, editable, applied without restart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct Profiles {
    pub oauth: BreakerProfile,
    pub api_key: BreakerProfile,
    pub backoff: BackoffProfile,
}

impl Default for Profiles {
    fn default() -> Self {
        Self {
            oauth: BreakerProfile::OAUTH,
            api_key: BreakerProfile::API_KEY,
            backoff: BackoffProfile::default(),
        }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Resilience {
    #[serde(flatten)]
    pub health: HealthReport,
    pub profiles: Profiles,
}

pub async fn get(State(state): State<AppState>) -> Json<Resilience> {
    Json(Resilience {
        health: state.health.report(),
        profiles: state.registry.snapshot().profiles,
    })
}

/// `PATCH /api/resilience {"profiles": {...}}`: a merge of the profiles, validated and stored.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Patch {
    pub profiles: serde_json::Value,
}

pub async fn patch(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<Patch>,
) -> Result<Json<Resilience>, ApiError> {
    let mut merged = serde_json::to_value(state.registry.snapshot().profiles)
        .map_err(|e| ApiError::new(crate::ErrorCode::Internal, e.to_string()))?;
    crate::admin::settings::merge_patch(&mut merged, &body.profiles);
    let profiles: Profiles = serde_json::from_value(merged.clone())
        .map_err(|e| ApiError::invalid(format!("profiles: {e}")))?;
    for (name, p) in [("oauth", profiles.oauth), ("apiKey", profiles.api_key)] {
        if p.failure_threshold == 0 {
            return Err(ApiError::invalid(format!(
                "profiles.{name}.failureThreshold must be at least 1"
            )));
        }
    }
    if profiles.backoff.base_ms == 0 || profiles.backoff.max_ms < profiles.backoff.base_ms {
        return Err(ApiError::invalid(
            "profiles.backoff needs 0 < baseMs <= maxMs",
        ));
    }
    state
        .store
        .put_settings_sections(&[(SECTION, &merged)])
        .await?;
    reload(&state).await?;
    Ok(get(State(state)).await)
}

pub async fn reset(State(state): State<AppState>) -> Json<Resilience> {
    state.health.reset();
    get(State(state)).await
}
