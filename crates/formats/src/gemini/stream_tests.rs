//! Gemini streams: decoding realistic upstream chunks in both framings split anywhere,
//! the exact grammar the encoder writes, round trips, and garbage that must not panic.

use serde_json::{Value, json};

use super::*;
use crate::ClientContext;
use crate::accumulate::{Accumulator, response_to_events};
use crate::ir::{
    ErrorInfo, ErrorKind, Part, Response, StopReason, StreamEvent as E, ToolCall, ToolKind, Usage,
};
use crate::sse::{SseEvent, SseParser};

fn chunks() -> Vec<Value> {
    vec![
        json!({"candidates": [{"content": {"role": "model", "parts": [{"text": "Thinking about ", "thought": true}]}, "index": 0}],
               "usageMetadata": {"promptTokenCount": 10, "totalTokenCount": 10}, "modelVersion": "gemini-2.5-flash", "responseId": "R1"}),
        json!({"candidates": [{"content": {"role": "model", "parts": [{"text": "it", "thought": true}]}, "index": 0}],
               "modelVersion": "gemini-2.5-flash", "responseId": "R1"}),
        json!({"candidates": [{"content": {"role": "model", "parts": [{"text": "Hé \"quoted\" {brace", "thoughtSignature": "SIG"}]}, "index": 0}],
               "modelVersion": "gemini-2.5-flash", "responseId": "R1"}),
        json!({"candidates": [{"content": {"role": "model", "parts": [
                    {"functionCall": {"name": "read", "args": {"path": "a]b}"}}, "thoughtSignature": "FS"},
                    {"functionCall": {"id": "x2", "name": "list", "args": {}}}
                ]}, "finishReason": "STOP", "index": 0}],
               "usageMetadata": {"promptTokenCount": 10, "candidatesTokenCount": 7, "thoughtsTokenCount": 3,
                   "cachedContentTokenCount": 4, "totalTokenCount": 20},
               "modelVersion": "gemini-2.5-flash", "responseId": "R1"}),
    ]
}

fn expected_events() -> Vec<E> {
    let usage = |input, output, cached, reasoning| {
        E::Usage(Usage {
            input_tokens: input,
            output_tokens: output,
            cached_tokens: cached,
            cache_write_tokens: 0,
            reasoning_tokens: reasoning,
        })
    };
    vec![
        E::Start {
            id: "R1".into(),
            model: "gemini-2.5-flash".into(),
        },
        E::ThinkingDelta("Thinking about ".into()),
        usage(10, 0, 0, 0),
        E::ThinkingDelta("it".into()),
        E::ThinkingSignature("SIG".into()),
        E::TextDelta("Hé \"quoted\" {brace".into()),
        E::ToolCallStart {
            index: 0,
            id: "call_R1_0".into(),
            name: "read".into(),
            kind: ToolKind::Function,
            signature: Some("FS".into()),
        },
        E::ToolCallDelta {
            index: 0,
            fragment: r#"{"path":"a]b}"}"#.into(),
        },
        E::ToolCallStart {
            index: 1,
            id: "x2".into(),
            name: "list".into(),
            kind: ToolKind::Function,
            signature: None,
        },
        E::ToolCallDelta {
            index: 1,
            fragment: "{}".into(),
        },
        usage(10, 10, 4, 3),
        E::Stop(StopReason::ToolUse),
    ]
}

fn decode_sse(bytes: &[u8], piece: usize) -> (Vec<E>, bool) {
    let mut parser = SseParser::new();
    let mut decoder = Decoder::default();
    let mut sse = Vec::new();
    let mut events = Vec::new();
    for chunk in bytes.chunks(piece) {
        parser.push(chunk, &mut sse);
    }
    parser.finish(&mut sse);
    for event in &sse {
        decoder.decode(event, &mut events);
    }
    (events, decoder.is_complete())
}

fn decode_array(bytes: &[u8], piece: usize) -> (Vec<E>, bool) {
    let mut parser = ArrayStreamParser::new();
    let mut decoder = Decoder::default();
    let mut elements = Vec::new();
    let mut events = Vec::new();
    for chunk in bytes.chunks(piece) {
        parser.push(chunk, &mut elements);
    }
    parser.finish(&mut elements);
    for element in &elements {
        decoder.decode(element, &mut events);
    }
    (events, decoder.is_complete())
}

#[test]
fn decodes_sse_chunks_split_anywhere() {
    let mut bytes = Vec::new();
    for chunk in chunks() {
        bytes.extend_from_slice(b"data: ");
        bytes.extend_from_slice(&serde_json::to_vec(&chunk).unwrap());
        bytes.extend_from_slice(b"\r\n\r\n");
    }
    for piece in [1, 2, 5, 17, 100_000] {
        let (events, complete) = decode_sse(&bytes, piece);
        assert_eq!(events, expected_events(), "piece {piece}");
        assert!(complete);
    }
    let (_, complete) = decode_sse(&bytes[..bytes.len() / 2], 7);
    assert!(!complete, "a cut stream is not complete");
}

