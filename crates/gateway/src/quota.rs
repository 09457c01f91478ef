//! The quota book: each account's windows (5-hour, weekly, per-minute requests and tokens…) as
//! the latest answers' headers reported them, kept in memory for routing and for
//! `GET /api/quota`. A newer report of a window replaces the older one; windows a provider
//! stops reporting stay until they reset.

use std::collections::HashMap;
use std::sync::RwLock;

use omniroute_providers::QuotaSink;
use omniroute_providers::quota::Window;

#[derive(Debug, Default)]
pub struct QuotaBook {
    accounts: RwLock<HashMap<String, Vec<Window>>>,
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
            .filter(|w| w.resets_at.is_none_or(|at| at > now_unix_ms))
            .collect()
    }

    /// The highest used fraction of `account`'s windows, and whether one is exhausted.
    pub fn pressure(&self, account: &str, now_unix_ms: i64) -> (f64, bool) {
        let windows = self.windows(account, now_unix_ms);
        let used = windows.iter().map(|w| w.used_fraction).fold(0.0, f64::max);
        (used, windows.iter().any(|w| w.exhausted(now_unix_ms)))
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
        };
        self.observe(account, vec![window]);
    }
}

impl QuotaSink for QuotaBook {
    fn observe(&self, account: &str, windows: Vec<Window>) {
        let Ok(mut m) = self.accounts.write() else {
            return;
        };
        let known = m.entry(account.to_owned()).or_default();
        for window in windows {
            match known.iter_mut().find(|w| w.window == window.window) {
                Some(old) => *old = window,
                None => known.push(window),
            }
        }
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
        assert_eq!(book.pressure("a", 50), (1.0, true));
        assert_eq!(book.windows("a", 50).len(), 2);
        // After the 5-hour window resets, only the weekly one is left.
        assert_eq!(book.pressure("a", 300), (0.2, false));
        assert_eq!(book.pressure("nobody", 0), (0.0, false));
    }
}
