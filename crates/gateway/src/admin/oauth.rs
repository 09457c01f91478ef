//! `/api/oauth`: sign in to subscription providers (start a flow, poll it, finish a paste
//! flow, cancel), refresh an account's token now, and import the official CLIs' own
//! credential files when the user asks. The dashboard, the tray and `omniroute login` all drive these.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;

use crate::AppState;
use crate::admin::json::{ApiJson, OptionalJson};
use crate::admin::providers::ConnectionView;
use crate::error::ApiError;
use crate::error::ErrorCode;
use crate::oauth::flows::{self, CompleteRequest, FlowStart, FlowView, StartRequest};
use crate::oauth::tokens::TokenFailure;

pub async fn start(
    State(state): State<AppState>,
    Path(provider): Path<String>,
    OptionalJson(request): OptionalJson<StartRequest>,
) -> Result<(StatusCode, Json<FlowStart>), ApiError> {
    let started = flows::start(&state, &provider, request).await?;
    Ok((StatusCode::CREATED, Json(started)))
}

pub async fn flow(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<FlowView>, ApiError> {
    state
        .oauth
        .flows
        .view(&id)
        .map(Json)
        .ok_or_else(|| ApiError::not_found(format!("sign-in '{id}'")))
}

pub async fn complete(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<CompleteRequest>,
) -> Result<Json<FlowView>, ApiError> {
    flows::complete(&state, &id, body).await.map(Json)
}

pub async fn cancel(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    if state.oauth.flows.cancel(&id) {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found(format!("sign-in '{id}'")))
    }
}

/// `POST /api/providers/{id}/refresh`: renews a signed-in account's token now.
pub async fn refresh(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<ConnectionView>, ApiError> {
    let connection = state
        .store
        .connection(&id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no connection '{id}'")))?;
    if !connection.is_oauth() {
        return Err(ApiError::invalid(format!(
            "connection '{id}' is not a signed-in account; only those have tokens to refresh"
        )));
    }
    crate::oauth::renew_now(&state, &connection)
        .await
        .map_err(|e| match e {
            TokenFailure::NeedsSignIn(_) => ApiError::new(ErrorCode::Conflict, e.to_string()),
            TokenFailure::Unavailable(_) => ApiError::new(ErrorCode::Unavailable, e.to_string()),
        })?;
    let current = state
        .store
        .connection(&id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no connection '{id}'")))?;
    Ok(Json(crate::admin::providers::view(&state, current).await?))
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ImportRequest {
    /// The file to read; default: where the provider's official client keeps it.
    #[serde(default)]
    pub path: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
}

/// Largest credential file read.
const MAX_IMPORT: u64 = 1024 * 1024;

/// `POST /api/oauth/{provider}/import`: copies the sign-in of the provider's official client
/// from its own file on this machine (only when the user asks; the file is read, never
/// changed). The answer names the account, as a finished sign-in does.
pub async fn import(
    State(state): State<AppState>,
    Path(provider): Path<String>,
    OptionalJson(request): OptionalJson<ImportRequest>,
) -> Result<(StatusCode, Json<FlowView>), ApiError> {
    let spec = state
        .catalog
        .get(&provider)
        .and_then(|p| p.oauth.clone())
        .ok_or_else(|| ApiError::invalid(format!("provider '{provider}' has no sign-in")))?;
    let import = spec.import.clone().ok_or_else(|| {
        ApiError::invalid(format!(
            "provider '{provider}' has no official client file to import from"
        ))
    })?;
    let path = expand_home(request.path.as_deref().unwrap_or(&import.path));
    let bytes = read_bounded(&path).await.map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => ApiError::not_found(format!(
            "no file at {}: sign in with the provider's own client first, or give its path",
            path.display()
        )),
        _ => ApiError::invalid(format!("cannot read {}: {e}", path.display())),
    })?;
    let (credential, identity) =
        omniroute_providers::oauth::import::parse(import.format, &bytes)
            .map_err(|e| ApiError::invalid(format!("{}: {e}", path.display())))?;
    let name = request.name.filter(|n| !n.trim().is_empty());
    let connected =
        crate::oauth::connect::store_account(&state, &provider, &spec, name, credential, identity)
            .await
            .map_err(|e| ApiError::new(ErrorCode::Unavailable, e.to_string()))?;
    Ok((
        StatusCode::CREATED,
        Json(FlowView {
            status: flows::FlowStatus::Connected,
            connection_id: Some(connected.connection_id),
            account: connected.account,
            error: None,
        }),
    ))
}

fn expand_home(path: &str) -> std::path::PathBuf {
    match (path.strip_prefix("~/"), std::env::var_os("HOME")) {
        (Some(rest), Some(home)) => std::path::Path::new(&home).join(rest),
        _ => std::path::PathBuf::from(path),
    }
}

async fn read_bounded(path: &std::path::Path) -> std::io::Result<Vec<u8>> {
    use tokio::io::AsyncReadExt;
    let file = tokio::fs::File::open(path).await?;
    let mut bytes = Vec::new();
    file.take(MAX_IMPORT).read_to_end(&mut bytes).await?;
    Ok(bytes)
}
