use serde_json::{Value, json};

use super::*;
use crate::ir::*;
use crate::sse::{SseEvent, SseParser};
use crate::{ClientContext, RequestHint};

fn decode(body: Value) -> Result<Request, crate::FormatError> {
    decode_request(body.to_string().as_bytes(), &RequestHint::default())
}

fn full_request() -> Value {
    json!({
        "model": "gpt-4o",
        "messages": [
            {"role": "system", "content": "Be terse."},
            {"role": "developer", "content": [{"type": "text", "text": "Use tools."}]},
            {"role": "user", "content": [
                {"type": "text", "text": "Weather and time?"},
                {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}},
                {"type": "image_url", "image_url": {"url": "https://example.com/cat.jpg", "detail": "low"}}
            ]},
            {"role": "assistant", "content": null, "reasoning_content": "need two tools", "tool_calls": [
                {"id": "call_a", "type": "function", "function": {"name": "weather", "arguments": "{\"city\":\"Paris\"}"}},
                {"id": "call_b", "type": "function", "function": {"name": "time", "arguments": "{}"}}
            ]},
            {"role": "tool", "tool_call_id": "call_a", "content": "sunny"},
            {"role": "tool", "tool_call_id": "call_b", "content": [{"type": "text", "text": "12:00"}]},
            {"role": "user", "content": "thanks"}
        ],
        "tools": [{"type": "function", "function": {"name": "weather", "description": "w", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}},
                  {"type": "function", "function": {"name": "time"}}],
        "tool_choice": {"type": "function", "function": {"name": "weather"}},
        "parallel_tool_calls": true,
        "stream": true,
        "stream_options": {"include_usage": true},
        "max_completion_tokens": 500,
        "temperature": 0.2,
        "stop": "END",
        "reasoning_effort": "high",
        "response_format": {"type": "json_schema", "json_schema": {"name": "out", "schema": {"type": "object"}, "strict": true}},
        "seed": 7,
        "user": "u-1",
        "unknown_vendor_field": {"kept": "only in passthrough"}
    })
}

#[test]
fn decodes_every_feature() {
    let r = decode(full_request()).unwrap();
    assert_eq!(r.model, "gpt-4o");
    assert_eq!(r.system, vec!["Be terse.", "Use tools."]);
    assert_eq!(
        r.messages.len(),
        3,
        "tool results and the next user text form one user turn"
    );
    assert_eq!(
        r.messages[0].parts[1],
        Part::Image(Image::Base64 {
            media_type: "image/png".into(),
            data: "iVBORw0KGgo=".into()
        })
    );
    assert_eq!(
        r.messages[0].parts[2],
        Part::Image(Image::Url("https://example.com/cat.jpg".into()))
    );
    assert!(
        matches!(&r.messages[1].parts[0], Part::Thinking { text, .. } if text == "need two tools")
    );
    assert!(
        matches!(&r.messages[1].parts[2], Part::ToolCall(c) if c.id == "call_b" && c.arguments == "{}")
    );
    assert!(
        matches!(&r.messages[2].parts[1], Part::ToolResult(t) if t.call_id == "call_b" && t.text() == "12:00")
    );
    assert!(matches!(&r.messages[2].parts[2], Part::Text(t) if t == "thanks"));
    assert_eq!(r.tools.len(), 2);
    assert_eq!(
        r.tools[1].parameters,
        json!({"type": "object", "properties": {}})
    );
    assert_eq!(r.tool_choice, Some(ToolChoice::Tool("weather".into())));
    assert!(r.stream);
    assert_eq!(r.max_output_tokens, Some(500));
    assert_eq!(r.stop, vec!["END"]);
    assert_eq!(r.reasoning.unwrap().effort(), Effort::High);
    assert!(
        matches!(r.response_format, Some(ResponseFormat::JsonSchema { ref name, .. }) if name == "out")
    );
    assert_eq!((r.seed, r.user.as_deref()), (Some(7), Some("u-1")));
}

