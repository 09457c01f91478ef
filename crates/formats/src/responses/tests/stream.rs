//! Stream decoding: a realistic upstream stream in any chunking, items known only from their
//! done events, failures and unparsable data.

use serde_json::{Value, json};

use crate::accumulate::Accumulator;
use crate::ir::{StreamEvent as E, *};
use crate::responses::{Decoder, decode_response};
use crate::sse::{SseEvent, SseParser, write_event};

/// A realistic upstream stream: reasoning with two summary parts, a message, a function call
/// and a custom tool call, ending with `response.completed`.
pub(super) fn upstream_stream() -> (Vec<u8>, Value) {
    let final_response = json!({
        "id": "resp_up", "object": "response", "created_at": 1, "status": "completed",
        "model": "gpt-5", "output": [
            {"type": "reasoning", "id": "rs_1", "summary": [
                {"type": "summary_text", "text": "Think"}, {"type": "summary_text", "text": "More"}],
             "encrypted_content": "ENC"},
            {"type": "message", "id": "msg_1", "status": "completed", "role": "assistant",
             "content": [{"type": "output_text", "text": "Hello there", "annotations": []}]},
            {"type": "function_call", "id": "fc_1", "call_id": "call_1", "name": "shell",
             "arguments": "{\"cmd\":\"ls\"}", "status": "completed"},
            {"type": "custom_tool_call", "id": "ctc_1", "call_id": "call_2", "name": "apply_patch",
             "input": "*** Begin Patch"}
        ],
        "usage": {"input_tokens": 30, "input_tokens_details": {"cached_tokens": 10},
                  "output_tokens": 20, "output_tokens_details": {"reasoning_tokens": 5},
                  "total_tokens": 50}
    });
    let events = vec![
        json!({"type": "response.created", "response": {"id": "resp_up", "model": "gpt-5",
               "status": "in_progress", "output": []}}),
        json!({"type": "response.in_progress", "response": {"id": "resp_up", "model": "gpt-5"}}),
        json!({"type": "response.output_item.added", "output_index": 0,
               "item": {"type": "reasoning", "id": "rs_1", "summary": []}}),
        json!({"type": "response.reasoning_summary_part.added", "item_id": "rs_1", "output_index": 0,
               "summary_index": 0, "part": {"type": "summary_text", "text": ""}}),
        json!({"type": "response.reasoning_summary_text.delta", "item_id": "rs_1", "output_index": 0,
               "summary_index": 0, "delta": "Thi"}),
        json!({"type": "response.reasoning_summary_text.delta", "item_id": "rs_1", "output_index": 0,
               "summary_index": 0, "delta": "nk"}),
        json!({"type": "response.reasoning_summary_part.done", "item_id": "rs_1", "output_index": 0,
               "summary_index": 0, "part": {"type": "summary_text", "text": "Think"}}),
        json!({"type": "response.reasoning_summary_part.added", "item_id": "rs_1", "output_index": 0,
               "summary_index": 1, "part": {"type": "summary_text", "text": ""}}),
        json!({"type": "response.reasoning_summary_text.delta", "item_id": "rs_1", "output_index": 0,
               "summary_index": 1, "delta": "More"}),
        json!({"type": "response.output_item.done", "output_index": 0,
               "item": final_response["output"][0]}),
        json!({"type": "response.output_item.added", "output_index": 1,
               "item": {"type": "message", "id": "msg_1", "status": "in_progress", "role": "assistant",
                        "content": []}}),
        json!({"type": "response.content_part.added", "item_id": "msg_1", "output_index": 1,
               "content_index": 0, "part": {"type": "output_text", "text": "", "annotations": []}}),
        json!({"type": "response.output_text.delta", "item_id": "msg_1", "output_index": 1,
               "content_index": 0, "delta": "Hello", "obfuscation": "xx", "logprobs": []}),
        json!({"type": "response.output_text.delta", "item_id": "msg_1", "output_index": 1,
               "content_index": 0, "delta": " there"}),
        json!({"type": "response.output_text.done", "item_id": "msg_1", "output_index": 1,
               "content_index": 0, "text": "Hello there"}),
        json!({"type": "response.output_item.done", "output_index": 1,
               "item": final_response["output"][1]}),
        json!({"type": "response.output_item.added", "output_index": 2,
               "item": {"type": "function_call", "id": "fc_1", "call_id": "call_1", "name": "shell",
                        "arguments": "", "status": "in_progress"}}),
        json!({"type": "response.function_call_arguments.delta", "item_id": "fc_1", "output_index": 2,
               "delta": "{\"cmd\":"}),
        json!({"type": "response.function_call_arguments.delta", "item_id": "fc_1", "output_index": 2,
               "delta": "\"ls\"}"}),
        json!({"type": "response.function_call_arguments.done", "item_id": "fc_1", "output_index": 2,
               "arguments": "{\"cmd\":\"ls\"}"}),
        json!({"type": "response.output_item.done", "output_index": 2,
               "item": final_response["output"][2]}),
        json!({"type": "response.output_item.added", "output_index": 3,
               "item": {"type": "custom_tool_call", "id": "ctc_1", "call_id": "call_2",
                        "name": "apply_patch", "input": ""}}),
        json!({"type": "response.custom_tool_call_input.delta", "item_id": "ctc_1", "output_index": 3,
               "delta": "*** Begin Patch"}),
        json!({"type": "response.custom_tool_call_input.done", "item_id": "ctc_1", "output_index": 3,
               "input": "*** Begin Patch"}),
        json!({"type": "response.output_item.done", "output_index": 3,
               "item": final_response["output"][3]}),
        json!({"type": "response.completed", "response": final_response}),
    ];
    let mut bytes = Vec::new();
    for (i, mut event) in events.into_iter().enumerate() {
        event["sequence_number"] = json!(i);
        let name = event["type"].as_str().unwrap().to_owned();
        write_event(&mut bytes, Some(&name), &event.to_string());
    }
    (bytes, final_response)
}

