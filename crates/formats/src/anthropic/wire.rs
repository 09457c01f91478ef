//! Typed serde structs of the Anthropic Messages API: the request a client sends (read
//! leniently) and the one we send upstream (written exactly), the `message` response, the SSE
//! stream events and the error body.
//!
//! Reading types default every optional field and ignore unknown ones; block and event types
//! the gateway does not model (documents, server tool results, citations, …) decode to an
//! `Unknown` variant so newer API features are skipped instead of failing the request.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, Deserializer, IgnoredAny, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::tagged::Tagged;

mod events;
pub use events::*;

/// A field that is either a plain string or an array of blocks (`system`, message `content`,
/// `tool_result.content`). Written by hand so errors inside the array keep their path.
#[derive(Debug, Clone, PartialEq)]
pub enum TextOrBlocks<T> {
    Text(String),
    Blocks(Vec<T>),
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for TextOrBlocks<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = TextOrBlocks<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string or an array of content blocks")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(TextOrBlocks::Text(v.to_owned()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(TextOrBlocks::Text(v))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut blocks = Vec::new();
                while let Some(block) = seq.next_element()? {
                    blocks.push(block);
                }
                Ok(TextOrBlocks::Blocks(blocks))
            }
        }
        deserializer.deserialize_any(V(PhantomData))
    }
}

// ---------------------------------------------------------------------------------------------
// Request, as read from a client.

#[derive(Debug, Deserialize)]
pub struct InRequest {
    pub model: Option<String>,
    pub max_tokens: Option<u64>,
    pub messages: Option<Vec<InMessage>>,
    pub system: Option<TextOrBlocks<InSystemBlock>>,
    pub tools: Option<Vec<InTool>>,
    pub tool_choice: Option<InToolChoice>,
    pub thinking: Option<InThinking>,
    pub output_config: Option<InOutputConfig>,
    /// The structured-outputs beta spelling, before it moved under `output_config.format`.
    pub output_format: Option<InOutputFormat>,
    pub stop_sequences: Option<Vec<String>>,
    pub temperature: Option<f64>,
    pub top_p: Option<f64>,
    pub top_k: Option<u32>,
    pub metadata: Option<InMetadata>,
    pub stream: Option<bool>,
    /// Read only to be refused when translated: code execution state kept at Anthropic.
    pub container: Option<IgnoredAny>,
    /// Read only to be refused when translated: MCP servers Anthropic connects to itself.
    pub mcp_servers: Option<IgnoredAny>,
}

#[derive(Debug, Deserialize)]
pub struct InSystemBlock {
    #[serde(default)]
    pub text: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WireRole {
    User,
    Assistant,
    /// A system message inside the conversation (Claude Code's `mid-conversation-system`
    /// beta). Only ever read: other formats receive its text as a system instruction.
    System,
}

#[derive(Debug, Deserialize)]
pub struct InMessage {
    pub role: WireRole,
    pub content: TextOrBlocks<Tagged<InBlock>>,
}

/// A content block of a message in a request (also a block of a response body).
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum InBlock {
    Text {
        #[serde(default)]
        text: String,
    },
    Image {
        source: Tagged<InImageSource>,
    },
    ToolUse {
        #[serde(default)]
        id: String,
        #[serde(default)]
        name: String,
        #[serde(default)]
        input: Option<Value>,
    },
    ToolResult {
        #[serde(default)]
        tool_use_id: String,
        #[serde(default)]
        content: Option<TextOrBlocks<Tagged<InResultBlock>>>,
        #[serde(default)]
        is_error: Option<bool>,
    },
    Thinking {
        #[serde(default)]
        thinking: String,
        #[serde(default)]
        signature: Option<String>,
    },
    RedactedThinking {
        #[serde(default)]
        data: String,
    },
    /// `document`, `search_result`, `server_tool_use`, `web_search_tool_result`, …
    #[serde(other)]
    Unknown,
}

#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum InImageSource {
    Base64 {
        #[serde(default)]
        media_type: String,
        #[serde(default)]
        data: String,
    },
    Url {
        #[serde(default)]
        url: String,
    },
    /// Files API references and future source kinds.
    #[serde(other)]
    Unknown,
}

#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum InResultBlock {
    Text {
        #[serde(default)]
        text: String,
    },
    Image {
        source: Tagged<InImageSource>,
    },
    #[serde(other)]
    Unknown,
}

#[derive(Debug, Deserialize)]
pub struct InTool {
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub name: Option<String>,
    pub description: Option<String>,
    pub input_schema: Option<Value>,
}

#[derive(Debug, Deserialize)]
pub struct InToolChoice {
    #[serde(rename = "type")]
    pub kind: String,
    pub name: Option<String>,
    pub disable_parallel_tool_use: Option<bool>,
}

