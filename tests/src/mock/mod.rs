//! A mock upstream on `127.0.0.1:0` that speaks the providers' real wire formats: OpenAI Chat
//! Completions, Anthropic Messages, Gemini generateContent/streamGenerateContent and OpenAI
//! Responses — streaming and not, with tools, thinking and usage. Each request consumes a queued
//! `Script` (or the default), which may inject faults; every request is logged for assertions.
//! Dispatch is by path suffix, so any base URL prefix an adapter uses reaches the right format.
//! Control over HTTP (for tests in other languages): `POST /__mock/script`, `POST /__mock/default`,
//! `GET /__mock/received`, `POST /__mock/reset`.

pub mod anthropic;
pub mod gemini;
pub mod media;
pub mod openai_chat;
mod reasoning;
pub mod responses;
pub mod script;
pub mod subscription;

use std::collections::{BTreeMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::{Value, json};

pub use script::{Fault, Reply, Script, Stop, Thinking, ToolCall, Usage};

/// One server-sent event (or, for Gemini's array form, one array element).
#[derive(Debug, Clone)]
pub struct Event {
    pub name: Option<String>,
    pub data: String,
}

impl Event {
    pub fn data(value: Value) -> Self {
        Self {
            name: None,
            data: value.to_string(),
        }
    }
    pub fn named(name: &str, value: Value) -> Self {
        Self {
            name: Some(name.to_owned()),
            data: value.to_string(),
        }
    }
    pub fn raw(name: Option<&str>, data: &str) -> Self {
        Self {
            name: name.map(str::to_owned),
            data: data.to_owned(),
        }
    }
}

/// Which API a request spoke, judged from its path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    OpenAiChat,
    Anthropic,
    Gemini,
    Responses,
}

/// A request as the mock received it.
#[derive(Debug, Clone, Serialize)]
pub struct Received {
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    pub headers: BTreeMap<String, String>,
    /// The JSON body, or the raw text as a JSON string when it was not JSON.
    pub body: Value,
    pub format: Option<Format>,
    /// The address the request came from (a proxy's, when one carried it).
    pub peer: Option<std::net::SocketAddr>,
}

impl Received {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(&name.to_ascii_lowercase())
            .map(String::as_str)
    }
}

#[derive(Default)]
struct MockState {
    scripts: VecDeque<Script>,
    default: Script,
    received: Vec<Received>,
    /// Reasoning state handed out, checked when a conversation replays it.
    issued: Vec<reasoning::Issued>,
    /// Streams whose client went away before the last event was sent.
    aborted_streams: usize,
    /// Requests being answered now, and the most ever at once.
    in_flight: usize,
    max_in_flight: usize,
}

/// Counts a stream as aborted when its body is dropped before the end.
struct AbortWatch {
    shared: Shared,
    finished: bool,
}

impl AbortWatch {
    fn finish(&mut self) {
        self.finished = true;
    }
}

impl Drop for AbortWatch {
    fn drop(&mut self) {
        if !self.finished {
            self.shared.with(|s| s.aborted_streams += 1);
        }
    }
}

#[derive(Clone, Default)]
struct Shared(Arc<Mutex<MockState>>);

impl Shared {
    fn with<T>(&self, f: impl FnOnce(&mut MockState) -> T) -> T {
        let mut guard = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        f(&mut guard)
    }

    fn take_script(&self, model: &str) -> Script {
        self.with(|s| {
            let pos = s
                .scripts
                .iter()
                .position(|sc| sc.model.as_deref().is_none_or(|m| m == model));
            pos.and_then(|p| s.scripts.remove(p))
                .unwrap_or_else(|| s.default.clone())
        })
    }
}

