//! The `lockouts` table: a model or a connection taken out of routing, until a time or until
//! unlocked by hand.

use serde::{Deserialize, Serialize};
use sqlx::FromRow;

use crate::{Store, StoreError, new_id, now_ms};

/// What a lockout takes out of routing. Stored as text; a value this build does not know is an
/// error when lockouts load, never a lockout silently ignored at request time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "lowercase")]
pub enum LockScope {
    /// A `prefix/model` id.
    Model,
    /// A connection id.
    Connection,
}

crate::sql::text_column!(LockScope);

#[derive(Debug, Clone, PartialEq, Eq, Serialize, FromRow, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct Lockout {
    pub id: String,
    pub scope: LockScope,
    pub target: String,
    pub reason: String,
    /// Unix ms; `None`: until unlocked.
    pub until: Option<i64>,
    pub created_at: i64,
}

impl Store {
    pub async fn lock(
        &self,
        scope: LockScope,
        target: &str,
        reason: &str,
        until: Option<i64>,
    ) -> Result<Lockout, StoreError> {
        let id = new_id();
        sqlx::query("INSERT INTO lockouts (id, scope, target, reason, until, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(&id)
            .bind(scope)
            .bind(target)
            .bind(reason)
            .bind(until)
            .bind(now_ms())
            .execute(self.pool())
            .await?;
        Ok(Lockout {
            id,
            scope,
            target: target.into(),
            reason: reason.into(),
            until,
            created_at: now_ms(),
        })
    }

    /// Lockouts still in force (expired ones are deleted on the way).
    pub async fn lockouts(&self) -> Result<Vec<Lockout>, StoreError> {
        sqlx::query("DELETE FROM lockouts WHERE until IS NOT NULL AND until <= $1")
            .bind(now_ms())
            .execute(self.pool())
            .await?;
        Ok(sqlx::query_as(
            "SELECT id, scope, target, reason, until, created_at FROM lockouts ORDER BY created_at",
        )
        .fetch_all(self.pool())
        .await?)
    }

    /// Removes lockouts by id, or by scope and target; both `None` removes every lockout.
    pub async fn unlock(
        &self,
        id: Option<&str>,
        target: Option<(LockScope, &str)>,
    ) -> Result<u64, StoreError> {
        let done = match (id, target) {
            (Some(id), _) => {
                sqlx::query("DELETE FROM lockouts WHERE id = $1")
                    .bind(id)
                    .execute(self.pool())
                    .await?
            }
            (None, Some((scope, target))) => {
                sqlx::query("DELETE FROM lockouts WHERE scope = $1 AND target = $2")
                    .bind(scope)
                    .bind(target)
                    .execute(self.pool())
                    .await?
            }
            (None, None) => {
                sqlx::query("DELETE FROM lockouts")
                    .execute(self.pool())
                    .await?
            }
        };
        Ok(done.rows_affected())
    }
}
