//! Credentials as synced records (kind `credential`, id = the connection's id), read from and
//! written to the secret store — never to a plain column, never to `sync_held`.
//!
//! Body: `{"apiKey": "…"}` for a key (secret `connection/<id>/api_key`), `{"oauth": {…}}` for a
//! signed-in account's token document (secret `connection/<id>/oauth`). A body of another shape
//! comes from a newer OmniRoute: it is kept, encrypted like any secret, under
//! `connection/<id>/held` and handed back unchanged, so this device does not publish its
//! deletion. A credential may arrive before its connection (or for a connection held here): the
//! secret is stored anyway and linked when the row is written. Only connections that are here, or
//! held here, have their credential handed back: a secret a deleted connection left behind is
//! not the group's.

use std::collections::{BTreeMap, BTreeSet};

use omniroute_sync::{Kind, RecordKey};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::ApplyReport;
use super::bodies::canonical;
use crate::connections::{api_key_secret_name, oauth_secret_name};
use crate::{SecretString, Secrets, Store, StoreError, now_ms};

/// Where a credential of a shape this build cannot read is kept.
pub fn held_credential_secret_name(connection_id: &str) -> String {
    format!("connection/{connection_id}/held")
}

/// Every secret name a connection's credential may be stored under, in order of preference
/// when more than one is stored and the connection links none of them.
pub(crate) fn connection_secret_names(connection_id: &str) -> [String; 3] {
    [
        api_key_secret_name(connection_id),
        oauth_secret_name(connection_id),
        held_credential_secret_name(connection_id),
    ]
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct CredentialBody {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    api_key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    oauth: Option<Map<String, Value>>,
}

/// Which of the connection's secrets a body goes to, and the text stored there.
enum Target {
    ApiKey(String),
    OAuth(Value),
    Held(Value),
}

impl Target {
    fn of(body: &Value) -> Self {
        match CredentialBody::deserialize(body) {
            Ok(CredentialBody {
                api_key: Some(key),
                oauth: None,
            }) if !key.is_empty() => Self::ApiKey(key),
            Ok(CredentialBody {
                api_key: None,
                oauth: Some(doc),
            }) => Self::OAuth(canonical(Value::Object(doc))),
            _ => Self::Held(canonical(body.clone())),
        }
    }

    fn secret_name(&self, id: &str) -> String {
        match self {
            Self::ApiKey(_) => api_key_secret_name(id),
            Self::OAuth(_) => oauth_secret_name(id),
            Self::Held(_) => held_credential_secret_name(id),
        }
    }

    fn text(&self) -> String {
        match self {
            Self::ApiKey(key) => key.clone(),
            Self::OAuth(doc) | Self::Held(doc) => doc.to_string(),
        }
    }

    /// Whether the stored secret already says this (documents compared as JSON: the gateway
    /// writes token documents in its own field order).
    fn matches(&self, stored: &SecretString) -> bool {
        match self {
            Self::ApiKey(key) => stored.expose() == key,
            Self::OAuth(doc) | Self::Held(doc) => {
                serde_json::from_str::<Value>(stored.expose()).is_ok_and(|s| canonical(s) == *doc)
            }
        }
    }
}

fn is_connection_id(id: &str) -> bool {
    !id.is_empty() && !id.contains('/')
}

impl Store {
    /// Every stored credential of a connection that is here (or held here) as a `credential`
    /// record, by connection id. Fails when a secret
    /// cannot be read (keychain locked, key file replaced): leave credentials out of that run's
    /// complete kinds rather than publish their deletion.
    pub async fn synced_credentials(
        &self,
        secrets: &Secrets,
    ) -> Result<Vec<(RecordKey, Value)>, StoreError> {
        let names: Vec<String> = sqlx::query_scalar(
            "SELECT name FROM secrets WHERE name LIKE 'connection/%' ORDER BY name",
        )
        .fetch_all(self.pool())
        .await?;
        let linked: BTreeMap<String, String> = sqlx::query_as(
            "SELECT id, secret_name FROM provider_connections WHERE secret_name IS NOT NULL",
        )
        .fetch_all(self.pool())
        .await?
        .into_iter()
        .collect();
        // A secret left behind by a connection deleted here is no credential of the group's:
        // only connections with a row, or held here, have one.
        let connections: BTreeSet<String> = sqlx::query_scalar(
            "SELECT id FROM provider_connections UNION SELECT id FROM sync_held WHERE kind = 'connection'",
        )
        .fetch_all(self.pool())
        .await?
        .into_iter()
        .collect();
        let mut stored: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for name in names {
            let Some((id, _)) = name
                .strip_prefix("connection/")
                .and_then(|rest| rest.rsplit_once('/'))
            else {
                continue;
            };
            if connections.contains(id) && connection_secret_names(id).contains(&name) {
                stored.entry(id.to_owned()).or_default().push(name.clone());
            }
        }
        let mut records = Vec::new();
        for (id, present) in stored {
            // The secret the connection uses; another one only if it links none of them.
            let chosen = match linked.get(&id) {
                Some(name) if present.contains(name) => Some(name.clone()),
                _ => connection_secret_names(&id)
                    .into_iter()
                    .find(|name| present.contains(name)),
            };
            let Some(name) = chosen else {
                continue;
            };
            let Some(secret) = secrets.get(&name).await? else {
                continue;
            };
            let body = if name == api_key_secret_name(&id) {
                serde_json::json!({ "apiKey": secret.expose() })
            } else {
                let doc: Value = serde_json::from_str(secret.expose()).map_err(|source| {
                    StoreError::Corrupt {
                        what: format!("stored credential of connection {id}"),
                        source,
                    }
                })?;
                if name == oauth_secret_name(&id) {
                    serde_json::json!({ "oauth": doc })
                } else {
                    doc
                }
            };
            records.push((RecordKey::new(Kind::Credential, id), canonical(body)));
        }
        Ok(records)
    }

    /// Writes the `credential` records of `changes` to the secret store (others are skipped:
    /// the same list can go to [`Store::apply_synced`] and here). A credential replaces every
    /// other secret of its connection and is linked to it; `None` deletes them all. A signed-in
    /// account that gets a new token document is marked signed in again (its old tokens' state
    /// no longer applies). The secret store is not transactional: each record is written on its
    /// own.
    pub async fn apply_synced_credentials(
        &self,
        secrets: &Secrets,
        changes: &[(RecordKey, Option<Value>)],
    ) -> Result<ApplyReport, StoreError> {
        let mut report = ApplyReport::default();
        for (key, body) in changes.iter().filter(|(k, _)| k.kind == Kind::Credential) {
            let id = key.id.as_str();
            if !is_connection_id(id) {
                report
                    .ignored
                    .push((key.clone(), format!("'{id}' is not a connection id")));
                continue;
            }
            let present = self.stored_credential_names(id).await?;
            let Some(body) = body else {
                for name in &present {
                    // Deleting the `secrets` row unlinks the connection (ON DELETE SET NULL).
                    secrets.delete(name).await?;
                }
                if present.is_empty() {
                    report.unchanged.push(key.clone());
                } else {
                    report.deleted.push(key.clone());
                }
                continue;
            };
            let target = Target::of(body);
            let name = target.secret_name(id);
            let already = present == [name.clone()]
                && secrets
                    .get(&name)
                    .await?
                    .is_some_and(|stored| target.matches(&stored));
            if !already {
                secrets
                    .put(&name, &SecretString::new(target.text()))
                    .await?;
                for other in present.iter().filter(|other| **other != name) {
                    secrets.delete(other).await?;
                }
            }
            match target {
                Target::Held(_) => report.held.push((
                    key.clone(),
                    "a credential this version cannot read; kept encrypted".into(),
                )),
                Target::OAuth(_) if !already => {
                    self.link_synced_secret(id, &name).await?;
                    self.mark_signed_in(id).await?;
                    report.written.push(key.clone());
                }
                _ => {
                    self.link_synced_secret(id, &name).await?;
                    if already {
                        report.unchanged.push(key.clone());
                    } else {
                        report.written.push(key.clone());
                    }
                }
            }
        }
        Ok(report)
    }

    /// The credential secrets stored for connection `id`.
    async fn stored_credential_names(&self, id: &str) -> Result<Vec<String>, StoreError> {
        let [api_key, oauth, held] = connection_secret_names(id);
        Ok(
            sqlx::query_scalar("SELECT name FROM secrets WHERE name IN ($1, $2, $3) ORDER BY name")
                .bind(api_key)
                .bind(oauth)
                .bind(held)
                .fetch_all(self.pool())
                .await?,
        )
    }

    /// Points connection `id` (if it is here) at `secret_name`, unless it already does.
    async fn link_synced_secret(&self, id: &str, secret_name: &str) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE provider_connections SET secret_name = $1, updated_at = $2 \
             WHERE id = $3 AND (secret_name IS NULL OR secret_name != $4)",
        )
        .bind(secret_name)
        .bind(now_ms())
        .bind(id)
        .bind(secret_name)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Clears a "needs sign-in" state and its error from connection `id`'s metadata.
    async fn mark_signed_in(&self, id: &str) -> Result<(), StoreError> {
        let metadata: Option<Option<String>> =
            sqlx::query_scalar("SELECT metadata FROM provider_connections WHERE id = $1")
                .bind(id)
                .fetch_optional(self.pool())
                .await?;
        let Some(Ok(Value::Object(mut meta))) = metadata
            .flatten()
            .map(|m| serde_json::from_str::<Value>(&m))
        else {
            return Ok(());
        };
        let signed_in = meta
            .get("state")
            .and_then(Value::as_str)
            .is_none_or(|s| s == "ok");
        if signed_in && !meta.contains_key("error") {
            return Ok(());
        }
        meta.insert("state".into(), Value::String("ok".into()));
        meta.remove("error");
        sqlx::query("UPDATE provider_connections SET metadata = $1, updated_at = $2 WHERE id = $3")
            .bind(Value::Object(meta).to_string())
            .bind(now_ms())
            .bind(id)
            .execute(self.pool())
            .await?;
        Ok(())
    }
}
