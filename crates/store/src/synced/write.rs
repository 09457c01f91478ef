//! Applying one synced record to its table(s): parse and check the body, then insert or update
//! the row under its natural key, keeping what is this device's own (local ids, a connection's
//! secret and token state, timestamps), or delete it. A body this build cannot use comes back as
//! [`Applied::Held`], never as an error: errors are for the database itself.

use omniroute_sync::{Kind, RecordKey};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use sqlx::AnyConnection;

use super::bodies::{
    AUTH_KINDS, AliasBody, BudgetBody, ComboBody, ConnectionBody, CustomModelBody, MODEL_KINDS,
    NodeBody, PriceBody, SYNCED_SETTINGS, canonical, split_budget_key, split_model_key, to_body,
};
use super::credentials::connection_secret_names;
use crate::combos::ComboTarget;
use crate::connections::{AUTH_OAUTH, api_key_secret_name, oauth_secret_name};
use crate::{StoreError, new_id, now_ms};

/// Settings sections that are this machine's: a record naming one is ignored both ways (never
/// written here, never held — so this device's journal publishes its deletion and the stray
/// record leaves the group).
const LOCAL_SETTINGS: [&str; 6] = [
    "security",
    "logs",
    "proxy",
    "active_combo",
    crate::backups::AUTH_SECTION,
    crate::settings::INSTALL_ID_KEY,
];

/// What applying one record did.
#[derive(Debug)]
pub(super) enum Applied {
    /// A row was created or changed.
    Written,
    /// The tables already said this.
    Unchanged,
    /// The row was deleted; for a connection, the secrets it leaves behind.
    Deleted { released_secrets: Vec<String> },
    /// Not applied; kept as received. The reason is for the report.
    Held(String),
    /// Not this store's to apply (a local settings section).
    Ignored(String),
}

/// Applies `body` (`None`: deleted) for `key`, whose current canonical body is `current`.
pub(super) async fn apply_one(
    conn: &mut AnyConnection,
    key: &RecordKey,
    body: Option<&Value>,
    current: Option<&Value>,
) -> Result<Applied, StoreError> {
    let id = key.id.as_str();
    if key.kind == Kind::Settings {
        return apply_settings(conn, id, body, current).await;
    }
    let Some(body) = body else {
        if current.is_none() {
            return Ok(Applied::Unchanged);
        }
        return delete(conn, key.kind, id).await;
    };
    let parsed = match Parsed::read(key.kind, id, body) {
        Ok(parsed) => parsed,
        Err(reason) => return Ok(Applied::Held(reason)),
    };
    if Some(&parsed.canonical()?) == current {
        return Ok(Applied::Unchanged);
    }
    parsed.write(conn, id).await
}

/// A body read and checked for its kind, with the parts of the id it needs.
enum Parsed<'a> {
    Node(NodeBody),
    Connection(ConnectionBody),
    CustomModel {
        provider: &'a str,
        model_id: &'a str,
        body: CustomModelBody,
    },
    Alias(AliasBody),
    Combo(ComboBody),
    Price(PriceBody),
    Budget {
        key_id: &'a str,
        period: &'a str,
        body: BudgetBody,
    },
}

fn parse<T: DeserializeOwned>(body: &Value, what: &str) -> Result<T, String> {
    T::deserialize(body).map_err(|e| format!("not a {what} this version can read: {e}"))
}

impl<'a> Parsed<'a> {
    /// The body for `kind`/`id`, or why this build cannot apply it.
    fn read(kind: Kind, id: &'a str, body: &Value) -> Result<Self, String> {
        if id.is_empty() {
            return Err("empty record id".into());
        }
        Ok(match kind {
            Kind::ProviderNode => Self::Node(parse(body, "provider node")?),
            Kind::Connection => {
                let c: ConnectionBody = parse(body, "connection")?;
                if !AUTH_KINDS.contains(&c.auth_kind.as_str()) {
                    return Err(format!("unknown auth kind '{}'", c.auth_kind));
                }
                if c.provider.is_empty() {
                    return Err("connection without a provider".into());
                }
                Self::Connection(c)
            }
            Kind::CustomModel => {
                let (provider, model_id) = split_model_key(id)
                    .ok_or_else(|| format!("custom model id '{id}' is not provider/model"))?;
                let body: CustomModelBody = parse(body, "custom model")?;
                if !MODEL_KINDS.contains(&body.kind.as_str()) {
                    return Err(format!("unknown model kind '{}'", body.kind));
                }
                Self::CustomModel {
                    provider,
                    model_id,
                    body,
                }
            }
            Kind::Alias => {
                let a: AliasBody = parse(body, "alias")?;
                if a.target.is_none() && a.fallback_chain.is_none() {
                    return Err("alias with neither a target nor a fallback chain".into());
                }
                if a.target.as_deref() == Some("") {
                    return Err("alias with an empty target".into());
                }
                Self::Alias(a)
            }
            Kind::Combo => Self::Combo(parse(body, "combo")?),
            Kind::Pricing => {
                let p: PriceBody = parse(body, "price")?;
                if p.input_per_1k < 0.0 || p.output_per_1k < 0.0 {
                    return Err("negative price".into());
                }
                Self::Price(p)
            }
            Kind::Budget => {
                let (key_id, period) = split_budget_key(id)
                    .ok_or_else(|| format!("budget id '{id}' is not <key id>/<period>"))?;
                let body: BudgetBody = parse(body, "budget")?;
                if body.limit < 0.0 {
                    return Err("negative budget".into());
                }
                Self::Budget {
                    key_id,
                    period,
                    body,
                }
            }
            Kind::Settings | Kind::Credential => {
                return Err(format!("{kind:?} records are not rows"));
            }
        })
    }

