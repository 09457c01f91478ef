//! One client request through one upstream: decode the client's format, resolve the target,
//! send the body in the upstream's format (untouched but for `model` when both formats are the
//! same), and answer in the client's format — whole, or as a translated stream.

use std::time::{SystemTime, UNIX_EPOCH};

use axum::body::Bytes;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use omniroute_formats::{ClientContext, Format, FormatError, RequestHint};
use omniroute_providers::upstream_request;

use super::error::{ProxyError, error_response};
use super::resolve::Target;
use super::stream;
use crate::AppState;
use crate::reasoning_state::PendingTurn;

/// A request as it arrived on one of the client-facing routes.
pub struct Inbound<'a> {
    pub format: Format,
    pub hint: RequestHint<'a>,
    /// Gemini clients: `?alt=sse` was given.
    pub gemini_sse: bool,
    pub headers: &'a HeaderMap,
    pub body: Bytes,
    /// The API key the client presented, when it is one of ours.
    pub caller: crate::accounting::keys::Caller,
    /// The body may go as sent to an upstream of the client's format (set once it is decoded:
    /// `omniroute_formats::provenance::relayable`).
    pub relayable: bool,
}

/// Longest upstream error body read (the rest is not worth holding).
const MAX_ERROR_BODY: usize = 1024 * 1024;

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// One attempt at one target: send the request in the target's format and start the answer
/// in the client's. For streams the answer is committed only after the first content arrived.
pub(super) async fn attempt(
    state: &AppState,
    inbound: &Inbound<'_>,
    request: &omniroute_formats::ir::Request,
    target: &Target,
) -> Result<Response, ProxyError> {
    let format = inbound.format;
    // Same format: forward the client's body as sent (unknown fields survive). A Gemini client
    // streaming without `alt=sse` wants a JSON array, which the upstream is not asked for; a
    // history holding another family's reasoning state must lose it on the way.
    let passthrough = target.format == format
        && !(format == Format::Gemini && request.stream && !inbound.gemini_sse)
        && inbound.relayable;
    // An OpenAI stream relayed as is still has to report its tokens; the usage chunk the client
    // did not ask for is taken out again on the way back.
    let hide_usage =
        passthrough && format == Format::OpenAiChat && request.stream && !request.include_usage;
    let body = if passthrough {
        omniroute_formats::rewrite_for_upstream(
            format,
            &inbound.body,
            &target.upstream_model,
            hide_usage,
        )
        .map_err(ProxyError::BadRequest)?
    } else {
        let mut upstream_request = request.clone();
        upstream_request.model = target.upstream_model.clone();
        omniroute_formats::encode_request(target.format, &upstream_request)
    };
    let response = send(state, target, format, inbound.headers, body, request.stream).await?;
    let ctx = ClientContext {
        gemini_sse: inbound.gemini_sse,
        ..ClientContext::for_request(request, now_secs())
    };
    let turn = PendingTurn::new(
        &state.reasoning,
        inbound.caller.scope(),
        target.format,
        passthrough,
        request,
    );
    if request.stream {
        return stream::start(
            format,
            target.format,
            passthrough.then_some(hide_usage),
            ctx,
            response,
            state.config.stream_keepalive,
            turn,
        )
        .await
        .map_err(|reason| ProxyError::Unreachable {
            provider: target.provider.clone(),
            reason,
        });
    }
    let bytes = read_answer(response, target).await?;
    let decoded = omniroute_formats::decode_response(target.format, &bytes).map_err(|e| {
        ProxyError::Unreachable {
            provider: target.provider.clone(),
            reason: format!("it sent an invalid response ({e})"),
        }
    })?;
    turn.keep_response(&decoded);
    let body = if passthrough {
        axum::body::Body::from(bytes)
    } else {
        axum::body::Body::from(omniroute_formats::encode_response(format, &decoded, &ctx))
    };
    let mut response = body.into_response();
    response.extensions_mut().insert(decoded.usage);
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    Ok(response)
}

fn unreachable(target: &Target, e: &reqwest::Error) -> ProxyError {
    unreachable_at(&target.provider, e)
}

