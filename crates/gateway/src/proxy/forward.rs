//! One client request through one upstream: decode the client's format, resolve the target,
//! send the body in the upstream's format (untouched but for `model` when both formats are the
//! same), and answer in the client's format — whole, or as a translated stream.

use std::time::{SystemTime, UNIX_EPOCH};

use axum::body::Bytes;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use omniroute_formats::{ClientContext, Format, RequestHint};
use omniroute_providers::{ChatBody, Operation, Target, Upstream, UpstreamError};

use super::error::{ProxyError, error_response};
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

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Whether the client's body goes to `target` as sent (unknown fields survive): a target of
/// the same carrier format whose adapter does not rebuild the body, except a Gemini client
/// streaming without `alt=sse` (it wants a JSON array, which the upstream is not asked for) and
/// a body that must go through the IR (`Inbound::relayable`).
pub(super) fn relays(
    inbound: &Inbound<'_>,
    request: &omniroute_formats::ir::Request,
    target: &Target,
) -> bool {
    target.format() == Some(inbound.format)
        && target.wire.relays_client_body()
        && !(inbound.format == Format::Gemini && request.stream && !inbound.gemini_sse)
        && inbound.relayable
}

/// Why this request cannot go to `target` through the IR (a part, tool or parameter the
/// target cannot carry), checked before anything is sent.
pub(super) fn uncarriable(
    inbound: &Inbound<'_>,
    request: &omniroute_formats::ir::Request,
    target: &Target,
) -> Option<ProxyError> {
    let upstream_format = target.format()?;
    if relays(inbound, request, target) {
        return None;
    }
    omniroute_formats::check_carriable(request, inbound.format, upstream_format)
        .err()
        .map(ProxyError::BadRequest)
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
    let upstream_format = target.format().ok_or_else(|| {
        ProxyError::from(UpstreamError::Unsupported {
            provider: target.provider.clone(),
            what: Operation::Chat.noun(),
        })
    })?;
    let upstream = super::upstream(state, target, Operation::Chat)?;
    // Some upstreams stream every answer; a client that wants a whole one gets it collected.
    let collect = !request.stream && upstream.adapter.always_streams(target);
    let upstream_streams = request.stream || collect;
    let passthrough = relays(inbound, request, target) && !collect;
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
        upstream_request.stream = upstream_streams;
        omniroute_formats::encode_request(upstream_format, &upstream_request)
    };
    let initiator = state
        .catalog
        .get(&target.provider)
        .and_then(|e| e.initiator_header.as_deref());
    let response = send(
        &upstream,
        Outgoing {
            upstream_format,
            client_format: format,
            client_headers: inbound.headers,
            initiator,
        },
        body,
        request,
        upstream_streams,
    )
    .await?;
    let answer = upstream.chat_answer(response, upstream_streams);
    let ctx = ClientContext {
        gemini_sse: inbound.gemini_sse,
        ..ClientContext::for_request(request, now_secs())
    };
    let turn = PendingTurn::new(
        &state.reasoning,
        inbound.caller.scope(),
        upstream_format,
        passthrough,
        request,
    );
    if request.stream {
        let response = stream::start(
            format,
            upstream_format,
            passthrough.then_some(hide_usage),
            ctx,
            answer,
            state.config.stream_keepalive,
            turn,
        )
        .await
        .map_err(|reason| ProxyError::Unreachable {
            provider: target.provider.clone(),
            reason,
        })?;
        return Ok(report_dropped(response, request, passthrough));
    }
    let bytes = upstream.read_body(answer).await?;
    let decoded = if collect {
        omniroute_formats::fold_stream(upstream_format, &bytes).map_err(|error| {
            ProxyError::Upstream {
                provider: target.provider.clone(),
                error,
                retry_after_ms: None,
            }
        })?
    } else {
        omniroute_formats::decode_response(upstream_format, &bytes)
            .map_err(|e| UpstreamError::invalid_answer(&target.provider, &e))?
    };
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
    Ok(report_dropped(response, request, passthrough))
}

