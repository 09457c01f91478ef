//! The login rate limit: after `MAX_FAILURES` wrong passwords from one client, that client may
//! not try again for `LOCK_FOR`, even with the right password; past `GLOBAL_FAILURES` wrong
//! passwords from anywhere within `LOCK_FOR`, nobody may (a spray from many addresses). Pure
//! bookkeeping: the caller passes the clock.
//!
//! An attempt is counted when it starts (`attempt`), before the password is checked, so many
//! guesses sent at once cannot all pass the check before the first failure is counted; a right
//! password gives its count back (`success`) but never lifts a lockout already in force. IPv6
//! clients are counted by /64, the block one subscriber usually holds.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::time::{Duration, Instant};

pub const MAX_FAILURES: u32 = 5;
pub const LOCK_FOR: Duration = Duration::from_secs(15 * 60);
/// Wrong passwords from all clients together within `LOCK_FOR` before every login waits.
pub const GLOBAL_FAILURES: usize = 100;
/// Failures older than this are forgotten, so a typo a day does not add up to a lockout.
const FORGET_AFTER: Duration = LOCK_FOR;
/// Clients tracked before stale entries are swept (a spray of one-off attempts stays bounded).
const SWEEP_AT: usize = 4096;

#[derive(Debug, Clone, Copy)]
struct Entry {
    failures: u32,
    last_failure: Instant,
    locked_until: Option<Instant>,
}

/// Why an attempt may not start, and for how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// This client is locked out.
    Client(Duration),
    /// Too many wrong passwords from everywhere.
    Everyone(Duration),
}

#[derive(Debug, Default)]
pub struct LoginLimiter {
    entries: HashMap<IpAddr, Entry>,
    /// When each recent failure (from any client) happened, oldest first.
    recent: VecDeque<Instant>,
}

/// The unit a client is counted by: its IPv4 address, or its IPv6 /64.
fn client(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V6(v6) => IpAddr::V6((u128::from(v6) & !((1u128 << 64) - 1)).into()),
        v4 => v4,
    }
}

impl LoginLimiter {
    /// Starts an attempt from `ip` at `now`: refused while the client (or everyone) is locked
    /// out, else counted as a failure until `success` says otherwise.
    pub fn attempt(&mut self, ip: IpAddr, now: Instant) -> Result<(), Refusal> {
        while self
            .recent
            .front()
            .is_some_and(|t| now.duration_since(*t) >= LOCK_FOR)
        {
            self.recent.pop_front();
        }
        if let Some(locked) = self.locked(ip, now) {
            return Err(Refusal::Client(locked));
        }
        if self.recent.len() >= GLOBAL_FAILURES {
            let oldest = self.recent.front().copied().unwrap_or(now);
            return Err(Refusal::Everyone(LOCK_FOR.saturating_sub(now - oldest)));
        }
        if self.entries.len() >= SWEEP_AT {
            self.sweep(now);
        }
        let entry = self.entries.entry(client(ip)).or_insert(Entry {
            failures: 0,
            last_failure: now,
            locked_until: None,
        });
        let lock_over = entry.locked_until.is_some_and(|until| until <= now);
        if lock_over || now.duration_since(entry.last_failure) >= FORGET_AFTER {
            entry.failures = 0;
            entry.locked_until = None;
        }
        if entry.failures >= MAX_FAILURES {
            // As many attempts as allowed are already under way or failed.
            entry.locked_until = Some(now + LOCK_FOR);
            return Err(Refusal::Client(LOCK_FOR));
        }
        entry.failures += 1;
        entry.last_failure = now;
        self.recent.push_back(now);
        Ok(())
    }

    /// The attempt had a wrong password (it is already counted): returns the lockout that
    /// starts now when this was the last one allowed.
    pub fn failed(&mut self, ip: IpAddr, now: Instant) -> Option<Duration> {
        let entry = self.entries.get_mut(&client(ip))?;
        if entry.failures >= MAX_FAILURES && entry.locked_until.is_none_or(|u| u <= now) {
            entry.locked_until = Some(now + LOCK_FOR);
            return Some(LOCK_FOR);
        }
        None
    }

    /// How long `ip` is still locked out at `now`, if it is.
    pub fn locked(&self, ip: IpAddr, now: Instant) -> Option<Duration> {
        match self.entries.get(&client(ip)).and_then(|e| e.locked_until) {
            Some(until) if until > now => Some(until - now),
            _ => None,
        }
    }

    /// Attempts left before a lockout (for the error message).
    pub fn remaining(&self, ip: IpAddr) -> u32 {
        MAX_FAILURES.saturating_sub(self.entries.get(&client(ip)).map_or(0, |e| e.failures))
    }

