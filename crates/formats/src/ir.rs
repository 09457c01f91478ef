//! The internal representation (IR): one shape for requests, responses and stream events that
//! every wire format converts to and from. Conventions that make translation exact:
//! - token counts use OpenAI's meaning: `input_tokens` includes cached reads and cache writes,
//!   `output_tokens` includes reasoning tokens; formats that count differently convert at the edge;
//! - tool call arguments are JSON *text*, exactly as they will be concatenated from stream
//!   fragments; tool call ids are kept verbatim so calls and results stay paired across formats;
//! - the opaque reasoning token a provider wants back (Claude `signature`, Gemini
//!   `thoughtSignature`, Responses `encrypted_content`) travels in `signature` fields.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The four client-facing APIs (also the upstream wire formats).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// OpenAI Chat Completions (`/v1/chat/completions`).
    #[serde(rename = "openai", alias = "openai_chat")]
    OpenAiChat,
    /// Anthropic Messages (`/v1/messages`).
    Anthropic,
    /// Gemini generateContent / streamGenerateContent.
    Gemini,
    /// OpenAI Responses (`/v1/responses`).
    Responses,
}

impl Format {
    pub const ALL: [Format; 4] = [
        Format::OpenAiChat,
        Format::Anthropic,
        Format::Gemini,
        Format::Responses,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::OpenAiChat => "openai",
            Self::Anthropic => "anthropic",
            Self::Gemini => "gemini",
            Self::Responses => "responses",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "openai" | "openai_chat" | "chat" | "openai-chat" => Some(Self::OpenAiChat),
            "anthropic" | "claude" | "messages" => Some(Self::Anthropic),
            "gemini" | "google" => Some(Self::Gemini),
            "responses" | "openai-responses" | "openai_responses" | "codex" => {
                Some(Self::Responses)
            }
            _ => None,
        }
    }
}

/// A generation request.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Request {
    /// The model id as the client sent it (routing rewrites it to the upstream id).
    pub model: String,
    /// System and developer instructions, in order.
    pub system: Vec<String>,
    pub messages: Vec<Message>,
    pub tools: Vec<Tool>,
    pub tool_choice: Option<ToolChoice>,
    pub parallel_tool_calls: Option<bool>,
    pub max_output_tokens: Option<u32>,
    pub temperature: Option<f64>,
    pub top_p: Option<f64>,
    pub top_k: Option<u32>,
    pub stop: Vec<String>,
    pub stream: bool,
    /// OpenAI clients: `stream_options.include_usage` (usage chunk before `[DONE]`).
    pub include_usage: bool,
    pub reasoning: Option<Reasoning>,
    pub response_format: Option<ResponseFormat>,
    pub seed: Option<i64>,
    pub presence_penalty: Option<f64>,
    pub frequency_penalty: Option<f64>,
    /// End-user id (OpenAI `user`, Anthropic `metadata.user_id`).
    pub user: Option<String>,
    /// What the client sent that the IR cannot hold, in body order. Decoding never fails on
    /// it (a relayed body keeps it); `check_carriable` refuses it before any IR encoding.
    pub untranslatable: Vec<Untranslatable>,
}

impl Request {
    /// Whether the user started this turn (`false`: it continues after tool results, or from
    /// the assistant's own words), as an "initiator" header reports it.
    pub fn user_initiated(&self) -> bool {
        self.messages.last().is_none_or(|m| {
            m.role == Role::User && !m.parts.iter().any(|p| matches!(p, Part::ToolResult(_)))
        })
    }
}

/// One piece of a client's request that the IR has no place for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Untranslatable {
    /// Where it is in the client's body (`messages[0].content[2]`, `tools[1]`, `n`).
    pub path: String,
    /// What it is, for the client's error message (`part type 'document'`).
    pub what: String,
    /// A tool the provider runs itself (web search, code execution…), offered to the model:
    /// a target without it gets the request without the offer, and the client is told
    /// (`X-OmniRoute-Dropped`) instead of refused. Forcing such a tool is never optional.
    pub optional: bool,
}

