//! `GET /api/settings` and `PATCH /api/settings`. Settings are typed sections stored one row
//! each; a PATCH is a JSON merge patch (RFC 7396) per section, validated against the section's
//! type before anything is written, and all touched sections are written in one transaction.

use axum::Json;
use axum::extract::State;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::AppState;
use crate::admin::json::ApiJson;
use crate::error::ApiError;

pub use omniroute_routing::accounts::AccountStrategy;

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
}

impl Default for RoutingSettings {
    fn default() -> Self {
        Self {
            account_strategy: AccountStrategy::FillFirst,
            provider_strategies: std::collections::BTreeMap::new(),
            sticky_limit: 3,
            combo_default_strategy: omniroute_routing::combo::Strategy::Priority,
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
    pub cache: crate::accounting::CacheSettings,
    /// Retention of request logs (`ENABLE_REQUEST_LOGS`).
    pub logs: crate::accounting::LogSettings,
}

const SECTIONS: [&str; 5] = ["routing", "ai", "security", "cache", "logs"];

impl Settings {
    /// Loads every section; one that no longer parses (e.g. written by a newer version) falls
    /// back to its defaults with a warning rather than failing the whole gateway.
    pub async fn load(store: &omniroute_store::Store) -> Result<Self, ApiError> {
        let stored = store.settings_sections().await?;
        fn section<T: DeserializeOwned + Default>(
            stored: &std::collections::BTreeMap<String, Value>,
            name: &str,
        ) -> T {
            match stored.get(name) {
                None => T::default(),
                Some(v) => serde_json::from_value(v.clone()).unwrap_or_else(|e| {
                    tracing::warn!(section = name, error = %e, "stored settings section unreadable; using defaults");
                    T::default()
                }),
            }
        }
        Ok(Self {
            routing: section(&stored, "routing"),
            ai: section(&stored, "ai"),
            security: section(&stored, "security"),
            cache: section(&stored, "cache"),
            logs: section(&stored, "logs"),
        })
    }

    fn validate(&self) -> Result<(), ApiError> {
        if self.routing.sticky_limit == 0 {
            return Err(ApiError::invalid("routing.stickyLimit must be at least 1"));
        }
        crate::access::IpRules::parse(&self.security.ip_allow, &self.security.ip_deny)
            .map_err(|e| ApiError::invalid(e.to_string()))?;
        if self.ai.thinking_mode == ThinkingMode::Fixed && self.ai.thinking_budget.is_none() {
            return Err(ApiError::invalid(
                "ai.thinkingBudget is required when ai.thinkingMode is fixed",
            ));
        }
        Ok(())
    }
}

pub async fn get(State(state): State<AppState>) -> Result<Json<Settings>, ApiError> {
    Ok(Json(Settings::load(&state.store).await?))
}

pub async fn patch(
    State(state): State<AppState>,
    ApiJson(patch): ApiJson<Map<String, Value>>,
) -> Result<Json<Settings>, ApiError> {
    let current = Settings::load(&state.store).await?;
    let mut merged = serde_json::to_value(&current)
        .map_err(|e| ApiError::new(crate::ErrorCode::Internal, e.to_string()))?;
    for (name, section_patch) in &patch {
        if !SECTIONS.contains(&name.as_str()) {
            return Err(ApiError::invalid(format!(
                "unknown settings section '{name}' (expected one of: {})",
                SECTIONS.join(", ")
            )));
        }
        if let Some(section) = merged.get_mut(name) {
            merge_patch(section, section_patch);
        }
    }
    let updated: Settings = from_sections(merged)?;
    updated.validate()?;
    let values: Vec<(&str, Value)> = patch
        .keys()
        .filter_map(|name| {
            let value = match name.as_str() {
                "routing" => serde_json::to_value(&updated.routing),
                "ai" => serde_json::to_value(&updated.ai),
                "security" => serde_json::to_value(&updated.security),
                "cache" => serde_json::to_value(&updated.cache),
                "logs" => serde_json::to_value(&updated.logs),
                _ => return None,
            };
            Some(value.map(|v| (name.as_str(), v)))
        })
        .collect::<Result<_, _>>()
        .map_err(|e| ApiError::new(crate::ErrorCode::Internal, e.to_string()))?;
    let refs: Vec<(&str, &Value)> = values.iter().map(|(k, v)| (*k, v)).collect();
    state.store.put_settings_sections(&refs).await?;
    crate::admin::providers::reload(&state).await?;
    Ok(Json(updated))
}

/// Parses each section separately so an error names its section ("ai: unknown field `x`").
fn from_sections(merged: Value) -> Result<Settings, ApiError> {
    fn parse<T: DeserializeOwned>(merged: &Value, name: &str) -> Result<T, ApiError> {
        let value = merged.get(name).cloned().unwrap_or(Value::Null);
        serde_json::from_value(value).map_err(|e| ApiError::invalid(format!("{name}: {e}")))
    }
    Ok(Settings {
        routing: parse(&merged, "routing")?,
        ai: parse(&merged, "ai")?,
        security: parse(&merged, "security")?,
        cache: parse(&merged, "cache")?,
        logs: parse(&merged, "logs")?,
    })
}

/// RFC 7396: objects merge key by key, `null` removes a key, anything else replaces.
pub(crate) fn merge_patch(target: &mut Value, patch: &Value) {
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
    fn section_errors_name_the_section_and_field() {
        let mut merged = serde_json::to_value(Settings::default()).unwrap();
        merge_patch(&mut merged, &json!({"ai": {"temperature": 2}}));
        let err = from_sections(merged).unwrap_err();
        assert!(
            err.message.starts_with("ai: unknown field `temperature`"),
            "{}",
            err.message
        );

        let mut merged = serde_json::to_value(Settings::default()).unwrap();
        merge_patch(
            &mut merged,
            &json!({"routing": {"accountStrategy": "fastest"}}),
        );
        let err = from_sections(merged).unwrap_err();
        assert!(
            err.message.contains("routing: unknown variant `fastest`"),
            "{}",
            err.message
        );
    }
}
