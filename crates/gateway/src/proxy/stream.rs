//! Streaming answers: upstream bytes → SSE events → IR → the client's grammar, chunk by chunk,
//! with keep-alive comments through long silences. Dropping the body (client gone) drops the
//! upstream response, which aborts the upstream request.

use std::time::Duration;

use crate::reasoning_state::PendingTurn;
use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, header};
use axum::response::Response;
use futures_util::StreamExt;
use omniroute_formats::ir::StreamEvent;
use omniroute_formats::sse::KEEP_ALIVE;
use omniroute_formats::{
    ClientContext, ErrorInfo, ErrorKind, Format, PassthroughTail, SseEvent, SseParser,
    StreamDecoder, StreamEncoder,
};

/// What a stream reported while it ran: its usage and whether it ended in an error; read by
/// the usage record once the client's body is done. Put in the response's extensions.
#[derive(Debug, Default)]
pub struct Tally {
    usage: std::sync::Mutex<omniroute_formats::ir::Usage>,
    error_status: std::sync::Mutex<Option<u16>>,
}

impl Tally {
    pub fn usage(&self) -> omniroute_formats::ir::Usage {
        self.usage.lock().map(|u| *u).unwrap_or_default()
    }

    /// The status of the error the stream ended with, if it did.
    pub fn error_status(&self) -> Option<u16> {
        self.error_status.lock().ok().and_then(|s| *s)
    }

    fn fail(&self, status: u16) {
        if let Ok(mut s) = self.error_status.lock() {
            s.get_or_insert(status);
        }
    }
}

struct Translator {
    tally: std::sync::Arc<Tally>,
    parser: SseParser,
    decoder: StreamDecoder,
    encoder: StreamEncoder,
    /// Same format: bytes are relayed as they come; `tail` can end them with an error.
    passthrough: Option<PassthroughTail>,
    /// Passthrough of an OpenAI stream whose usage chunk was asked for by us, not the client.
    hide_usage_chunk: bool,
    /// The upstream sent its own error event (relayed already in passthrough).
    upstream_failed: bool,
    events: Vec<SseEvent>,
    ir: Vec<StreamEvent>,
    /// The client's stream has ended (normally or with an error event).
    over: bool,
    /// A content event (text, thinking, tool call) has come from the upstream.
    content_seen: bool,
    /// The upstream's error event, when it came before any content.
    early_error: Option<ErrorInfo>,
    /// The answer's reasoning state, kept when the stream completes.
    turn: Option<PendingTurn>,
}

impl Translator {
    fn push(&mut self, chunk: &[u8]) -> Vec<u8> {
        self.parser.push(chunk, &mut self.events);
        self.process(chunk)
    }

    fn process(&mut self, raw: &[u8]) -> Vec<u8> {
        let mut relayed = Vec::new();
        for event in self.events.drain(..) {
            if let Some(tail) = &mut self.passthrough {
                tail.observe(&event);
                if self.hide_usage_chunk && !omniroute_formats::is_openai_usage_chunk(&event.data) {
                    relayed.extend_from_slice(b"data: ");
                    relayed.extend_from_slice(event.data.as_bytes());
                    relayed.extend_from_slice(b"\n\n");
                }
            }
            self.decoder.decode(&event, &mut self.ir);
        }
        for event in &self.ir {
            if let Some(turn) = &mut self.turn {
                turn.observe(event);
            }
            match event {
                StreamEvent::Usage(usage) => {
                    if let Ok(mut u) = self.tally.usage.lock() {
                        u.merge(usage);
                    }
                }
                StreamEvent::Error(error) => self.tally.fail(error.status),
                _ => {}
            }
            match event {
                StreamEvent::Error(error) if !self.content_seen => {
                    self.early_error.get_or_insert_with(|| error.clone());
                }
                StreamEvent::Start { .. }
                | StreamEvent::Usage(_)
                | StreamEvent::Stop(_)
                | StreamEvent::Error(_) => {}
                _ => self.content_seen = true,
            }
        }
        // Kept as soon as the upstream finished: the client may go away after its last event.
        if self.decoder.is_complete() && self.tally.error_status().is_none() {
            if let Some(turn) = self.turn.take() {
                turn.keep();
            }
        }
        if self.passthrough.is_some() {
            self.upstream_failed |= self.ir.iter().any(|e| matches!(e, StreamEvent::Error(_)));
            self.ir.clear();
            return if self.hide_usage_chunk {
                relayed
            } else {
                raw.to_vec()
            };
        }
        let mut out = Vec::new();
        for event in self.ir.drain(..) {
            let is_error = matches!(event, StreamEvent::Error(_));
            self.encoder.encode(&event, &mut out);
            if is_error {
                self.over = true;
                break;
            }
        }
        out
    }

