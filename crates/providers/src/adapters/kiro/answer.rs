//! Kiro's answer → IR stream events. The body is an event stream (see `eventstream`) whose
//! frames carry JSON payloads by `:event-type`: text deltas, tool-call fragments, token and
//! context metering. It has no end marker of its own: an answer is whole when the body ends on a
//! frame boundary. Errors arrive as `exception`/`error` frames, or as JSON bodies with a non-2xx
//! status (`decode_error`).

use omniroute_formats::ir::{ErrorInfo, ErrorKind, StopReason, StreamEvent, ToolKind, Usage};
use serde::de::DeserializeOwned;

use super::eventstream::{Frame, FrameDecoder};
use super::wire::{
    AssistantResponseEvent, ContextUsageEvent, ErrorBody, MetadataEvent, MeteringEvent,
    ReasoningContentEvent, TokenCounts, ToolInput, ToolUseEvent,
};

/// Upstream event-stream bytes → IR stream events.
#[derive(Debug)]
pub struct KiroDecoder {
    frames: FrameDecoder,
    id: String,
    model: String,
    started: bool,
    /// Tool calls in order of appearance; a call's position is its IR index.
    calls: Vec<Call>,
    /// The call the latest fragment belonged to (fragments without an id continue it).
    open: Option<usize>,
    saw_usage: bool,
    text_chars: u64,
    context_percent: Option<f64>,
    context_window: Option<u64>,
    credits: Option<f64>,
    /// The service cut the answer at the output limit.
    hit_limit: bool,
    /// Ended: a `Stop` or an `Error` was emitted.
    done: bool,
    complete: bool,
}

#[derive(Debug)]
struct Call {
    id: String,
    /// The latest whole-arguments snapshot, sent once the call ends (snapshots do not concatenate).
    snapshot: Option<String>,
    /// Argument text was sent for this call (as fragments or a flushed snapshot).
    sent: bool,
}

impl KiroDecoder {
    /// `id` and `model` are what `Start` reports (Kiro's frames name neither).
    pub fn new(id: impl Into<String>, model: impl Into<String>) -> Self {
        Self {
            frames: FrameDecoder::new(),
            id: id.into(),
            model: model.into(),
            started: false,
            calls: Vec::new(),
            open: None,
            saw_usage: false,
            text_chars: 0,
            context_percent: None,
            context_window: None,
            credits: None,
            hit_limit: false,
            done: false,
            complete: false,
        }
    }

    /// The model's context window in tokens: when Kiro reports no token counts (the usual case),
    /// usage is then estimated from `contextUsageEvent`'s percentage of it.
    pub fn with_context_window(mut self, tokens: u64) -> Self {
        self.context_window = Some(tokens);
        self
    }

    /// Decodes the next piece of the body, appending IR events to `out`.
    pub fn push(&mut self, bytes: &[u8], out: &mut Vec<StreamEvent>) {
        if self.done {
            return;
        }
        let mut frames = Vec::new();
        let result = self.frames.push(bytes, &mut frames);
        for frame in frames {
            self.frame(frame, out);
            if self.done {
                return;
            }
        }
        if let Err(e) = result {
            self.fail(
                out,
                ErrorInfo {
                    status: 502,
                    ..ErrorInfo::new(
                        ErrorKind::Server,
                        format!("upstream sent a corrupt Kiro event stream: {e}"),
                    )
                },
            );
        }
    }

    /// The body ended: closes open tool calls and emits usage and `Stop`, or an `Error` when the
    /// body stopped inside a frame or carried no frame at all. Idempotent.
    pub fn finish(&mut self, out: &mut Vec<StreamEvent>) {
        if self.done {
            return;
        }
        if self.frames.pending_bytes() > 0 || !self.started {
            let what = if self.started {
                "in the middle of an event"
            } else {
                "before sending any event"
            };
            self.fail(
                out,
                ErrorInfo {
                    status: 502,
                    ..ErrorInfo::new(ErrorKind::Server, format!("the Kiro stream ended {what}"))
                },
            );
            return;
        }
        self.close(out);
    }

