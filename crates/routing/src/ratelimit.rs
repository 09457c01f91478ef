//! Per-connection rate limits: requests per minute, a minimum gap between request starts, and
//! a maximum of requests in flight. `acquire` either admits a request now or says how long to
//! wait; the caller holds a bounded queue of waiters.

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase", default)]
pub struct Limits {
    pub requests_per_minute: u32,
    pub min_gap_ms: u64,
    pub max_concurrent: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            requests_per_minute: 60,
            min_gap_ms: 350,
            max_concurrent: 6,
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct Limiter {
    /// Start times within the last minute.
    starts: VecDeque<u64>,
    pub in_flight: u32,
}

/// Why a request must wait, and for how long at least.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wait {
    /// Until a slot in the minute window or the gap frees (ms).
    For(u64),
    /// Until a request in flight finishes.
    Concurrency,
}

const MINUTE_MS: u64 = 60_000;

impl Limiter {
    /// Admits a request starting at `now`, or says why not.
    pub fn acquire(&mut self, now: u64, limits: &Limits) -> Result<(), Wait> {
        while self
            .starts
            .front()
            .is_some_and(|&t| now.saturating_sub(t) >= MINUTE_MS)
        {
            self.starts.pop_front();
        }
        if limits.max_concurrent > 0 && self.in_flight >= limits.max_concurrent {
            return Err(Wait::Concurrency);
        }
        if let Some(&last) = self.starts.back() {
            let since = now.saturating_sub(last);
            if since < limits.min_gap_ms {
                return Err(Wait::For(limits.min_gap_ms - since));
            }
        }
        if limits.requests_per_minute > 0
            && self.starts.len() >= limits.requests_per_minute as usize
        {
            let oldest = self.starts.front().copied().unwrap_or(now);
            return Err(Wait::For((oldest + MINUTE_MS).saturating_sub(now).max(1)));
        }
        self.starts.push_back(now);
        self.in_flight += 1;
        Ok(())
    }

    /// A request admitted by `acquire` finished.
    pub fn release(&mut self) {
        self.in_flight = self.in_flight.saturating_sub(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gap_rpm_and_concurrency() {
        let limits = Limits {
            requests_per_minute: 3,
            min_gap_ms: 100,
            max_concurrent: 2,
        };
        let mut l = Limiter::default();
        assert_eq!(l.acquire(0, &limits), Ok(()));
        assert_eq!(l.acquire(40, &limits), Err(Wait::For(60)));
        assert_eq!(l.acquire(100, &limits), Ok(()));
        assert_eq!(l.acquire(300, &limits), Err(Wait::Concurrency));
        l.release();
        assert_eq!(l.acquire(300, &limits), Ok(()));
        l.release();
        l.release();
        assert_eq!(
            l.acquire(500, &limits),
            Err(Wait::For(59_500)),
            "fourth in the minute"
        );
        assert_eq!(
            l.acquire(60_000, &limits),
            Ok(()),
            "the first start left the window"
        );
        assert_eq!(
            Limits::default(),
            Limits {
                requests_per_minute: 60,
                min_gap_ms: 350,
                max_concurrent: 6
            }
        );
    }

    #[test]
    fn zero_means_unlimited() {
        let limits = Limits {
            requests_per_minute: 0,
            min_gap_ms: 0,
            max_concurrent: 0,
        };
        let mut l = Limiter::default();
        for t in 0..1_000 {
            assert_eq!(l.acquire(t, &limits), Ok(()));
        }
    }
}
