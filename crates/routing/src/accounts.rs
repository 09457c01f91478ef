//! Choosing among the accounts (connections) of one provider. The caller passes only accounts
//! that are available now (not cooling down, not locked, breaker allowing); the strategy orders
//! them, and the request tries them in that order.

use serde::{Deserialize, Serialize};

use crate::rng::{Random, shuffle};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "kebab-case")]
pub enum AccountStrategy {
    /// 1. Lowest priority value first (ties in configured order). 2. An account keeps serving
    ///    until it becomes unavailable.
    #[default]
    FillFirst,
    /// 1. The current account serves `sticky_limit` calls in a row. 2. Then the next in order
    ///    takes over, wrapping around.
    RoundRobin,
    /// 1. Draw two accounts at random. 2. The healthier (higher success rate, then fewer
    ///    requests in flight) goes first, the other second, then the rest by priority.
    PowerOfTwoChoices,
    /// 1. A uniformly random order (Fisher–Yates).
    Random,
    /// 1. The account used longest ago first.
    LeastRecentlyUsed,
    /// 1. Lowest priority value first: priorities express cost (cheapest account = 0).
    CostOptimized,
}

/// What the strategies know about an available account.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Candidate {
    pub priority: i64,
    /// When it last served a request (ms; 0 = never).
    pub last_used: u64,
    /// Recent success rate, 0.0–1.0.
    pub health: f64,
    pub in_flight: u32,
}

/// Round-robin position of one provider: which account serves, and how many calls it has had.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Rotation {
    pub current: usize,
    pub served: u32,
}

fn by_priority(candidates: &[Candidate]) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..candidates.len()).collect();
    idx.sort_by_key(|&i| candidates[i].priority);
    idx
}

/// The order in which to try `candidates` (each index once). Round-robin advances `rotation`
/// as if the first account will serve.
pub fn order(
    strategy: AccountStrategy,
    candidates: &[Candidate],
    sticky_limit: u32,
    rotation: &mut Rotation,
    rng: &mut impl Random,
) -> Vec<usize> {
    let n = candidates.len();
    if n == 0 {
        return Vec::new();
    }
    match strategy {
        AccountStrategy::FillFirst | AccountStrategy::CostOptimized => by_priority(candidates),
        AccountStrategy::RoundRobin => {
            let ring = by_priority(candidates);
            let mut position = rotation.current % n;
            if rotation.served >= sticky_limit.max(1) {
                position = (position + 1) % n;
                rotation.served = 0;
            }
            rotation.current = position;
            rotation.served += 1;
            (0..n).map(|k| ring[(position + k) % n]).collect()
        }
        AccountStrategy::PowerOfTwoChoices => {
            let mut rest = by_priority(candidates);
            if n == 1 {
                return rest;
            }
            let a = rng.below(n);
            let mut b = rng.below(n - 1);
            if b >= a {
                b += 1;
            }
            let better = |x: usize, y: usize| {
                let (cx, cy) = (&candidates[x], &candidates[y]);
                cx.health > cy.health || (cx.health == cy.health && cx.in_flight <= cy.in_flight)
            };
            let (first, second) = if better(a, b) { (a, b) } else { (b, a) };
            rest.retain(|&i| i != first && i != second);
            let mut out = vec![first, second];
            out.extend(rest);
            out
        }
        AccountStrategy::Random => {
            let mut idx: Vec<usize> = (0..n).collect();
            shuffle(&mut idx, rng);
            idx
        }
        AccountStrategy::LeastRecentlyUsed => {
            let mut idx: Vec<usize> = (0..n).collect();
            idx.sort_by_key(|&i| candidates[i].last_used);
            idx
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::XorShift;

    fn c(priority: i64, last_used: u64, health: f64) -> Candidate {
        Candidate {
            priority,
            last_used,
            health,
            in_flight: 0,
        }
    }

    #[test]
    fn fill_first_lru_and_cost() {
        let cs = [c(2, 50, 1.0), c(0, 90, 1.0), c(1, 10, 1.0)];
        let mut rot = Rotation::default();
        let mut rng = XorShift::new(3);
        assert_eq!(
            order(AccountStrategy::FillFirst, &cs, 3, &mut rot, &mut rng),
            [1, 2, 0]
        );
        assert_eq!(
            order(AccountStrategy::CostOptimized, &cs, 3, &mut rot, &mut rng),
            [1, 2, 0]
        );
        assert_eq!(
            order(
                AccountStrategy::LeastRecentlyUsed,
                &cs,
                3,
                &mut rot,
                &mut rng
            ),
            [2, 0, 1]
        );
        assert!(order(AccountStrategy::Random, &[], 3, &mut rot, &mut rng).is_empty());
    }

    #[test]
    fn round_robin_sticky_limit_is_exact() {
        let cs = [c(0, 0, 1.0), c(1, 0, 1.0), c(2, 0, 1.0)];
        let mut rot = Rotation::default();
        let mut rng = XorShift::new(3);
        let firsts: Vec<usize> = (0..10)
            .map(|_| order(AccountStrategy::RoundRobin, &cs, 3, &mut rot, &mut rng)[0])
            .collect();
        assert_eq!(firsts, [0, 0, 0, 1, 1, 1, 2, 2, 2, 0]);
        let o = order(AccountStrategy::RoundRobin, &cs, 3, &mut rot, &mut rng);
        assert_eq!(o, [0, 1, 2], "the others stay as fallbacks");
    }

    #[test]
    fn power_of_two_prefers_the_healthier() {
        let cs = [c(0, 0, 0.2), c(1, 0, 0.9), c(2, 0, 0.5)];
        let mut rot = Rotation::default();
        let mut rng = XorShift::new(11);
        let mut first = [0usize; 3];
        for _ in 0..30_000 {
            let o = order(
                AccountStrategy::PowerOfTwoChoices,
                &cs,
                3,
                &mut rot,
                &mut rng,
            );
            let mut s = o.clone();
            s.sort_unstable();
            assert_eq!(s, [0, 1, 2]);
            first[o[0]] += 1;
        }
        // The sickest account only leads when it is not drawn (never: two of three are drawn and it loses).
        assert_eq!(first[0], 0, "{first:?}");
        // The healthiest leads whenever drawn: 2 of the 3 pairs.
        assert!(
            (first[1] as f64 / 30_000.0 - 2.0 / 3.0).abs() < 0.02,
            "{first:?}"
        );
    }

    #[test]
    fn random_is_uniform() {
        let cs = [c(0, 0, 1.0), c(0, 0, 1.0), c(0, 0, 1.0)];
        let mut rot = Rotation::default();
        let mut rng = XorShift::new(5);
        let mut first = [0usize; 3];
        for _ in 0..30_000 {
            first[order(AccountStrategy::Random, &cs, 3, &mut rot, &mut rng)[0]] += 1;
        }
        assert!(
            first.iter().all(|&f| (9_400..10_600).contains(&f)),
            "{first:?}"
        );
    }
}