    /// Ends the answer normally: open calls' snapshots, usage, `Stop`.
    fn close(&mut self, out: &mut Vec<StreamEvent>) {
        for index in 0..self.calls.len() {
            self.flush_snapshot(index, out);
        }
        if !self.saw_usage
            && let Some(usage) = self.estimated_usage()
        {
            out.push(StreamEvent::Usage(usage));
        }
        let stop = if self.hit_limit {
            StopReason::MaxTokens
        } else if self.calls.is_empty() {
            StopReason::EndTurn
        } else {
            StopReason::ToolUse
        };
        out.push(StreamEvent::Stop(stop));
        self.done = true;
        self.complete = true;
    }

    /// `finish` saw the body end cleanly on a frame boundary.
    pub fn is_complete(&self) -> bool {
        self.complete
    }

    /// Kiro credits the turn cost (`meteringEvent`), for quota accounting.
    pub fn credits(&self) -> Option<f64> {
        self.credits
    }

    /// How full the context window was, in percent (`contextUsageEvent`).
    pub fn context_usage_percent(&self) -> Option<f64> {
        self.context_percent
    }

    fn frame(&mut self, frame: Frame, out: &mut Vec<StreamEvent>) {
        match frame.message_type().unwrap_or("event") {
            "exception" => return self.exception(&frame, out),
            "error" => {
                let code = frame.header_str(":error-code").unwrap_or("UnknownError");
                let message = frame
                    .header_str(":error-message")
                    .map(str::to_owned)
                    .unwrap_or_else(|| String::from_utf8_lossy(&frame.payload).into_owned());
                let kind = kind_of_exception(code).unwrap_or(ErrorKind::Server);
                return self.fail(out, ErrorInfo::new(kind, format!("{code}: {message}")));
            }
            _ => {}
        }
        self.start(out);
        let event_type = frame.event_type().unwrap_or_default().to_owned();
        match event_type.as_str() {
            "assistantResponseEvent" | "codeEvent" => {
                if let Some(event) = self.payload::<AssistantResponseEvent>(&frame, out)
                    && event.followup_prompt.is_none()
                    && !event.content.is_empty()
                {
                    self.text_chars += event.content.chars().count() as u64;
                    out.push(StreamEvent::TextDelta(event.content));
                }
            }
            "reasoningContentEvent" => {
                if let Some(event) = self.payload::<ReasoningContentEvent>(&frame, out) {
                    if let Some(text) = event.text.filter(|t| !t.is_empty()) {
                        self.text_chars += text.chars().count() as u64;
                        out.push(StreamEvent::ThinkingDelta(text));
                    }
                    if let Some(signature) = event.signature.filter(|s| !s.is_empty()) {
                        out.push(StreamEvent::ThinkingSignature(signature));
                    }
                }
            }
            "toolUseEvent" => {
                if let Some(event) = self.payload::<ToolUseEvent>(&frame, out) {
                    self.tool_use(event, out);
                }
            }
            "messageMetadataEvent" | "metadataEvent" | "metricsEvent" => {
                if let Some(event) = self.payload::<MetadataEvent>(&frame, out)
                    && let Some(usage) = usage_of(&event)
                {
                    self.saw_usage = true;
                    out.push(StreamEvent::Usage(usage));
                }
            }
            "contextUsageEvent" => {
                if let Some(event) = self.payload::<ContextUsageEvent>(&frame, out) {
                    self.context_percent = event.context_usage_percentage.or(self.context_percent);
                }
            }
            "meteringEvent" => {
                if let Some(event) = self.payload::<MeteringEvent>(&frame, out) {
                    self.credits = event.usage.or(self.credits);
                }
            }
            // Citations, follow-up suggestions, web links, state notices: nothing for the IR.
            _ => {}
        }
    }

    fn start(&mut self, out: &mut Vec<StreamEvent>) {
        if !self.started {
            self.started = true;
            out.push(StreamEvent::Start {
                id: self.id.clone(),
                model: self.model.clone(),
            });
        }
    }

