//! The quota book: each account's windows (5-hour, weekly, per-minute requests and tokens…) as
//! the latest answers' headers (and the usage endpoints) reported them, kept in memory for
//! routing and for `GET /api/quota`. A newer report of a window replaces the older one; windows
//! a provider stops reporting stay until they reset.
//!
//! Each window's burn rate is measured between reports, so routing sees not only how full a
//! window is but how full it will be soon: an account that burns towards its limit moves behind
//! the others before its provider answers 429.

pub mod alerts;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, RwLock};

use omniroute_providers::QuotaSink;
use omniroute_providers::quota::Window;

/// How long until `provider`'s next calendar quota reset (GLM's daily 10:00), when its catalog
/// entry has one: when a used-up quota comes back that its 429 did not time.
pub fn calendar_reset_in(catalog: &omniroute_providers::Catalog, provider: &str) -> Option<u64> {
    let now = omniroute_store::now_ms();
    catalog
        .get(provider)?
        .quota_resets
        .iter()
        .filter_map(|r| r.next_after(now))
        .min()
        .and_then(|at| u64::try_from(at - now).ok())
}

/// How far ahead the burn rate is projected.
const HORIZON_MS: f64 = 15.0 * 60_000.0;
/// Reports closer together than this do not measure a rate (too noisy).
const MIN_SPAN_MS: i64 = 30_000;

#[derive(Debug, Default)]
pub struct QuotaBook {
    accounts: RwLock<HashMap<String, Vec<Tracked>>>,
    /// Where reports are told to the other instances, when there are any, and when each
    /// account's last one was (Unix ms).
    cluster: OnceLock<Arc<crate::cluster::Cluster>>,
    told: Mutex<HashMap<String, i64>>,
}

/// An account's windows are told to the other instances at most this often, unless one is
/// used up (every answer reports them).
const TELL_EVERY_MS: i64 = 2_000;

/// A window and how fast it fills.
#[derive(Debug, Clone)]
struct Tracked {
    window: Window,
    /// Used fraction per millisecond (smoothed); `None` until two reports far enough apart.
    rate: Option<f64>,
    /// The report the next rate is measured from: (used fraction, Unix ms).
    base: (f64, i64),
}

/// How full a window filling at `rate_per_ms` will be `horizon_ms` from now (at most 1).
pub fn projected(used: f64, rate_per_ms: Option<f64>, horizon_ms: f64) -> f64 {
    match rate_per_ms {
        Some(rate) if rate > 0.0 => (used + rate * horizon_ms).min(1.0),
        _ => used,
    }
}

impl Tracked {
    fn new(window: Window, now: i64) -> Self {
        let base = (window.used_fraction, now);
        Self {
            window,
            rate: None,
            base,
        }
    }

    /// A newer report of the same window.
    fn update(&mut self, window: Window, now: i64) {
        let (base_used, base_at) = self.base;
        // Reset times given as "in N seconds" drift between reports; a jump of more than a
        // minute, or less used than before, is a new window.
        let moved = match (window.resets_at, self.window.resets_at) {
            (Some(new), Some(old)) => (new - old).abs() > 60_000,
            (new, old) => new.is_some() != old.is_some(),
        };
        if window.used_fraction < base_used || moved {
            // The old rate says nothing about the new window.
            *self = Self::new(window, now);
            return;
        }
        let span = now - base_at;
        if span >= MIN_SPAN_MS {
            #[allow(clippy::cast_precision_loss, reason = "a span of milliseconds")]
            let rate = (window.used_fraction - base_used) / span as f64;
            self.rate = Some(match self.rate {
                Some(old) => 0.5 * old + 0.5 * rate,
                None => rate,
            });
            self.base = (window.used_fraction, now);
        }
        self.window = window;
    }
}

impl QuotaBook {
    /// The windows of `account` that still matter at `now_unix_ms` (reset ones are dropped).
    pub fn windows(&self, account: &str, now_unix_ms: i64) -> Vec<Window> {
        self.accounts
            .read()
            .ok()
            .and_then(|m| m.get(account).cloned())
            .unwrap_or_default()
            .into_iter()
            .map(|t| t.window)
            .filter(|w| w.resets_at.is_none_or(|at| at > now_unix_ms))
            .collect()
    }

    /// How full `account`'s fullest window is or soon will be at its burn rate (0–1), and
    /// whether one stops it now (used up, and not paid past unless the account takes extra
    /// usage: `plan_limits_only` off).
    pub fn pressure(&self, account: &str, now_unix_ms: i64, plan_limits_only: bool) -> (f64, bool) {
        let tracked: Vec<Tracked> = self
            .accounts
            .read()
            .ok()
            .and_then(|m| m.get(account).cloned())
            .unwrap_or_default()
            .into_iter()
            .filter(|t| t.window.resets_at.is_none_or(|at| at > now_unix_ms))
            .collect();
        let soon = tracked
            .iter()
            .map(|t| projected(t.window.used_fraction, t.rate, HORIZON_MS))
            .fold(0.0, f64::max);
        (
            soon,
            tracked
                .iter()
                .any(|t| t.window.stops(now_unix_ms, plan_limits_only)),
        )
    }
}

