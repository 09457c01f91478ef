//! Merging what another device published into what this device holds.
//!
//! [`merge`] keeps, for every record, the version with the higher [`Stamp`] —
//! a pure function of the two states that is commutative, associative and idempotent (the
//! maximum over a total order), so devices that merge each other's snapshots in any order and
//! any number of times end with the same state. Causality needs no special case: an edit is
//! always stamped above the version it was made from ([`State::edit`]).
//!
//! When a version this device held is replaced by one that was made without seeing it
//! (concurrently: its [`VersionVector`](crate::VersionVector) does not cover it), the replaced
//! version is reported as a [`Conflict`]: the device whose edit was overridden is the one that
//! learns of it, and can restore it ([`crate::ConflictList::restore`]). A remote version that
//! loses to this device's is not reported here — its own device reports it when it merges this
//! one. A deletion and a concurrent edit are no different: the higher stamp wins, the other is
//! a conflict, so a week-old edit of a record deleted since stays deleted, and a deletion that
//! lost to a later edit shows up as a conflict on the device that deleted. A concurrent version
//! with the same content as the one it replaces is not a conflict: nothing is lost.
//!
//! [`receive`] is the step before: it leaves out of scope kinds (credentials when off) and
//! records stamped too far in the future for this clock (held back, reported, and accepted by a
//! later run once real time has caught up — see [`crate::hlc`]).

use std::cmp::Ordering;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::hlc::{Clock, DeviceId, Stamp};
use crate::record::{Kind, Record, RecordKey, Scope, State};

/// A version that lost to a concurrent one on this device, kept so the user can restore it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct Conflict {
    pub kind: Kind,
    /// The record's id within its kind.
    pub record_id: String,
    /// The version now in effect.
    pub winner: Record,
    /// The version it replaced without having seen it.
    pub loser: Record,
}

impl Conflict {
    /// A stable id for the conflict: the loser's stamp, unique to one edit of one device.
    pub fn id(&self) -> String {
        self.loser.stamp.to_string()
    }

    pub fn key(&self) -> RecordKey {
        RecordKey::new(self.kind, self.record_id.clone())
    }
}

/// The outcome of a merge.
#[derive(Debug, Clone, PartialEq)]
pub struct Merged {
    /// The merged state: store it, publish it.
    pub state: State,
    /// Versions this device held that lost to concurrent ones.
    pub conflicts: Vec<Conflict>,
    /// Records whose content differs from the local state's (created, changed or deleted):
    /// what the gateway writes to its database. A version that changes only the stamp is not
    /// listed.
    pub changed: Vec<RecordKey>,
}

/// Merges `remote` into `local`. Pure: the same two states always give the same result, and
/// the state part is the same whichever side is which.
pub fn merge(local: &State, remote: &State) -> Merged {
    let mut records: BTreeMap<RecordKey, Record> = local.clone().into_map();
    let mut conflicts = Vec::new();
    let mut changed = Vec::new();
    for (key, incoming) in remote.records() {
        match records.get(key) {
            None => {
                if incoming.body.is_some() {
                    changed.push(key.clone());
                }
                records.insert(key.clone(), incoming.clone());
            }
            Some(held) => {
                if outranks(incoming, held) != Ordering::Greater {
                    continue;
                }
                if incoming.body != held.body {
                    changed.push(key.clone());
                }
                // Concurrent versions with the same content lose nothing: two devices that set a
                // setting to the same value, or paired with the same defaults.
                if !incoming.descends_from(held) && incoming.body != held.body {
                    conflicts.push(Conflict {
                        kind: key.kind,
                        record_id: key.id.clone(),
                        winner: incoming.clone(),
                        loser: held.clone(),
                    });
                }
                records.insert(key.clone(), incoming.clone());
            }
        }
    }
    Merged {
        state: State::from_map(records),
        conflicts,
        changed,
    }
}

/// Which of two versions of one record wins: the higher stamp. Two different versions with one
/// stamp cannot come from devices that follow the protocol; should a corrupt one appear, the
/// larger encoding wins so that every device still picks the same.
fn outranks(a: &Record, b: &Record) -> Ordering {
    a.stamp.cmp(&b.stamp).then_with(|| {
        if a == b {
            Ordering::Equal
        } else {
            let encode = |record: &Record| serde_json::to_string(record).unwrap_or_default();
            encode(a).cmp(&encode(b))
        }
    })
}

/// A record held back because its stamp is too far ahead of this machine's clock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deferred {
    pub key: RecordKey,
    pub stamp: Stamp,
    pub ahead_ms: u64,
}

impl Deferred {
    /// The device whose clock is ahead.
    pub fn device(&self) -> DeviceId {
        self.stamp.device
    }
}

/// The outcome of receiving a remote snapshot.
#[derive(Debug, Clone, PartialEq)]
pub struct Received {
    pub merged: Merged,
    /// Records left out for now, to be accepted by a later run.
    pub deferred: Vec<Deferred>,
}

