//! The mock upstream: OpenAI Chat Completions and Anthropic Messages, whole or streamed, after
//! a fixed latency, with tokens paced at a fixed gap. Answers are canned at start-up.
//!
//! Path segments of the form `name=value` before the API path override the defaults per
//! request, so one mock serves every scenario and the gateway reaches each through its own
//! `baseUrl`: `/chunks=200/gap=5/v1/chat/completions` streams 200 tokens 5 ms apart.
//! Names: `latency` (ms before the first byte), `chunks` (tokens per stream), `gap` (ms).

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures_util::stream;
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full, StreamBody};
use hyper::body::{Frame, Incoming};
use hyper::header::{CONTENT_TYPE, HeaderValue};
use hyper::{Request, Response, StatusCode};
use tokio::time::{Instant, sleep_until};

use crate::wire::{Api, Canned, wants_stream};

/// Defaults for requests whose path does not override them.
#[derive(Debug, Clone, Copy)]
pub struct Pacing {
    /// Time from the request's arrival to the first byte of the answer.
    pub latency: Duration,
    /// Tokens in a streamed answer.
    pub chunks: u32,
    /// Time between two streamed tokens.
    pub gap: Duration,
}

impl Default for Pacing {
    fn default() -> Self {
        Self {
            latency: Duration::from_millis(50),
            chunks: 50,
            gap: Duration::from_millis(10),
        }
    }
}

impl Pacing {
    /// These defaults with a path's `name=value` segments applied.
    fn for_path(mut self, path: &str) -> Self {
        for segment in path.split('/') {
            let Some((name, value)) = segment.split_once('=') else {
                continue;
            };
            let Ok(value) = value.parse::<u64>() else {
                continue;
            };
            match name {
                "latency" => self.latency = Duration::from_millis(value),
                "chunks" => self.chunks = u32::try_from(value).unwrap_or(u32::MAX),
                "gap" => self.gap = Duration::from_millis(value),
                _ => {}
            }
        }
        self
    }
}

/// Everything a request handler needs, shared by all connections.
#[derive(Debug)]
pub struct Mock {
    pub pacing: Pacing,
    openai: Canned,
    anthropic: Canned,
}

pub type Body = BoxBody<Bytes, Infallible>;

fn full(status: StatusCode, content_type: &'static str, body: Bytes) -> Response<Body> {
    let mut response = Response::new(Full::new(body).boxed());
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

impl Mock {
    pub fn new(pacing: Pacing) -> Arc<Self> {
        Arc::new(Self {
            pacing,
            openai: Canned::new(Api::OpenAi),
            anthropic: Canned::new(Api::Anthropic),
        })
    }

    /// Answers one request.
    pub async fn handle(self: Arc<Self>, request: Request<Incoming>) -> Response<Body> {
        let arrived = Instant::now();
        let path = request.uri().path().to_owned();
        if path.ends_with("/health") {
            return full(StatusCode::OK, "text/plain", Bytes::from_static(b"ok"));
        }
        let Some(api) = Api::of_path(&path) else {
            return full(
                StatusCode::NOT_FOUND,
                "text/plain",
                Bytes::from(format!("no route for {path}")),
            );
        };
        let body = match request.into_body().collect().await {
            Ok(body) => body.to_bytes(),
            Err(_) => return full(StatusCode::BAD_REQUEST, "text/plain", Bytes::new()),
        };
        let pacing = self.pacing.for_path(&path);
        let canned = match api {
            Api::OpenAi => &self.openai,
            Api::Anthropic => &self.anthropic,
        };
        let start = arrived + pacing.latency;
        sleep_until(start).await;
        if !wants_stream(&body) {
            return full(StatusCode::OK, "application/json", canned.json.clone());
        }
        let mut response = Response::new(paced(canned.clone(), pacing, start));
        response
            .headers_mut()
            .insert(CONTENT_TYPE, HeaderValue::from_static("text/event-stream"));
        response
    }
}

/// The stream: preamble and first token at `start`, token `i` at `start + i * gap`, the tail
/// with the last token. Each write is due at a fixed time, so delays do not accumulate.
fn paced(canned: Canned, pacing: Pacing, start: Instant) -> Body {
    let chunks = pacing.chunks;
    let events = stream::unfold(0u32, move |i| {
        let canned = canned.clone();
        async move {
            if i >= chunks.max(1) {
                return None;
            }
            let mut out = Vec::new();
            if i == 0 {
                out.extend_from_slice(&canned.preamble);
            } else {
                sleep_until(start + pacing.gap * i).await;
            }
            let token = canned.chunks.get(i as usize % canned.chunks.len().max(1));
            if let Some(token) = token.filter(|_| chunks > 0) {
                out.extend_from_slice(token);
            }
            if i + 1 >= chunks.max(1) {
                out.extend_from_slice(&canned.tail);
            }
            Some((Ok(Frame::data(Bytes::from(out))), i + 1))
        }
    });
    StreamBody::new(events).boxed()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_segments_override_pacing() {
        let p = Pacing::default().for_path("/chunks=200/gap=5/latency=1/v1/chat/completions");
        assert_eq!(p.chunks, 200);
        assert_eq!(p.gap, Duration::from_millis(5));
        assert_eq!(p.latency, Duration::from_millis(1));
        let p = Pacing::default().for_path("/v1/messages");
        assert_eq!(p.chunks, 50);
    }
}
