//! The `usage` and `request_logs` tables: one row per client request, written in batches by
//! the gateway's recorder, read back filtered and grouped for the dashboard and budgets.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use sqlx::FromRow;

use crate::sql::Flag;
use crate::{Sql, Store, StoreError};

/// One request as recorded.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, FromRow, ts_rs::TS)]
#[serde(rename_all = "camelCase", default)]
pub struct UsageRow {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<i64>,
    /// The row's own id from the gateway that recorded it (its journal's key); stored rows
    /// with the same one are not stored again.
    #[serde(skip)]
    #[sqlx(default)]
    pub uid: Option<String>,
    /// Unix ms when the request arrived.
    pub ts: i64,
    pub api_key_id: Option<String>,
    pub combo: Option<String>,
    pub provider: Option<String>,
    pub connection_id: Option<String>,
    /// The model that served (`provider/model`), else the one asked for.
    pub model: String,
    pub client_format: String,
    #[sqlx(try_from = "Flag")]
    pub stream: bool,
    pub input_tokens: i64,
    pub output_tokens: i64,
    pub cached_tokens: i64,
    /// Input tokens written to the provider's prompt cache.
    pub cache_write_tokens: i64,
    pub reasoning_tokens: i64,
    pub cost_usd: f64,
    pub latency_ms: i64,
    pub ttft_ms: Option<i64>,
    pub status: i64,
    pub attempts: i64,
    /// JSON `[{target, reason}]` of the targets skipped or failed before the answer.
    pub fallback_reasons: Option<String>,
    #[sqlx(try_from = "String")]
    pub source: AnswerSource,
}

/// Where an answer came from. Stored as text; a value this build does not know is an error
/// when rows are read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "lowercase")]
pub enum AnswerSource {
    /// An upstream answered (or the request failed on its way there).
    #[default]
    Upstream,
    /// The response cache answered.
    Cache,
    /// An idempotent retry got the first answer again.
    Replay,
}

impl AnswerSource {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Upstream => "upstream",
            Self::Cache => "cache",
            Self::Replay => "replay",
        }
    }
}

impl TryFrom<String> for AnswerSource {
    type Error = String;

    fn try_from(s: String) -> Result<Self, String> {
        [Self::Upstream, Self::Cache, Self::Replay]
            .into_iter()
            .find(|v| v.as_str() == s)
            .ok_or_else(|| format!("unknown answer source {s:?}"))
    }
}

/// Bodies kept for a request when request logging is on (already redacted).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct BodyLog {
    pub request: String,
    pub response: String,
}

/// Which rows `usage_summary` and `usage_rows` read.
#[derive(Debug, Clone, Default)]
pub struct UsageFilter {
    pub from_ms: Option<i64>,
    pub to_ms: Option<i64>,
    pub provider: Option<String>,
    pub model: Option<String>,
    pub key_id: Option<String>,
}

/// How `usage_summary` groups.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grouping {
    Hour,
    Day,
    Provider,
    Model,
    Key,
    Combo,
}

impl Grouping {
    fn expression(self) -> &'static str {
        match self {
            Self::Hour => "CAST((ts / 3600000) * 3600000 AS TEXT)",
            Self::Day => "CAST((ts / 86400000) * 86400000 AS TEXT)",
            Self::Provider => "COALESCE(provider, '')",
            Self::Model => "model",
            Self::Key => "COALESCE(api_key_id, '')",
            Self::Combo => "COALESCE(combo, '')",
        }
    }
}

/// Sums over a set of rows.
#[derive(Debug, Clone, Default, PartialEq, Serialize, FromRow, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct UsageTotals {
    /// The group's value (absent for the overall totals).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    pub requests: i64,
    pub errors: i64,
    pub input_tokens: i64,
    pub output_tokens: i64,
    pub cached_tokens: i64,
    pub cache_write_tokens: i64,
    pub reasoning_tokens: i64,
    pub cost_usd: f64,
    pub avg_latency_ms: f64,
}

/// A kept request body pair.
#[derive(Debug, Clone, PartialEq, Serialize, FromRow, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct RequestLog {
    pub id: i64,
    pub usage_id: Option<i64>,
    pub ts: i64,
    pub request_body: Option<String>,
    pub response_body: Option<String>,
}

/// Rows per multi-row INSERT, largest first: 20 columns each, well under SQLite's limit of
/// bound parameters.
const STATEMENT_SIZES: [usize; 3] = [100, 10, 1];

