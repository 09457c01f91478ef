//! Local changes without tracking edits: the gateway hands over its database's current records
//! and [`record_local_changes`] compares them with the synced state — what was last merged or
//! published — turning every difference into a local edit (created or changed: the new body;
//! gone: a tombstone), stamped by the device's clock. Called after a management write, it
//! costs one comparison per record.
//!
//! The state holds every body already (it is what the device publishes), so bodies are compared
//! as JSON values — no separate hashes to keep in step. The gateway must write the records a
//! merge changed before the next call: a row it could not apply would otherwise look like a
//! local edit that undoes the remote one.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::hlc::Clock;
use crate::record::{Kind, Record, RecordKey, Scope, State};

/// Records the differences between `current` and `state` as local edits made at `now_ms`, and
/// returns the new versions.
///
/// `current` must hold every record of each kind in `complete_kinds` (a kind left out is
/// compared not at all, so a partial read deletes nothing); kinds outside `scope` are ignored.
pub fn record_local_changes(
    state: &mut State,
    current: &BTreeMap<RecordKey, Value>,
    complete_kinds: &[Kind],
    scope: Scope,
    clock: &mut Clock,
    now_ms: u64,
) -> Vec<(RecordKey, Record)> {
    let compared: BTreeSet<Kind> = complete_kinds
        .iter()
        .copied()
        .filter(|kind| scope.includes(*kind))
        .collect();
    let mut edits: Vec<(RecordKey, Option<Value>)> = current
        .iter()
        .filter(|(key, body)| compared.contains(&key.kind) && state.body(key) != Some(*body))
        .map(|(key, body)| (key.clone(), Some(body.clone())))
        .collect();
    edits.extend(
        state
            .live()
            .filter(|(key, _)| compared.contains(&key.kind) && !current.contains_key(*key))
            .map(|(key, _)| ((*key).clone(), None)),
    );
    edits
        .into_iter()
        .map(|(key, body)| {
            let record = state.edit(key.clone(), body, clock, now_ms);
            (key, record)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::hlc::DeviceId;

    const A: DeviceId = DeviceId::from_bytes([7; 16]);

    fn combo(id: &str) -> RecordKey {
        RecordKey::new(Kind::Combo, id)
    }

    fn changes(
        state: &mut State,
        current: &BTreeMap<RecordKey, Value>,
        clock: &mut Clock,
        now: u64,
    ) -> Vec<(RecordKey, Option<Value>)> {
        record_local_changes(state, current, &Kind::ALL, Scope::default(), clock, now)
            .into_iter()
            .map(|(key, record)| (key, record.body))
            .collect()
    }

    #[test]
    fn creation_edit_and_deletion_are_detected_and_nothing_else() {
        let mut state = State::new();
        let mut clock = Clock::new(A);
        let mut db = BTreeMap::new();
        assert!(changes(&mut state, &db, &mut clock, 1).is_empty());

        db.insert(combo("a"), json!({"models": ["m1"]}));
        db.insert(combo("b"), json!({"models": ["m2"]}));
        let created = changes(&mut state, &db, &mut clock, 2);
        assert_eq!(created.len(), 2);
        assert!(
            changes(&mut state, &db, &mut clock, 3).is_empty(),
            "no change, no records"
        );

        db.insert(combo("a"), json!({"models": ["m1", "m3"]}));
        let edited = changes(&mut state, &db, &mut clock, 4);
        assert_eq!(
            edited,
            vec![(combo("a"), Some(json!({"models": ["m1", "m3"]})))]
        );
        let stamp_after_edit = state.get(&combo("a")).unwrap().stamp;

        db.remove(&combo("b"));
        let deleted = changes(&mut state, &db, &mut clock, 5);
        assert_eq!(deleted, vec![(combo("b"), None)]);
        assert!(state.get(&combo("b")).unwrap().is_tombstone());
        assert!(
            changes(&mut state, &db, &mut clock, 6).is_empty(),
            "a tombstone is not re-deleted"
        );
        assert_eq!(state.get(&combo("a")).unwrap().stamp, stamp_after_edit);

        // Created again after deletion: a new version above the tombstone.
        db.insert(combo("b"), json!({"models": []}));
        let recreated = changes(&mut state, &db, &mut clock, 7);
        assert_eq!(recreated.len(), 1);
        assert!(!state.get(&combo("b")).unwrap().is_tombstone());
    }

    #[test]
    fn partial_reads_and_out_of_scope_kinds_delete_nothing() {
        let mut state = State::new();
        let mut clock = Clock::new(A);
        let mut db = BTreeMap::new();
        db.insert(combo("a"), json!(1));
        db.insert(RecordKey::new(Kind::Alias, "x"), json!("y"));
        db.insert(RecordKey::new(Kind::Credential, "k"), json!("sk-secret"));
        let created = changes(&mut state, &db, &mut clock, 1);
        assert_eq!(created.len(), 2, "credentials are out of the default scope");
        assert!(state.get(&RecordKey::new(Kind::Credential, "k")).is_none());

        let only_combos = BTreeMap::from([(combo("a"), json!(1))]);
        let none = record_local_changes(
            &mut state,
            &only_combos,
            &[Kind::Combo],
            Scope::default(),
            &mut clock,
            2,
        );
        assert!(none.is_empty(), "aliases were not read, so none is deleted");
    }
}