/// A failed upstream call as the client hears of it: a timeout, or what broke — never where.
pub(super) fn unreachable_at(provider: &str, e: &reqwest::Error) -> ProxyError {
    if e.is_timeout() {
        return ProxyError::Timeout {
            provider: provider.to_owned(),
        };
    }
    // reqwest's Display hides the cause ("error sending request"); the source says what broke.
    // Neither names the URL: a provider's base URL (an internal address, a key in a query) is
    // not the client's business.
    let mut reason = strip_url(&e.to_string());
    let mut source = std::error::Error::source(e);
    while let Some(inner) = source {
        reason = format!("{reason}: {}", strip_url(&inner.to_string()));
        source = inner.source();
    }
    ProxyError::Unreachable {
        provider: provider.to_owned(),
        reason,
    }
}

/// An upstream's redirect as the failure it is: followed, it would carry the key elsewhere (no
/// client follows any, see `outbound`).
pub(super) fn redirect_refused(provider: &str, status: reqwest::StatusCode) -> Option<ProxyError> {
    status.is_redirection().then(|| ProxyError::Unreachable {
        provider: provider.to_owned(),
        reason: format!(
            "it answered with a redirect ({}), which OmniRoute does not follow; check the \
             provider's base URL",
            status.as_u16()
        ),
    })
}

/// reqwest's messages without the ` for url (…)` they carry.
fn strip_url(message: &str) -> String {
    match message.find(" for url (") {
        Some(start) => {
            let rest = &message[start..];
            let end = rest.find(')').map_or(message.len(), |e| start + e + 1);
            format!("{}{}", &message[..start], &message[end..])
        }
        None => message.to_owned(),
    }
}

/// Headers a client of the same format sends that the upstream must see (Claude Code's beta
/// flags select features such as interleaved thinking).
const FORWARDED: &[(Format, &str)] = &[
    (Format::Anthropic, "anthropic-beta"),
    (Format::Anthropic, "anthropic-version"),
];

async fn send(
    state: &AppState,
    target: &Target,
    client_format: Format,
    client_headers: &HeaderMap,
    body: Vec<u8>,
    stream: bool,
) -> Result<reqwest::Response, ProxyError> {
    if let Some(reason) =
        omniroute_providers::model_unsendable(target.format, &target.upstream_model)
    {
        return Err(ProxyError::BadRequest(FormatError::field("model", reason)));
    }
    let mut extra = target.headers.clone();
    for (format, name) in FORWARDED {
        if *format == client_format && *format == target.format {
            if let Some(value) = client_headers.get(*name).and_then(|v| v.to_str().ok()) {
                extra.retain(|(k, _)| !k.eq_ignore_ascii_case(name));
                extra.push(((*name).to_owned(), value.to_owned()));
            }
        }
    }
    let up = upstream_request(
        target.format,
        &target.base_url,
        &target.upstream_model,
        stream,
        target.auth,
        &extra,
    );
    let client =
        state
            .clients
            .get(target.proxy.as_ref())
            .map_err(|reason| ProxyError::Unreachable {
                provider: target.provider.clone(),
                reason,
            })?;
    let mut builder = client.post(&up.url).body(body);
    for (name, value) in &up.headers {
        builder = builder.header(name, value);
    }
    if let Some((name, value)) = target
        .api_key
        .as_ref()
        .and_then(|key| up.auth.header(key.expose()))
    {
        builder = builder.header(name, value);
    }
    let response = builder.send().await.map_err(|e| unreachable(target, &e))?;
    let status = response.status();
    if status.is_success() {
        return Ok(response);
    }
    if let Some(refused) = redirect_refused(&target.provider, status) {
        return Err(refused);
    }
    let retry_after_ms = retry_hint(response.headers());
    let body = read_limited(response, MAX_ERROR_BODY).await;
    let error = omniroute_formats::decode_error(target.format, status.as_u16(), &body);
    Err(ProxyError::Upstream {
        provider: target.provider.clone(),
        error,
        retry_after_ms,
    })
}

/// How long the upstream asked us to wait: `Retry-After` (seconds), or OpenAI's
/// `x-ratelimit-reset-*` durations (`1s`, `250ms`, `6m0s`).
fn retry_hint(headers: &reqwest::header::HeaderMap) -> Option<u64> {
    let now_unix_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(0));
    if let Some(ms) = headers
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| omniroute_routing::cooldown::hint_ms(v, now_unix_ms))
    {
        return Some(ms);
    }
    [
        "x-ratelimit-reset-requests",
        "x-ratelimit-reset-tokens",
        "x-ratelimit-reset",
    ]
    .iter()
    .filter_map(|name| {
        headers
            .get(*name)
            .and_then(|v| v.to_str().ok())
            .and_then(go_duration_ms)
    })
    .max()
}

