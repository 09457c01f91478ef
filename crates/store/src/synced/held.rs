//! The `sync_held` table: records received and not applied, kept as they came.
//!
//! The sync journal compares what the tables say with what was merged, and every difference
//! becomes a local edit. A record this device could not apply would therefore be published
//! again as deleted (it has no row here) or rewritten (an older row here) — undoing the edit of
//! the device that made it. A held record is laid over the tables in `synced_rows` instead, for
//! as long as the row under its key is still what it was when the record was held
//! (`local_body`). Once someone edits that row here, the edit is the newer word and the held
//! record is dropped at the next apply.

use std::collections::BTreeMap;

use omniroute_sync::{Kind, RecordKey};
use serde_json::Value;
use sqlx::AnyConnection;

use crate::{StoreError, now_ms};

/// One held record.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Held {
    pub body: Value,
    /// This device's body for the key when the record was held (`None`: there was no row).
    pub local_body: Option<Value>,
}

impl Held {
    /// Whether the row under the key is still what it was when this record was held.
    pub fn in_effect(&self, row: Option<&Value>) -> bool {
        self.local_body.as_ref() == row
    }
}

/// The kind's name as the sync core spells it (`custom-model`).
fn kind_name(kind: Kind) -> Result<String, StoreError> {
    match serde_json::to_value(kind) {
        Ok(Value::String(name)) => Ok(name),
        Ok(_) => Err(StoreError::Corrupt {
            what: "record kind".into(),
            source: serde::de::Error::custom("not a string"),
        }),
        Err(source) => Err(StoreError::Corrupt {
            what: "record kind".into(),
            source,
        }),
    }
}

/// Every held record. A row this build cannot read (a kind it lacks) is left out: it could
/// only have been written by a newer build, which will read it again.
pub(super) async fn read_all(
    conn: &mut AnyConnection,
) -> Result<BTreeMap<RecordKey, Held>, StoreError> {
    let rows: Vec<(String, String, String, Option<String>)> =
        sqlx::query_as("SELECT kind, id, body, local_body FROM sync_held")
            .fetch_all(&mut *conn)
            .await?;
    let mut held = BTreeMap::new();
    for (kind, id, body, local_body) in rows {
        let Ok(kind) = serde_json::from_value::<Kind>(Value::String(kind.clone())) else {
            tracing::warn!(kind, id, "held sync record of an unknown kind ignored");
            continue;
        };
        let parsed = (
            serde_json::from_str::<Value>(&body),
            local_body
                .map(|b| serde_json::from_str::<Value>(&b))
                .transpose(),
        );
        match parsed {
            (Ok(body), Ok(local_body)) => {
                held.insert(RecordKey::new(kind, id), Held { body, local_body });
            }
            _ => tracing::warn!(?kind, id, "held sync record is not JSON; ignored"),
        }
    }
    Ok(held)
}

/// Holds `held` for `key` (replacing an earlier one).
pub(super) async fn put(
    conn: &mut AnyConnection,
    key: &RecordKey,
    held: &Held,
    reason: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO sync_held (kind, id, body, local_body, reason, held_at) VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT(kind, id) DO UPDATE SET body = excluded.body, local_body = excluded.local_body, \
         reason = excluded.reason, held_at = excluded.held_at",
    )
    .bind(kind_name(key.kind)?)
    .bind(&key.id)
    .bind(held.body.to_string())
    .bind(held.local_body.as_ref().map(Value::to_string))
    .bind(reason)
    .bind(now_ms())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Forgets the held record of `key`, if any.
pub(super) async fn remove(conn: &mut AnyConnection, key: &RecordKey) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM sync_held WHERE kind = $1 AND id = $2")
        .bind(kind_name(key.kind)?)
        .bind(&key.id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}
