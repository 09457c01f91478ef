//! `/api/providers`: connections (accounts and API keys) of catalog providers and provider
//! nodes. Keys are stored through `store::secrets` and only ever returned masked.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use omniroute_store::SecretString;
use omniroute_store::connections::{AuthState, Connection, NewConnection, api_key_secret_name};
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::admin::json::ApiJson;
use crate::error::ApiError;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateConnection {
    pub provider: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub api_key: Option<String>,
    #[serde(default)]
    pub base_url: Option<String>,
    #[serde(default)]
    pub priority: Option<i64>,
    #[serde(default)]
    pub enabled: Option<bool>,
}

#[derive(Debug, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct ConnectionView {
    pub id: String,
    pub provider: String,
    pub name: String,
    pub auth_kind: String,
    /// The key masked as `sk-…abcd`; never the key itself.
    pub api_key: Option<String>,
    pub base_url: Option<String>,
    pub priority: i64,
    pub enabled: bool,
    /// Keeps to its plan's limits: an answer billed as extra usage or overage counts as the
    /// plan used up, and the account rests until it resets.
    pub plan_limits_only: bool,
    pub created_at: i64,
    pub updated_at: i64,
    /// A signed-in account's state; never a token.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub auth: Option<AuthView>,
}

/// Where a signed-in account stands.
#[derive(Debug, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct AuthView {
    /// Always `oauth`.
    pub kind: &'static str,
    pub account: Option<String>,
    pub plan: Option<String>,
    /// When the access token expires (Unix ms).
    pub expires_at: Option<i64>,
    /// `ok`, `refreshing` or `needs-sign-in`.
    pub state: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub error: Option<String>,
}

/// `sk-…abcd`: enough to recognise a key, not enough to use it.
pub fn mask(key: &str) -> String {
    let chars: Vec<char> = key.chars().collect();
    if chars.len() <= 8 {
        return "…".into();
    }
    let head: String = chars.iter().take(3).collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}…{tail}")
}

pub(crate) async fn view(state: &AppState, c: Connection) -> Result<ConnectionView, ApiError> {
    let auth = c.is_oauth().then(|| {
        let meta = c.account_meta().unwrap_or_default();
        AuthView {
            kind: "oauth",
            account: meta.account,
            plan: meta.plan,
            expires_at: meta.expires_at,
            state: if meta.state == AuthState::Ok && state.oauth.tokens.refreshing(&c.id) {
                AuthState::Refreshing.as_str()
            } else {
                meta.state.as_str()
            },
            error: meta.error,
        }
    });
    let api_key = match &c.secret_name {
        Some(_) if auth.is_some() => None,
        Some(name) => state
            .secrets
            .get(name)
            .await
            .map_err(store_error)?
            .map(|k| mask(k.expose())),
        None => None,
    };
    Ok(ConnectionView {
        id: c.id,
        provider: c.provider,
        name: c.name,
        auth_kind: c.auth_kind,
        api_key,
        base_url: c.base_url,
        priority: c.priority,
        enabled: c.enabled,
        plan_limits_only: c.plan_limits_only,
        created_at: c.created_at,
        updated_at: c.updated_at,
        auth,
    })
}

pub(crate) fn validate_base_url(field: &str, url: &str) -> Result<(), ApiError> {
    let ok = (url.starts_with("http://") || url.starts_with("https://"))
        && reqwest::Url::parse(url).is_ok();
    if ok {
        Ok(())
    } else {
        Err(ApiError::invalid(format!(
            "{field} must be an http(s) URL, got '{url}'"
        )))
    }
}

