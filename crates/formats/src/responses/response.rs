//! Responses answers ⇄ IR: an upstream's `response` object decoded, the `response` object a
//! client gets (also used by the stream encoder for its lifecycle events), and error bodies.

use std::collections::BTreeMap;

use super::wire::{
    Content, ContentPart, CustomToolCallItem, ErrorBody, ErrorDetail, FunctionCallItem,
    IncompleteDetails, InputTokensDetails, Item, MessageItem, OutputTokensDetails, ReasoningItem,
    ResponseError, ResponseObject, SummaryPart, TextConfig, TextFormat, ToolChoice,
    Usage as WireUsage,
};
use crate::ir::{ErrorInfo, ErrorKind, Part, Response, StopReason, ToolCall, ToolKind, Usage};
use crate::{ClientContext, FormatError, parse_json, to_json};

pub fn decode_response(body: &[u8]) -> Result<Response, FormatError> {
    let wire: ResponseObject = parse_json(body)?;
    if wire.status.as_deref() == Some("failed") {
        let error = wire.error.unwrap_or_default();
        return Err(FormatError::field(
            "error",
            format!(
                "the response failed ({}): {}",
                error.code.as_deref().unwrap_or("unknown"),
                error.message
            ),
        ));
    }
    let mut parts = Vec::new();
    for item in wire.output {
        decode_output_item(item, &mut parts);
    }
    let has_calls = parts.iter().any(|p| matches!(p, Part::ToolCall(_)));
    let stop = stop_reason(
        wire.status.as_deref(),
        wire.incomplete_details.as_ref(),
        has_calls,
    );
    Ok(Response {
        id: wire.id,
        model: wire.model,
        parts,
        stop,
        usage: wire.usage.as_ref().map(decode_usage).unwrap_or_default(),
    })
}

fn decode_output_item(item: Item, parts: &mut Vec<Part>) {
    match item {
        Item::Message(message) => match message.content {
            Content::Text(text) => parts.push(Part::Text(text)),
            Content::Parts(content) => {
                for part in content {
                    match part.value {
                        ContentPart::OutputText { text, .. } | ContentPart::InputText { text } => {
                            parts.push(Part::Text(text))
                        }
                        ContentPart::Refusal { refusal } => parts.push(Part::Text(refusal)),
                        ContentPart::InputImage { .. } | ContentPart::Other => {}
                    }
                }
            }
        },
        Item::FunctionCall(call) => parts.push(Part::ToolCall(ToolCall {
            name: call.full_name(),
            id: call.call_id,
            arguments: call.arguments,
            kind: ToolKind::Function,
            signature: None,
        })),
        Item::CustomToolCall(call) => parts.push(Part::ToolCall(ToolCall {
            name: call.full_name(),
            id: call.call_id,
            arguments: call.input,
            kind: ToolKind::Custom,
            signature: None,
        })),
        Item::Reasoning(reasoning) => {
            let text = reasoning_text(&reasoning);
            let signature = reasoning.encrypted_content.filter(|s| !s.is_empty());
            if !text.is_empty() || signature.is_some() {
                parts.push(Part::Thinking { text, signature });
            }
        }
        Item::FunctionCallOutput(_) | Item::CustomToolCallOutput(_) | Item::Other => {}
    }
}

/// A reasoning item's visible text: its summaries (or, failing those, its raw reasoning).
pub(super) fn reasoning_text(reasoning: &ReasoningItem) -> String {
    let summaries: Vec<&str> = reasoning
        .summary
        .iter()
        .map(|s| s.text.as_str())
        .filter(|t| !t.is_empty())
        .collect();
    if !summaries.is_empty() {
        return summaries.join("\n\n");
    }
    let raw: Vec<&str> = reasoning
        .content
        .iter()
        .flatten()
        .map(|c| c.text.as_str())
        .filter(|t| !t.is_empty())
        .collect();
    raw.join("\n\n")
}

