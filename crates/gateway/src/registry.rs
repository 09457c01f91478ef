//! What routing reads on every request — provider nodes, connections with their decrypted keys,
//! aliases — held in memory as one immutable snapshot. The database is the source of truth;
//! every management write reloads the snapshot, so the request path never queries SQLite or
//! decrypts a secret.

use std::sync::{Arc, RwLock};

use omniroute_store::aliases::Alias;
use omniroute_store::connections::Connection;
use omniroute_store::nodes::ProviderNode;
use omniroute_store::{SecretString, Secrets, Store, StoreError};
use serde::Deserialize;

use std::collections::HashMap;

use omniroute_providers::{ProxyConfig, ProxySettings};
use omniroute_routing::combo::{Strategy, Target};

use crate::settings::{self, AiSettings, Profiles, RoutingSettings, SecuritySettings, Stored};

/// A stored strategy name as the routing crate's strategy; an unknown name is an error when the
/// snapshot loads, never at request time.
pub fn strategy(combo: &str, name: &str) -> Result<Strategy, StoreError> {
    Strategy::deserialize(serde_json::Value::String(name.to_owned())).map_err(|source| {
        StoreError::Corrupt {
            what: format!("strategy of combo '{combo}'"),
            source,
        }
    })
}

/// The secret name of the password of a proxy at `level` (`global`, `providers/openai`, …).
pub fn proxy_secret_name(level: &str) -> String {
    format!("proxy/{level}/password")
}

/// The stored proxy settings with passwords filled in from the secret store.
pub async fn load_proxies(stored: &Stored, secrets: &Secrets) -> Result<ProxySettings, StoreError> {
    let mut settings: ProxySettings = stored.section(settings::PROXY);
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
    pub profiles: Profiles,
    pub lockouts: Vec<omniroute_store::lockouts::Lockout>,
    /// API keys, prices, budgets, cache and log settings.
    pub accounting: crate::accounting::Book,
}

#[derive(Debug)]
pub struct LiveConnection {
    pub row: Connection,
    pub api_key: Option<SecretString>,
}

impl LiveConnection {
    /// A stand-in account for a caller that brought its own sign-in of `provider` (Claude Code
    /// pointed at OmniRoute): routed, limited and accounted like a stored account, with the
    /// caller's token as its credential.
    pub fn passthrough(provider: &str, token: &str) -> Self {
        use omniroute_store::connections::AUTH_PASSTHROUGH;
        Self {
            row: Connection {
                id: format!("{AUTH_PASSTHROUGH}:{provider}"),
                provider: provider.to_owned(),
                name: "your own sign-in (passthrough)".into(),
                auth_kind: AUTH_PASSTHROUGH.into(),
                secret_name: None,
                base_url: None,
                priority: i64::MIN,
                enabled: true,
                created_at: 0,
                updated_at: 0,
                metadata: None,
                plan_limits_only: false,
            },
            api_key: Some(SecretString::new(token)),
        }
    }
}

impl Snapshot {
    pub fn node(&self, prefix: &str) -> Option<&ProviderNode> {
        self.nodes.iter().find(|n| n.prefix == prefix)
    }

    /// The lockout keeping `target` (of `scope`) out of routing now, if any.
    pub fn locked(
        &self,
        scope: omniroute_store::lockouts::LockScope,
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

/// Combos by name with their strategy and targets.
async fn combos(store: &Store) -> Result<HashMap<String, (Strategy, Vec<Target>)>, StoreError> {
    let mut out = HashMap::new();
    for c in store.combos().await? {
        let targets = c
            .models
            .into_iter()
            .map(|t| Target {
                model: t.model,
                weight: t.weight,
            })
            .collect();
        let strategy = strategy(&c.name, &c.strategy)?;
        out.insert(c.name, (strategy, targets));
    }
    Ok(out)
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
            // A signed-in account's tokens are not an API key: `oauth::tokens` hands them out.
            let api_key = match &row.secret_name {
                Some(name) if !row.is_oauth() => secrets.get(name).await?,
                _ => None,
            };
            connections.push(LiveConnection { row, api_key });
        }
        let stored = Stored::read(store).await?;
        let security: SecuritySettings = stored.section(settings::SECURITY);
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
            proxies: load_proxies(&stored, secrets).await?,
            custom_models: store
                .custom_models(None)
                .await?
                .into_iter()
                .map(|m| format!("{}/{}", m.provider, m.model_id))
                .collect(),
            combos: combos(store).await?,
            chains: store.fallback_chains().await?.into_iter().collect(),
            active_combo: match stored.raw(settings::ACTIVE_COMBO) {
                Some(serde_json::Value::String(name)) => Some(name.clone()),
                _ => None,
            },
            lockouts: store.lockouts().await?,
            profiles: stored.section(settings::RESILIENCE),
            accounting: crate::accounting::Book::load(store, &stored).await?,
            routing: stored.section(settings::ROUTING),
            security,
            ip_rules,
            ai: stored.section(settings::AI),
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
