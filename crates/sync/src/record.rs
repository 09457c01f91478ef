//! What is synced: records addressed by `(kind, id)`, each the latest version known of one
//! provider connection, combo, settings section…, and the [`State`] of all of them a device
//! holds. Bodies are opaque JSON: this crate does not know the gateway's types.
//!
//! A version carries its [`Stamp`] and a [`VersionVector`] — for each device that edited the
//! record along its lineage, that device's latest edit included. The vector is what tells an
//! edit made *after* seeing another version (a descendant: replaces it quietly) from one made
//! *without* seeing it (concurrent: the loser becomes a conflict). A single `base` stamp could
//! not tell them apart once a device has missed intermediate versions (A edits twice, B saw only
//! the first: the second's base is not the version B holds, yet it descends from it). The vector
//! stays small: one entry per device that ever edited that one record.
//!
//! Deletions are tombstones (`body: None`) and are kept: a device offline for a week still holds
//! the live version, and only the tombstone's higher stamp stops it coming back. Dropping them
//! would need every device ever in the group to have seen them — which a device that may return
//! from a drawer cannot promise — so there is no compaction.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

use crate::error::SyncError;
use crate::hlc::{Clock, DeviceId, Stamp};

/// What a record describes. One settings record per section (`id` = the section's name).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ts_rs::TS,
)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    Connection,
    /// API keys and OAuth refresh tokens: synced only when the user turns it on ([`Scope`]).
    Credential,
    Combo,
    Alias,
    CustomModel,
    ProviderNode,
    Pricing,
    Budget,
    Settings,
}

impl Kind {
    /// Every kind, in order.
    pub const ALL: [Kind; 9] = [
        Kind::Connection,
        Kind::Credential,
        Kind::Combo,
        Kind::Alias,
        Kind::CustomModel,
        Kind::ProviderNode,
        Kind::Pricing,
        Kind::Budget,
        Kind::Settings,
    ];
}

/// Which kinds a device syncs. Credentials only when the user turned them on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Scope {
    pub credentials: bool,
}

impl Scope {
    /// Everything, credentials included.
    pub const ALL: Scope = Scope { credentials: true };

    pub fn includes(self, kind: Kind) -> bool {
        kind != Kind::Credential || self.credentials
    }
}

/// The address of a record.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct RecordKey {
    pub kind: Kind,
    pub id: String,
}

impl RecordKey {
    pub fn new(kind: Kind, id: impl Into<String>) -> Self {
        Self {
            kind,
            id: id.into(),
        }
    }
}

/// For each device, the latest of its edits that a version includes. Sorted by device, one
/// stamp per device.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, ts_rs::TS)]
#[ts(type = "Array<string>")]
pub struct VersionVector(Vec<Stamp>);

impl VersionVector {
    /// Whether the edit stamped `stamp` is part of this version's history: a device's edits of
    /// one record are sequential, so a later edit by the same device includes the earlier ones.
    pub fn covers(&self, stamp: &Stamp) -> bool {
        self.entry(stamp.device).is_some_and(|seen| seen >= *stamp)
    }

    /// The stamps, one per device.
    pub fn stamps(&self) -> &[Stamp] {
        &self.0
    }

    fn entry(&self, device: DeviceId) -> Option<Stamp> {
        self.0.iter().find(|stamp| stamp.device == device).copied()
    }

    /// This history plus the edit `stamp`.
    fn with(&self, stamp: Stamp) -> Self {
        let mut stamps = self.0.clone();
        stamps.push(stamp);
        Self::normalized(stamps)
    }

    fn normalized(mut stamps: Vec<Stamp>) -> Self {
        // Highest first within a device, so dedup keeps the latest edit of each.
        stamps.sort_by(|a, b| a.device.cmp(&b.device).then(b.cmp(a)));
        stamps.dedup_by_key(|stamp| stamp.device);
        Self(stamps)
    }
}

impl<'de> Deserialize<'de> for VersionVector {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(Self::normalized(Vec::deserialize(deserializer)?))
    }
}

/// One version of a record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct Record {
    /// When and where this version was made; the higher stamp wins a merge.
    pub stamp: Stamp,
    /// The edits this version includes, its own among them.
    pub seen: VersionVector,
    /// The record's content; `None` = deleted (a tombstone).
    #[ts(type = "unknown")]
    pub body: Option<Value>,
}

