//! Cloud sync's core: the same providers, combos and settings on every device of a group,
//! merged without a coordinator and end-to-end encrypted. Pure: no network or disk I/O, time
//! (milliseconds since the epoch) passed in, so every rule is tested exhaustively. The gateway
//! does the I/O: reading its database, talking to the hub, keeping the state between runs.
//!
//! One sync run, as the gateway drives it:
//!
//! 1. [`record_local_changes`]: the database's records against the stored [`State`] → local
//!    edits stamped by the device's [`Clock`].
//! 2. For every other device's object listed under [`devices_folder`]: [`open_snapshot`], then
//!    [`receive`] it into the state; write [`Merged::changed`] to the database, add
//!    [`Merged::conflicts`] to the [`ConflictList`].
//! 3. [`seal_snapshot`] the state ([`Snapshot::new`]) and put it at [`snapshot_path`].
//! 4. Update the [`SyncStatus`] (pending changes: [`State::pending_since`] the highest stamp of
//!    the last snapshot written).
//!
//! At start the clock continues above what is stored: [`Clock::resume`] with
//! [`State::highest_stamp`]. When a device joins a group it merges first (step 2, from an empty
//! state, writing every changed record to its database) and only then records its local changes:
//! the group's records replace the local ones with the same key, and only what is new on this
//! device becomes an edit — otherwise the newcomer's defaults would override the group's.
//!
//! Modules: [`hlc`] (stamps and the clock), [`record`] (records and the state), [`mod@merge`]
//! (merging and conflicts), [`conflicts`] (the list the user restores from), [`journal`] (local
//! changes), [`crypto`] and [`pairing`] (keys, group id, sealing), [`layout`] (object names and
//! snapshots), [`status`] (the API's view and the run schedule).

pub mod conflicts;
pub mod crypto;
pub mod error;
pub mod hlc;
pub mod journal;
pub mod layout;
pub mod merge;
pub mod pairing;
pub mod record;
pub mod status;

pub use conflicts::ConflictList;
pub use crypto::{GroupId, KdfParams, SyncKeys};
pub use error::SyncError;
pub use hlc::{Clock, DeviceId, Stamp};
pub use journal::record_local_changes;
pub use layout::{
    Snapshot, device_of_file, devices_folder, open_snapshot, seal_snapshot, snapshot_path,
};
pub use merge::{Conflict, Merged, Received, merge, receive};
pub use pairing::PairingCode;
pub use record::{Kind, Record, RecordKey, Scope, State, VersionVector};
pub use status::{ConflictSummary, FailureKind, SyncSchedule, SyncStatus};