/// A running mock upstream. Dropping it stops the server.
pub struct MockUpstream {
    addr: SocketAddr,
    shared: Shared,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for MockUpstream {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl MockUpstream {
    pub async fn start() -> anyhow::Result<Self> {
        Self::start_on("127.0.0.1:0".parse()?).await
    }

    pub async fn start_on(addr: SocketAddr) -> anyhow::Result<Self> {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let shared = Shared::default();
        let app = Router::new().fallback(handle).with_state(shared.clone());
        #[allow(clippy::disallowed_methods, reason = "test server, aborted on drop")]
        let task = tokio::spawn(async move {
            let _ = axum::serve(
                listener,
                app.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .await;
        });
        Ok(Self { addr, shared, task })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:port`, the root of every format's paths.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The base URL a provider node of `format` uses for this mock, by each SDK's convention
    /// (`…/v1` for OpenAI and Responses, the root for Anthropic and Gemini).
    pub fn base_url(&self, format: Format) -> String {
        match format {
            Format::OpenAiChat | Format::Responses => format!("{}/v1", self.url()),
            Format::Anthropic | Format::Gemini => self.url(),
        }
    }

    /// Queues a script for the next matching request.
    pub fn push(&self, script: Script) {
        self.shared.with(|s| s.scripts.push_back(script));
    }

    /// The script used when none is queued.
    pub fn set_default(&self, script: Script) {
        self.shared.with(|s| s.default = script);
    }

    pub fn received(&self) -> Vec<Received> {
        self.shared.with(|s| s.received.clone())
    }

    pub fn reset(&self) {
        self.shared.with(|s| *s = MockState::default());
    }

    /// The most requests the mock was answering at the same time.
    pub fn max_in_flight(&self) -> usize {
        self.shared.with(|s| s.max_in_flight)
    }

    /// How many streamed answers were cut off by the client going away.
    pub fn aborted_streams(&self) -> usize {
        self.shared.with(|s| s.aborted_streams)
    }

    /// Waits until `n` requests have arrived (or the timeout passes) and returns them.
    pub async fn wait_for_requests(&self, n: usize, timeout: Duration) -> Vec<Received> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let got = self.received();
            if got.len() >= n || tokio::time::Instant::now() >= deadline {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

/// Serves `router` on a loopback port of its own: an upstream that misbehaves in ways the mock
/// does not script (redirects, endless bodies).
pub async fn serve_router(router: Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    #[allow(
        clippy::disallowed_methods,
        reason = "test server, lives as long as the test"
    )]
    tokio::spawn(async move { axum::serve(listener, router).await });
    addr
}

fn format_of(path: &str) -> Option<Format> {
    if path.ends_with("/chat/completions") {
        Some(Format::OpenAiChat)
    } else if path.ends_with("/messages") {
        Some(Format::Anthropic)
    } else if path.ends_with("/responses") {
        Some(Format::Responses)
    } else if path.contains(":generateContent") || path.contains(":streamGenerateContent") {
        Some(Format::Gemini)
    } else {
        None
    }
}

async fn handle(
    State(shared): State<Shared>,
    axum::extract::ConnectInfo(peer): axum::extract::ConnectInfo<SocketAddr>,
    request: Request,
) -> Response {
    let (parts, body) = request.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 64 * 1024 * 1024).await else {
        return (StatusCode::PAYLOAD_TOO_LARGE, "body too large").into_response();
    };
    let path = parts.uri.path().to_owned();
    let query = parts.uri.query().map(str::to_owned);
    if let Some(control) = path.strip_prefix("/__mock/") {
        return control_request(&shared, &parts.method, control, &bytes);
    }
    let format = format_of(&path);
    let body: Value = serde_json::from_slice(&bytes)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
    shared.with(|s| {
        s.received.push(Received {
            method: parts.method.to_string(),
            path: path.clone(),
            query: query.clone(),
            headers: headers_map(&parts.headers),
            body: body.clone(),
            format,
            peer: Some(peer),
        })
    });
    if let Some(response) = subscription::answer(&shared, &path, &body) {
        return response;
    }
    if format.is_none() {
        let media = media::answer(
            &shared,
            &parts.method,
            &path,
            query.as_deref(),
            &parts.headers,
            &bytes,
        );
        if let Some(response) = media.await {
            return response;
        }
    }
    let Some(format) = format else {
        return (
            StatusCode::NOT_FOUND,
            axum::Json(openai_chat::error(404, &format!("mock: no route {path}"))),
        )
            .into_response();
    };
    let model = match format {
        Format::Gemini => path
            .split("models/")
            .nth(1)
            .and_then(|rest| rest.split(':').next())
            .unwrap_or("gemini-mock")
            .to_owned(),
        _ => body
            .get("model")
            .and_then(Value::as_str)
            .unwrap_or("mock-model")
            .to_owned(),
    };
    let stream = match format {
        Format::Gemini => path.contains(":streamGenerateContent"),
        _ => body.get("stream").and_then(Value::as_bool).unwrap_or(false),
    };
    if let Some(message) = reasoning::check(&shared, format, &model, &body) {
        let error = match format {
            Format::OpenAiChat => openai_chat::error(400, &message),
            Format::Anthropic => anthropic::error(400, &message),
            Format::Gemini => gemini::error(400, &message),
            Format::Responses => responses::error(400, &message),
        };
        return (StatusCode::BAD_REQUEST, axum::Json(error)).into_response();
    }
    let script = shared.take_script(&model);
    let extra = script.headers.clone();
    shared.with(|s| {
        s.in_flight += 1;
        s.max_in_flight = s.max_in_flight.max(s.in_flight);
    });
    let mut response = answer(
        &shared,
        format,
        &model,
        stream,
        query.as_deref(),
        &body,
        script,
    )
    .await;
    shared.with(|s| s.in_flight -= 1);
    for (name, value) in extra {
        if let (Ok(name), Ok(value)) = (
            axum::http::HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(&value),
        ) {
            response.headers_mut().insert(name, value);
        }
    }
    response
}

async fn answer(
    shared: &Shared,
    format: Format,
    model: &str,
    stream: bool,
    query: Option<&str>,
    body: &Value,
    script: Script,
) -> Response {
    let fault = script.fault;
    if fault.delay_ms > 0 {
        tokio::time::sleep(Duration::from_millis(fault.delay_ms)).await;
    }
    if let Some(status) = fault.status {
        let message = fault
            .error_message
            .clone()
            .unwrap_or_else(|| format!("mock upstream error {status}"));
        let error = match format {
            Format::OpenAiChat => openai_chat::error(status, &message),
            Format::Anthropic => anthropic::error(status, &message),
            Format::Gemini => gemini::error(status, &message),
            Format::Responses => responses::error(status, &message),
        };
        let code = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = (code, axum::Json(error)).into_response();
        if let Some(retry) = fault
            .retry_after
            .as_deref()
            .and_then(|r| HeaderValue::from_str(r).ok())
        {
            response.headers_mut().insert("retry-after", retry);
        }
        return response;
    }
    let reply = &script.reply;
    reasoning::issue(shared, format, reply);
    if !stream {
        if fault.malformed_json {
            return (
                [("content-type", "application/json")],
                "{\"id\": \"broken\", \"choices\": [",
            )
                .into_response();
        }
        let value = match format {
            Format::OpenAiChat => openai_chat::body(reply, model),
            Format::Anthropic => anthropic::body(reply, model),
            Format::Gemini => gemini::body(reply, model),
            Format::Responses => responses::body(reply, model),
        };
        return axum::Json(value).into_response();
    }
    let mut events = match format {
        Format::OpenAiChat => {
            let include_usage = body
                .pointer("/stream_options/include_usage")
                .and_then(Value::as_bool)
                == Some(true);
            openai_chat::events(reply, model, include_usage)
        }
        Format::Anthropic => anthropic::events(reply, model),
        Format::Gemini => gemini::events(reply, model),
        Format::Responses => responses::events(reply, model),
    };
    if let Some(n) = fault.error_event_after {
        let message = fault
            .error_message
            .clone()
            .unwrap_or_else(|| "mock upstream failed mid-stream".into());
        events.truncate(n);
        events.push(match format {
            Format::OpenAiChat => openai_chat::error_event(&message),
            Format::Anthropic => anthropic::error_event(&message),
            Format::Gemini => gemini::error_event(&message),
            Format::Responses => responses::error_event(&message, events.len()),
        });
    }
    if fault.malformed_json {
        let middle = events.len() / 2;
        if let Some(e) = events.get_mut(middle) {
            e.data = "{\"broken\": ".into();
        }
    }
    let sse =
        format != Format::Gemini || query.is_some_and(|q| q.split('&').any(|p| p == "alt=sse"));
    let frames = frame(format, sse, events);
    let cut = fault.cut_after_events;
    let gap = Duration::from_millis(fault.event_delay_ms);
    // A cut is the mock's own doing, so it is counted as finished, not as a client abort.
    let watch = AbortWatch {
        shared: shared.clone(),
        finished: cut.is_some(),
    };
    let body_stream = futures_util::stream::unfold(
        (frames.into_iter().enumerate(), cut, gap, watch),
        |(mut it, cut, gap, mut watch)| async move {
            let Some((i, frame)) = it.next() else {
                watch.finish();
                return None;
            };
            if cut.is_some_and(|n| i >= n) {
                // An abrupt end: hyper aborts the chunked body, the client sees a broken stream.
                // The pause lets what came before reach the wire first, as in a real failure.
                tokio::time::sleep(Duration::from_millis(50)).await;
                return Some((
                    Err(std::io::Error::other("mock: stream cut")),
                    (it, Some(0), gap, watch),
                ));
            }
            if i > 0 && !gap.is_zero() {
                tokio::time::sleep(gap).await;
            }
            Some((Ok::<Bytes, std::io::Error>(frame), (it, cut, gap, watch)))
        },
    );
    let content_type = if sse {
        "text/event-stream"
    } else {
        "application/json"
    };
    let mut response = Response::new(Body::from_stream(body_stream));
    response
        .headers_mut()
        .insert("content-type", HeaderValue::from_static(content_type));
    response
        .headers_mut()
        .insert("cache-control", HeaderValue::from_static("no-cache"));
    response
}

/// SSE frames (Gemini's with CRLF line ends, as Google's servers send them), or the pieces of
/// Gemini's streamed JSON array.
fn frame(format: Format, sse: bool, events: Vec<Event>) -> Vec<Bytes> {
    if !sse {
        let n = events.len();
        let mut frames: Vec<Bytes> = events
            .into_iter()
            .enumerate()
            .map(|(i, e)| Bytes::from(format!("{}{}", if i == 0 { "[" } else { ",\r\n" }, e.data)))
            .collect();
        frames.push(Bytes::from_static(if n == 0 { b"[]" } else { b"]" }));
        return frames;
    }
    let eol = if format == Format::Gemini {
        "\r\n"
    } else {
        "\n"
    };
    events
        .into_iter()
        .map(|e| match e.name {
            Some(name) => Bytes::from(format!("event: {name}{eol}data: {}{eol}{eol}", e.data)),
            None => Bytes::from(format!("data: {}{eol}{eol}", e.data)),
        })
        .collect()
}

fn headers_map(headers: &HeaderMap) -> BTreeMap<String, String> {
    headers
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_owned(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect()
}

fn control_request(shared: &Shared, method: &Method, what: &str, body: &[u8]) -> Response {
    let parse = || serde_json::from_slice::<Script>(body);
    match (method.as_str(), what) {
        ("POST", "script") => match parse() {
            Ok(script) => {
                shared.with(|s| s.scripts.push_back(script));
                StatusCode::NO_CONTENT.into_response()
            }
            Err(e) => (StatusCode::BAD_REQUEST, e.to_string()).into_response(),
        },
        ("POST", "default") => match parse() {
            Ok(script) => {
                shared.with(|s| s.default = script);
                StatusCode::NO_CONTENT.into_response()
            }
            Err(e) => (StatusCode::BAD_REQUEST, e.to_string()).into_response(),
        },
        ("GET", "received") => axum::Json(shared.with(|s| s.received.clone())).into_response(),
        ("POST", "reset") => {
            shared.with(|s| *s = MockState::default());
            StatusCode::NO_CONTENT.into_response()
        }
        _ => (
            StatusCode::NOT_FOUND,
            axum::Json(json!({"error": format!("unknown control {method} {what}")})),
        )
            .into_response(),
    }
}
