//! Tests of the Anthropic stream decoder and encoder, and garbage input anywhere.

use serde_json::{Value, json};

use super::tests::ctx;
use super::*;
use crate::RequestHint;
use crate::ir::{ErrorInfo, ErrorKind, StopReason, StreamEvent as E, ToolKind, Usage};
use crate::sse::{SseEvent, SseParser};

// ---------------------------------------------------------------------------------------------
// Streams.

fn upstream_stream() -> String {
    let events = [
        (
            "message_start",
            json!({"type": "message_start", "message": {"id": "msg_s", "type": "message", "role": "assistant", "model": "claude-x", "content": [], "stop_reason": null, "stop_sequence": null, "usage": {"input_tokens": 12, "output_tokens": 1, "cache_read_input_tokens": 50, "cache_creation_input_tokens": 3}}}),
        ),
        ("ping", json!({"type": "ping"})),
        (
            "content_block_start",
            json!({"type": "content_block_start", "index": 0, "content_block": {"type": "thinking", "thinking": "", "signature": ""}}),
        ),
        (
            "content_block_delta",
            json!({"type": "content_block_delta", "index": 0, "delta": {"type": "thinking_delta", "thinking": "Let me "}}),
        ),
        (
            "content_block_delta",
            json!({"type": "content_block_delta", "index": 0, "delta": {"type": "thinking_delta", "thinking": "think"}}),
        ),
        (
            "content_block_delta",
            json!({"type": "content_block_delta", "index": 0, "delta": {"type": "signature_delta", "signature": "SIG=="}}),
        ),
        (
            "content_block_stop",
            json!({"type": "content_block_stop", "index": 0}),
        ),
        (
            "content_block_start",
            json!({"type": "content_block_start", "index": 1, "content_block": {"type": "text", "text": ""}}),
        ),
        (
            "content_block_delta",
            json!({"type": "content_block_delta", "index": 1, "delta": {"type": "text_delta", "text": "Hi\nthere"}}),
        ),
        (
            "content_block_delta",
            json!({"type": "content_block_delta", "index": 1, "delta": {"type": "citations_delta", "citation": {}}}),
        ),
        (
            "content_block_stop",
            json!({"type": "content_block_stop", "index": 1}),
        ),
        (
            "content_block_start",
            json!({"type": "content_block_start", "index": 2, "content_block": {"type": "server_tool_use", "id": "srv", "name": "web_search", "input": {}}}),
        ),
        (
            "content_block_delta",
            json!({"type": "content_block_delta", "index": 2, "delta": {"type": "input_json_delta", "partial_json": "{\"query\":1}"}}),
        ),
        (
            "content_block_stop",
            json!({"type": "content_block_stop", "index": 2}),
        ),
        (
            "content_block_start",
            json!({"type": "content_block_start", "index": 3, "content_block": {"type": "tool_use", "id": "toolu_1", "name": "f", "input": {}}}),
        ),
        (
            "content_block_delta",
            json!({"type": "content_block_delta", "index": 3, "delta": {"type": "input_json_delta", "partial_json": ""}}),
        ),
        (
            "content_block_delta",
            json!({"type": "content_block_delta", "index": 3, "delta": {"type": "input_json_delta", "partial_json": "{\"a\":"}}),
        ),
        (
            "content_block_delta",
            json!({"type": "content_block_delta", "index": 3, "delta": {"type": "input_json_delta", "partial_json": "1}"}}),
        ),
        (
            "content_block_stop",
            json!({"type": "content_block_stop", "index": 3}),
        ),
        (
            "content_block_start",
            json!({"type": "content_block_start", "index": 4, "content_block": {"type": "tool_use", "id": "toolu_2", "name": "g", "input": {}}}),
        ),
        (
            "content_block_delta",
            json!({"type": "content_block_delta", "index": 4, "delta": {"type": "input_json_delta", "partial_json": "{}"}}),
        ),
        (
            "content_block_stop",
            json!({"type": "content_block_stop", "index": 4}),
        ),
        (
            "message_delta",
            json!({"type": "message_delta", "delta": {"stop_reason": "tool_use", "stop_sequence": null}, "usage": {"output_tokens": 77}}),
        ),
        ("message_stop", json!({"type": "message_stop"})),
    ];
    events
        .iter()
        .map(|(name, data)| format!("event: {name}\ndata: {data}\n\n"))
        .collect()
}

