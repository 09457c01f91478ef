//! The media endpoints of the client API, all in OpenAI's format: `POST /v1/embeddings`,
//! `POST /v1/images/generations`, `POST /v1/audio/transcriptions`, and the provider-pinned
//! `POST /v1/providers/{provider}/embeddings` and `…/images/generations`.
//!
//! A request resolves like a chat request (alias → `prefix/model` → first enabled connection),
//! then goes to the upstream in its own protocol: OpenAI-compatible providers get the client's
//! body with `model` rewritten and answer byte for byte; Gemini embeds through
//! `batchEmbedContents`; Fireworks FLUX models draw through the text-to-image workflow API;
//! Deepgram and AssemblyAI transcribe through `/v1/listen` and upload → transcript → poll.
//! Translation lives in `omniroute_formats::media`; this file only moves bytes.

use std::time::{SystemTime, UNIX_EPOCH};

use axum::body::Bytes;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderValue, Method, header};
use axum::response::{IntoResponse, Response};
use omniroute_formats::media::{embeddings, images};
use omniroute_formats::{ErrorInfo, Format, FormatError};
use omniroute_providers::{AuthStyle, ModelKind, Wire};
use omniroute_store::SecretString;

use super::error::{ProxyError, error_response};
use super::read_body;
use super::resolve::{dealias, target_for};
use crate::AppState;
use crate::outbound::ProxyConfig;

mod transcribe;
pub use transcribe::transcriptions;

/// Every media endpoint answers in OpenAI's format.
const FORMAT: Format = Format::OpenAiChat;

/// Longest upstream error body read.
const MAX_ERROR_BODY: usize = 1024 * 1024;

/// One connection's upstream for a media request.
struct Upstream {
    provider: String,
    wire: Wire,
    base_url: String,
    auth: AuthStyle,
    api_key: Option<SecretString>,
    /// The model id as the upstream knows it.
    model: String,
    headers: Vec<(String, String)>,
    proxy: Option<ProxyConfig>,
}

fn kind_name(kind: ModelKind) -> &'static str {
    match kind {
        ModelKind::Chat => "a chat",
        ModelKind::Embedding => "an embedding",
        ModelKind::Image => "an image",
        ModelKind::Audio => "an audio",
    }
}

/// A model the catalog lists with another kind than `kind` cannot serve this endpoint.
fn check_kind(
    state: &AppState,
    provider: &str,
    model: &str,
    kind: ModelKind,
) -> Result<(), ProxyError> {
    let listed = state
        .catalog
        .get(provider)
        .and_then(|entry| entry.model(model));
    match listed {
        Some(m) if m.kind != kind => Err(ProxyError::Invalid(format!(
            "model '{provider}/{model}' is {} model, not {} model",
            kind_name(m.kind),
            kind_name(kind)
        ))),
        _ => Ok(()),
    }
}

tokio::task_local! {
    /// The provider and `provider/model` a media request resolved to, for its usage row.
    static SERVED: std::cell::RefCell<Option<(String, String)>>;
}

/// Records one usage row per media request. Media handlers have many exits; the model is
/// noted where it is resolved (`upstream_for`), in a task-local scoped to this request.
pub async fn metered(
    State(state): State<AppState>,
    request: Request,
    next: axum::middleware::Next,
) -> Response {
    let started = std::time::Instant::now();
    let caller = super::caller_of(&request);
    let (response, served) = SERVED
        .scope(std::cell::RefCell::new(None), async {
            let response = next.run(request).await;
            (response, SERVED.with(|s| s.borrow_mut().take()))
        })
        .await;
    super::pipeline::record_media(&state, &caller, served, response.status().as_u16(), started);
    response
}

