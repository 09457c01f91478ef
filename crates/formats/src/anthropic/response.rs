//! Anthropic `message` bodies and error bodies: decoding an upstream's answer into the IR and
//! writing the IR as the answer an Anthropic client expects. Also the conversions the stream
//! module shares: stop reasons, usage (Anthropic's input counts are disjoint, the IR's are
//! inclusive), error types and message ids.

use std::collections::HashMap;

use super::blocks::decode_block;
use super::request::call_input;
use super::wire::{
    InErrorBody, InErrorField, InResponse, OutBlock, OutErrorBody, OutErrorDetail, OutResponse,
    OutUsage, WireUsage,
};
use crate::ir::{ErrorInfo, ErrorKind, Part, Response, StopReason, Usage};
use crate::{ClientContext, FormatError};

pub fn decode_response(body: &[u8]) -> Result<Response, FormatError> {
    let wire: InResponse = crate::parse_json(body)?;
    if wire.kind.as_deref() == Some("error") {
        let message = wire.error.and_then(|e| e.message).unwrap_or_default();
        return Err(FormatError::field(
            "type",
            format!("the upstream answered with an error: {message}"),
        ));
    }
    let mut names = HashMap::new();
    // Blocks of an answer the IR cannot hold (server tool results, …) are not the client's
    // input: nothing to refuse, they are left out of the translated answer.
    let mut skipped = Vec::new();
    let parts: Vec<Part> = wire
        .content
        .into_iter()
        .filter_map(|b| decode_block(b, "", "content", &mut names, &mut skipped))
        .filter(|p| {
            matches!(
                p,
                Part::Text(_)
                    | Part::Thinking { .. }
                    | Part::RedactedThinking { .. }
                    | Part::ToolCall(_)
            )
        })
        .collect();
    let has_calls = parts.iter().any(|p| matches!(p, Part::ToolCall(_)));
    let stop = match wire.stop_reason.as_deref() {
        Some(reason) => decode_stop(reason),
        None if has_calls => StopReason::ToolUse,
        None => StopReason::EndTurn,
    };
    Ok(Response {
        id: wire.id,
        model: wire.model,
        parts,
        stop,
        usage: wire.usage.map(|u| decode_usage(&u)).unwrap_or_default(),
    })
}

pub fn encode_response(response: &Response, ctx: &ClientContext) -> Vec<u8> {
    let mut content: Vec<OutBlock> = Vec::new();
    for part in &response.parts {
        match part {
            Part::Text(text) => content.push(OutBlock::Text { text: text.clone() }),
            Part::Thinking { text, signature } => content.push(OutBlock::Thinking {
                thinking: text.clone(),
                signature: signature.clone().unwrap_or_default(),
            }),
            Part::RedactedThinking { data } => {
                content.push(OutBlock::RedactedThinking { data: data.clone() })
            }
            Part::ToolCall(call) => content.push(OutBlock::ToolUse {
                id: tool_use_id(&call.id, content.len()),
                name: call.name.clone(),
                input: call_input(call),
            }),
            Part::Image(_) | Part::ToolResult(_) => {}
        }
    }
    let wire = OutResponse {
        id: message_id(&response.id, ctx),
        kind: "message",
        role: "assistant",
        model: ctx.model.clone(),
        content,
        stop_reason: encode_stop(response.stop),
        stop_sequence: None,
        usage: encode_usage(&response.usage),
    };
    crate::to_json(&wire)
}

pub fn decode_stop(reason: &str) -> StopReason {
    match reason {
        "max_tokens" | "model_context_window_exceeded" => StopReason::MaxTokens,
        "stop_sequence" => StopReason::StopSequence,
        "tool_use" => StopReason::ToolUse,
        "refusal" => StopReason::Refusal,
        "pause_turn" => StopReason::PauseTurn,
        _ => StopReason::EndTurn,
    }
}

pub fn encode_stop(stop: StopReason) -> &'static str {
    match stop {
        StopReason::EndTurn => "end_turn",
        StopReason::MaxTokens => "max_tokens",
        StopReason::StopSequence => "stop_sequence",
        StopReason::ToolUse => "tool_use",
        StopReason::ContentFilter | StopReason::Refusal => "refusal",
        StopReason::PauseTurn => "pause_turn",
    }
}

