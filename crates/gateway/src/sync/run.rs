//! One sync run, in the order `omniroute-sync` prescribes: this device's records (its
//! database, and its credentials when they sync) against the kept state → local edits; every
//! other device's snapshot from the hub → merged, what changed written to the database; this
//! device's snapshot sealed and put; the state kept. A device joining merges before it records
//! its own changes, so the group's records win over a newcomer's defaults.

use std::collections::BTreeMap;

use omniroute_store::synced::SYNCED_ROW_KINDS;
use omniroute_sync::status::{ClockWarning, DeviceSummary, clock_warnings};
use omniroute_sync::{
    Clock, Conflict, DeviceId, FailureKind, Kind, RecordKey, Snapshot, device_of_file,
    open_snapshot, receive, record_local_changes, seal_snapshot,
};
use serde_json::Value;

use super::local::{self, Kept};
use super::{Group, now_ms};
use crate::AppState;

pub struct Report {
    pub devices: Vec<DeviceSummary>,
    pub clock_warnings: Vec<ClockWarning>,
    pub conflicts: Vec<Conflict>,
}

pub struct Failure {
    pub kind: FailureKind,
    pub message: String,
}

fn fail(kind: FailureKind, message: impl Into<String>) -> Failure {
    Failure {
        kind,
        message: message.into(),
    }
}

/// Local edits not yet in a published snapshot: before the first run got through, every
/// record of this device.
pub async fn pending(state: &AppState, device: DeviceId, group: &Group) -> u32 {
    let kept = local::load(&state.config.data_dir, &group.keys);
    let count = if kept.joined {
        kept.state.pending_since(device, kept.published)
    } else {
        state.store.synced_rows().await.map_or(0, |rows| rows.len())
    };
    u32::try_from(count).unwrap_or(u32::MAX)
}

impl From<super::remote::RemoteError> for Failure {
    fn from(e: super::remote::RemoteError) -> Self {
        use super::remote::RemoteError as E;
        let kind = match &e {
            E::Address(_) | E::Unreachable(_) => FailureKind::Unreachable,
            E::Timeout => FailureKind::Timeout,
            E::Rejected { .. } => FailureKind::HubRejected,
            E::Garbage(_) => FailureKind::Corrupt,
        };
        fail(kind, e.to_string())
    }
}

/// The records of this device's database (and credentials, when they sync), and the kinds
/// read completely (a kind not read completely must not turn into deletions).
async fn current(
    state: &AppState,
    group: &Group,
) -> Result<(BTreeMap<RecordKey, Value>, Vec<Kind>), Failure> {
    let local = |e: omniroute_store::StoreError| fail(FailureKind::Local, e.to_string());
    let mut rows: BTreeMap<RecordKey, Value> = state
        .store
        .synced_rows()
        .await
        .map_err(local)?
        .into_iter()
        .collect();
    let mut complete = SYNCED_ROW_KINDS.to_vec();
    if group.scope.credentials {
        match state.store.synced_credentials(&state.secrets).await {
            Ok(credentials) => {
                rows.extend(credentials);
                complete.push(Kind::Credential);
            }
            // Published as they were last time rather than as deleted.
            Err(e) => tracing::warn!(error = %e, "credentials left out of this sync run"),
        }
    }
    Ok((rows, complete))
}

/// Writes the records that changed to the database and the secret store, then reloads.
async fn write_back(
    state: &AppState,
    group: &Group,
    kept: &Kept,
    changed: &[RecordKey],
) -> Result<(), Failure> {
    let local = |e: omniroute_store::StoreError| fail(FailureKind::Local, e.to_string());
    let changes: Vec<(RecordKey, Option<Value>)> = changed
        .iter()
        .map(|key| (key.clone(), kept.state.body(key).cloned()))
        .collect();
    // What the store cannot judge: a combo strategy this version does not know would fail the
    // registry's load, a node prefix taken by a catalog provider would shadow it. Such a record
    // is held (kept as received, handed back unchanged) instead of applied.
    let catalog = state.catalog.clone();
    let check = move |key: &RecordKey, body: &Value| -> Result<(), String> {
        match key.kind {
            Kind::Combo => {
                let name = body
                    .get("strategy")
                    .and_then(Value::as_str)
                    .unwrap_or("priority");
                crate::registry::strategy(&key.id, name)
                    .map(|_| ())
                    .map_err(|e| e.to_string())
            }
            Kind::ProviderNode if catalog.get(&key.id).is_some() => {
                Err(format!("'{}' is a built-in provider's prefix here", key.id))
            }
            _ => Ok(()),
        }
    };
    // Also with no changes: records held earlier are tried again.
    let report = state
        .store
        .apply_synced_checked(&changes, &check)
        .await
        .map_err(local)?;
    if !report.held.is_empty() {
        tracing::warn!(held = ?report.held.iter().map(|(k, why)| format!("{k:?}: {why}")).collect::<Vec<_>>(), "synced records kept aside");
    }
    report
        .remove_released_secrets(&state.secrets)
        .await
        .map_err(local)?;
    // A key stored here never follows its connection to another server unless it was typed
    // again there (the management API's rule) or comes along itself (credentials sync).
    if !group.scope.credentials {
        for moved in &report.moved_keys {
            tracing::warn!(connection = %moved.connection_id, "a synced edit moved where this key is sent; the key is removed and must be entered again");
            state
                .secrets
                .delete(&moved.secret_name)
                .await
                .map_err(|e| local(e.into()))?;
            state
                .store
                .unlink_connection_secret(&moved.connection_id)
                .await
                .map_err(local)?;
        }
    }
    let mut changed_anything = report.changed_anything();
    if group.scope.credentials {
        let credentials = state
            .store
            .apply_synced_credentials(&state.secrets, &changes)
            .await
            .map_err(local)?;
        changed_anything |= credentials.changed_anything();
    }
    if changed_anything {
        state.reload().await.map_err(local)?;
    }
    Ok(())
}

