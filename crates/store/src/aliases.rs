//! The `model_aliases` table: exact and wildcard (`*`, `?`) aliases from a model id a client
//! sends to the model id that is routed.

use serde::Serialize;
use sqlx::FromRow;

use crate::{Store, StoreError, now_ms};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, FromRow)]
pub struct Alias {
    pub pattern: String,
    pub target: String,
}

impl Store {
    /// Sets (or replaces) the alias for `pattern`.
    pub async fn put_alias(&self, pattern: &str, target: &str) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO model_aliases (pattern, target, created_at) VALUES ($1, $2, $3) \
             ON CONFLICT(pattern) DO UPDATE SET target = excluded.target",
        )
        .bind(pattern)
        .bind(target)
        .bind(now_ms())
        .execute(self.pool())
        .await?;
        Ok(())
    }

    pub async fn aliases(&self) -> Result<Vec<Alias>, StoreError> {
        Ok(
            sqlx::query_as("SELECT pattern, target FROM model_aliases ORDER BY pattern")
                .fetch_all(self.pool())
                .await?,
        )
    }

    pub async fn delete_alias(&self, pattern: &str) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM model_aliases WHERE pattern = $1")
            .bind(pattern)
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected() > 0)
    }
}
