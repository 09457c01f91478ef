//! `/api/usage` (recorded requests, filtered and grouped), `/api/usage/budget` (limits per key
//! with live spend), `/api/usage/logs` (kept bodies), `/api/pricing` and `/api/cache`.

use std::collections::{BTreeMap, HashMap};

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::accounting::budgets::{self, BudgetState};
use crate::accounting::calendar::{Period, iso, parse_time};
use crate::accounting::pricing::{self, Price, Source};
use crate::admin::json::{ApiJson, ApiQuery};
use crate::error::ApiError;
use omniroute_store::usage::{Grouping, RequestLog, UsageFilter, UsageRow, UsageTotals};

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct UsageQuery {
    from: Option<String>,
    to: Option<String>,
    provider: Option<String>,
    model: Option<String>,
    /// A key id.
    key: Option<String>,
    group_by: Option<String>,
    limit: Option<i64>,
}

#[derive(Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct RequestRow {
    #[serde(flatten)]
    row: UsageRow,
    key_name: Option<String>,
}

#[derive(Serialize, ts_rs::TS)]
pub struct UsageReport {
    totals: UsageTotals,
    #[serde(rename = "groupBy", skip_serializing_if = "Option::is_none")]
    group_by: Option<String>,
    groups: Vec<UsageTotals>,
    requests: Vec<RequestRow>,
}

fn time(name: &str, value: Option<&String>) -> Result<Option<i64>, ApiError> {
    value
        .map(|v| {
            parse_time(v).ok_or_else(|| {
                ApiError::invalid(format!(
                    "{name}: '{v}' is not a time (use Unix ms, 2026-11-25 or 2026-11-25T08:00:00Z)"
                ))
            })
        })
        .transpose()
}

pub async fn report(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<UsageQuery>,
) -> Result<Json<UsageReport>, ApiError> {
    let filter = UsageFilter {
        from_ms: time("from", q.from.as_ref())?,
        to_ms: time("to", q.to.as_ref())?,
        provider: q.provider.filter(|s| !s.is_empty()),
        model: q.model.filter(|s| !s.is_empty()),
        key_id: q.key.filter(|s| !s.is_empty()),
    };
    let grouping = match q.group_by.as_deref() {
        None | Some("") => None,
        Some("hour") => Some(Grouping::Hour),
        Some("day") => Some(Grouping::Day),
        Some("provider") => Some(Grouping::Provider),
        Some("model") => Some(Grouping::Model),
        Some("key") => Some(Grouping::Key),
        Some("combo") => Some(Grouping::Combo),
        Some(other) => {
            return Err(ApiError::invalid(format!(
                "groupBy: unknown '{other}' (expected hour, day, provider, model, key or combo)"
            )));
        }
    };
    let limit = q.limit.unwrap_or(100).clamp(0, 10_000);
    let (totals, groups) = state.store.usage_summary(&filter, grouping).await?;
    let names = key_names(&state).await?;
    let requests = state
        .store
        .usage_rows(&filter, limit)
        .await?
        .into_iter()
        .map(|row| RequestRow {
            key_name: row
                .api_key_id
                .as_ref()
                .and_then(|id| names.get(id).cloned()),
            row,
        })
        .collect();
    Ok(Json(UsageReport {
        totals,
        group_by: q.group_by.filter(|g| !g.is_empty()),
        groups,
        requests,
    }))
}

#[derive(Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct BudgetStatus {
    key_id: String,
    key_name: String,
    period: Period,
    limit: f64,
    spent: f64,
    remaining: f64,
    /// Spent as a share of the limit, in percent.
    percent: f64,
    state: BudgetState,
    resets_at: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BudgetQuery {
    key_id: Option<String>,
    period: Option<String>,
}

/// Key id → name, for rows that carry only the id.
async fn key_names(state: &AppState) -> Result<HashMap<String, String>, ApiError> {
    Ok(state
        .store
        .api_keys()
        .await?
        .into_iter()
        .map(|k| (k.id, k.name))
        .collect())
}

async fn statuses(state: &AppState, only: Option<&str>) -> Result<Vec<BudgetStatus>, ApiError> {
    let names = key_names(state).await?;
    let now = omniroute_store::now_ms();
    let mut out = Vec::new();
    for budget in state.store.budgets().await? {
        if only.is_some_and(|id| id != budget.key_id) {
            continue;
        }
        let Some(period) = Period::parse(&budget.period) else {
            continue;
        };
        state
            .spend
            .ensure(&state.store, &budget.key_id, std::iter::once(period), now)
            .await?;
        let spent = state.spend.spent(&budget.key_id, period, now);
        out.push(BudgetStatus {
            key_name: names.get(&budget.key_id).cloned().unwrap_or_default(),
            key_id: budget.key_id,
            period,
            limit: budget.limit,
            spent,
            remaining: (budget.limit - spent).max(0.0),
            percent: if budget.limit > 0.0 {
                spent / budget.limit * 100.0
            } else {
                100.0
            },
            state: budgets::state(budget.limit, spent),
            resets_at: iso(period.bounds(now).1),
        });
    }
    Ok(out)
}

