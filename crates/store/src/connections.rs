//! The `provider_connections` table: accounts and API keys of providers. The credential itself
//! lives in `secrets` under `connection/<id>/api_key` (or `…/oauth` for a signed-in account);
//! this table only names it, with the non-secret account details of OAuth accounts (who, which
//! plan, until when, whether it must sign in again) in `metadata`.

use serde::{Deserialize, Serialize};
use sqlx::FromRow;

use crate::{Store, StoreError, new_id, now_ms};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, FromRow)]
pub struct Connection {
    pub id: String,
    pub provider: String,
    pub name: String,
    pub auth_kind: String,
    pub secret_name: Option<String>,
    pub base_url: Option<String>,
    pub priority: i64,
    #[sqlx(try_from = "crate::sql::Flag")]
    pub enabled: bool,
    pub created_at: i64,
    pub updated_at: i64,
    /// JSON `AccountMeta` of an OAuth account.
    #[serde(skip)]
    pub metadata: Option<String>,
    /// Keep to the plan's limits: an answer billed as extra usage or overage counts as the plan
    /// used up instead of being paid for.
    #[sqlx(try_from = "crate::sql::Flag")]
    pub plan_limits_only: bool,
}

/// `auth_kind` of a signed-in account (its tokens are kept under `oauth_secret_name`).
pub const AUTH_OAUTH: &str = "oauth";
/// `auth_kind` of the stand-in account a caller's own sign-in is passed through (never stored).
pub const AUTH_PASSTHROUGH: &str = "passthrough";

impl Connection {
    /// Whether this is a signed-in account, whose token is not an API key.
    pub fn is_oauth(&self) -> bool {
        self.auth_kind == AUTH_OAUTH
    }

    /// The OAuth account details, when this is a signed-in account.
    pub fn account_meta(&self) -> Option<AccountMeta> {
        self.metadata
            .as_deref()
            .and_then(|m| serde_json::from_str(m).ok())
    }
}

/// Where a signed-in account stands.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AuthState {
    #[default]
    Ok,
    Refreshing,
    /// The provider refused the refresh token: only a new sign-in helps. Routing skips it.
    NeedsSignIn,
}

impl AuthState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Refreshing => "refreshing",
            Self::NeedsSignIn => "needs-sign-in",
        }
    }
}

/// The non-secret details of an OAuth account.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountMeta {
    /// E-mail or login name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan: Option<String>,
    /// When the access token expires (Unix ms).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<i64>,
    #[serde(default)]
    pub state: AuthState,
    /// Why the account needs a new sign-in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The secret name under which a signed-in account's tokens are kept.
pub fn oauth_secret_name(connection_id: &str) -> String {
    format!("connection/{connection_id}/oauth")
}

#[derive(Debug, Clone, Default)]
pub struct NewConnection {
    pub provider: String,
    pub name: String,
    pub auth_kind: String,
    pub base_url: Option<String>,
    pub priority: i64,
    pub enabled: bool,
}

/// The secret name under which a connection's API key is kept.
pub fn api_key_secret_name(connection_id: &str) -> String {
    format!("connection/{connection_id}/api_key")
}

const COLUMNS: &str = "id, provider, name, auth_kind, secret_name, base_url, priority, enabled, created_at, updated_at, metadata, plan_limits_only";

impl Store {
    /// Inserts a connection; `secret_name` should already exist in `secrets` when given.
    pub async fn insert_connection(
        &self,
        new: &NewConnection,
        with_secret: bool,
    ) -> Result<Connection, StoreError> {
        let id = new_id();
        let now = now_ms();
        let secret_name = with_secret.then(|| api_key_secret_name(&id));
        sqlx::query(
            "INSERT INTO provider_connections (id, provider, name, auth_kind, secret_name, base_url, priority, enabled, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, NULL, $5, $6, $7, $8, $9)",
        )
        .bind(&id)
        .bind(&new.provider)
        .bind(&new.name)
        .bind(&new.auth_kind)
        .bind(&new.base_url)
        .bind(new.priority)
        .bind(i64::from(new.enabled))
        .bind(now)
        .bind(now)
        .execute(self.pool())
        .await?;
        if let Some(name) = &secret_name {
            self.link_connection_secret(&id, name).await?;
        }
        self.connection(&id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("connection {id}")))
    }

    /// Points a connection at its stored secret (after the secret was written).
    pub async fn link_connection_secret(
        &self,
        id: &str,
        secret_name: &str,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE provider_connections SET secret_name = $1, updated_at = $2 WHERE id = $3",
        )
        .bind(secret_name)
        .bind(now_ms())
        .bind(id)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Forgets which secret a connection uses (after the secret was deleted).
    pub async fn unlink_connection_secret(&self, id: &str) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE provider_connections SET secret_name = NULL, updated_at = $1 WHERE id = $2",
        )
        .bind(now_ms())
        .bind(id)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    pub async fn connection(&self, id: &str) -> Result<Option<Connection>, StoreError> {
        Ok(sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM provider_connections WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(self.pool())
        .await?)
    }

    /// All connections, by provider then priority (lowest first).
    pub async fn connections(&self) -> Result<Vec<Connection>, StoreError> {
        Ok(sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM provider_connections ORDER BY provider, priority, created_at"
        ))
        .fetch_all(self.pool())
        .await?)
    }

    /// Records an OAuth account's details.
    pub async fn set_account_meta(&self, id: &str, meta: &AccountMeta) -> Result<(), StoreError> {
        let json = serde_json::to_string(meta).map_err(|source| StoreError::Corrupt {
            what: "account details".into(),
            source,
        })?;
        sqlx::query("UPDATE provider_connections SET metadata = $1, updated_at = $2 WHERE id = $3")
            .bind(json)
            .bind(now_ms())
            .bind(id)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Deletes a connection; returns whether it existed. The caller removes its secret.
    pub async fn delete_connection(&self, id: &str) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM provider_connections WHERE id = $1")
            .bind(id)
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected() > 0)
    }
}

/// Fields of a connection that `PUT /api/providers/{id}` may change (`None`: unchanged).
#[derive(Debug, Clone, Default)]
pub struct ConnectionUpdate {
    pub name: Option<String>,
    /// `Some(None)` clears the override.
    pub base_url: Option<Option<String>>,
    pub priority: Option<i64>,
    pub enabled: Option<bool>,
    pub plan_limits_only: Option<bool>,
}

impl Store {
    /// Applies `update` to connection `id`; returns the updated row, `None` if there is none.
    pub async fn update_connection(
        &self,
        id: &str,
        update: &ConnectionUpdate,
    ) -> Result<Option<Connection>, StoreError> {
        let Some(current) = self.connection(id).await? else {
            return Ok(None);
        };
        sqlx::query(
            "UPDATE provider_connections SET name = $1, base_url = $2, priority = $3, enabled = $4, plan_limits_only = $5, updated_at = $6 WHERE id = $7",
        )
        .bind(update.name.clone().unwrap_or(current.name))
        .bind(update.base_url.clone().unwrap_or(current.base_url))
        .bind(update.priority.unwrap_or(current.priority))
        .bind(i64::from(update.enabled.unwrap_or(current.enabled)))
        .bind(i64::from(
            update.plan_limits_only.unwrap_or(current.plan_limits_only),
        ))
        .bind(now_ms())
        .bind(id)
        .execute(self.pool())
        .await?;
        self.connection(id).await
    }
}