#[test]
fn decodes_the_json_array_form_split_anywhere() {
    // Pretty-printed elements, as the upstream writes them without `alt=sse`.
    let elements: Vec<String> = chunks()
        .iter()
        .map(|c| serde_json::to_string_pretty(c).unwrap())
        .collect();
    let bytes = format!("[{}\n]", elements.join("\n,\r\n")).into_bytes();
    for piece in [1, 3, 8, 64, 100_000] {
        let (events, complete) = decode_array(&bytes, piece);
        assert_eq!(events, expected_events(), "piece {piece}");
        assert!(complete);
    }
}

#[test]
fn decodes_errors_blocks_and_garbage() {
    let mut decoder = Decoder::default();
    let mut events = Vec::new();
    let event = |data: &str| SseEvent {
        event: None,
        data: data.into(),
    };
    decoder.decode(
        &event(r#"{"candidates":[{"content":{"parts":[{"text":"hi"}]}}],"responseId":"Z"}"#),
        &mut events,
    );
    decoder.decode(
        &event(
            r#"{"error":{"code":503,"message":"The model is overloaded.","status":"UNAVAILABLE"}}"#,
        ),
        &mut events,
    );
    decoder.decode(
        &event(r#"{"candidates":[{"content":{"parts":[{"text":"late"}]}}]}"#),
        &mut events,
    );
    assert_eq!(events.len(), 3);
    assert!(
        matches!(&events[2], E::Error(e) if e.kind == ErrorKind::Unavailable && e.status == 503 && e.message == "The model is overloaded.")
    );
    assert!(!decoder.is_complete());

    let mut decoder = Decoder::default();
    let mut events = Vec::new();
    decoder.decode(&event("{\"candidates\": ["), &mut events);
    assert!(
        matches!(&events[..], [E::Error(e)] if e.kind == ErrorKind::Server && e.message.contains("Gemini stream chunk"))
    );

    let mut decoder = Decoder::default();
    let mut events = Vec::new();
    decoder.decode(
        &event(r#"{"promptFeedback":{"blockReason":"PROHIBITED_CONTENT"},"usageMetadata":{"promptTokenCount":3}}"#),
        &mut events,
    );
    assert_eq!(events.len(), 3);
    assert_eq!(events[2], E::Stop(StopReason::ContentFilter));
    assert!(decoder.is_complete());

    let garbage: Vec<&[u8]> = vec![
        b"",
        b"]]]}}}",
        b"[{\"a\":\"\\\"}\"}, {{{{",
        b"\xff\xfe[{\xff}]",
        b"[1, \"x\", null, {\"candidates\": 5}]",
        b"data: {\"candidates\":[{\"content\":{\"parts\":[{\"functionCall\":null}]}}]}\n\n",
        b"data: {\"candidates\":[{\"content\":{\"parts\":[{\"functionCall\":{}}]},\"finishReason\":7}]}\n\n",
    ];
    for input in garbage {
        for piece in [1, 4, 1000] {
            let _ = decode_array(input, piece);
            let _ = decode_sse(input, piece);
        }
    }
}

fn ctx(sse: bool) -> ClientContext {
    ClientContext {
        model: "client-model".into(),
        created: 1,
        gemini_sse: sse,
        ..ClientContext::default()
    }
}

fn ir_events() -> Vec<E> {
    vec![
        E::Start {
            id: "up-1".into(),
            model: "upstream".into(),
        },
        E::ThinkingDelta("hmm".into()),
        E::ThinkingSignature("SIG".into()),
        E::TextDelta("Hello".into()),
        E::ToolCallStart {
            index: 0,
            id: "c0".into(),
            name: "f".into(),
            kind: ToolKind::Function,
            signature: None,
        },
        E::ToolCallStart {
            index: 1,
            id: "c1".into(),
            name: "g".into(),
            kind: ToolKind::Function,
            signature: Some("GS".into()),
        },
        E::ToolCallDelta {
            index: 0,
            fragment: "{\"a\":".into(),
        },
        E::ToolCallDelta {
            index: 1,
            fragment: "{}".into(),
        },
        E::ToolCallDelta {
            index: 0,
            fragment: "1}".into(),
        },
        E::Stop(StopReason::ToolUse),
        E::Usage(Usage {
            input_tokens: 12,
            output_tokens: 9,
            cached_tokens: 2,
            cache_write_tokens: 0,
            reasoning_tokens: 4,
        }),
    ]
}

fn expected_chunks() -> Vec<Value> {
    let chunk = |parts: Value| {
        json!({"candidates": [{"content": {"role": "model", "parts": parts}, "index": 0}],
               "modelVersion": "client-model", "responseId": "up-1"})
    };
    let mut last = chunk(json!([
        {"functionCall": {"id": "c0", "name": "f", "args": {"a": 1}}},
        {"functionCall": {"id": "c1", "name": "g", "args": {}}, "thoughtSignature": "GS"}
    ]));
    last["candidates"][0]["finishReason"] = json!("STOP");
    last["usageMetadata"] = json!({"promptTokenCount": 12, "candidatesTokenCount": 5,
        "totalTokenCount": 21, "cachedContentTokenCount": 2, "thoughtsTokenCount": 4});
    vec![
        chunk(json!([{"text": "hmm", "thought": true}])),
        chunk(json!([{"text": "Hello", "thoughtSignature": "SIG"}])),
        last,
    ]
}

fn encode_all(events: &[E], sse: bool) -> Vec<u8> {
    let mut encoder = Encoder::new(ctx(sse));
    let mut out = Vec::new();
    for event in events {
        encoder.encode(event, &mut out);
    }
    encoder.finish(&mut out);
    let len = out.len();
    encoder.finish(&mut out);
    assert_eq!(out.len(), len, "finish is idempotent");
    out
}

#[test]
fn encodes_sse_with_the_exact_grammar() {
    let out = String::from_utf8(encode_all(&ir_events(), true)).unwrap();
    let frames: Vec<&str> = out.split_terminator("\r\n\r\n").collect();
    assert!(out.ends_with("\r\n\r\n"));
    let values: Vec<Value> = frames
        .iter()
        .map(|f| serde_json::from_str(f.strip_prefix("data: ").unwrap()).unwrap())
        .collect();
    assert_eq!(values, expected_chunks());
}

#[test]
fn encodes_the_json_array_form() {
    let out = String::from_utf8(encode_all(&ir_events(), false)).unwrap();
    assert!(out.starts_with("[{") && out.ends_with("}]"));
    assert_eq!(out.matches(",\r\n{\"candidates\"").count(), 2);
    let values: Vec<Value> = serde_json::from_str(&out).unwrap();
    assert_eq!(values, expected_chunks());
    assert_eq!(encode_all(&[], false), b"[{\"candidates\":[{\"content\":{\"role\":\"model\",\"parts\":[{\"text\":\"\"}]},\"finishReason\":\"STOP\",\"index\":0}],\"usageMetadata\":{\"promptTokenCount\":0,\"candidatesTokenCount\":0,\"totalTokenCount\":0},\"modelVersion\":\"client-model\",\"responseId\":\"resp-1\"}]");
}

#[test]
fn an_error_ends_the_stream_in_both_forms() {
    let error = E::Error(ErrorInfo::new(ErrorKind::Overloaded, "busy"));
    let events = [
        E::Start {
            id: "r".into(),
            model: "m".into(),
        },
        E::TextDelta("partial".into()),
        E::ToolCallStart {
            index: 0,
            id: "c".into(),
            name: "f".into(),
            kind: ToolKind::Function,
            signature: None,
        },
        error.clone(),
        E::TextDelta("ignored".into()),
    ];
    let array = String::from_utf8(encode_all(&events, false)).unwrap();
    let values: Vec<Value> = serde_json::from_str(&array).unwrap();
    assert_eq!(values.len(), 2);
    assert_eq!(
        values[1],
        json!({"error": {"code": 529, "message": "busy", "status": "UNAVAILABLE"}})
    );
    let sse = String::from_utf8(encode_all(&events, true)).unwrap();
    assert!(sse.ends_with(
        "data: {\"error\":{\"code\":529,\"message\":\"busy\",\"status\":\"UNAVAILABLE\"}}\r\n\r\n"
    ));
    assert!(!sse.contains("ignored"));
    assert_eq!(
        encode_all(&[error], false),
        b"[{\"error\":{\"code\":529,\"message\":\"busy\",\"status\":\"UNAVAILABLE\"}}]"
    );
}

#[test]
fn stream_round_trip_keeps_the_response() {
    let response = Response {
        id: "R9".into(),
        model: "client-model".into(),
        parts: vec![
            Part::Thinking {
                text: "plan".into(),
                signature: Some("S1".into()),
            },
            Part::Text("Sure.".into()),
            Part::ToolCall(ToolCall {
                id: "a".into(),
                name: "f".into(),
                arguments: "{\"x\":[1,2]}".into(),
                kind: ToolKind::Function,
                signature: Some("S2".into()),
            }),
            Part::ToolCall(ToolCall {
                id: "b".into(),
                name: "g".into(),
                arguments: "{}".into(),
                kind: ToolKind::Function,
                signature: None,
            }),
        ],
        stop: StopReason::ToolUse,
        usage: Usage {
            input_tokens: 30,
            output_tokens: 20,
            cached_tokens: 10,
            cache_write_tokens: 0,
            reasoning_tokens: 5,
        },
    };
    for sse in [true, false] {
        let bytes = encode_all(&response_to_events(&response), sse);
        let (events, complete) = if sse {
            decode_sse(&bytes, 3)
        } else {
            decode_array(&bytes, 3)
        };
        assert!(complete);
        let mut acc = Accumulator::new();
        events.iter().for_each(|e| acc.push(e));
        assert_eq!(acc.finish().unwrap(), response, "sse {sse}");
    }
}
