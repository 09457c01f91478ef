//! The login rate limit: after `MAX_FAILURES` consecutive wrong passwords from one client
//! address, that address may not try again for `LOCK_FOR`, even with the right password. A
//! success resets the count. Pure bookkeeping: the caller passes the clock.

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::{Duration, Instant};

pub const MAX_FAILURES: u32 = 5;
pub const LOCK_FOR: Duration = Duration::from_secs(15 * 60);
/// Failures older than this are forgotten, so a typo a day does not add up to a lockout.
const FORGET_AFTER: Duration = LOCK_FOR;
/// Addresses tracked before stale entries are swept (a spray of one-off attempts stays bounded).
const SWEEP_AT: usize = 4096;

#[derive(Debug, Clone, Copy)]
struct Entry {
    failures: u32,
    last_failure: Instant,
    locked_until: Option<Instant>,
}

#[derive(Debug, Default)]
pub struct LoginLimiter {
    entries: HashMap<IpAddr, Entry>,
}

impl LoginLimiter {
    /// `Err(remaining)` while `ip` is locked out at `now`.
    pub fn check(&self, ip: IpAddr, now: Instant) -> Result<(), Duration> {
        match self.entries.get(&ip).and_then(|e| e.locked_until) {
            Some(until) if until > now => Err(until - now),
            _ => Ok(()),
        }
    }

    /// Counts a wrong password; returns the lock duration when this failure starts a lockout.
    pub fn failure(&mut self, ip: IpAddr, now: Instant) -> Option<Duration> {
        if self.entries.len() >= SWEEP_AT {
            self.sweep(now);
        }
        let entry = self.entries.entry(ip).or_insert(Entry {
            failures: 0,
            last_failure: now,
            locked_until: None,
        });
        let lock_over = entry.locked_until.is_some_and(|until| until <= now);
        if lock_over || now.duration_since(entry.last_failure) >= FORGET_AFTER {
            entry.failures = 0;
            entry.locked_until = None;
        }
        entry.failures += 1;
        entry.last_failure = now;
        if entry.failures >= MAX_FAILURES {
            entry.locked_until = Some(now + LOCK_FOR);
            return Some(LOCK_FOR);
        }
        None
    }

    /// Attempts left before a lockout (for the error message).
    pub fn remaining(&self, ip: IpAddr) -> u32 {
        MAX_FAILURES.saturating_sub(self.entries.get(&ip).map_or(0, |e| e.failures))
    }

    pub fn success(&mut self, ip: IpAddr) {
        self.entries.remove(&ip);
    }

    fn sweep(&mut self, now: Instant) {
        self.entries.retain(|_, e| match e.locked_until {
            Some(until) => until > now,
            None => now.duration_since(e.last_failure) < FORGET_AFTER,
        });
        if self.entries.len() >= SWEEP_AT {
            // Still full of recent failures: keep only the lockouts, which are what matters.
            self.entries.retain(|_, e| e.locked_until.is_some());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(192, 0, 2, 1));
    const B: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(192, 0, 2, 2));

    #[test]
    fn five_failures_lock_for_fifteen_minutes() {
        let t0 = Instant::now();
        let mut l = LoginLimiter::default();
        for i in 0..4 {
            assert_eq!(l.failure(A, t0 + Duration::from_secs(i)), None);
            assert!(l.check(A, t0).is_ok());
        }
        assert_eq!(l.remaining(A), 1);
        assert_eq!(l.failure(A, t0 + Duration::from_secs(4)), Some(LOCK_FOR));
        let locked_at = t0 + Duration::from_secs(4);
        assert_eq!(l.check(A, locked_at), Err(LOCK_FOR));
        assert_eq!(
            l.check(A, locked_at + Duration::from_secs(60)),
            Err(LOCK_FOR - Duration::from_secs(60))
        );
        assert!(
            l.check(B, locked_at).is_ok(),
            "other addresses are unaffected"
        );
        assert!(l.check(A, locked_at + LOCK_FOR).is_ok(), "the lock ends");
        // After the lock, the count starts over.
        assert_eq!(l.failure(A, locked_at + LOCK_FOR), None);
        assert_eq!(l.remaining(A), 4);
    }

    #[test]
    fn a_success_resets_the_count() {
        let t0 = Instant::now();
        let mut l = LoginLimiter::default();
        for _ in 0..4 {
            l.failure(A, t0);
        }
        l.success(A);
        for _ in 0..4 {
            assert_eq!(l.failure(A, t0), None);
        }
        assert!(l.check(A, t0).is_ok());
    }

    #[test]
    fn old_failures_are_forgotten() {
        let t0 = Instant::now();
        let mut l = LoginLimiter::default();
        for _ in 0..4 {
            l.failure(A, t0);
        }
        assert_eq!(l.failure(A, t0 + FORGET_AFTER), None);
        assert_eq!(l.remaining(A), 4);
    }

    #[test]
    fn the_table_stays_bounded_but_keeps_lockouts() {
        let t0 = Instant::now();
        let mut l = LoginLimiter::default();
        for _ in 0..MAX_FAILURES {
            l.failure(A, t0);
        }
        for i in 0..(SWEEP_AT as u32 + 10) {
            l.failure(IpAddr::V6(std::net::Ipv6Addr::from(u128::from(i) + 1)), t0);
        }
        assert!(l.entries.len() <= SWEEP_AT);
        assert!(l.check(A, t0).is_err());
    }
}
