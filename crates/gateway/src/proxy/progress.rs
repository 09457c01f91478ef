//! `X-OmniRoute-Progress: true` on a streaming request: the answer starts at once and routing
//! reports into it — the plan, each attempt, each fallback — before the model's own stream
//! follows. Anthropic clients get `event: progress` events (their SDKs skip unknown event
//! types); OpenAI Chat, Responses and Gemini SSE clients get the same JSON as SSE comment lines
//! (`: progress {...}`), because their SDKs turn every `data:` line into a chunk. A Gemini
//! stream without `alt=sse` is a JSON array and carries no progress.

use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::Response;
use futures_util::{Stream, StreamExt};
use omniroute_formats::ir::{Request, StreamEvent};
use omniroute_formats::{ClientContext, Format, RequestHint, StreamEncoder};
use tokio::sync::mpsc;

use super::error::ProxyError;
use super::forward::Inbound;
use super::stream::Tally;
use super::trace::{Progress, Trace};
use crate::AppState;
use crate::accounting::keys::Caller;

/// What the usage record needs from routing that finished after the answer started.
#[derive(Default)]
pub struct Late {
    pub trace: Option<Trace>,
    pub tally: Option<Arc<Tally>>,
    pub error_status: Option<u16>,
    pub ttft: Option<Duration>,
}

pub type LateSlot = Arc<Mutex<Late>>;

/// The SSE bytes of one progress step in the client's format.
pub fn encode(format: Format, step: &Progress) -> Vec<u8> {
    /// Anthropic's convention: the data's `type` repeats the event name.
    #[derive(serde::Serialize)]
    struct Tagged<'a> {
        r#type: &'static str,
        #[serde(flatten)]
        step: &'a Progress,
    }
    let json = serde_json::to_string(&Tagged {
        r#type: "progress",
        step,
    })
    .unwrap_or_default();
    match format {
        Format::Anthropic => format!("event: progress\ndata: {json}\n\n").into_bytes(),
        _ => format!(": progress {json}\n\n").into_bytes(),
    }
}

/// Routing running inside the answer: its outcome and what it did.
type Routing =
    Pin<Box<dyn std::future::Future<Output = (Result<Response, ProxyError>, Trace)> + Send>>;

type ByteStream = Pin<Box<dyn Stream<Item = Result<Bytes, axum::Error>> + Send>>;

enum Phase {
    Routing {
        routing: Routing,
        steps: mpsc::UnboundedReceiver<Progress>,
    },
    Relay(ByteStream),
    Done,
}

/// The streaming answer with progress, or `None` when the client's format cannot carry it.
pub fn respond(
    state: &AppState,
    inbound: &Inbound<'_>,
    request: &Request,
) -> Option<(Response, LateSlot)> {
    let format = inbound.format;
    if format == Format::Gemini && !inbound.gemini_sse {
        return None;
    }
    let started = Instant::now();
    let (tx, steps) = mpsc::unbounded_channel();
    let owned = (
        inbound.hint.model.map(str::to_owned),
        inbound.hint.stream,
        inbound.gemini_sse,
        inbound.headers.clone(),
        inbound.body.clone(),
        inbound.caller.clone(),
        inbound.relayable,
    );
    let ctx = ClientContext {
        gemini_sse: inbound.gemini_sse,
        ..ClientContext::for_request(request, omniroute_store::now_ms().unsigned_abs() / 1000)
    };
    let routing_state = state.clone();
    let request = request.clone();
    let routing = Box::pin(async move {
        let (model, stream, gemini_sse, headers, body, caller, relayable): (
            Option<String>,
            Option<bool>,
            bool,
            HeaderMap,
            Bytes,
            Caller,
            bool,
        ) = owned;
        let inbound = Inbound {
            format,
            hint: RequestHint {
                model: model.as_deref(),
                stream,
            },
            gemini_sse,
            headers: &headers,
            body,
            caller,
            relayable,
        };
        let mut trace = Trace::with_progress(tx);
        let result = super::route::chat(&routing_state, &inbound, &request, &mut trace).await;
        (result, trace)
    });
    let late: LateSlot = Arc::default();
    let slot = late.clone();
    let body = futures_util::stream::unfold(Phase::Routing { routing, steps }, move |phase| {
        let slot = slot.clone();
        let ctx = ctx.clone();
        async move {
            match phase {
                Phase::Routing {
                    mut routing,
                    mut steps,
                } => {
                    tokio::select! {
                        biased;
                        Some(step) = steps.recv() => {
                            let chunk = Bytes::from(encode(format, &step));
                            Some((Ok(chunk), Phase::Routing { routing, steps }))
                        }
                        (result, trace) = &mut routing => {
                            let mut out = Vec::new();
                            while let Ok(step) = steps.try_recv() {
                                out.extend(encode(format, &step));
                            }
                            let mut late = slot.lock().unwrap_or_else(|p| p.into_inner());
                            late.trace = Some(trace);
                            let next = match result {
                                Ok(response) => {
                                    late.ttft = Some(started.elapsed());
                                    late.tally = response.extensions().get::<Arc<Tally>>().cloned();
                                    Phase::Relay(Box::pin(response.into_body().into_data_stream()))
                                }
                                Err(e) => {
                                    let info = e.to_error_info();
                                    late.error_status = Some(info.status);
                                    StreamEncoder::new(format, ctx).encode(&StreamEvent::Error(info), &mut out);
                                    Phase::Done
                                }
                            };
                            Some((Ok(Bytes::from(out)), next))
                        }
                    }
                }
                Phase::Relay(mut rest) => {
                    rest.next().await.map(|chunk| (chunk, Phase::Relay(rest)))
                }
                Phase::Done => None,
            }
        }
    });
    let mut response = Response::new(Body::from_stream(body));
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert("x-accel-buffering", HeaderValue::from_static("no"));
    Some((response, late))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_is_an_event_for_anthropic_and_a_comment_elsewhere() {
        let step = Progress::Fallback {
            target: "a/b".into(),
            reason: "503".into(),
        };
        let anthropic = String::from_utf8(encode(Format::Anthropic, &step)).unwrap();
        assert!(
            anthropic.starts_with(
                "event: progress\ndata: {\"type\":\"progress\",\"stage\":\"fallback\""
            ),
            "{anthropic}"
        );
        for format in [Format::OpenAiChat, Format::Responses, Format::Gemini] {
            let text = String::from_utf8(encode(format, &step)).unwrap();
            assert!(text.starts_with(": progress {"), "{text}");
            assert!(
                text.ends_with("\n\n") && !text.contains("\ndata:"),
                "{text}"
            );
        }
    }
}
