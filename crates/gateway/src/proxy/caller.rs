//! The client-key check in front of every client route: which of our API keys the client
//! presented (for usage, budgets and the cache), and a refusal in the client's own format when
//! `REQUIRE_API_KEY` is on and there is neither a valid key nor a dashboard session.

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use omniroute_formats::Format;

use super::error::ProxyError;
use super::forward::reject;
use crate::AppState;
use crate::accounting::keys::{self, Caller};

pub async fn identify(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let snapshot = state.registry.snapshot();
    let known = &snapshot.accounting.api_keys;
    let presented = keys::presented(request.headers(), request.uri().query());
    let key = match presented {
        // Clients often send a placeholder key; hashing is skipped while no key exists.
        Some(k) if !known.is_empty() => known
            .get(&keys::hash(
                state.config.api_key_secret.expose().as_bytes(),
                k,
            ))
            .cloned(),
        _ => None,
    };
    let model_list = crate::client_api::is_model_list(request.method(), request.uri().path());
    let required = state.config.require_api_key
        || (model_list && snapshot.security.require_api_key_for_models);
    // The signed-in dashboard user (its chat tester) needs no key of its own.
    let refused = key.is_none()
        && required
        && state
            .access
            .session(
                request.headers(),
                state.config.jwt_secret.expose().as_bytes(),
                crate::access::now_secs(),
            )
            .is_none();
    if refused {
        let format =
            crate::client_api::format_of(request.uri().path()).unwrap_or(Format::OpenAiChat);
        let message = if presented.is_some() {
            "invalid API key: it is not one of this OmniRoute's keys, or it was revoked (create one with POST /api/keys)"
        } else {
            "missing API key: this OmniRoute requires one; send it as `Authorization: Bearer <key>`, `x-api-key` or `x-goog-api-key`"
        };
        return reject(format, ProxyError::Unauthorized(message.into()));
    }
    let ip = request
        .extensions()
        .get::<crate::access::ClientIp>()
        .map(|ip| ip.0);
    request.extensions_mut().insert(Caller::new(key, ip));
    next.run(request).await
}
