//! Translation cost: a ~10 KB request from each client format into each upstream format, and
//! one stream chunk from each upstream format into each client format, and the same-format
//! passthrough (the client's body with `model` replaced).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "benchmark"
)]

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use omniroute_formats::{
    ClientContext, Format, RequestHint, SseEvent, StreamDecoder, StreamEncoder,
};
use serde_json::{Value, json};

fn name(f: Format) -> &'static str {
    f.as_str()
}

/// A coding-agent style conversation of about 10 KB in `format`.
fn request(format: Format) -> Vec<u8> {
    let filler = "fn main() { println!(\"hello\"); } // a line of code the agent read\n".repeat(20);
    let turns = 6;
    let body: Value = match format {
        Format::OpenAiChat => {
            let mut messages =
                vec![json!({"role": "system", "content": "You are a coding agent."})];
            for i in 0..turns {
                messages.push(json!({"role": "user", "content": format!("step {i}: {filler}")}));
                messages.push(json!({"role": "assistant", "content": null, "tool_calls": [{"id": format!("c{i}"), "type": "function", "function": {"name": "read", "arguments": "{\"path\":\"src/main.rs\"}"}}]}));
                messages.push(
                    json!({"role": "tool", "tool_call_id": format!("c{i}"), "content": "ok"}),
                );
            }
            json!({"model": "m", "messages": messages, "tools": [{"type": "function", "function": {"name": "read", "parameters": {"type": "object", "properties": {"path": {"type": "string"}}}}}]})
        }
        Format::Anthropic => {
            let mut messages = Vec::new();
            for i in 0..turns {
                messages.push(json!({"role": "user", "content": [{"type": "text", "text": format!("step {i}: {filler}")}]}));
                messages.push(json!({"role": "assistant", "content": [{"type": "tool_use", "id": format!("c{i}"), "name": "read", "input": {"path": "src/main.rs"}}]}));
                messages.push(json!({"role": "user", "content": [{"type": "tool_result", "tool_use_id": format!("c{i}"), "content": "ok"}]}));
            }
            json!({"model": "m", "max_tokens": 4096, "system": "You are a coding agent.", "messages": messages, "tools": [{"name": "read", "input_schema": {"type": "object", "properties": {"path": {"type": "string"}}}}]})
        }
        Format::Gemini => {
            let mut contents = Vec::new();
            for i in 0..turns {
                contents.push(
                    json!({"role": "user", "parts": [{"text": format!("step {i}: {filler}")}]}),
                );
                contents.push(json!({"role": "model", "parts": [{"functionCall": {"id": format!("c{i}"), "name": "read", "args": {"path": "src/main.rs"}}}]}));
                contents.push(json!({"role": "user", "parts": [{"functionResponse": {"id": format!("c{i}"), "name": "read", "response": {"output": "ok"}}}]}));
            }
            json!({"systemInstruction": {"parts": [{"text": "You are a coding agent."}]}, "contents": contents, "tools": [{"functionDeclarations": [{"name": "read", "parameters": {"type": "object", "properties": {"path": {"type": "string"}}}}]}]})
        }
        Format::Responses => {
            let mut input = Vec::new();
            for i in 0..turns {
                input.push(json!({"role": "user", "content": [{"type": "input_text", "text": format!("step {i}: {filler}")}]}));
                input.push(json!({"type": "function_call", "call_id": format!("c{i}"), "name": "read", "arguments": "{\"path\":\"src/main.rs\"}"}));
                input.push(json!({"type": "function_call_output", "call_id": format!("c{i}"), "output": "ok"}));
            }
            json!({"model": "m", "instructions": "You are a coding agent.", "input": input, "tools": [{"type": "function", "name": "read", "parameters": {"type": "object", "properties": {"path": {"type": "string"}}}}]})
        }
    };
    body.to_string().into_bytes()
}