pub(super) fn decode_bytes(bytes: &[u8], piece: usize) -> (Vec<E>, bool) {
    let mut parser = SseParser::new();
    let mut decoder = Decoder::default();
    let mut sse = Vec::new();
    let mut out = Vec::new();
    for chunk in bytes.chunks(piece) {
        parser.push(chunk, &mut sse);
        for event in sse.drain(..) {
            decoder.decode(&event, &mut out);
        }
    }
    parser.finish(&mut sse);
    for event in sse.drain(..) {
        decoder.decode(&event, &mut out);
    }
    (out, decoder.is_complete())
}

pub(super) fn accumulate(events: &[E]) -> Response {
    let mut acc = Accumulator::new();
    events.iter().for_each(|e| acc.push(e));
    acc.finish().unwrap()
}

#[test]
fn decodes_a_realistic_stream_in_any_chunking() {
    let (bytes, final_response) = upstream_stream();
    let expected = vec![
        E::Start {
            id: "resp_up".into(),
            model: "gpt-5".into(),
        },
        E::ThinkingDelta("Thi".into()),
        E::ThinkingDelta("nk".into()),
        E::ThinkingDelta("\n\n".into()),
        E::ThinkingDelta("More".into()),
        E::ThinkingSignature("ENC".into()),
        E::TextDelta("Hello".into()),
        E::TextDelta(" there".into()),
        E::ToolCallStart {
            index: 0,
            id: "call_1".into(),
            name: "shell".into(),
            kind: ToolKind::Function,
            signature: None,
        },
        E::ToolCallDelta {
            index: 0,
            fragment: "{\"cmd\":".into(),
        },
        E::ToolCallDelta {
            index: 0,
            fragment: "\"ls\"}".into(),
        },
        E::ToolCallStart {
            index: 1,
            id: "call_2".into(),
            name: "apply_patch".into(),
            kind: ToolKind::Custom,
            signature: None,
        },
        E::ToolCallDelta {
            index: 1,
            fragment: "*** Begin Patch".into(),
        },
        E::Usage(Usage {
            input_tokens: 30,
            output_tokens: 20,
            cached_tokens: 10,
            cache_write_tokens: 0,
            reasoning_tokens: 5,
        }),
        E::Stop(StopReason::ToolUse),
    ];
    for piece in [1, 3, 17, 64, 100_000] {
        let (events, complete) = decode_bytes(&bytes, piece);
        assert_eq!(events, expected, "piece {piece}");
        assert!(complete);
    }
    // The stream folds into what the non-streamed body decodes to.
    let (events, _) = decode_bytes(&bytes, 5);
    let streamed = accumulate(&events);
    let whole = decode_response(final_response.to_string().as_bytes()).unwrap();
    assert_eq!(streamed, whole);
}

