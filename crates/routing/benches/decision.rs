//! One routing decision: order a combo of 10 targets, then order the 50 accounts of the first
//! target's provider — for each combo and account strategy.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "benchmark"
)]

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use omniroute_routing::accounts::{self, AccountStrategy, Candidate, Rotation};
use omniroute_routing::combo::{self, Facts, Strategy, Target};
use omniroute_routing::rng::XorShift;

fn decision(c: &mut Criterion) {
    let targets: Vec<Target> = (0..10)
        .map(|i| Target {
            model: format!("p{i}/model-{i}"),
            weight: 1 + i % 4,
        })
        .collect();
    let candidates: Vec<Candidate> = (0..50)
        .map(|i| Candidate {
            priority: i64::from(i % 7),
            last_used: u64::from(i) * 37 % 1000,
            health: f64::from(i % 10) / 10.0,
            in_flight: i % 3,
        })
        .collect();
    let recent = |m: &str| m.len() as u64;
    let price = |m: &str| Some(m.len() as f64 / 1000.0);
    let mut group = c.benchmark_group("routing_decision_10_targets_50_accounts");
    for (name, strategy, account_strategy) in [
        (
            "priority+fill-first",
            Strategy::Priority,
            AccountStrategy::FillFirst,
        ),
        (
            "round-robin+round-robin",
            Strategy::RoundRobin,
            AccountStrategy::RoundRobin,
        ),
        (
            "weighted+power-of-two",
            Strategy::Weighted,
            AccountStrategy::PowerOfTwoChoices,
        ),
        ("random+random", Strategy::Random, AccountStrategy::Random),
        (
            "least-used+lru",
            Strategy::LeastUsed,
            AccountStrategy::LeastRecentlyUsed,
        ),
        (
            "cost-optimized+cost",
            Strategy::CostOptimized,
            AccountStrategy::CostOptimized,
        ),
    ] {
        let mut rng = XorShift::new(42);
        let mut rotation = Rotation::default();
        let mut turn = 0u64;
        group.bench_function(BenchmarkId::from_parameter(name), |b| {
            b.iter(|| {
                turn += 1;
                let order = combo::order(
                    strategy,
                    &targets,
                    Facts {
                        turn,
                        rng: &mut rng,
                        recent_requests: &recent,
                        price: &price,
                    },
                );
                let accounts =
                    accounts::order(account_strategy, &candidates, 3, &mut rotation, &mut rng);
                (order[0], accounts[0])
            })
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().warm_up_time(std::time::Duration::from_millis(300)).measurement_time(std::time::Duration::from_millis(800)).sample_size(30);
    targets = decision
}
criterion_main!(benches);
