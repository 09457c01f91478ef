//! The circuit breaker of one provider: one state enum behind one lock. Times are
//! milliseconds on a monotonic clock the caller passes in.

use serde::{Deserialize, Serialize};

/// When a breaker opens and how long it stays open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct BreakerProfile {
    /// Consecutive failures that open the breaker.
    pub failure_threshold: u32,
    /// How long it stays open before one probe is let through.
    pub cooldown_ms: u64,
}

impl BreakerProfile {
    /// OAuth (subscription) providers: 8 failures, 60 s.
    pub const OAUTH: Self = Self {
        failure_threshold: 8,
        cooldown_ms: 60_000,
    };
    /// API-key providers: 12 failures, 30 s.
    pub const API_KEY: Self = Self {
        failure_threshold: 12,
        cooldown_ms: 30_000,
    };
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(tag = "state", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Breaker {
    /// Requests flow; `failures` in a row so far.
    Closed { failures: u32 },
    /// No requests until `until`.
    Open { until: u64 },
    /// One probe may go (`probing` once it has); its outcome closes or reopens the breaker.
    HalfOpen { probing: bool },
}

impl Default for Breaker {
    fn default() -> Self {
        Self::Closed { failures: 0 }
    }
}

impl Breaker {
    /// Whether a request may go now; in half-open state this claims the single probe.
    pub fn try_acquire(&mut self, now: u64) -> bool {
        match *self {
            Self::Closed { .. } => true,
            Self::Open { until } if now >= until => {
                *self = Self::HalfOpen { probing: true };
                true
            }
            Self::Open { .. } => false,
            Self::HalfOpen { probing: false } => {
                *self = Self::HalfOpen { probing: true };
                true
            }
            Self::HalfOpen { probing: true } => false,
        }
    }

    /// Whether a request could go now, without claiming anything (for status displays).
    pub fn is_available(&self, now: u64) -> bool {
        match *self {
            Self::Closed { .. } | Self::HalfOpen { probing: false } => true,
            Self::Open { until } => now >= until,
            Self::HalfOpen { probing: true } => false,
        }
    }

    pub fn on_success(&mut self) {
        *self = Self::Closed { failures: 0 };
    }

    pub fn on_failure(&mut self, now: u64, profile: &BreakerProfile) {
        *self = match *self {
            Self::Closed { failures } if failures + 1 >= profile.failure_threshold => Self::Open {
                until: now + profile.cooldown_ms,
            },
            Self::Closed { failures } => Self::Closed {
                failures: failures + 1,
            },
            Self::HalfOpen { .. } | Self::Open { .. } => Self::Open {
                until: now + profile.cooldown_ms,
            },
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const P: BreakerProfile = BreakerProfile {
        failure_threshold: 3,
        cooldown_ms: 1_000,
    };

    #[test]
    fn opens_after_threshold_then_half_opens_with_one_probe() {
        let mut b = Breaker::default();
        for _ in 0..2 {
            assert!(b.try_acquire(0));
            b.on_failure(0, &P);
        }
        assert_eq!(b, Breaker::Closed { failures: 2 });
        b.on_failure(10, &P);
        assert_eq!(b, Breaker::Open { until: 1_010 });
        assert!(!b.try_acquire(1_009));
        assert!(b.try_acquire(1_010), "the probe");
        assert!(!b.try_acquire(1_011), "only one probe");
        b.on_failure(1_200, &P);
        assert_eq!(b, Breaker::Open { until: 2_200 }, "a failed probe reopens");
        assert!(b.try_acquire(2_200));
        b.on_success();
        assert_eq!(b, Breaker::Closed { failures: 0 });
        assert!(b.try_acquire(2_201));
    }

    #[test]
    fn a_success_resets_the_count() {
        let mut b = Breaker::default();
        b.on_failure(0, &P);
        b.on_failure(0, &P);
        b.on_success();
        b.on_failure(0, &P);
        assert_eq!(b, Breaker::Closed { failures: 1 });
        assert_eq!(BreakerProfile::OAUTH.failure_threshold, 8);
        assert_eq!(BreakerProfile::API_KEY.cooldown_ms, 30_000);
    }
}
