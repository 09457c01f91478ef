//! Combos: a named, ordered list of model targets used as a model id. A strategy picks the
//! order targets are tried in; whatever it picks, a failed attempt moves on to the remaining
//! targets, so the strategy only decides who goes first (and then who follows).

use serde::{Deserialize, Serialize};

use crate::rng::{Random, shuffle};

/// How a combo orders its targets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "kebab-case")]
pub enum Strategy {
    /// 1. Targets in the order listed. 2. The next only when the previous failed.
    #[default]
    Priority,
    /// 1. Start at the target after the one that started last time (a counter per combo).
    /// 2. Then the rest in listed order, wrapping around.
    RoundRobin,
    /// 1. A uniformly random order (Fisher–Yates).
    Random,
    /// 1. Draw the first target with probability proportional to its weight (weight 0 never
    ///    first). 2. Draw the next from the remaining targets the same way, and so on.
    Weighted,
    /// 1. Fewest recent requests first (ties in listed order).
    LeastUsed,
    /// 1. Cheapest first by the pricing table (input + output price per 1K tokens; unknown
    ///    prices last). 2. Ties in listed order.
    CostOptimized,
}

/// One member of a combo: a model id (which may itself be a combo) and its weight.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Target {
    pub model: String,
    #[serde(default = "one")]
    pub weight: u32,
}

fn one() -> u32 {
    1
}

/// What a strategy may consult besides the targets.
pub struct Facts<'a, R: Random> {
    /// The combo's round-robin counter (how many times it has started).
    pub turn: u64,
    pub rng: &'a mut R,
    /// Recent request count of a target model.
    pub recent_requests: &'a dyn Fn(&str) -> u64,
    /// Price of a target model per 1K tokens (input + output), when known.
    pub price: &'a dyn Fn(&str) -> Option<f64>,
}

/// The order in which to try `targets` (indices into it; every index exactly once).
pub fn order<R: Random>(strategy: Strategy, targets: &[Target], facts: Facts<'_, R>) -> Vec<usize> {
    let n = targets.len();
    let mut idx: Vec<usize> = (0..n).collect();
    match strategy {
        Strategy::Priority => {}
        Strategy::RoundRobin => {
            if n > 0 {
                idx.rotate_left((facts.turn % n as u64) as usize);
            }
        }
        Strategy::Random => shuffle(&mut idx, facts.rng),
        Strategy::Weighted => {
            let mut remaining: Vec<usize> = idx.clone();
            idx.clear();
            while !remaining.is_empty() {
                let total: u64 = remaining
                    .iter()
                    .map(|&i| u64::from(targets[i].weight))
                    .sum();
                let pick = if total == 0 {
                    0
                } else {
                    let mut ticket = (facts.rng.unit() * total as f64) as u64;
                    let mut chosen = remaining.len() - 1;
                    for (k, &i) in remaining.iter().enumerate() {
                        let w = u64::from(targets[i].weight);
                        if ticket < w {
                            chosen = k;
                            break;
                        }
                        ticket -= w;
                    }
                    chosen
                };
                idx.push(remaining.remove(pick));
            }
        }
        Strategy::LeastUsed => idx.sort_by_key(|&i| (facts.recent_requests)(&targets[i].model)),
        Strategy::CostOptimized => idx.sort_by(|&a, &b| {
            let (pa, pb) = (
                (facts.price)(&targets[a].model),
                (facts.price)(&targets[b].model),
            );
            match (pa, pb) {
                (Some(x), Some(y)) => x.total_cmp(&y),
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (None, None) => std::cmp::Ordering::Equal,
            }
        }),
    }
    idx
}

/// Why a combo definition is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ComboError {
    #[error("combo '{0}' has no targets")]
    Empty(String),
    #[error("combo '{combo}' contains itself through {path}")]
    Cycle { combo: String, path: String },
    #[error("combo '{combo}' nests combos deeper than {max} levels ({path})")]
    TooDeep {
        combo: String,
        path: String,
        max: usize,
    },
}

/// Combos may contain combos, at most this deep.
pub const MAX_DEPTH: usize = 3;