pub async fn list_budgets(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<BudgetQuery>,
) -> Result<Json<Vec<BudgetStatus>>, ApiError> {
    Ok(Json(statuses(&state, q.key_id.as_deref()).await?))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SetBudget {
    key_id: String,
    limit: f64,
    period: Period,
}

pub async fn set_budget(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<SetBudget>,
) -> Result<Json<Vec<BudgetStatus>>, ApiError> {
    if !body.limit.is_finite() || body.limit < 0.0 {
        return Err(ApiError::invalid(
            "limit must be a number of USD, 0 or more",
        ));
    }
    state
        .store
        .put_budget(&body.key_id, body.period.as_str(), body.limit)
        .await?;
    state.reload().await?;
    Ok(Json(statuses(&state, Some(&body.key_id)).await?))
}

pub async fn delete_budget(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<BudgetQuery>,
) -> Result<StatusCode, ApiError> {
    let (Some(key_id), Some(period)) = (q.key_id, q.period) else {
        return Err(ApiError::invalid("keyId and period are required"));
    };
    state.store.delete_budget(&key_id, &period).await?;
    state.reload().await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LogQuery {
    usage_id: Option<i64>,
    limit: Option<i64>,
}

pub async fn logs(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<LogQuery>,
) -> Result<Json<Vec<RequestLog>>, ApiError> {
    let limit = q.limit.unwrap_or(50).clamp(0, 1000);
    Ok(Json(state.store.request_logs(q.usage_id, limit).await?))
}

#[derive(Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct PriceRow {
    model: String,
    #[serde(flatten)]
    price: Price,
    source: Source,
}

fn price_list(state: &AppState) -> Vec<PriceRow> {
    let snapshot = state.registry.snapshot();
    let overrides = &snapshot.accounting.prices;
    let mut models: Vec<String> = state
        .catalog
        .providers
        .iter()
        .flat_map(|p| p.models.iter().map(move |m| format!("{}/{}", p.id, m.id)))
        .collect();
    models.extend(
        overrides
            .keys()
            .filter(|m| !models.contains(m))
            .cloned()
            .collect::<Vec<_>>(),
    );
    models.sort();
    models
        .into_iter()
        .map(|model| {
            let (price, source) = pricing::price_of(&state.catalog, overrides, &model);
            PriceRow {
                model,
                price,
                source,
            }
        })
        .collect()
}

pub async fn get_pricing(State(state): State<AppState>) -> Json<Vec<PriceRow>> {
    Json(price_list(&state))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PriceInput {
    input_per_1k: f64,
    output_per_1k: f64,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PriceEntry {
    model: String,
    input_per_1k: f64,
    output_per_1k: f64,
}

/// `PUT /api/pricing`: a list of `{model, inputPer1k, outputPer1k}`, or a map of model to
/// `{inputPer1k, outputPer1k}` where `null` removes the custom price.
#[derive(Deserialize)]
#[serde(untagged)]
pub enum PricingUpdate {
    List(Vec<PriceEntry>),
    Map(BTreeMap<String, Option<PriceInput>>),
}

pub async fn put_pricing(
    State(state): State<AppState>,
    ApiJson(update): ApiJson<PricingUpdate>,
) -> Result<Json<Vec<PriceRow>>, ApiError> {
    let changes: Vec<(String, Option<(f64, f64)>)> = match update {
        PricingUpdate::List(list) => list
            .into_iter()
            .map(|e| (e.model, Some((e.input_per_1k, e.output_per_1k))))
            .collect(),
        PricingUpdate::Map(map) => map
            .into_iter()
            .map(|(model, p)| (model, p.map(|p| (p.input_per_1k, p.output_per_1k))))
            .collect(),
    };
    for (model, price) in &changes {
        let Some((provider, id)) = model.split_once('/') else {
            return Err(ApiError::invalid(format!(
                "'{model}' is not a provider/model id"
            )));
        };
        if provider.is_empty() || id.is_empty() {
            return Err(ApiError::invalid(format!(
                "'{model}' is not a provider/model id"
            )));
        }
        if let Some((input, output)) = price {
            if !(input.is_finite() && output.is_finite() && *input >= 0.0 && *output >= 0.0) {
                return Err(ApiError::invalid(format!(
                    "{model}: prices must be numbers of USD per 1K tokens, 0 or more"
                )));
            }
        }
    }
    state.store.put_prices(&changes).await?;
    state.reload().await?;
    Ok(Json(price_list(&state)))
}

#[derive(Serialize, ts_rs::TS)]
pub struct CacheReport {
    settings: crate::accounting::CacheSettings,
    #[serde(flatten)]
    stats: crate::replay::cache::CacheStats,
}

pub async fn cache(State(state): State<AppState>) -> Json<CacheReport> {
    Json(CacheReport {
        settings: state.registry.snapshot().accounting.cache.clone(),
        stats: state.cache.stats(),
    })
}

pub async fn clear_cache(State(state): State<AppState>) -> StatusCode {
    state.cache.clear();
    StatusCode::NO_CONTENT
}