pub async fn create(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<CreateConnection>,
) -> Result<(StatusCode, Json<ConnectionView>), ApiError> {
    let provider = body.provider.trim().to_owned();
    let known = state.catalog.get(&provider).is_some()
        || state
            .store
            .nodes()
            .await?
            .iter()
            .any(|n| n.prefix == provider);
    if !known {
        return Err(ApiError::invalid(format!(
            "unknown provider '{provider}' (see GET /api/providers/catalog, or add a provider node)"
        )));
    }
    if let Some(url) = &body.base_url {
        validate_base_url("baseUrl", url)?;
    }
    let api_key = body
        .api_key
        .map(|k| k.trim().to_owned())
        .filter(|k| !k.is_empty());
    let new = NewConnection {
        name: body.name.unwrap_or_else(|| provider.clone()),
        provider,
        auth_kind: if api_key.is_some() {
            "api_key".into()
        } else {
            "none".into()
        },
        base_url: body.base_url,
        priority: body.priority.unwrap_or(0),
        enabled: body.enabled.unwrap_or(true),
    };
    let connection = state.store.insert_connection(&new, false).await?;
    if let Some(key) = api_key {
        let name = api_key_secret_name(&connection.id);
        state
            .secrets
            .put(&name, &SecretString::new(key))
            .await
            .map_err(|e| ApiError::from(omniroute_store::StoreError::from(e)))?;
        state
            .store
            .link_connection_secret(&connection.id, &name)
            .await?;
    }
    let stored = state
        .store
        .connection(&connection.id)
        .await?
        .ok_or_else(|| ApiError::not_found("connection vanished while being created"))?;
    state.reload().await?;
    Ok((StatusCode::CREATED, Json(view(&state, stored).await?)))
}

/// Makes a management write visible to the request path.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UpdateConnection {
    #[serde(default)]
    pub name: Option<String>,
    /// A new key; omitted keeps the stored one.
    #[serde(default)]
    pub api_key: Option<String>,
    /// `null` removes the override.
    #[serde(default, deserialize_with = "double_option")]
    pub base_url: Option<Option<String>>,
    #[serde(default)]
    pub priority: Option<i64>,
    #[serde(default)]
    pub enabled: Option<bool>,
    #[serde(default)]
    pub plan_limits_only: Option<bool>,
}

/// Tells "absent" (`None`) from "null" (`Some(None)`).
fn double_option<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

