//! The dashboard's Translator: `POST /api/translator/translate` (a request or response of one
//! client format in another, through the same decoders and encoders the proxy uses) and
//! `GET /api/translator/monitor` (one server-sent event per client request as it finishes).
//!
//! The monitor is a broadcast channel: the request path publishes only while somebody is
//! watching (`receiver_count() > 0`), so an unwatched gateway pays one atomic load per request.
//! A watcher that falls behind skips ahead; every stream ends when the gateway shuts down.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::Stream;
use omniroute_formats::{ClientContext, Format, FormatError, RequestHint};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::sync::{broadcast, watch};

use crate::AppState;
use crate::admin::json::ApiJson;
use crate::error::{ApiError, ErrorCode};

/// Events a slow watcher may fall behind by before it skips ahead.
const MONITOR_CAPACITY: usize = 256;
/// Comment lines keep idle connections (and proxies between) open.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    #[default]
    Request,
    Response,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TranslateBody {
    pub from: String,
    pub to: String,
    /// A client request (or, with `kind: "response"`, an answer) in `from`'s format.
    pub body: Value,
    #[serde(default)]
    pub kind: Kind,
    /// The model when `from` is Gemini (which carries it in the path, not the body); for a
    /// response, the model the client asked for.
    #[serde(default)]
    pub model: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct Translated {
    pub body: Value,
    /// The model of the translated request (Gemini puts it in the path, not in `body`).
    pub model: String,
}

fn format(field: &str, value: &str) -> Result<Format, ApiError> {
    Format::parse(value).ok_or_else(|| {
        ApiError::invalid(format!(
            "{field}: unknown format '{value}' (expected openai, anthropic, gemini or responses)"
        ))
    })
}

fn format_error(from: Format, e: &FormatError) -> ApiError {
    ApiError::invalid(format!(
        "body is not a valid {} request: {e}",
        from.as_str()
    ))
}

fn to_value(bytes: &[u8]) -> Result<Value, ApiError> {
    serde_json::from_slice(bytes).map_err(|e| {
        ApiError::new(
            ErrorCode::Internal,
            format!("the translation is not JSON: {e}"),
        )
    })
}

pub async fn translate(
    ApiJson(input): ApiJson<TranslateBody>,
) -> Result<Json<Translated>, ApiError> {
    let from = format("from", &input.from)?;
    let to = format("to", &input.to)?;
    if !input.body.is_object() {
        return Err(ApiError::invalid("body: must be a JSON object"));
    }
    let bytes = serde_json::to_vec(&input.body)
        .map_err(|e| ApiError::new(ErrorCode::Internal, e.to_string()))?;
    let model = input
        .model
        .as_deref()
        .map(str::trim)
        .filter(|m| !m.is_empty());
    match input.kind {
        Kind::Request => {
            if from == Format::Gemini && model.is_none() {
                return Err(ApiError::invalid(
                    "model: is required to translate a Gemini request (Gemini carries it in the \
                     path): send it as \"model\" beside \"body\"",
                ));
            }
            let hint = RequestHint {
                model,
                ..RequestHint::default()
            };
            let request = omniroute_formats::decode_request(from, &bytes, &hint)
                .map_err(|e| format_error(from, &e))?;
            let body = to_value(&omniroute_formats::encode_request(to, &request))?;
            Ok(Json(Translated {
                body,
                model: request.model,
            }))
        }
        Kind::Response => {
            let response = omniroute_formats::decode_response(from, &bytes).map_err(|e| {
                ApiError::invalid(format!(
                    "body is not a valid {} response: {e}",
                    from.as_str()
                ))
            })?;
            let ctx = ClientContext {
                model: model.map_or_else(|| response.model.clone(), str::to_owned),
                created: u64::try_from(omniroute_store::now_ms() / 1000).unwrap_or(0),
                ..ClientContext::default()
            };
            let body = to_value(&omniroute_formats::encode_response(to, &response, &ctx))?;
            Ok(Json(Translated {
                body,
                model: ctx.model,
            }))
        }
    }
}

/// One client request as the live monitor shows it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MonitorEvent {
    /// When the request arrived (Unix ms).
    pub ts: i64,
    pub client_format: String,
    /// The format spoken to the upstream that served it (none for refusals, cache hits, replays).
    pub upstream_format: Option<&'static str>,
    pub model: String,
    pub provider: Option<String>,
    pub status: i64,
    pub stream: bool,
    pub latency_ms: i64,
}

/// The live monitor's channel, held in the shared state.
pub struct Monitor {
    sender: broadcast::Sender<Arc<str>>,
    /// Becomes `true` at shutdown: open monitor streams end so draining does not wait on them.
    stop: watch::Receiver<bool>,
}

impl Monitor {
    pub fn new(stop: watch::Receiver<bool>) -> Self {
        let (sender, _) = broadcast::channel(MONITOR_CAPACITY);
        Self { sender, stop }
    }

    /// Sends the event `make` builds, but builds it only if somebody is watching.
    pub fn publish(&self, make: impl FnOnce() -> MonitorEvent) {
        if self.sender.receiver_count() == 0 {
            return;
        }
        match serde_json::to_string(&make()) {
            Ok(json) => {
                // Nobody left between the check and the send: nothing to do.
                let _ = self.sender.send(json.into());
            }
            Err(e) => tracing::debug!(error = %e, "monitor event not serializable"),
        }
    }
}

/// The events of `receiver` as SSE until the channel closes or the gateway stops.
fn events(
    receiver: broadcast::Receiver<Arc<str>>,
    stop: watch::Receiver<bool>,
) -> impl Stream<Item = Result<Event, Infallible>> {
    let hello = Event::default().comment("monitoring");
    futures_util::stream::unfold(
        (Some(hello), receiver, stop),
        |(hello, mut receiver, mut stop)| async move {
            if let Some(hello) = hello {
                return Some((Ok(hello), (None, receiver, stop)));
            }
            loop {
                let next = tokio::select! {
                    next = receiver.recv() => next,
                    _ = stop.wait_for(|stopped| *stopped) => return None,
                };
                match next {
                    Ok(json) => {
                        let event = Event::default().data(&*json);
                        return Some((Ok(event), (None, receiver, stop)));
                    }
                    // Fell behind: continue from the oldest event still held.
                    Err(broadcast::error::RecvError::Lagged(_)) => {}
                    Err(broadcast::error::RecvError::Closed) => return None,
                }
            }
        },
    )
}

pub async fn monitor(
    State(state): State<AppState>,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let receiver = state.monitor.sender.subscribe();
    Sse::new(events(receiver, state.monitor.stop.clone()))
        .keep_alive(KeepAlive::new().interval(KEEP_ALIVE).text("keep-alive"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(status: i64) -> MonitorEvent {
        MonitorEvent {
            ts: 1,
            client_format: "openai".into(),
            upstream_format: Some("anthropic"),
            model: "m".into(),
            provider: Some("p".into()),
            status,
            stream: false,
            latency_ms: 3,
        }
    }

    #[test]
    fn nothing_is_built_without_a_watcher() {
        let (_tx, rx) = watch::channel(false);
        let monitor = Monitor::new(rx);
        let mut built = false;
        monitor.publish(|| {
            built = true;
            event(200)
        });
        assert!(!built);
        let mut receiver = monitor.sender.subscribe();
        monitor.publish(|| event(201));
        let got = receiver.try_recv().ok().map(|j| j.to_string());
        assert!(
            got.as_deref()
                .is_some_and(|j| j.contains("\"status\":201")
                    && j.contains("\"upstreamFormat\":\"anthropic\"")),
            "{got:?}"
        );
    }
}
