//! `/api/provider-nodes`: custom OpenAI-, Anthropic-, Gemini- or Responses-compatible endpoints,
//! each reachable under its own model prefix.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use omniroute_store::nodes::{ApiType, ProviderNode};
use serde::Deserialize;

use crate::AppState;
use crate::admin::json::ApiJson;
use crate::admin::providers::validate_base_url;
use crate::error::ApiError;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateNode {
    pub name: String,
    pub prefix: String,
    pub api_type: ApiType,
    pub base_url: String,
}

pub async fn create(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<CreateNode>,
) -> Result<(StatusCode, Json<ProviderNode>), ApiError> {
    let prefix = body.prefix.trim();
    let valid = !prefix.is_empty()
        && prefix
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if !valid {
        return Err(ApiError::invalid(format!(
            "prefix '{prefix}' must be letters, digits, '-', '_' or '.' (it becomes the model prefix: {prefix}/model)"
        )));
    }
    if state.catalog.get(prefix).is_some() {
        return Err(ApiError::new(
            crate::ErrorCode::Conflict,
            format!("prefix '{prefix}' is a built-in provider; choose another"),
        ));
    }
    validate_base_url("baseUrl", &body.base_url)?;
    let node = state
        .store
        .insert_node(
            body.name.trim(),
            prefix,
            body.api_type,
            body.base_url.trim(),
        )
        .await?;
    state.reload().await?;
    Ok((StatusCode::CREATED, Json(node)))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UpdateNode {
    pub name: Option<String>,
    pub api_type: Option<ApiType>,
    pub base_url: Option<String>,
    /// Moving the node to another server forgets the keys of its connections that follow the
    /// node's URL (they must be entered again); without this the move is refused.
    #[serde(default)]
    pub clear_keys: bool,
}

/// `PUT /api/provider-nodes/{id}`: the prefix is the node's identity (models route by it) and
/// stays; name, API type and base URL may change.
pub async fn update(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<UpdateNode>,
) -> Result<Json<ProviderNode>, ApiError> {
    let current = state
        .store
        .node(&id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no provider node '{id}'")))?;
    let api_type = body.api_type.unwrap_or(current.api_type);
    let base_url = body
        .base_url
        .map(|u| u.trim().to_owned())
        .unwrap_or_else(|| current.base_url.clone());
    validate_base_url("baseUrl", &base_url)?;
    // The connections that send their keys wherever the node points.
    let following: Vec<_> = state
        .store
        .connections()
        .await?
        .into_iter()
        .filter(|c| c.provider == current.prefix && c.base_url.is_none() && c.secret_name.is_some())
        .collect();
    crate::admin::providers::check_key_destination(
        &format!("provider node '{}'", current.prefix),
        !following.is_empty(),
        Some(current.base_url.clone()),
        Some(base_url.clone()),
        body.clear_keys,
    )?;
    if body.clear_keys
        && crate::admin::providers::moves_server(Some(&current.base_url), Some(&base_url))
    {
        for connection in &following {
            if let Some(secret) = &connection.secret_name {
                state
                    .secrets
                    .delete(secret)
                    .await
                    .map_err(|e| ApiError::from(omniroute_store::StoreError::from(e)))?;
            }
            state.store.unlink_connection_secret(&connection.id).await?;
        }
    }
    let name = body
        .name
        .map(|n| n.trim().to_owned())
        .unwrap_or(current.name);
    let node = state
        .store
        .update_node(&id, &name, api_type, &base_url)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no provider node '{id}'")))?;
    state.reload().await?;
    Ok(Json(node))
}

pub async fn list(State(state): State<AppState>) -> Result<Json<Vec<ProviderNode>>, ApiError> {
    Ok(Json(state.store.nodes().await?))
}

pub async fn delete(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    if state.store.delete_node(&id).await? {
        state.reload().await?;
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found(format!("no provider node '{id}'")))
    }
}
