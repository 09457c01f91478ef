//! `GET /api/telemetry` (latency percentiles per provider and model, as JSON) and `GET /metrics`
//! (the same figures and process gauges for Prometheus).

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

use crate::telemetry::TelemetryReport;
use crate::telemetry::exposition::{self, Process};
use crate::{AppState, process};

pub async fn report(State(state): State<AppState>) -> Json<TelemetryReport> {
    Json(state.telemetry.report())
}

pub async fn metrics(State(state): State<AppState>) -> Response {
    let text = exposition::render(
        &state.telemetry,
        &Process {
            uptime_seconds: state.started.elapsed().as_secs_f64(),
            resident_memory_bytes: process::rss_bytes(),
            shared_state: {
                let status = state.cluster.status();
                status
                    .configured
                    .then(|| (status.state == "shared", status.fallbacks))
            },
        },
    );
    let mut response = text.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(exposition::CONTENT_TYPE),
    );
    response
}
