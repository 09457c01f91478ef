//! The store's side of cloud sync: every row that syncs as a record `(kind, id) → JSON body`
//! ([`Store::synced_rows`]), and records from other devices written back
//! ([`Store::apply_synced`]); credentials the same way through the secret store
//! ([`Store::synced_credentials`], [`Store::apply_synced_credentials`]).
//!
//! Ids are the same on every device: a natural key (node prefix, combo name, alias pattern,
//! `provider/model`, `<key id>/<period>`, settings section) or, for connections, the random id
//! made once with the connection. Local surrogate ids, timestamps, a connection's secret and token
//! state stay on their device. Bodies are canonical JSON (sorted keys), so an unchanged row always
//! gives the same bytes and is never taken for an edit.
//!
//! The fixed point the sync journal relies on: after `apply_synced(records)`, `synced_rows` gives
//! back every record as it came — applied, or held (`held.rs`) when this device cannot apply it —
//! until someone edits that row here. What never syncs is not read at all: API keys, usage,
//! request logs, lockouts, quota windows, secrets, and the `security`, `logs`, `proxy`,
//! `active_combo` and password sections.

mod bodies;
mod credentials;
mod held;
#[cfg(test)]
mod test_fixtures;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_credentials;
#[cfg(test)]
mod tests_held;
mod write;

use std::collections::BTreeMap;

use omniroute_sync::{Kind, RecordKey};
use serde_json::Value;
use sqlx::AnyConnection;

use crate::{Secrets, Store, StoreError};
use bodies::ConnectionBody;
use held::Held;
use write::Applied;

pub use bodies::{SYNCED_SETTINGS, canonical};
pub use credentials::held_credential_secret_name;

/// The kinds [`Store::synced_rows`] reads completely: the `complete_kinds` of
/// `omniroute_sync::record_local_changes` (with `Kind::Credential` added when
/// [`Store::synced_credentials`] was read too).
pub const SYNCED_ROW_KINDS: [Kind; 8] = [
    Kind::ProviderNode,
    Kind::Connection,
    Kind::CustomModel,
    Kind::Alias,
    Kind::Combo,
    Kind::Pricing,
    Kind::Budget,
    Kind::Settings,
];

/// A gateway's own test of a record before it is applied (combo strategies, node prefixes
/// against the catalog: what the store cannot know). `Err(reason)` holds the record.
pub type SyncCheck<'a> = &'a (dyn Fn(&RecordKey, &Value) -> Result<(), String> + Send + Sync);

/// What applying a batch did, record by record.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ApplyReport {
    /// Rows (or secrets) created or changed.
    pub written: Vec<RecordKey>,
    /// Rows (or secrets) deleted.
    pub deleted: Vec<RecordKey>,
    /// Already as the record says: nothing written.
    pub unchanged: Vec<RecordKey>,
    /// Not applied, kept as received, with the reason: a body this version cannot read, a
    /// budget of an API key that is not here, a refusal by the check or by a constraint.
    pub held: Vec<(RecordKey, String)>,
    /// Records that are not this store's to apply (a machine's own settings section; an id
    /// that cannot be a connection's). Neither applied nor kept.
    pub ignored: Vec<(RecordKey, String)>,
    /// Secrets of deleted connections, for the caller to delete
    /// ([`ApplyReport::remove_released_secrets`]): the secret store may be the OS keychain,
    /// outside the database transaction.
    pub released_secrets: Vec<String>,
    /// Connections holding a secret here whose destination a synced edit changed.
    pub moved_keys: Vec<KeyDestinationChange>,
}

impl ApplyReport {
    /// Whether a row or secret changed, so the gateway's snapshot must be rebuilt.
    pub fn changed_anything(&self) -> bool {
        !self.written.is_empty() || !self.deleted.is_empty()
    }

