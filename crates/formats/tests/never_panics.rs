//! Property test: arbitrary bytes, mutated JSON and corrupted streams into every parser and
//! translator of every format never panic. A seeded generator keeps runs reproducible; set
//! `OMNIROUTE_FUZZ_ITERS` for a longer run.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests"
)]

use omniroute_formats::ir::{ErrorInfo, ErrorKind, StopReason, StreamEvent, ToolKind, Usage};
use omniroute_formats::{
    ClientContext, Format, RequestHint, SseParser, StreamDecoder, StreamEncoder,
};
use serde_json::{Value, json};

/// xorshift64*: small, fast, deterministic.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
}

fn iterations() -> usize {
    std::env::var("OMNIROUTE_FUZZ_ITERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(400)
}

fn samples(format: Format) -> Vec<Value> {
    match format {
        Format::OpenAiChat => vec![json!({"model": "m", "stream": true, "messages": [
            {"role": "system", "content": "s"}, {"role": "user", "content": [{"type": "text", "text": "t"}, {"type": "image_url", "image_url": {"url": "data:image/png;base64,AA=="}}]},
            {"role": "assistant", "content": null, "tool_calls": [{"id": "c", "type": "function", "function": {"name": "f", "arguments": "{}"}}]},
            {"role": "tool", "tool_call_id": "c", "content": "r"}],
            "tools": [{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}], "tool_choice": "auto", "reasoning_effort": "low"})],
        Format::Anthropic => vec![
            json!({"model": "m", "max_tokens": 10, "system": [{"type": "text", "text": "s"}], "messages": [
            {"role": "user", "content": [{"type": "text", "text": "t"}, {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "AA=="}}]},
            {"role": "assistant", "content": [{"type": "thinking", "thinking": "x", "signature": "s"}, {"type": "tool_use", "id": "c", "name": "f", "input": {}}]},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "c", "content": "r", "is_error": true}]}],
            "tools": [{"name": "f", "input_schema": {"type": "object"}}], "tool_choice": {"type": "any"}, "thinking": {"type": "enabled", "budget_tokens": 2000}}),
        ],
        Format::Gemini => vec![
            json!({"systemInstruction": {"parts": [{"text": "s"}]}, "contents": [
            {"role": "user", "parts": [{"text": "t"}, {"inlineData": {"mimeType": "image/png", "data": "AA=="}}]},
            {"role": "model", "parts": [{"functionCall": {"name": "f", "args": {}}, "thoughtSignature": "sig"}]},
            {"role": "user", "parts": [{"functionResponse": {"name": "f", "response": {"output": "r"}}}]}],
            "tools": [{"functionDeclarations": [{"name": "f", "parameters": {"type": "OBJECT"}}]}],
            "generationConfig": {"thinkingConfig": {"thinkingBudget": 100}, "maxOutputTokens": 5}}),
        ],
        Format::Responses => vec![
            json!({"model": "m", "instructions": "s", "stream": true, "input": [
            {"role": "user", "content": [{"type": "input_text", "text": "t"}]},
            {"type": "reasoning", "summary": [{"type": "summary_text", "text": "x"}], "encrypted_content": "e"},
            {"type": "function_call", "call_id": "c", "name": "f", "arguments": "{}"},
            {"type": "function_call_output", "call_id": "c", "output": "r"}],
            "tools": [{"type": "function", "name": "f", "parameters": {"type": "object"}}, {"type": "custom", "name": "p"}],
            "reasoning": {"effort": "high", "summary": "auto"}}),
        ],
    }
}

fn random_value(rng: &mut Rng, depth: usize) -> Value {
    match rng.below(if depth > 2 { 5 } else { 7 }) {
        0 => Value::Null,
        1 => Value::Bool(rng.below(2) == 0),
        2 => json!(rng.next() as i64),
        3 => json!(-1.5e300),
        4 => {
            let n = rng.below(12);
            Value::String(String::from_utf8_lossy(&rng.bytes(n)).into_owned())
        }
        5 => Value::Array(
            (0..rng.below(3))
                .map(|_| random_value(rng, depth + 1))
                .collect(),
        ),
        _ => {
            let keys = [
                "type",
                "text",
                "content",
                "role",
                "id",
                "name",
                "arguments",
                "parts",
                "input",
                "model",
            ];
            Value::Object(
                (0..rng.below(3))
                    .map(|_| {
                        (
                            keys[rng.below(keys.len())].to_owned(),
                            random_value(rng, depth + 1),
                        )
                    })
                    .collect(),
            )
        }
    }
}

/// Replaces one random node of `value` by a random value.
fn mutate(value: &mut Value, rng: &mut Rng) {
    let children: usize = match value {
        Value::Array(a) => a.len(),
        Value::Object(o) => o.len(),
        _ => 0,
    };
    if children == 0 || rng.below(4) == 0 {
        *value = random_value(rng, 0);
        return;
    }
    let i = rng.below(children);
    match value {
        Value::Array(a) => mutate(&mut a[i], rng),
        Value::Object(o) => {
            if let Some((_, v)) = o.iter_mut().nth(i) {
                mutate(v, rng);
            }
        }
        _ => {}
    }
}