/// One text-delta event as each upstream streams it, after the stream has started.
fn chunk(format: Format) -> (Vec<SseEvent>, SseEvent) {
    let ev = |event: Option<&str>, data: Value| SseEvent {
        event: event.map(str::to_owned),
        data: data.to_string(),
    };
    match format {
        Format::OpenAiChat => (
            vec![ev(
                None,
                json!({"id": "c", "model": "m", "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}}]}),
            )],
            ev(
                None,
                json!({"id": "c", "model": "m", "choices": [{"index": 0, "delta": {"content": "Hello, wor"}}]}),
            ),
        ),
        Format::Anthropic => (
            vec![
                ev(
                    Some("message_start"),
                    json!({"type": "message_start", "message": {"id": "m", "type": "message", "role": "assistant", "model": "m", "content": [], "usage": {"input_tokens": 1, "output_tokens": 1}}}),
                ),
                ev(
                    Some("content_block_start"),
                    json!({"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}),
                ),
            ],
            ev(
                Some("content_block_delta"),
                json!({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Hello, wor"}}),
            ),
        ),
        Format::Gemini => (
            Vec::new(),
            ev(
                None,
                json!({"candidates": [{"content": {"role": "model", "parts": [{"text": "Hello, wor"}]}, "index": 0}], "modelVersion": "m", "responseId": "r"}),
            ),
        ),
        Format::Responses => (
            vec![
                ev(
                    Some("response.created"),
                    json!({"type": "response.created", "sequence_number": 0, "response": {"id": "r", "model": "m", "status": "in_progress", "output": []}}),
                ),
                ev(
                    Some("response.output_item.added"),
                    json!({"type": "response.output_item.added", "sequence_number": 1, "output_index": 0, "item": {"type": "message", "id": "i", "role": "assistant", "content": []}}),
                ),
            ],
            ev(
                Some("response.output_text.delta"),
                json!({"type": "response.output_text.delta", "sequence_number": 2, "item_id": "i", "output_index": 0, "content_index": 0, "delta": "Hello, wor"}),
            ),
        ),
    }
}

fn requests(c: &mut Criterion) {
    let mut group = c.benchmark_group("request_10kb");
    let hint = RequestHint {
        model: Some("m"),
        stream: Some(false),
    };
    for client in Format::ALL {
        let body = request(client);
        assert!(
            body.len() > 9_000 && body.len() < 14_000,
            "{} bytes",
            body.len()
        );
        for upstream in Format::ALL {
            let id = BenchmarkId::new(name(client), name(upstream));
            group.bench_with_input(id, &body, |b, body| {
                b.iter(|| {
                    let ir = omniroute_formats::decode_request(client, body, &hint).unwrap();
                    omniroute_formats::encode_request(upstream, &ir)
                })
            });
        }
    }
    group.finish();
}

fn stream_chunks(c: &mut Criterion) {
    let mut group = c.benchmark_group("stream_chunk");
    for upstream in Format::ALL {
        let (prelude, delta) = chunk(upstream);
        for client in Format::ALL {
            let mut decoder = StreamDecoder::new(upstream);
            let mut encoder = StreamEncoder::new(
                client,
                ClientContext {
                    model: "m".into(),
                    ..ClientContext::default()
                },
            );
            let mut ir = Vec::new();
            let mut out = Vec::new();
            for e in &prelude {
                decoder.decode(e, &mut ir);
            }
            for e in ir.drain(..) {
                encoder.encode(&e, &mut out);
            }
            let id = BenchmarkId::new(name(upstream), name(client));
            group.bench_function(id, |b| {
                b.iter(|| {
                    out.clear();
                    decoder.decode(&delta, &mut ir);
                    for e in ir.drain(..) {
                        encoder.encode(&e, &mut out);
                    }
                    out.len()
                })
            });
        }
    }
    group.finish();
}

fn passthrough(c: &mut Criterion) {
    let mut group = c.benchmark_group("passthrough_10kb");
    for format in Format::ALL {
        let body = request(format);
        group.bench_with_input(BenchmarkId::new(name(format), "model"), &body, |b, body| {
            b.iter(|| omniroute_formats::rewrite_for_upstream(format, body, "m-2", false).unwrap())
        });
    }
    let body = request(Format::OpenAiChat);
    group.bench_with_input(
        BenchmarkId::new("openai", "model+stream_usage"),
        &body,
        |b, body| {
            b.iter(|| {
                omniroute_formats::rewrite_for_upstream(Format::OpenAiChat, body, "m-2", true)
                    .unwrap()
            })
        },
    );
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().warm_up_time(std::time::Duration::from_millis(300)).measurement_time(std::time::Duration::from_millis(800)).sample_size(30);
    targets = requests, stream_chunks, passthrough
}
criterion_main!(benches);
