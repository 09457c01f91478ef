//! The device's list of versions that lost to concurrent edits, kept locally (the gateway
//! persists it beside the state) so the user can look at each and restore it.
//!
//! Restoring is an ordinary local edit: a fresh stamp, made from the version now in effect,
//! with the loser's body — so it wins everywhere and, like any edit, can itself conflict. An
//! entry goes away when the user restores or dismisses it, or when the record's content in
//! effect is the loser's again (restored on another device, or the same change made again):
//! nothing is left to restore then. The list keeps the newest [`MAX_CONFLICTS`].

use serde::{Deserialize, Serialize};

use crate::hlc::Clock;
use crate::merge::Conflict;
use crate::record::{Record, RecordKey, State};

/// Conflicts kept per device; older ones are dropped first.
pub const MAX_CONFLICTS: usize = 200;

/// The conflicts of one device, newest loser first.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ConflictList {
    entries: Vec<Conflict>,
}

impl ConflictList {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn entries(&self) -> &[Conflict] {
        &self.entries
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn get(&self, id: &str) -> Option<&Conflict> {
        self.entries.iter().find(|conflict| conflict.id() == id)
    }

    /// Adds what a merge reported. A loser already listed keeps its first entry.
    pub fn add(&mut self, conflicts: impl IntoIterator<Item = Conflict>) {
        for conflict in conflicts {
            if !self
                .entries
                .iter()
                .any(|held| held.loser.stamp == conflict.loser.stamp)
            {
                self.entries.push(conflict);
            }
        }
        self.entries
            .sort_by_key(|conflict| std::cmp::Reverse(conflict.loser.stamp));
        self.entries.truncate(MAX_CONFLICTS);
    }

    /// Drops the entries whose loser's content is in effect again: nothing left to restore.
    pub fn settle(&mut self, state: &State) {
        self.entries.retain(|conflict| {
            let current = state.get(&conflict.key()).map(|record| &record.body);
            current != Some(&conflict.loser.body)
        });
    }

    /// Forgets a conflict, keeping the version in effect. False if there is no such entry.
    pub fn dismiss(&mut self, id: &str) -> bool {
        let before = self.entries.len();
        self.entries.retain(|conflict| conflict.id() != id);
        self.entries.len() != before
    }

    /// Puts the loser's content back as a new local edit made at `now_ms` and drops the entry.
    /// Returns the record and its new version, or `None` for an unknown id. The gateway writes
    /// the body to its database too — otherwise the next [`crate::record_local_changes`] sees
    /// the database's older content as a newer local edit and undoes the restore.
    pub fn restore(
        &mut self,
        id: &str,
        state: &mut State,
        clock: &mut Clock,
        now_ms: u64,
    ) -> Option<(RecordKey, Record)> {
        let position = self
            .entries
            .iter()
            .position(|conflict| conflict.id() == id)?;
        let conflict = self.entries.remove(position);
        let key = conflict.key();
        let record = state.edit(key.clone(), conflict.loser.body, clock, now_ms);
        Some((key, record))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::hlc::DeviceId;
    use crate::merge::merge;
    use crate::record::Kind;

    const A: DeviceId = DeviceId::from_bytes([1; 16]);
    const B: DeviceId = DeviceId::from_bytes([2; 16]);

    /// A and B edit one record concurrently; B's edit wins. Returns A's view after merging.
    fn lost_on_a() -> (State, State, Clock, Clock, ConflictList) {
        let (mut a_clock, mut b_clock) = (Clock::new(A), Clock::new(B));
        let key = RecordKey::new(Kind::Alias, "fast");
        let mut a = State::new();
        let mut b = State::new();
        a.edit(key.clone(), Some(json!("model-a")), &mut a_clock, 10);
        b.edit(key, Some(json!("model-b")), &mut b_clock, 20);
        let merged = merge(&a, &b);
        let mut list = ConflictList::new();
        list.add(merged.conflicts.clone());
        list.add(merged.conflicts);
        (merged.state, b, a_clock, b_clock, list)
    }

    #[test]
    fn restoring_wins_everywhere_and_clears_the_entry() {
        let (mut a, b, mut a_clock, _, mut list) = lost_on_a();
        assert_eq!(list.len(), 1, "a loser is listed once");
        let id = list.entries()[0].id();
        let (_, restored) = list.restore(&id, &mut a, &mut a_clock, 15).unwrap();
        assert_eq!(restored.body, Some(json!("model-a")));
        assert!(list.is_empty());
        let at_b = merge(&b, &a);
        assert!(
            at_b.conflicts.is_empty(),
            "the restore was made from B's version"
        );
        assert_eq!(
            at_b.state.body(&RecordKey::new(Kind::Alias, "fast")),
            Some(&json!("model-a"))
        );
        assert!(list.restore(&id, &mut a, &mut a_clock, 16).is_none());
    }

    #[test]
    fn settle_drops_a_conflict_restored_elsewhere_and_dismiss_forgets() {
        let (a, mut b, _, mut b_clock, mut list) = lost_on_a();
        list.settle(&a);
        assert_eq!(list.len(), 1, "the winner is still in effect");
        b.edit(
            RecordKey::new(Kind::Alias, "fast"),
            Some(json!("model-a")),
            &mut b_clock,
            30,
        );
        list.settle(&merge(&a, &b).state);
        assert!(list.is_empty());

        let (_, _, _, _, mut list) = lost_on_a();
        let id = list.entries()[0].id();
        assert!(list.dismiss(&id));
        assert!(!list.dismiss(&id));
        assert!(list.get(&id).is_none());
    }
}
