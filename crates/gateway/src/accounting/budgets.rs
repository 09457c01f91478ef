//! Spending limits per API key: what each key spent in the current day, week and month (kept
//! live in memory, seeded from the usage table once per key), and the verdict for a request.

use std::collections::HashMap;
use std::sync::Mutex;

use omniroute_store::{Store, StoreError};
use serde::Serialize;

use super::calendar::{Period, iso};

/// Share of a limit from which a budget is shown as a warning.
pub const WARNING_SHARE: f64 = 0.8;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "lowercase")]
pub enum BudgetState {
    Ok,
    Warning,
    Exceeded,
}

pub fn state(limit: f64, spent: f64) -> BudgetState {
    if spent >= limit {
        BudgetState::Exceeded
    } else if spent >= limit * WARNING_SHARE {
        BudgetState::Warning
    } else {
        BudgetState::Ok
    }
}

/// Why a request is refused: which budget, and when it resets.
#[derive(Debug, Clone, PartialEq)]
pub struct Refusal {
    pub message: String,
    pub retry_after_ms: u64,
}

/// The first exceeded budget among `budgets` (period, limit) given what was `spent_in` each.
pub fn check(
    key_name: &str,
    budgets: &[(Period, f64)],
    spent_in: impl Fn(Period) -> f64,
    now_ms: i64,
) -> Result<(), Refusal> {
    for (period, limit) in budgets {
        let spent = spent_in(*period);
        if state(*limit, spent) == BudgetState::Exceeded {
            let (_, resets) = period.bounds(now_ms);
            return Err(Refusal {
                message: format!(
                    "the {} budget of API key '{key_name}' is used up (${spent:.4} of ${limit:.2}); it resets at {}",
                    period.as_str(),
                    iso(resets)
                ),
                retry_after_ms: u64::try_from(resets - now_ms).unwrap_or(0),
            });
        }
    }
    Ok(())
}

/// Per key and period: (period start, USD spent since).
type Periods = [Option<(i64, f64)>; 3];

fn slot(period: Period) -> usize {
    match period {
        Period::Daily => 0,
        Period::Weekly => 1,
        Period::Monthly => 2,
    }
}

/// Live spend of the keys that have budgets.
#[derive(Debug, Default)]
pub struct Spend {
    keys: Mutex<HashMap<String, Periods>>,
}

impl Spend {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Periods>> {
        match self.keys.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        }
    }

    /// Makes sure `key_id`'s spend in `periods` is known, reading the usage table the first
    /// time (after a start or when a budget was just set).
    pub async fn ensure(
        &self,
        store: &Store,
        key_id: &str,
        periods: impl Iterator<Item = Period>,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        for period in periods {
            let (start, _) = period.bounds(now_ms);
            let known = self
                .lock()
                .get(key_id)
                .and_then(|p| p[slot(period)])
                .map(|(s, _)| s);
            match known {
                Some(s) if s == start => {}
                // The period rolled over with no request since: nothing spent yet.
                Some(_) => {
                    if let Some(p) = self.lock().get_mut(key_id) {
                        p[slot(period)] = Some((start, 0.0));
                    }
                }
                None => {
                    let spent = store.spend_since(key_id, start).await?;
                    self.lock().entry(key_id.to_owned()).or_default()[slot(period)] =
                        Some((start, spent));
                }
            }
        }
        Ok(())
    }

    /// Counts a request's cost against every tracked period of its key.
    pub fn add(&self, key_id: &str, cost: f64, now_ms: i64) {
        if cost <= 0.0 {
            return;
        }
        let mut keys = self.lock();
        let Some(periods) = keys.get_mut(key_id) else {
            return;
        };
        for period in Period::ALL {
            let (start, _) = period.bounds(now_ms);
            if let Some(entry) = &mut periods[slot(period)] {
                if entry.0 == start {
                    entry.1 += cost;
                } else {
                    *entry = (start, cost);
                }
            }
        }
    }

    /// What `key_id` spent in `period` so far (0 when not tracked or rolled over).
    pub fn spent(&self, key_id: &str, period: Period, now_ms: i64) -> f64 {
        let (start, _) = period.bounds(now_ms);
        self.lock()
            .get(key_id)
            .and_then(|p| p[slot(period)])
            .filter(|(s, _)| *s == start)
            .map_or(0.0, |(_, spent)| spent)
    }

    /// Forgets a key (deleted, or its budgets changed and must be re-read).
    pub fn forget(&self, key_id: &str) {
        self.lock().remove(key_id);
    }

    /// Forgets every key (the usage table was replaced).
    pub fn clear(&self) {
        self.lock().clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::accounting::calendar::parse_time;

    #[test]
    fn states_and_refusal_message() {
        assert_eq!(state(10.0, 7.99), BudgetState::Ok);
        assert_eq!(state(10.0, 8.0), BudgetState::Warning);
        assert_eq!(state(10.0, 10.0), BudgetState::Exceeded);
        let now = parse_time("2026-11-25T12:00:00Z").unwrap();
        let budgets = [(Period::Monthly, 100.0), (Period::Daily, 1.0)];
        assert!(check("ci", &budgets, |_| 0.5, now).is_ok());
        let refusal = check(
            "ci",
            &budgets,
            |p| if p == Period::Daily { 1.2 } else { 0.0 },
            now,
        )
        .unwrap_err();
        assert!(
            refusal.message.contains("daily budget of API key 'ci'"),
            "{}",
            refusal.message
        );
        assert!(
            refusal.message.contains("2026-11-26T00:00:00Z"),
            "{}",
            refusal.message
        );
        assert_eq!(refusal.retry_after_ms, 12 * 3_600_000);
    }

    #[test]
    fn spend_rolls_over_with_the_period() {
        let spend = Spend::default();
        let day1 = parse_time("2026-11-25T23:00:00Z").unwrap();
        spend.keys.lock().unwrap().insert(
            "k".into(),
            [Some((Period::Daily.bounds(day1).0, 2.0)), None, None],
        );
        spend.add("k", 0.5, day1);
        assert!((spend.spent("k", Period::Daily, day1) - 2.5).abs() < 1e-9);
        let day2 = day1 + 2 * 3_600_000;
        assert_eq!(spend.spent("k", Period::Daily, day2), 0.0);
        spend.add("k", 0.25, day2);
        assert!((spend.spent("k", Period::Daily, day2) - 0.25).abs() < 1e-9);
        spend.add("untracked", 1.0, day2);
        assert_eq!(spend.spent("untracked", Period::Daily, day2), 0.0);
    }
}
