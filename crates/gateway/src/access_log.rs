//! One log line per HTTP request: method, path, status and latency. The query string is left
//! out on purpose: Gemini clients put their API key there (`?key=`).

use std::time::Instant;

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;

pub async fn log_request(request: Request, next: Next) -> Response {
    // Off by default under load (`RUST_LOG=warn`): then nothing is copied or timed.
    if !tracing::enabled!(target: "omniroute::http", tracing::Level::INFO) {
        return next.run(request).await;
    }
    let started = Instant::now();
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let response = next.run(request).await;
    let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
    let status = response.status().as_u16();
    tracing::info!(target: "omniroute::http", %method, %path, status, latency_ms = format_args!("{latency_ms:.2}"), "request");
    response
}
