//! OpenAI Chat Completions (`POST /v1/chat/completions`): what most coding tools and the
//! `openai` SDK speak, and the wire of every OpenAI-compatible provider.

mod request;
mod response;
mod stream;
pub mod wire;

#[cfg(test)]
mod tests;

pub use request::{decode_request, encode_request};
pub use response::{decode_error, decode_response, encode_error, encode_response};
pub use stream::{Decoder, Encoder};

use serde_json::json;

use crate::ir::{Part, StopReason, ToolKind};

/// An assistant turn's parts as Chat Completions carries them: text, reasoning text and tool
/// calls (custom tools' raw input wrapped as `{"input": …}`, the function form they travel in).
fn assistant_fields(parts: &[Part]) -> (String, String, Vec<wire::ToolCall>) {
    let (mut text, mut reasoning, mut calls) = (String::new(), String::new(), Vec::new());
    for part in parts {
        match part {
            Part::Text(t) => text.push_str(t),
            Part::Thinking { text: t, .. } => reasoning.push_str(t),
            Part::ToolCall(call) => calls.push(wire::ToolCall {
                id: call.id.clone(),
                kind: "function".into(),
                function: wire::FunctionCall {
                    name: call.name.clone(),
                    arguments: wire::Arguments::Text(match call.kind {
                        ToolKind::Function => call.arguments.clone(),
                        ToolKind::Custom => json!({"input": call.arguments}).to_string(),
                    }),
                },
            }),
            Part::Image(_) | Part::RedactedThinking { .. } | Part::ToolResult(_) => {}
        }
    }
    (text, reasoning, calls)
}

fn stop_from_wire(reason: &str) -> StopReason {
    match reason {
        "length" => StopReason::MaxTokens,
        "tool_calls" | "function_call" => StopReason::ToolUse,
        "content_filter" => StopReason::ContentFilter,
        _ => StopReason::EndTurn,
    }
}

fn stop_to_wire(reason: StopReason) -> &'static str {
    match reason {
        StopReason::EndTurn | StopReason::StopSequence | StopReason::PauseTurn => "stop",
        StopReason::MaxTokens => "length",
        StopReason::ToolUse => "tool_calls",
        StopReason::ContentFilter | StopReason::Refusal => "content_filter",
    }
}

/// `chatcmpl-…` from the IR id (kept when it already has the prefix).
fn completion_id(id: &str, created: u64) -> String {
    if id.starts_with("chatcmpl-") {
        id.to_owned()
    } else if id.is_empty() {
        format!("chatcmpl-{created:x}")
    } else {
        format!("chatcmpl-{id}")
    }
}