fn decode_stream(bytes: &[u8], piece: usize) -> (Vec<E>, bool) {
    let mut parser = SseParser::new();
    let mut sse = Vec::new();
    for chunk in bytes.chunks(piece) {
        parser.push(chunk, &mut sse);
    }
    parser.finish(&mut sse);
    let mut decoder = Decoder::default();
    let mut out = Vec::new();
    for event in &sse {
        decoder.decode(event, &mut out);
    }
    (out, decoder.is_complete())
}

#[test]
fn decodes_a_realistic_stream_in_any_split() {
    let text = upstream_stream();
    let expected = vec![
        E::Start {
            id: "msg_s".into(),
            model: "claude-x".into(),
        },
        E::Usage(Usage {
            input_tokens: 65,
            cached_tokens: 50,
            cache_write_tokens: 3,
            ..Usage::default()
        }),
        E::ThinkingDelta("Let me ".into()),
        E::ThinkingDelta("think".into()),
        E::ThinkingSignature("SIG==".into()),
        E::TextDelta("Hi\nthere".into()),
        E::ToolCallStart {
            index: 0,
            id: "toolu_1".into(),
            name: "f".into(),
            kind: ToolKind::Function,
            signature: None,
        },
        E::ToolCallDelta {
            index: 0,
            fragment: "{\"a\":".into(),
        },
        E::ToolCallDelta {
            index: 0,
            fragment: "1}".into(),
        },
        E::ToolCallStart {
            index: 1,
            id: "toolu_2".into(),
            name: "g".into(),
            kind: ToolKind::Function,
            signature: None,
        },
        E::ToolCallDelta {
            index: 1,
            fragment: "{}".into(),
        },
        E::Usage(Usage {
            input_tokens: 65,
            output_tokens: 77,
            cached_tokens: 50,
            cache_write_tokens: 3,
            reasoning_tokens: 0,
        }),
        E::Stop(StopReason::ToolUse),
    ];
    for piece in [1, 3, 17, 100_000] {
        let (events, complete) = decode_stream(text.as_bytes(), piece);
        assert_eq!(events, expected, "piece {piece}");
        assert!(complete);
    }
    // Cut before message_stop: not complete.
    let cut = text.find("event: message_stop").unwrap();
    assert!(!decode_stream(&text.as_bytes()[..cut], 7).1);
}

#[test]
fn decodes_stream_errors_and_garbage() {
    let mut d = Decoder::default();
    let mut out = Vec::new();
    d.decode(
        &SseEvent {
            event: Some("error".into()),
            data: r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#
                .into(),
        },
        &mut out,
    );
    assert_eq!(
        out,
        vec![E::Error(ErrorInfo::new(
            ErrorKind::Overloaded,
            "Overloaded"
        ))]
    );
    assert!(!d.is_complete());
    for (kind, name) in [
        (ErrorKind::RateLimited, "rate_limit_error"),
        (ErrorKind::Server, "api_error"),
        (ErrorKind::Server, "mystery"),
    ] {
        let mut d = Decoder::default();
        let mut out = Vec::new();
        d.decode(
            &SseEvent {
                event: None,
                data: json!({"type": "error", "error": {"type": name, "message": "m"}}).to_string(),
            },
            &mut out,
        );
        assert!(matches!(&out[0], E::Error(e) if e.kind == kind));
    }
    let mut d = Decoder::default();
    let mut out = Vec::new();
    d.decode(
        &SseEvent {
            event: None,
            data: "{not json".into(),
        },
        &mut out,
    );
    assert!(
        matches!(&out[..], [E::Error(e)] if e.kind == ErrorKind::Server && e.message.contains("unparsable"))
    );
    d.decode(
        &SseEvent {
            event: None,
            data: r#"{"type":"message_stop"}"#.into(),
        },
        &mut out,
    );
    assert_eq!(out.len(), 1, "nothing after an error");
    // Unknown events are tolerated; a delta before any start synthesizes Start.
    let mut d = Decoder::default();
    let mut out = Vec::new();
    d.decode(
        &SseEvent {
            event: None,
            data: r#"{"type":"brand_new_event","x":1}"#.into(),
        },
        &mut out,
    );
    d.decode(&SseEvent { event: None, data: r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"x"}}"#.into() }, &mut out);
    assert_eq!(
        out,
        vec![
            E::Start {
                id: String::new(),
                model: String::new()
            },
            E::TextDelta("x".into())
        ]
    );
}

