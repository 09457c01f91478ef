//! The OpenAI Responses API as the upstream speaks it: `response` objects and the
//! `response.created … response.completed` event stream with sequence numbers.

use serde_json::{Value, json};

use super::Event;
use super::script::{Reply, Stop};

const CREATED: u64 = 1_700_000_000;

fn usage(reply: &Reply) -> Value {
    let u = reply.usage;
    json!({
        "input_tokens": u.input,
        "input_tokens_details": {"cached_tokens": u.cached},
        "output_tokens": u.output,
        "output_tokens_details": {"reasoning_tokens": u.reasoning},
        "total_tokens": u.input + u.output
    })
}

fn reasoning_item(text: &str, signature: &str) -> Value {
    json!({"type": "reasoning", "id": "rs_mock", "summary": [{"type": "summary_text", "text": text}],
           "encrypted_content": signature})
}

fn message_item(text: &str, status: &str) -> Value {
    json!({"type": "message", "id": "msg_mock", "status": status, "role": "assistant",
           "content": [{"type": "output_text", "text": text, "annotations": []}]})
}

fn call_item(i: usize, id: &str, name: &str, arguments: &str, status: &str) -> Value {
    json!({"type": "function_call", "id": format!("fc_mock_{i}"), "call_id": id, "name": name,
           "arguments": arguments, "status": status})
}

fn output(reply: &Reply) -> Vec<Value> {
    let mut items = Vec::new();
    if let Some(t) = &reply.thinking {
        items.push(reasoning_item(&t.text, &t.signature));
    }
    if !reply.text.is_empty() {
        items.push(message_item(&reply.text, "completed"));
    }
    for (i, c) in reply.tool_calls.iter().enumerate() {
        items.push(call_item(i, &c.id, &c.name, &c.arguments, "completed"));
    }
    items
}

fn response(
    reply: &Reply,
    model: &str,
    status: &str,
    items: Vec<Value>,
    with_usage: bool,
) -> Value {
    let incomplete = match (status, reply.stop()) {
        ("incomplete", Stop::Length) => json!({"reason": "max_output_tokens"}),
        ("incomplete", _) => json!({"reason": "content_filter"}),
        _ => Value::Null,
    };
    json!({
        "id": "resp_mock", "object": "response", "created_at": CREATED, "status": status,
        "model": model, "output": items, "error": null, "incomplete_details": incomplete,
        "parallel_tool_calls": true, "tool_choice": "auto", "tools": [],
        "usage": if with_usage { usage(reply) } else { Value::Null }
    })
}

fn final_status(reply: &Reply) -> &'static str {
    match reply.stop() {
        Stop::End | Stop::Tool => "completed",
        Stop::Length | Stop::ContentFilter => "incomplete",
    }
}

pub fn body(reply: &Reply, model: &str) -> Value {
    response(reply, model, final_status(reply), output(reply), true)
}

pub fn events(reply: &Reply, model: &str) -> Vec<Event> {
    let mut seq = 0u64;
    let mut out = Vec::new();
    let mut push = |name: &'static str, mut data: Value| {
        data["type"] = json!(name);
        data["sequence_number"] = json!(seq);
        seq += 1;
        out.push(Event::named(name, data));
    };
    push(
        "response.created",
        json!({"response": response(reply, model, "in_progress", vec![], false)}),
    );
    push(
        "response.in_progress",
        json!({"response": response(reply, model, "in_progress", vec![], false)}),
    );
    let mut index = 0;
    if let Some(t) = &reply.thinking {
        push(
            "response.output_item.added",
            json!({"output_index": index,
            "item": {"type": "reasoning", "id": "rs_mock", "summary": []}}),
        );
        push(
            "response.reasoning_summary_part.added",
            json!({"item_id": "rs_mock", "output_index": index,
            "summary_index": 0, "part": {"type": "summary_text", "text": ""}}),
        );
        for piece in reply.fragments(&t.text) {
            push(
                "response.reasoning_summary_text.delta",
                json!({"item_id": "rs_mock", "output_index": index,
                "summary_index": 0, "delta": piece}),
            );
        }
        push(
            "response.reasoning_summary_text.done",
            json!({"item_id": "rs_mock", "output_index": index,
            "summary_index": 0, "text": t.text}),
        );
        push(
            "response.reasoning_summary_part.done",
            json!({"item_id": "rs_mock", "output_index": index,
            "summary_index": 0, "part": {"type": "summary_text", "text": t.text}}),
        );
        push(
            "response.output_item.done",
            json!({"output_index": index, "item": reasoning_item(&t.text, &t.signature)}),
        );
        index += 1;
    }
    if !reply.text.is_empty() {
        push(
            "response.output_item.added",
            json!({"output_index": index, "item": {"type": "message",
            "id": "msg_mock", "status": "in_progress", "role": "assistant", "content": []}}),
        );
        push(
            "response.content_part.added",
            json!({"item_id": "msg_mock", "output_index": index, "content_index": 0,
            "part": {"type": "output_text", "text": "", "annotations": []}}),
        );
        for piece in reply.fragments(&reply.text) {
            push(
                "response.output_text.delta",
                json!({"item_id": "msg_mock", "output_index": index,
                "content_index": 0, "delta": piece}),
            );
        }
        push(
            "response.output_text.done",
            json!({"item_id": "msg_mock", "output_index": index,
            "content_index": 0, "text": reply.text}),
        );
        push(
            "response.content_part.done",
            json!({"item_id": "msg_mock", "output_index": index, "content_index": 0,
            "part": {"type": "output_text", "text": reply.text, "annotations": []}}),
        );
        push(
            "response.output_item.done",
            json!({"output_index": index, "item": message_item(&reply.text, "completed")}),
        );
        index += 1;
    }
    for (i, c) in reply.tool_calls.iter().enumerate() {
        let item_id = format!("fc_mock_{i}");
        push(
            "response.output_item.added",
            json!({"output_index": index,
            "item": call_item(i, &c.id, &c.name, "", "in_progress")}),
        );
        for piece in reply.fragments(&c.arguments) {
            push(
                "response.function_call_arguments.delta",
                json!({"item_id": item_id, "output_index": index,
                "delta": piece}),
            );
        }
        push(
            "response.function_call_arguments.done",
            json!({"item_id": item_id, "output_index": index,
            "arguments": c.arguments}),
        );
        push(
            "response.output_item.done",
            json!({"output_index": index,
            "item": call_item(i, &c.id, &c.name, &c.arguments, "completed")}),
        );
        index += 1;
    }
    let status = final_status(reply);
    let name = if status == "completed" {
        "response.completed"
    } else {
        "response.incomplete"
    };
    push(
        name,
        json!({"response": response(reply, model, status, output(reply), true)}),
    );
    out
}

pub fn error(status: u16, message: &str) -> Value {
    let (kind, code) = match status {
        400 => ("invalid_request_error", Value::Null),
        401 => ("invalid_request_error", json!("invalid_api_key")),
        429 => ("rate_limit_error", json!("rate_limit_exceeded")),
        _ => ("server_error", json!("server_error")),
    };
    json!({"error": {"message": message, "type": kind, "param": null, "code": code}})
}

/// `response.failed` as the event numbered `sequence_number`.
pub fn error_event(message: &str, sequence_number: usize) -> Event {
    Event::named(
        "response.failed",
        json!({"type": "response.failed", "sequence_number": sequence_number, "response": {
        "id": "resp_mock", "object": "response", "status": "failed", "output": [],
        "error": {"code": "server_error", "message": message}}}),
    )
}