    /// The body as `synced_rows` would give it once written.
    fn canonical(&self) -> Result<Value, StoreError> {
        match self {
            Self::Node(b) => to_body(b, "provider node"),
            Self::Connection(b) => to_body(b, "connection"),
            Self::CustomModel { body, .. } => to_body(body, "custom model"),
            Self::Alias(b) => to_body(b, "alias"),
            Self::Combo(b) => to_body(b, "combo"),
            Self::Price(b) => to_body(b, "price"),
            Self::Budget { body, .. } => to_body(body, "budget"),
        }
    }

    async fn write(self, conn: &mut AnyConnection, id: &str) -> Result<Applied, StoreError> {
        let now = now_ms();
        match self {
            Self::Node(b) => {
                sqlx::query(
                    "INSERT INTO provider_nodes (id, name, prefix, api_type, base_url, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT(prefix) DO UPDATE SET name = excluded.name, \
                     api_type = excluded.api_type, base_url = excluded.base_url, updated_at = excluded.updated_at",
                )
                .bind(new_id())
                .bind(&b.name)
                .bind(id)
                .bind(b.api_type)
                .bind(&b.base_url)
                .bind(now)
                .bind(now)
                .execute(&mut *conn)
                .await?;
            }
            Self::Connection(b) => write_connection(conn, id, &b).await?,
            Self::CustomModel {
                provider,
                model_id,
                body,
            } => {
                sqlx::query(
                    "INSERT INTO provider_models (provider, model_id, model_name, kind, created_at) VALUES ($1, $2, $3, $4, $5) \
                     ON CONFLICT(provider, model_id) DO UPDATE SET model_name = excluded.model_name, kind = excluded.kind",
                )
                .bind(provider)
                .bind(model_id)
                .bind(&body.model_name)
                .bind(&body.kind)
                .bind(now)
                .execute(&mut *conn)
                .await?;
            }
            Self::Alias(a) => write_alias(conn, id, &a).await?,
            Self::Combo(c) => {
                let models: Vec<ComboTarget> = c
                    .models
                    .iter()
                    .map(|t| ComboTarget {
                        model: t.model.clone(),
                        weight: t.weight,
                    })
                    .collect();
                let targets = json_text(&models, "combo targets")?;
                sqlx::query(
                    "INSERT INTO combos (id, name, strategy, targets, position, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT(name) DO UPDATE SET strategy = excluded.strategy, \
                     targets = excluded.targets, position = excluded.position, updated_at = excluded.updated_at",
                )
                .bind(new_id())
                .bind(id)
                .bind(&c.strategy)
                .bind(targets)
                .bind(c.position)
                .bind(now)
                .bind(now)
                .execute(&mut *conn)
                .await?;
            }
            Self::Price(p) => {
                sqlx::query(
                    "INSERT INTO pricing (model, input_per_1k, output_per_1k, updated_at) VALUES ($1, $2, $3, $4) \
                     ON CONFLICT(model) DO UPDATE SET input_per_1k = excluded.input_per_1k, \
                     output_per_1k = excluded.output_per_1k, updated_at = excluded.updated_at",
                )
                .bind(id)
                .bind(p.input_per_1k)
                .bind(p.output_per_1k)
                .bind(now)
                .execute(&mut *conn)
                .await?;
            }
            Self::Budget {
                key_id,
                period,
                body,
            } => {
                // API keys never sync and their ids are random: a budget made on another device
                // names a key that exists only there (unless this database was restored from
                // that one). It is kept, held, and applies if the key ever exists here.
                let known: Option<i64> = sqlx::query_scalar("SELECT 1 FROM api_keys WHERE id = $1")
                    .bind(key_id)
                    .fetch_optional(&mut *conn)
                    .await?;
                if known.is_none() {
                    return Ok(Applied::Held(format!(
                        "budget of API key '{key_id}', which is not on this device"
                    )));
                }
                sqlx::query(
                    "INSERT INTO budgets (key_id, period, limit_usd, created_at) VALUES ($1, $2, $3, $4) \
                     ON CONFLICT(key_id, period) DO UPDATE SET limit_usd = excluded.limit_usd",
                )
                .bind(key_id)
                .bind(period)
                .bind(body.limit)
                .bind(now)
                .execute(&mut *conn)
                .await?;
            }
        }
        Ok(Applied::Written)
    }
}