/// Parses encoder output into (event name, data JSON) pairs, checking the framing.
fn sse_of(bytes: &[u8]) -> Vec<(String, Value)> {
    let mut parser = SseParser::new();
    let mut events = Vec::new();
    parser.push(bytes, &mut events);
    parser.finish(&mut events);
    events
        .into_iter()
        .map(|e| {
            let data: Value = serde_json::from_str(&e.data).unwrap();
            let name = e.event.unwrap();
            assert_eq!(data["type"], name.as_str());
            (name, data)
        })
        .collect()
}

/// Checks Anthropic's grammar: message_start first, blocks open/close in order with
/// consecutive indices, deltas only inside the open block, message_delta then message_stop.
fn check_grammar(events: &[(String, Value)]) {
    assert_eq!(events[0].0, "message_start");
    let m = &events[0].1["message"];
    assert!(m["id"].as_str().unwrap().starts_with("msg_"));
    assert_eq!(
        (m["type"].as_str(), m["role"].as_str(), m["content"].clone()),
        (Some("message"), Some("assistant"), json!([]))
    );
    assert!(m["stop_reason"].is_null() && m["usage"]["input_tokens"].is_u64());
    let mut open: Option<u64> = None;
    let mut next = 0;
    for (name, data) in &events[1..] {
        match name.as_str() {
            "content_block_start" => {
                assert!(open.is_none(), "block opened while another is open");
                assert_eq!(data["index"], next);
                open = Some(next);
                next += 1;
            }
            "content_block_delta" => assert_eq!(data["index"].as_u64(), open),
            "content_block_stop" => {
                assert_eq!(data["index"].as_u64(), open);
                open = None;
            }
            "message_delta" | "message_stop" | "error" => {
                assert!(open.is_none() || name == "error")
            }
            other => panic!("unexpected event {other}"),
        }
    }
    assert!(next > 0, "at least one block");
    let n = events.len();
    if events[n - 1].0 != "error" {
        assert_eq!(events[n - 2].0, "message_delta");
        assert_eq!(events[n - 1].0, "message_stop");
    }
}

fn encode_all(events: &[E]) -> Vec<u8> {
    let mut enc = Encoder::new(ctx());
    let mut out = Vec::new();
    for e in events {
        enc.encode(e, &mut out);
    }
    enc.finish(&mut out);
    let len = out.len();
    enc.finish(&mut out);
    assert_eq!(out.len(), len, "finish is idempotent");
    out
}

