//! The Messages API's SSE stream events: as read from an upstream (leniently, unknown event and
//! block types skipped) and as written to a client (exactly).

#[allow(
    unused_imports,
    reason = "the event types share the body types' imports"
)]
use super::*;

// ---------------------------------------------------------------------------------------------
// Stream events, as read from an upstream.

#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum InEvent {
    MessageStart {
        message: InStartMessage,
    },
    ContentBlockStart {
        index: u64,
        content_block: InStreamBlock,
    },
    ContentBlockDelta {
        index: u64,
        delta: InDelta,
    },
    ContentBlockStop,
    MessageDelta {
        #[serde(default)]
        delta: InMessageDelta,
        #[serde(default)]
        usage: Option<WireUsage>,
    },
    MessageStop,
    Ping,
    Error {
        error: WireErrorDetail,
    },
    #[serde(other)]
    Unknown,
}

#[derive(Debug, Deserialize)]
pub struct InStartMessage {
    #[serde(default)]
    pub id: String,
    #[serde(default)]
    pub model: String,
    pub usage: Option<WireUsage>,
}

#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum InStreamBlock {
    Text {
        #[serde(default)]
        text: String,
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
    ToolUse {
        #[serde(default)]
        id: String,
        #[serde(default)]
        name: String,
        #[serde(default)]
        input: Option<Value>,
    },
    #[serde(other)]
    Unknown,
}

#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum InDelta {
    TextDelta {
        #[serde(default)]
        text: String,
    },
    ThinkingDelta {
        #[serde(default)]
        thinking: String,
    },
    SignatureDelta {
        #[serde(default)]
        signature: String,
    },
    InputJsonDelta {
        #[serde(default)]
        partial_json: String,
    },
    /// `citations_delta` and future kinds.
    #[serde(other)]
    Unknown,
}

#[derive(Debug, Default, Deserialize)]
pub struct InMessageDelta {
    pub stop_reason: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// Stream events, as written to a client.

#[derive(Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum OutEvent<'a> {
    MessageStart {
        message: OutStartMessage<'a>,
    },
    ContentBlockStart {
        index: usize,
        content_block: OutStreamBlock<'a>,
    },
    ContentBlockDelta {
        index: usize,
        delta: OutDelta<'a>,
    },
    ContentBlockStop {
        index: usize,
    },
    MessageDelta {
        delta: OutMessageDelta,
        usage: OutUsage,
    },
    MessageStop,
    Error {
        error: OutErrorDetail<'a>,
    },
}

impl OutEvent<'_> {
    /// The `event:` line name, which always equals the data's `type`.
    pub fn name(&self) -> &'static str {
        match self {
            Self::MessageStart { .. } => "message_start",
            Self::ContentBlockStart { .. } => "content_block_start",
            Self::ContentBlockDelta { .. } => "content_block_delta",
            Self::ContentBlockStop { .. } => "content_block_stop",
            Self::MessageDelta { .. } => "message_delta",
            Self::MessageStop => "message_stop",
            Self::Error { .. } => "error",
        }
    }
}

#[derive(Debug, Serialize)]
pub struct OutStartMessage<'a> {
    pub id: &'a str,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub role: &'static str,
    pub model: &'a str,
    pub content: [(); 0],
    pub stop_reason: Option<&'static str>,
    pub stop_sequence: Option<&'static str>,
    pub usage: OutUsage,
}

#[derive(Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum OutStreamBlock<'a> {
    Text {
        text: &'a str,
    },
    Thinking {
        thinking: &'a str,
        signature: &'a str,
    },
    RedactedThinking {
        data: &'a str,
    },
    ToolUse {
        id: &'a str,
        name: &'a str,
        input: EmptyObject,
    },
}

/// Serializes as `{}` (a streamed `tool_use` block starts with an empty input).
#[derive(Debug, Clone, Copy)]
pub struct EmptyObject;

impl Serialize for EmptyObject {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        serializer.serialize_map(Some(0))?.end()
    }
}

#[derive(Debug, Serialize)]
#[serde(tag = "type")]
pub enum OutDelta<'a> {
    #[serde(rename = "text_delta")]
    Text { text: &'a str },
    #[serde(rename = "thinking_delta")]
    Thinking { thinking: &'a str },
    #[serde(rename = "signature_delta")]
    Signature { signature: &'a str },
    #[serde(rename = "input_json_delta")]
    InputJson { partial_json: &'a str },
}

#[derive(Debug, Serialize)]
pub struct OutMessageDelta {
    pub stop_reason: &'static str,
    pub stop_sequence: Option<String>,
}
