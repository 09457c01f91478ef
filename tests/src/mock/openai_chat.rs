//! OpenAI Chat Completions as the upstream speaks it: `chat.completion` bodies and
//! `chat.completion.chunk` streams ending in `data: [DONE]`.

use serde_json::{Value, json};

use super::Event;
use super::script::{Reply, Stop};

const CREATED: u64 = 1_700_000_000;

fn finish_reason(stop: Stop) -> &'static str {
    match stop {
        Stop::End => "stop",
        Stop::Tool => "tool_calls",
        Stop::Length => "length",
        Stop::ContentFilter => "content_filter",
    }
}

fn usage(reply: &Reply) -> Value {
    let u = reply.usage;
    json!({
        "prompt_tokens": u.input,
        "completion_tokens": u.output,
        "total_tokens": u.input + u.output,
        "prompt_tokens_details": {"cached_tokens": u.cached},
        "completion_tokens_details": {"reasoning_tokens": u.reasoning}
    })
}

pub fn body(reply: &Reply, model: &str) -> Value {
    let mut message = json!({
        "role": "assistant",
        "content": if reply.text.is_empty() { Value::Null } else { Value::String(reply.text.clone()) },
        "refusal": null
    });
    if let Some(thinking) = &reply.thinking {
        message["reasoning_content"] = json!(thinking.text);
    }
    if !reply.tool_calls.is_empty() {
        message["tool_calls"] = reply
            .tool_calls
            .iter()
            .map(|c| json!({"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}}))
            .collect();
    }
    json!({
        "id": "chatcmpl-mock",
        "object": "chat.completion",
        "created": CREATED,
        "model": model,
        "system_fingerprint": "fp_mock",
        "choices": [{"index": 0, "message": message, "logprobs": null, "finish_reason": finish_reason(reply.stop())}],
        "usage": usage(reply)
    })
}

pub fn events(reply: &Reply, model: &str, include_usage: bool) -> Vec<Event> {
    let chunk = |delta: Value, finish: Value| {
        Event::data(json!({
            "id": "chatcmpl-mock",
            "object": "chat.completion.chunk",
            "created": CREATED,
            "model": model,
            "system_fingerprint": "fp_mock",
            "choices": [{"index": 0, "delta": delta, "logprobs": null, "finish_reason": finish}]
        }))
    };
    let mut out = vec![chunk(
        json!({"role": "assistant", "content": ""}),
        Value::Null,
    )];
    if let Some(thinking) = &reply.thinking {
        for piece in reply.fragments(&thinking.text) {
            out.push(chunk(json!({"reasoning_content": piece}), Value::Null));
        }
    }
    for piece in reply.fragments(&reply.text) {
        out.push(chunk(json!({"content": piece}), Value::Null));
    }
    for (index, call) in reply.tool_calls.iter().enumerate() {
        out.push(chunk(
            json!({"tool_calls": [{"index": index, "id": call.id, "type": "function",
                                   "function": {"name": call.name, "arguments": ""}}]}),
            Value::Null,
        ));
        for piece in reply.fragments(&call.arguments) {
            out.push(chunk(
                json!({"tool_calls": [{"index": index, "function": {"arguments": piece}}]}),
                Value::Null,
            ));
        }
    }
    out.push(chunk(json!({}), json!(finish_reason(reply.stop()))));
    if include_usage {
        out.push(Event::data(json!({
            "id": "chatcmpl-mock",
            "object": "chat.completion.chunk",
            "created": CREATED,
            "model": model,
            "choices": [],
            "usage": usage(reply)
        })));
    }
    out.push(Event::raw(None, "[DONE]"));
    out
}

pub fn error(status: u16, message: &str) -> Value {
    let (kind, code) = match status {
        400 => ("invalid_request_error", Value::Null),
        401 => ("invalid_request_error", json!("invalid_api_key")),
        403 => ("permission_error", Value::Null),
        404 => ("invalid_request_error", json!("model_not_found")),
        429 => ("rate_limit_error", json!("rate_limit_exceeded")),
        _ => ("server_error", Value::Null),
    };
    json!({"error": {"message": message, "type": kind, "param": null, "code": code}})
}

/// OpenAI streams report a mid-stream failure as a data event carrying an `error` object.
pub fn error_event(message: &str) -> Event {
    Event::data(
        json!({"error": {"message": message, "type": "server_error", "param": null, "code": null}}),
    )
}
