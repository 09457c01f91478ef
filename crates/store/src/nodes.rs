//! The `provider_nodes` table: user-defined OpenAI-, Anthropic-, Gemini- or Responses-compatible
//! endpoints, each with its own model prefix.

use serde::{Deserialize, Serialize};
use sqlx::FromRow;

use crate::{Store, StoreError, new_id, now_ms};

/// The API a node speaks. Stored as text; a value this build does not know is an error when
/// nodes load, never a node silently skipped at request time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "lowercase")]
pub enum ApiType {
    /// OpenAI Chat Completions.
    Openai,
    /// Anthropic Messages.
    Anthropic,
    /// Gemini `generateContent`.
    Gemini,
    /// OpenAI Responses.
    Responses,
}

crate::sql::text_column!(ApiType);

#[derive(Debug, Clone, PartialEq, Eq, Serialize, FromRow, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct ProviderNode {
    pub id: String,
    pub name: String,
    pub prefix: String,
    pub api_type: ApiType,
    pub base_url: String,
    pub created_at: i64,
    pub updated_at: i64,
}

const COLUMNS: &str = "id, name, prefix, api_type, base_url, created_at, updated_at";

impl Store {
    /// Inserts a node; a prefix already taken is a `Conflict`.
    pub async fn insert_node(
        &self,
        name: &str,
        prefix: &str,
        api_type: ApiType,
        base_url: &str,
    ) -> Result<ProviderNode, StoreError> {
        let id = new_id();
        let now = now_ms();
        sqlx::query(
            "INSERT INTO provider_nodes (id, name, prefix, api_type, base_url, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&id)
        .bind(name)
        .bind(prefix)
        .bind(api_type)
        .bind(base_url)
        .bind(now)
        .bind(now)
        .execute(self.pool())
        .await
        .map_err(|e| StoreError::conflict_or(e, format!("a provider node with prefix '{prefix}' already exists")))?;
        self.node(&id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("provider node {id}")))
    }

    pub async fn node(&self, id: &str) -> Result<Option<ProviderNode>, StoreError> {
        Ok(sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM provider_nodes WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(self.pool())
        .await?)
    }

    pub async fn nodes(&self) -> Result<Vec<ProviderNode>, StoreError> {
        Ok(sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM provider_nodes ORDER BY prefix"
        ))
        .fetch_all(self.pool())
        .await?)
    }

    pub async fn delete_node(&self, id: &str) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM provider_nodes WHERE id = $1")
            .bind(id)
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected() > 0)
    }
}

impl Store {
    /// Replaces the name, API type and base URL of node `id` (the prefix is its identity and
    /// stays); `None` if there is no such node.
    pub async fn update_node(
        &self,
        id: &str,
        name: &str,
        api_type: ApiType,
        base_url: &str,
    ) -> Result<Option<ProviderNode>, StoreError> {
        sqlx::query("UPDATE provider_nodes SET name = $1, api_type = $2, base_url = $3, updated_at = $4 WHERE id = $5")
            .bind(name)
            .bind(api_type)
            .bind(base_url)
            .bind(now_ms())
            .bind(id)
            .execute(self.pool())
            .await?;
        self.node(id).await
    }
}

#[cfg(test)]
mod tests {

    #[tokio::test]
    async fn nodes_and_connections_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let store = crate::testing::store(dir.path()).await;
        let node = store
            .insert_node(
                "Local",
                "local",
                super::ApiType::Openai,
                "http://127.0.0.1:1/v1",
            )
            .await
            .unwrap();
        assert_eq!(store.nodes().await.unwrap(), vec![node.clone()]);
        let dup = store
            .insert_node("Other", "local", super::ApiType::Anthropic, "http://x")
            .await
            .unwrap_err();
        assert!(matches!(dup, crate::StoreError::Conflict(_)), "{dup}");
        assert!(store.delete_node(&node.id).await.unwrap());
        assert!(!store.delete_node(&node.id).await.unwrap());

        let new = crate::connections::NewConnection {
            provider: "openai".into(),
            name: "main".into(),
            auth_kind: "api_key".into(),
            base_url: None,
            priority: 1,
            enabled: true,
        };
        let secrets = crate::Secrets::open(&store, dir.path(), crate::SecretBackendKind::Encrypted)
            .await
            .unwrap();
        let c = store.insert_connection(&new, false).await.unwrap();
        let name = crate::connections::api_key_secret_name(&c.id);
        secrets
            .put(&name, &crate::SecretString::new("sk-1"))
            .await
            .unwrap();
        store.link_connection_secret(&c.id, &name).await.unwrap();
        let stored = store.connection(&c.id).await.unwrap().unwrap();
        assert_eq!(stored.secret_name.as_deref(), Some(name.as_str()));
        assert_eq!(store.connections().await.unwrap().len(), 1);
        assert!(store.delete_connection(&c.id).await.unwrap());
    }
}
