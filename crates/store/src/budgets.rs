//! The `budgets` table: a spending limit per API key and period.

use serde::Serialize;
use sqlx::FromRow;

use crate::{Store, StoreError, now_ms};

#[derive(Debug, Clone, PartialEq, Serialize, FromRow)]
#[serde(rename_all = "camelCase")]
pub struct Budget {
    pub key_id: String,
    /// `daily`, `weekly` or `monthly`.
    pub period: String,
    #[sqlx(rename = "limit_usd")]
    pub limit: f64,
}

impl Store {
    pub async fn budgets(&self) -> Result<Vec<Budget>, StoreError> {
        Ok(
            sqlx::query_as("SELECT key_id, period, limit_usd FROM budgets ORDER BY key_id, period")
                .fetch_all(self.pool())
                .await?,
        )
    }

    /// Sets (or replaces) the key's limit for `period`.
    pub async fn put_budget(
        &self,
        key_id: &str,
        period: &str,
        limit: f64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO budgets (key_id, period, limit_usd, created_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT(key_id, period) DO UPDATE SET limit_usd = excluded.limit_usd",
        )
        .bind(key_id)
        .bind(period)
        .bind(limit)
        .bind(now_ms())
        .execute(self.pool())
        .await
        .map_err(|e| match &e {
            sqlx::Error::Database(db) if db.is_foreign_key_violation() => {
                StoreError::NotFound(format!("API key '{key_id}'"))
            }
            _ => StoreError::Database(e),
        })?;
        Ok(())
    }

    pub async fn delete_budget(&self, key_id: &str, period: &str) -> Result<(), StoreError> {
        let done = sqlx::query("DELETE FROM budgets WHERE key_id = $1 AND period = $2")
            .bind(key_id)
            .bind(period)
            .execute(self.pool())
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!(
                "{period} budget of key '{key_id}'"
            )));
        }
        Ok(())
    }
}