impl Untranslatable {
    pub fn new(path: impl Into<String>, what: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            what: what.into(),
            optional: false,
        }
    }

    /// A hosted tool offered to the model (see `optional`).
    pub fn offer(path: impl Into<String>, what: impl Into<String>) -> Self {
        Self {
            optional: true,
            ..Self::new(path, what)
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    User,
    Assistant,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    pub role: Role,
    pub parts: Vec<Part>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Part {
    Text(String),
    Image(Image),
    /// Reasoning shown to the client; `signature` is the provider's opaque token for it.
    Thinking {
        text: String,
        signature: Option<String>,
    },
    /// Reasoning the provider returned encrypted (Claude `redacted_thinking`).
    RedactedThinking {
        data: String,
    },
    ToolCall(ToolCall),
    ToolResult(ToolResult),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Image {
    Base64 { media_type: String, data: String },
    Url(String),
}

impl Image {
    /// Parses a `data:<media type>;base64,<data>` URI; other URLs stay URLs.
    pub fn from_url(url: &str) -> Self {
        if let Some(rest) = url.strip_prefix("data:") {
            if let Some((meta, data)) = rest.split_once(',') {
                if let Some(media_type) = meta.strip_suffix(";base64") {
                    return Self::Base64 {
                        media_type: media_type.to_owned(),
                        data: data.to_owned(),
                    };
                }
            }
        }
        Self::Url(url.to_owned())
    }

    /// The image as a URL: data URIs for inline images.
    pub fn to_url(&self) -> String {
        match self {
            Self::Base64 { media_type, data } => format!("data:{media_type};base64,{data}"),
            Self::Url(url) => url.clone(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ToolKind {
    /// Arguments are a JSON object.
    #[default]
    Function,
    /// Freeform text input (Responses `custom` tools such as Codex's `apply_patch`). Formats
    /// without custom tools carry them as a function with one string parameter `input`.
    Custom,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ToolCall {
    pub id: String,
    pub name: String,
    /// JSON text of the arguments (for `Custom` tools: the raw input text).
    pub arguments: String,
    pub kind: ToolKind,
    /// Gemini's `thoughtSignature` on a function call part.
    pub signature: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ToolResult {
    pub call_id: String,
    /// The called tool's name, when the format carries it (Gemini requires it).
    pub name: Option<String>,
    pub content: Vec<ToolResultContent>,
    pub is_error: bool,
}

impl ToolResult {
    /// All text of the result, joined by newlines (for formats whose results are strings).
    pub fn text(&self) -> String {
        let texts: Vec<&str> = self
            .content
            .iter()
            .filter_map(|c| match c {
                ToolResultContent::Text(t) => Some(t.as_str()),
                ToolResultContent::Image(_) => None,
            })
            .collect();
        texts.join("\n")
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum ToolResultContent {
    Text(String),
    Image(Image),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Tool {
    pub name: String,
    pub description: Option<String>,
    /// JSON Schema of the arguments object (opaque to translation, cleaned for Gemini).
    pub parameters: Value,
    pub kind: ToolKind,
    pub strict: Option<bool>,
    /// For custom tools: the input format definition (e.g. a Lark grammar), kept for passthrough.
    pub custom_format: Option<Value>,
    /// A member of a Responses `namespace` group (Codex puts each MCP server's tools in one):
    /// `name` is then the flattened name other formats see (`namespaced_name`).
    pub namespace: Option<ToolNamespace>,
}

/// The group a tool came in, to put it back for a Responses upstream or client.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolNamespace {
    pub name: String,
    pub description: Option<String>,
    /// The tool's own name inside the group.
    pub member: String,
}

/// The one name a namespaced tool has where namespaces do not exist: `mcp__server` + `search`
/// → `mcp__server__search` (a namespace already ending in `_` is not given another `__`).
pub fn namespaced_name(namespace: &str, member: &str) -> String {
    if namespace.ends_with('_') {
        format!("{namespace}{member}")
    } else {
        format!("{namespace}__{member}")
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ToolChoice {
    Auto,
    None,
    /// The model must call some tool.
    Required,
    /// The model must call this tool.
    Tool(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Effort {
    None,
    Minimal,
    Low,
    Medium,
    High,
}

impl Effort {
    /// The thinking budget for an effort: low 1024, medium 10240, high 131072 tokens.
    pub fn budget_tokens(self) -> u32 {
        match self {
            Self::None => 0,
            Self::Minimal | Self::Low => 1024,
            Self::Medium => 10240,
            Self::High => 131_072,
        }
    }

    /// The effort a thinking budget corresponds to.
    pub fn from_budget(budget: u32) -> Self {
        match budget {
            0 => Self::None,
            1..=1024 => Self::Low,
            1025..=10240 => Self::Medium,
            _ => Self::High,
        }
    }
}

/// Reasoning controls. At least one of `effort` and `budget_tokens` is set; each format uses
/// whichever it speaks and derives the other.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Reasoning {
    pub effort: Option<Effort>,
    pub budget_tokens: Option<u32>,
    /// Whether the client wants reasoning text back (Gemini `includeThoughts`, Responses summary).
    pub include_thoughts: bool,
}

impl Reasoning {
    pub fn effort(&self) -> Effort {
        self.effort
            .unwrap_or_else(|| Effort::from_budget(self.budget_tokens.unwrap_or(0)))
    }

    /// The budget in tokens, capped so it stays below `max_output_tokens` when that is known
    /// (Anthropic requires `budget_tokens < max_tokens`) and never under 1024 when enabled.
    pub fn budget(&self, max_output_tokens: Option<u32>) -> u32 {
        let budget = self
            .budget_tokens
            .unwrap_or_else(|| self.effort().budget_tokens());
        if budget == 0 {
            return 0;
        }
        match max_output_tokens {
            Some(max) if max > 1024 => budget.min(max - 1).max(1024),
            _ => budget.max(1024),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum ResponseFormat {
    Text,
    JsonObject,
    JsonSchema {
        name: String,
        schema: Value,
        strict: Option<bool>,
    },
}

/// A complete (non-streamed) generation.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Response {
    pub id: String,
    pub model: String,
    /// Text, thinking and tool call parts, in order.
    pub parts: Vec<Part>,
    pub stop: StopReason,
    pub usage: Usage,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StopReason {
    #[default]
    EndTurn,
    MaxTokens,
    StopSequence,
    ToolUse,
    ContentFilter,
    /// The model declined (Claude `refusal`).
    Refusal,
    /// A long-running turn paused (Claude `pause_turn`).
    PauseTurn,
}

/// Token counts, OpenAI's meaning (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Usage {
    pub input_tokens: u64,
    pub output_tokens: u64,
    /// Input tokens read from a prompt cache (part of `input_tokens`).
    pub cached_tokens: u64,
    /// Input tokens written to a prompt cache (part of `input_tokens`).
    pub cache_write_tokens: u64,
    /// Output tokens spent on reasoning (part of `output_tokens`).
    pub reasoning_tokens: u64,
}

impl Usage {
    /// Combines a later report into this one: formats report usage in pieces (Anthropic sends
    /// input at the start and output at the end), and later non-zero counts win.
    pub fn merge(&mut self, later: &Usage) {
        let pick = |a: &mut u64, b: u64| {
            if b > 0 {
                *a = b;
            }
        };
        pick(&mut self.input_tokens, later.input_tokens);
        pick(&mut self.output_tokens, later.output_tokens);
        pick(&mut self.cached_tokens, later.cached_tokens);
        pick(&mut self.cache_write_tokens, later.cache_write_tokens);
        pick(&mut self.reasoning_tokens, later.reasoning_tokens);
    }

    pub fn total(&self) -> u64 {
        self.input_tokens + self.output_tokens
    }
}

/// One step of a streamed generation, format-neutral. A stream is `Start`, then deltas, usage
/// and at most one `Stop`, and ends either normally or with `Error`.
#[derive(Debug, Clone, PartialEq)]
pub enum StreamEvent {
    Start {
        id: String,
        model: String,
    },
    TextDelta(String),
    ThinkingDelta(String),
    ThinkingSignature(String),
    RedactedThinking(String),
    /// A tool call begins; `index` counts tool calls within the response from 0.
    ToolCallStart {
        index: usize,
        id: String,
        name: String,
        kind: ToolKind,
        signature: Option<String>,
    },
    /// A fragment of a tool call's argument text; fragments concatenate.
    ToolCallDelta {
        index: usize,
        fragment: String,
    },
    Usage(Usage),
    Stop(StopReason),
    /// The upstream failed mid-stream.
    Error(ErrorInfo),
}

/// What kind of failure, independent of any format's vocabulary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    InvalidRequest,
    Authentication,
    PermissionDenied,
    NotFound,
    RequestTooLarge,
    RateLimited,
    Overloaded,
    Timeout,
    Server,
    Unavailable,
}

impl ErrorKind {
    /// The HTTP status this kind is answered with.
    pub fn status(self) -> u16 {
        match self {
            Self::InvalidRequest => 400,
            Self::Authentication => 401,
            Self::PermissionDenied => 403,
            Self::NotFound => 404,
            Self::RequestTooLarge => 413,
            Self::RateLimited => 429,
            Self::Server => 500,
            Self::Unavailable => 503,
            Self::Timeout => 504,
            Self::Overloaded => 529,
        }
    }

    /// The kind an HTTP status most likely means.
    pub fn from_status(status: u16) -> Self {
        match status {
            400 | 422 => Self::InvalidRequest,
            401 => Self::Authentication,
            403 => Self::PermissionDenied,
            404 => Self::NotFound,
            408 | 504 => Self::Timeout,
            413 => Self::RequestTooLarge,
            429 => Self::RateLimited,
            503 => Self::Unavailable,
            529 => Self::Overloaded,
            _ => Self::Server,
        }
    }
}

/// An error to show a client, in whichever format it speaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorInfo {
    pub kind: ErrorKind,
    /// The HTTP status to answer with (usually `kind.status()`; an upstream's own status is kept).
    pub status: u16,
    pub message: String,
    /// The field or parameter at fault, when known.
    pub param: Option<String>,
}

impl ErrorInfo {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            status: kind.status(),
            message: message.into(),
            param: None,
        }
    }

    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::InvalidRequest, message)
    }

    pub fn with_param(mut self, param: impl Into<String>) -> Self {
        self.param = Some(param.into());
        self
    }
}
