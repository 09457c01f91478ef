//! Who called and what it cost: client API keys, usage records written off the hot path,
//! prices, per-key budgets, and the redaction applied to kept request bodies.

pub mod budgets;
pub mod calendar;
pub mod journal;
pub mod keys;
pub mod pricing;
pub mod redact;
pub mod usage;

use std::collections::HashMap;
use std::sync::Arc;

use omniroute_store::{Store, StoreError};

use crate::settings::Stored;

use calendar::Period;
use keys::KeyRef;
use pricing::Price;

pub use crate::settings::{CacheSettings, LogSettings};

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
    pub async fn load(store: &Store, stored: &Stored) -> Result<Self, StoreError> {
        let mut budgets: HashMap<String, Vec<(Period, f64)>> = HashMap::new();
        for b in store.budgets().await? {
            if let Some(period) = Period::parse(&b.period) {
                budgets.entry(b.key_id).or_default().push((period, b.limit));
            }
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
            cache: stored.section(crate::settings::CACHE),
            logs: stored.section(crate::settings::LOGS),
        })
    }
}
