//! The table of paths → handlers. Nothing else lives here.

use axum::Router;
use axum::middleware;
use axum::routing::get;

use crate::admin::{health, settings};
use crate::{AppState, access_log, error::ApiError};

pub fn app(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(health::liveness))
        .route("/api/health", get(health::report))
        .route("/api/settings", get(settings::get).patch(settings::patch))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn(access_log::log_request))
        .with_state(state)
}

async fn not_found(uri: axum::http::Uri) -> ApiError {
    ApiError::not_found(format!("no route for {}", uri.path()))
}

async fn method_not_allowed(method: axum::http::Method, uri: axum::http::Uri) -> ApiError {
    ApiError::new(
        crate::ErrorCode::MethodNotAllowed,
        format!("{method} is not allowed on {}", uri.path()),
    )
}
