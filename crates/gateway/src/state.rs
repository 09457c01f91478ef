//! State shared by every handler.

use std::sync::Arc;
use std::time::Instant;

use omniroute_providers::Catalog;
use omniroute_store::{Secrets, Store};

use crate::Config;

/// A handle on the shared state: cloned by every extractor and middleware of every request, so
/// it is one reference count, not one per field.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl AppState {
    pub fn new(shared: Shared) -> Self {
        Self(Arc::new(shared))
    }
}

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

impl Shared {
    /// Rebuilds the request path's snapshot after a management write.
    pub async fn reload(&self) -> Result<(), omniroute_store::StoreError> {
        self.registry.reload(&self.store, &self.secrets).await?;
        self.cluster.announce(crate::cluster::Event::Reload);
        Ok(())
    }
}

pub struct Shared {
    pub config: Arc<Config>,
    pub store: Store,
    pub secrets: Secrets,
    pub catalog: Arc<Catalog>,
    /// Nodes, connections and aliases in memory for the request path.
    pub registry: Arc<crate::registry::Registry>,
    /// Live state shared with other instances through Redis, when configured.
    pub cluster: Arc<crate::cluster::Cluster>,
    /// Live breakers, cooldowns, rate limiters and usage counters.
    pub health: Arc<crate::health::Health>,
    /// Each account's quota windows, from the answers' headers.
    pub quota: crate::quota::QuotaBook,
    /// Pooled upstream clients: direct, and one per proxy in use.
    pub clients: Arc<omniroute_providers::Clients>,
    pub started: Instant,
    /// Usage rows on their way to the database.
    pub recorder: crate::accounting::usage::Recorder,
    /// Live spend of keys with budgets.
    pub spend: Arc<crate::accounting::budgets::Spend>,
    pub cache: Arc<crate::replay::cache::ResponseCache>,
    pub idempotency: Arc<crate::replay::idempotency::Idempotency>,
    /// Requests being handled now, at most `Config::max_in_flight`.
    pub in_flight: tokio::sync::Semaphore,
    /// Sign-ins in progress and the tokens of signed-in accounts.
    pub oauth: crate::oauth::OAuth,
    /// Reasoning state of translated answers, until their clients replay the turn.
    pub reasoning: Arc<crate::reasoning_state::ReasoningStore>,
    /// Login failures, revoked sessions and the password record (`crate::access`).
    pub access: Arc<crate::access::Access>,
    /// Latency histograms and request counters per provider and model.
    pub telemetry: Arc<crate::telemetry::Telemetry>,
    /// The Translator's live monitor: client requests as they finish, while someone watches.
    pub monitor: crate::monitor::Monitor,
    /// The desktop app's signed updater; `None` when headless.
    pub updater: crate::updater::SharedUpdater,
    /// Cloud sync of this device with its group.
    pub sync: Arc<crate::sync::Sync>,
}