#[test]
fn encodes_the_exact_event_grammar() {
    let (ir_events, _) = decode_stream(upstream_stream().as_bytes(), 1000);
    let bytes = encode_all(&ir_events);
    let events = sse_of(&bytes);
    check_grammar(&events);
    let names: Vec<&str> = events.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "message_start",
            "content_block_start",
            "content_block_delta",
            "content_block_delta",
            "content_block_delta",
            "content_block_stop",
            "content_block_start",
            "content_block_delta",
            "content_block_stop",
            "content_block_start",
            "content_block_delta",
            "content_block_delta",
            "content_block_stop",
            "content_block_start",
            "content_block_delta",
            "content_block_stop",
            "message_delta",
            "message_stop"
        ]
    );
    assert_eq!(events[0].1["message"]["id"], "msg_s");
    assert_eq!(events[0].1["message"]["model"], "claude-client");
    assert_eq!(events[0].1["message"]["usage"]["input_tokens"], 12);
    assert_eq!(
        events[0].1["message"]["usage"]["cache_read_input_tokens"],
        50
    );
    assert_eq!(
        events[1].1["content_block"],
        json!({"type": "thinking", "thinking": "", "signature": ""})
    );
    assert_eq!(
        events[4].1["delta"],
        json!({"type": "signature_delta", "signature": "SIG=="})
    );
    assert_eq!(
        events[13].1["content_block"],
        json!({"type": "tool_use", "id": "toolu_2", "name": "g", "input": {}})
    );
    assert_eq!(
        events[16].1,
        json!({"type": "message_delta", "delta": {"stop_reason": "tool_use", "stop_sequence": null},
               "usage": {"input_tokens": 12, "output_tokens": 77, "cache_read_input_tokens": 50, "cache_creation_input_tokens": 3}})
    );
    // Round trip: decoding what we wrote gives the same IR events (model is the client's).
    let (again, complete) = decode_stream(&bytes, 5);
    assert!(complete);
    let mut expected = ir_events.clone();
    expected[0] = E::Start {
        id: "msg_s".into(),
        model: "claude-client".into(),
    };
    assert_eq!(again, expected);
}

