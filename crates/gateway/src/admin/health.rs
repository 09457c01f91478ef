//! Liveness (`/healthz`) and the health report (`/api/health`).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Serialize;

use crate::{AppState, process};

pub async fn liveness() -> &'static str {
    "ok"
}

#[derive(Serialize, ts_rs::TS)]
pub struct HealthReport {
    /// `ok`, or `degraded` when the database does not answer.
    pub status: &'static str,
    pub version: &'static str,
    pub uptime_s: u64,
    pub data_dir: String,
    pub rss_bytes: Option<u64>,
    /// `ok` after a real query, else the error.
    pub db: String,
    pub schema_version: Option<i64>,
    pub secrets_backend: &'static str,
    /// Latency percentiles and request counts per provider since start.
    pub latency: std::collections::BTreeMap<String, crate::telemetry::LatencySummary>,
    /// Response cache entries, size, hits and misses since start.
    pub cache: crate::replay::cache::CacheStats,
    /// `postgres` or `sqlite`, and where (without password).
    pub database: String,
    /// Live state shared with other instances (Redis), or why not right now.
    pub shared_state: crate::cluster::ClusterStatus,
}

pub async fn report(State(state): State<AppState>) -> (StatusCode, Json<HealthReport>) {
    let db = match state.store.ping().await {
        Ok(()) => "ok".to_owned(),
        Err(e) => e.to_string(),
    };
    let healthy = db == "ok";
    let report = HealthReport {
        status: if healthy { "ok" } else { "degraded" },
        version: env!("CARGO_PKG_VERSION"),
        uptime_s: state.started.elapsed().as_secs(),
        data_dir: state.config.data_dir.display().to_string(),
        cache: state.cache.stats(),
        rss_bytes: process::rss_bytes(),
        db,
        schema_version: state.store.schema_version().await.ok(),
        secrets_backend: state.secrets.backend().as_str(),
        latency: state.telemetry.provider_summaries(),
        database: format!(
            "{} {}",
            state.store.backend().as_str(),
            state.store.location()
        ),
        shared_state: state.cluster.status(),
    };
    let status = if healthy {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(report))
}
