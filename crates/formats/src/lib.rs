//! Wire formats of the four client APIs — OpenAI Chat Completions, Anthropic Messages, Gemini
//! and OpenAI Responses — and translation between them through one internal representation
//! (`ir`). Pure and synchronous: no I/O, no clock (time comes in through `ClientContext`).
//!
//! Every format folder has the same shape and the same public functions:
//! - `wire.rs`: the typed serde structs of the API (requests, responses, stream events, errors);
//! - `request.rs`: `decode_request(body, hint) -> ir::Request` (a client's request) and
//!   `encode_request(&ir::Request) -> Vec<u8>` (a request to an upstream);
//! - `response.rs`: `decode_response(body) -> ir::Response` (an upstream's answer),
//!   `encode_response(&ir::Response, &ClientContext) -> Vec<u8>` (the answer to a client),
//!   `decode_error(status, body) -> ErrorInfo` and `encode_error(&ErrorInfo) -> Vec<u8>`;
//! - `stream.rs`: `Decoder` (upstream SSE events → IR stream events) and `Encoder` (IR stream
//!   events → the client format's exact event grammar).
//!
//! The functions in this file dispatch on `Format`; nothing else matches on it.

pub mod accumulate;
pub mod anthropic;
pub mod gemini;
pub mod ir;
pub mod media;
pub mod openai_chat;
pub mod passthrough;
pub mod provenance;
pub mod responses;
pub mod rewrite;
pub mod schema;
pub mod shaping;
pub mod sse;
pub mod tagged;
pub mod turn_state;
pub mod untranslatable;

pub use ir::{ErrorInfo, ErrorKind, Format};
pub use passthrough::PassthroughTail;
pub use rewrite::{rewrite_for_upstream, rewrite_model};
pub use sse::{SseEvent, SseParser};
pub use untranslatable::{check_carriable, dropped_offers};

/// A request or response that cannot be understood. The message names the field at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FormatError {
    /// The body is not valid JSON, or a field has the wrong type (serde's message, with path).
    #[error("{0}")]
    Json(String),
    /// A field is missing or has a value the format does not allow.
    #[error("{field}: {message}")]
    Field { field: String, message: String },
}

impl FormatError {
    pub fn field(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Field {
            field: field.into(),
            message: message.into(),
        }
    }

    /// The client-facing error for a malformed request.
    pub fn to_error_info(&self) -> ErrorInfo {
        match self {
            Self::Json(message) => ErrorInfo::invalid(format!("invalid request body: {message}")),
            Self::Field { field, message } => {
                ErrorInfo::invalid(format!("invalid request body: {field}: {message}"))
                    .with_param(field.clone())
            }
        }
    }
}

/// Parses JSON into a wire type; errors carry the path of the offending field
/// (`messages[2].content: invalid type: integer, expected …`). Anything but whitespace after
/// the value is malformed JSON too.
pub fn parse_json<'de, T: serde::Deserialize<'de>>(body: &'de [u8]) -> Result<T, FormatError> {
    let malformed = |e: serde_json::Error| FormatError::Json(format!("malformed JSON: {e}"));
    let mut de = serde_json::Deserializer::from_slice(body);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if inner.is_syntax() || inner.is_eof() {
            malformed(inner)
        } else if path == "." || path.is_empty() {
            FormatError::Json(inner.to_string())
        } else {
            FormatError::Json(format!("{path}: {inner}"))
        }
    })?;
    de.end().map_err(malformed)?;
    Ok(value)
}

/// Serializes a wire value. Wire types contain only strings, numbers, maps and sequences with
/// string keys, for which serde_json cannot fail; the fallback keeps this total anyway.
pub fn to_json<T: serde::Serialize>(value: &T) -> Vec<u8> {
    serde_json::to_vec(value)
        .unwrap_or_else(|e| format!("{{\"error\":\"serialization failed: {e}\"}}").into_bytes())
}

/// What the request line carries outside the body (Gemini puts the model and streaming in the
/// path).
#[derive(Debug, Clone, Copy, Default)]
pub struct RequestHint<'a> {
    pub model: Option<&'a str>,
    pub stream: Option<bool>,
}

/// What an encoder must know about the client it answers.
#[derive(Debug, Clone, Default)]
pub struct ClientContext {
    /// The model id to show the client (the one it asked for).
    pub model: String,
    /// Unix seconds, for `created` fields.
    pub created: u64,
    /// OpenAI Chat: `stream_options.include_usage` was set.
    pub include_usage: bool,
    /// Gemini: the client asked for `?alt=sse` (else the stream is one JSON array).
    pub gemini_sse: bool,
    /// Responses: names of the client's `custom` (freeform) tools, so their calls go back as
    /// `custom_tool_call` items.
    pub custom_tools: Vec<String>,
    /// Responses: the client's namespaced tools as `(flattened name, namespace, own name)`, so
    /// their calls go back under their own name and group.
    pub namespaced: Vec<(String, String, String)>,
}

