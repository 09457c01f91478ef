//! The client-facing API (`/v1`, `/v1beta`): one handler per route, each naming its wire format
//! and handing the request to `forward`.

mod accounts;
mod admission;
mod caller;
mod error;
mod forward;
pub mod media;
mod metered;
mod models;
mod observe;
mod pipeline;
mod plan;
mod progress;
mod route;
mod shaping;
mod stream;
mod trace;
mod verdict;

use std::collections::HashMap;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, Request, State};
use axum::response::{IntoResponse, Response};
use omniroute_formats::ir::{Part, ToolResultContent};
use omniroute_formats::{Format, RequestHint};
use serde_json::json;

pub use caller::identify;
pub use error::ProxyError;
use forward::{Inbound, reject};
pub use models::{gemini_models, openai_models};
use pipeline::handle;

use crate::AppState;

/// The target reached through the adapter serving `operation` on it, or why it cannot be.
pub(crate) fn upstream<'a>(
    state: &'a AppState,
    target: &'a omniroute_providers::Target,
    operation: omniroute_providers::Operation,
) -> Result<omniroute_providers::Upstream<'a>, ProxyError> {
    let adapter =
        omniroute_providers::adapter_for(state.catalog.get(&target.provider), target, operation)
            .filter(|a| a.serves(operation, target))
            .ok_or_else(|| omniroute_providers::UpstreamError::Unsupported {
                provider: target.provider.clone(),
                what: operation.noun(),
            })?;
    Ok(omniroute_providers::Upstream {
        clients: &state.clients,
        target,
        adapter,
        quota: Some(&state.quota),
    })
}

/// Largest accepted request body: long conversations with inline images.
pub const MAX_BODY: usize = 32 * 1024 * 1024;

async fn read_body(request: Request) -> Result<Bytes, ProxyError> {
    axum::body::to_bytes(request.into_body(), MAX_BODY)
        .await
        .map_err(|e| {
            let too_large = std::error::Error::source(&e).is_some_and(|s| {
                s.downcast_ref::<http_body_util::LengthLimitError>()
                    .is_some()
            });
            if too_large {
                ProxyError::TooLarge {
                    limit_mb: MAX_BODY / (1024 * 1024),
                }
            } else {
                ProxyError::Invalid(format!("cannot read the request body: {e}"))
            }
        })
}

async fn serve(
    state: &AppState,
    format: Format,
    mut request: Request,
    hint: RequestHint<'_>,
    gemini_sse: bool,
) -> Response {
    let headers = std::mem::take(request.headers_mut());
    let caller = caller_of(&request);
    match read_body(request).await {
        Ok(body) => {
            handle(
                state,
                Inbound {
                    format,
                    hint,
                    gemini_sse,
                    headers: &headers,
                    body,
                    caller,
                    relayable: true,
                },
            )
            .await
        }
        Err(e) => reject(format, e),
    }
}

/// A conversation turn on a path whose clients speak `format` (`client_api::PATHS`): the
/// one handler of every chat path, so a new client format is a row there, not a handler here.
pub async fn chat(state: AppState, format: Format, request: Request) -> Response {
    serve(&state, format, request, RequestHint::default(), false).await
}

/// `POST /v1/providers/{provider}/chat/completions`: the provider prefix is added to the model
/// when missing; a model of another provider, or one this provider does not list, is a `400`.
pub async fn provider_chat_completions(
    State(state): State<AppState>,
    Path(provider): Path<String>,
    mut request: Request,
) -> Response {
    let format = Format::OpenAiChat;
    let headers = std::mem::take(request.headers_mut());
    let caller = caller_of(&request);
    let body = match read_body(request).await {
        Ok(body) => body,
        Err(e) => return reject(format, e),
    };
    let body = match pin_provider(&state, &provider, &body) {
        Ok(body) => body,
        Err(e) => return reject(format, e),
    };
    handle(
        &state,
        Inbound {
            format,
            hint: RequestHint::default(),
            gemini_sse: false,
            headers: &headers,
            body,
            caller,
            relayable: true,
        },
    )
    .await
}

/// Who the client-key check found the caller to be.
pub(crate) fn caller_of(request: &Request) -> crate::accounting::keys::Caller {
    request
        .extensions()
        .get::<crate::accounting::keys::Caller>()
        .cloned()
        .unwrap_or_default()
}