impl QuotaBook {
    /// Forgets every window ("Reset all"): the next answers report them again.
    pub fn clear(&self) {
        if let Ok(mut m) = self.accounts.write() {
            m.clear();
        }
    }

    /// A 429 that said the account's quota is used up, and when it comes back.
    pub fn observe_exhausted(&self, account: &str, resets_in_ms: u64) {
        let now = omniroute_store::now_ms();
        let window = Window {
            window: "observed".into(),
            used: None,
            limit: None,
            used_fraction: 1.0,
            resets_at: Some(
                now.saturating_add(i64::try_from(resets_in_ms).unwrap_or(i64::MAX / 2)),
            ),
            source: "observed",
            overage: false,
        };
        self.observe(account, vec![window]);
    }
}

impl QuotaBook {
    /// Windows reported for `account` at `now` (Unix ms).
    fn observe_at(&self, account: &str, windows: Vec<Window>, now: i64) {
        let Ok(mut m) = self.accounts.write() else {
            return;
        };
        let known = m.entry(account.to_owned()).or_default();
        for window in windows {
            match known.iter_mut().find(|t| t.window.window == window.window) {
                Some(old) => old.update(window, now),
                None => known.push(Tracked::new(window, now)),
            }
        }
    }
}

impl QuotaBook {
    /// Tells `cluster` of the reports from now on.
    pub fn share_through(&self, cluster: Arc<crate::cluster::Cluster>) {
        let _ = self.cluster.set(cluster);
    }

    /// Another instance's report.
    pub fn observe_shared(&self, account: &str, windows: Vec<Window>) {
        self.observe_at(account, windows, omniroute_store::now_ms());
    }

    fn tell(&self, account: &str, windows: &[Window], now: i64) {
        let Some(cluster) = self.cluster.get() else {
            return;
        };
        let urgent = windows.iter().any(|w| w.exhausted(now));
        {
            let mut told = self
                .told
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let last = told.get(account).copied().unwrap_or(i64::MIN);
            if !urgent && now.saturating_sub(last) < TELL_EVERY_MS {
                return;
            }
            told.insert(account.to_owned(), now);
        }
        cluster.announce(crate::cluster::Event::Quota {
            account: account.to_owned(),
            windows: windows
                .iter()
                .map(crate::cluster::events::SharedWindow::from)
                .collect(),
        });
    }
}

impl QuotaSink for QuotaBook {
    fn observe(&self, account: &str, windows: Vec<Window>) {
        let now = omniroute_store::now_ms();
        self.tell(account, &windows, now);
        self.observe_at(account, windows, now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn window(name: &str, used: f64, resets_at: i64) -> Window {
        Window {
            window: name.into(),
            used: None,
            limit: None,
            used_fraction: used,
            resets_at: Some(resets_at),
            source: "headers",
            overage: false,
        }
    }

    #[test]
    fn newer_reports_replace_and_reset_windows_drop_out() {
        let book = QuotaBook::default();
        book.observe(
            "a",
            vec![window("5h", 0.5, 100), window("weekly", 0.2, 1000)],
        );
        book.observe("a", vec![window("5h", 1.0, 200)]);
        assert_eq!(book.pressure("a", 50, false), (1.0, true));
        assert_eq!(book.windows("a", 50).len(), 2);
        // After the 5-hour window resets, only the weekly one is left.
        assert_eq!(book.pressure("a", 300, false), (0.2, false));
        assert_eq!(book.pressure("nobody", 0, false), (0.0, false));
    }

    #[test]
    fn a_window_burning_towards_its_limit_is_under_pressure_before_it_is_full() {
        let book = QuotaBook::default();
        let resets = 10 * 3_600_000;
        book.observe_at("a", vec![window("5h", 0.50, resets)], 0);
        // Reports closer than the minimum span measure nothing.
        book.observe_at("a", vec![window("5h", 0.55, resets)], 10_000);
        assert!((book.pressure("a", 10_000, false).0 - 0.55).abs() < 1e-9);
        // 10 % more in a minute (its reset time drifting a little): full within 15 minutes.
        book.observe_at("a", vec![window("5h", 0.60, resets + 900)], 60_000);
        let (soon, exhausted) = book.pressure("a", 60_000, false);
        assert!((soon - 1.0).abs() < 1e-9, "{soon}");
        assert!(!exhausted);
        // A steady window stays where it is; one that reset starts measuring anew.
        book.observe_at("b", vec![window("weekly", 0.3, resets)], 0);
        book.observe_at("b", vec![window("weekly", 0.3, resets)], 120_000);
        assert!((book.pressure("b", 120_000, false).0 - 0.3).abs() < 1e-9);
        book.observe_at("a", vec![window("5h", 0.01, resets + 5_000_000)], 120_000);
        assert!((book.pressure("a", 120_000, false).0 - 0.01).abs() < 1e-9);
        assert!((projected(0.5, Some(-1.0), HORIZON_MS) - 0.5).abs() < 1e-9);
    }
}