impl ClientContext {
    /// The context for answering `request`, sent in `format`.
    pub fn for_request(request: &ir::Request, created: u64) -> Self {
        Self {
            model: request.model.clone(),
            created,
            include_usage: request.include_usage,
            gemini_sse: true,
            custom_tools: request
                .tools
                .iter()
                .filter(|t| t.kind == ir::ToolKind::Custom)
                .map(|t| t.name.clone())
                .collect(),
            namespaced: request
                .tools
                .iter()
                .filter_map(|t| {
                    let ns = t.namespace.as_ref()?;
                    Some((t.name.clone(), ns.name.clone(), ns.member.clone()))
                })
                .collect(),
        }
    }
}

pub fn decode_request(
    format: Format,
    body: &[u8],
    hint: &RequestHint<'_>,
) -> Result<ir::Request, FormatError> {
    let mut request = match format {
        Format::OpenAiChat => openai_chat::decode_request(body, hint),
        Format::Anthropic => anthropic::decode_request(body, hint),
        Format::Gemini => gemini::decode_request(body, hint),
        Format::Responses => responses::decode_request(body, hint),
    }?;
    accumulate::repair_tool_pairs(&mut request.messages);
    provenance::tag_request(format, &mut request);
    Ok(request)
}

pub fn encode_request(format: Format, request: &ir::Request) -> Vec<u8> {
    let request = &*provenance::for_upstream(format, request);
    match format {
        Format::OpenAiChat => openai_chat::encode_request(request),
        Format::Anthropic => anthropic::encode_request(request),
        Format::Gemini => gemini::encode_request(request),
        Format::Responses => responses::encode_request(request),
    }
}

pub fn decode_response(format: Format, body: &[u8]) -> Result<ir::Response, FormatError> {
    let mut response = match format {
        Format::OpenAiChat => openai_chat::decode_response(body),
        Format::Anthropic => anthropic::decode_response(body),
        Format::Gemini => gemini::decode_response(body),
        Format::Responses => responses::decode_response(body),
    }?;
    provenance::tag_response(format, &mut response);
    Ok(response)
}

pub fn encode_response(format: Format, response: &ir::Response, ctx: &ClientContext) -> Vec<u8> {
    let response = &*provenance::response_for_client(format, response);
    match format {
        Format::OpenAiChat => openai_chat::encode_response(response, ctx),
        Format::Anthropic => anthropic::encode_response(response, ctx),
        Format::Gemini => gemini::encode_response(response, ctx),
        Format::Responses => responses::encode_response(response, ctx),
    }
}

/// An upstream's error body (any shape, even not JSON) as an `ErrorInfo` keeping its status.
pub fn decode_error(format: Format, status: u16, body: &[u8]) -> ErrorInfo {
    match format {
        Format::OpenAiChat => openai_chat::decode_error(status, body),
        Format::Anthropic => anthropic::decode_error(status, body),
        Format::Gemini => gemini::decode_error(status, body),
        Format::Responses => responses::decode_error(status, body),
    }
}

/// The error body a client of `format` expects; send it with `error.status`.
pub fn encode_error(format: Format, error: &ErrorInfo) -> Vec<u8> {
    match format {
        Format::OpenAiChat => openai_chat::encode_error(error),
        Format::Anthropic => anthropic::encode_error(error),
        Format::Gemini => gemini::encode_error(error),
        Format::Responses => responses::encode_error(error),
    }
}

/// An OpenAI Chat stream chunk that only reports usage (`choices: []`), the one a client that
/// did not ask for `include_usage` must not see.
pub fn is_openai_usage_chunk(data: &str) -> bool {
    #[derive(serde::Deserialize)]
    struct Chunk {
        #[serde(default)]
        choices: Vec<serde::de::IgnoredAny>,
        #[serde(default)]
        usage: Option<serde::de::IgnoredAny>,
    }
    serde_json::from_str::<Chunk>(data).is_ok_and(|c| c.choices.is_empty() && c.usage.is_some())
}

/// Turns an upstream's SSE events into IR stream events.
pub enum StreamDecoder {
    OpenAiChat(openai_chat::Decoder),
    Anthropic(anthropic::Decoder),
    Gemini(gemini::Decoder),
    Responses(responses::Decoder),
}

