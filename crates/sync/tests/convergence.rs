//! Property test of the whole cycle, seeded so a failure replays: 3 to 5 devices whose wall
//! clocks drift apart by hours and jump backwards (in a quarter of the runs one runs 30 hours
//! ahead, so its records wait on the others) edit their databases (creations, edits, deletions,
//! restores of conflicts), record the changes through the journal, publish snapshots and merge
//! each other's latest published ones, in random order. Each merge reports exactly the held
//! versions it replaced with concurrent ones of other content. Once everyone has published and
//! merged everyone: every state is the same, every database matches its state, and every
//! version lost to a concurrent edit is in some device's conflicts.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests"
)]

use std::collections::{BTreeMap, BTreeSet};

use omniroute_sync::{
    Clock, Conflict, ConflictList, DeviceId, Kind, Record, RecordKey, Scope, State, merge, receive,
    record_local_changes,
};
use serde_json::{Value, json};

/// xorshift64*: small, seeded, good enough to pick operations.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

const HOUR: u64 = 3_600_000;
const START: u64 = 1_750_000_000_000;

struct Device {
    clock: Clock,
    state: State,
    database: BTreeMap<RecordKey, Value>,
    conflicts: ConflictList,
    /// How far this machine's wall clock is off, in ms (negative: behind).
    skew: i64,
}

impl Device {
    fn wall(&self, now: u64) -> u64 {
        now.saturating_add_signed(self.skew)
    }

    fn journal(&mut self, now: u64, created: &mut Vec<(RecordKey, Record)>) {
        let wall = self.wall(now);
        created.extend(record_local_changes(
            &mut self.state,
            &self.database,
            &Kind::ALL,
            Scope::ALL,
            &mut self.clock,
            wall,
        ));
    }

    /// Merges `remote`, checks the merge's report against the replacements it made, and
    /// returns how many records were held back.
    fn receive(&mut self, remote: &State, now: u64, seen: &mut Observed) -> usize {
        let wall = self.wall(now);
        let received = receive(&self.state, remote, Scope::ALL, &mut self.clock, wall);
        let merged = received.merged;
        let mut expected = Vec::new();
        for (key, new) in merged.state.records() {
            let Some(old) = self.state.get(key) else {
                continue;
            };
            if old == new || new.descends_from(old) {
                continue;
            }
            if old.body == new.body {
                seen.benign.insert(old.stamp.to_string());
            } else {
                expected.push(old.stamp.to_string());
            }
        }
        let reported: Vec<String> = merged
            .conflicts
            .iter()
            .map(|c| c.loser.stamp.to_string())
            .collect();
        assert_eq!(
            reported, expected,
            "a merge reports exactly the concurrent losses"
        );
        for key in &merged.changed {
            match merged.state.body(key) {
                Some(body) => self.database.insert(key.clone(), body.clone()),
                None => self.database.remove(key),
            };
        }
        seen.reported.extend(merged.conflicts.iter().cloned());
        self.conflicts.add(merged.conflicts);
        self.state = merged.state;
        self.conflicts.settle(&self.state);
        received.deferred.len()
    }
}

/// What the harness saw over a run.
#[derive(Default)]
struct Observed {
    /// Every conflict any merge reported.
    reported: Vec<Conflict>,
    /// Versions replaced by concurrent ones with the same content (not conflicts).
    benign: BTreeSet<String>,
}

fn keys() -> Vec<RecordKey> {
    let mut keys: Vec<RecordKey> = (0..4)
        .map(|i| RecordKey::new(Kind::Combo, format!("c{i}")))
        .collect();
    keys.push(RecordKey::new(Kind::Settings, "routing"));
    keys.push(RecordKey::new(Kind::Credential, "openai"));
    keys
}