    /// The frame's JSON payload; one that does not parse breaks the stream.
    fn payload<T: DeserializeOwned>(
        &mut self,
        frame: &Frame,
        out: &mut Vec<StreamEvent>,
    ) -> Option<T> {
        match omniroute_formats::parse_json::<T>(&frame.payload) {
            Ok(value) => Some(value),
            Err(e) => {
                let event = frame.event_type().unwrap_or("event");
                self.fail(
                    out,
                    ErrorInfo {
                        status: 502,
                        ..ErrorInfo::new(
                            ErrorKind::Server,
                            format!("upstream sent an unreadable Kiro {event}: {e}"),
                        )
                    },
                );
                None
            }
        }
    }

    fn tool_use(&mut self, event: ToolUseEvent, out: &mut Vec<StreamEvent>) {
        let id = event.tool_use_id.filter(|id| !id.is_empty());
        let known = match &id {
            Some(id) => self.calls.iter().position(|c| &c.id == id),
            None => self.open,
        };
        let index = match known {
            Some(index) => index,
            None => {
                let index = self.calls.len();
                let id = id.unwrap_or_else(|| format!("{}-tool-{index}", self.id));
                out.push(StreamEvent::ToolCallStart {
                    index,
                    id: id.clone(),
                    name: event.name.unwrap_or_default(),
                    kind: ToolKind::Function,
                    signature: None,
                });
                self.calls.push(Call {
                    id,
                    snapshot: None,
                    sent: false,
                });
                index
            }
        };
        self.open = Some(index);
        match event.input {
            Some(ToolInput::Fragment(fragment)) if !fragment.is_empty() => {
                if let Some(call) = self.calls.get_mut(index) {
                    call.sent = true;
                    // A snapshot seen before text fragments is superseded by them.
                    call.snapshot = None;
                }
                out.push(StreamEvent::ToolCallDelta { index, fragment });
            }
            Some(ToolInput::Snapshot(value)) if !value.is_null() => {
                if let Some(call) = self.calls.get_mut(index) {
                    call.snapshot = Some(serde_json::to_string(&value).unwrap_or_default());
                }
            }
            _ => {}
        }
        if event.stop {
            self.flush_snapshot(index, out);
            self.open = None;
        }
    }

    /// Sends a call's arguments snapshot as its one argument delta, if it has one and nothing
    /// was sent for it yet.
    fn flush_snapshot(&mut self, index: usize, out: &mut Vec<StreamEvent>) {
        let Some(call) = self.calls.get_mut(index) else {
            return;
        };
        if let Some(fragment) = call.snapshot.take()
            && !call.sent
        {
            call.sent = true;
            out.push(StreamEvent::ToolCallDelta { index, fragment });
        }
    }

    fn exception(&mut self, frame: &Frame, out: &mut Vec<StreamEvent>) {
        let name = frame
            .exception_type()
            .unwrap_or("UnknownException")
            .to_owned();
        let body = omniroute_formats::parse_json::<ErrorBody>(&frame.payload).unwrap_or_default();
        let message = body
            .message
            .unwrap_or_else(|| String::from_utf8_lossy(&frame.payload).trim().to_owned());
        // The answer reached the output limit: a normal end, not a failure.
        if exception_name(&name) == "ContentLengthExceededException" {
            self.start(out);
            self.hit_limit = true;
            return self.close(out);
        }
        let kind = kind_of_exception(&name)
            .or_else(|| body.reason.as_deref().and_then(kind_of_reason))
            .unwrap_or(ErrorKind::Server);
        let text = if message.is_empty() {
            name
        } else {
            format!("{}: {message}", exception_name(&name))
        };
        self.fail(out, ErrorInfo::new(kind, text));
    }

    fn fail(&mut self, out: &mut Vec<StreamEvent>, error: ErrorInfo) {
        self.done = true;
        out.push(StreamEvent::Error(error));
    }

    /// Usage from the context percentage: it covers input and output together, so the output
    /// (about four characters a token) is taken out of it for the input.
    fn estimated_usage(&self) -> Option<Usage> {
        let total = (self.context_percent? * self.context_window? as f64 / 100.0).round();
        if !(total.is_finite() && total > 0.0) {
            return None;
        }
        let total = total as u64;
        let output = self.text_chars.div_ceil(4).min(total);
        Some(Usage {
            input_tokens: total - output,
            output_tokens: output,
            ..Usage::default()
        })
    }
}

