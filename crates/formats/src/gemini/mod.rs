//! The Gemini API (generativelanguage v1beta `generateContent` / `streamGenerateContent`):
//! what the google-genai SDKs and Gemini CLI speak, as a client format and as an upstream.
//! The model and streaming are in the URL (`models/{model}:streamGenerateContent?alt=sse`),
//! not in the body; a stream is SSE with `?alt=sse`, else one JSON array.

mod parts;
mod request;
mod response;
mod stream;
pub mod wire;

#[cfg(test)]
mod response_tests;
#[cfg(test)]
mod stream_tests;
#[cfg(test)]
mod tests;

pub use request::{decode_request, encode_request};
pub use response::{decode_error, decode_response, encode_error, encode_response};
pub use stream::{ArrayStreamParser, Decoder, Encoder};

use crate::ir::{ErrorKind, StopReason, Usage};

/// Gemini has no tool-use finish reason: calls end with `STOP`, so their presence decides.
fn stop_from_wire(reason: Option<&str>, has_calls: bool) -> StopReason {
    match reason {
        Some("MAX_TOKENS") => StopReason::MaxTokens,
        Some(
            "SAFETY"
            | "RECITATION"
            | "BLOCKLIST"
            | "PROHIBITED_CONTENT"
            | "SPII"
            | "IMAGE_SAFETY"
            | "IMAGE_PROHIBITED_CONTENT"
            | "IMAGE_RECITATION",
        ) => StopReason::ContentFilter,
        _ if has_calls => StopReason::ToolUse,
        _ => StopReason::EndTurn,
    }
}

fn stop_to_wire(reason: StopReason) -> &'static str {
    match reason {
        StopReason::EndTurn
        | StopReason::StopSequence
        | StopReason::ToolUse
        | StopReason::PauseTurn => "STOP",
        StopReason::MaxTokens => "MAX_TOKENS",
        StopReason::ContentFilter | StopReason::Refusal => "SAFETY",
    }
}

/// Gemini counts thoughts outside `candidatesTokenCount`; the IR counts them in the output.
fn usage_from_wire(usage: &wire::UsageMetadata) -> Usage {
    let thoughts = usage.thoughts_token_count.unwrap_or(0);
    Usage {
        input_tokens: usage.prompt_token_count.unwrap_or(0)
            + usage.tool_use_prompt_token_count.unwrap_or(0),
        output_tokens: usage.candidates_token_count.unwrap_or(0) + thoughts,
        cached_tokens: usage.cached_content_token_count.unwrap_or(0),
        cache_write_tokens: 0,
        reasoning_tokens: thoughts,
    }
}

fn usage_to_wire(usage: &Usage) -> wire::UsageMetadata {
    let thoughts = usage.reasoning_tokens.min(usage.output_tokens);
    wire::UsageMetadata {
        prompt_token_count: Some(usage.input_tokens),
        candidates_token_count: Some(usage.output_tokens - thoughts),
        total_token_count: Some(usage.total()),
        cached_content_token_count: (usage.cached_tokens > 0).then_some(usage.cached_tokens),
        thoughts_token_count: (thoughts > 0).then_some(thoughts),
        tool_use_prompt_token_count: None,
    }
}

/// The `google.rpc.Code` name Gemini reports for a kind of failure.
fn status_name(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::InvalidRequest | ErrorKind::RequestTooLarge => "INVALID_ARGUMENT",
        ErrorKind::Authentication => "UNAUTHENTICATED",
        ErrorKind::PermissionDenied => "PERMISSION_DENIED",
        ErrorKind::NotFound => "NOT_FOUND",
        ErrorKind::RateLimited => "RESOURCE_EXHAUSTED",
        ErrorKind::Overloaded | ErrorKind::Unavailable => "UNAVAILABLE",
        ErrorKind::Timeout => "DEADLINE_EXCEEDED",
        ErrorKind::Server => "INTERNAL",
    }
}

fn kind_from_status_name(name: &str) -> Option<ErrorKind> {
    Some(match name {
        "INVALID_ARGUMENT" | "FAILED_PRECONDITION" | "OUT_OF_RANGE" => ErrorKind::InvalidRequest,
        "UNAUTHENTICATED" => ErrorKind::Authentication,
        "PERMISSION_DENIED" => ErrorKind::PermissionDenied,
        "NOT_FOUND" => ErrorKind::NotFound,
        "RESOURCE_EXHAUSTED" => ErrorKind::RateLimited,
        "INTERNAL" | "UNKNOWN" | "DATA_LOSS" => ErrorKind::Server,
        "UNAVAILABLE" => ErrorKind::Unavailable,
        "DEADLINE_EXCEEDED" => ErrorKind::Timeout,
        _ => return None,
    })
}

/// The id of a call the upstream sent without one (Gemini 2.x leaves `functionCall.id` empty):
/// derived from the response id (or, without one, the call's content) and the call's position,
/// so it is stable and unique across a conversation, and limited to the characters every
/// format accepts in ids.
fn synthesized_call_id(response_id: &str, index: usize, name: &str, args: &str) -> String {
    let clean: String = response_id
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
        .take(64)
        .collect();
    if clean.is_empty() {
        // FNV-1a: any stable hash will do; the ids only need to differ between calls.
        let hash = name
            .bytes()
            .chain([0])
            .chain(args.bytes())
            .fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
                (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
            });
        format!("call_{hash:016x}_{index}")
    } else {
        format!("call_{clean}_{index}")
    }
}
