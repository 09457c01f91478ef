//! When to tell the user about a quota window: it crossed 80 %, 95 % or 100 %, or it reset after
//! one of those. Pure: the windows and the time come in, the alerts go out; the desktop app turns
//! them into OS notifications (each kind can be switched off in the settings).
//!
//! Each (account, window) remembers the highest level already told, so a window that stays at
//! 85 % is told once, and a jump from 50 % to 100 % is one alert (100 %), not three.

use std::collections::HashMap;

use omniroute_providers::quota::Window;
use serde::Serialize;

/// The levels told, lowest first.
pub const LEVELS: [u8; 3] = [80, 95, 100];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum AlertKind {
    /// The window reached this percentage.
    Reached(u8),
    /// The window reset after it had reached a level.
    Reset,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct QuotaAlert {
    /// The account's connection id.
    pub account: String,
    pub window: String,
    pub kind: AlertKind,
    /// When the window resets (Unix ms), for a level reached.
    pub resets_at: Option<i64>,
}

#[derive(Debug, Clone, Copy)]
struct Told {
    level: u8,
    resets_at: Option<i64>,
}

/// What has been told so far.
#[derive(Debug, Default)]
pub struct AlertTracker {
    told: HashMap<(String, String), Told>,
    primed: bool,
}

/// The highest level `used_fraction` has reached (0: none).
fn level_of(used_fraction: f64) -> u8 {
    LEVELS
        .iter()
        .rev()
        .copied()
        .find(|level| used_fraction * 100.0 >= f64::from(*level) - 1e-9)
        .unwrap_or(0)
}

/// A reset time that moved on by more than drift: a new window.
fn moved_on(old: Option<i64>, new: Option<i64>) -> bool {
    matches!((old, new), (Some(old), Some(new)) if new - old > 60_000)
}

impl AlertTracker {
    /// The alerts due at `now_unix_ms` for the windows each account reports now (windows that
    /// reset are no longer reported). The first call only learns where things stand: a window
    /// already at 85 % when the app starts was told before, or is shown in the tray anyway.
    pub fn step<'a>(
        &mut self,
        now_unix_ms: i64,
        accounts: impl IntoIterator<Item = (&'a str, &'a [Window])>,
    ) -> Vec<QuotaAlert> {
        let mut alerts = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for (account, windows) in accounts {
            for window in windows {
                let key = (account.to_owned(), window.window.clone());
                let level = level_of(window.used_fraction);
                let before = self.told.get(&key).copied();
                let mut told = Told {
                    level: before.map_or(0, |t| t.level),
                    resets_at: window.resets_at,
                };
                if let Some(before) = before
                    && before.level > 0
                    && (moved_on(before.resets_at, window.resets_at) || level < LEVELS[0])
                {
                    alerts.push(alert(&key, AlertKind::Reset, None));
                    told.level = 0;
                }
                if level > told.level {
                    if self.primed {
                        alerts.push(alert(&key, AlertKind::Reached(level), window.resets_at));
                    }
                    told.level = level;
                }
                seen.insert(key.clone());
                self.told.insert(key, told);
            }
        }
        // A window no longer reported has reset (or its account is gone).
        let gone: Vec<(String, String)> = self
            .told
            .keys()
            .filter(|k| !seen.contains(*k))
            .cloned()
            .collect();
        for key in gone {
            if let Some(told) = self.told.remove(&key)
                && told.level > 0
                && told.resets_at.is_some_and(|at| at <= now_unix_ms)
            {
                alerts.push(alert(&key, AlertKind::Reset, None));
            }
        }
        self.primed = true;
        alerts
    }
}

