//! From a model id to an upstream: aliases (exact, then the most specific wildcard; an alias
//! may point at another, up to 3 hops) turn it into `prefix/model`, and a connection of that
//! prefix's provider (catalog entry or provider node) gives the target. Which connection, and in
//! which order models are tried, is the client plane's decision (`proxy/route.rs`); the
//! management plane builds targets here too, to test a connection.

use omniroute_formats::Format;
use omniroute_providers::{AuthStyle, Target, Wire};
use omniroute_store::nodes::ApiType;

use crate::AppState;
use crate::registry::{LiveConnection, Snapshot};

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

/// The client format a provider node speaks.
pub fn node_format(api_type: ApiType) -> Format {
    match api_type {
        ApiType::Openai => Format::OpenAiChat,
        ApiType::Anthropic => Format::Anthropic,
        ApiType::Gemini => Format::Gemini,
        ApiType::Responses => Format::Responses,
    }
}

/// The target for `upstream_model` through one particular connection; `None` when the
/// connection's provider no longer exists.
pub fn target_for(
    state: &AppState,
    snapshot: &Snapshot,
    connection: &LiveConnection,
    upstream_model: &str,
) -> Option<Target> {
    let prefix = connection.row.provider.as_str();
    let (wire, default_base, auth, headers) = if let Some(entry) = state.catalog.get(prefix) {
        let headers = entry
            .headers
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let wire = entry
            .model(upstream_model)
            .and_then(|m| m.wire)
            .unwrap_or(entry.wire);
        (wire, entry.base_url.clone(), entry.auth, headers)
    } else {
        let node = snapshot.node(prefix)?;
        let format = node_format(node.api_type);
        (
            Wire::from_format(format),
            node.base_url.clone(),
            AuthStyle::for_format(format),
            Vec::new(),
        )
    };
    Some(Target {
        provider: prefix.to_owned(),
        account: connection.row.id.clone(),
        wire,
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
        project: None,
        relay_client_headers: connection.row.auth_kind
            == omniroute_store::connections::AUTH_PASSTHROUGH,
        plan_limits_only: connection.row.plan_limits_only,
    })
}
