//! `GET /api/resilience` (breakers per provider, cooldowns per connection, their profiles) and
//! `POST /api/resilience/reset` ("Reset all": every breaker closed, every cooldown cleared).

use axum::Json;
use axum::extract::State;
use omniroute_routing::breaker::BreakerProfile;
use omniroute_routing::cooldown::BackoffProfile;
use serde::Serialize;

use crate::AppState;
use crate::health::HealthReport;

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Profiles {
    pub oauth: BreakerProfile,
    pub api_key: BreakerProfile,
    pub backoff: BackoffProfile,
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
        profiles: Profiles {
            oauth: BreakerProfile::OAUTH,
            api_key: BreakerProfile::API_KEY,
            backoff: state.health.backoff,
        },
    })
}

pub async fn reset(State(state): State<AppState>) -> Json<Resilience> {
    state.health.reset();
    get(State(state)).await
}