#[test]
fn encode_then_decode_keeps_the_conversation() {
    let r = decode(full_request()).unwrap();
    let encoded: Value = serde_json::from_slice(&encode_request(&r)).unwrap();
    assert_eq!(
        encoded["messages"][0],
        json!({"role": "system", "content": "Be terse.\n\nUse tools."})
    );
    assert_eq!(encoded["messages"][3]["role"], "tool");
    assert_eq!(
        encoded["messages"][5],
        json!({"role": "user", "content": "thanks"})
    );
    assert_eq!(encoded["stream_options"]["include_usage"], true);
    assert_eq!(encoded["max_completion_tokens"], 500);
    assert!(encoded.get("max_tokens").is_none());
    assert_eq!(encoded["reasoning_effort"], "high");
    let mut again = decode(encoded).unwrap();
    assert_eq!(again.system, vec!["Be terse.\n\nUse tools."]);
    again.system = r.system.clone();
    assert_eq!(again, r);
}

#[test]
fn bad_requests_name_the_field() {
    let cases = [
        (json!({"messages": []}), "model"),
        (json!({"model": "m"}), "messages: is required"),
        (
            json!({"model": "m", "messages": []}),
            "messages: must contain",
        ),
        (json!({"model": "m", "messages": "hi"}), "messages"),
        (
            json!({"model": "m", "messages": [{"role": "wizard", "content": "x"}]}),
            "messages[0]",
        ),
        (
            json!({"model": "m", "messages": [{"role": "user", "content": 5}]}),
            "messages[0]",
        ),
        (
            json!({"model": "m", "messages": [{"role": "user", "content": "x"}], "reasoning_effort": "max"}),
            "reasoning_effort",
        ),
        (
            json!({"model": "m", "messages": [{"role": "user", "content": "x"}], "temperature": "hot"}),
            "temperature",
        ),
    ];
    for (body, needle) in cases {
        let err = decode(body.clone()).unwrap_err().to_string();
        assert!(err.contains(needle), "{body} → {err}");
    }
    for body in [&b"{not json"[..], br#"{"model":"m","messages":[]} {"x":1}"#] {
        assert!(
            decode_request(body, &RequestHint::default())
                .unwrap_err()
                .to_string()
                .contains("malformed JSON"),
            "{}",
            String::from_utf8_lossy(body)
        );
    }
    // Trailing whitespace is not an error.
    assert!(
        decode_request(
            b"{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}\n ",
            &RequestHint::default()
        )
        .is_ok()
    );
}

#[test]
fn response_round_trip_with_usage_and_stop() {
    let body = json!({
        "id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": "gpt-4o",
        "choices": [{"index": 0, "finish_reason": "tool_calls", "message": {"role": "assistant", "content": "ok",
            "reasoning_content": "hmm",
            "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{\"a\":1}"}}]}}],
        "usage": {"prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120,
                  "prompt_tokens_details": {"cached_tokens": 40}, "completion_tokens_details": {"reasoning_tokens": 5}}
    });
    let r = decode_response(body.to_string().as_bytes()).unwrap();
    assert_eq!(r.stop, StopReason::ToolUse);
    assert_eq!(
        r.usage,
        Usage {
            input_tokens: 100,
            output_tokens: 20,
            cached_tokens: 40,
            cache_write_tokens: 0,
            reasoning_tokens: 5
        }
    );
    let ctx = ClientContext {
        model: "openai/gpt-4o".into(),
        created: 9,
        ..ClientContext::default()
    };
    let out: Value = serde_json::from_slice(&encode_response(&r, &ctx)).unwrap();
    assert_eq!(out["model"], "openai/gpt-4o");
    assert_eq!(out["id"], "chatcmpl-1");
    assert_eq!(
        out["choices"][0]["message"]["tool_calls"][0]["function"]["arguments"],
        "{\"a\":1}"
    );
    assert_eq!(out["usage"]["prompt_tokens_details"]["cached_tokens"], 40);
    assert_eq!(
        decode_response(&serde_json::to_vec(&out).unwrap())
            .unwrap()
            .parts,
        r.parts
    );
    for (reason, stop) in [
        ("stop", StopReason::EndTurn),
        ("length", StopReason::MaxTokens),
        ("content_filter", StopReason::ContentFilter),
    ] {
        let body = json!({"choices": [{"message": {"content": "x"}, "finish_reason": reason}]});
        assert_eq!(
            decode_response(body.to_string().as_bytes()).unwrap().stop,
            stop
        );
    }
}