pub(super) fn stop_reason(
    status: Option<&str>,
    incomplete: Option<&IncompleteDetails>,
    has_calls: bool,
) -> StopReason {
    if status == Some("incomplete") {
        match incomplete.and_then(|d| d.reason.as_deref()) {
            Some("content_filter") => return StopReason::ContentFilter,
            Some("max_output_tokens") | None => return StopReason::MaxTokens,
            Some(_) => {}
        }
    }
    if has_calls {
        StopReason::ToolUse
    } else {
        StopReason::EndTurn
    }
}

pub(super) fn decode_usage(usage: &WireUsage) -> Usage {
    Usage {
        input_tokens: usage.input_tokens,
        output_tokens: usage.output_tokens,
        cached_tokens: usage
            .input_tokens_details
            .as_ref()
            .map_or(0, |d| d.cached_tokens),
        cache_write_tokens: 0,
        reasoning_tokens: usage
            .output_tokens_details
            .as_ref()
            .map_or(0, |d| d.reasoning_tokens),
    }
}

pub(super) fn encode_usage(usage: &Usage) -> WireUsage {
    WireUsage {
        input_tokens: usage.input_tokens,
        input_tokens_details: Some(InputTokensDetails {
            cached_tokens: usage.cached_tokens,
        }),
        output_tokens: usage.output_tokens,
        output_tokens_details: Some(OutputTokensDetails {
            reasoning_tokens: usage.reasoning_tokens,
        }),
        total_tokens: usage.total(),
    }
}

/// The client-facing response id: `resp_…`, derived from the upstream's id when there is one.
pub(super) fn response_id(id: &str, created: u64) -> String {
    if id.starts_with("resp_") {
        id.to_owned()
    } else if id.is_empty() {
        format!("resp_{created}")
    } else {
        format!("resp_{}", sanitize(id))
    }
}