/// Resolves `model` for an endpoint serving models of `kind`.
fn upstream_for(state: &AppState, model: &str, kind: ModelKind) -> Result<Upstream, ProxyError> {
    let snapshot = state.registry.snapshot();
    let routed = dealias(&snapshot, model);
    if let Some((prefix, _)) = routed.split_once('/') {
        let _ = SERVED.try_with(|s| *s.borrow_mut() = Some((prefix.to_owned(), routed.clone())));
    }
    let Some((prefix, upstream_model)) = routed
        .split_once('/')
        .filter(|(p, m)| !p.is_empty() && !m.is_empty())
    else {
        return Err(ProxyError::UnknownModel(model.to_owned()));
    };
    let entry = state.catalog.get(prefix);
    if entry.is_none() && snapshot.node(prefix).is_none() {
        return Err(ProxyError::UnknownModel(model.to_owned()));
    }
    check_kind(state, prefix, upstream_model, kind)?;
    let connection = snapshot
        .connections_of(prefix)
        .next()
        .ok_or_else(|| ProxyError::NoConnection(prefix.to_owned()))?;
    // The audio APIs are no chat format, so `target_for` does not build them.
    if let Some(entry) = entry.filter(|e| e.wire.chat_format().is_none()) {
        return Ok(Upstream {
            provider: prefix.to_owned(),
            wire: entry.wire,
            base_url: connection
                .row
                .base_url
                .clone()
                .unwrap_or_else(|| entry.base_url.clone()),
            auth: if connection.api_key.is_some() {
                entry.auth
            } else {
                AuthStyle::None
            },
            api_key: connection.api_key.clone(),
            model: upstream_model.to_owned(),
            headers: entry
                .headers
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            proxy: snapshot
                .proxies
                .pick(&connection.row.id, None, prefix)
                .cloned(),
        });
    }
    let target = target_for(state, &snapshot, connection, upstream_model)?;
    let wire = entry.map_or(
        match target.format {
            Format::OpenAiChat => Wire::Openai,
            Format::Anthropic => Wire::Anthropic,
            Format::Gemini => Wire::Gemini,
            Format::Responses => Wire::Responses,
        },
        |e| e.wire,
    );
    Ok(Upstream {
        provider: target.provider,
        wire,
        base_url: target.base_url,
        auth: target.auth,
        api_key: target.api_key,
        model: target.upstream_model,
        headers: target.headers,
        proxy: target.proxy,
    })
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
    check_kind(state, provider, model_id, kind)?;
    Ok(format!("{provider}/{model_id}"))
}

/// An error of a media request: the proxy's own, or an upstream's (its status and message
/// kept, the provider named).
enum MediaError {
    Proxy(ProxyError),
    Upstream { provider: String, error: ErrorInfo },
}

impl From<ProxyError> for MediaError {
    fn from(e: ProxyError) -> Self {
        Self::Proxy(e)
    }
}

impl MediaError {
    fn into_response(self) -> Response {
        match self {
            Self::Proxy(e) => {
                if matches!(
                    e,
                    ProxyError::Unreachable { .. } | ProxyError::Timeout { .. }
                ) {
                    tracing::warn!(error = %e.to_string().escape_debug(), "media upstream failed");
                }
                e.into_response_for(FORMAT)
            }
            Self::Upstream { provider, error } => {
                tracing::warn!(provider = %provider, error = %error.message.escape_debug(), "media upstream failed");
                let info = ErrorInfo {
                    message: format!("{provider}: {}", error.message),
                    ..error
                };
                error_response(FORMAT, &info)
            }
        }
    }
}

fn bad(field: &str, message: impl Into<String>) -> MediaError {
    MediaError::Proxy(ProxyError::BadRequest(FormatError::field(field, message)))
}

fn unsupported(up: &Upstream, what: &str) -> MediaError {
    MediaError::Proxy(ProxyError::Invalid(format!(
        "provider '{}' does not serve {what} through OmniRoute",
        up.provider
    )))
}

// ---------------------------------------------------------------------------------------------
// Sending

fn unreachable(provider: &str, e: &reqwest::Error) -> ProxyError {
    super::forward::unreachable_at(provider, e)
}

fn invalid_answer(up: &Upstream, e: &FormatError) -> MediaError {
    MediaError::Proxy(ProxyError::Unreachable {
        provider: up.provider.clone(),
        reason: format!("it sent an invalid response ({e})"),
    })
}

async fn read_limited(mut response: reqwest::Response, limit: usize) -> Vec<u8> {
    let mut out = Vec::new();
    while let Ok(Some(chunk)) = response.chunk().await {
        let room = limit.saturating_sub(out.len());
        out.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if out.len() >= limit {
            break;
        }
    }
    out
}

