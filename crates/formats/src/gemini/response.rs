//! `GenerateContentResponse` ⇄ IR response, and the Google error envelope
//! (`{"error":{"code","message","status"}}`) ⇄ `ErrorInfo`.

use std::collections::HashMap;

use super::parts::{decode_part, encode_parts};
use super::{
    kind_from_status_name, status_name, stop_from_wire, stop_to_wire, synthesized_call_id,
    usage_from_wire, usage_to_wire, wire,
};
use crate::ir::{ErrorInfo, ErrorKind, Part, Response, StopReason, Usage};
use crate::{ClientContext, FormatError, parse_json, to_json};

pub fn decode_response(body: &[u8]) -> Result<Response, FormatError> {
    let wire: wire::GenerateContentResponse = parse_json(body)?;
    if let Some(error) = wire.error {
        return Err(FormatError::field(
            "error",
            error
                .message
                .unwrap_or_else(|| "upstream reported an error".into()),
        ));
    }
    let id = wire.response_id.unwrap_or_default();
    let mut parts = Vec::new();
    let mut finish_reason = None;
    match wire.candidates.into_iter().next() {
        Some(candidate) => {
            finish_reason = candidate.finish_reason;
            for part in candidate.content.map(|c| c.parts).unwrap_or_default() {
                let index = call_count(&parts);
                // A function response in an answer means nothing to a client; it is dropped.
                let _ = decode_part(part, &mut parts, |name, args| {
                    synthesized_call_id(&id, index, name, args)
                });
            }
        }
        None => {
            if wire
                .prompt_feedback
                .is_some_and(|f| f.block_reason.is_some())
            {
                finish_reason = Some("SAFETY".into());
            }
        }
    }
    let stop = stop_from_wire(finish_reason.as_deref(), call_count(&parts) > 0);
    Ok(Response {
        id,
        model: wire.model_version.unwrap_or_default(),
        parts,
        stop,
        usage: wire
            .usage_metadata
            .as_ref()
            .map(usage_from_wire)
            .unwrap_or_default(),
    })
}

fn call_count(parts: &[Part]) -> usize {
    parts
        .iter()
        .filter(|p| matches!(p, Part::ToolCall(_)))
        .count()
}

pub fn encode_response(response: &Response, ctx: &ClientContext) -> Vec<u8> {
    let parts = encode_parts(&response.parts, true, &mut HashMap::new());
    let body = answer_chunk(
        parts,
        Some(response.stop),
        Some(&response.usage),
        ctx,
        &response_id(&response.id, ctx.created),
    );
    to_json(&body)
}

/// The id shown to a Gemini client: the upstream's, or one made from the time.
pub(super) fn response_id(id: &str, created: u64) -> String {
    if id.is_empty() {
        format!("resp-{created:x}")
    } else {
        id.to_owned()
    }
}

/// One `GenerateContentResponse` (a whole answer or a stream chunk) with a single candidate.
pub(super) fn answer_chunk(
    parts: Vec<wire::Part>,
    stop: Option<StopReason>,
    usage: Option<&Usage>,
    ctx: &ClientContext,
    id: &str,
) -> wire::GenerateContentResponse {
    wire::GenerateContentResponse {
        candidates: vec![wire::Candidate {
            content: Some(wire::Content {
                role: Some("model".into()),
                parts,
            }),
            finish_reason: stop.map(|s| stop_to_wire(s).to_owned()),
            index: Some(0),
        }],
        prompt_feedback: None,
        usage_metadata: usage.map(usage_to_wire),
        model_version: Some(ctx.model.clone()),
        response_id: Some(id.to_owned()),
        error: None,
    }
}

/// Error bodies come as an object, or wrapped in an array by `streamGenerateContent` without
/// `alt=sse`; anything else is shown as text.
pub fn decode_error(status: u16, body: &[u8]) -> ErrorInfo {
    // Checked by the first byte: serde would also read an array positionally as the struct.
    let is_array = body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[');
    let parsed = if is_array {
        parse_json::<Vec<wire::ErrorEnvelope>>(body)
            .ok()
            .and_then(|v| v.into_iter().next())
            .and_then(|e| e.error)
    } else {
        parse_json::<wire::ErrorEnvelope>(body)
            .ok()
            .and_then(|e| e.error)
    };
    match parsed {
        Some(error) => error_info(status, &error),
        None => {
            let text = String::from_utf8_lossy(body);
            let text = text.trim();
            let message = if text.is_empty() {
                format!("upstream answered with status {status}")
            } else {
                text.chars().take(500).collect()
            };
            ErrorInfo {
                status,
                ..ErrorInfo::new(ErrorKind::from_status(status), message)
            }
        }
    }
}

/// An error body's meaning; `status` is the HTTP status (0 inside a stream, where the body's
/// own `code` is used).
pub(super) fn error_info(status: u16, error: &wire::ErrorBody) -> ErrorInfo {
    let status = if (100..600).contains(&status) {
        status
    } else {
        error.code.filter(|c| (400..600).contains(c)).unwrap_or(500)
    };
    let invalid_key = error
        .details
        .iter()
        .any(|d| d.reason.as_deref() == Some("API_KEY_INVALID"));
    let kind = if invalid_key {
        ErrorKind::Authentication
    } else {
        error
            .status
            .as_deref()
            .and_then(kind_from_status_name)
            .unwrap_or_else(|| ErrorKind::from_status(status))
    };
    let message = error
        .message
        .clone()
        .filter(|m| !m.is_empty())
        .unwrap_or_else(|| format!("upstream answered with status {status}"));
    ErrorInfo {
        status,
        ..ErrorInfo::new(kind, message)
    }
}

pub fn encode_error(error: &ErrorInfo) -> Vec<u8> {
    to_json(&error_envelope(error))
}

pub(super) fn error_envelope(error: &ErrorInfo) -> wire::ErrorEnvelope {
    wire::ErrorEnvelope {
        error: Some(wire::ErrorBody {
            code: Some(error.status),
            message: Some(error.message.clone()),
            status: Some(status_name(error.kind).to_owned()),
            details: Vec::new(),
        }),
    }
}