#[test]
fn encoder_holds_message_start_for_usage_and_handles_edge_cases() {
    // Usage arriving after Stop (OpenAI order) still lands in message_delta.
    let bytes = encode_all(&[
        E::Start {
            id: "chatcmpl-1".into(),
            model: "gpt".into(),
        },
        E::Usage(Usage {
            input_tokens: 9,
            cached_tokens: 4,
            ..Usage::default()
        }),
        E::TextDelta("a".into()),
        E::Stop(StopReason::MaxTokens),
        E::Usage(Usage {
            input_tokens: 9,
            output_tokens: 3,
            cached_tokens: 4,
            ..Usage::default()
        }),
    ]);
    let events = sse_of(&bytes);
    check_grammar(&events);
    assert_eq!(events[0].1["message"]["id"], "msg_chatcmpl-1");
    assert_eq!(events[0].1["message"]["usage"]["input_tokens"], 5);
    let delta = &events[events.len() - 2].1;
    assert_eq!(delta["delta"]["stop_reason"], "max_tokens");
    assert_eq!(delta["usage"]["output_tokens"], 3);

    // No content at all: one empty text block.
    let events = sse_of(&encode_all(&[E::Start {
        id: "x".into(),
        model: "m".into(),
    }]));
    check_grammar(&events);
    assert_eq!(
        events[1].1["content_block"],
        json!({"type": "text", "text": ""})
    );
    assert_eq!(events[3].1["delta"]["stop_reason"], "end_turn");

    // Signature without thinking text, redacted thinking, custom tool wrapping, no Stop.
    let bytes = encode_all(&[
        E::ThinkingSignature("S".into()),
        E::ThinkingDelta("after".into()),
        E::RedactedThinking("R".into()),
        E::ToolCallStart {
            index: 0,
            id: "call_9".into(),
            name: "apply_patch".into(),
            kind: ToolKind::Custom,
            signature: None,
        },
        E::ToolCallDelta {
            index: 0,
            fragment: "line \"1\"\n".into(),
        },
        E::ToolCallDelta {
            index: 7,
            fragment: "ignored".into(),
        },
        E::ToolCallDelta {
            index: 0,
            fragment: "end".into(),
        },
    ]);
    let events = sse_of(&bytes);
    check_grammar(&events);
    assert_eq!(
        events[2].1["delta"],
        json!({"type": "signature_delta", "signature": "S"})
    );
    assert_eq!(
        events[4].1["content_block"]["type"], "thinking",
        "new block after a signature"
    );
    assert_eq!(
        events[7].1["content_block"],
        json!({"type": "redacted_thinking", "data": "R"})
    );
    let json_text: String = events
        .iter()
        .filter(|(_, d)| d["delta"]["type"] == "input_json_delta")
        .map(|(_, d)| d["delta"]["partial_json"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        serde_json::from_str::<Value>(&json_text).unwrap(),
        json!({"input": "line \"1\"\nend"})
    );
    assert_eq!(
        events[events.len() - 2].1["delta"]["stop_reason"],
        "tool_use"
    );
}

#[test]
fn encoder_error_ends_the_stream() {
    let mut enc = Encoder::new(ctx());
    let mut out = Vec::new();
    enc.encode(&E::TextDelta("part".into()), &mut out);
    enc.encode(
        &E::Error(ErrorInfo::new(ErrorKind::Overloaded, "busy")),
        &mut out,
    );
    enc.encode(&E::TextDelta("more".into()), &mut out);
    enc.finish(&mut out);
    let events = sse_of(&out);
    let last = events.last().unwrap();
    assert_eq!(last.0, "error");
    assert_eq!(
        last.1,
        json!({"type": "error", "error": {"type": "overloaded_error", "message": "busy"}})
    );
    assert_eq!(events.len(), 4, "start, block start, delta, error");

    // An error before anything still starts with message_start.
    let mut enc = Encoder::new(ctx());
    let mut out = Vec::new();
    enc.encode(
        &E::Error(ErrorInfo::new(ErrorKind::RateLimited, "slow")),
        &mut out,
    );
    enc.finish(&mut out);
    let names: Vec<String> = sse_of(&out).into_iter().map(|(n, _)| n).collect();
    assert_eq!(names, ["message_start", "error"]);
}

#[test]
fn garbage_never_panics() {
    let inputs: Vec<&[u8]> = vec![
        b"", b"null", b"[]", b"{}", b"\"x\"", b"{\"messages\":{}}", b"\xff\xfe",
        br#"{"model":"m","max_tokens":-1,"messages":[]}"#,
        br#"{"model":"m","max_tokens":99999999999,"messages":[{"role":"user","content":[{"type":"image","source":{}}]}]}"#,
        br#"{"model":"m","max_tokens":1,"messages":[{"role":"user","content":[{}]}]}"#,
        br#"{"model":"m","max_tokens":1,"messages":[{"role":"user","content":[{"type":"tool_result","content":7}]}]}"#,
        br#"{"content":[{"type":"tool_use","input":"str"}],"usage":{"input_tokens":"x"}}"#,
    ];
    for input in &inputs {
        let _ = decode_request(input, &RequestHint::default());
        let _ = decode_response(input);
        let _ = decode_error(500, input);
        let mut d = Decoder::default();
        let mut out = Vec::new();
        d.decode(
            &SseEvent {
                event: None,
                data: String::from_utf8_lossy(input).into_owned(),
            },
            &mut out,
        );
    }
    let r = decode_request(
        br#"{"model":"m","max_tokens":99999999999,"messages":[]}"#,
        &RequestHint::default(),
    )
    .unwrap();
    assert_eq!(r.max_output_tokens, Some(u32::MAX));
    let _ = encode_request(&r);
    // Stray encoder inputs.
    let _ = encode_all(&[
        E::ToolCallDelta {
            index: 3,
            fragment: "x".into(),
        },
        E::Stop(StopReason::EndTurn),
        E::TextDelta("late".into()),
        E::Usage(Usage {
            input_tokens: 1,
            cached_tokens: 5,
            ..Usage::default()
        }),
    ]);
}
