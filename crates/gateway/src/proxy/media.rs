//! The media endpoints of the client API, all in OpenAI's format: `POST /v1/embeddings`,
//! `POST /v1/images/generations`, `POST /v1/audio/transcriptions`, and the provider-pinned
//! `POST /v1/providers/{provider}/embeddings` and `…/images/generations`.
//!
//! A media request goes the way of a chat request (`pipeline::media`: budgets, then the
//! fallback loop over the plan — combos, aliases, accounts, breakers, cooldowns, lockouts,
//! admission — and one usage row); one attempt hands it to the target's adapter
//! (`omniroute_providers::adapters`), which speaks the upstream's protocol.

use axum::extract::{Path, Request, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use omniroute_formats::media::{embeddings, images};
use omniroute_providers::{MediaCall, ModelKind, Target};

use super::error::ProxyError;
use super::read_body;
use crate::AppState;

mod transcribe;
pub use transcribe::transcriptions;

/// One try at one target: the adapter's whole exchange, answered as the upstream's media
/// answer with the token counts it reported in the response's extensions.
pub(super) async fn attempt(
    state: &AppState,
    call: &MediaCall,
    target: &Target,
) -> Result<Response, ProxyError> {
    let upstream = super::upstream(state, target, call.operation())?;
    let answer = upstream.adapter.media(upstream, call).await?;
    let mut response = answer.body.into_response();
    let content_type = HeaderValue::from_str(&answer.content_type)
        .unwrap_or(HeaderValue::from_static("application/json"));
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, content_type);
    response
        .extensions_mut()
        .insert(answer.usage.unwrap_or_default());
    Ok(response)
}

/// `model` pinned to `provider` (prefix added when missing); another provider's prefix, or a
/// model the provider lists with another kind, is a `400`.
fn pin(
    state: &AppState,
    provider: &str,
    model: &str,
    kind: ModelKind,
) -> Result<String, ProxyError> {
    let snapshot = state.registry.snapshot();
    if state.catalog.get(provider).is_none() && snapshot.node(provider).is_none() {
        return Err(ProxyError::NoRoute(format!("/v1/providers/{provider}")));
    }
    let model_id = match model.split_once('/') {
        Some((prefix, rest)) if prefix == provider => rest,
        Some((prefix, _))
            if state.catalog.get(prefix).is_some() || snapshot.node(prefix).is_some() =>
        {
            return Err(ProxyError::Invalid(format!(
                "model '{model}' belongs to provider '{prefix}', not '{provider}'"
            )));
        }
        _ => model,
    };
    let listed = state
        .catalog
        .get(provider)
        .and_then(|entry| entry.model(model_id));
    if let Some(listed) = listed
        && listed.kind != kind
    {
        return Err(ProxyError::Invalid(format!(
            "model '{provider}/{model_id}' is {} model, not {} model",
            listed.kind.with_article(),
            kind.with_article()
        )));
    }
    Ok(format!("{provider}/{model_id}"))
}

/// Reads, decodes and routes one JSON media request.
async fn serve_json(
    state: &AppState,
    request: Request,
    pinned: Option<&str>,
    kind: ModelKind,
) -> Response {
    let caller = super::caller_of(&request);
    let call = decode_json(state, request, pinned, kind).await;
    super::pipeline::media(state, caller, call).await
}

async fn decode_json(
    state: &AppState,
    request: Request,
    pinned: Option<&str>,
    kind: ModelKind,
) -> Result<(MediaCall, String), ProxyError> {
    let body = read_body(request).await?;
    let decoded = match kind {
        ModelKind::Embedding => embeddings::decode_request(&body).map(|request| {
            let model = request.model.clone().unwrap_or_default();
            (model, MediaCall::Embeddings { body, request })
        }),
        _ => images::decode_request(&body).map(|request| {
            let model = request.model.clone().unwrap_or_default();
            (model, MediaCall::Images { body, request })
        }),
    };
    let (model, call) = decoded.map_err(ProxyError::BadRequest)?;
    let model = match pinned {
        Some(provider) => pin(state, provider, &model, kind)?,
        None => model,
    };
    Ok((call, model))
}

pub async fn embeddings(State(state): State<AppState>, request: Request) -> Response {
    serve_json(&state, request, None, ModelKind::Embedding).await
}

pub async fn provider_embeddings(
    State(state): State<AppState>,
    Path(provider): Path<String>,
    request: Request,
) -> Response {
    serve_json(&state, request, Some(&provider), ModelKind::Embedding).await
}

pub async fn images(State(state): State<AppState>, request: Request) -> Response {
    serve_json(&state, request, None, ModelKind::Image).await
}

pub async fn provider_images(
    State(state): State<AppState>,
    Path(provider): Path<String>,
    request: Request,
) -> Response {
    serve_json(&state, request, Some(&provider), ModelKind::Image).await
}
