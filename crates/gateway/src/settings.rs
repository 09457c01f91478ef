//! The stored settings, at the bottom of the gateway: their typed sections (routing, AI,
//! security, cache, logs, notifications, resilience profiles), the one loader every reader
//! uses, and RFC 7396 merge patches. Each section is one row; a section that no longer parses
//! (written by a newer version, edited by hand) falls back to its defaults with a warning —
//! never a failed start, never a silent reset of the others.

use std::collections::BTreeMap;

use omniroute_routing::breaker::BreakerProfile;
use omniroute_routing::cooldown::BackoffProfile;
use omniroute_routing::ratelimit::Limits;
use omniroute_store::{Store, StoreError};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

pub use omniroute_routing::accounts::AccountStrategy;

pub const ROUTING: &str = "routing";
pub const AI: &str = "ai";
pub const SECURITY: &str = "security";
/// The response cache.
pub const CACHE: &str = "cache";
/// Request-log retention.
pub const LOGS: &str = "logs";
/// Breaker, backoff and rate-limit profiles (`/api/resilience`).
pub const RESILIENCE: &str = "resilience";
/// Outbound proxies (their passwords live in the secret store).
pub const PROXY: &str = "proxy";
/// Which desktop notifications are sent.
pub const NOTIFICATIONS: &str = "notifications";
/// The active combo's name (the tray's choice).
pub const ACTIVE_COMBO: &str = "active_combo";

/// Every stored section, read once.
pub struct Stored(BTreeMap<String, Value>);

impl Stored {
    pub async fn read(store: &Store) -> Result<Self, StoreError> {
        Ok(Self(store.settings_sections().await?))
    }

    /// The section `name`, or its defaults when it is missing or no longer parses.
    pub fn section<T: DeserializeOwned + Default>(&self, name: &str) -> T {
        match self.0.get(name) {
            None => T::default(),
            Some(value) => T::deserialize(value).unwrap_or_else(|e| {
                tracing::warn!(section = name, error = %e, "stored settings section unreadable; using its defaults");
                T::default()
            }),
        }
    }

