//! Who called and what it cost: client API keys, usage records written off the hot path,
//! prices, per-key budgets, and the redaction applied to kept request bodies.

pub mod budgets;
pub mod calendar;
pub mod keys;
pub mod pricing;
pub mod redact;
pub mod usage;

use std::collections::HashMap;
use std::sync::Arc;

use omniroute_store::{Store, StoreError};
use serde::{Deserialize, Serialize};

use calendar::Period;
use keys::KeyRef;
use pricing::Price;

/// The settings section of the response cache.
pub const CACHE_SECTION: &str = "cache";
/// The settings section of request-log retention.
pub const LOGS_SECTION: &str = "logs";

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

/// What the request path reads about keys, prices and budgets, held in the registry snapshot.
#[derive(Debug, Default)]
pub struct Book {
    /// Key hash → the key.
    pub api_keys: HashMap<String, Arc<KeyRef>>,
    pub prices: HashMap<String, Price>,
    /// Key id → its limits.
    pub budgets: HashMap<String, Vec<(Period, f64)>>,
    pub cache: CacheSettings,
    pub logs: LogSettings,
}

impl Book {
    pub async fn load(store: &Store) -> Result<Self, StoreError> {
        let mut budgets: HashMap<String, Vec<(Period, f64)>> = HashMap::new();
        for b in store.budgets().await? {
            if let Some(period) = Period::parse(&b.period) {
                budgets.entry(b.key_id).or_default().push((period, b.limit));
            }
        }
        async fn section<T: serde::de::DeserializeOwned + Default>(
            store: &Store,
            name: &str,
        ) -> Result<T, StoreError> {
            Ok(match store.settings_section(name).await? {
                Some(value) => serde_json::from_value(value).unwrap_or_default(),
                None => T::default(),
            })
        }
        Ok(Self {
            api_keys: store
                .api_key_hashes()
                .await?
                .into_iter()
                .map(|k| {
                    (
                        k.key_hash,
                        Arc::new(KeyRef {
                            id: k.id,
                            name: k.name,
                        }),
                    )
                })
                .collect(),
            prices: store
                .prices()
                .await?
                .into_iter()
                .map(|p| {
                    (
                        p.model,
                        Price {
                            input_per_1k: p.input_per_1k,
                            output_per_1k: p.output_per_1k,
                        },
                    )
                })
                .collect(),
            budgets,
            cache: section(store, CACHE_SECTION).await?,
            logs: section(store, LOGS_SECTION).await?,
        })
    }
}
