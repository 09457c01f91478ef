//! Live health of upstreams, shared by all requests: a circuit breaker per provider, and per
//! connection a cooldown, a rate limiter and usage figures. Lookups take a read lock on a map
//! and then one small per-entry lock, so requests to different upstreams never contend.
//! Nothing here is persisted: it describes the last minutes, not configuration.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock};
use std::time::Instant;

use omniroute_routing::accounts::Rotation;
use omniroute_routing::breaker::{Breaker, BreakerProfile};
use omniroute_routing::cooldown::{BackoffProfile, Cooldown, Reason, Scope};
use omniroute_routing::ratelimit::Limiter;
use omniroute_routing::rng::XorShift;
use serde::Serialize;

use crate::cluster::Event;

#[derive(Debug, Default, Clone)]
pub struct ConnectionHealth {
    pub cooldown: Cooldown,
    pub limiter: Limiter,
    pub last_used: u64,
    /// Exponentially weighted success rate (1.0 = every recent request succeeded).
    pub health: f64,
    pub requests: u64,
    pub failures: u64,
    /// Requests waiting for the rate limiter.
    pub waiters: u32,
}

type Shared<T> = Arc<Mutex<T>>;

fn entry<K: Eq + Hash + Clone, V: Default>(
    map: &RwLock<HashMap<K, Shared<V>>>,
    key: &K,
) -> Shared<V> {
    if let Some(found) = map.read().ok().and_then(|m| m.get(key).cloned()) {
        return found;
    }
    let mut m = match map.write() {
        Ok(m) => m,
        Err(poisoned) => poisoned.into_inner(),
    };
    m.entry(key.clone()).or_default().clone()
}

/// Takes a mutex even if a thread panicked while holding it: every critical section guarded this
/// way is a few plain assignments, so the data is consistent and refusing it would only spread
/// the failure.
pub fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[derive(Debug)]
pub struct Health {
    epoch: Instant,
    breakers: RwLock<HashMap<String, Shared<Breaker>>>,
    connections: RwLock<HashMap<String, Shared<ConnectionHealth>>>,
    /// Cooldowns of one model on one account (connection id, `provider/model`).
    model_cooldowns: RwLock<HashMap<(String, String), Shared<Cooldown>>>,
    combo_turns: RwLock<HashMap<String, Arc<AtomicU64>>>,
    rotations: RwLock<HashMap<String, Shared<Rotation>>>,
    model_requests: RwLock<HashMap<String, Arc<AtomicU64>>>,
    rng: Mutex<XorShift>,
    /// Where rests and open breakers are told to the other instances, when there are any.
    cluster: OnceLock<Arc<crate::cluster::Cluster>>,
}

impl Default for Health {
    fn default() -> Self {
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(7, |d| d.as_nanos() as u64);
        Self {
            epoch: Instant::now(),
            breakers: RwLock::default(),
            connections: RwLock::default(),
            model_cooldowns: RwLock::default(),
            combo_turns: RwLock::default(),
            rotations: RwLock::default(),
            model_requests: RwLock::default(),
            rng: Mutex::new(XorShift::new(seed)),
            cluster: OnceLock::new(),
        }
    }
}

impl Health {
    /// Milliseconds since start, the routing crate's clock.
    pub fn now(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    /// Tells `cluster` of every rest, open breaker and reset from now on.
    pub fn share_through(&self, cluster: Arc<crate::cluster::Cluster>) {
        let _ = self.cluster.set(cluster);
    }

    fn announce(&self, event: impl FnOnce() -> Event) {
        if let Some(cluster) = self.cluster.get() {
            cluster.announce(event());
        }
    }

    pub fn rng(&self) -> std::sync::MutexGuard<'_, XorShift> {
        lock(&self.rng)
    }

    pub fn breaker(&self, provider: &str) -> Shared<Breaker> {
        entry(&self.breakers, &provider.to_owned())
    }

    pub fn connection(&self, id: &str) -> Shared<ConnectionHealth> {
        entry(&self.connections, &id.to_owned())
    }

    pub fn rotation(&self, provider: &str) -> Shared<Rotation> {
        entry(&self.rotations, &provider.to_owned())
    }

    /// The combo's round-robin turn, then advanced.
    pub fn next_turn(&self, combo: &str) -> u64 {
        let counter = self
            .combo_turns
            .read()
            .ok()
            .and_then(|m| m.get(combo).cloned())
            .unwrap_or_else(|| {
                let mut m = match self.combo_turns.write() {
                    Ok(m) => m,
                    Err(p) => p.into_inner(),
                };
                m.entry(combo.to_owned()).or_default().clone()
            });
        counter.fetch_add(1, Ordering::Relaxed)
    }