/// Anthropic's disjoint input counts summed into the IR's inclusive one.
pub fn decode_usage(usage: &WireUsage) -> Usage {
    let cached = usage.cache_read_input_tokens.unwrap_or(0);
    let written = usage.cache_creation_input_tokens.unwrap_or(0);
    Usage {
        input_tokens: usage
            .input_tokens
            .unwrap_or(0)
            .saturating_add(cached)
            .saturating_add(written),
        output_tokens: usage.output_tokens.unwrap_or(0),
        cached_tokens: cached,
        cache_write_tokens: written,
        reasoning_tokens: 0,
    }
}

pub fn encode_usage(usage: &Usage) -> OutUsage {
    OutUsage {
        input_tokens: usage
            .input_tokens
            .saturating_sub(usage.cached_tokens)
            .saturating_sub(usage.cache_write_tokens),
        output_tokens: usage.output_tokens,
        cache_creation_input_tokens: usage.cache_write_tokens,
        cache_read_input_tokens: usage.cached_tokens,
    }
}

/// The client-visible message id: the IR id with Anthropic's `msg_` prefix.
pub fn message_id(id: &str, ctx: &ClientContext) -> String {
    if id.starts_with("msg_") {
        id.to_owned()
    } else if id.is_empty() {
        format!("msg_{:016x}", ctx.created)
    } else {
        format!("msg_{id}")
    }
}

/// Anthropic clients pair results by id, so a call must have one.
pub fn tool_use_id(id: &str, position: usize) -> String {
    if id.is_empty() {
        format!("toolu_{position}")
    } else {
        id.to_owned()
    }
}

// ---------------------------------------------------------------------------------------------
// Errors.

pub fn error_kind(kind: &str) -> Option<ErrorKind> {
    Some(match kind {
        "invalid_request_error" => ErrorKind::InvalidRequest,
        "authentication_error" => ErrorKind::Authentication,
        // A 402: this account cannot be used, like a permission failure.
        "permission_error" | "billing_error" => ErrorKind::PermissionDenied,
        "not_found_error" => ErrorKind::NotFound,
        "request_too_large" => ErrorKind::RequestTooLarge,
        "rate_limit_error" => ErrorKind::RateLimited,
        "api_error" => ErrorKind::Server,
        "timeout_error" => ErrorKind::Timeout,
        "overloaded_error" => ErrorKind::Overloaded,
        _ => return None,
    })
}

pub fn error_type(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::InvalidRequest => "invalid_request_error",
        ErrorKind::Authentication => "authentication_error",
        ErrorKind::PermissionDenied => "permission_error",
        ErrorKind::NotFound => "not_found_error",
        ErrorKind::RequestTooLarge => "request_too_large",
        ErrorKind::RateLimited => "rate_limit_error",
        ErrorKind::Overloaded => "overloaded_error",
        ErrorKind::Timeout => "timeout_error",
        ErrorKind::Server => "api_error",
        // Anthropic has no 503 type; "temporarily cannot serve" is what overloaded means.
        ErrorKind::Unavailable => "overloaded_error",
    }
}

/// Longest raw (non-JSON) error body quoted in a message.
const RAW_ERROR_LIMIT: usize = 500;

pub fn decode_error(status: u16, body: &[u8]) -> ErrorInfo {
    let parsed: Option<(Option<String>, Option<String>)> = crate::parse_json::<InErrorBody>(body)
        .ok()
        .map(|b| match b.error {
            Some(InErrorField::Detail(d)) => (d.kind, d.message.or(b.message)),
            Some(InErrorField::Message(m)) => (None, Some(m)),
            None => (None, b.message),
        });
    let (kind, message) = match parsed {
        Some((kind, Some(message))) => (kind, message),
        Some((kind, None)) => (kind, raw_message(status, body)),
        None => (None, raw_message(status, body)),
    };
    let kind = kind
        .as_deref()
        .and_then(error_kind)
        .unwrap_or_else(|| ErrorKind::from_status(status));
    ErrorInfo {
        kind,
        status,
        message,
        param: None,
    }
}

fn raw_message(status: u16, body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if text.is_empty() {
        return format!("upstream returned HTTP {status} with an empty body");
    }
    match text.char_indices().nth(RAW_ERROR_LIMIT) {
        Some((cut, _)) => format!("{}…", text.get(..cut).unwrap_or_default()),
        None => text.to_owned(),
    }
}

pub fn encode_error(error: &ErrorInfo) -> Vec<u8> {
    crate::to_json(&OutErrorBody {
        kind: "error",
        error: OutErrorDetail {
            kind: error_type(error.kind),
            message: &error.message,
        },
    })
}