/// Hosted tools the client offered that a request through the IR went without (a web search
/// only OpenAI runs, sent to Claude), named in `X-OmniRoute-Dropped` so nothing goes silently.
fn report_dropped(
    mut response: Response,
    request: &omniroute_formats::ir::Request,
    passthrough: bool,
) -> Response {
    if passthrough {
        return response;
    }
    let dropped = omniroute_formats::dropped_offers(request).join("; ");
    if !dropped.is_empty()
        && let Ok(value) = HeaderValue::from_str(
            &dropped.replace(|c: char| !c.is_ascii() || c.is_ascii_control(), "?"),
        )
    {
        response.headers_mut().insert("x-omniroute-dropped", value);
    }
    response
}

/// Headers a client of the same format sends that the upstream must see (Claude Code's beta
/// flags select features such as interleaved thinking).
const FORWARDED: &[(Format, &str)] = &[
    (Format::Anthropic, "anthropic-beta"),
    (Format::Anthropic, "anthropic-version"),
];

/// Headers that are about this hop, our own, or the credential (sent from the target).
const NOT_RELAYED: &[&str] = &[
    "host",
    "content-length",
    "content-type",
    "connection",
    "keep-alive",
    "transfer-encoding",
    "te",
    "upgrade",
    "accept-encoding",
    "cookie",
    "authorization",
    "x-api-key",
    "forwarded",
    "x-real-ip",
];

/// A passthrough client's own headers, as it sent them (Claude Code's betas, version, user
/// agent and app headers), without hop and credential headers and OmniRoute's own.
fn relayed_headers(client_headers: &HeaderMap) -> Vec<(String, String)> {
    client_headers
        .iter()
        .filter(|(name, _)| {
            let name = name.as_str();
            !NOT_RELAYED.contains(&name)
                && !name.starts_with("x-omniroute-")
                && !name.starts_with("x-forwarded-")
        })
        .filter_map(|(name, value)| {
            Some((name.as_str().to_owned(), value.to_str().ok()?.to_owned()))
        })
        .collect()
}

/// What decides the headers a chat body goes upstream with.
struct Outgoing<'a> {
    upstream_format: Format,
    client_format: Format,
    client_headers: &'a HeaderMap,
    /// The provider's header saying who started the turn (Copilot's `x-initiator`).
    initiator: Option<&'a str>,
}

/// Sends a chat body in `upstream_format` to the target through its adapter.
async fn send(
    upstream: &Upstream<'_>,
    outgoing: Outgoing<'_>,
    body: Vec<u8>,
    request: &omniroute_formats::ir::Request,
    stream: bool,
) -> Result<reqwest::Response, ProxyError> {
    let Outgoing {
        upstream_format,
        client_format,
        client_headers,
        initiator,
    } = outgoing;
    let mut forwarded: Vec<(String, String)> = if upstream.target.relay_client_headers {
        relayed_headers(client_headers)
    } else {
        FORWARDED
            .iter()
            .filter(|(format, _)| *format == client_format && *format == upstream_format)
            .filter_map(|(_, name)| {
                let value = client_headers.get(*name)?.to_str().ok()?;
                Some(((*name).to_owned(), value.to_owned()))
            })
            .collect()
    };
    if let Some(name) = initiator {
        let who = if request.user_initiated() {
            "user"
        } else {
            "agent"
        };
        forwarded.push((name.to_owned(), who.to_owned()));
    }
    let prepared = upstream.adapter.prepare_chat(
        upstream.target,
        ChatBody {
            body,
            request,
            stream,
            forwarded: &forwarded,
        },
    )?;
    Ok(upstream.send(prepared).await?)
}

/// The error response for a request that never reached routing (e.g. an unreadable body).
pub fn reject(format: Format, error: ProxyError) -> Response {
    error_response(format, &error.to_error_info())
}