/// Counts from whichever place the event carries them; `None` when it carries none.
fn usage_of(event: &MetadataEvent) -> Option<Usage> {
    let counts: TokenCounts = event
        .usage
        .or(event.metrics_event)
        .unwrap_or(event.top_level);
    let cached = counts.cache_read_input_tokens.unwrap_or(0);
    let written = counts.cache_write_input_tokens.unwrap_or(0);
    let input = counts.input_tokens.unwrap_or(0);
    let output = counts.output_tokens.unwrap_or(0);
    if input + output + cached + written == 0 {
        return None;
    }
    // IR input counts include the cache reads and writes that Bedrock counts beside it.
    Some(Usage {
        input_tokens: input + cached + written,
        output_tokens: output,
        cached_tokens: cached,
        cache_write_tokens: written,
        reasoning_tokens: 0,
    })
}

/// A Kiro error body (`{"__type": "…#ThrottlingException", "message": …}`, or
/// `{"message": …, "reason": …}`, or anything else) as an `ErrorInfo` keeping the status.
pub fn decode_error(status: u16, body: &[u8]) -> ErrorInfo {
    let parsed = omniroute_formats::parse_json::<ErrorBody>(body).unwrap_or_default();
    let raw = String::from_utf8_lossy(body);
    let message = parsed
        .message
        .clone()
        .filter(|m| !m.trim().is_empty())
        .unwrap_or_else(|| match raw.trim() {
            "" => format!("upstream answered with status {status}"),
            text => text.chars().take(500).collect(),
        });
    let kind = parsed
        .error_type
        .as_deref()
        .and_then(kind_of_exception)
        .or_else(|| parsed.reason.as_deref().and_then(kind_of_reason))
        // An expired or revoked token is a 403 from AWS, but it is the credential that failed.
        .or_else(|| {
            message
                .contains("bearer token included in the request is invalid")
                .then_some(ErrorKind::Authentication)
        })
        .unwrap_or_else(|| ErrorKind::from_status(status));
    let message = match parsed.error_type.as_deref() {
        Some(t) if !t.is_empty() => format!("{}: {message}", exception_name(t)),
        _ => message,
    };
    ErrorInfo {
        status: if (400..600).contains(&status) {
            status
        } else {
            kind.status()
        },
        ..ErrorInfo::new(kind, message)
    }
}

/// `com.amazon.aws.codewhisperer#ThrottlingException:http://…` → `ThrottlingException`.
fn exception_name(full: &str) -> &str {
    let name = full.rsplit('#').next().unwrap_or(full);
    name.split(':').next().unwrap_or(name)
}

/// The meaning of an AWS exception name (with or without its namespace).
fn kind_of_exception(full: &str) -> Option<ErrorKind> {
    Some(match exception_name(full) {
        "ThrottlingException"
        | "ServiceQuotaExceededException"
        | "TooManyRequestsException"
        | "LimitExceededException" => ErrorKind::RateLimited,
        "ValidationException"
        | "SerializationException"
        | "BadRequestException"
        | "ConflictException"
        | "InvalidParameterException" => ErrorKind::InvalidRequest,
        "AccessDeniedException" | "ForbiddenException" => ErrorKind::PermissionDenied,
        "UnauthorizedException"
        | "ExpiredTokenException"
        | "InvalidTokenException"
        | "UnrecognizedClientException" => ErrorKind::Authentication,
        "ResourceNotFoundException" => ErrorKind::NotFound,
        "ContentLengthExceededException" => ErrorKind::RequestTooLarge,
        "ServiceUnavailableException" => ErrorKind::Unavailable,
        "InternalServerException" | "InternalFailure" | "InternalServerError" => ErrorKind::Server,
        _ => return None,
    })
}

/// Kiro's `reason` codes: `MONTHLY_REQUEST_COUNT` is the plan's quota running out.
fn kind_of_reason(reason: &str) -> Option<ErrorKind> {
    match reason {
        "MONTHLY_REQUEST_COUNT" => Some(ErrorKind::RateLimited),
        _ => None,
    }
}

#[cfg(test)]
#[path = "answer_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "answer_error_tests.rs"]
mod error_tests;
