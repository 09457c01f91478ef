//! The `combos` and `fallback_chains` tables. A combo's targets are stored as a JSON list of
//! `{model, weight}`; its strategy by name. Validation (strategy names, nesting, cycles) is the
//! gateway's, through the routing crate.

use serde::{Deserialize, Serialize};
use sqlx::FromRow;

use crate::{Store, StoreError, new_id, now_ms};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct ComboTarget {
    pub model: String,
    #[serde(default = "one")]
    pub weight: u32,
}

fn one() -> u32 {
    1
}

#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct Combo {
    pub id: String,
    pub name: String,
    pub strategy: String,
    pub models: Vec<ComboTarget>,
    pub position: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(FromRow)]
struct Row {
    id: String,
    name: String,
    strategy: String,
    targets: String,
    position: i64,
    created_at: i64,
    updated_at: i64,
}

impl TryFrom<Row> for Combo {
    type Error = StoreError;
    fn try_from(r: Row) -> Result<Self, StoreError> {
        let models = serde_json::from_str(&r.targets).map_err(|source| StoreError::Corrupt {
            what: format!("targets of combo '{}'", r.name),
            source,
        })?;
        Ok(Self {
            id: r.id,
            name: r.name,
            strategy: r.strategy,
            models,
            position: r.position,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

const COLUMNS: &str = "id, name, strategy, targets, position, created_at, updated_at";

impl Store {
    pub async fn combos(&self) -> Result<Vec<Combo>, StoreError> {
        let rows: Vec<Row> = sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM combos ORDER BY position, created_at"
        ))
        .fetch_all(self.pool())
        .await?;
        rows.into_iter().map(Combo::try_from).collect()
    }

    pub async fn combo(&self, id_or_name: &str) -> Result<Option<Combo>, StoreError> {
        let row: Option<Row> = sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM combos WHERE id = $1 OR name = $2"
        ))
        .bind(id_or_name)
        .bind(id_or_name)
        .fetch_optional(self.pool())
        .await?;
        row.map(Combo::try_from).transpose()
    }

    pub async fn insert_combo(
        &self,
        name: &str,
        strategy: &str,
        models: &[ComboTarget],
    ) -> Result<Combo, StoreError> {
        let id = new_id();
        let now = now_ms();
        let targets = serde_json::to_string(models).map_err(|source| StoreError::Corrupt {
            what: "combo targets".into(),
            source,
        })?;
        sqlx::query(
            "INSERT INTO combos (id, name, strategy, targets, position, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, (SELECT COALESCE(MAX(position), -1) + 1 FROM combos), $5, $6)",
        )
        .bind(&id)
        .bind(name)
        .bind(strategy)
        .bind(targets)
        .bind(now)
        .bind(now)
        .execute(self.pool())
        .await
        .map_err(|e| {
            StoreError::conflict_or(e, format!("a combo named '{name}' already exists"))
        })?;
        self.combo(&id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("combo {id}")))
    }

    pub async fn update_combo(
        &self,
        id: &str,
        name: &str,
        strategy: &str,
        models: &[ComboTarget],
    ) -> Result<Option<Combo>, StoreError> {
        let targets = serde_json::to_string(models).map_err(|source| StoreError::Corrupt {
            what: "combo targets".into(),
            source,
        })?;
        let done = sqlx::query(
            "UPDATE combos SET name = $1, strategy = $2, targets = $3, updated_at = $4 WHERE id = $5",
        )
        .bind(name)
        .bind(strategy)
        .bind(targets)
        .bind(now_ms())
        .bind(id)
        .execute(self.pool())
        .await
        .map_err(|e| {
            StoreError::conflict_or(e, format!("a combo named '{name}' already exists"))
        })?;
        if done.rows_affected() == 0 {
            return Ok(None);
        }
        self.combo(id).await
    }

    pub async fn delete_combo(&self, id: &str) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM combos WHERE id = $1")
            .bind(id)
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Sets the display order: `ids` first, in that order; others keep their relative order after.
    pub async fn reorder_combos(&self, ids: &[String]) -> Result<(), StoreError> {
        let mut tx = self.pool().begin().await?;
        for (position, id) in ids.iter().enumerate() {
            sqlx::query("UPDATE combos SET position = $1 WHERE id = $2")
                .bind(i64::try_from(position).unwrap_or(i64::MAX))
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    pub async fn fallback_chains(&self) -> Result<Vec<(String, Vec<String>)>, StoreError> {
        let rows: Vec<(String, String)> =
            sqlx::query_as("SELECT model, targets FROM fallback_chains ORDER BY model")
                .fetch_all(self.pool())
                .await?;
        rows.into_iter()
            .map(|(model, targets)| {
                let list =
                    serde_json::from_str(&targets).map_err(|source| StoreError::Corrupt {
                        what: format!("fallback chain of '{model}'"),
                        source,
                    })?;
                Ok((model, list))
            })
            .collect()
    }

    pub async fn put_fallback_chain(
        &self,
        model: &str,
        targets: &[String],
    ) -> Result<(), StoreError> {
        let json = serde_json::to_string(targets).map_err(|source| StoreError::Corrupt {
            what: "fallback chain".into(),
            source,
        })?;
        sqlx::query(
            "INSERT INTO fallback_chains (id, model, targets, created_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT(model) DO UPDATE SET targets = excluded.targets",
        )
        .bind(new_id())
        .bind(model)
        .bind(json)
        .bind(now_ms())
        .execute(self.pool())
        .await?;
        Ok(())
    }

    pub async fn delete_fallback_chain(&self, model: &str) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM fallback_chains WHERE model = $1")
            .bind(model)
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected() > 0)
    }
}