    /// The attempt started at `started` had the right password: its count is given back, and
    /// the client's count starts over — unless a lockout is in force (other guesses sent at the
    /// same time earned it), which stays.
    pub fn success(&mut self, ip: IpAddr, started: Instant, now: Instant) {
        if let Some(i) = self.recent.iter().rposition(|t| *t == started) {
            self.recent.remove(i);
        }
        if self.locked(ip, now).is_none() {
            self.entries.remove(&client(ip));
        } else if let Some(entry) = self.entries.get_mut(&client(ip)) {
            entry.failures = entry.failures.saturating_sub(1);
        }
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

    /// One wrong password: the attempt, then its failure.
    fn fail(l: &mut LoginLimiter, ip: IpAddr, now: Instant) -> Result<Option<Duration>, Refusal> {
        l.attempt(ip, now)?;
        Ok(l.failed(ip, now))
    }

    #[test]
    fn five_failures_lock_for_fifteen_minutes() {
        let t0 = Instant::now();
        let mut l = LoginLimiter::default();
        for i in 0..4 {
            assert_eq!(fail(&mut l, A, t0 + Duration::from_secs(i)), Ok(None));
        }
        let locked_at = t0 + Duration::from_secs(4);
        assert_eq!(fail(&mut l, A, locked_at), Ok(Some(LOCK_FOR)));
        assert_eq!(l.locked(A, locked_at), Some(LOCK_FOR));
        assert_eq!(
            l.attempt(A, locked_at + Duration::from_secs(60)),
            Err(Refusal::Client(LOCK_FOR - Duration::from_secs(60)))
        );
        assert_eq!(
            l.attempt(B, locked_at),
            Ok(()),
            "other clients are unaffected"
        );
        assert_eq!(l.locked(A, locked_at + LOCK_FOR), None, "the lock ends");
        // After the lock, the count starts over.
        assert_eq!(fail(&mut l, A, locked_at + LOCK_FOR), Ok(None));
        assert_eq!(l.remaining(A), 4);
    }

    #[test]
    fn guesses_sent_at_once_are_counted_before_any_is_checked() {
        let t0 = Instant::now();
        let mut l = LoginLimiter::default();
        // A hundred guesses arrive together: only the first five may start.
        let started = (0..100).filter(|_| l.attempt(A, t0).is_ok()).count();
        assert_eq!(started, MAX_FAILURES as usize);
        // One of them was right: the lockout the others earned stays.
        l.success(A, t0, t0);
        assert!(l.locked(A, t0).is_some());
    }

    #[test]
    fn a_success_resets_the_count() {
        let t0 = Instant::now();
        let mut l = LoginLimiter::default();
        for _ in 0..4 {
            fail(&mut l, A, t0).unwrap();
        }
        // The fifth attempt is the right password: no lockout.
        l.attempt(A, t0).unwrap();
        l.success(A, t0, t0);
        assert_eq!(l.locked(A, t0), None);
        assert_eq!(l.remaining(A), MAX_FAILURES);
    }

    #[test]
    fn ipv6_clients_are_counted_by_their_64() {
        let t0 = Instant::now();
        let mut l = LoginLimiter::default();
        for i in 0..5u128 {
            // A new address of the same /64 for every guess.
            let ip = IpAddr::V6((0x2001_0db8_0000_0001_0000_0000_0000_0000u128 + i + 1).into());
            fail(&mut l, ip, t0).unwrap();
        }
        let sibling: IpAddr = "2001:db8:0:1::ffff".parse().unwrap();
        assert!(l.locked(sibling, t0).is_some());
        let other: IpAddr = "2001:db8:0:2::1".parse().unwrap();
        assert_eq!(l.locked(other, t0), None);
    }

    #[test]
    fn a_spray_from_many_addresses_hits_the_global_budget() {
        let t0 = Instant::now();
        let mut l = LoginLimiter::default();
        for i in 0..GLOBAL_FAILURES as u32 {
            let ip = IpAddr::V4(std::net::Ipv4Addr::from(0x0a00_0000 + i));
            fail(&mut l, ip, t0).unwrap();
        }
        assert!(matches!(l.attempt(B, t0), Err(Refusal::Everyone(_))));
        assert_eq!(l.attempt(B, t0 + LOCK_FOR), Ok(()), "the budget refills");
    }

    #[test]
    fn old_failures_are_forgotten() {
        let t0 = Instant::now();
        let mut l = LoginLimiter::default();
        for _ in 0..4 {
            fail(&mut l, A, t0).unwrap();
        }
        fail(&mut l, A, t0 + FORGET_AFTER).unwrap();
        assert_eq!(l.remaining(A), 4);
    }

    #[test]
    fn the_table_stays_bounded_but_keeps_lockouts() {
        let t0 = Instant::now();
        let mut l = LoginLimiter::default();
        for _ in 0..MAX_FAILURES {
            fail(&mut l, A, t0).unwrap();
        }
        for i in 0..(SWEEP_AT as u32 + 10) {
            let ip = IpAddr::V4(std::net::Ipv4Addr::from(0x0b00_0000 + i));
            let _ = l.attempt(ip, t0);
            // Stay under the global budget: this test is about the table.
            l.recent.clear();
        }
        assert!(l.entries.len() <= SWEEP_AT);
        assert!(l.locked(A, t0).is_some());
    }
}