    /// Deletes [`ApplyReport::released_secrets`] from the secret store.
    pub async fn remove_released_secrets(&self, secrets: &Secrets) -> Result<(), StoreError> {
        for name in &self.released_secrets {
            secrets.delete(name).await?;
        }
        Ok(())
    }
}

/// Where a connection's key is sent: its provider, and its own base URL or else its provider
/// node's. `base_url: None` means the catalog's default for the provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyDestination {
    pub provider: String,
    pub base_url: Option<String>,
}

/// A synced edit (of the connection, or of the node it follows) changed where a key stored
/// here would be sent. The management API never lets a stored key follow a move to another
/// server without the key being entered again; when credentials are not synced, the gateway
/// applies the same rule: another origin → delete `secret_name` (which unlinks it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyDestinationChange {
    pub connection_id: String,
    pub secret_name: String,
    pub before: KeyDestination,
    pub after: KeyDestination,
}

/// Order of application: nodes before the connections and models that name them, models before
/// the aliases and combos that route to them.
fn apply_rank(kind: Kind) -> usize {
    SYNCED_ROW_KINDS
        .iter()
        .position(|k| *k == kind)
        .unwrap_or(SYNCED_ROW_KINDS.len())
}

impl Store {
    /// Every row that syncs, by key, with records held here laid over the tables.
    pub async fn synced_rows(&self) -> Result<Vec<(RecordKey, Value)>, StoreError> {
        // One read transaction: a consistent view even while the API writes.
        let mut tx = self.pool().begin().await?;
        let mut rows = bodies::read_rows(&mut tx).await?;
        let held = held::read_all(&mut tx).await?;
        tx.commit().await?;
        for (key, held) in held {
            if held.in_effect(rows.get(&key)) {
                rows.insert(key, held.body);
            }
        }
        Ok(rows.into_iter().collect())
    }

    /// Applies records from other devices (`None`: deleted) in one transaction. Credentials are
    /// skipped (see [`Store::apply_synced_credentials`]). A record this device cannot apply is
    /// held and reported, never an error; errors are the database's own.
    pub async fn apply_synced(
        &self,
        changes: &[(RecordKey, Option<Value>)],
    ) -> Result<ApplyReport, StoreError> {
        self.apply_synced_checked(changes, &|_, _| Ok(())).await
    }

    /// [`Store::apply_synced`] with the gateway's `check` of each body before it is applied.
    /// Records held earlier are tried again first (an API key may have appeared, a newer
    /// version may read them now): call it with no changes to retry them alone.
    pub async fn apply_synced_checked(
        &self,
        changes: &[(RecordKey, Option<Value>)],
        check: SyncCheck<'_>,
    ) -> Result<ApplyReport, StoreError> {
        let mut tx = self.begin_write().await?;
        let conn: &mut AnyConnection = &mut tx;
        let before = bodies::read_rows(conn).await?;
        let held_before = held::read_all(conn).await?;

        // One change per key, the last given: each is compared with the row as it was before
        // the batch, so a key applied twice could otherwise be judged against a stale row.
        let batch: BTreeMap<&RecordKey, Option<&Value>> = changes
            .iter()
            .filter(|(key, _)| key.kind != Kind::Credential)
            .map(|(key, body)| (key, body.as_ref()))
            .collect();
        // (key, body, whether it is a held record tried again)
        let mut work: Vec<(&RecordKey, Option<&Value>, bool)> = Vec::new();
        for (key, held) in &held_before {
            if !held.in_effect(before.get(key)) {
                // Edited here since: the local edit is the newer word.
                held::remove(conn, key).await?;
            } else if !batch.contains_key(key) {
                work.push((key, Some(&held.body), true));
            }
        }
        work.extend(batch.into_iter().map(|(key, body)| (key, body, false)));
        work.sort_by_key(|(key, _, _)| apply_rank(key.kind));

        let mut report = ApplyReport::default();
        for (key, body, retry) in work {
            let current = before.get(key);
            let applied = match body.map(|body| check(key, body)) {
                Some(Err(reason)) => Applied::Held(reason),
                _ => apply_isolated(conn, key, body, current).await?,
            };
            match applied {
                Applied::Held(reason) => {
                    if retry {
                        continue;
                    }
                    if let Some(body) = body {
                        let held = Held {
                            body: body.clone(),
                            local_body: current.cloned(),
                        };
                        held::put(conn, key, &held, &reason).await?;
                    }
                    report.held.push((key.clone(), reason));
                }
                Applied::Ignored(reason) => report.ignored.push((key.clone(), reason)),
                Applied::Written => {
                    held::remove(conn, key).await?;
                    report.written.push(key.clone());
                }
                Applied::Unchanged => {
                    held::remove(conn, key).await?;
                    if !retry {
                        report.unchanged.push(key.clone());
                    }
                }
                Applied::Deleted { released_secrets } => {
                    held::remove(conn, key).await?;
                    report.deleted.push(key.clone());
                    report.released_secrets.extend(released_secrets);
                }
            }
        }

        let moved_destinations = report
            .written
            .iter()
            .chain(&report.deleted)
            .any(|key| matches!(key.kind, Kind::Connection | Kind::ProviderNode));
        if moved_destinations {
            let after = bodies::read_rows(conn).await?;
            report.moved_keys = moved_keys(conn, &before, &after).await?;
        }
        tx.commit().await?;
        Ok(report)
    }
}

