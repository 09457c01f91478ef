//! The `settings` table: one JSON document per named section (`routing`, `ai`, …), plus the
//! installation id. The gateway owns the typed shape of each section; the store keeps documents
//! whole so a section is always read and written atomically.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::{Store, StoreError, now_ms};

pub(crate) const INSTALL_ID_KEY: &str = "install_id";

impl Store {
    /// Every stored settings section, by name. A row that is not valid JSON is reported, not
    /// silently dropped.
    pub async fn settings_sections(&self) -> Result<BTreeMap<String, Value>, StoreError> {
        let rows: Vec<(String, String)> = sqlx::query_as("SELECT key, value FROM settings")
            .fetch_all(self.pool())
            .await?;
        rows.into_iter()
            .map(|(key, raw)| {
                let value = serde_json::from_str(&raw).map_err(|source| StoreError::Corrupt {
                    what: format!("setting '{key}'"),
                    source,
                })?;
                Ok((key, value))
            })
            .collect()
    }

    /// One settings section, if stored.
    pub async fn settings_section(&self, key: &str) -> Result<Option<Value>, StoreError> {
        let raw: Option<String> = sqlx::query_scalar("SELECT value FROM settings WHERE key = $1")
            .bind(key)
            .fetch_optional(self.pool())
            .await?;
        raw.map(|raw| {
            serde_json::from_str(&raw).map_err(|source| StoreError::Corrupt {
                what: format!("setting '{key}'"),
                source,
            })
        })
        .transpose()
    }

    /// Replaces several sections in one transaction: all are written or none.
    pub async fn put_settings_sections(
        &self,
        sections: &[(&str, &Value)],
    ) -> Result<(), StoreError> {
        let mut tx = self.pool().begin().await?;
        let now = now_ms();
        for (key, value) in sections {
            sqlx::query(
                "INSERT INTO settings (key, value, updated_at) VALUES ($1, $2, $3) \
                 ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
            )
            .bind(key)
            .bind(value.to_string())
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

/// This installation's random id, created on first use. It names keychain entries so that two
/// data directories on one machine never overwrite each other's credentials.
pub(crate) async fn install_id(store: &Store) -> Result<String, StoreError> {
    if let Some(Value::String(id)) = store.settings_section(INSTALL_ID_KEY).await? {
        return Ok(id);
    }
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes).map_err(|e| {
        StoreError::Secret(crate::SecretError::KeyFile {
            path: "OS random source".into(),
            reason: e.to_string(),
        })
    })?;
    let id: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    // Another connection may have raced us; whichever id landed first wins.
    sqlx::query(
        "INSERT INTO settings (key, value, updated_at) VALUES ($1, $2, $3) \
         ON CONFLICT (key) DO NOTHING",
    )
    .bind(INSTALL_ID_KEY)
    .bind(Value::String(id).to_string())
    .bind(now_ms())
    .execute(store.pool())
    .await?;
    match store.settings_section(INSTALL_ID_KEY).await? {
        Some(Value::String(id)) => Ok(id),
        _ => Err(StoreError::Corrupt {
            what: "setting 'install_id'".into(),
            source: serde::de::Error::custom("not a string"),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[tokio::test]
    async fn sections_round_trip_and_survive_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let store = crate::testing::store(dir.path()).await;
        let routing = json!({"strategy": "round-robin"});
        let ai = json!({"systemPromptPrefix": "Be brief."});
        store
            .put_settings_sections(&[("routing", &routing), ("ai", &ai)])
            .await
            .unwrap();
        store.close().await;

        let store = crate::testing::store(dir.path()).await;
        let all = store.settings_sections().await.unwrap();
        assert_eq!(all.get("routing"), Some(&routing));
        assert_eq!(all.get("ai"), Some(&ai));
        assert_eq!(store.settings_section("missing").await.unwrap(), None);
    }

    #[tokio::test]
    async fn install_id_is_stable() {
        let dir = tempfile::tempdir().unwrap();
        let store = crate::testing::store(dir.path()).await;
        let a = install_id(&store).await.unwrap();
        let b = install_id(&store).await.unwrap();
        assert_eq!(a, b);
        assert_eq!(a.len(), 16);
    }
}