#[test]
fn errors_both_ways() {
    let e = decode_error(429, br#"{"error":{"message":"slow down","type":"rate_limit_error","param":null,"code":"rate_limit_exceeded"}}"#);
    assert_eq!(
        (e.kind, e.status, e.message.as_str()),
        (ErrorKind::RateLimited, 429, "slow down")
    );
    let e = decode_error(502, b"<html>Bad Gateway</html>");
    assert_eq!(e.message, "<html>Bad Gateway</html>");
    let body: Value = serde_json::from_slice(&encode_error(
        &ErrorInfo::invalid("bad").with_param("messages"),
    ))
    .unwrap();
    assert_eq!(
        body,
        json!({"error": {"message": "bad", "type": "invalid_request_error", "param": "messages", "code": null}})
    );
}

fn sse_events(bytes: &[u8]) -> Vec<SseEvent> {
    let mut parser = SseParser::new();
    let mut out = Vec::new();
    parser.push(bytes, &mut out);
    parser.finish(&mut out);
    out
}

const UPSTREAM: &str = concat!(
    "data: {\"id\":\"chatcmpl-9\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"gpt-4o\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"finish_reason\":null}]}\n\n",
    "data: {\"id\":\"chatcmpl-9\",\"choices\":[{\"index\":0,\"delta\":{\"reasoning_content\":\"think\"}}]}\n\n",
    "data: {\"id\":\"chatcmpl-9\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi\"}}]}\n\n",
    "data: {\"id\":\"chatcmpl-9\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"call_1\",\"type\":\"function\",\"function\":{\"name\":\"f\",\"arguments\":\"\"}}]}}]}\n\n",
    "data: {\"id\":\"chatcmpl-9\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":1,\"id\":\"call_2\",\"type\":\"function\",\"function\":{\"name\":\"g\",\"arguments\":\"{}\"}}]}}]}\n\n",
    "data: {\"id\":\"chatcmpl-9\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"{\\\"a\\\":\"}}]}}]}\n\n",
    "data: {\"id\":\"chatcmpl-9\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"1}\"}}]}}]}\n\n",
    "data: {\"id\":\"chatcmpl-9\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"tool_calls\"}]}\n\n",
    "data: {\"id\":\"chatcmpl-9\",\"choices\":[],\"usage\":{\"prompt_tokens\":10,\"completion_tokens\":5,\"total_tokens\":15}}\n\n",
    "data: [DONE]\n\n",
);

#[test]
fn decodes_an_upstream_stream() {
    let mut decoder = Decoder::default();
    let mut events = Vec::new();
    for e in sse_events(UPSTREAM.as_bytes()) {
        decoder.decode(&e, &mut events);
    }
    assert!(decoder.is_complete());
    assert_eq!(
        events,
        vec![
            StreamEvent::Start {
                id: "chatcmpl-9".into(),
                model: "gpt-4o".into()
            },
            StreamEvent::ThinkingDelta("think".into()),
            StreamEvent::TextDelta("Hi".into()),
            StreamEvent::ToolCallStart {
                index: 0,
                id: "call_1".into(),
                name: "f".into(),
                kind: ToolKind::Function,
                signature: None
            },
            StreamEvent::ToolCallStart {
                index: 1,
                id: "call_2".into(),
                name: "g".into(),
                kind: ToolKind::Function,
                signature: None
            },
            StreamEvent::ToolCallDelta {
                index: 1,
                fragment: "{}".into()
            },
            StreamEvent::ToolCallDelta {
                index: 0,
                fragment: "{\"a\":".into()
            },
            StreamEvent::ToolCallDelta {
                index: 0,
                fragment: "1}".into()
            },
            StreamEvent::Stop(StopReason::ToolUse),
            StreamEvent::Usage(Usage {
                input_tokens: 10,
                output_tokens: 5,
                ..Usage::default()
            }),
        ]
    );
}

#[test]
fn encodes_the_exact_grammar_and_round_trips() {
    let mut decoder = Decoder::default();
    let mut events = Vec::new();
    for e in sse_events(UPSTREAM.as_bytes()) {
        decoder.decode(&e, &mut events);
    }
    let ctx = ClientContext {
        model: "alias".into(),
        created: 5,
        include_usage: true,
        ..ClientContext::default()
    };
    let mut encoder = Encoder::new(ctx);
    let mut out = Vec::new();
    for e in &events {
        encoder.encode(e, &mut out);
    }
    encoder.finish(&mut out);
    encoder.finish(&mut out);
    let written = sse_events(&out);
    assert_eq!(written.last().unwrap().data, "[DONE]");
    assert_eq!(written.iter().filter(|e| e.data == "[DONE]").count(), 1);
    let chunks: Vec<Value> = written[..written.len() - 1]
        .iter()
        .map(|e| serde_json::from_str(&e.data).unwrap())
        .collect();
    assert!(chunks.iter().all(|c| c["object"] == "chat.completion.chunk"
        && c["model"] == "alias"
        && c["id"] == "chatcmpl-9"));
    assert_eq!(
        chunks[0]["choices"][0]["delta"],
        json!({"role": "assistant", "content": ""})
    );
    let usage_chunk = chunks.last().unwrap();
    assert_eq!(usage_chunk["choices"], json!([]));
    assert_eq!(usage_chunk["usage"]["total_tokens"], 15);
    assert_eq!(
        chunks[chunks.len() - 2]["choices"][0]["finish_reason"],
        "tool_calls"
    );

    let mut again = Decoder::default();
    let mut events_again = Vec::new();
    for e in &written {
        again.decode(e, &mut events_again);
    }
    assert_eq!(events_again[1..], events[1..]);
}

#[test]
fn errors_end_the_stream_and_garbage_never_panics() {
    let mut encoder = Encoder::new(ClientContext::default());
    let mut out = Vec::new();
    encoder.encode(&StreamEvent::TextDelta("par".into()), &mut out);
    encoder.encode(
        &StreamEvent::Error(ErrorInfo::new(ErrorKind::Overloaded, "upstream overloaded")),
        &mut out,
    );
    encoder.encode(&StreamEvent::TextDelta("tial".into()), &mut out);
    encoder.finish(&mut out);
    let written = sse_events(&out);
    let last: Value = serde_json::from_str(&written.last().unwrap().data).unwrap();
    assert_eq!(last["error"]["message"], "upstream overloaded");
    assert!(!written.iter().any(|e| e.data == "[DONE]"));

    let mut decoder = Decoder::default();
    let mut events = Vec::new();
    for data in [
        "{",
        "[1,2]",
        "null",
        "{\"choices\":[{\"delta\":{\"tool_calls\":[{\"function\":null}]}}]}",
        "{\"error\":{\"message\":\"boom\"}}",
    ] {
        decoder.decode(
            &SseEvent {
                event: None,
                data: data.into(),
            },
            &mut events,
        );
    }
    assert!(matches!(events.last(), Some(StreamEvent::Error(e)) if e.message == "boom"));
    assert!(!decoder.is_complete());
}