/// Sends one request to `up` with its credential and fixed headers; a non-2xx answer becomes
/// `ProxyError::Upstream` with the upstream's status and message.
async fn send(
    state: &AppState,
    up: &Upstream,
    method: Method,
    url: &str,
    extra: &[(&str, &str)],
    body: Option<Vec<u8>>,
) -> Result<reqwest::Response, MediaError> {
    let client =
        state
            .clients
            .get(up.proxy.as_ref())
            .map_err(|reason| ProxyError::Unreachable {
                provider: up.provider.clone(),
                reason,
            })?;
    let mut builder = client.request(method, url);
    for (name, value) in &up.headers {
        builder = builder.header(name, value);
    }
    for (name, value) in extra {
        builder = builder.header(*name, *value);
    }
    if let Some((name, value)) = up
        .api_key
        .as_ref()
        .and_then(|key| up.auth.header(key.expose()))
    {
        builder = builder.header(name, value);
    }
    if let Some(body) = body {
        builder = builder.body(body);
    }
    let response = builder
        .send()
        .await
        .map_err(|e| unreachable(&up.provider, &e))?;
    let status = response.status();
    if status.is_success() {
        return Ok(response);
    }
    if let Some(refused) = super::forward::redirect_refused(&up.provider, status) {
        return Err(MediaError::Proxy(refused));
    }
    let body = read_limited(response, MAX_ERROR_BODY).await;
    let error = match up.wire {
        Wire::Openai | Wire::Responses => {
            omniroute_formats::decode_error(FORMAT, status.as_u16(), &body)
        }
        Wire::Gemini => omniroute_formats::decode_error(Format::Gemini, status.as_u16(), &body),
        _ => omniroute_formats::media::decode_error(status.as_u16(), &body),
    };
    Err(MediaError::Upstream {
        provider: up.provider.clone(),
        error,
    })
}

const JSON: &[(&str, &str)] = &[("content-type", "application/json")];

async fn send_json(
    state: &AppState,
    up: &Upstream,
    url: &str,
    extra: &[(&str, &str)],
    body: Vec<u8>,
) -> Result<Bytes, MediaError> {
    let response = send(state, up, Method::POST, url, extra, Some(body)).await?;
    Ok(response
        .bytes()
        .await
        .map_err(|e| unreachable(&up.provider, &e))?)
}

/// An upstream's answer relayed as is (status 200, its content type).
async fn relay(up: &Upstream, response: reqwest::Response) -> Result<Response, MediaError> {
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .cloned()
        .unwrap_or(HeaderValue::from_static("application/json"));
    let bytes = response
        .bytes()
        .await
        .map_err(|e| unreachable(&up.provider, &e))?;
    Ok(with_type(bytes.to_vec(), content_type))
}

fn with_type(body: Vec<u8>, content_type: HeaderValue) -> Response {
    let mut response = body.into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, content_type);
    response
}

fn json(body: Vec<u8>) -> Response {
    with_type(body, HeaderValue::from_static("application/json"))
}

