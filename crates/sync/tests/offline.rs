//! A device that spends a week offline (its clock injected, and set back on the way) comes back:
//! what it created arrives everywhere, its stale edit of a record deleted meanwhile does not
//! bring the record back (it loses by stamp and shows up in its conflicts, restorable), and an
//! edit it made *after* the deletion wins by stamp while the deleting device is told.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests"
)]

use std::collections::BTreeMap;

use omniroute_sync::{
    Clock, ConflictList, DeviceId, KdfParams, Kind, RecordKey, Scope, Snapshot, State, SyncKeys,
    open_snapshot, receive, record_local_changes, seal_snapshot,
};
use serde_json::{Value, json};

const DAY: u64 = 24 * 3_600_000;
const MONDAY: u64 = 1_750_000_000_000;

/// A device with its database, synced state and conflicts, publishing through sealed bytes as
/// it would through a hub.
struct Device {
    clock: Clock,
    state: State,
    database: BTreeMap<RecordKey, Value>,
    conflicts: ConflictList,
}

impl Device {
    fn new(byte: u8) -> Self {
        Self {
            clock: Clock::new(DeviceId::from_bytes([byte; 16])),
            state: State::new(),
            database: BTreeMap::new(),
            conflicts: ConflictList::new(),
        }
    }

    fn write(&mut self, key: &RecordKey, body: Option<Value>, now: u64) {
        match body {
            Some(body) => self.database.insert(key.clone(), body),
            None => self.database.remove(key),
        };
        let scope = Scope::default();
        record_local_changes(
            &mut self.state,
            &self.database,
            &Kind::ALL,
            scope,
            &mut self.clock,
            now,
        );
    }

    fn publish(&self, keys: &SyncKeys, now: u64) -> (DeviceId, Vec<u8>) {
        let device = self.clock.device();
        let snapshot = Snapshot::new(device, now, &self.state, Scope::default());
        (device, seal_snapshot(&snapshot, keys).unwrap())
    }

    fn merge_from(&mut self, object: &(DeviceId, Vec<u8>), keys: &SyncKeys, now: u64) -> usize {
        let snapshot = open_snapshot(&object.1, keys, object.0).unwrap();
        let received = receive(
            &self.state,
            &snapshot.state,
            Scope::default(),
            &mut self.clock,
            now,
        );
        assert!(received.deferred.is_empty());
        let merged = received.merged;
        for key in &merged.changed {
            match merged.state.body(key) {
                Some(body) => self.database.insert(key.clone(), body.clone()),
                None => self.database.remove(key),
            };
        }
        let conflicts = merged.conflicts.len();
        self.conflicts.add(merged.conflicts);
        self.state = merged.state;
        conflicts
    }
}

fn keys() -> SyncKeys {
    SyncKeys::from_passphrase(
        "a week in a drawer, then back",
        KdfParams::INSECURE_FOR_TESTS,
    )
    .unwrap()
}

fn combo(id: &str) -> RecordKey {
    RecordKey::new(Kind::Combo, id)
}

/// Server and wanderer share `doomed` and `kept`; returns them in sync on Monday.
fn in_sync(keys: &SyncKeys) -> (Device, Device) {
    let mut server = Device::new(1);
    let mut wanderer = Device::new(2);
    server.write(&combo("doomed"), Some(json!({"models": ["m1"]})), MONDAY);
    server.write(&combo("kept"), Some(json!({"models": ["m2"]})), MONDAY);
    let object = server.publish(keys, MONDAY);
    wanderer.merge_from(&object, keys, MONDAY + 1_000);
    assert_eq!(wanderer.database, server.database);
    (server, wanderer)
}