/// `INSERT INTO usage … VALUES (…), (…)` for `rows`, followed by `tail`.
fn usage_insert<'a>(rows: &[&'a UsageRow], tail: &str) -> Sql<'a> {
    let mut query = Sql::new(
        "INSERT INTO usage (ts, api_key_id, combo, provider, connection_id, model, client_format, \
         stream, input_tokens, output_tokens, cached_tokens, reasoning_tokens, cost_usd, latency_ms, \
         ttft_ms, status, attempts, fallback_reasons, source, cache_write_tokens, uid) VALUES ",
    );
    for (i, row) in rows.iter().enumerate() {
        query.push(if i == 0 { "(" } else { ", (" });
        query
            .bind(row.ts)
            .push(", ")
            .bind(row.api_key_id.as_deref())
            .push(", ")
            .bind(row.combo.as_deref())
            .push(", ")
            .bind(row.provider.as_deref())
            .push(", ")
            .bind(row.connection_id.as_deref())
            .push(", ")
            .bind(row.model.as_str())
            .push(", ")
            .bind(row.client_format.as_str())
            .push(", ")
            .bind(i64::from(row.stream))
            .push(", ")
            .bind(row.input_tokens)
            .push(", ")
            .bind(row.output_tokens)
            .push(", ")
            .bind(row.cached_tokens)
            .push(", ")
            .bind(row.reasoning_tokens)
            .push(", ")
            .bind(row.cost_usd)
            .push(", ")
            .bind(row.latency_ms)
            .push(", ")
            .bind(row.ttft_ms)
            .push(", ")
            .bind(row.status)
            .push(", ")
            .bind(row.attempts)
            .push(", ")
            .bind(row.fallback_reasons.as_deref())
            .push(", ")
            .bind(row.source.as_str())
            .push(", ")
            .bind(row.cache_write_tokens)
            .push(", ")
            .bind(row.uid.as_deref())
            .push(")");
    }
    // A row replayed from a journal after a crash may be stored already.
    query.push(" ON CONFLICT (uid) DO NOTHING");
    query.push(tail);
    query
}

fn push_filter(query: &mut Sql<'_>, filter: &UsageFilter) {
    query.push(" WHERE 1 = 1");
    if let Some(from) = filter.from_ms {
        query.push(" AND ts >= ").bind(from);
    }
    if let Some(to) = filter.to_ms {
        query.push(" AND ts < ").bind(to);
    }
    if let Some(provider) = &filter.provider {
        query.push(" AND provider = ").bind(provider.clone());
    }
    if let Some(model) = &filter.model {
        query.push(" AND model = ").bind(model.clone());
    }
    if let Some(key) = &filter.key_id {
        query.push(" AND api_key_id = ").bind(key.clone());
    }
}

// PostgreSQL sums 64-bit integers into NUMERIC and averages into NUMERIC: cast back to the
// types both engines share.
const TOTALS: &str = "COUNT(*) AS requests, \
     CAST(COALESCE(SUM(CASE WHEN status >= 400 THEN 1 ELSE 0 END), 0) AS BIGINT) AS errors, \
     CAST(COALESCE(SUM(input_tokens), 0) AS BIGINT) AS input_tokens, \
     CAST(COALESCE(SUM(output_tokens), 0) AS BIGINT) AS output_tokens, \
     CAST(COALESCE(SUM(cached_tokens), 0) AS BIGINT) AS cached_tokens, \
     CAST(COALESCE(SUM(cache_write_tokens), 0) AS BIGINT) AS cache_write_tokens, \
     CAST(COALESCE(SUM(reasoning_tokens), 0) AS BIGINT) AS reasoning_tokens, \
     CAST(COALESCE(SUM(cost_usd), 0.0) AS DOUBLE PRECISION) AS cost_usd, \
     CAST(COALESCE(AVG(latency_ms), 0.0) AS DOUBLE PRECISION) AS avg_latency_ms";