/// Merges a remote device's state into `local`: only kinds in `scope`, and only records whose
/// stamps `clock` accepts at `now_ms` (the clock observes them, so later local edits outrank
/// them). Everything else is as [`merge`].
pub fn receive(
    local: &State,
    remote: &State,
    scope: Scope,
    clock: &mut Clock,
    now_ms: u64,
) -> Received {
    let mut admitted = BTreeMap::new();
    let mut deferred = Vec::new();
    for (key, record) in remote.records() {
        if !scope.includes(key.kind) {
            continue;
        }
        match clock.observe(&record.stamp, now_ms) {
            Ok(()) => {
                admitted.insert(key.clone(), record.clone());
            }
            Err(too_far) => deferred.push(Deferred {
                key: key.clone(),
                stamp: record.stamp,
                ahead_ms: too_far.ahead_ms,
            }),
        }
    }
    let merged = merge(local, &State::from_map(admitted));
    Received { merged, deferred }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::hlc::MAX_FORWARD_DRIFT_MS;

    const A: DeviceId = DeviceId::from_bytes([1; 16]);
    const B: DeviceId = DeviceId::from_bytes([2; 16]);

    fn key(id: &str) -> RecordKey {
        RecordKey::new(Kind::Combo, id)
    }

    #[test]
    fn a_descendant_replaces_quietly_and_a_concurrent_edit_is_a_conflict() {
        let (mut a_clock, mut b_clock) = (Clock::new(A), Clock::new(B));
        let mut a = State::new();
        a.edit(key("x"), Some(json!("v1")), &mut a_clock, 100);
        let mut b = merge(&State::new(), &a).state;
        assert_eq!(b, a);

        // B edits from A's version: a descendant.
        b.edit(key("x"), Some(json!("v2")), &mut b_clock, 200);
        let merged = merge(&a, &b);
        assert_eq!(merged.changed, vec![key("x")]);
        assert!(merged.conflicts.is_empty());
        a = merged.state;

        // Both edit concurrently; B's is later.
        a.edit(key("x"), Some(json!("a3")), &mut a_clock, 300);
        b.edit(key("x"), Some(json!("b3")), &mut b_clock, 400);
        let at_a = merge(&a, &b);
        assert_eq!(at_a.conflicts.len(), 1);
        assert_eq!(at_a.conflicts[0].loser.body, Some(json!("a3")));
        assert_eq!(at_a.conflicts[0].winner.body, Some(json!("b3")));
        let at_b = merge(&b, &a);
        assert!(at_b.conflicts.is_empty(), "B's own version won");
        assert!(at_b.changed.is_empty());
        assert_eq!(at_a.state, at_b.state);
    }

    #[test]
    fn concurrent_versions_with_the_same_content_are_no_conflict() {
        let (mut a_clock, mut b_clock) = (Clock::new(A), Clock::new(B));
        let (mut a, mut b) = (State::new(), State::new());
        let defaults = json!({"strategy": "priority"});
        a.edit(key("routing"), Some(defaults.clone()), &mut a_clock, 1);
        b.edit(key("routing"), Some(defaults), &mut b_clock, 2);
        let at_a = merge(&a, &b);
        assert!(at_a.conflicts.is_empty() && at_a.changed.is_empty());
        assert_eq!(at_a.state, merge(&b, &a).state);
    }

    #[test]
    fn deletion_and_edit_are_decided_by_stamp() {
        let (mut a_clock, mut b_clock) = (Clock::new(A), Clock::new(B));
        let mut a = State::new();
        a.edit(key("x"), Some(json!(1)), &mut a_clock, 100);
        let mut b = a.clone();
        b.edit(key("x"), None, &mut b_clock, 300);
        a.edit(key("x"), Some(json!(2)), &mut a_clock, 200);
        let at_a = merge(&a, &b);
        assert_eq!(at_a.state.body(&key("x")), None);
        assert_eq!(at_a.changed, vec![key("x")]);
        assert_eq!(at_a.conflicts[0].loser.body, Some(json!(2)));
        assert!(at_a.conflicts[0].winner.is_tombstone());
    }

    #[test]
    fn a_new_tombstone_from_remote_is_stored_but_changes_nothing_locally() {
        let mut remote = State::new();
        let mut clock = Clock::new(B);
        remote.edit(key("gone"), Some(json!(1)), &mut clock, 1);
        remote.edit(key("gone"), None, &mut clock, 2);
        let merged = merge(&State::new(), &remote);
        assert!(merged.changed.is_empty());
        assert!(merged.state.get(&key("gone")).unwrap().is_tombstone());
    }

    #[test]
    fn receive_holds_back_far_future_records_and_leaves_out_of_scope_kinds() {
        let now = 1_000 * MAX_FORWARD_DRIFT_MS;
        let mut remote = State::new();
        let mut remote_clock = Clock::new(B);
        remote.edit(key("soon"), Some(json!(1)), &mut remote_clock, now + 60_000);
        let credential = RecordKey::new(Kind::Credential, "openai");
        remote.edit(
            credential.clone(),
            Some(json!("sk-1")),
            &mut remote_clock,
            now,
        );
        let far = now + 3 * MAX_FORWARD_DRIFT_MS;
        remote.edit(key("later"), Some(json!(2)), &mut remote_clock, far);

        let mut clock = Clock::new(A);
        let received = receive(&State::new(), &remote, Scope::default(), &mut clock, now);
        assert_eq!(received.merged.changed, vec![key("soon")]);
        assert_eq!(received.deferred.len(), 1);
        assert_eq!(received.deferred[0].key, key("later"));
        assert_eq!(received.deferred[0].device(), B);
        assert!(clock.tick(now).wall_ms < far);

        // Two days later the same snapshot is accepted in full.
        let later = now + 2 * MAX_FORWARD_DRIFT_MS + 1;
        let received = receive(
            &received.merged.state,
            &remote,
            Scope::ALL,
            &mut clock,
            later,
        );
        assert!(received.deferred.is_empty());
        assert_eq!(received.merged.changed, vec![credential, key("later")]);
    }

    #[test]
    fn equal_stamps_with_different_content_still_pick_one_winner_everywhere() {
        let mut clock = Clock::new(A);
        let mut one = State::new();
        one.edit(key("x"), Some(json!("p")), &mut clock, 5);
        let mut other: BTreeMap<_, _> = one.clone().into_map();
        other.get_mut(&key("x")).unwrap().body = Some(json!("q"));
        let other = State::from_map(other);
        assert_eq!(merge(&one, &other).state, merge(&other, &one).state);
    }
}