#[derive(Debug, Deserialize)]
pub struct InThinking {
    #[serde(rename = "type")]
    pub kind: String,
    pub budget_tokens: Option<u32>,
    /// `summarized` (default) or `omitted`.
    pub display: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct InOutputConfig {
    pub effort: Option<String>,
    pub format: Option<InOutputFormat>,
}

#[derive(Debug, Deserialize)]
pub struct InOutputFormat {
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub schema: Option<Value>,
}

#[derive(Debug, Deserialize)]
pub struct InMetadata {
    pub user_id: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// Request, as sent upstream.

#[derive(Debug, Serialize)]
pub struct OutRequest {
    pub model: String,
    pub max_tokens: u32,
    pub messages: Vec<OutMessage>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub system: Option<OutSystem>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tools: Vec<OutTool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool_choice: Option<OutToolChoice>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub thinking: Option<OutThinking>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub stop_sequences: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub top_p: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub top_k: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metadata: Option<OutMetadata>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub stream: bool,
}

#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum OutSystem {
    Text(String),
    Blocks(Vec<TextBlock>),
}

#[derive(Debug, Serialize)]
pub struct TextBlock {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub text: String,
}

#[derive(Debug, Serialize)]
pub struct OutMessage {
    pub role: WireRole,
    pub content: Vec<OutBlock>,
}

/// A content block as written: in requests to an upstream and in responses to a client.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum OutBlock {
    Text {
        text: String,
    },
    Image {
        source: OutImageSource,
    },
    ToolUse {
        id: String,
        name: String,
        input: Value,
    },
    ToolResult {
        tool_use_id: String,
        content: Vec<OutResultBlock>,
        #[serde(skip_serializing_if = "std::ops::Not::not")]
        is_error: bool,
    },
    Thinking {
        thinking: String,
        signature: String,
    },
    RedactedThinking {
        data: String,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum OutImageSource {
    Base64 { media_type: String, data: String },
    Url { url: String },
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum OutResultBlock {
    Text { text: String },
    Image { source: OutImageSource },
}

#[derive(Debug, Serialize)]
pub struct OutTool {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub input_schema: Value,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum OutToolChoice {
    Auto {
        #[serde(skip_serializing_if = "Option::is_none")]
        disable_parallel_tool_use: Option<bool>,
    },
    Any {
        #[serde(skip_serializing_if = "Option::is_none")]
        disable_parallel_tool_use: Option<bool>,
    },
    Tool {
        name: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        disable_parallel_tool_use: Option<bool>,
    },
    None,
}

#[derive(Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum OutThinking {
    Enabled { budget_tokens: u32 },
}

#[derive(Debug, Serialize)]
pub struct OutMetadata {
    pub user_id: String,
}

// ---------------------------------------------------------------------------------------------
// Response body.

#[derive(Debug, Deserialize)]
pub struct InResponse {
    #[serde(rename = "type")]
    pub kind: Option<String>,
    #[serde(default)]
    pub id: String,
    #[serde(default)]
    pub model: String,
    #[serde(default)]
    pub content: Vec<InBlock>,
    pub stop_reason: Option<String>,
    pub usage: Option<WireUsage>,
    /// Present when an error body arrives with a success status.
    pub error: Option<WireErrorDetail>,
}

/// Usage as Anthropic counts it: the three input counts are disjoint.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
pub struct WireUsage {
    pub input_tokens: Option<u64>,
    pub output_tokens: Option<u64>,
    pub cache_creation_input_tokens: Option<u64>,
    pub cache_read_input_tokens: Option<u64>,
}

#[derive(Debug, Serialize)]
pub struct OutResponse {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub role: &'static str,
    pub model: String,
    pub content: Vec<OutBlock>,
    pub stop_reason: &'static str,
    pub stop_sequence: Option<String>,
    pub usage: OutUsage,
}

#[derive(Debug, Clone, Copy, Serialize)]
pub struct OutUsage {
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub cache_creation_input_tokens: u64,
    pub cache_read_input_tokens: u64,
}

// ---------------------------------------------------------------------------------------------
// Errors.

/// `{"type":"error","error":{"type":…,"message":…}}`, read leniently (some compatible
/// upstreams omit the outer `type` or the inner one).
#[derive(Debug, Deserialize)]
pub struct InErrorBody {
    pub error: Option<InErrorField>,
    pub message: Option<String>,
}

/// The `error` member: usually an object, sometimes just a message string.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum InErrorField {
    Detail(WireErrorDetail),
    Message(String),
}

#[derive(Debug, Default, Deserialize)]
pub struct WireErrorDetail {
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub message: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct OutErrorBody<'a> {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub error: OutErrorDetail<'a>,
}

#[derive(Debug, Serialize)]
pub struct OutErrorDetail<'a> {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub message: &'a str,
}