impl Record {
    /// The device that made this version.
    pub fn device(&self) -> DeviceId {
        self.stamp.device
    }

    pub fn is_tombstone(&self) -> bool {
        self.body.is_none()
    }

    /// Whether this version was made from `other` or from something made from it.
    pub fn descends_from(&self, other: &Record) -> bool {
        self.seen.covers(&other.stamp)
    }

    /// A version made by someone who saw its history: the vector names its own stamp, and no
    /// entry is above it (an edit's stamp outranks everything it was made from).
    fn check(&self) -> Result<(), String> {
        if self.seen.entry(self.stamp.device) != Some(self.stamp) {
            return Err(format!("version {} does not include itself", self.stamp));
        }
        if self.seen.stamps().iter().any(|seen| *seen > self.stamp) {
            return Err(format!("version {} includes a later edit", self.stamp));
        }
        Ok(())
    }
}

/// Everything a device knows: the winning version of every record, tombstones included.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct State {
    records: BTreeMap<RecordKey, Record>,
}

impl State {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn get(&self, key: &RecordKey) -> Option<&Record> {
        self.records.get(key)
    }

    /// The live body of a record (`None` when unknown or deleted).
    pub fn body(&self, key: &RecordKey) -> Option<&Value> {
        self.get(key).and_then(|record| record.body.as_ref())
    }

    /// Every record, tombstones included, in key order.
    pub fn records(&self) -> impl Iterator<Item = (&RecordKey, &Record)> {
        self.records.iter()
    }

    /// The records that are not deleted, with their bodies.
    pub fn live(&self) -> impl Iterator<Item = (&RecordKey, &Value)> {
        self.records
            .iter()
            .filter_map(|(key, record)| record.body.as_ref().map(|body| (key, body)))
    }

    /// Records, tombstones included.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// The highest stamp held: what [`Clock::resume`] needs at start.
    pub fn highest_stamp(&self) -> Option<Stamp> {
        self.records.values().map(|record| record.stamp).max()
    }

    /// Records a local edit (`body: None` deletes) made at `now_ms` and returns the new
    /// version: stamped above the version it replaces, including that version's history.
    pub fn edit(
        &mut self,
        key: RecordKey,
        body: Option<Value>,
        clock: &mut Clock,
        now_ms: u64,
    ) -> Record {
        let base = self.records.get(&key);
        if let Some(base) = base {
            // The base is in this device's own state, hence trusted without the drift bound:
            // the edit must outrank it even if it is far ahead of the wall clock.
            clock.witness(base.stamp);
        }
        let stamp = clock.tick(now_ms);
        let seen = match base {
            Some(base) => base.seen.with(stamp),
            None => VersionVector::normalized(vec![stamp]),
        };
        let record = Record { stamp, seen, body };
        self.records.insert(key, record.clone());
        record
    }

    /// Local edits not yet published: this device's versions stamped after `published` (the
    /// state's [`State::highest_stamp`] when it last wrote its snapshot; `None` = never wrote
    /// one). Edits made since are stamped above it, whatever the wall clock did.
    pub fn pending_since(&self, device: DeviceId, published: Option<Stamp>) -> usize {
        self.records
            .values()
            .filter(|record| record.device() == device && Some(record.stamp) > published)
            .count()
    }

    /// The part of the state inside `scope`: what is published and what is accepted.
    pub fn scoped(&self, scope: Scope) -> State {
        let records = self
            .records
            .iter()
            .filter(|(key, _)| scope.includes(key.kind))
            .map(|(key, record)| (key.clone(), record.clone()))
            .collect();
        State { records }
    }

    pub(crate) fn from_map(records: BTreeMap<RecordKey, Record>) -> Self {
        Self { records }
    }

    pub(crate) fn into_map(self) -> BTreeMap<RecordKey, Record> {
        self.records
    }

    /// Refuses a state no well-behaved device could have written.
    pub fn validate(&self) -> Result<(), SyncError> {
        for (key, record) in &self.records {
            record.check().map_err(|reason| {
                SyncError::Corrupt(format!("{:?} {}: {reason}", key.kind, key.id))
            })?;
        }
        Ok(())
    }
}

/// The wire shape of one record in a snapshot: key and version side by side.
#[derive(Serialize, Deserialize)]
struct Entry {
    kind: Kind,
    id: String,
    #[serde(flatten)]
    record: Record,
}

