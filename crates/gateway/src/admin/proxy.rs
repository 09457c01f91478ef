//! `GET/PUT /api/settings/proxy` and `POST /api/settings/proxy/test`, as the guide's examples
//! use them. A PUT names only what changes (`{"global": …}`, `{"providers": {"openai": …}}`,
//! `null` removes); passwords go to the secret store and never come back.

use std::collections::BTreeMap;
use std::time::Instant;

use axum::Json;
use axum::extract::State;
use omniroute_store::SecretString;
use serde::{Deserialize, Deserializer, Serialize};

use crate::AppState;
use crate::admin::json::ApiJson;
use crate::error::ApiError;
use crate::registry::proxy_secret_name;
use crate::settings::PROXY as PROXY_SECTION;
use omniroute_providers::{ProxyConfig, ProxySettings};

#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ProxyPatch {
    #[serde(deserialize_with = "present")]
    pub global: Option<Option<ProxyConfig>>,
    pub providers: BTreeMap<String, Option<ProxyConfig>>,
    pub combos: BTreeMap<String, Option<ProxyConfig>>,
    pub connections: BTreeMap<String, Option<ProxyConfig>>,
}

/// Tells an absent key (`None`) from `null` (`Some(None)`).
fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<ProxyConfig>>, D::Error> {
    Option::<ProxyConfig>::deserialize(d).map(Some)
}

pub async fn get(State(state): State<AppState>) -> Json<ProxySettings> {
    // Serialization leaves passwords out.
    Json(state.registry.snapshot().proxies.clone())
}

fn secret_error(e: omniroute_store::SecretError) -> ApiError {
    ApiError::from(omniroute_store::StoreError::from(e))
}

/// Validates `proxy`, moves its password to the secret store, and returns it without one.
async fn store_password(
    state: &AppState,
    level: &str,
    mut proxy: ProxyConfig,
) -> Result<ProxyConfig, ApiError> {
    proxy
        .url()
        .map_err(|e| ApiError::invalid(format!("{level}: {e}")))?;
    let name = proxy_secret_name(level);
    match proxy.password.take() {
        Some(password) if proxy.username.is_some() => {
            state
                .secrets
                .put(&name, &SecretString::new(password))
                .await
                .map_err(secret_error)?;
        }
        Some(_) => {
            return Err(ApiError::invalid(format!(
                "{level}: a password needs a username"
            )));
        }
        None => {}
    }
    Ok(proxy)
}

async fn apply(
    state: &AppState,
    level: &str,
    map: &mut BTreeMap<String, ProxyConfig>,
    patch: BTreeMap<String, Option<ProxyConfig>>,
) -> Result<(), ApiError> {
    for (key, value) in patch {
        let scoped = format!("{level}/{key}");
        match value {
            Some(proxy) => {
                map.insert(key, store_password(state, &scoped, proxy).await?);
            }
            None => {
                map.remove(&key);
                state
                    .secrets
                    .delete(&proxy_secret_name(&scoped))
                    .await
                    .map_err(secret_error)?;
            }
        }
    }
    Ok(())
}

pub async fn put(
    State(state): State<AppState>,
    ApiJson(patch): ApiJson<ProxyPatch>,
) -> Result<Json<ProxySettings>, ApiError> {
    let mut settings = state.registry.snapshot().proxies.clone();
    // The snapshot holds passwords; what is stored must not.
    settings.global.iter_mut().for_each(|p| p.password = None);
    for map in [
        &mut settings.providers,
        &mut settings.combos,
        &mut settings.connections,
    ] {
        map.values_mut().for_each(|p| p.password = None);
    }
    match patch.global {
        Some(Some(proxy)) => settings.global = Some(store_password(&state, "global", proxy).await?),
        Some(None) => {
            settings.global = None;
            state
                .secrets
                .delete(&proxy_secret_name("global"))
                .await
                .map_err(secret_error)?;
        }
        None => {}
    }
    apply(
        &state,
        "providers",
        &mut settings.providers,
        patch.providers,
    )
    .await?;
    apply(&state, "combos", &mut settings.combos, patch.combos).await?;
    apply(
        &state,
        "connections",
        &mut settings.connections,
        patch.connections,
    )
    .await?;
    let value = serde_json::to_value(&settings)
        .map_err(|e| ApiError::new(crate::ErrorCode::Internal, e.to_string()))?;
    state
        .store
        .put_settings_sections(&[(PROXY_SECTION, &value)])
        .await?;
    state.reload().await?;
    Ok(Json(settings))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TestBody {
    pub proxy: ProxyConfig,
    /// What to fetch through the proxy; any HTTP answer proves the path works.
    #[serde(default)]
    pub url: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TestResult {
    pub ok: bool,
    pub proxy: String,
    pub url: String,
    pub latency_ms: u64,
    pub status: Option<u16>,
    pub error: Option<String>,
}

const DEFAULT_TEST_URL: &str = "https://api.openai.com/v1/models";

pub async fn test(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<TestBody>,
) -> Result<Json<TestResult>, ApiError> {
    body.proxy.url().map_err(ApiError::invalid)?;
    let url = body.url.unwrap_or_else(|| DEFAULT_TEST_URL.to_owned());
    crate::admin::providers::validate_base_url("url", &url)?;
    let client = state
        .clients
        .get(Some(&body.proxy))
        .map_err(ApiError::invalid)?;
    let started = Instant::now();
    let outcome = client
        .get(&url)
        .timeout(std::time::Duration::from_secs(15))
        .send()
        .await;
    let latency_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    let (ok, status, error) = match outcome {
        Ok(response) => (true, Some(response.status().as_u16()), None),
        Err(e) => {
            let mut reason = e.to_string();
            let mut source = std::error::Error::source(&e);
            while let Some(inner) = source {
                reason = format!("{reason}: {inner}");
                source = inner.source();
            }
            (false, None, Some(reason))
        }
    };
    Ok(Json(TestResult {
        ok,
        proxy: body.proxy.display(),
        url,
        latency_ms,
        status,
        error,
    }))
}