/// Applies one record inside its own savepoint: a row the database refuses (a constraint)
/// is held, and undoes only itself.
async fn apply_isolated(
    conn: &mut AnyConnection,
    key: &RecordKey,
    body: Option<&Value>,
    current: Option<&Value>,
) -> Result<Applied, StoreError> {
    let mut savepoint = sqlx::Connection::begin(&mut *conn).await?;
    match write::apply_one(&mut savepoint, key, body, current).await {
        Ok(applied) => {
            savepoint.commit().await?;
            Ok(applied)
        }
        Err(StoreError::Database(sqlx::Error::Database(refusal)))
            if !matches!(refusal.kind(), sqlx::error::ErrorKind::Other) =>
        {
            savepoint.rollback().await?;
            Ok(Applied::Held(format!(
                "refused by the database: {}",
                refusal.message()
            )))
        }
        Err(e) => Err(e),
    }
}

/// The connections with a secret here whose key destination differs between `before` and
/// `after` (connections that did not exist before have no secret of their own yet).
async fn moved_keys(
    conn: &mut AnyConnection,
    before: &BTreeMap<RecordKey, Value>,
    after: &BTreeMap<RecordKey, Value>,
) -> Result<Vec<KeyDestinationChange>, StoreError> {
    let linked: Vec<(String, String)> = sqlx::query_as(
        "SELECT id, secret_name FROM provider_connections WHERE secret_name IS NOT NULL ORDER BY id",
    )
    .fetch_all(&mut *conn)
    .await?;
    Ok(linked
        .into_iter()
        .filter_map(|(connection_id, secret_name)| {
            let was = destination(before, &connection_id)?;
            let is = destination(after, &connection_id)?;
            (was != is).then_some(KeyDestinationChange {
                connection_id,
                secret_name,
                before: was,
                after: is,
            })
        })
        .collect())
}

fn destination(rows: &BTreeMap<RecordKey, Value>, connection_id: &str) -> Option<KeyDestination> {
    let body = rows.get(&RecordKey::new(Kind::Connection, connection_id))?;
    let connection: ConnectionBody = serde_json::from_value(body.clone()).ok()?;
    let node_url = || {
        rows.get(&RecordKey::new(
            Kind::ProviderNode,
            connection.provider.as_str(),
        ))
        .and_then(|node| node.get("baseUrl"))
        .and_then(Value::as_str)
        .map(str::to_owned)
    };
    Some(KeyDestination {
        base_url: connection.base_url.clone().or_else(node_url),
        provider: connection.provider,
    })
}