/// The body with its `model` set to `provider/model`, after checking the provider serves it.
pub fn pin_provider(state: &AppState, provider: &str, body: &[u8]) -> Result<Bytes, ProxyError> {
    let snapshot = state.registry.snapshot();
    let entry = state.catalog.get(provider);
    if entry.is_none() && snapshot.node(provider).is_none() {
        return Err(ProxyError::NoRoute(format!("/v1/providers/{provider}")));
    }
    let mut map: serde_json::Map<String, serde_json::Value> =
        omniroute_formats::parse_json(body).map_err(ProxyError::BadRequest)?;
    let model = map
        .get("model")
        .and_then(serde_json::Value::as_str)
        .ok_or_else(|| {
            ProxyError::BadRequest(omniroute_formats::FormatError::field(
                "model",
                "is required",
            ))
        })?;
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
    // Catalog providers serve what they list (plus custom models); nodes serve anything.
    if let Some(entry) = entry {
        let listed = entry
            .model(model_id)
            .is_some_and(|m| m.kind == omniroute_providers::ModelKind::Chat);
        let custom = snapshot
            .custom_models
            .contains(&format!("{provider}/{model_id}"));
        if !listed && !custom {
            return Err(ProxyError::Invalid(format!(
                "provider '{provider}' does not serve chat model '{model_id}' (add it with POST /api/provider-models)"
            )));
        }
    }
    map.insert(
        "model".into(),
        serde_json::Value::String(format!("{provider}/{model_id}")),
    );
    Ok(Bytes::from(serde_json::Value::Object(map).to_string()))
}

/// `POST /v1/messages/count_tokens`: an estimate from the request's text (about four
/// characters a token), so clients can budget their context without an upstream call.
pub async fn count_tokens(request: Request) -> Response {
    let body = match read_body(request).await {
        Ok(body) => body,
        Err(e) => return reject(Format::Anthropic, e),
    };
    // A count request is a messages request without `max_tokens`.
    let body = match serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(&body) {
        Ok(mut map) => {
            map.entry("max_tokens").or_insert(json!(1));
            Bytes::from(serde_json::Value::Object(map).to_string())
        }
        Err(_) => body,
    };
    match omniroute_formats::anthropic::decode_request(&body, &RequestHint::default()) {
        Ok(request) => Json(json!({"input_tokens": estimate_tokens(&request)})).into_response(),
        Err(e) => reject(Format::Anthropic, ProxyError::BadRequest(e)),
    }
}

fn estimate_tokens(request: &omniroute_formats::ir::Request) -> u64 {
    let mut chars = request.system.iter().map(String::len).sum::<usize>();
    for message in &request.messages {
        chars += 16;
        for part in &message.parts {
            chars += match part {
                Part::Text(t) | Part::Thinking { text: t, .. } => t.len(),
                Part::ToolCall(c) => c.name.len() + c.arguments.len(),
                Part::ToolResult(r) => r
                    .content
                    .iter()
                    .map(|c| match c {
                        ToolResultContent::Text(t) => t.len(),
                        ToolResultContent::Image(_) => 6000,
                    })
                    .sum(),
                Part::Image(_) => 6000,
                Part::RedactedThinking { data } => data.len() / 2,
            };
        }
    }
    chars += request
        .tools
        .iter()
        .map(|t| {
            t.name.len()
                + t.description.as_ref().map_or(0, String::len)
                + t.parameters.to_string().len()
        })
        .sum::<usize>();
    (chars as u64).div_ceil(4)
}

/// `POST /v1beta/models/{model}:{action}` (also under `/v1/models/…`): the model may contain
/// slashes (`gemini/gemini-2.5-pro`, `together/meta-llama/…`), so the action is split off at
/// the last colon.
pub async fn gemini(
    State(state): State<AppState>,
    Path(rest): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    request: Request,
) -> Response {
    let Some((model, action)) = rest.rsplit_once(':') else {
        let error = ProxyError::Invalid(format!(
            "expected models/{{model}}:generateContent, got models/{rest}"
        ));
        return reject(Format::Gemini, error);
    };
    let sse = query.get("alt").is_some_and(|a| a == "sse");
    match action {
        "generateContent" => {
            serve(
                &state,
                Format::Gemini,
                request,
                RequestHint {
                    model: Some(model),
                    stream: Some(false),
                },
                sse,
            )
            .await
        }
        "streamGenerateContent" => {
            serve(
                &state,
                Format::Gemini,
                request,
                RequestHint {
                    model: Some(model),
                    stream: Some(true),
                },
                sse,
            )
            .await
        }
        "countTokens" => {
            let body = match read_body(request).await {
                Ok(body) => body,
                Err(e) => return reject(Format::Gemini, e),
            };
            let hint = RequestHint {
                model: Some(model),
                stream: Some(false),
            };
            match omniroute_formats::gemini::decode_request(&body, &hint) {
                Ok(request) => {
                    Json(json!({"totalTokens": estimate_tokens(&request)})).into_response()
                }
                Err(e) => reject(Format::Gemini, ProxyError::BadRequest(e)),
            }
        }
        other => reject(
            Format::Gemini,
            ProxyError::Invalid(format!(
                "unknown method '{other}' (expected generateContent, streamGenerateContent or countTokens)"
            )),
        ),
    }
}

pub fn not_found(format: Format, path: &str) -> Response {
    reject(format, ProxyError::NoRoute(path.to_owned()))
}
