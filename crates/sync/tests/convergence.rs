//! Property test of the whole cycle, seeded so a failure replays: 3 to 5 devices whose wall
//! clocks drift apart by hours and jump backwards edit their databases (creations, edits,
//! deletions, restores of conflicts), record the changes through the journal, publish
//! snapshots and merge each other's latest published ones, in random order. Once everyone has
//! published and merged everyone: every state is the same, every database matches its state,
//! and every version lost to a concurrent edit is in some device's conflicts.
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

    fn receive(&mut self, remote: &State, now: u64, reported: &mut Vec<Conflict>) {
        let wall = self.wall(now);
        let received = receive(&self.state, remote, Scope::ALL, &mut self.clock, wall);
        assert!(received.deferred.is_empty(), "drift stays within the bound");
        let merged = received.merged;
        for key in &merged.changed {
            match merged.state.body(key) {
                Some(body) => self.database.insert(key.clone(), body.clone()),
                None => self.database.remove(key),
            };
        }
        reported.extend(merged.conflicts.iter().cloned());
        self.conflicts.add(merged.conflicts);
        self.state = merged.state;
        self.conflicts.settle(&self.state);
    }
}

fn keys() -> Vec<RecordKey> {
    let mut keys: Vec<RecordKey> = (0..4)
        .map(|i| RecordKey::new(Kind::Combo, format!("c{i}")))
        .collect();
    keys.push(RecordKey::new(Kind::Settings, "routing"));
    keys.push(RecordKey::new(Kind::Credential, "openai"));
    keys
}

fn run(seed: u64) {
    let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
    let count = 3 + rng.below(3) as usize;
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
                skew: rng.below(4 * HOUR) as i64 - 2 * HOUR as i64,
            }
        })
        .collect();
    let keys = keys();
    let mut published: Vec<State> = vec![State::new(); count];
    let mut created: Vec<(RecordKey, Record)> = Vec::new();
    let mut reported: Vec<Conflict> = Vec::new();
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
                let oldest = device.conflicts.entries().last().map(|c| (c.id(), c.key()));
                if let Some((id, key)) = oldest {
                    let wall = device.wall(now);
                    let record = device
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
                devices[at].receive(&remote, now, &mut reported);
            }
        }
    }

    // Everyone publishes, then everyone merges everyone.
    now += HOUR;
    for (index, device) in devices.iter().enumerate() {
        published[index] = device.state.clone();
    }
    for device in &mut devices {
        for remote in &published {
            device.receive(remote, now, &mut reported);
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
    let losers: BTreeSet<String> = reported.iter().map(|c| c.loser.stamp.to_string()).collect();
    for (key, version) in &created {
        let superseded = created.iter().any(|(other_key, other)| {
            other_key == key && other.stamp != version.stamp && other.descends_from(version)
        });
        let is_final = reference.get(key).is_some_and(|r| r.stamp == version.stamp);
        if !superseded && !is_final {
            assert!(
                losers.contains(&version.stamp.to_string()),
                "seed {seed}: lost version {} of {key:?} reported nowhere",
                version.stamp
            );
        }
    }
    for conflict in &reported {
        assert!(
            !conflict.winner.descends_from(&conflict.loser),
            "seed {seed}: false conflict"
        );
        assert!(conflict.winner.stamp > conflict.loser.stamp);
    }
}

#[test]
fn random_interleavings_converge_and_report_every_lost_version() {
    for seed in 0..300 {
        run(seed);
    }
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
