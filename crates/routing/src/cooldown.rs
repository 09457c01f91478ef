//! Cooldowns of one connection (account): after a failure it rests, with exponential backoff
//! from a base of a few seconds up to two minutes — never shorter than what the upstream asked
//! for (`Retry-After`, `x-ratelimit-reset`, a quota's reset time). A quota cooldown lasts until
//! the window resets, unless a probe succeeds first.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct BackoffProfile {
    pub base_ms: u64,
    pub max_ms: u64,
}

impl Default for BackoffProfile {
    fn default() -> Self {
        Self {
            base_ms: 4_000,
            max_ms: 120_000,
        }
    }
}

/// Why a connection rests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    Failure,
    RateLimited,
    /// Quota exhausted: rests until its window resets.
    Quota,
}

/// What a failure takes out of routing for a while: the whole account, or only the model it
/// happened on (the same account keeps serving its other models).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "lowercase")]
#[ts(rename = "CooldownScope")]
pub enum Scope {
    Account,
    Model,
}

/// How an attempt failed, as far as its scope goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// The upstream answered with this status.
    Status(u16),
    /// No answer in time (the model was slow or overloaded).
    Timeout,
    /// No answer at all: connection refused or reset, TLS, a redirect, an unreadable body — the
    /// account's endpoint, whatever the model.
    Unreachable,
}

/// The scope of a failure: the account's credential (401/403), an exhausted account-wide quota
/// or a broken endpoint take the whole account out; an overloaded or failing model (5xx,
/// timeouts) and a rate limit (per model at OpenAI, Anthropic and Google) only that model.
pub fn scope_of(failure: Failure, reason: Reason) -> Scope {
    match (failure, reason) {
        (Failure::Unreachable, _)
        | (Failure::Status(401 | 403), _)
        // A used-up plan is the account's, whatever status says so (Claude's extra-usage 400).
        | (Failure::Status(_), Reason::Quota) => Scope::Account,
        (Failure::Status(_) | Failure::Timeout, _) => Scope::Model,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Cooldown {
    /// Failures in a row (drives the backoff).
    pub strikes: u32,
    /// Resting until this time (ms), if resting.
    pub until: Option<u64>,
    pub reason: Option<Reason>,
}

impl Cooldown {
    pub fn is_resting(&self, now: u64) -> bool {
        self.until.is_some_and(|until| now < until)
    }

    /// Milliseconds left, for display.
    pub fn remaining(&self, now: u64) -> u64 {
        self.until.map_or(0, |until| until.saturating_sub(now))
    }

    /// Records a failure at `now`. `hint_ms` is how long the upstream asked us to wait.
    pub fn on_failure(
        &mut self,
        now: u64,
        reason: Reason,
        hint_ms: Option<u64>,
        profile: &BackoffProfile,
    ) {
        self.strikes = self.strikes.saturating_add(1);
        let backoff = profile
            .base_ms
            .saturating_mul(1u64 << (self.strikes - 1).min(16))
            .min(profile.max_ms);
        let wait = match (reason, hint_ms) {
            // A quota rests until its reset, however long; without a hint, the longest backoff.
            (Reason::Quota, Some(hint)) => hint,
            (Reason::Quota, None) => profile.max_ms,
            (_, Some(hint)) => backoff.max(hint),
            (_, None) => backoff,
        };
        let until = now.saturating_add(wait);
        self.until = Some(self.until.map_or(until, |u| u.max(until)));
        self.reason = Some(reason);
    }

    /// A success (including a probe that went through early) clears everything.
    pub fn on_success(&mut self) {
        *self = Self::default();
    }
}

/// Parses an upstream's wait hint into milliseconds from `now_unix_ms`: `Retry-After` as seconds
/// or an HTTP date is the caller's job; this takes seconds (fractions allowed) or a Unix time.
pub fn hint_ms(value: &str, now_unix_ms: u64) -> Option<u64> {
    let v = value.trim();
    let secs: f64 = v.trim_end_matches('s').parse().ok()?;
    if !secs.is_finite() || secs < 0.0 {
        return None;
    }
    // Values that look like Unix times (reset headers) become a distance from now.
    if secs > 1_000_000_000.0 {
        let at_ms = (secs * 1000.0) as u64;
        return Some(at_ms.saturating_sub(now_unix_ms));
    }
    Some((secs * 1000.0).ceil() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scope_follows_the_failure() {
        use Failure::*;
        for (failure, reason, scope) in [
            (Status(500), Reason::Failure, Scope::Model),
            (Status(502), Reason::Failure, Scope::Model),
            (Status(503), Reason::Failure, Scope::Model),
            (Timeout, Reason::Failure, Scope::Model),
            (Status(429), Reason::RateLimited, Scope::Model),
            (Status(429), Reason::Quota, Scope::Account),
            (Status(401), Reason::Failure, Scope::Account),
            (Status(403), Reason::Failure, Scope::Account),
            (Unreachable, Reason::Failure, Scope::Account),
        ] {
            assert_eq!(scope_of(failure, reason), scope, "{failure:?} {reason:?}");
        }
    }

    const P: BackoffProfile = BackoffProfile {
        base_ms: 4_000,
        max_ms: 120_000,
    };

    #[test]
    fn exponential_backoff_capped() {
        let mut c = Cooldown::default();
        let mut waits = Vec::new();
        for _ in 0..8 {
            c.until = None;
            c.on_failure(0, Reason::Failure, None, &P);
            waits.push(c.until.unwrap());
        }
        assert_eq!(
            waits,
            [
                4_000, 8_000, 16_000, 32_000, 64_000, 120_000, 120_000, 120_000
            ]
        );
        c.on_success();
        assert!(!c.is_resting(0));
        assert_eq!(c.strikes, 0);
    }

    #[test]
    fn never_shorter_than_the_upstreams_hint() {
        for hint in [1_000, 4_000, 30_000, 500_000] {
            let mut c = Cooldown::default();
            c.on_failure(100, Reason::RateLimited, Some(hint), &P);
            assert!(c.until.unwrap() - 100 >= hint, "hint {hint}");
            assert!(c.until.unwrap() - 100 >= 4_000, "never under the backoff");
        }
    }

    #[test]
    fn quota_rests_until_reset_and_clears_on_success() {
        let mut c = Cooldown::default();
        c.on_failure(0, Reason::Quota, Some(3 * 3_600_000), &P);
        assert!(c.is_resting(3 * 3_600_000 - 1));
        assert_eq!(c.remaining(3_600_000), 2 * 3_600_000);
        c.on_success();
        assert!(!c.is_resting(1));
    }

    #[test]
    fn hints() {
        assert_eq!(hint_ms("7", 0), Some(7_000));
        assert_eq!(hint_ms("1.5", 0), Some(1_500));
        assert_eq!(hint_ms("20s", 0), Some(20_000));
        assert_eq!(hint_ms("1800000060", 1_800_000_000_000), Some(60_000));
        assert_eq!(hint_ms("soon", 0), None);
        assert_eq!(hint_ms("-3", 0), None);
    }
}