impl StreamDecoder {
    pub fn new(format: Format) -> Self {
        match format {
            Format::OpenAiChat => Self::OpenAiChat(openai_chat::Decoder::default()),
            Format::Anthropic => Self::Anthropic(anthropic::Decoder::default()),
            Format::Gemini => Self::Gemini(gemini::Decoder::default()),
            Format::Responses => Self::Responses(responses::Decoder::default()),
        }
    }

    /// Decodes one upstream event, appending IR events to `out`. An event that cannot be parsed
    /// becomes an `Error` event (the stream is broken), never a panic.
    pub fn decode(&mut self, event: &SseEvent, out: &mut Vec<ir::StreamEvent>) {
        let first_new = out.len();
        let format = match self {
            Self::OpenAiChat(d) => {
                d.decode(event, out);
                Format::OpenAiChat
            }
            Self::Anthropic(d) => {
                d.decode(event, out);
                Format::Anthropic
            }
            Self::Gemini(d) => {
                d.decode(event, out);
                Format::Gemini
            }
            Self::Responses(d) => {
                d.decode(event, out);
                Format::Responses
            }
        };
        for event in &mut out[first_new..] {
            provenance::tag_event(format, event);
        }
    }

    /// Whether the upstream's stream reached its own normal end (`[DONE]`, `message_stop`,
    /// `response.completed`, a Gemini finish reason). A stream that closes before this was cut.
    pub fn is_complete(&self) -> bool {
        match self {
            Self::OpenAiChat(d) => d.is_complete(),
            Self::Anthropic(d) => d.is_complete(),
            Self::Gemini(d) => d.is_complete(),
            Self::Responses(d) => d.is_complete(),
        }
    }
}

/// A whole streamed answer of `format` (SSE bytes) folded into one response, for a client that
/// asked for a whole answer from an upstream that always streams. The stream's error event, or
/// an end before the upstream's own, is the error.
pub fn fold_stream(format: Format, body: &[u8]) -> Result<ir::Response, ErrorInfo> {
    let mut parser = SseParser::new();
    let mut events = Vec::new();
    parser.push(body, &mut events);
    parser.finish(&mut events);
    let mut decoder = StreamDecoder::new(format);
    let mut accumulator = accumulate::Accumulator::new();
    let mut ir = Vec::new();
    for event in &events {
        decoder.decode(event, &mut ir);
        for e in ir.drain(..) {
            accumulator.push(&e);
        }
    }
    let response = accumulator.finish()?;
    if !decoder.is_complete() {
        return Err(ErrorInfo::new(
            ErrorKind::Server,
            "the upstream stream ended before completing",
        ));
    }
    Ok(response)
}

/// Writes IR stream events in a client format's exact grammar.
pub enum StreamEncoder {
    OpenAiChat(openai_chat::Encoder),
    Anthropic(anthropic::Encoder),
    Gemini(gemini::Encoder),
    Responses(responses::Encoder),
}

impl StreamEncoder {
    pub fn new(format: Format, ctx: ClientContext) -> Self {
        match format {
            Format::OpenAiChat => Self::OpenAiChat(openai_chat::Encoder::new(ctx)),
            Format::Anthropic => Self::Anthropic(anthropic::Encoder::new(ctx)),
            Format::Gemini => Self::Gemini(gemini::Encoder::new(ctx)),
            Format::Responses => Self::Responses(responses::Encoder::new(ctx)),
        }
    }

    /// Appends the bytes for `event` to `out`. After an `Error` event the stream is over and
    /// later events are ignored.
    pub fn encode(&mut self, event: &ir::StreamEvent, out: &mut Vec<u8>) {
        match self {
            Self::OpenAiChat(e) => e.encode(
                &provenance::event_for_client(Format::OpenAiChat, event),
                out,
            ),
            Self::Anthropic(e) => {
                e.encode(&provenance::event_for_client(Format::Anthropic, event), out)
            }
            Self::Gemini(e) => e.encode(&provenance::event_for_client(Format::Gemini, event), out),
            Self::Responses(e) => {
                e.encode(&provenance::event_for_client(Format::Responses, event), out)
            }
        }
    }

    /// Ends the stream normally, writing whatever closing events the format requires
    /// (`[DONE]`, `message_stop`, `response.completed`, the array's `]`). Idempotent.
    pub fn finish(&mut self, out: &mut Vec<u8>) {
        match self {
            Self::OpenAiChat(e) => e.finish(out),
            Self::Anthropic(e) => e.finish(out),
            Self::Gemini(e) => e.finish(out),
            Self::Responses(e) => e.finish(out),
        }
    }
}