fn json_text<T: serde::Serialize>(value: &T, what: &str) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|source| StoreError::Corrupt {
        what: what.to_owned(),
        source,
    })
}

/// Inserts or updates connection `id`. An existing row keeps its secret and the token state in
/// its metadata; a row without a secret links the credential stored for its auth kind, if a
/// synced credential arrived before the connection did.
async fn write_connection(
    conn: &mut AnyConnection,
    id: &str,
    b: &ConnectionBody,
) -> Result<(), StoreError> {
    let now = now_ms();
    let existing: Option<(Option<String>, Option<String>)> =
        sqlx::query_as("SELECT metadata, secret_name FROM provider_connections WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?;
    let (metadata, secret_name) = existing.clone().unwrap_or_default();
    let metadata = with_account(metadata.as_deref(), b.account.as_deref(), b.plan.as_deref());
    let secret_name = match secret_name {
        Some(name) => Some(name),
        None => stored_credential(conn, id, &b.auth_kind).await?,
    };
    if existing.is_some() {
        sqlx::query(
            "UPDATE provider_connections SET provider = $1, name = $2, auth_kind = $3, base_url = $4, priority = $5, \
             enabled = $6, plan_limits_only = $7, metadata = $8, secret_name = $9, updated_at = $10 WHERE id = $11",
        )
        .bind(&b.provider)
        .bind(&b.name)
        .bind(&b.auth_kind)
        .bind(&b.base_url)
        .bind(b.priority)
        .bind(i64::from(b.enabled))
        .bind(i64::from(b.plan_limits_only))
        .bind(metadata)
        .bind(secret_name)
        .bind(now)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    } else {
        sqlx::query(
            "INSERT INTO provider_connections (id, provider, name, auth_kind, secret_name, base_url, priority, \
             enabled, plan_limits_only, metadata, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(id)
        .bind(&b.provider)
        .bind(&b.name)
        .bind(&b.auth_kind)
        .bind(secret_name)
        .bind(&b.base_url)
        .bind(b.priority)
        .bind(i64::from(b.enabled))
        .bind(i64::from(b.plan_limits_only))
        .bind(metadata)
        .bind(now)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// The name of the secret stored for connection `id` and `auth_kind`, if there is one.
async fn stored_credential(
    conn: &mut AnyConnection,
    id: &str,
    auth_kind: &str,
) -> Result<Option<String>, StoreError> {
    let name = match auth_kind {
        AUTH_OAUTH => oauth_secret_name(id),
        "api_key" => api_key_secret_name(id),
        _ => return Ok(None),
    };
    Ok(
        sqlx::query_scalar("SELECT name FROM secrets WHERE name = $1")
            .bind(name)
            .fetch_optional(&mut *conn)
            .await?,
    )
}

/// The metadata `local` with the synced account and plan put in, everything else (the token
/// state, fields this build does not know) as it was. Unchanged text when they already match.
pub(super) fn with_account(
    local: Option<&str>,
    account: Option<&str>,
    plan: Option<&str>,
) -> Option<String> {
    let mut map: Map<String, Value> = match local.map(serde_json::from_str::<Value>) {
        Some(Ok(Value::Object(map))) => map,
        _ => Map::new(),
    };
    let held = |map: &Map<String, Value>, field: &str| {
        map.get(field).and_then(Value::as_str).map(str::to_owned)
    };
    if held(&map, "account").as_deref() == account && held(&map, "plan").as_deref() == plan {
        return local.map(str::to_owned);
    }
    for (field, value) in [("account", account), ("plan", plan)] {
        match value {
            Some(v) => map.insert(field.to_owned(), Value::String(v.to_owned())),
            None => map.remove(field),
        };
    }
    (!map.is_empty()).then(|| Value::Object(map).to_string())
}

async fn write_alias(
    conn: &mut AnyConnection,
    name: &str,
    a: &AliasBody,
) -> Result<(), StoreError> {
    let now = now_ms();
    match &a.target {
        Some(target) => {
            sqlx::query(
                "INSERT INTO model_aliases (pattern, target, created_at) VALUES ($1, $2, $3) \
                 ON CONFLICT(pattern) DO UPDATE SET target = excluded.target",
            )
            .bind(name)
            .bind(target)
            .bind(now)
            .execute(&mut *conn)
            .await?;
        }
        None => {
            sqlx::query("DELETE FROM model_aliases WHERE pattern = $1")
                .bind(name)
                .execute(&mut *conn)
                .await?;
        }
    }
    match &a.fallback_chain {
        Some(chain) => {
            sqlx::query(
                "INSERT INTO fallback_chains (id, model, targets, created_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT(model) DO UPDATE SET targets = excluded.targets",
            )
            .bind(new_id())
            .bind(name)
            .bind(json_text(chain, "fallback chain")?)
            .bind(now)
            .execute(&mut *conn)
            .await?;
        }
        None => {
            sqlx::query("DELETE FROM fallback_chains WHERE model = $1")
                .bind(name)
                .execute(&mut *conn)
                .await?;
        }
    }
    Ok(())
}

/// Deletes the row(s) of `kind`/`id`, which exist.
async fn delete(conn: &mut AnyConnection, kind: Kind, id: &str) -> Result<Applied, StoreError> {
    let mut released_secrets = Vec::new();
    match kind {
        Kind::ProviderNode => {
            sqlx::query("DELETE FROM provider_nodes WHERE prefix = $1")
                .bind(id)
                .execute(&mut *conn)
                .await?;
        }
        Kind::Connection => {
            // Every credential of the connection goes with it; the secret store (possibly the
            // OS keychain) is outside this transaction, so the caller deletes them.
            let linked: Option<Option<String>> =
                sqlx::query_scalar("SELECT secret_name FROM provider_connections WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&mut *conn)
                    .await?;
            released_secrets.extend(linked.flatten());
            for name in connection_secret_names(id) {
                let stored: Option<String> =
                    sqlx::query_scalar("SELECT name FROM secrets WHERE name = $1")
                        .bind(&name)
                        .fetch_optional(&mut *conn)
                        .await?;
                released_secrets.extend(stored);
            }
            released_secrets.sort();
            released_secrets.dedup();
            sqlx::query("DELETE FROM provider_connections WHERE id = $1")
                .bind(id)
                .execute(&mut *conn)
                .await?;
        }
        Kind::CustomModel => {
            sqlx::query("DELETE FROM provider_models WHERE provider || '/' || model_id = $1")
                .bind(id)
                .execute(&mut *conn)
                .await?;
        }
        Kind::Alias => {
            sqlx::query("DELETE FROM model_aliases WHERE pattern = $1")
                .bind(id)
                .execute(&mut *conn)
                .await?;
            sqlx::query("DELETE FROM fallback_chains WHERE model = $1")
                .bind(id)
                .execute(&mut *conn)
                .await?;
        }
        Kind::Combo => {
            sqlx::query("DELETE FROM combos WHERE name = $1")
                .bind(id)
                .execute(&mut *conn)
                .await?;
        }
        Kind::Pricing => {
            sqlx::query("DELETE FROM pricing WHERE model = $1")
                .bind(id)
                .execute(&mut *conn)
                .await?;
        }
        Kind::Budget => {
            sqlx::query("DELETE FROM budgets WHERE key_id || '/' || period = $1")
                .bind(id)
                .execute(&mut *conn)
                .await?;
        }
        Kind::Settings | Kind::Credential => return Ok(Applied::Unchanged),
    }
    Ok(Applied::Deleted { released_secrets })
}

/// A settings section: only the shared ones are ever written or deleted here.
async fn apply_settings(
    conn: &mut AnyConnection,
    section: &str,
    body: Option<&Value>,
    current: Option<&Value>,
) -> Result<Applied, StoreError> {
    if LOCAL_SETTINGS.contains(&section) {
        return Ok(Applied::Ignored(format!(
            "settings section '{section}' belongs to each machine"
        )));
    }
    if !SYNCED_SETTINGS.contains(&section) {
        // A section a newer version shares: kept for it, never written here.
        return Ok(match body {
            Some(_) => Applied::Held(format!(
                "settings section '{section}' is unknown to this version"
            )),
            None => Applied::Unchanged,
        });
    }
    let body = body.cloned().map(canonical);
    if body.as_ref() == current {
        return Ok(Applied::Unchanged);
    }
    match body {
        Some(value) => {
            sqlx::query(
                "INSERT INTO settings (key, value, updated_at) VALUES ($1, $2, $3) \
                 ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
            )
            .bind(section)
            .bind(value.to_string())
            .bind(now_ms())
            .execute(&mut *conn)
            .await?;
            Ok(Applied::Written)
        }
        None => {
            sqlx::query("DELETE FROM settings WHERE key = $1")
                .bind(section)
                .execute(&mut *conn)
                .await?;
            Ok(Applied::Deleted {
                released_secrets: Vec::new(),
            })
        }
    }
}
