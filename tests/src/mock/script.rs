//! What the mock answers and how it misbehaves: a `Script` per request. Scripts are queued on
//! the mock (from Rust or over `POST /__mock/script`) and consumed in order; a script with a
//! `model` only matches requests for that model.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Script {
    /// Only requests whose model equals this consume the script.
    pub model: Option<String>,
    pub reply: Reply,
    pub fault: Fault,
    /// Extra response headers (rate-limit and quota headers), on answers and errors alike.
    pub headers: std::collections::BTreeMap<String, String>,
}

/// The assistant turn the mock produces, rendered in whatever format was asked.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Reply {
    pub text: String,
    /// Reasoning text and its signature (Claude `thinking`, Gemini `thought`, Responses reasoning).
    pub thinking: Option<Thinking>,
    pub tool_calls: Vec<ToolCall>,
    pub usage: Usage,
    /// `end`, `tool`, `length`, `content_filter`; empty: `tool` when there are tool calls, else `end`.
    pub stop: Option<Stop>,
    /// Characters per streamed text or argument fragment.
    pub chunk_chars: usize,
}

impl Default for Reply {
    fn default() -> Self {
        Self {
            text: "Hello from the mock upstream.".into(),
            thinking: None,
            tool_calls: Vec::new(),
            usage: Usage::default(),
            stop: None,
            chunk_chars: 8,
        }
    }
}

impl Reply {
    pub fn text(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            ..Self::default()
        }
    }

    pub fn stop(&self) -> Stop {
        self.stop.unwrap_or(if self.tool_calls.is_empty() {
            Stop::End
        } else {
            Stop::Tool
        })
    }

    /// `s` split into fragments of `chunk_chars` characters (never empty when `s` is not).
    pub fn fragments<'a>(&self, s: &'a str) -> Vec<&'a str> {
        let n = self.chunk_chars.max(1);
        let mut out = Vec::new();
        let mut start = 0;
        for (count, (i, _)) in s.char_indices().enumerate() {
            if count > 0 && count % n == 0 {
                out.push(&s[start..i]);
                start = i;
            }
        }
        if start < s.len() {
            out.push(&s[start..]);
        }
        out
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Thinking {
    pub text: String,
    #[serde(default)]
    pub signature: String,
    /// Anthropic: a `redacted_thinking` block with this data follows the thinking block.
    #[serde(default)]
    pub redacted: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ToolCall {
    pub id: String,
    pub name: String,
    /// JSON text of the arguments object.
    pub arguments: String,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Usage {
    pub input: u64,
    pub output: u64,
    pub cached: u64,
    pub reasoning: u64,
}

impl Default for Usage {
    fn default() -> Self {
        Self {
            input: 12,
            output: 7,
            cached: 0,
            reasoning: 0,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stop {
    End,
    Tool,
    Length,
    ContentFilter,
}

/// How the mock misbehaves for this request. Several may combine (a delay, then a cut stream).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Fault {
    /// Answer with this HTTP status and the format's error body instead of a reply.
    pub status: Option<u16>,
    pub retry_after: Option<String>,
    pub error_message: Option<String>,
    /// Wait before sending response headers.
    pub delay_ms: u64,
    /// Wait between stream events.
    pub event_delay_ms: u64,
    /// Drop the connection after this many stream events (no terminal event).
    pub cut_after_events: Option<usize>,
    /// Send the format's error event after this many stream events, then end the stream.
    pub error_event_after: Option<usize>,
    /// Send invalid JSON (the body, or one stream event).
    pub malformed_json: bool,
}