    pub fn model_requests(&self, model: &str) -> u64 {
        self.model_requests
            .read()
            .ok()
            .and_then(|m| m.get(model).map(|c| c.load(Ordering::Relaxed)))
            .unwrap_or(0)
    }

    fn count_model(&self, model: &str) {
        let counter = self
            .model_requests
            .read()
            .ok()
            .and_then(|m| m.get(model).cloned())
            .unwrap_or_else(|| {
                let mut m = match self.model_requests.write() {
                    Ok(m) => m,
                    Err(p) => p.into_inner(),
                };
                m.entry(model.to_owned()).or_default().clone()
            });
        counter.fetch_add(1, Ordering::Relaxed);
    }

    fn model_cooldown(&self, connection: &str, routed: &str) -> Option<Shared<Cooldown>> {
        self.model_cooldowns
            .read()
            .ok()?
            .get(&(connection.to_owned(), routed.to_owned()))
            .cloned()
    }

    /// `plan_model` as the plan named it (for least-used), `routed` as `provider/model`.
    pub fn on_success(&self, provider: &str, connection: &str, plan_model: &str, routed: &str) {
        lock(&self.breaker(provider)).on_success();
        {
            let c = self.connection(connection);
            let mut c = lock(&c);
            c.cooldown.on_success();
            c.health = c.health * 0.8 + 0.2;
            c.requests += 1;
        }
        if let Some(cooldown) = self.model_cooldown(connection, routed) {
            lock(&cooldown).on_success();
        }
        self.count_model(plan_model);
    }

    /// A failed attempt: the provider's breaker counts it, and the account, or only this model
    /// on it (`scope`), rests.
    #[allow(clippy::too_many_arguments, reason = "one failure's whole context")]
    pub fn on_failure(
        &self,
        provider: &str,
        profile: &BreakerProfile,
        backoff: &BackoffProfile,
        connection: &str,
        routed: &str,
        scope: Scope,
        reason: Reason,
        hint_ms: Option<u64>,
    ) {
        let now = self.now();
        let opened = {
            let breaker = self.breaker(provider);
            let mut breaker = lock(&breaker);
            let was_open = matches!(*breaker, Breaker::Open { .. });
            breaker.on_failure(now, profile);
            match *breaker {
                Breaker::Open { until } if !was_open => Some(until.saturating_sub(now)),
                _ => None,
            }
        };
        if let Some(ms) = opened {
            self.announce(|| Event::BreakerOpen {
                provider: provider.to_owned(),
                ms,
            });
        }
        let rest_ms = {
            let c = self.connection(connection);
            let mut c = lock(&c);
            c.health *= 0.8;
            c.requests += 1;
            c.failures += 1;
            match scope {
                Scope::Account => {
                    c.cooldown.on_failure(now, reason, hint_ms, backoff);
                    c.cooldown.remaining(now)
                }
                Scope::Model => {
                    let key = (connection.to_owned(), routed.to_owned());
                    let cooldown = entry(&self.model_cooldowns, &key);
                    let mut cooldown = lock(&cooldown);
                    cooldown.on_failure(now, reason, hint_ms, backoff);
                    cooldown.remaining(now)
                }
            }
        };
        self.announce(|| Event::Rest {
            connection: connection.to_owned(),
            model: (scope == Scope::Model).then(|| routed.to_owned()),
            ms: rest_ms,
            reason,
        });
    }

    /// Another instance's breaker for `provider` opened for `ms`: this one's opens as long.
    pub fn open_breaker(&self, provider: &str, ms: u64) {
        let until = self.now().saturating_add(ms);
        let breaker = self.breaker(provider);
        let mut breaker = lock(&breaker);
        *breaker = match *breaker {
            Breaker::Open { until: mine } => Breaker::Open {
                until: mine.max(until),
            },
            _ => Breaker::Open { until },
        };
    }

    /// Another instance rested `connection` (or `model` on it) for `ms`: so does this one.
    pub fn rest(&self, connection: &str, model: Option<&str>, ms: u64, reason: Reason) {
        let until = self.now().saturating_add(ms);
        let extend = |cooldown: &mut Cooldown| {
            cooldown.until = Some(cooldown.until.map_or(until, |u| u.max(until)));
            cooldown.reason = Some(reason);
            cooldown.strikes = cooldown.strikes.max(1);
        };
        match model {
            None => extend(&mut lock(&self.connection(connection)).cooldown),
            Some(model) => {
                let key = (connection.to_owned(), model.to_owned());
                extend(&mut lock(&entry(&self.model_cooldowns, &key)));
            }
        }
    }