#[test]
fn a_stale_edit_of_a_deleted_record_does_not_resurrect_it_and_new_records_arrive() {
    let keys = keys();
    let (mut server, mut wanderer) = in_sync(&keys);

    // Monday evening, offline: the wanderer edits `doomed` and creates `fresh`.
    wanderer.write(
        &combo("doomed"),
        Some(json!({"models": ["m1", "stale"]})),
        MONDAY + DAY / 2,
    );
    wanderer.write(
        &combo("fresh"),
        Some(json!({"models": ["m3"]})),
        MONDAY + DAY / 2 + 1,
    );
    // Tuesday: the server deletes `doomed` and edits `kept`.
    server.write(&combo("doomed"), None, MONDAY + DAY);
    server.write(
        &combo("kept"),
        Some(json!({"models": ["m2", "m4"]})),
        MONDAY + DAY,
    );
    let servers = server.publish(&keys, MONDAY + DAY);

    // The wanderer is back, but its clock was reset on the way and now reads earlier than its
    // own last edit (the server's clock reads a week later).
    let back = MONDAY + DAY / 2 - 3_600_000;
    let lost = wanderer.merge_from(&servers, &keys, back);
    assert_eq!(lost, 1, "the stale edit lost, and the wanderer is told");
    assert!(
        !wanderer.database.contains_key(&combo("doomed")),
        "not resurrected"
    );
    assert_eq!(
        wanderer.database[&combo("kept")],
        json!({"models": ["m2", "m4"]})
    );
    let conflict = &wanderer.conflicts.entries()[0];
    assert_eq!(
        conflict.loser.body,
        Some(json!({"models": ["m1", "stale"]}))
    );
    assert!(conflict.winner.is_tombstone());

    let wanderers = wanderer.publish(&keys, back);
    assert_eq!(server.merge_from(&wanderers, &keys, MONDAY + 7 * DAY), 0);
    assert_eq!(server.database[&combo("fresh")], json!({"models": ["m3"]}));
    assert!(!server.database.contains_key(&combo("doomed")));
    assert_eq!(server.state, wanderer.state);

    // The user restores the stale edit on the wanderer: it now wins everywhere.
    let id = conflict.id();
    let (key, restored) = wanderer
        .conflicts
        .restore(&id, &mut wanderer.state, &mut wanderer.clock, back)
        .unwrap();
    wanderer.database.insert(key, restored.body.unwrap());
    let wanderers = wanderer.publish(&keys, back);
    assert_eq!(server.merge_from(&wanderers, &keys, MONDAY + 7 * DAY), 0);
    assert_eq!(
        server.database[&combo("doomed")],
        json!({"models": ["m1", "stale"]})
    );
}

#[test]
fn an_edit_made_after_the_deletion_wins_and_the_deleting_device_is_told() {
    let keys = keys();
    let (mut server, mut wanderer) = in_sync(&keys);
    server.write(&combo("doomed"), None, MONDAY + DAY);
    let servers = server.publish(&keys, MONDAY + DAY);
    // Friday, still offline, the wanderer edits the record the server deleted on Tuesday.
    wanderer.write(
        &combo("doomed"),
        Some(json!({"models": ["friday"]})),
        MONDAY + 4 * DAY,
    );

    assert_eq!(
        wanderer.merge_from(&servers, &keys, MONDAY + 7 * DAY),
        0,
        "its edit is later"
    );
    let wanderers = wanderer.publish(&keys, MONDAY + 7 * DAY);
    assert_eq!(server.merge_from(&wanderers, &keys, MONDAY + 7 * DAY), 1);
    assert_eq!(
        server.database[&combo("doomed")],
        json!({"models": ["friday"]})
    );
    assert!(
        server.conflicts.entries()[0].loser.is_tombstone(),
        "the lost deletion is listed"
    );
    assert_eq!(server.state, wanderer.state);
}

#[test]
fn tombstones_outlive_a_long_absence() {
    let keys = keys();
    let (mut server, wanderer) = in_sync(&keys);
    // The server deletes, then a month of unrelated edits; the wanderer never came back yet.
    server.write(&combo("doomed"), None, MONDAY + DAY);
    for day in 2..30 {
        server.write(
            &combo("kept"),
            Some(json!({"day": day})),
            MONDAY + day * DAY,
        );
    }
    // The wanderer's untouched old state arrives at the server: nothing comes back.
    let wanderers = wanderer.publish(&keys, MONDAY + 30 * DAY);
    assert_eq!(server.merge_from(&wanderers, &keys, MONDAY + 30 * DAY), 0);
    assert!(!server.database.contains_key(&combo("doomed")));
    assert_eq!(server.database[&combo("kept")], json!({"day": 29}));
}
