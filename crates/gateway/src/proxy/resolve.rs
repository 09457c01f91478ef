//! From a model id to an upstream: aliases (exact, then the most specific wildcard; an alias
//! may point at another, up to 3 hops) turn it into `prefix/model`, and a connection of that
//! prefix's provider (catalog entry or provider node) gives the target. Which connection, and in
//! which order models are tried, is `route.rs`'s decision.

use omniroute_formats::Format;
use omniroute_providers::AuthStyle;
use omniroute_store::SecretString;

use super::error::ProxyError;
use crate::AppState;
use crate::registry::{LiveConnection, Snapshot};

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
    /// The outbound proxy, by precedence (connection → provider → global); `None`: direct.
    pub proxy: Option<crate::outbound::ProxyConfig>,
}

const MAX_ALIAS_HOPS: usize = 3;

/// The model id after aliases.
pub fn dealias(snapshot: &Snapshot, model: &str) -> String {
    let mut current = model.to_owned();
    for _ in 0..MAX_ALIAS_HOPS {
        let aliases = snapshot
            .aliases
            .iter()
            .map(|a| (a.pattern.as_str(), a.target.as_str()));
        match omniroute_routing::alias::resolve(&current, aliases) {
            Some(target) if target != current => current = target.to_owned(),
            _ => break,
        }
    }
    current
}

/// The target for `upstream_model` through one particular connection.
pub fn target_for(
    state: &AppState,
    snapshot: &Snapshot,
    connection: &LiveConnection,
    upstream_model: &str,
) -> Result<Target, ProxyError> {
    let prefix = connection.row.provider.as_str();
    let (format, default_base, auth, headers) = if let Some(entry) = state.catalog.get(prefix) {
        let format = entry.wire.chat_format().ok_or_else(|| {
            ProxyError::Invalid(format!(
                "provider '{prefix}' ({}) does not serve chat requests",
                entry.name
            ))
        })?;
        let headers = entry
            .headers
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        (format, entry.base_url.clone(), entry.auth, headers)
    } else if let Some(node) = snapshot.node(prefix) {
        let format = Format::parse(&node.api_type).ok_or_else(|| {
            ProxyError::Internal(format!("provider node '{prefix}' has unknown apiType"))
        })?;
        (
            format,
            node.base_url.clone(),
            AuthStyle::for_format(format),
            Vec::new(),
        )
    } else {
        return Err(ProxyError::Invalid(format!(
            "provider '{prefix}' no longer exists"
        )));
    };
    Ok(Target {
        provider: prefix.to_owned(),
        format,
        base_url: connection.row.base_url.clone().unwrap_or(default_base),
        auth: if connection.api_key.is_some() {
            auth
        } else {
            AuthStyle::None
        },
        api_key: connection.api_key.clone(),
        upstream_model: upstream_model.to_owned(),
        headers,
        proxy: snapshot
            .proxies
            .pick(&connection.row.id, None, prefix)
            .cloned(),
    })
}