/// `6m0s`, `1.5s`, `250ms` → milliseconds.
fn go_duration_ms(text: &str) -> Option<u64> {
    let mut total = 0.0;
    let mut number = String::new();
    let mut chars = text.trim().chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_ascii_digit() || c == '.' {
            number.push(c);
            continue;
        }
        let value: f64 = number.parse().ok()?;
        number.clear();
        total += match c {
            'h' => value * 3_600_000.0,
            'm' if chars.peek() == Some(&'s') => {
                chars.next();
                value
            }
            'm' => value * 60_000.0,
            's' => value * 1_000.0,
            _ => return None,
        };
    }
    if !number.is_empty() {
        total += number.parse::<f64>().ok()? * 1_000.0;
    }
    Some(total.ceil() as u64)
}

/// Longest whole (non-streamed) answer read from an upstream: a broken or hostile upstream must
/// not fill the gateway's memory.
const MAX_ANSWER_BODY: usize = 64 * 1024 * 1024;

/// A whole upstream answer, refused (as the upstream's failure) past `MAX_ANSWER_BODY`.
async fn read_answer(
    mut response: reqwest::Response,
    target: &Target,
) -> Result<axum::body::Bytes, ProxyError> {
    let mut out = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| unreachable(target, &e))?
    {
        if out.len() + chunk.len() > MAX_ANSWER_BODY {
            return Err(ProxyError::Unreachable {
                provider: target.provider.clone(),
                reason: format!(
                    "its answer is larger than {} MB",
                    MAX_ANSWER_BODY / (1024 * 1024)
                ),
            });
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out.into())
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

/// The outcome of `probe`: how long a minimal request took, or why it failed.
#[derive(Debug, serde::Serialize, ts_rs::TS)]
pub struct ProbeResult {
    pub ok: bool,
    pub model: String,
    pub latency_ms: u64,
    pub status: Option<u16>,
    pub error: Option<String>,
}

/// Sends the smallest real chat request ("ping", one output token) through `target`.
pub async fn probe(state: &AppState, target: &Target) -> ProbeResult {
    let request = omniroute_formats::ir::Request {
        model: target.upstream_model.clone(),
        messages: vec![omniroute_formats::ir::Message {
            role: omniroute_formats::ir::Role::User,
            parts: vec![omniroute_formats::ir::Part::Text("ping".into())],
        }],
        max_output_tokens: Some(1),
        ..Default::default()
    };
    let body = omniroute_formats::encode_request(target.format, &request);
    let started = std::time::Instant::now();
    let outcome = match send(state, target, target.format, &HeaderMap::new(), body, false).await {
        Ok(response) => {
            let status = response.status().as_u16();
            match read_answer(response, target).await {
                Ok(bytes) => match omniroute_formats::decode_response(target.format, &bytes) {
                    Ok(_) => Ok(status),
                    Err(e) => Err((Some(status), format!("the answer was not valid: {e}"))),
                },
                Err(e) => Err((Some(status), e.to_string())),
            }
        }
        Err(ProxyError::Upstream { error, .. }) => Err((Some(error.status), error.message)),
        Err(e) => Err((None, e.to_string())),
    };
    let latency_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    let model = format!("{}/{}", target.provider, target.upstream_model);
    match outcome {
        Ok(status) => ProbeResult {
            ok: true,
            model,
            latency_ms,
            status: Some(status),
            error: None,
        },
        Err((status, error)) => ProbeResult {
            ok: false,
            model,
            latency_ms,
            status,
            error: Some(error),
        },
    }
}

/// The error response for a request that never reached routing (e.g. an unreadable body).
pub fn reject(format: Format, error: ProxyError) -> Response {
    error_response(format, &error.to_error_info())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_errors_do_not_name_the_upstream_url() {
        assert_eq!(
            strip_url(
                "error sending request for url (http://10.1.2.3:8080/v1/chat/completions?key=AIza)"
            ),
            "error sending request"
        );
        assert_eq!(strip_url("connection refused"), "connection refused");
        assert_eq!(
            strip_url("error decoding response body for url (http://x/y): eof"),
            "error decoding response body: eof"
        );
    }
}