    fn end(&mut self) -> Vec<u8> {
        self.parser.finish(&mut self.events);
        let mut out = self.process(&[]);
        if self.over {
            return out;
        }
        if self.decoder.is_complete() {
            self.over = true;
            if self.passthrough.is_none() {
                self.encoder.finish(&mut out);
            }
            return out;
        }
        out.extend(self.fail("the upstream stream ended before completing".into()));
        out
    }

    fn fail(&mut self, reason: String) -> Vec<u8> {
        self.over = true;
        let error = ErrorInfo::new(ErrorKind::Server, reason);
        self.tally.fail(error.status);
        match &self.passthrough {
            // The upstream already told the client what went wrong.
            Some(_) if self.upstream_failed => Vec::new(),
            Some(tail) => tail.error(&error),
            None => {
                let mut out = Vec::new();
                self.encoder.encode(&StreamEvent::Error(error), &mut out);
                out
            }
        }
    }
}

/// Starts answering a stream, committing late: nothing is sent to the client until the upstream
/// produced its first content (or finished normally with none). A stream that fails before that
/// is an `Err`, so the caller can try the next target and the client never sees it.
/// `passthrough`: `None` to translate, `Some(hide_usage_chunk)` to relay the upstream's bytes.
pub async fn start(
    client: Format,
    upstream: Format,
    passthrough: Option<bool>,
    ctx: ClientContext,
    answer: omniroute_providers::AnswerBody,
    keepalive: Duration,
    turn: PendingTurn,
) -> Result<Response, String> {
    let sse = client != Format::Gemini || ctx.gemini_sse;
    let tally = std::sync::Arc::new(Tally::default());
    let mut translator = Translator {
        tally: tally.clone(),
        parser: SseParser::new(),
        decoder: StreamDecoder::new(upstream),
        encoder: StreamEncoder::new(client, ctx),
        passthrough: passthrough.map(|_| PassthroughTail::new(client)),
        hide_usage_chunk: passthrough.unwrap_or(false),
        upstream_failed: false,
        events: Vec::new(),
        ir: Vec::new(),
        over: false,
        content_seen: false,
        early_error: None,
        turn: Some(turn),
    };
    let mut upstream = answer;
    let mut prefix = Vec::new();
    while !translator.content_seen {
        match upstream.next().await {
            Some(Ok(chunk)) => {
                let out = translator.push(&chunk);
                if let Some(error) = translator.early_error.take() {
                    return Err(format!(
                        "its stream failed before the first token: {}",
                        error.message
                    ));
                }
                prefix.extend(out);
            }
            Some(Err(e)) => return Err(format!("its stream broke before the first token: {e}")),
            None if translator.decoder.is_complete() => {
                prefix.extend(translator.end());
                break;
            }
            None => return Err("its stream ended before the first token".into()),
        }
    }
    let first =
        futures_util::stream::once(async move { Ok::<_, std::io::Error>(Bytes::from(prefix)) });
    let rest = futures_util::stream::unfold(
        (upstream, translator),
        move |(mut upstream, mut t)| async move {
            if t.over {
                return None;
            }
            loop {
                let out = match tokio::time::timeout(keepalive, upstream.next()).await {
                    Err(_) if sse => {
                        return Some((
                            Ok::<_, std::io::Error>(Bytes::from_static(KEEP_ALIVE)),
                            (upstream, t),
                        ));
                    }
                    Err(_) => continue,
                    Ok(Some(Ok(chunk))) => t.push(&chunk),
                    Ok(Some(Err(e))) => t.fail(format!("the upstream stream broke: {e}")),
                    Ok(None) => t.end(),
                };
                if !out.is_empty() || t.over {
                    return Some((Ok(Bytes::from(out)), (upstream, t)));
                }
            }
        },
    );
    let mut response = Response::new(Body::from_stream(first.chain(rest)));
    response.extensions_mut().insert(tally);
    let headers = response.headers_mut();
    let content_type = if sse {
        "text/event-stream"
    } else {
        "application/json"
    };
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert("x-accel-buffering", HeaderValue::from_static("no"));
    Ok(response)
}