pub async fn update(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<UpdateConnection>,
) -> Result<Json<ConnectionView>, ApiError> {
    if let Some(Some(url)) = &body.base_url {
        validate_base_url("baseUrl", url)?;
    }
    let current = state
        .store
        .connection(&id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no connection '{id}'")))?;
    if let Some(new) = &body.base_url {
        let default = default_base_url(&state, &current.provider);
        let before = current.base_url.clone().or_else(|| default.clone());
        let after = new.clone().or(default);
        let new_key = body
            .api_key
            .as_deref()
            .is_some_and(|k| !k.trim().is_empty());
        check_key_destination(&id, current.secret_name.is_some(), before, after, new_key)?;
    }
    let update = omniroute_store::connections::ConnectionUpdate {
        name: body
            .name
            .map(|n| n.trim().to_owned())
            .filter(|n| !n.is_empty()),
        base_url: body.base_url,
        priority: body.priority,
        enabled: body.enabled,
        plan_limits_only: body.plan_limits_only,
    };
    let updated = state
        .store
        .update_connection(&id, &update)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no connection '{id}'")))?;
    if let Some(key) = body
        .api_key
        .map(|k| k.trim().to_owned())
        .filter(|k| !k.is_empty())
    {
        let name = api_key_secret_name(&id);
        state
            .secrets
            .put(&name, &SecretString::new(key))
            .await
            .map_err(store_error)?;
        state.store.link_connection_secret(&id, &name).await?;
    }
    state.reload().await?;
    let current = state.store.connection(&id).await?.unwrap_or(updated);
    Ok(Json(view(&state, current).await?))
}

/// Where a provider's connections go when they set no base URL of their own.
fn default_base_url(state: &AppState, provider: &str) -> Option<String> {
    state
        .catalog
        .get(provider)
        .map(|entry| entry.base_url.clone())
        .or_else(|| {
            state
                .registry
                .snapshot()
                .node(provider)
                .map(|node| node.base_url.clone())
        })
}

/// The origin (scheme, host, port) a base URL sends requests to.
fn destination(url: Option<&str>) -> Option<crate::access::origin::Origin> {
    url.and_then(crate::access::origin::Origin::parse)
}

/// Whether requests sent to `after` would reach another server than those sent to `before`.
pub(crate) fn moves_server(before: Option<&str>, after: Option<&str>) -> bool {
    destination(before) != destination(after)
}

/// A stored key goes only where it went when it was entered: moving a connection to another
/// origin (host, port or scheme) needs the key again in the same request, so changing the URL
/// and then testing the connection cannot send the stored key to someone else's server. Every
/// such move is logged.
pub(crate) fn check_key_destination(
    what: &str,
    has_key: bool,
    before: Option<String>,
    after: Option<String>,
    new_key: bool,
) -> Result<(), ApiError> {
    if !moves_server(before.as_deref(), after.as_deref()) {
        return Ok(());
    }
    let (from, to) = (
        destination(before.as_deref()),
        destination(after.as_deref()),
    );
    let show = |o: &Option<crate::access::origin::Origin>| {
        o.as_ref().map_or_else(
            || "?".to_owned(),
            |o| format!("{}://{}:{}", o.scheme, o.host, o.port),
        )
    };
    if has_key && !new_key {
        return Err(ApiError::invalid(format!(
            "the base URL moves {what} from {} to {}: send its API key again (apiKey) in the \
             same request, so the stored key is never sent to a new server",
            show(&from),
            show(&to)
        )));
    }
    tracing::warn!(target: "omniroute::audit", what, from = %show(&from), to = %show(&to), "base URL moved to another server");
    Ok(())
}

fn store_error(e: omniroute_store::SecretError) -> ApiError {
    ApiError::from(omniroute_store::StoreError::from(e))
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TestRequest {
    /// The model to try (without prefix); default: the provider's first chat model.
    #[serde(default)]
    pub model: Option<String>,
}

/// `POST /api/providers/{id}/test`: one minimal real request through this connection.
pub async fn test(
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Result<Json<omniroute_providers::ProbeResult>, ApiError> {
    // The body is optional: `curl -X POST …/test` sends none.
    let body: TestRequest = if body.iter().all(u8::is_ascii_whitespace) {
        TestRequest::default()
    } else {
        serde_json::from_slice(&body)
            .map_err(|e| ApiError::invalid(format!("invalid body: {e}")))?
    };
    let snapshot = state.registry.snapshot();
    let connection = snapshot
        .connections
        .iter()
        .find(|c| c.row.id == id)
        .ok_or_else(|| ApiError::not_found(format!("no connection '{id}'")))?;
    let provider = connection.row.provider.as_str();
    let model = body
        .model
        .or_else(|| {
            state.catalog.get(provider).and_then(|p| {
                p.models
                    .iter()
                    .find(|m| m.kind == omniroute_providers::ModelKind::Chat)
                    .map(|m| m.id.clone())
            })
        })
        .ok_or_else(|| {
            ApiError::invalid(format!(
                "provider '{provider}' has no default model; pass {{\"model\": \"…\"}}"
            ))
        })?;
    let target = crate::resolve::target_for(&state, &snapshot, connection, &model)
        .ok_or_else(|| ApiError::invalid(format!("provider '{provider}' no longer exists")))?;
    Ok(Json(
        omniroute_providers::probe(&state.clients, &target).await,
    ))
}

pub async fn list(State(state): State<AppState>) -> Result<Json<Vec<ConnectionView>>, ApiError> {
    let mut out = Vec::new();
    for c in state.store.connections().await? {
        out.push(view(&state, c).await?);
    }
    Ok(Json(out))
}

pub async fn get(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<ConnectionView>, ApiError> {
    let c = state
        .store
        .connection(&id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no connection '{id}'")))?;
    Ok(Json(view(&state, c).await?))
}

pub async fn delete(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let c = state
        .store
        .connection(&id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no connection '{id}'")))?;
    state.store.delete_connection(&id).await?;
    if let Some(name) = c.secret_name {
        state
            .secrets
            .delete(&name)
            .await
            .map_err(|e| ApiError::from(omniroute_store::StoreError::from(e)))?;
    }
    state.reload().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /api/providers/catalog`: every provider this build knows.
pub async fn catalog(State(state): State<AppState>) -> Json<omniroute_providers::Catalog> {
    Json((*state.catalog).clone())
}

#[cfg(test)]
mod tests {
    #[test]
    fn masks_keys() {
        assert_eq!(super::mask("sk-proj-1234567890abcd"), "sk-…abcd");
        assert_eq!(super::mask("short"), "…");
    }
}