/// One run; returns how many records were held back on the way.
fn run(seed: u64) -> usize {
    let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
    let count = 3 + rng.below(3) as usize;
    let fast_clock = seed % 4 == 0;
    let mut devices: Vec<Device> = (0..count)
        .map(|index| {
            let mut id = [0u8; 16];
            id[0] = index as u8;
            id[15] = rng.below(256) as u8;
            Device {
                clock: Clock::new(DeviceId::from_bytes(id)),
                state: State::new(),
                database: BTreeMap::new(),
                conflicts: ConflictList::new(),
                skew: if fast_clock && index == 0 {
                    30 * HOUR as i64
                } else {
                    rng.below(4 * HOUR) as i64 - 2 * HOUR as i64
                },
            }
        })
        .collect();
    let keys = keys();
    let mut published: Vec<State> = vec![State::new(); count];
    let mut created: Vec<(RecordKey, Record)> = Vec::new();
    let mut seen = Observed::default();
    let mut deferred = 0;
    let mut now = START;
    let mut next_body = 0u64;

    for _ in 0..150 {
        now += rng.below(20_000);
        let at = rng.below(count as u64) as usize;
        let device = &mut devices[at];
        match rng.below(100) {
            0..=34 => {
                let key = keys[rng.below(keys.len() as u64) as usize].clone();
                next_body += 1;
                device
                    .database
                    .insert(key, json!({"v": next_body, "by": at}));
                device.journal(now, &mut created);
            }
            35..=44 => {
                let key = &keys[rng.below(keys.len() as u64) as usize];
                device.database.remove(key);
                device.journal(now, &mut created);
            }
            45..=49 => {
                // The machine's clock is set back (or forward) by up to an hour.
                device.skew += rng.below(2 * HOUR) as i64 - HOUR as i64;
            }
            50..=52 => {
                let oldest = device.conflicts.entries().last().map(|c| c.id());
                if let Some(id) = oldest {
                    let wall = device.wall(now);
                    let (key, record) = device
                        .conflicts
                        .restore(&id, &mut device.state, &mut device.clock, wall)
                        .unwrap();
                    match &record.body {
                        Some(body) => device.database.insert(key.clone(), body.clone()),
                        None => device.database.remove(&key),
                    };
                    created.push((key, record));
                }
            }
            53..=69 => published[at] = device.state.clone(),
            _ => {
                let from = rng.below(count as u64) as usize;
                let remote = published[from].clone();
                deferred += devices[at].receive(&remote, now, &mut seen);
            }
        }
    }
    assert!(
        fast_clock || deferred == 0,
        "seed {seed}: only a fast clock's records wait"
    );

    // Two days later (so the fast clock's records are within the bound), everyone publishes,
    // then everyone merges everyone.
    now += 2 * 24 * HOUR;
    for (index, device) in devices.iter().enumerate() {
        published[index] = device.state.clone();
    }
    for device in &mut devices {
        for remote in &published {
            assert_eq!(device.receive(remote, now, &mut seen), 0);
        }
    }

    let reference = devices[0].state.clone();
    for (index, device) in devices.iter().enumerate() {
        assert_eq!(
            device.state, reference,
            "seed {seed}: device {index} differs"
        );
        let live: BTreeMap<RecordKey, Value> = device
            .state
            .live()
            .map(|(key, body)| (key.clone(), body.clone()))
            .collect();
        assert_eq!(
            device.database, live,
            "seed {seed}: device {index}'s database"
        );
    }

    // Heads: versions no other version descends from. Each one but the final is a version
    // overwritten without having been seen, and must have been reported somewhere.
    let losers: BTreeSet<String> = seen
        .reported
        .iter()
        .map(|c| c.loser.stamp.to_string())
        .collect();
    for (key, version) in &created {
        let superseded = created.iter().any(|(other_key, other)| {
            other_key == key && other.stamp != version.stamp && other.descends_from(version)
        });
        let is_final = reference.get(key).is_some_and(|r| r.stamp == version.stamp);
        if !superseded && !is_final {
            let stamp = version.stamp.to_string();
            assert!(
                losers.contains(&stamp) || seen.benign.contains(&stamp),
                "seed {seed}: lost version {} of {key:?} reported nowhere",
                version.stamp
            );
        }
    }
    for conflict in &seen.reported {
        assert!(
            !conflict.winner.descends_from(&conflict.loser),
            "seed {seed}: false conflict"
        );
        assert!(conflict.winner.stamp > conflict.loser.stamp);
        assert_ne!(conflict.winner.body, conflict.loser.body);
    }
    deferred
}

#[test]
fn random_interleavings_converge_and_report_every_lost_version() {
    let deferred: usize = (0..300).map(run).sum();
    assert!(
        deferred > 0,
        "the fast clocks' records waited at least once"
    );
}

#[test]
fn merge_is_commutative_associative_and_idempotent() {
    let mut rng = Rng(42);
    let keys = keys();
    for _ in 0..200 {
        let mut states: Vec<State> = Vec::new();
        let mut shared = State::new();
        let mut clocks: Vec<Clock> = (1..=3u8)
            .map(|i| Clock::new(DeviceId::from_bytes([i; 16])))
            .collect();
        for _ in 0..3 {
            let mut state = shared.clone();
            for clock in clocks.iter_mut().take(1 + rng.below(3) as usize) {
                for _ in 0..rng.below(6) {
                    let key = keys[rng.below(keys.len() as u64) as usize].clone();
                    let body = rng.chance(75).then(|| json!(rng.below(1000)));
                    state.edit(key, body, clock, START + rng.below(HOUR));
                }
            }
            if rng.chance(50) {
                shared = state.clone();
            }
            states.push(state);
        }
        let [a, b, c] = [&states[0], &states[1], &states[2]];
        assert_eq!(merge(a, b).state, merge(b, a).state);
        assert_eq!(
            merge(&merge(a, b).state, c).state,
            merge(a, &merge(b, c).state).state
        );
        assert_eq!(merge(a, a).state, *a);
        let ab = merge(a, b).state;
        let again = merge(&ab, b);
        assert_eq!(again.state, ab);
        assert!(again.changed.is_empty() && again.conflicts.is_empty());
    }
}
