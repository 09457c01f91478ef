//! Telemetry of one attempt at one target: the answer's latency (and, for a stream, its time to
//! first token, which is when `attempt` returns) or the failure's status, under the provider and
//! the upstream model.

use std::time::Instant;

use axum::response::Response;

use super::error::ProxyError;
use crate::AppState;

pub(super) fn attempt(
    state: &AppState,
    outcome: Result<Response, ProxyError>,
    provider: &str,
    model: &str,
    started: Instant,
    stream: bool,
) -> Result<Response, ProxyError> {
    match outcome {
        Ok(response) => Ok(state
            .telemetry
            .observe(response, provider, model, started, stream)),
        Err(error) => {
            let status = match &error {
                ProxyError::Upstream { error, .. } => error.status,
                other => other.to_error_info().status,
            };
            state
                .telemetry
                .record(provider, model, status, started.elapsed(), None);
            Err(error)
        }
    }
}
