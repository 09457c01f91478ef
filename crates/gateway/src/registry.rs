//! What routing reads on every request — provider nodes, connections with their decrypted keys,
//! aliases — held in memory as one immutable snapshot. The database is the source of truth;
//! every management write reloads the snapshot, so the request path never queries SQLite or
//! decrypts a secret.

use std::sync::{Arc, RwLock};

use omniroute_store::aliases::Alias;
use omniroute_store::connections::Connection;
use omniroute_store::nodes::ProviderNode;
use omniroute_store::{SecretString, Secrets, Store, StoreError};

use crate::outbound::{ProxyConfig, ProxySettings};

/// The settings section holding proxy configuration (passwords live in the secret store).
pub const PROXY_SECTION: &str = "proxy";

/// The secret name of the password of a proxy at `level` (`global`, `providers/openai`, …).
pub fn proxy_secret_name(level: &str) -> String {
    format!("proxy/{level}/password")
}

/// The stored proxy settings with passwords filled in from the secret store.
pub async fn load_proxies(store: &Store, secrets: &Secrets) -> Result<ProxySettings, StoreError> {
    let mut settings: ProxySettings = match store.settings_section(PROXY_SECTION).await? {
        Some(value) => serde_json::from_value(value).unwrap_or_else(|e| {
            tracing::warn!(error = %e, "stored proxy settings unreadable; ignoring them");
            ProxySettings::default()
        }),
        None => ProxySettings::default(),
    };
    async fn fill(
        secrets: &Secrets,
        level: String,
        proxy: &mut ProxyConfig,
    ) -> Result<(), StoreError> {
        if proxy.username.is_some() {
            proxy.password = secrets
                .get(&proxy_secret_name(&level))
                .await?
                .map(|p| p.expose().to_owned());
        }
        Ok(())
    }
    if let Some(global) = settings.global.as_mut() {
        fill(secrets, "global".into(), global).await?;
    }
    for (level, map) in [
        ("providers", &mut settings.providers),
        ("combos", &mut settings.combos),
        ("connections", &mut settings.connections),
    ] {
        for (key, proxy) in map.iter_mut() {
            fill(secrets, format!("{level}/{key}"), proxy).await?;
        }
    }
    Ok(settings)
}

#[derive(Debug, Default)]
pub struct Snapshot {
    pub nodes: Vec<ProviderNode>,
    /// Every connection, by provider then priority, with its key.
    pub connections: Vec<LiveConnection>,
    pub aliases: Vec<Alias>,
    /// Proxy settings with their passwords.
    pub proxies: ProxySettings,
    /// User-added models, as `provider/model`.
    pub custom_models: std::collections::HashSet<String>,
}

#[derive(Debug)]
pub struct LiveConnection {
    pub row: Connection,
    pub api_key: Option<SecretString>,
}

impl Snapshot {
    pub fn node(&self, prefix: &str) -> Option<&ProviderNode> {
        self.nodes.iter().find(|n| n.prefix == prefix)
    }

    /// Enabled connections of `provider`, best (lowest priority value) first.
    pub fn connections_of<'a>(
        &'a self,
        provider: &'a str,
    ) -> impl Iterator<Item = &'a LiveConnection> + 'a {
        self.connections
            .iter()
            .filter(move |c| c.row.enabled && c.row.provider == provider)
    }
}

#[derive(Debug, Default)]
pub struct Registry {
    current: RwLock<Arc<Snapshot>>,
}

impl Registry {
    pub async fn load(store: &Store, secrets: &Secrets) -> Result<Self, StoreError> {
        let registry = Self::default();
        registry.reload(store, secrets).await?;
        Ok(registry)
    }

    /// The current snapshot (cheap: one read lock and an `Arc` clone).
    pub fn snapshot(&self) -> Arc<Snapshot> {
        match self.current.read() {
            Ok(guard) => guard.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Rebuilds the snapshot from the database.
    pub async fn reload(&self, store: &Store, secrets: &Secrets) -> Result<(), StoreError> {
        let mut connections = Vec::new();
        for row in store.connections().await? {
            let api_key = match &row.secret_name {
                Some(name) => secrets.get(name).await?,
                None => None,
            };
            connections.push(LiveConnection { row, api_key });
        }
        let snapshot = Arc::new(Snapshot {
            nodes: store.nodes().await?,
            connections,
            aliases: store.aliases().await?,
            proxies: load_proxies(store, secrets).await?,
            custom_models: store
                .custom_models(None)
                .await?
                .into_iter()
                .map(|m| format!("{}/{}", m.provider, m.model_id))
                .collect(),
        });
        match self.current.write() {
            Ok(mut guard) => *guard = snapshot,
            Err(poisoned) => *poisoned.into_inner() = snapshot,
        }
        Ok(())
    }
}
