//! From a request's model id to the upstream that serves it: `prefix/model` where the prefix is
//! a catalog provider or a provider node, and the first enabled connection of that provider
//! (lowest priority value). Combos, aliases and account strategies extend this in routing.

use omniroute_formats::Format;
use omniroute_providers::AuthStyle;
use omniroute_store::SecretString;

use super::error::ProxyError;
use crate::AppState;

/// Everything needed to send one request upstream.
#[derive(Debug, Clone)]
pub struct Target {
    pub provider: String,
    pub format: Format,
    pub base_url: String,
    pub auth: AuthStyle,
    pub api_key: Option<SecretString>,
    /// The model id as the upstream knows it (after the prefix).
    pub upstream_model: String,
    pub headers: Vec<(String, String)>,
}

pub async fn resolve(state: &AppState, model: &str) -> Result<Target, ProxyError> {
    let Some((prefix, upstream_model)) = model
        .split_once('/')
        .filter(|(p, m)| !p.is_empty() && !m.is_empty())
    else {
        return Err(ProxyError::UnknownModel(model.to_owned()));
    };
    let (format, default_base, auth, headers) = if let Some(entry) = state.catalog.get(prefix) {
        let headers = entry
            .headers
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        (entry.format, entry.base_url.clone(), entry.auth, headers)
    } else if let Some(node) = state
        .store
        .nodes()
        .await?
        .into_iter()
        .find(|n| n.prefix == prefix)
    {
        let format = Format::parse(&node.api_type).ok_or_else(|| {
            ProxyError::Internal(format!("provider node '{prefix}' has unknown apiType"))
        })?;
        (
            format,
            node.base_url,
            AuthStyle::for_format(format),
            Vec::new(),
        )
    } else {
        return Err(ProxyError::UnknownModel(model.to_owned()));
    };
    let connection = state
        .store
        .connections()
        .await?
        .into_iter()
        .find(|c| c.provider == prefix && c.enabled)
        .ok_or_else(|| ProxyError::NoConnection(prefix.to_owned()))?;
    let api_key = match &connection.secret_name {
        Some(name) => state.secrets.get(name).await?,
        None => None,
    };
    Ok(Target {
        provider: prefix.to_owned(),
        format,
        base_url: connection.base_url.unwrap_or(default_base),
        auth: if api_key.is_some() {
            auth
        } else {
            AuthStyle::None
        },
        api_key,
        upstream_model: upstream_model.to_owned(),
        headers,
    })
}
