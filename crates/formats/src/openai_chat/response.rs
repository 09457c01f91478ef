//! Chat Completions responses and errors ⇄ IR.

use super::wire::{self, ChatCompletion, Choice, ResponseMessage};
use super::{completion_id, stop_from_wire, stop_to_wire};
use crate::ir::{ErrorInfo, ErrorKind, Part, Response, StopReason, ToolCall, ToolKind, Usage};
use crate::{ClientContext, FormatError, parse_json, to_json};

pub(super) fn usage_from_wire(u: &wire::Usage) -> Usage {
    Usage {
        input_tokens: u.prompt_tokens,
        output_tokens: u.completion_tokens,
        cached_tokens: u
            .prompt_tokens_details
            .and_then(|d| d.cached_tokens)
            .or(u.prompt_cache_hit_tokens)
            .unwrap_or(0),
        cache_write_tokens: 0,
        reasoning_tokens: u
            .completion_tokens_details
            .and_then(|d| d.reasoning_tokens)
            .unwrap_or(0),
    }
}

pub(super) fn usage_to_wire(u: &Usage) -> wire::Usage {
    wire::Usage {
        prompt_tokens: u.input_tokens,
        completion_tokens: u.output_tokens,
        total_tokens: u.total(),
        prompt_tokens_details: Some(wire::PromptTokensDetails {
            cached_tokens: Some(u.cached_tokens),
        }),
        completion_tokens_details: Some(wire::CompletionTokensDetails {
            reasoning_tokens: Some(u.reasoning_tokens),
        }),
        prompt_cache_hit_tokens: None,
    }
}

pub fn decode_response(body: &[u8]) -> Result<Response, FormatError> {
    let wire: ChatCompletion = parse_json(body)?;
    let choice = wire
        .choices
        .into_iter()
        .next()
        .ok_or_else(|| FormatError::field("choices", "is empty"))?;
    let message = choice.message;
    let mut parts = Vec::new();
    if let Some(text) = message.reasoning_content.filter(|t| !t.is_empty()) {
        parts.push(Part::Thinking {
            text,
            signature: None,
        });
    }
    if let Some(text) = message.content.filter(|t| !t.is_empty()) {
        parts.push(Part::Text(text));
    }
    if let Some(text) = message.refusal.filter(|t| !t.is_empty()) {
        parts.push(Part::Text(text));
    }
    let calls = message.tool_calls.unwrap_or_default();
    let had_calls = !calls.is_empty();
    for (i, call) in calls.into_iter().enumerate() {
        parts.push(Part::ToolCall(ToolCall {
            id: if call.id.is_empty() {
                format!("call_{i}")
            } else {
                call.id
            },
            name: call.function.name,
            arguments: call.function.arguments.into_text(),
            kind: ToolKind::Function,
            signature: None,
        }));
    }
    let mut stop = choice
        .finish_reason
        .as_deref()
        .map(stop_from_wire)
        .unwrap_or_default();
    // Some compatible providers say "stop" although they called tools.
    if had_calls && stop == StopReason::EndTurn {
        stop = StopReason::ToolUse;
    }
    Ok(Response {
        id: wire.id,
        model: wire.model,
        parts,
        stop,
        usage: wire.usage.as_ref().map(usage_from_wire).unwrap_or_default(),
    })
}

pub fn encode_response(response: &Response, ctx: &ClientContext) -> Vec<u8> {
    let (text, reasoning, calls) = super::assistant_fields(&response.parts);
    let wire = ChatCompletion {
        id: completion_id(&response.id, ctx.created),
        object: "chat.completion".into(),
        created: ctx.created,
        model: ctx.model.clone(),
        choices: vec![Choice {
            index: 0,
            message: ResponseMessage {
                role: "assistant".into(),
                content: (!text.is_empty() || calls.is_empty()).then_some(text),
                reasoning_content: (!reasoning.is_empty()).then_some(reasoning),
                tool_calls: (!calls.is_empty()).then_some(calls),
                refusal: None,
            },
            logprobs: None,
            finish_reason: Some(stop_to_wire(response.stop).into()),
        }],
        usage: Some(usage_to_wire(&response.usage)),
        system_fingerprint: None,
    };
    to_json(&wire)
}

/// Longest upstream text kept in an error message.
const MAX_RAW_ERROR: usize = 500;

pub(crate) fn raw_error_text(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    match text.char_indices().nth(MAX_RAW_ERROR) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

pub fn decode_error(status: u16, body: &[u8]) -> ErrorInfo {
    let mut info = ErrorInfo::new(ErrorKind::from_status(status), String::new());
    info.status = status;
    match parse_json::<wire::ErrorBody>(body) {
        Ok(wire) => {
            info.message = wire.error.message;
            info.param = wire.error.param;
            if wire.error.kind.as_deref() == Some("insufficient_quota") {
                info.kind = ErrorKind::RateLimited;
            }
        }
        Err(_) => info.message = raw_error_text(body),
    }
    if info.message.is_empty() {
        info.message = format!("upstream answered {status}");
    }
    info
}

pub(crate) fn error_type(kind: ErrorKind) -> (&'static str, Option<&'static str>) {
    match kind {
        ErrorKind::InvalidRequest => ("invalid_request_error", None),
        ErrorKind::Authentication => ("authentication_error", Some("invalid_api_key")),
        ErrorKind::PermissionDenied => ("permission_error", None),
        ErrorKind::NotFound => ("invalid_request_error", Some("model_not_found")),
        ErrorKind::RequestTooLarge => ("invalid_request_error", Some("request_too_large")),
        ErrorKind::RateLimited => ("rate_limit_error", Some("rate_limit_exceeded")),
        ErrorKind::Overloaded | ErrorKind::Unavailable => {
            ("server_error", Some("service_unavailable"))
        }
        ErrorKind::Timeout => ("server_error", Some("timeout")),
        ErrorKind::Server => ("server_error", None),
    }
}

pub(super) fn error_body(error: &ErrorInfo) -> wire::ErrorBody {
    let (kind, code) = error_type(error.kind);
    wire::ErrorBody {
        error: wire::ErrorDetail {
            message: error.message.clone(),
            kind: Some(kind.into()),
            param: error.param.clone(),
            code: code.map(|c| serde_json::Value::String(c.into())),
        },
    }
}

pub fn encode_error(error: &ErrorInfo) -> Vec<u8> {
    to_json(&error_body(error))
}
