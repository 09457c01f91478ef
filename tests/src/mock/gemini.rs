//! The Gemini API as the upstream speaks it: `GenerateContentResponse` bodies, and streams of
//! partial responses (`?alt=sse` events, or one JSON array without `alt`).

use serde_json::{Value, json};

use super::Event;
use super::script::{Reply, Stop};

fn finish_reason(stop: Stop) -> &'static str {
    match stop {
        Stop::End | Stop::Tool => "STOP",
        Stop::Length => "MAX_TOKENS",
        Stop::ContentFilter => "SAFETY",
    }
}

fn usage(reply: &Reply) -> Value {
    let u = reply.usage;
    json!({
        "promptTokenCount": u.input,
        "candidatesTokenCount": u.output,
        "totalTokenCount": u.input + u.output + u.reasoning,
        "cachedContentTokenCount": u.cached,
        "thoughtsTokenCount": u.reasoning
    })
}

fn chunk(
    parts: Vec<Value>,
    finish: Option<Stop>,
    usage_metadata: Option<Value>,
    model: &str,
) -> Value {
    let mut candidate = json!({"content": {"parts": parts, "role": "model"}, "index": 0});
    if let Some(stop) = finish {
        candidate["finishReason"] = json!(finish_reason(stop));
    }
    let mut out =
        json!({"candidates": [candidate], "modelVersion": model, "responseId": "mock-response"});
    if let Some(u) = usage_metadata {
        out["usageMetadata"] = u;
    }
    out
}

fn call_parts(reply: &Reply) -> Vec<Value> {
    reply
        .tool_calls
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let args: Value = serde_json::from_str(&c.arguments).unwrap_or_else(|_| json!({}));
            let mut part = json!({"functionCall": {"id": c.id, "name": c.name, "args": args}});
            // Gemini 2.5+ signs the first function call of a turn when thinking is on.
            if let (0, Some(t)) = (i, &reply.thinking) {
                part["thoughtSignature"] = json!(t.signature);
            }
            part
        })
        .collect()
}

pub fn body(reply: &Reply, model: &str) -> Value {
    let mut parts = Vec::new();
    if let Some(t) = &reply.thinking {
        parts.push(json!({"text": t.text, "thought": true}));
    }
    if !reply.text.is_empty() {
        parts.push(json!({"text": reply.text}));
    }
    parts.extend(call_parts(reply));
    chunk(parts, Some(reply.stop()), Some(usage(reply)), model)
}

/// Partial responses; the caller frames them as SSE `data:` events or as a JSON array.
pub fn events(reply: &Reply, model: &str) -> Vec<Event> {
    let mut out = Vec::new();
    if let Some(t) = &reply.thinking {
        for piece in reply.fragments(&t.text) {
            out.push(Event::data(chunk(
                vec![json!({"text": piece, "thought": true})],
                None,
                None,
                model,
            )));
        }
    }
    for piece in reply.fragments(&reply.text) {
        out.push(Event::data(chunk(
            vec![json!({"text": piece})],
            None,
            None,
            model,
        )));
    }
    // Gemini sends each function call whole, never as argument fragments.
    let calls = call_parts(reply);
    let last = chunk(calls, Some(reply.stop()), Some(usage(reply)), model);
    out.push(Event::data(last));
    out
}

fn status_name(status: u16) -> &'static str {
    match status {
        400 => "INVALID_ARGUMENT",
        401 => "UNAUTHENTICATED",
        403 => "PERMISSION_DENIED",
        404 => "NOT_FOUND",
        429 => "RESOURCE_EXHAUSTED",
        503 => "UNAVAILABLE",
        504 => "DEADLINE_EXCEEDED",
        _ => "INTERNAL",
    }
}

pub fn error(status: u16, message: &str) -> Value {
    json!({"error": {"code": status, "message": message, "status": status_name(status)}})
}

pub fn error_event(message: &str) -> Event {
    Event::data(error(500, message))
}