fn hint() -> RequestHint<'static> {
    RequestHint {
        model: Some("m"),
        stream: Some(true),
    }
}

#[test]
fn request_parsers_never_panic() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for _ in 0..iterations() {
        for format in Format::ALL {
            let len = rng.below(64);
            let _ = omniroute_formats::decode_request(format, &rng.bytes(len), &hint());
            let _ = omniroute_formats::decode_response(format, &rng.bytes(len));
            let _ = omniroute_formats::decode_error(format, 500, &rng.bytes(len));
            for mut sample in samples(format) {
                for _ in 0..1 + rng.below(3) {
                    mutate(&mut sample, &mut rng);
                }
                let body = sample.to_string();
                let _ = omniroute_formats::decode_response(format, body.as_bytes());
                if let Ok(request) =
                    omniroute_formats::decode_request(format, body.as_bytes(), &hint())
                {
                    // Whatever parses must also encode to every upstream format.
                    for target in Format::ALL {
                        let _ = omniroute_formats::encode_request(target, &request);
                    }
                }
            }
        }
    }
}

#[test]
fn samples_parse_in_their_own_format() {
    for format in Format::ALL {
        for sample in samples(format) {
            let r =
                omniroute_formats::decode_request(format, sample.to_string().as_bytes(), &hint());
            assert!(r.is_ok(), "{format:?}: {r:?}");
        }
    }
}

fn random_event(rng: &mut Rng) -> StreamEvent {
    let n = rng.below(6);
    let text = String::from_utf8_lossy(&rng.bytes(n)).into_owned();
    let index = rng.below(4);
    match rng.below(11) {
        0 => StreamEvent::Start {
            id: text,
            model: "m".into(),
        },
        1 | 2 => StreamEvent::TextDelta(text),
        3 => StreamEvent::ThinkingDelta(text),
        4 => StreamEvent::ThinkingSignature(text),
        5 => StreamEvent::RedactedThinking(text),
        6 => StreamEvent::ToolCallStart {
            index,
            id: format!("c{index}"),
            name: "f".into(),
            kind: if rng.below(2) == 0 {
                ToolKind::Function
            } else {
                ToolKind::Custom
            },
            signature: None,
        },
        7 => StreamEvent::ToolCallDelta {
            index,
            fragment: text,
        },
        8 => StreamEvent::Usage(Usage {
            input_tokens: rng.next() % 1000,
            ..Usage::default()
        }),
        9 => StreamEvent::Stop(StopReason::MaxTokens),
        _ => StreamEvent::Error(ErrorInfo::new(ErrorKind::Overloaded, text)),
    }
}

fn ctx() -> ClientContext {
    ClientContext {
        model: "m".into(),
        created: 1,
        include_usage: true,
        gemini_sse: true,
        custom_tools: vec!["f".into()],
        namespaced: Vec::new(),
    }
}

#[test]
fn stream_translators_never_panic() {
    let mut rng = Rng(0xD1B5_4A32_D192_ED03);
    for _ in 0..iterations() {
        for upstream in Format::ALL {
            // Random bytes, then SSE-shaped garbage, through the parser and decoder.
            let mut parser = SseParser::new();
            let mut decoder = StreamDecoder::new(upstream);
            let mut sse = Vec::new();
            let mut events = Vec::new();
            let len = rng.below(200);
            parser.push(&rng.bytes(len), &mut sse);
            let mut junk = Vec::new();
            for _ in 0..rng.below(6) {
                let mut v = random_value(&mut rng, 0);
                if rng.below(2) == 0 {
                    let kind = [
                        "message_start",
                        "content_block_delta",
                        "response.output_item.added",
                    ][rng.below(3)];
                    let (i, j) = (rng.below(3), rng.below(3));
                    v = json!({"type": kind, "index": i, "delta": v, "choices": [{"delta": {"tool_calls": [{"index": j}]}}]});
                }
                junk.extend_from_slice(
                    format!(
                        "event: {}\ndata: {v}\n\n",
                        ["x", "error", "message_stop"][rng.below(3)]
                    )
                    .as_bytes(),
                );
            }
            parser.push(&junk, &mut sse);
            parser.finish(&mut sse);
            for e in &sse {
                decoder.decode(e, &mut events);
            }
            let _ = decoder.is_complete();
            // Random IR sequences (and the decoded ones) into every client encoder.
            for _ in 0..rng.below(12) {
                events.push(random_event(&mut rng));
            }
            for client in Format::ALL {
                for gemini_sse in [true, false] {
                    let mut encoder = StreamEncoder::new(
                        client,
                        ClientContext {
                            gemini_sse,
                            ..ctx()
                        },
                    );
                    let mut out = Vec::new();
                    for e in &events {
                        encoder.encode(e, &mut out);
                    }
                    encoder.finish(&mut out);
                    encoder.finish(&mut out);
                }
            }
        }
    }
}
