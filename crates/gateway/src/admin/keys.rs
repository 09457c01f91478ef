//! `/api/keys`: client API keys for `/v1`. A new key is returned once, in full; only its
//! keyed hash is stored, so listing shows names and hints, never keys.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::accounting::keys;
use crate::admin::json::ApiJson;
use crate::error::{ApiError, ErrorCode};
use omniroute_store::api_keys::ApiKey;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewKey {
    name: String,
}

#[derive(Serialize, ts_rs::TS)]
pub struct Created {
    id: String,
    name: String,
    /// The key itself: shown this once.
    key: String,
    #[serde(rename = "keyHint")]
    key_hint: String,
    #[serde(rename = "createdAt")]
    created_at: i64,
}

pub async fn create(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<NewKey>,
) -> Result<(StatusCode, Json<Created>), ApiError> {
    let name = body.name.trim();
    if name.is_empty() || name.len() > 100 {
        return Err(ApiError::invalid("name must be 1 to 100 characters"));
    }
    let key = keys::generate()
        .map_err(|e| ApiError::new(ErrorCode::Internal, format!("no randomness for a key: {e}")))?;
    let hash = keys::hash(state.config.api_key_secret.expose().as_bytes(), &key);
    let stored = state
        .store
        .create_api_key(name, &hash, &keys::hint(&key))
        .await?;
    state.reload().await?;
    Ok((
        StatusCode::CREATED,
        Json(Created {
            id: stored.id,
            name: stored.name,
            key,
            key_hint: stored.key_hint,
            created_at: stored.created_at,
        }),
    ))
}

pub async fn list(State(state): State<AppState>) -> Result<Json<Vec<ApiKey>>, ApiError> {
    Ok(Json(state.store.api_keys().await?))
}

pub async fn delete(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    state.store.delete_api_key(&id).await?;
    state.spend.forget(&id);
    state.reload().await?;
    Ok(StatusCode::NO_CONTENT)
}