impl Store {
    /// Writes a batch of rows (and their bodies) in one transaction; marks the keys used. Rows
    /// without bodies go in multi-row statements (one round trip per hundred rows).
    pub async fn insert_usage(
        &self,
        rows: &[(UsageRow, Option<BodyLog>)],
    ) -> Result<(), StoreError> {
        let mut tx = self.pool().begin().await?;
        let mut plain: Vec<&UsageRow> = Vec::new();
        for (row, log) in rows {
            match log {
                None => plain.push(row),
                Some(log) => {
                    let (text, args) = usage_insert(&[row], " RETURNING id").finish()?;
                    let id: Option<i64> = sqlx::query_scalar_with(&text, args)
                        .fetch_optional(&mut *tx)
                        .await?;
                    let Some(id) = id else { continue };
                    sqlx::query(
                        "INSERT INTO request_logs (usage_id, ts, request_body, response_body) VALUES ($1, $2, $3, $4)",
                    )
                    .bind(id)
                    .bind(row.ts)
                    .bind(&log.request)
                    .bind(&log.response)
                    .execute(&mut *tx)
                    .await?;
                }
            }
        }
        // Statements of three fixed sizes only: each is prepared once and cached, where a
        // statement per batch length would fill every connection's statement cache.
        let mut rest = plain.as_slice();
        for size in STATEMENT_SIZES {
            while rest.len() >= size {
                let (chunk, tail) = rest.split_at(size);
                let (text, args) = usage_insert(chunk, "").finish()?;
                sqlx::query_with(&text, args).execute(&mut *tx).await?;
                rest = tail;
            }
        }
        let mut last_used: HashMap<&str, i64> = HashMap::new();
        for (row, _) in rows {
            if let Some(key) = &row.api_key_id {
                let ts = last_used.entry(key.as_str()).or_insert(row.ts);
                *ts = (*ts).max(row.ts);
            }
        }
        for (key, ts) in last_used {
            sqlx::query(&format!(
                "UPDATE api_keys SET last_used_at = {}(COALESCE(last_used_at, 0), $1) WHERE id = $2",
                self.backend().greatest()
            ))
            .bind(ts)
            .bind(key)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Totals over the filtered rows, and per group when `grouping` is given.
    pub async fn usage_summary(
        &self,
        filter: &UsageFilter,
        grouping: Option<Grouping>,
    ) -> Result<(UsageTotals, Vec<UsageTotals>), StoreError> {
        let mut query = Sql::new(format!(
            "SELECT CAST(NULL AS TEXT) AS \"group\", {TOTALS} FROM usage"
        ));
        push_filter(&mut query, filter);
        let (text, args) = query.finish()?;
        let totals: UsageTotals = sqlx::query_as_with(&text, args)
            .fetch_one(self.pool())
            .await?;
        let Some(grouping) = grouping else {
            return Ok((totals, Vec::new()));
        };
        let expr = grouping.expression();
        let mut query = Sql::new(format!("SELECT {expr} AS \"group\", {TOTALS} FROM usage"));
        push_filter(&mut query, filter);
        query.push(&format!(" GROUP BY {expr} ORDER BY {expr}"));
        let (text, args) = query.finish()?;
        let groups = sqlx::query_as_with(&text, args)
            .fetch_all(self.pool())
            .await?;
        Ok((totals, groups))
    }

    /// The newest filtered rows, at most `limit`.
    pub async fn usage_rows(
        &self,
        filter: &UsageFilter,
        limit: i64,
    ) -> Result<Vec<UsageRow>, StoreError> {
        let mut query = Sql::new(
            "SELECT id, ts, api_key_id, combo, provider, connection_id, model, client_format, stream, \
             input_tokens, output_tokens, cached_tokens, reasoning_tokens, cost_usd, latency_ms, ttft_ms, \
             status, attempts, fallback_reasons, source, cache_write_tokens FROM usage",
        );
        push_filter(&mut query, filter);
        query.push(" ORDER BY ts DESC, id DESC LIMIT ").bind(limit);
        let (text, args) = query.finish()?;
        Ok(sqlx::query_as_with(&text, args)
            .fetch_all(self.pool())
            .await?)
    }

    /// What `key_id` spent since `since_ms` (for budgets after a restart).
    pub async fn spend_since(&self, key_id: &str, since_ms: i64) -> Result<f64, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT CAST(COALESCE(SUM(cost_usd), 0.0) AS DOUBLE PRECISION) FROM usage \
             WHERE api_key_id = $1 AND ts >= $2",
        )
        .bind(key_id)
        .bind(since_ms)
        .fetch_one(self.pool())
        .await?)
    }

    /// The newest kept bodies, at most `limit`, optionally of one usage row.
    pub async fn request_logs(
        &self,
        usage_id: Option<i64>,
        limit: i64,
    ) -> Result<Vec<RequestLog>, StoreError> {
        let mut query =
            Sql::new("SELECT id, usage_id, ts, request_body, response_body FROM request_logs");
        if let Some(id) = usage_id {
            query.push(" WHERE usage_id = ").bind(id);
        }
        query.push(" ORDER BY ts DESC, id DESC LIMIT ").bind(limit);
        let (text, args) = query.finish()?;
        Ok(sqlx::query_as_with(&text, args)
            .fetch_all(self.pool())
            .await?)
    }

    /// Deletes bodies older than `before_ms`, then the oldest until at most `max_bytes` remain.
    /// Returns how many were deleted.
    pub async fn prune_request_logs(
        &self,
        before_ms: i64,
        max_bytes: i64,
    ) -> Result<u64, StoreError> {
        let mut deleted = sqlx::query("DELETE FROM request_logs WHERE ts < $1")
            .bind(before_ms)
            .execute(self.pool())
            .await?
            .rows_affected();
        let total: i64 = sqlx::query_scalar(
            "SELECT CAST(COALESCE(SUM(LENGTH(request_body) + LENGTH(response_body)), 0) AS BIGINT) \
             FROM request_logs",
        )
        .fetch_one(self.pool())
        .await?;
        if total > max_bytes {
            // Keep the newest rows whose running size fits.
            deleted += sqlx::query(
                "DELETE FROM request_logs WHERE id NOT IN (SELECT id FROM (SELECT id, SUM(LENGTH(request_body) + \
                 LENGTH(response_body)) OVER (ORDER BY ts DESC, id DESC) AS running FROM request_logs) AS sized \
                 WHERE running <= $1)",
            )
            .bind(max_bytes)
            .execute(self.pool())
            .await?
            .rows_affected();
        }
        Ok(deleted)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(ts: i64, provider: &str, cost: f64, key: Option<&str>) -> UsageRow {
        UsageRow {
            ts,
            provider: Some(provider.into()),
            model: format!("{provider}/m"),
            client_format: "openai".into(),
            input_tokens: 10,
            output_tokens: 5,
            cost_usd: cost,
            cache_write_tokens: 3,
            status: 200,
            attempts: 1,
            api_key_id: key.map(str::to_owned),
            ..Default::default()
        }
    }

    #[tokio::test]
    async fn rows_are_summed_grouped_and_filtered() {
        let dir = tempfile::tempdir().unwrap();
        let store = crate::testing::store(dir.path()).await;
        let key = store.create_api_key("k", "h", "hint").await.unwrap();
        store
            .insert_usage(&[
                (row(1_000, "a", 0.5, Some(&key.id)), None),
                (row(3_600_000 + 5, "b", 0.25, None), None),
                (
                    row(7_200_000, "a", 1.0, Some(&key.id)),
                    Some(BodyLog {
                        request: "{}".into(),
                        response: "{}".into(),
                    }),
                ),
            ])
            .await
            .unwrap();
        let (totals, groups) = store
            .usage_summary(&UsageFilter::default(), Some(Grouping::Provider))
            .await
            .unwrap();
        assert_eq!(totals.requests, 3);
        assert_eq!(totals.input_tokens, 30);
        assert_eq!(totals.cache_write_tokens, 9);
        assert!((totals.cost_usd - 1.75).abs() < 1e-9);
        assert_eq!(groups.len(), 2);
        assert_eq!(groups[0].group.as_deref(), Some("a"));
        assert_eq!(groups[0].requests, 2);
        let (_, hours) = store
            .usage_summary(&UsageFilter::default(), Some(Grouping::Hour))
            .await
            .unwrap();
        let buckets: Vec<_> = hours.iter().map(|g| g.group.clone().unwrap()).collect();
        assert_eq!(buckets, ["0", "3600000", "7200000"]);
        let filter = UsageFilter {
            from_ms: Some(2_000),
            key_id: Some(key.id.clone()),
            ..Default::default()
        };
        let rows = store.usage_rows(&filter, 10).await.unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].ts, 7_200_000);
        assert_eq!(rows[0].cache_write_tokens, 3);
        assert!((store.spend_since(&key.id, 0).await.unwrap() - 1.5).abs() < 1e-9);
        let keys = store.api_keys().await.unwrap();
        assert_eq!(keys[0].last_used_at, Some(7_200_000));
        assert_eq!(store.request_logs(None, 10).await.unwrap().len(), 1);
    }

    #[tokio::test]
    async fn request_logs_are_pruned_by_age_and_size() {
        let dir = tempfile::tempdir().unwrap();
        let store = crate::testing::store(dir.path()).await;
        let body = |n: usize| {
            Some(BodyLog {
                request: "x".repeat(n),
                response: String::new(),
            })
        };
        store
            .insert_usage(&[
                (row(100, "a", 0.0, None), body(10)),
                (row(200, "a", 0.0, None), body(100)),
                (row(300, "a", 0.0, None), body(100)),
                (row(400, "a", 0.0, None), body(100)),
            ])
            .await
            .unwrap();
        assert_eq!(store.prune_request_logs(150, 1_000).await.unwrap(), 1);
        assert_eq!(store.prune_request_logs(0, 250).await.unwrap(), 1);
        let left: Vec<i64> = store
            .request_logs(None, 10)
            .await
            .unwrap()
            .iter()
            .map(|l| l.ts)
            .collect();
        assert_eq!(left, [400, 300]);
    }
}
