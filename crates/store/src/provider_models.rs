//! The `provider_models` table: models users add to a provider beyond the catalog's defaults.

use serde::Serialize;
use sqlx::FromRow;

use crate::{Store, StoreError, now_ms};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, FromRow, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct CustomModel {
    pub provider: String,
    pub model_id: String,
    pub model_name: String,
    pub kind: String,
}

impl Store {
    /// Adds or renames a custom model of `provider`.
    pub async fn put_custom_model(&self, model: &CustomModel) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO provider_models (provider, model_id, model_name, kind, created_at) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT(provider, model_id) DO UPDATE SET model_name = excluded.model_name, kind = excluded.kind",
        )
        .bind(&model.provider)
        .bind(&model.model_id)
        .bind(&model.model_name)
        .bind(&model.kind)
        .bind(now_ms())
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Custom models, of one provider or of all.
    pub async fn custom_models(
        &self,
        provider: Option<&str>,
    ) -> Result<Vec<CustomModel>, StoreError> {
        let rows = match provider {
            Some(p) => {
                sqlx::query_as(
                    "SELECT provider, model_id, model_name, kind FROM provider_models WHERE provider = $1 ORDER BY model_id",
                )
                .bind(p)
                .fetch_all(self.pool())
                .await?
            }
            None => {
                sqlx::query_as("SELECT provider, model_id, model_name, kind FROM provider_models ORDER BY provider, model_id")
                    .fetch_all(self.pool())
                    .await?
            }
        };
        Ok(rows)
    }

    pub async fn delete_custom_model(
        &self,
        provider: &str,
        model_id: &str,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM provider_models WHERE provider = $1 AND model_id = $2")
            .bind(provider)
            .bind(model_id)
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected() > 0)
    }
}
