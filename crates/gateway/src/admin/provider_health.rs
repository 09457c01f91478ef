//! Health per provider in one word — `healthy`, `cooldown` or `open` — with the time left:
//! what the desktop tray's health submenu and icon show, served as `GET /api/health/providers`
//! so the dashboard and the tray read the same thing. Signed-in accounts that need a new sign-in
//! are named on their provider's line, with each account's tightest quota window.

use std::collections::{BTreeMap, HashMap};

use axum::Json;
use axum::extract::State;
use omniroute_routing::breaker::Breaker;
use serde::Serialize;

use crate::AppState;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "lowercase")]
pub enum ProviderState {
    Healthy,
    /// Some of its accounts are resting after failures or a rate limit.
    Cooldown,
    /// The circuit breaker is open (or probing): no requests reach the provider.
    Open,
}

#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct ProviderHealth {
    pub provider: String,
    pub state: ProviderState,
    /// Until the breaker may close, or until the first resting account is back; 0 when
    /// healthy (or probing).
    #[ts(type = "number")]
    pub remaining_ms: u64,
    /// Enabled accounts.
    pub accounts: u32,
    /// Accounts resting now.
    pub resting: u32,
    /// Signed-in accounts the provider no longer accepts until they sign in again (names).
    pub needs_sign_in: Vec<String>,
    /// Each account's tightest quota window, when its provider reports any.
    pub quota: Vec<TightestWindow>,
}

/// The fullest quota window of one account.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct TightestWindow {
    pub account: String,
    pub window: String,
    pub used_fraction: f64,
    /// Until it resets; `None` when the provider did not say.
    #[ts(type = "number | null")]
    pub resets_in_ms: Option<u64>,
}

/// One line per provider with an enabled account, sorted by provider. `accounts` are
/// `(provider, connection id)` pairs; `resting` maps a connection id to its cooldown's time
/// left; breakers' `until` is on the same clock as `now`.
pub fn summarize<'a>(
    accounts: impl IntoIterator<Item = (&'a str, &'a str)>,
    breakers: &HashMap<String, Breaker>,
    resting: &HashMap<&str, u64>,
    now: u64,
) -> Vec<ProviderHealth> {
    let mut by_provider: BTreeMap<&str, ProviderHealth> = BTreeMap::new();
    for (provider, connection) in accounts {
        let line = by_provider
            .entry(provider)
            .or_insert_with(|| ProviderHealth {
                provider: provider.to_owned(),
                state: ProviderState::Healthy,
                remaining_ms: 0,
                accounts: 0,
                resting: 0,
                needs_sign_in: Vec::new(),
                quota: Vec::new(),
            });
        line.accounts += 1;
        if let Some(&left) = resting.get(connection) {
            line.remaining_ms = if line.resting == 0 {
                left
            } else {
                line.remaining_ms.min(left)
            };
            line.resting += 1;
            line.state = ProviderState::Cooldown;
        }
    }
    for line in by_provider.values_mut() {
        match breakers.get(&line.provider) {
            Some(Breaker::Open { until }) => {
                line.state = ProviderState::Open;
                line.remaining_ms = until.saturating_sub(now);
            }
            Some(Breaker::HalfOpen { .. }) => {
                line.state = ProviderState::Open;
                line.remaining_ms = 0;
            }
            Some(Breaker::Closed { .. }) | None => {}
        }
    }
    by_provider.into_values().collect()
}

/// The live summary of the running gateway.
pub fn current(state: &AppState) -> Vec<ProviderHealth> {
    let snapshot = state.registry.snapshot();
    let report = state.health.report();
    let resting: HashMap<&str, u64> = report
        .cooldowns
        .iter()
        .map(|c| (c.connection.as_str(), c.remaining_ms))
        .collect();
    let accounts = snapshot
        .connections
        .iter()
        .filter(|c| c.row.enabled)
        .map(|c| (c.row.provider.as_str(), c.row.id.as_str()));
    let mut lines = summarize(accounts, &report.breakers, &resting, state.health.now());
    let wall = omniroute_store::now_ms();
    for c in snapshot.connections.iter().filter(|c| c.row.enabled) {
        let tightest = state
            .quota
            .windows(&c.row.id, wall)
            .into_iter()
            .max_by(|a, b| a.used_fraction.total_cmp(&b.used_fraction));
        if let Some(w) = tightest
            && let Some(line) = lines.iter_mut().find(|l| l.provider == c.row.provider)
        {
            line.quota.push(TightestWindow {
                account: c.row.name.clone(),
                window: w.window,
                used_fraction: w.used_fraction,
                resets_in_ms: w.resets_at.map(|at| u64::try_from(at - wall).unwrap_or(0)),
            });
        }
        let needs = c
            .row
            .account_meta()
            .is_some_and(|m| m.state == omniroute_store::connections::AuthState::NeedsSignIn);
        if let Some(line) = lines
            .iter_mut()
            .find(|l| needs && l.provider == c.row.provider)
        {
            line.needs_sign_in.push(c.row.name.clone());
        }
    }
    lines
}

/// `GET /api/health/providers`
pub async fn list(State(state): State<AppState>) -> Json<Vec<ProviderHealth>> {
    Json(current(&state))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn breakers(list: &[(&str, Breaker)]) -> HashMap<String, Breaker> {
        list.iter().map(|(p, b)| ((*p).to_owned(), *b)).collect()
    }

    #[test]
    fn healthy_cooldown_and_open_with_time_left() {
        let accounts = [
            ("openai", "o1"),
            ("openai", "o2"),
            ("anthropic", "a1"),
            ("gemini", "g1"),
            ("groq", "q1"),
        ];
        let resting = HashMap::from([("o1", 40_000), ("o2", 25_000), ("a1", 5_000)]);
        let b = breakers(&[
            ("gemini", Breaker::Open { until: 31_000 }),
            ("anthropic", Breaker::Open { until: 61_000 }),
            ("groq", Breaker::Closed { failures: 3 }),
        ]);
        let lines = summarize(accounts, &b, &resting, 1_000);
        let view: Vec<_> = lines
            .iter()
            .map(|l| {
                (
                    l.provider.as_str(),
                    l.state,
                    l.remaining_ms,
                    l.accounts,
                    l.resting,
                )
            })
            .collect();
        assert_eq!(
            view,
            [
                ("anthropic", ProviderState::Open, 60_000, 1, 1),
                ("gemini", ProviderState::Open, 30_000, 1, 0),
                ("groq", ProviderState::Healthy, 0, 1, 0),
                ("openai", ProviderState::Cooldown, 25_000, 2, 2),
            ]
        );
    }

    #[test]
    fn a_half_open_breaker_is_open_with_nothing_left_to_wait() {
        let b = breakers(&[("openai", Breaker::HalfOpen { probing: true })]);
        let lines = summarize([("openai", "o1")], &b, &HashMap::new(), 0);
        assert_eq!(lines[0].state, ProviderState::Open);
        assert_eq!(lines[0].remaining_ms, 0);
    }

    #[test]
    fn one_resting_account_of_two_is_a_cooldown_with_its_time_left() {
        let resting = HashMap::from([("o2", 9_000)]);
        let lines = summarize(
            [("openai", "o1"), ("openai", "o2")],
            &HashMap::new(),
            &resting,
            0,
        );
        assert_eq!(lines[0].state, ProviderState::Cooldown);
        assert_eq!((lines[0].remaining_ms, lines[0].resting), (9_000, 1));
    }
}