/// Checks that `name`'s targets (following nested combos through `lookup`) contain no cycle and
/// nest at most `MAX_DEPTH` combos.
pub fn validate(
    name: &str,
    targets: &[Target],
    lookup: &dyn Fn(&str) -> Option<Vec<Target>>,
) -> Result<(), ComboError> {
    if targets.is_empty() {
        return Err(ComboError::Empty(name.to_owned()));
    }
    fn walk(
        root: &str,
        path: &mut Vec<String>,
        targets: &[Target],
        lookup: &dyn Fn(&str) -> Option<Vec<Target>>,
    ) -> Result<(), ComboError> {
        for t in targets {
            if t.model == root || path.contains(&t.model) {
                let mut cycle = path.clone();
                cycle.push(t.model.clone());
                return Err(ComboError::Cycle {
                    combo: root.to_owned(),
                    path: cycle.join(" → "),
                });
            }
            if let Some(inner) = lookup(&t.model) {
                path.push(t.model.clone());
                if path.len() > MAX_DEPTH {
                    return Err(ComboError::TooDeep {
                        combo: root.to_owned(),
                        path: path.join(" → "),
                        max: MAX_DEPTH,
                    });
                }
                walk(root, path, &inner, lookup)?;
                path.pop();
            }
        }
        Ok(())
    }
    let mut path = vec![name.to_owned()];
    walk(name, &mut path, targets, lookup)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::XorShift;

    fn targets(models: &[(&str, u32)]) -> Vec<Target> {
        models
            .iter()
            .map(|(m, w)| Target {
                model: (*m).into(),
                weight: *w,
            })
            .collect()
    }

    fn run(strategy: Strategy, t: &[Target], turn: u64, rng: &mut XorShift) -> Vec<usize> {
        let used = |m: &str| match m {
            "a" => 5,
            "b" => 1,
            _ => 3,
        };
        let price = |m: &str| match m {
            "a" => Some(0.01),
            "b" => None,
            _ => Some(0.001),
        };
        order(
            strategy,
            t,
            Facts {
                turn,
                rng,
                recent_requests: &used,
                price: &price,
            },
        )
    }

    #[test]
    fn deterministic_strategies() {
        let t = targets(&[("a", 1), ("b", 1), ("c", 1)]);
        let mut rng = XorShift::new(1);
        assert_eq!(run(Strategy::Priority, &t, 5, &mut rng), [0, 1, 2]);
        assert_eq!(run(Strategy::RoundRobin, &t, 0, &mut rng), [0, 1, 2]);
        assert_eq!(run(Strategy::RoundRobin, &t, 1, &mut rng), [1, 2, 0]);
        assert_eq!(run(Strategy::RoundRobin, &t, 5, &mut rng), [2, 0, 1]);
        assert_eq!(run(Strategy::LeastUsed, &t, 0, &mut rng), [1, 2, 0]);
        assert_eq!(run(Strategy::CostOptimized, &t, 0, &mut rng), [2, 0, 1]);
        assert!(run(Strategy::Priority, &[], 0, &mut rng).is_empty());
    }

    #[test]
    fn random_and_weighted_distributions() {
        let mut rng = XorShift::new(99);
        let t = targets(&[("a", 1), ("b", 1), ("c", 1), ("d", 1)]);
        let mut first = [0usize; 4];
        for _ in 0..40_000 {
            let o = run(Strategy::Random, &t, 0, &mut rng);
            assert_eq!(o.len(), 4);
            first[o[0]] += 1;
        }
        assert!(
            first.iter().all(|&c| (9_400..10_600).contains(&c)),
            "{first:?}"
        );

        let w = targets(&[("a", 1), ("b", 3), ("c", 6), ("d", 0)]);
        let mut first = [0usize; 4];
        for _ in 0..50_000 {
            let o = run(Strategy::Weighted, &w, 0, &mut rng);
            let mut sorted = o.clone();
            sorted.sort_unstable();
            assert_eq!(
                sorted,
                [0, 1, 2, 3],
                "every target stays available as a fallback"
            );
            first[o[0]] += 1;
        }
        assert_eq!(first[3], 0, "weight 0 is never first");
        for (i, expected) in [(0, 5_000.0), (1, 15_000.0), (2, 30_000.0)] {
            let got = first[i] as f64;
            assert!((got - expected).abs() / expected < 0.05, "{first:?}");
        }
    }

    #[test]
    fn nesting_rules() {
        let lookup = |name: &str| match name {
            "inner" => Some(targets(&[("x/1", 1)])),
            "middle" => Some(targets(&[("inner", 1)])),
            "outer" => Some(targets(&[("middle", 1)])),
            "loop-a" => Some(targets(&[("loop-b", 1)])),
            "loop-b" => Some(targets(&[("loop-a", 1)])),
            _ => None,
        };
        assert!(
            validate("top", &targets(&[("outer", 1)]), &lookup).is_err(),
            "four levels"
        );
        assert_eq!(validate("top", &targets(&[("middle", 1)]), &lookup), Ok(()));
        let err = validate("loop-a", &targets(&[("loop-b", 1)]), &lookup).unwrap_err();
        assert!(matches!(err, ComboError::Cycle { .. }), "{err}");
        assert!(validate("self", &targets(&[("self", 1)]), &lookup).is_err());
        assert_eq!(
            validate("e", &[], &lookup),
            Err(ComboError::Empty("e".into()))
        );
    }
}
