//! The JSON body of each synced kind, and reading every syncable row as `(key, body)`.
//!
//! Bodies are structs with a fixed field set (`deny_unknown_fields`): a body with a field this
//! build does not know comes from a newer OmniRoute and is held rather than applied without the
//! field — applying it would make this device publish the record again without that field,
//! undoing the newer device's edit. Every body leaves through [`canonical`] so the same row always
//! gives the same bytes, whatever serde_json's map features.

use std::collections::BTreeMap;

use omniroute_sync::{Kind, RecordKey};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sqlx::AnyConnection;

use crate::StoreError;
use crate::combos::ComboTarget;
use crate::connections::AccountMeta;
use crate::nodes::ApiType;

/// The settings sections every device of a group shares. The others (`security`, `logs`,
/// `proxy`, `active_combo`, the dashboard password, the installation id) describe this machine.
pub const SYNCED_SETTINGS: [&str; 5] = ["routing", "ai", "resilience", "cache", "notifications"];

/// `provider-node`, id = the node's prefix (its identity: models route by it). The node's own
/// `id` column is local: each device keeps the one it made.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct NodeBody {
    pub name: String,
    pub api_type: ApiType,
    pub base_url: String,
}

/// `connection`, id = the connection's id. Which secret it uses and its token state
/// (`state`, `error`, `expiresAt` of its metadata) are this device's and stay out.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct ConnectionBody {
    pub provider: String,
    pub name: String,
    /// `api_key`, `oauth` or `none`.
    pub auth_kind: String,
    pub base_url: Option<String>,
    pub priority: i64,
    pub enabled: bool,
    pub plan_limits_only: bool,
    /// The signed-in account (e-mail or login), from the metadata.
    pub account: Option<String>,
    pub plan: Option<String>,
}

/// The values the table's CHECK constraint allows.
pub(super) const AUTH_KINDS: [&str; 3] = ["api_key", "oauth", "none"];

/// `custom-model`, id = `provider/modelId` (the provider is a catalog id or a node prefix, which
/// never hold a `/`; the model id may).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct CustomModelBody {
    pub model_name: String,
    /// `chat`, `embedding`, `image` or `audio`.
    pub kind: String,
}

pub(super) const MODEL_KINDS: [&str; 4] = ["chat", "embedding", "image", "audio"];

/// `alias`, id = the model name a client sends (an exact id or a wildcard pattern): what it
/// routes to (`model_aliases`) and the global fallback chain it heads (`fallback_chains`), either
/// or both. Both tables are keyed by that name and read together when a request is planned, so
/// one record carries both rather than a record kind the sync core does not have.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct AliasBody {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fallback_chain: Option<Vec<String>>,
}

/// `combo`, id = the combo's name (what clients and nested combos call it by, and what the
/// active combo names). Its `id` column is local.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct ComboBody {
    pub strategy: String,
    pub models: Vec<SyncedComboTarget>,
    /// Display order among combos.
    pub position: i64,
}

/// A combo target with every field required: the stored list always has them, and a target
/// with a field this build lacks must not lose it silently.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct SyncedComboTarget {
    pub model: String,
    pub weight: u32,
}

/// `pricing`, id = `provider/model`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct PriceBody {
    pub input_per_1k: f64,
    pub output_per_1k: f64,
}

/// `budget`, id = `<API key id>/<period>`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct BudgetBody {
    /// USD per period.
    pub limit: f64,
}

pub(super) const BUDGET_PERIODS: [&str; 3] = ["daily", "weekly", "monthly"];

/// The id of a custom model or price: `provider/model`.
pub(super) fn model_key(provider: &str, model: &str) -> String {
    format!("{provider}/{model}")
}

/// `provider/model` split at its first `/`; both parts non-empty.
pub(super) fn split_model_key(id: &str) -> Option<(&str, &str)> {
    id.split_once('/')
        .filter(|(provider, model)| !provider.is_empty() && !model.is_empty())
}

/// The id of a budget: `<key id>/<period>`.
pub(super) fn budget_key(key_id: &str, period: &str) -> String {
    format!("{key_id}/{period}")
}

/// `<key id>/<period>` split at its last `/`, with a period the table accepts.
pub(super) fn split_budget_key(id: &str) -> Option<(&str, &str)> {
    id.rsplit_once('/')
        .filter(|(key_id, period)| !key_id.is_empty() && BUDGET_PERIODS.contains(period))
}

/// `value` with every object's keys in sorted order, at any depth: the same content always
/// serializes to the same bytes.
pub fn canonical(value: Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(String, Value)> = map.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Object(
                entries
                    .into_iter()
                    .map(|(k, v)| (k, canonical(v)))
                    .collect::<Map<String, Value>>(),
            )
        }
        Value::Array(items) => Value::Array(items.into_iter().map(canonical).collect()),
        other => other,
    }
}

/// The canonical JSON of a body struct.
pub(super) fn to_body<T: Serialize>(body: &T, what: &str) -> Result<Value, StoreError> {
    serde_json::to_value(body)
        .map(canonical)
        .map_err(|source| StoreError::Corrupt {
            what: what.to_owned(),
            source,
        })
}