fn answer(result: Result<Response, MediaError>) -> Response {
    result.unwrap_or_else(MediaError::into_response)
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// `{root}` of an API whose paths carry their own version (`/v1beta/…`, `/v1/listen`, `/v2/…`).
fn root(base: &str, versions: &[&str]) -> String {
    let mut root = base.trim_end_matches('/');
    for v in versions {
        root = root.trim_end_matches(v);
    }
    root.trim_end_matches('/').to_owned()
}

fn openai_url(up: &Upstream, path: &str) -> String {
    format!("{}/{path}", up.base_url.trim_end_matches('/'))
}

// ---------------------------------------------------------------------------------------------
// Embeddings

pub async fn embeddings(State(state): State<AppState>, request: Request) -> Response {
    answer(run_embeddings(&state, request, None).await)
}

pub async fn provider_embeddings(
    State(state): State<AppState>,
    Path(provider): Path<String>,
    request: Request,
) -> Response {
    answer(run_embeddings(&state, request, Some(&provider)).await)
}

async fn run_embeddings(
    state: &AppState,
    request: Request,
    pinned: Option<&str>,
) -> Result<Response, MediaError> {
    let body = read_body(request).await?;
    let request = embeddings::decode_request(&body).map_err(ProxyError::BadRequest)?;
    let model = request.model.clone().unwrap_or_default();
    let model = match pinned {
        Some(provider) => pin(state, provider, &model, ModelKind::Embedding)?,
        None => model,
    };
    let up = upstream_for(state, &model, ModelKind::Embedding)?;
    match up.wire {
        Wire::Openai | Wire::Responses => {
            let body = omniroute_formats::rewrite_model(FORMAT, &body, &up.model)
                .map_err(ProxyError::BadRequest)?;
            let url = openai_url(&up, "embeddings");
            let response = send(state, &up, Method::POST, &url, JSON, Some(body)).await?;
            relay(&up, response).await
        }
        Wire::Gemini => {
            let upstream =
                embeddings::to_gemini(&request, &up.model).map_err(ProxyError::BadRequest)?;
            let url = format!(
                "{}/v1beta/models/{}:batchEmbedContents",
                root(&up.base_url, &["/v1beta", "/v1"]),
                up.model.trim_start_matches("models/")
            );
            let bytes = send_json(
                state,
                &up,
                &url,
                JSON,
                omniroute_formats::to_json(&upstream),
            )
            .await?;
            let answer = embeddings::from_gemini(&bytes, &request, &model)
                .map_err(|e| invalid_answer(&up, &e))?;
            Ok(json(embeddings::encode_response(&answer)))
        }
        _ => Err(unsupported(&up, "embeddings")),
    }
}

// ---------------------------------------------------------------------------------------------
// Images

pub async fn images(State(state): State<AppState>, request: Request) -> Response {
    answer(run_images(&state, request, None).await)
}

pub async fn provider_images(
    State(state): State<AppState>,
    Path(provider): Path<String>,
    request: Request,
) -> Response {
    answer(run_images(&state, request, Some(&provider)).await)
}

async fn run_images(
    state: &AppState,
    request: Request,
    pinned: Option<&str>,
) -> Result<Response, MediaError> {
    let body = read_body(request).await?;
    let request = images::decode_request(&body).map_err(ProxyError::BadRequest)?;
    let model = request.model.clone().unwrap_or_default();
    let model = match pinned {
        Some(provider) => pin(state, provider, &model, ModelKind::Image)?,
        None => model,
    };
    let up = upstream_for(state, &model, ModelKind::Image)?;
    match up.wire {
        Wire::Openai
            if up.provider == "fireworks" && images::is_fireworks_workflow_model(&up.model) =>
        {
            fireworks_images(state, &up, &request).await
        }
        Wire::Openai | Wire::Responses => {
            let body = omniroute_formats::rewrite_model(FORMAT, &body, &up.model)
                .map_err(ProxyError::BadRequest)?;
            let url = openai_url(&up, "images/generations");
            let response = send(state, &up, Method::POST, &url, JSON, Some(body)).await?;
            relay(&up, response).await
        }
        _ => Err(unsupported(&up, "image generation")),
    }
}

/// One workflow call per image (each call draws one).
async fn fireworks_images(
    state: &AppState,
    up: &Upstream,
    request: &images::ImageRequest,
) -> Result<Response, MediaError> {
    let url = format!(
        "{}/workflows/{}/text_to_image",
        up.base_url.trim_end_matches('/'),
        up.model
    );
    let body = omniroute_formats::to_json(&images::to_fireworks(request));
    let mut out = Vec::new();
    for _ in 0..request.n.unwrap_or(1) {
        // `Accept: application/json` asks for base64 PNGs instead of one binary image.
        let headers = [
            ("content-type", "application/json"),
            ("accept", "application/json"),
        ];
        let response = send_json(state, up, &url, &headers, body.clone()).await?;
        match images::from_fireworks(&response).map_err(|e| invalid_answer(up, &e))? {
            images::FireworksOutcome::Images(mut images) => out.append(&mut images),
            images::FireworksOutcome::Filtered => {
                return Err(MediaError::Upstream {
                    provider: up.provider.clone(),
                    error: ErrorInfo::invalid(
                        "the image was withheld by the provider's safety check (CONTENT_FILTERED)",
                    ),
                });
            }
        }
    }
    Ok(json(images::encode_response(
        out,
        request.response_format,
        now_secs(),
    )))
}
