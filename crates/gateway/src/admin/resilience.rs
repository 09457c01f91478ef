//! `GET /api/resilience` (breakers per provider, cooldowns per connection, their profiles) and
//! `POST /api/resilience/reset` ("Reset all": every breaker closed, every cooldown cleared).

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::admin::json::ApiJson;
use crate::error::ApiError;
use crate::health::HealthReport;
use crate::settings::{Profiles, RESILIENCE, merge_patch};
use omniroute_store::lockouts::LockScope;

#[derive(Debug, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct Resilience {
    #[serde(flatten)]
    pub health: HealthReport,
    pub profiles: Profiles,
    pub lockouts: Vec<omniroute_store::lockouts::Lockout>,
}

pub async fn get(State(state): State<AppState>) -> Json<Resilience> {
    Json(Resilience {
        health: state.health.report(),
        profiles: state.registry.snapshot().profiles.clone(),
        lockouts: state.registry.snapshot().lockouts.clone(),
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
    let mut merged = serde_json::to_value(&state.registry.snapshot().profiles)
        .map_err(|e| ApiError::new(crate::ErrorCode::Internal, e.to_string()))?;
    merge_patch(&mut merged, &body.profiles);
    let profiles: Profiles = serde_json::from_value(merged.clone())
        .map_err(|e| ApiError::invalid(format!("profiles: {e}")))?;
    for (name, p) in [("oauth", &profiles.oauth), ("apiKey", &profiles.api_key)] {
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
        .put_settings_sections(&[(RESILIENCE, &merged)])
        .await?;
    state.reload().await?;
    Ok(get(State(state)).await)
}

pub async fn reset(State(state): State<AppState>) -> Json<Resilience> {
    state.health.reset();
    state.quota.clear();
    get(State(state)).await
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LockBody {
    pub scope: LockScope,
    pub target: String,
    #[serde(default)]
    pub reason: Option<String>,
    /// How long; omitted: until unlocked.
    #[serde(default)]
    pub minutes: Option<u64>,
}

/// `POST /api/resilience/lock`: takes a model or a connection out of routing.
pub async fn lock(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<LockBody>,
) -> Result<Json<Resilience>, ApiError> {
    let until = body.minutes.map(|m| {
        omniroute_store::now_ms() + i64::try_from(m.saturating_mul(60_000)).unwrap_or(i64::MAX / 2)
    });
    let reason = body.reason.unwrap_or_else(|| "locked by hand".into());
    state
        .store
        .lock(body.scope, body.target.trim(), &reason, until)
        .await?;
    state.reload().await?;
    Ok(get(State(state)).await)
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct UnlockBody {
    pub id: Option<String>,
    pub scope: Option<LockScope>,
    pub target: Option<String>,
}

/// `POST /api/resilience/unlock`: force-unlock by id, by scope and target, or (empty body) all.
pub async fn unlock(
    State(state): State<AppState>,
    body: axum::body::Bytes,
) -> Result<Json<Resilience>, ApiError> {
    let body: UnlockBody = if body.iter().all(u8::is_ascii_whitespace) {
        UnlockBody::default()
    } else {
        serde_json::from_slice(&body)
            .map_err(|e| ApiError::invalid(format!("invalid body: {e}")))?
    };
    let target = match (body.scope, body.target.as_deref()) {
        (Some(scope), Some(target)) => Some((scope, target)),
        (None, None) => None,
        _ => {
            return Err(ApiError::invalid(
                "give both scope and target, or an id, or nothing to unlock all",
            ));
        }
    };
    // A model unlocked by force serves again on every account, also where it rested after
    // that account's upstream said it does not know it.
    let snapshot = state.registry.snapshot();
    let models = snapshot.lockouts.iter().filter(|l| {
        l.scope == LockScope::Model
            && match (&body.id, target) {
                (Some(id), _) => &l.id == id,
                (None, Some((scope, t))) => scope == LockScope::Model && l.target == t,
                (None, None) => true,
            }
    });
    for lockout in models {
        state.health.clear_model(&lockout.target);
    }
    state.store.unlock(body.id.as_deref(), target).await?;
    state.reload().await?;
    Ok(get(State(state)).await)
}