/// Every syncable row, keyed and in canonical form: what this device's tables say, without the
/// held records laid over them.
pub(super) async fn read_rows(
    conn: &mut AnyConnection,
) -> Result<BTreeMap<RecordKey, Value>, StoreError> {
    let mut rows = BTreeMap::new();

    let nodes: Vec<(String, String, ApiType, String)> =
        sqlx::query_as("SELECT prefix, name, api_type, base_url FROM provider_nodes")
            .fetch_all(&mut *conn)
            .await?;
    for (prefix, name, api_type, base_url) in nodes {
        let body = NodeBody {
            name,
            api_type,
            base_url,
        };
        rows.insert(
            RecordKey::new(Kind::ProviderNode, prefix),
            to_body(&body, "provider node")?,
        );
    }

    let connections: Vec<ConnectionRow> = sqlx::query_as(
        "SELECT id, provider, name, auth_kind, base_url, priority, enabled, plan_limits_only, metadata \
         FROM provider_connections",
    )
    .fetch_all(&mut *conn)
    .await?;
    for row in connections {
        let meta: AccountMeta = row
            .metadata
            .as_deref()
            .and_then(|m| serde_json::from_str(m).ok())
            .unwrap_or_default();
        let body = ConnectionBody {
            provider: row.provider,
            name: row.name,
            auth_kind: row.auth_kind,
            base_url: row.base_url,
            priority: row.priority,
            enabled: row.enabled,
            plan_limits_only: row.plan_limits_only,
            account: meta.account,
            plan: meta.plan,
        };
        rows.insert(
            RecordKey::new(Kind::Connection, row.id),
            to_body(&body, "connection")?,
        );
    }

    let models: Vec<(String, String, String, String)> =
        sqlx::query_as("SELECT provider, model_id, model_name, kind FROM provider_models")
            .fetch_all(&mut *conn)
            .await?;
    for (provider, model_id, model_name, kind) in models {
        let body = CustomModelBody { model_name, kind };
        rows.insert(
            RecordKey::new(Kind::CustomModel, model_key(&provider, &model_id)),
            to_body(&body, "custom model")?,
        );
    }

    let mut aliases: BTreeMap<String, AliasBody> = BTreeMap::new();
    let targets: Vec<(String, String)> =
        sqlx::query_as("SELECT pattern, target FROM model_aliases")
            .fetch_all(&mut *conn)
            .await?;
    for (pattern, target) in targets {
        aliases.entry(pattern).or_insert_with(empty_alias).target = Some(target);
    }
    let chains: Vec<(String, String)> =
        sqlx::query_as("SELECT model, targets FROM fallback_chains")
            .fetch_all(&mut *conn)
            .await?;
    for (model, targets) in chains {
        let chain: Vec<String> =
            serde_json::from_str(&targets).map_err(|source| StoreError::Corrupt {
                what: format!("fallback chain of '{model}'"),
                source,
            })?;
        aliases
            .entry(model)
            .or_insert_with(empty_alias)
            .fallback_chain = Some(chain);
    }
    for (name, body) in aliases {
        rows.insert(RecordKey::new(Kind::Alias, name), to_body(&body, "alias")?);
    }

    let combos: Vec<(String, String, String, i64)> =
        sqlx::query_as("SELECT name, strategy, targets, position FROM combos")
            .fetch_all(&mut *conn)
            .await?;
    for (name, strategy, targets, position) in combos {
        let models: Vec<ComboTarget> =
            serde_json::from_str(&targets).map_err(|source| StoreError::Corrupt {
                what: format!("targets of combo '{name}'"),
                source,
            })?;
        let body = ComboBody {
            strategy,
            models: models
                .into_iter()
                .map(|t| SyncedComboTarget {
                    model: t.model,
                    weight: t.weight,
                })
                .collect(),
            position,
        };
        rows.insert(RecordKey::new(Kind::Combo, name), to_body(&body, "combo")?);
    }

    let prices: Vec<(String, f64, f64)> =
        sqlx::query_as("SELECT model, input_per_1k, output_per_1k FROM pricing")
            .fetch_all(&mut *conn)
            .await?;
    for (model, input_per_1k, output_per_1k) in prices {
        let body = PriceBody {
            input_per_1k,
            output_per_1k,
        };
        rows.insert(
            RecordKey::new(Kind::Pricing, model),
            to_body(&body, "price")?,
        );
    }

    let budgets: Vec<(String, String, f64)> =
        sqlx::query_as("SELECT key_id, period, limit_usd FROM budgets")
            .fetch_all(&mut *conn)
            .await?;
    for (key_id, period, limit) in budgets {
        rows.insert(
            RecordKey::new(Kind::Budget, budget_key(&key_id, &period)),
            to_body(&BudgetBody { limit }, "budget")?,
        );
    }

    let settings: Vec<(String, String)> = sqlx::query_as("SELECT key, value FROM settings")
        .fetch_all(&mut *conn)
        .await?;
    for (section, raw) in settings {
        if !SYNCED_SETTINGS.contains(&section.as_str()) {
            continue;
        }
        let value: Value = serde_json::from_str(&raw).map_err(|source| StoreError::Corrupt {
            what: format!("setting '{section}'"),
            source,
        })?;
        rows.insert(RecordKey::new(Kind::Settings, section), canonical(value));
    }

    Ok(rows)
}

fn empty_alias() -> AliasBody {
    AliasBody {
        target: None,
        fallback_chain: None,
    }
}

#[derive(sqlx::FromRow)]
struct ConnectionRow {
    id: String,
    provider: String,
    name: String,
    auth_kind: String,
    base_url: Option<String>,
    priority: i64,
    #[sqlx(try_from = "crate::sql::Flag")]
    enabled: bool,
    #[sqlx(try_from = "crate::sql::Flag")]
    plan_limits_only: bool,
    metadata: Option<String>,
}
