//! `/api/sync`: this device's cloud sync. `GET …/status` (last success, last error, pending
//! changes, devices, conflicts), `PUT …/config` to join a group (hub address + passphrase or
//! pairing code, credentials on or off), `DELETE …/config` to leave, `POST …/pairing-code` to
//! start a group and show the code another device types, `POST …/now`, and the conflict list's
//! restore and dismiss. The passphrase is never stored or shown again: only the keys derived
//! from it, in the secret store.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use omniroute_sync::{PairingCode, Scope, SyncStatus};
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::admin::json::ApiJson;
use crate::error::{ApiError, ErrorCode};
use crate::sync::{Group, derive_keys, local, remote::Remote};

#[derive(Debug, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct SyncView {
    pub status: SyncStatus,
    /// The hub or WebDAV folder, without any password in it.
    pub url: Option<String>,
    /// Whether this OmniRoute is itself a hub for other devices (`SYNC_HUB`).
    pub hub: bool,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct JoinBody {
    pub url: String,
    /// The group's passphrase (12 characters or more) or the pairing code another device shows.
    pub passphrase: String,
    #[serde(default)]
    pub credentials: bool,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewGroupBody {
    pub url: String,
    #[serde(default)]
    pub credentials: bool,
}

#[derive(Debug, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct PairingCodeView {
    /// Shown once: type it on the other devices (Settings → Sync → Join).
    pub code: String,
    pub view: SyncView,
}

async fn view(state: &AppState) -> SyncView {
    let saved = local::load_settings(&state.config.data_dir);
    let url = state.config.cloud_url.clone().or(saved.url);
    SyncView {
        status: state.sync.status(),
        url: url.map(|u| without_password(&u)),
        hub: state.config.sync_hub,
    }
}

fn without_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split(':').next().unwrap_or_default();
            format!("{scheme}://{user}@{host}{path}")
        }
        None => url.to_owned(),
    }
}

pub async fn status(State(state): State<AppState>) -> Json<SyncView> {
    Json(view(&state).await)
}

/// Joins the group of `passphrase` at `url`.
pub async fn join(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<JoinBody>,
) -> Result<Json<SyncView>, ApiError> {
    let keys = derive_keys(body.passphrase)
        .await
        .map_err(ApiError::invalid)?;
    configure(&state, body.url, keys, body.credentials).await?;
    Ok(Json(view(&state).await))
}

/// Starts a group with a fresh pairing code and joins it.
pub async fn pairing_code(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<NewGroupBody>,
) -> Result<Json<PairingCodeView>, ApiError> {
    let code =
        PairingCode::generate().map_err(|e| ApiError::new(ErrorCode::Internal, e.to_string()))?;
    let keys = derive_keys(code.as_str().to_owned())
        .await
        .map_err(|e| ApiError::new(ErrorCode::Internal, e))?;
    configure(&state, body.url, keys, body.credentials).await?;
    Ok(Json(PairingCodeView {
        code: code.as_str().to_owned(),
        view: view(&state).await,
    }))
}

async fn configure(
    state: &AppState,
    url: String,
    keys: omniroute_sync::SyncKeys,
    credentials: bool,
) -> Result<(), ApiError> {
    let url = url.trim().to_owned();
    let remote = Remote::new(&url, &keys).map_err(|e| ApiError::invalid(e.to_string()))?;
    local::save_keys(&state.secrets, &keys)
        .await
        .map_err(|e| ApiError::new(ErrorCode::Internal, e.to_string()))?;
    local::save_settings(
        &state.config.data_dir,
        &local::Settings {
            url: Some(url.clone()),
            credentials,
        },
    )
    .map_err(|e| ApiError::new(ErrorCode::Internal, e.to_string()))?;
    tracing::info!(target: "omniroute::audit", credentials, "cloud sync configured");
    state
        .sync
        .configure(Some(Group {
            url,
            keys,
            remote,
            scope: Scope { credentials },
        }))
        .await;
    Ok(())
}

/// Leaves sync: the keys and the kept state are forgotten (the data stays).
pub async fn leave(State(state): State<AppState>) -> Result<Json<SyncView>, ApiError> {
    local::forget_keys(&state.secrets).await;
    local::forget(&state.config.data_dir);
    local::save_settings(&state.config.data_dir, &local::Settings::default())
        .map_err(|e| ApiError::new(ErrorCode::Internal, e.to_string()))?;
    state.sync.configure(None).await;
    Ok(Json(view(&state).await))
}

pub async fn now(State(state): State<AppState>) -> Json<SyncView> {
    state.sync.run_now(&state).await;
    Json(view(&state).await)
}

pub async fn restore_conflict(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<SyncView>, ApiError> {
    match state.sync.restore_conflict(&state, &id).await {
        Ok(true) => Ok(Json(view(&state).await)),
        Ok(false) => Err(ApiError::not_found(format!("no conflict '{id}'"))),
        Err(e) => Err(ApiError::new(ErrorCode::Internal, e)),
    }
}

pub async fn dismiss_conflict(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    if state.sync.dismiss_conflict(&state, &id).await {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found(format!("no conflict '{id}'")))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn shown_addresses_keep_the_user_and_drop_the_password() {
        assert_eq!(
            super::without_password("webdavs://me:s3cret@nas.lan/dav/omniroute"),
            "webdavs://me@nas.lan/dav/omniroute"
        );
        assert_eq!(
            super::without_password("http://10.0.0.2:20128"),
            "http://10.0.0.2:20128"
        );
    }
}