fn decode_events(events: &[Value]) -> (Vec<E>, bool) {
    let mut decoder = Decoder::default();
    let mut out = Vec::new();
    for e in events {
        decoder.decode(
            &SseEvent {
                event: None,
                data: e.to_string(),
            },
            &mut out,
        );
    }
    (out, decoder.is_complete())
}

#[test]
fn items_without_deltas_are_emitted_from_their_done_events() {
    let (events, complete) = decode_events(&[
        // No response.created: Start is synthesized.
        json!({"type": "response.output_item.added", "output_index": 0,
               "item": {"type": "function_call", "id": "fc_1", "call_id": "c1", "name": "f", "arguments": ""}}),
        json!({"type": "response.output_item.done", "output_index": 0,
               "item": {"type": "function_call", "id": "fc_1", "call_id": "c1", "name": "f", "arguments": "{}"}}),
        // A call only ever seen done.
        json!({"type": "response.output_item.done", "output_index": 1,
               "item": {"type": "function_call", "call_id": "c2", "name": "g", "arguments": "{\"x\":1}"}}),
        json!({"type": "response.output_item.done", "output_index": 2,
               "item": {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "late"}]}}),
        json!({"type": "response.incomplete", "response": {"id": "r", "status": "incomplete",
               "incomplete_details": {"reason": "max_output_tokens"}}}),
    ]);
    assert!(complete);
    assert_eq!(
        events,
        vec![
            E::Start {
                id: String::new(),
                model: String::new()
            },
            E::ToolCallStart {
                index: 0,
                id: "c1".into(),
                name: "f".into(),
                kind: ToolKind::Function,
                signature: None
            },
            E::ToolCallDelta {
                index: 0,
                fragment: "{}".into()
            },
            E::ToolCallStart {
                index: 1,
                id: "c2".into(),
                name: "g".into(),
                kind: ToolKind::Function,
                signature: None
            },
            E::ToolCallDelta {
                index: 1,
                fragment: "{\"x\":1}".into()
            },
            E::TextDelta("late".into()),
            E::Stop(StopReason::MaxTokens),
        ]
    );
}

#[test]
fn failures_and_garbage_become_error_events() {
    let (events, complete) = decode_events(&[
        json!({"type": "response.created", "response": {"id": "r", "model": "m"}}),
        json!({"type": "response.failed", "response": {"id": "r", "status": "failed",
               "error": {"code": "rate_limit_exceeded", "message": "Try again in 3s"}}}),
        json!({"type": "response.completed", "response": {"id": "r"}}),
    ]);
    assert!(!complete);
    assert_eq!(events.len(), 2);
    assert!(
        matches!(&events[1], E::Error(e) if e.kind == ErrorKind::RateLimited
        && e.message == "Try again in 3s")
    );

    let (events, _) = decode_events(&[json!({"type": "error", "code": "context_length_exceeded",
                                             "message": "too long", "param": null})]);
    assert!(matches!(&events[0], E::Error(e) if e.kind == ErrorKind::InvalidRequest));
    let (events, _) = decode_events(&[
        json!({"type": "error", "error": {"type": "server_error", "message": "nested"}}),
    ]);
    assert!(matches!(&events[0], E::Error(e) if e.message == "nested"));

    let mut decoder = Decoder::default();
    let mut out = Vec::new();
    for data in [
        "{oops",
        "42",
        "{\"type\": \"response.output_item.added\", \"item\": 7}",
    ] {
        decoder.decode(
            &SseEvent {
                event: Some("x".into()),
                data: data.into(),
            },
            &mut out,
        );
    }
    assert_eq!(out.len(), 1);
    assert!(matches!(&out[0], E::Error(e) if e.kind == ErrorKind::Server
        && e.message.contains("unparsable")));

    // `type` missing from the data: the SSE event name stands in; unknown events are ignored.
    let mut decoder = Decoder::default();
    let mut out = Vec::new();
    for (name, data) in [
        ("response.created", r#"{"response":{"id":"r","model":"m"}}"#),
        (
            "response.output_text.annotation.added",
            r#"{"annotation":{}}"#,
        ),
        (
            "response.completed",
            r#"{"response":{"id":"r","status":"completed"}}"#,
        ),
    ] {
        decoder.decode(
            &SseEvent {
                event: Some(name.into()),
                data: data.into(),
            },
            &mut out,
        );
    }
    assert!(decoder.is_complete());
    assert_eq!(out.last(), Some(&E::Stop(StopReason::EndTurn)));
}