fn alert(key: &(String, String), kind: AlertKind, resets_at: Option<i64>) -> QuotaAlert {
    QuotaAlert {
        account: key.0.clone(),
        window: key.1.clone(),
        kind,
        resets_at,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(name: &str, used: f64, resets_at: i64) -> Window {
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

    fn kinds(alerts: &[QuotaAlert]) -> Vec<(&str, AlertKind)> {
        alerts.iter().map(|a| (a.window.as_str(), a.kind)).collect()
    }

    #[test]
    fn each_level_is_told_once_and_a_jump_is_one_alert() {
        let mut t = AlertTracker::default();
        let reset = 10_000_000;
        assert!(t.step(0, [("a", &[w("5h", 0.5, reset)][..])]).is_empty());
        let at = |t: &mut AlertTracker, used: f64| {
            let windows = [w("5h", used, reset)];
            t.step(1, [("a", &windows[..])])
        };
        assert_eq!(kinds(&at(&mut t, 0.79)), []);
        assert_eq!(kinds(&at(&mut t, 0.80)), [("5h", AlertKind::Reached(80))]);
        assert_eq!(kinds(&at(&mut t, 0.85)), []);
        assert_eq!(kinds(&at(&mut t, 0.96)), [("5h", AlertKind::Reached(95))]);
        assert_eq!(kinds(&at(&mut t, 1.0)), [("5h", AlertKind::Reached(100))]);
        assert_eq!(kinds(&at(&mut t, 1.0)), []);
        let mut fresh = AlertTracker::default();
        fresh.step(0, []);
        let windows = [w("weekly", 1.0, reset)];
        let alerts = fresh.step(1, [("b", &windows[..])]);
        assert_eq!(kinds(&alerts), [("weekly", AlertKind::Reached(100))]);
        assert_eq!(alerts[0].account, "b");
        assert_eq!(alerts[0].resets_at, Some(reset));
    }

    #[test]
    fn the_first_look_is_silent() {
        let mut t = AlertTracker::default();
        let windows = [w("5h", 0.9, 5_000)];
        assert!(t.step(0, [("a", &windows[..])]).is_empty());
        // …but what changes after it is told.
        let windows = [w("5h", 0.97, 5_000)];
        assert_eq!(
            kinds(&t.step(1, [("a", &windows[..])])),
            [("5h", AlertKind::Reached(95))]
        );
    }

    #[test]
    fn a_reset_is_told_when_the_window_goes_or_starts_again() {
        let mut t = AlertTracker::default();
        t.step(0, []);
        let full = [w("5h", 1.0, 5_000)];
        t.step(1, [("a", &full[..])]);
        // Not reported any more after its reset time: reset.
        assert_eq!(kinds(&t.step(5_001, [])), [("5h", AlertKind::Reset)]);
        // Reported again, emptier, with a later reset: reset, then nothing more.
        t.step(5_002, [("a", &full[..])]);
        let again = [w("5h", 0.1, 5_000 + 18_000_000)];
        assert_eq!(
            kinds(&t.step(6_000, [("a", &again[..])])),
            [("5h", AlertKind::Reset)]
        );
        assert!(t.step(6_001, [("a", &again[..])]).is_empty());
        // A window that never reached a level resets silently; one whose account went away
        // before its reset says nothing.
        let low = [w("weekly", 0.3, 7_000)];
        t.step(6_002, [("a", &low[..])]);
        assert!(t.step(8_000, []).is_empty());
        let full = [w("5h", 1.0, 99_000)];
        t.step(8_001, [("a", &full[..])]);
        assert!(t.step(8_002, []).is_empty());
    }

    #[test]
    fn a_new_window_straight_past_a_level_is_a_reset_and_the_new_level() {
        let mut t = AlertTracker::default();
        t.step(0, []);
        t.step(1, [("a", &[w("5h", 0.96, 5_000)][..])]);
        let next = [w("5h", 0.82, 5_000 + 18_000_000)];
        assert_eq!(
            kinds(&t.step(6_000, [("a", &next[..])])),
            [("5h", AlertKind::Reset), ("5h", AlertKind::Reached(80))]
        );
        assert_eq!(level_of(0.0), 0);
        assert_eq!((level_of(0.95), level_of(0.949)), (95, 80));
    }
}