/// This device's database against the kept state: its changes become local edits. Whether
/// there were any.
async fn journal(
    state: &AppState,
    group: &Group,
    kept: &mut Kept,
    clock: &mut Clock,
) -> Result<bool, Failure> {
    let (rows, complete) = current(state, group).await?;
    let edits = record_local_changes(
        &mut kept.state,
        &rows,
        &complete,
        group.scope,
        clock,
        now_ms(),
    );
    Ok(!edits.is_empty())
}

pub async fn once(
    state: &AppState,
    device: DeviceId,
    group: &mut Group,
) -> Result<Report, Failure> {
    let data_dir = &state.config.data_dir;
    let mut kept = local::load(data_dir, &group.keys);
    let mut clock = Clock::resume(device, kept.state.highest_stamp());
    let client = state
        .clients
        .get(None)
        .map_err(|e| fail(FailureKind::Local, e))?;

    if kept.joined && journal(state, group, &mut kept, &mut clock).await? {
        // Kept at once: if the hub fails below, the edits wait with their own time and count
        // as pending.
        local::save(data_dir, &group.keys, &kept)
            .map_err(|e| fail(FailureKind::Local, e.to_string()))?;
    }

    let names = group.remote.list(&client).await?;
    let mut devices = Vec::new();
    let mut deferred = Vec::new();
    let mut conflicts = Vec::new();
    let mut changed: Vec<RecordKey> = Vec::new();
    let mut unreadable = Vec::new();
    for name in names {
        let Some(other) = device_of_file(&name) else {
            continue;
        };
        if other == device {
            continue;
        }
        let bytes = group.remote.get(&client, &name).await?;
        let snapshot = match open_snapshot(&bytes, &group.keys, other) {
            Ok(snapshot) => snapshot,
            Err(e) => {
                unreadable.push(format!("{other}: {e}"));
                continue;
            }
        };
        devices.push(DeviceSummary {
            device: other,
            written_at_ms: snapshot.written_at_ms,
            records: u32::try_from(snapshot.state.len()).unwrap_or(u32::MAX),
        });
        let received = receive(
            &kept.state,
            &snapshot.state,
            group.scope,
            &mut clock,
            now_ms(),
        );
        kept.state = received.merged.state;
        conflicts.extend(received.merged.conflicts);
        changed.extend(received.merged.changed);
        deferred.extend(received.deferred);
    }
    changed.sort();
    changed.dedup();
    write_back(state, group, &kept, &changed).await?;
    kept.conflicts.add(conflicts);

    if !kept.joined {
        // Joined: what is new on this device (not in the group) becomes its first edits.
        journal(state, group, &mut kept, &mut clock).await?;
        kept.joined = true;
    }
    kept.conflicts.settle(&kept.state);

    let snapshot = Snapshot::new(device, now_ms(), &kept.state, group.scope);
    let sealed =
        seal_snapshot(&snapshot, &group.keys).map_err(|e| fail(e.failure_kind(), e.to_string()))?;
    let own = format!("{device}.{}", omniroute_sync::layout::SNAPSHOT_EXTENSION);
    group.remote.put(&client, &own, sealed).await?;
    kept.published = kept.state.highest_stamp();
    local::save(data_dir, &group.keys, &kept)
        .map_err(|e| fail(FailureKind::Local, e.to_string()))?;

    if !unreadable.is_empty() {
        return Err(fail(
            FailureKind::CannotOpen,
            format!(
                "snapshots that do not open with this group's key were skipped: {}",
                unreadable.join("; ")
            ),
        ));
    }
    Ok(Report {
        devices,
        clock_warnings: clock_warnings(&deferred),
        conflicts: kept.conflicts.entries().to_vec(),
    })
}

/// Makes a conflict's losing version current again, as a local edit.
pub async fn restore(
    state: &AppState,
    device: DeviceId,
    group: &mut Group,
    id: &str,
) -> Result<bool, String> {
    let data_dir = &state.config.data_dir;
    let mut kept = local::load(data_dir, &group.keys);
    let mut clock = Clock::resume(device, kept.state.highest_stamp());
    let Some((key, _)) = kept
        .conflicts
        .restore(id, &mut kept.state, &mut clock, now_ms())
    else {
        return Ok(false);
    };
    write_back(state, group, &kept, &[key])
        .await
        .map_err(|f| f.message)?;
    local::save(data_dir, &group.keys, &kept).map_err(|e| e.to_string())?;
    Ok(true)
}

pub fn dismiss(state: &AppState, group: &Group, id: &str) -> bool {
    let data_dir = &state.config.data_dir;
    let mut kept = local::load(data_dir, &group.keys);
    let dismissed = kept.conflicts.dismiss(id);
    dismissed && local::save(data_dir, &group.keys, &kept).is_ok()
}
