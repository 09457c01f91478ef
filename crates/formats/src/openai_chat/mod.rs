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

use crate::ir::StopReason;

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