impl Serialize for State {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.records.iter().map(|(key, record)| EntryRef {
            kind: key.kind,
            id: &key.id,
            record,
        }))
    }
}

#[derive(Serialize)]
struct EntryRef<'a> {
    kind: Kind,
    id: &'a str,
    #[serde(flatten)]
    record: &'a Record,
}

impl<'de> Deserialize<'de> for State {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let entries = Vec::<Entry>::deserialize(deserializer)?;
        let mut records = BTreeMap::new();
        for entry in entries {
            let key = RecordKey {
                kind: entry.kind,
                id: entry.id,
            };
            if records.insert(key.clone(), entry.record).is_some() {
                return Err(serde::de::Error::custom(format!(
                    "record {:?} {} listed twice",
                    key.kind, key.id
                )));
            }
        }
        Ok(State { records })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const A: DeviceId = DeviceId::from_bytes([1; 16]);
    const B: DeviceId = DeviceId::from_bytes([2; 16]);

    #[test]
    fn an_edit_outranks_and_includes_its_base() {
        let mut state = State::new();
        let mut a = Clock::new(A);
        let mut b = Clock::new(B);
        let key = RecordKey::new(Kind::Combo, "c1");
        let first = state.edit(key.clone(), Some(json!({"n": 1})), &mut a, 1_000);
        // B's wall clock is far behind, and B never observed A: the edit still outranks.
        let second = state.edit(key.clone(), Some(json!({"n": 2})), &mut b, 10);
        assert!(second.stamp > first.stamp);
        assert!(second.descends_from(&first));
        assert!(!first.descends_from(&second));
        assert_eq!(second.seen.stamps().len(), 2);
        let third = state.edit(key.clone(), None, &mut a, 2_000);
        assert!(third.descends_from(&first) && third.descends_from(&second));
        assert_eq!(third.seen.stamps().len(), 2, "one entry per device");
        assert!(state.get(&key).unwrap().is_tombstone());
        assert_eq!(state.live().count(), 0);
        assert_eq!(state.len(), 1);
        state.validate().unwrap();
    }

    #[test]
    fn kinds_serialize_in_kebab_case() {
        assert_eq!(
            serde_json::to_value(Kind::CustomModel).unwrap(),
            json!("custom-model")
        );
        assert_eq!(
            serde_json::to_value(Kind::ProviderNode).unwrap(),
            json!("provider-node")
        );
        assert!(!Scope::default().includes(Kind::Credential));
        assert!(Scope::default().includes(Kind::Settings));
        assert!(Scope::ALL.includes(Kind::Credential));
    }

    #[test]
    fn state_round_trips_and_rejects_inconsistent_versions() {
        let mut state = State::new();
        let mut clock = Clock::new(A);
        state.edit(
            RecordKey::new(Kind::Alias, "x"),
            Some(json!("y")),
            &mut clock,
            5,
        );
        state.edit(
            RecordKey::new(Kind::Settings, "routing"),
            None,
            &mut clock,
            6,
        );
        let text = serde_json::to_string(&state).unwrap();
        let back: State = serde_json::from_str(&text).unwrap();
        assert_eq!(back, state);
        back.validate().unwrap();

        let mut forged: Vec<Value> = serde_json::from_str(&text).unwrap();
        forged[0]["seen"] = json!([]);
        let forged: State = serde_json::from_value(Value::Array(forged)).unwrap();
        assert!(matches!(forged.validate(), Err(SyncError::Corrupt(_))));

        let twice = format!("[{0},{0}]", &text[1..text.find("},").unwrap() + 1]);
        assert!(serde_json::from_str::<State>(&twice).is_err());
    }

    #[test]
    fn pending_counts_own_edits_after_the_last_publish() {
        let mut state = State::new();
        let mut clock = Clock::new(A);
        let first = state.edit(
            RecordKey::new(Kind::Combo, "1"),
            Some(json!(1)),
            &mut clock,
            1,
        );
        state.edit(
            RecordKey::new(Kind::Combo, "2"),
            Some(json!(2)),
            &mut clock,
            2,
        );
        assert_eq!(state.pending_since(A, None), 2);
        assert_eq!(state.pending_since(A, Some(first.stamp)), 1);
        assert_eq!(state.pending_since(B, None), 0);
    }
}