fn sanitize(id: &str) -> String {
    id.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// Item ids reuse the response id's suffix so they are unique per response and stable.
pub(super) fn item_id(prefix: &str, response_id: &str, index: usize) -> String {
    let base = response_id.strip_prefix("resp_").unwrap_or(response_id);
    format!("{prefix}_{base}_{index}")
}

/// Whether a call goes to the client as a `custom_tool_call`.
pub(super) fn is_custom(ctx: &ClientContext, name: &str, kind: ToolKind) -> bool {
    kind == ToolKind::Custom || ctx.custom_tools.iter().any(|t| t == name)
}

/// The input text of a custom tool call. A call that crossed a format without custom tools
/// carries it as function arguments `{"input": "…"}`; anything else is the text itself.
pub(super) fn custom_input(arguments: &str, kind: ToolKind) -> String {
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Wrapped {
        input: String,
    }
    if kind == ToolKind::Function {
        if let Ok(wrapped) = serde_json::from_str::<Wrapped>(arguments) {
            return wrapped.input;
        }
    }
    arguments.to_owned()
}

/// A completed tool-call item as the client should see it.
pub(super) fn call_item(
    ctx: &ClientContext,
    item_id: String,
    call_id: &str,
    name: &str,
    arguments: &str,
    kind: ToolKind,
    status: &str,
) -> Item {
    // A namespace member goes back under its own name, with its group.
    let (name, namespace) = match ctx.namespaced.iter().find(|(flat, _, _)| flat == name) {
        Some((_, ns, member)) => (member.as_str(), Some(ns.clone())),
        None => (name, None),
    };
    if is_custom(ctx, name, kind) {
        Item::CustomToolCall(CustomToolCallItem {
            id: Some(item_id),
            call_id: call_id.to_owned(),
            name: name.to_owned(),
            namespace,
            input: custom_input(arguments, kind),
            status: Some(status.to_owned()),
        })
    } else {
        Item::FunctionCall(FunctionCallItem {
            id: Some(item_id),
            call_id: call_id.to_owned(),
            name: name.to_owned(),
            namespace,
            arguments: arguments.to_owned(),
            status: Some(status.to_owned()),
        })
    }
}

pub(super) fn message_item(id: String, text: &str, status: &str) -> Item {
    Item::Message(MessageItem {
        id: Some(id),
        status: Some(status.to_owned()),
        role: "assistant".into(),
        content: Content::Parts(vec![
            ContentPart::OutputText {
                text: text.to_owned(),
                annotations: Vec::new(),
            }
            .into(),
        ]),
    })
}

pub(super) fn reasoning_item(id: String, text: &str, signature: Option<&str>) -> Item {
    Item::Reasoning(ReasoningItem {
        id: Some(id),
        summary: if text.is_empty() {
            Vec::new()
        } else {
            vec![SummaryPart::new(text)]
        },
        content: None,
        encrypted_content: signature.map(str::to_owned),
        status: None,
    })
}

/// The `status` and `incomplete_details` a stop reason is reported with.
pub(super) fn final_status(stop: StopReason) -> (&'static str, Option<IncompleteDetails>) {
    let reason = match stop {
        StopReason::MaxTokens => "max_output_tokens",
        StopReason::ContentFilter => "content_filter",
        _ => return ("completed", None),
    };
    (
        "incomplete",
        Some(IncompleteDetails {
            reason: Some(reason.to_owned()),
        }),
    )
}

/// A `response` object with the fields the SDKs declare required, and `null` for the rest.
pub(super) fn response_object(
    id: String,
    ctx: &ClientContext,
    status: &str,
    output: Vec<Item>,
    usage: Option<WireUsage>,
) -> ResponseObject {
    ResponseObject {
        id,
        object: "response".into(),
        created_at: ctx.created,
        status: Some(status.to_owned()),
        error: None,
        incomplete_details: None,
        instructions: None,
        max_output_tokens: None,
        model: ctx.model.clone(),
        output,
        parallel_tool_calls: true,
        previous_response_id: None,
        reasoning: None,
        store: false,
        temperature: None,
        text: TextConfig {
            format: Some(TextFormat::Text.into()),
            verbosity: None,
        },
        tool_choice: ToolChoice::Mode("auto".into()),
        tools: Vec::new(),
        top_p: None,
        truncation: Some("disabled".into()),
        usage,
        user: None,
        metadata: BTreeMap::new(),
    }
}

pub fn encode_response(response: &Response, ctx: &ClientContext) -> Vec<u8> {
    let id = response_id(&response.id, ctx.created);
    let mut output: Vec<Item> = Vec::new();
    let mut text = String::new();
    let flush_text = |text: &mut String, output: &mut Vec<Item>| {
        if !text.is_empty() {
            let item_id = item_id("msg", &id, output.len());
            output.push(message_item(item_id, text, "completed"));
            text.clear();
        }
    };
    for part in &response.parts {
        match part {
            Part::Text(t) => text.push_str(t),
            Part::Thinking { text: t, signature } => {
                flush_text(&mut text, &mut output);
                let item_id = item_id("rs", &id, output.len());
                output.push(reasoning_item(item_id, t, signature.as_deref()));
            }
            Part::ToolCall(call) => {
                flush_text(&mut text, &mut output);
                let prefix = if is_custom(ctx, &call.name, call.kind) {
                    "ctc"
                } else {
                    "fc"
                };
                let item_id = item_id(prefix, &id, output.len());
                output.push(call_item(
                    ctx,
                    item_id,
                    &call.id,
                    &call.name,
                    &call.arguments,
                    call.kind,
                    "completed",
                ));
            }
            // Claude's encrypted thinking means nothing to a Responses client.
            Part::RedactedThinking { .. } | Part::Image(_) | Part::ToolResult(_) => {}
        }
    }
    flush_text(&mut text, &mut output);
    let (status, incomplete) = final_status(response.stop);
    let mut object = response_object(
        id.clone(),
        ctx,
        status,
        output,
        Some(encode_usage(&response.usage)),
    );
    object.incomplete_details = incomplete;
    to_json(&object)
}

/// An upstream's error body as an `ErrorInfo` with the upstream's status.
pub fn decode_error(status: u16, body: &[u8]) -> ErrorInfo {
    let parsed: Option<ErrorBody> = parse_json(body).ok();
    let detail = parsed.as_ref().and_then(|b| b.error.clone());
    let message = detail
        .as_ref()
        .map(|d| d.message.clone())
        .filter(|m| !m.is_empty())
        .or_else(|| parsed.as_ref().and_then(|b| b.detail.clone()))
        .or_else(|| parsed.as_ref().and_then(|b| b.message.clone()))
        .unwrap_or_else(|| raw_text(body));
    let message = if message.is_empty() {
        format!("upstream answered HTTP {status}")
    } else {
        message
    };
    let code = detail.as_ref().and_then(|d| d.code.as_deref());
    let kind = code
        .and_then(kind_for_code)
        .unwrap_or_else(|| ErrorKind::from_status(status));
    ErrorInfo {
        kind,
        status,
        message,
        param: detail.and_then(|d| d.param),
    }
}

/// A non-JSON (or unrecognised) body, trimmed to 500 characters.
fn raw_text(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let trimmed = text.trim();
    match trimmed.char_indices().nth(500) {
        Some((cut, _)) => trimmed[..cut].to_owned(),
        None => trimmed.to_owned(),
    }
}

/// Error codes that say more than the HTTP status.
pub(super) fn kind_for_code(code: &str) -> Option<ErrorKind> {
    match code {
        "rate_limit_exceeded" | "insufficient_quota" | "usage_limit_reached" => {
            Some(ErrorKind::RateLimited)
        }
        "context_length_exceeded" | "invalid_prompt" | "invalid_request_error" => {
            Some(ErrorKind::InvalidRequest)
        }
        "server_is_overloaded" | "overloaded" => Some(ErrorKind::Overloaded),
        "invalid_api_key" => Some(ErrorKind::Authentication),
        "model_not_found" => Some(ErrorKind::NotFound),
        _ => None,
    }
}

/// The OpenAI `type` and `code` for an error kind. Codex keys on `code`
/// (`rate_limit_exceeded` is retried after the delay named in the message).
pub(super) fn type_and_code(kind: ErrorKind) -> (&'static str, &'static str) {
    match kind {
        ErrorKind::InvalidRequest => ("invalid_request_error", "invalid_request_error"),
        ErrorKind::Authentication => ("authentication_error", "invalid_api_key"),
        ErrorKind::PermissionDenied => ("permission_error", "permission_denied"),
        ErrorKind::NotFound => ("invalid_request_error", "not_found"),
        ErrorKind::RequestTooLarge => ("invalid_request_error", "request_too_large"),
        ErrorKind::RateLimited => ("rate_limit_error", "rate_limit_exceeded"),
        ErrorKind::Overloaded => ("server_error", "server_is_overloaded"),
        ErrorKind::Timeout => ("server_error", "timeout"),
        ErrorKind::Server => ("server_error", "server_error"),
        ErrorKind::Unavailable => ("server_error", "service_unavailable"),
    }
}

pub(super) fn response_error(error: &ErrorInfo) -> ResponseError {
    ResponseError {
        code: Some(type_and_code(error.kind).1.to_owned()),
        message: error.message.clone(),
    }
}

pub fn encode_error(error: &ErrorInfo) -> Vec<u8> {
    let (kind, code) = type_and_code(error.kind);
    to_json(&ErrorBody {
        error: Some(ErrorDetail {
            message: error.message.clone(),
            kind: Some(kind.to_owned()),
            param: error.param.clone(),
            code: Some(code.to_owned()),
        }),
        detail: None,
        message: None,
    })
}