    /// How long `connection` stays out of routing for `routed` (the account resting, or this
    /// model on it); 0 when it may serve.
    pub fn resting_ms(&self, connection: &str, routed: &str, now: u64) -> u64 {
        let account = lock(&self.connection(connection)).cooldown.remaining(now);
        let model = self
            .model_cooldown(connection, routed)
            .map_or(0, |c| lock(&c).remaining(now));
        account.max(model)
    }

    /// Clears every breaker and cooldown ("Reset all"), on every instance.
    pub fn reset(&self) {
        self.reset_local();
        self.announce(|| Event::ResetHealth);
    }

    /// [`Health::reset`] of this instance only (another one's reset arriving).
    pub fn reset_local(&self) {
        for b in self.breakers.read().iter().flat_map(|m| m.values()) {
            lock(b).on_success();
        }
        for c in self.connections.read().iter().flat_map(|m| m.values()) {
            lock(c).cooldown.on_success();
        }
        if let Ok(mut m) = self.model_cooldowns.write() {
            m.clear();
        }
    }

    /// Ends every account's rest on model `routed` (a force-unlock of the model), on every
    /// instance.
    pub fn clear_model(&self, routed: &str) {
        self.clear_model_local(routed);
        self.announce(|| Event::ClearModel {
            model: routed.to_owned(),
        });
    }

    pub fn clear_model_local(&self, routed: &str) {
        if let Ok(mut m) = self.model_cooldowns.write() {
            m.retain(|(_, model), _| model != routed);
        }
    }

    /// What `/api/resilience` and `/api/health` show.
    pub fn report(&self) -> HealthReport {
        let now = self.now();
        let breakers = self
            .breakers
            .read()
            .map(|m| m.iter().map(|(k, b)| (k.clone(), *lock(b))).collect())
            .unwrap_or_default();
        let cooldowns = self
            .connections
            .read()
            .map(|m| {
                m.iter()
                    .filter_map(|(k, c)| {
                        let c = lock(c);
                        c.cooldown.is_resting(now).then(|| CooldownView {
                            connection: k.clone(),
                            scope: Scope::Account,
                            model: None,
                            remaining_ms: c.cooldown.remaining(now),
                            reason: c.cooldown.reason,
                            strikes: c.cooldown.strikes,
                        })
                    })
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default();
        let mut cooldowns = cooldowns;
        if let Ok(m) = self.model_cooldowns.read() {
            for ((connection, model), c) in m.iter() {
                let c = lock(c);
                if c.is_resting(now) {
                    cooldowns.push(CooldownView {
                        connection: connection.clone(),
                        scope: Scope::Model,
                        model: Some(model.clone()),
                        remaining_ms: c.remaining(now),
                        reason: c.reason,
                        strikes: c.strikes,
                    });
                }
            }
        }
        let accounts = self
            .connections
            .read()
            .map(|m| {
                let mut list: Vec<AccountView> = m
                    .iter()
                    .map(|(k, c)| {
                        let c = lock(c);
                        AccountView {
                            connection: k.clone(),
                            requests: c.requests,
                            failures: c.failures,
                            in_flight: c.limiter.in_flight,
                            waiting: c.waiters,
                        }
                    })
                    .collect();
                list.sort_by(|a, b| a.connection.cmp(&b.connection));
                list
            })
            .unwrap_or_default();
        HealthReport {
            breakers,
            cooldowns,
            accounts,
        }
    }
}

#[derive(Debug, Serialize, ts_rs::TS)]
pub struct CooldownView {
    pub connection: String,
    /// The whole account rests, or only `model` on it.
    pub scope: Scope,
    pub model: Option<String>,
    pub remaining_ms: u64,
    pub reason: Option<Reason>,
    pub strikes: u32,
}

#[derive(Debug, Serialize, ts_rs::TS)]
pub struct AccountView {
    pub connection: String,
    pub requests: u64,
    pub failures: u64,
    pub in_flight: u32,
    pub waiting: u32,
}

#[derive(Debug, Serialize, ts_rs::TS)]
#[ts(rename = "ResilienceHealth")]
pub struct HealthReport {
    pub breakers: HashMap<String, Breaker>,
    pub cooldowns: Vec<CooldownView>,
    pub accounts: Vec<AccountView>,
}