    /// The raw value of a section (for sections that are not objects, e.g. the active combo).
    pub fn raw(&self, name: &str) -> Option<&Value> {
        self.0.get(name)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct RoutingSettings {
    /// How accounts of a provider are chosen, unless the provider has its own entry below.
    pub account_strategy: AccountStrategy,
    /// Per-provider overrides of `account_strategy`.
    pub provider_strategies: std::collections::BTreeMap<String, AccountStrategy>,
    /// Calls an account serves in a row under round-robin before the next takes over.
    pub sticky_limit: u32,
    /// The strategy of a combo created without one.
    pub combo_default_strategy: omniroute_routing::combo::Strategy,
    /// An account with a quota window used this far (0–1) goes behind accounts with headroom;
    /// an exhausted one is skipped until its window resets.
    pub headroom_threshold: f64,
}

impl Default for RoutingSettings {
    fn default() -> Self {
        Self {
            account_strategy: AccountStrategy::FillFirst,
            provider_strategies: std::collections::BTreeMap::new(),
            sticky_limit: 3,
            combo_default_strategy: omniroute_routing::combo::Strategy::Priority,
            headroom_threshold: 0.95,
        }
    }
}

impl RoutingSettings {
    pub fn strategy_for(&self, provider: &str) -> AccountStrategy {
        self.provider_strategies
            .get(provider)
            .copied()
            .unwrap_or(self.account_strategy)
    }
}

/// What happens to a request's thinking/reasoning budget on its way upstream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default, ts_rs::TS)]
#[serde(rename_all = "kebab-case")]
pub enum ThinkingMode {
    #[default]
    Passthrough,
    Strip,
    Fixed,
    Effort,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct AiSettings {
    pub system_prompt_prefix: String,
    pub system_prompt_suffix: String,
    /// Combos with their own prompts, used instead of the global prefix and suffix (empty
    /// strings opt a combo out of injection).
    pub combo_system_prompts: std::collections::BTreeMap<String, ComboPrompt>,
    pub thinking_mode: ThinkingMode,
    /// Tokens, for `thinkingMode: fixed` (0 turns thinking off).
    pub thinking_budget: Option<u32>,
    /// Tokens per reasoning effort, for `thinkingMode: effort`.
    pub effort_budgets: omniroute_formats::shaping::EffortBudgets,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct ComboPrompt {
    pub prefix: String,
    pub suffix: String,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct SecuritySettings {
    pub require_api_key_for_models: bool,
    /// CIDR blocks or addresses allowed to call the gateway (empty: everyone).
    pub ip_allow: Vec<String>,
    pub ip_deny: Vec<String>,
    pub blocked_providers: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct Settings {
    pub routing: RoutingSettings,
    pub ai: AiSettings,
    pub security: SecuritySettings,
    /// The response cache.
    pub cache: CacheSettings,
    /// Retention of request logs (`ENABLE_REQUEST_LOGS`).
    pub logs: LogSettings,
    /// The desktop app's notifications.
    pub notifications: NotificationSettings,
}

/// Breaker and backoff profiles; stored, editable, applied without restart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct Profiles {
    pub oauth: BreakerProfile,
    pub api_key: BreakerProfile,
    pub backoff: BackoffProfile,
    /// Limits of subscription and free-tier accounts without their own entry — the accounts a
    /// provider may suspend for bursts (SPEC defaults: 60/min, 350 ms apart, 6 at once).
    pub rate_limits: Limits,
    /// Limits of pay-per-use API keys and custom endpoints without their own entry; unlimited
    /// (`0`) by default, since their providers meter and limit use themselves.
    pub api_key_rate_limits: Limits,
    /// Limits of single connections, by connection id.
    pub connection_limits: std::collections::BTreeMap<String, Limits>,
}

impl Profiles {
    /// The limits of `connection`, a connection of a provider that uses API keys or not.
    pub fn limits(&self, connection: &str, api_key: bool) -> Limits {
        self.connection_limits
            .get(connection)
            .copied()
            .unwrap_or(if api_key {
                self.api_key_rate_limits
            } else {
                self.rate_limits
            })
    }
}

impl Default for Profiles {
    fn default() -> Self {
        Self {
            oauth: BreakerProfile::OAUTH,
            api_key: BreakerProfile::API_KEY,
            backoff: BackoffProfile::default(),
            rate_limits: Limits::default(),
            api_key_rate_limits: Limits {
                requests_per_minute: 0,
                min_gap_ms: 0,
                max_concurrent: 0,
            },
            connection_limits: std::collections::BTreeMap::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct CacheSettings {
    pub enabled: bool,
    pub ttl_seconds: u64,
    pub max_entries: usize,
    pub max_megabytes: usize,
}

impl Default for CacheSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            ttl_seconds: 3600,
            max_entries: 1000,
            max_megabytes: 64,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct LogSettings {
    /// Bodies older than this are deleted.
    pub max_age_days: u32,
    /// The newest bodies are kept within this total size.
    pub max_megabytes: u64,
    /// Longest body kept per request; longer ones are cut with a marker.
    pub max_body_kilobytes: u64,
}

impl Default for LogSettings {
    fn default() -> Self {
        Self {
            max_age_days: 7,
            max_megabytes: 256,
            max_body_kilobytes: 256,
        }
    }
}

/// The desktop app's OS notifications about quota windows, each kind on or off.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct NotificationSettings {
    /// A window reached 80 %.
    pub quota_at80: bool,
    pub quota_at95: bool,
    /// A window is used up.
    pub quota_at100: bool,
    /// A window that had reached one of those reset.
    pub quota_reset: bool,
}

impl Default for NotificationSettings {
    fn default() -> Self {
        Self {
            quota_at80: true,
            quota_at95: true,
            quota_at100: true,
            quota_reset: true,
        }
    }
}

impl Settings {
    /// The sections `GET /api/settings` shows.
    pub fn from_stored(stored: &Stored) -> Self {
        Self {
            routing: stored.section(ROUTING),
            ai: stored.section(AI),
            security: stored.section(SECURITY),
            cache: stored.section(CACHE),
            logs: stored.section(LOGS),
            notifications: stored.section(NOTIFICATIONS),
        }
    }
}

/// RFC 7396: objects merge key by key, `null` removes a key, anything else replaces.
pub fn merge_patch(target: &mut Value, patch: &Value) {
    let Value::Object(patch) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    if let Value::Object(target) = target {
        for (key, value) in patch {
            if value.is_null() {
                target.remove(key);
            } else {
                merge_patch(target.entry(key.clone()).or_insert(Value::Null), value);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn merge_patch_follows_rfc_7396() {
        let mut doc = json!({"a": 1, "b": {"c": 2, "d": 3}});
        merge_patch(&mut doc, &json!({"b": {"c": null, "e": 4}, "f": [1]}));
        assert_eq!(doc, json!({"a": 1, "b": {"d": 3, "e": 4}, "f": [1]}));
    }

    #[test]
    fn an_unreadable_section_falls_back_alone() {
        let stored = Stored(BTreeMap::from([
            ("routing".to_owned(), json!({"stickyLimit": "many"})),
            ("ai".to_owned(), json!({"systemPromptPrefix": "be brief"})),
        ]));
        assert_eq!(
            stored.section::<RoutingSettings>(ROUTING),
            RoutingSettings::default()
        );
        let ai: AiSettings = stored.section(AI);
        assert_eq!(ai.system_prompt_prefix, "be brief");
    }
}
