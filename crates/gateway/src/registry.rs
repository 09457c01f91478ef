//! What routing reads on every request — provider nodes, connections with their decrypted keys,
//! aliases — held in memory as one immutable snapshot. The database is the source of truth;
//! every management write reloads the snapshot, so the request path never queries SQLite or
//! decrypts a secret.

use std::sync::{Arc, RwLock};

use omniroute_store::aliases::Alias;
use omniroute_store::connections::Connection;
use omniroute_store::nodes::ProviderNode;
use omniroute_store::{SecretString, Secrets, Store, StoreError};

use std::collections::HashMap;

use omniroute_routing::combo::{Strategy, Target};

use crate::admin::settings::{AiSettings, RoutingSettings, SecuritySettings};
use omniroute_providers::{ProxyConfig, ProxySettings};

/// The settings section holding the active combo's name.
pub const ACTIVE_COMBO_SECTION: &str = "active_combo";

/// A stored strategy name as the routing crate's strategy (unknown names: priority).
pub fn strategy(name: &str) -> Strategy {
    serde_json::from_value(serde_json::Value::String(name.to_owned())).unwrap_or_default()
}

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
    /// Combos by name: strategy and targets.
    pub combos: HashMap<String, (Strategy, Vec<Target>)>,
    /// Global fallback chains by the model that heads them.
    pub chains: HashMap<String, Vec<String>>,
    /// The combo `auto`/`active` name (the tray's choice).
    pub active_combo: Option<String>,
    pub routing: RoutingSettings,
    pub security: SecuritySettings,
    /// `security.ipAllow`/`ipDeny`, parsed for the access middleware.
    pub ip_rules: crate::access::IpRules,
    /// System prompt injection and thinking budget rules.
    pub ai: AiSettings,
    pub profiles: crate::admin::resilience::Profiles,
    pub lockouts: Vec<omniroute_store::lockouts::Lockout>,
    /// API keys, prices, budgets, cache and log settings.
    pub accounting: crate::accounting::Book,
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

    /// The lockout keeping `target` (of `scope`) out of routing now, if any.
    pub fn locked(
        &self,
        scope: &str,
        target: &str,
        now_unix_ms: i64,
    ) -> Option<&omniroute_store::lockouts::Lockout> {
        self.lockouts.iter().find(|l| {
            l.scope == scope
                && l.target == target
                && l.until.is_none_or(|until| until > now_unix_ms)
        })
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
    /// Counts reloads, so a watcher (the desktop tray) sees that something changed.
    generation: std::sync::atomic::AtomicU64,
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

    /// How many times the snapshot was rebuilt; changes whenever combos, connections or
    /// settings did.
    pub fn generation(&self) -> u64 {
        self.generation.load(std::sync::atomic::Ordering::Acquire)
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
        let security: SecuritySettings = match store.settings_section("security").await? {
            Some(value) => serde_json::from_value(value).unwrap_or_default(),
            None => SecuritySettings::default(),
        };
        let ip_rules = crate::access::IpRules::parse(&security.ip_allow, &security.ip_deny)
            .unwrap_or_else(|e| {
                // PATCH validates the lists, so only a hand-edited database gets here; refusing
                // everyone would lock the owner out of the dashboard that fixes it.
                tracing::warn!(error = %e, "stored IP access lists unreadable; not applying them");
                crate::access::IpRules::default()
            });
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
            combos: store
                .combos()
                .await?
                .into_iter()
                .map(|c| {
                    let targets = c
                        .models
                        .into_iter()
                        .map(|t| Target {
                            model: t.model,
                            weight: t.weight,
                        })
                        .collect();
                    (c.name, (strategy(&c.strategy), targets))
                })
                .collect(),
            chains: store.fallback_chains().await?.into_iter().collect(),
            active_combo: match store.settings_section(ACTIVE_COMBO_SECTION).await? {
                Some(serde_json::Value::String(name)) => Some(name),
                _ => None,
            },
            lockouts: store.lockouts().await?,
            profiles: match store
                .settings_section(crate::admin::resilience::SECTION)
                .await?
            {
                Some(value) => serde_json::from_value(value).unwrap_or_default(),
                None => crate::admin::resilience::Profiles::default(),
            },
            accounting: crate::accounting::Book::load(store).await?,
            routing: match store.settings_section("routing").await? {
                Some(value) => serde_json::from_value(value).unwrap_or_default(),
                None => RoutingSettings::default(),
            },
            security,
            ip_rules,
            ai: match store.settings_section("ai").await? {
                Some(value) => serde_json::from_value(value).unwrap_or_default(),
                None => AiSettings::default(),
            },
        });
        match self.current.write() {
            Ok(mut guard) => *guard = snapshot,
            Err(poisoned) => *poisoned.into_inner() = snapshot,
        }
        self.generation
            .fetch_add(1, std::sync::atomic::Ordering::AcqRel);
        Ok(())
    }
}
