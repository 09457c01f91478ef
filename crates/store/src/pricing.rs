//! The `pricing` table: the user's per-model prices (USD per 1,000 tokens), overriding the
//! catalog's.

use serde::{Deserialize, Serialize};
use sqlx::FromRow;

use crate::{Store, StoreError, now_ms};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, FromRow)]
#[serde(rename_all = "camelCase")]
pub struct Price {
    /// `provider/model`.
    pub model: String,
    pub input_per_1k: f64,
    pub output_per_1k: f64,
}

impl Store {
    pub async fn prices(&self) -> Result<Vec<Price>, StoreError> {
        Ok(
            sqlx::query_as("SELECT model, input_per_1k, output_per_1k FROM pricing ORDER BY model")
                .fetch_all(self.pool())
                .await?,
        )
    }

    /// Replaces the listed prices in one transaction; `None` prices remove the override.
    pub async fn put_prices(
        &self,
        prices: &[(String, Option<(f64, f64)>)],
    ) -> Result<(), StoreError> {
        let mut tx = self.pool().begin().await?;
        for (model, price) in prices {
            match price {
                Some((input, output)) => {
                    sqlx::query(
                        "INSERT INTO pricing (model, input_per_1k, output_per_1k, updated_at) VALUES ($1, $2, $3, $4) \
                         ON CONFLICT(model) DO UPDATE SET input_per_1k = excluded.input_per_1k, \
                         output_per_1k = excluded.output_per_1k, updated_at = excluded.updated_at",
                    )
                    .bind(model)
                    .bind(input)
                    .bind(output)
                    .bind(now_ms())
                    .execute(&mut *tx)
                    .await?;
                }
                None => {
                    sqlx::query("DELETE FROM pricing WHERE model = $1")
                        .bind(model)
                        .execute(&mut *tx)
                        .await?;
                }
            }
        }
        tx.commit().await?;
        Ok(())
    }
}
