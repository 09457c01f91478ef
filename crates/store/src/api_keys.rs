//! The `api_keys` table: named client keys for `/v1`. Only a keyed hash of each key is stored
//! (the gateway computes it with `API_KEY_SECRET`); the key itself is shown once at creation.

use serde::Serialize;
use sqlx::FromRow;

use crate::{Store, StoreError, new_id, now_ms};

/// A key's metadata: everything but its hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, FromRow, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct ApiKey {
    pub id: String,
    pub name: String,
    /// The key's last characters, so a user can tell keys apart.
    pub key_hint: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

/// What the request path needs to recognise a key.
#[derive(Debug, Clone, FromRow)]
pub struct KeyHash {
    pub id: String,
    pub name: String,
    pub key_hash: String,
}

impl Store {
    pub async fn create_api_key(
        &self,
        name: &str,
        key_hash: &str,
        key_hint: &str,
    ) -> Result<ApiKey, StoreError> {
        let key = ApiKey {
            id: new_id(),
            name: name.to_owned(),
            key_hint: key_hint.to_owned(),
            created_at: now_ms(),
            last_used_at: None,
        };
        sqlx::query(
            "INSERT INTO api_keys (id, name, key_hash, key_hint, created_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&key.id)
        .bind(&key.name)
        .bind(key_hash)
        .bind(&key.key_hint)
        .bind(key.created_at)
        .execute(self.pool())
        .await
        .map_err(|e| StoreError::conflict_or(e, "a key with this hash already exists".into()))?;
        Ok(key)
    }

    /// Keys in use (revoked keys are deleted), oldest first.
    pub async fn api_keys(&self) -> Result<Vec<ApiKey>, StoreError> {
        // Keys made in the same millisecond: in creation order where the engine keeps one.
        let tie = match self.backend() {
            crate::Backend::Sqlite => "rowid",
            crate::Backend::Postgres => "id",
        };
        Ok(sqlx::query_as(&format!(
            "SELECT id, name, key_hint, created_at, last_used_at FROM api_keys \
             WHERE revoked_at IS NULL ORDER BY created_at, {tie}"
        ))
        .fetch_all(self.pool())
        .await?)
    }

    pub async fn api_key_hashes(&self) -> Result<Vec<KeyHash>, StoreError> {
        Ok(
            sqlx::query_as("SELECT id, name, key_hash FROM api_keys WHERE revoked_at IS NULL")
                .fetch_all(self.pool())
                .await?,
        )
    }

    /// Revokes a key for good: the row goes (its budgets with it); usage rows keep its id.
    pub async fn delete_api_key(&self, id: &str) -> Result<(), StoreError> {
        let done = sqlx::query("DELETE FROM api_keys WHERE id = $1")
            .bind(id)
            .execute(self.pool())
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!("API key '{id}'")));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {

    #[tokio::test]
    async fn keys_are_created_listed_and_revoked() {
        let dir = tempfile::tempdir().unwrap();
        let store = crate::testing::store(dir.path()).await;
        let a = store.create_api_key("laptop", "h1", "ab12").await.unwrap();
        store.create_api_key("ci", "h2", "cd34").await.unwrap();
        assert!(store.create_api_key("dup", "h1", "zz").await.is_err());
        let names: Vec<_> = store
            .api_keys()
            .await
            .unwrap()
            .into_iter()
            .map(|k| k.name)
            .collect();
        assert_eq!(names, ["laptop", "ci"]);
        store.delete_api_key(&a.id).await.unwrap();
        assert!(store.delete_api_key(&a.id).await.is_err());
        let hashes = store.api_key_hashes().await.unwrap();
        assert_eq!(hashes.len(), 1);
        assert_eq!(hashes[0].key_hash, "h2");
    }
}
