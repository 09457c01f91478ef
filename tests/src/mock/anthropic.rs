//! Anthropic Messages as the upstream speaks it: `message` bodies and the
//! `message_start … message_stop` event stream with indexed content blocks.

use serde_json::{Value, json};

use super::Event;
use super::script::{Reply, Stop};

fn stop_reason(stop: Stop) -> &'static str {
    match stop {
        Stop::End => "end_turn",
        Stop::Tool => "tool_use",
        Stop::Length => "max_tokens",
        Stop::ContentFilter => "refusal",
    }
}

fn usage(reply: &Reply, output: u64) -> Value {
    json!({
        "input_tokens": reply.usage.input,
        "output_tokens": output,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": reply.usage.cached
    })
}

pub fn body(reply: &Reply, model: &str) -> Value {
    let mut content = Vec::new();
    if let Some(t) = &reply.thinking {
        content.push(json!({"type": "thinking", "thinking": t.text, "signature": t.signature}));
        if let Some(data) = &t.redacted {
            content.push(json!({"type": "redacted_thinking", "data": data}));
        }
    }
    if !reply.text.is_empty() {
        content.push(json!({"type": "text", "text": reply.text}));
    }
    for c in &reply.tool_calls {
        let input: Value = serde_json::from_str(&c.arguments).unwrap_or_else(|_| json!({}));
        content.push(json!({"type": "tool_use", "id": c.id, "name": c.name, "input": input}));
    }
    json!({
        "id": "msg_mock",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": content,
        "stop_reason": stop_reason(reply.stop()),
        "stop_sequence": null,
        "usage": usage(reply, reply.usage.output)
    })
}

pub fn events(reply: &Reply, model: &str) -> Vec<Event> {
    let ev = |name: &'static str, data: Value| Event::named(name, data);
    let mut out = vec![ev(
        "message_start",
        json!({"type": "message_start", "message": {
            "id": "msg_mock", "type": "message", "role": "assistant", "model": model, "content": [],
            "stop_reason": null, "stop_sequence": null, "usage": usage(reply, 1)}}),
    )];
    out.push(ev("ping", json!({"type": "ping"})));
    let mut index = 0;
    if let Some(t) = &reply.thinking {
        out.push(ev(
            "content_block_start",
            json!({"type": "content_block_start", "index": index,
            "content_block": {"type": "thinking", "thinking": "", "signature": ""}}),
        ));
        for piece in reply.fragments(&t.text) {
            out.push(ev(
                "content_block_delta",
                json!({"type": "content_block_delta", "index": index,
                "delta": {"type": "thinking_delta", "thinking": piece}}),
            ));
        }
        out.push(ev(
            "content_block_delta",
            json!({"type": "content_block_delta", "index": index,
            "delta": {"type": "signature_delta", "signature": t.signature}}),
        ));
        out.push(ev(
            "content_block_stop",
            json!({"type": "content_block_stop", "index": index}),
        ));
        index += 1;
        if let Some(data) = &t.redacted {
            // Redacted thinking arrives whole in its start event.
            out.push(ev(
                "content_block_start",
                json!({"type": "content_block_start", "index": index,
                "content_block": {"type": "redacted_thinking", "data": data}}),
            ));
            out.push(ev(
                "content_block_stop",
                json!({"type": "content_block_stop", "index": index}),
            ));
            index += 1;
        }
    }
    if !reply.text.is_empty() {
        out.push(ev(
            "content_block_start",
            json!({"type": "content_block_start", "index": index,
            "content_block": {"type": "text", "text": ""}}),
        ));
        for piece in reply.fragments(&reply.text) {
            out.push(ev(
                "content_block_delta",
                json!({"type": "content_block_delta", "index": index,
                "delta": {"type": "text_delta", "text": piece}}),
            ));
        }
        out.push(ev(
            "content_block_stop",
            json!({"type": "content_block_stop", "index": index}),
        ));
        index += 1;
    }
    for c in &reply.tool_calls {
        out.push(ev(
            "content_block_start",
            json!({"type": "content_block_start", "index": index,
            "content_block": {"type": "tool_use", "id": c.id, "name": c.name, "input": {}}}),
        ));
        for piece in reply.fragments(&c.arguments) {
            out.push(ev(
                "content_block_delta",
                json!({"type": "content_block_delta", "index": index,
                "delta": {"type": "input_json_delta", "partial_json": piece}}),
            ));
        }
        out.push(ev(
            "content_block_stop",
            json!({"type": "content_block_stop", "index": index}),
        ));
        index += 1;
    }
    out.push(ev(
        "message_delta",
        json!({"type": "message_delta",
        "delta": {"stop_reason": stop_reason(reply.stop()), "stop_sequence": null},
        "usage": {"output_tokens": reply.usage.output}}),
    ));
    out.push(ev("message_stop", json!({"type": "message_stop"})));
    out
}

fn error_type(status: u16) -> &'static str {
    match status {
        400 => "invalid_request_error",
        401 => "authentication_error",
        403 => "permission_error",
        404 => "not_found_error",
        413 => "request_too_large",
        429 => "rate_limit_error",
        529 => "overloaded_error",
        _ => "api_error",
    }
}

pub fn error(status: u16, message: &str) -> Value {
    json!({"type": "error", "error": {"type": error_type(status), "message": message}})
}

pub fn error_event(message: &str) -> Event {
    Event::named(
        "error",
        json!({"type": "error", "error": {"type": "overloaded_error", "message": message}}),
    )
}
