//! Stream encoding: the exact event grammar, errors, and encode → decode round trips.

use serde_json::{Value, json};

use super::parse_sse;
use super::stream::{accumulate, decode_bytes, upstream_stream};
use crate::ClientContext;
use crate::accumulate::response_to_events;
use crate::ir::{StreamEvent as E, *};
use crate::responses::{Encoder, decode_response};

fn ctx() -> ClientContext {
    ClientContext {
        model: "client-model".into(),
        created: 42,
        custom_tools: vec!["apply_patch".into()],
        namespaced: Vec::new(),
        ..ClientContext::default()
    }
}

fn encode_all(events: &[E]) -> Vec<(String, Value)> {
    let mut encoder = Encoder::new(ctx());
    let mut out = Vec::new();
    for e in events {
        encoder.encode(e, &mut out);
    }
    encoder.finish(&mut out);
    let len = out.len();
    encoder.finish(&mut out);
    assert_eq!(out.len(), len, "finish is idempotent");
    parse_sse(&out)
}

fn ir_events() -> Vec<E> {
    vec![
        E::Start {
            id: "msg_01abc".into(),
            model: "claude".into(),
        },
        E::ThinkingDelta("Let me ".into()),
        E::ThinkingDelta("think".into()),
        E::ThinkingSignature("SIG".into()),
        E::TextDelta("Hi".into()),
        E::TextDelta("!".into()),
        E::ToolCallStart {
            index: 0,
            id: "toolu_1".into(),
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
            id: "toolu_2".into(),
            name: "apply_patch".into(),
            kind: ToolKind::Function,
            signature: None,
        },
        E::ToolCallDelta {
            index: 1,
            fragment: "{\"input\":\"*** Begin".into(),
        },
        E::ToolCallDelta {
            index: 1,
            fragment: " Patch\"}".into(),
        },
        E::Stop(StopReason::ToolUse),
        // Usage after Stop, as OpenAI Chat upstreams send it.
        E::Usage(Usage {
            input_tokens: 12,
            output_tokens: 8,
            cached_tokens: 2,
            cache_write_tokens: 0,
            reasoning_tokens: 3,
        }),
    ]
}

#[test]
fn encodes_the_exact_event_grammar() {
    let events = encode_all(&ir_events());
    let names: Vec<&str> = events.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        vec![
            "response.created",
            "response.in_progress",
            "response.output_item.added",
            "response.reasoning_summary_part.added",
            "response.reasoning_summary_text.delta",
            "response.reasoning_summary_text.delta",
            "response.reasoning_summary_text.done",
            "response.reasoning_summary_part.done",
            "response.output_item.done",
            "response.output_item.added",
            "response.content_part.added",
            "response.output_text.delta",
            "response.output_text.delta",
            "response.output_text.done",
            "response.content_part.done",
            "response.output_item.done",
            "response.output_item.added",
            "response.function_call_arguments.delta",
            "response.function_call_arguments.delta",
            "response.function_call_arguments.done",
            "response.output_item.done",
            "response.output_item.added",
            "response.custom_tool_call_input.delta",
            "response.custom_tool_call_input.done",
            "response.output_item.done",
            "response.completed",
        ]
    );
    for (i, (name, data)) in events.iter().enumerate() {
        assert_eq!(data["type"], json!(name), "{name}");
        assert_eq!(data["sequence_number"], json!(i), "{name}");
    }
    let data = |i: usize| &events[i].1;
    assert_eq!(data(0)["response"]["id"], "resp_msg_01abc");
    assert_eq!(data(0)["response"]["status"], "in_progress");
    assert_eq!(data(0)["response"]["model"], "client-model");
    assert_eq!(data(0)["response"]["output"], json!([]));
    assert_eq!(
        data(2)["item"],
        json!({"type": "reasoning", "id": "rs_msg_01abc_0", "summary": []})
    );
    assert_eq!(data(4)["item_id"], "rs_msg_01abc_0");
    assert_eq!(data(4)["summary_index"], 0);
    assert_eq!(
        data(8)["item"],
        json!({"type": "reasoning", "id": "rs_msg_01abc_0",
               "summary": [{"type": "summary_text", "text": "Let me think"}], "encrypted_content": "SIG"})
    );
    assert_eq!(
        data(9)["item"],
        json!({"type": "message", "id": "msg_msg_01abc_1", "status": "in_progress",
               "role": "assistant", "content": []})
    );
    assert_eq!(
        data(11),
        &json!({"type": "response.output_text.delta", "item_id": "msg_msg_01abc_1", "output_index": 1,
                "content_index": 0, "delta": "Hi", "logprobs": [], "sequence_number": 11})
    );
    assert_eq!(data(13)["text"], "Hi!");
    assert_eq!(data(14)["part"]["text"], "Hi!");
    assert_eq!(
        data(16)["item"],
        json!({"type": "function_call", "id": "fc_msg_01abc_2", "call_id": "toolu_1",
               "name": "shell", "arguments": "", "status": "in_progress"})
    );
    assert_eq!(data(17)["item_id"], "fc_msg_01abc_2");
    assert_eq!(data(17)["output_index"], 2);
    assert_eq!(data(19)["arguments"], "{\"cmd\":\"ls\"}");
    assert_eq!(data(20)["item"]["arguments"], "{\"cmd\":\"ls\"}");
    assert_eq!(data(20)["item"]["status"], "completed");
    assert_eq!(
        data(21)["item"],
        json!({"type": "custom_tool_call", "id": "ctc_msg_01abc_3", "call_id": "toolu_2",
               "name": "apply_patch", "input": "", "status": "in_progress"})
    );
    assert_eq!(data(22)["delta"], "*** Begin Patch");
    assert_eq!(data(23)["input"], "*** Begin Patch");
    assert_eq!(data(24)["item"]["input"], "*** Begin Patch");
    let completed = &data(25)["response"];
    assert_eq!(completed["status"], "completed");
    assert_eq!(completed["id"], "resp_msg_01abc");
    assert_eq!(completed["output"].as_array().unwrap().len(), 4);
    assert_eq!(completed["output"][3], data(24)["item"]);
    assert_eq!(
        completed["usage"],
        json!({"input_tokens": 12, "input_tokens_details": {"cached_tokens": 2},
               "output_tokens": 8, "output_tokens_details": {"reasoning_tokens": 3},
               "total_tokens": 20})
    );
    assert_eq!(completed["incomplete_details"], Value::Null);
    assert_eq!(completed["error"], Value::Null);
}

#[test]
fn an_error_ends_the_stream_with_response_failed() {
    let events = encode_all(&[
        E::Start {
            id: "x".into(),
            model: "m".into(),
        },
        E::TextDelta("part".into()),
        E::Error(ErrorInfo::new(ErrorKind::RateLimited, "slow down")),
        E::TextDelta("ignored".into()),
        E::Stop(StopReason::EndTurn),
    ]);
    let (name, data) = events.last().unwrap();
    assert_eq!(name, "response.failed");
    assert_eq!(data["response"]["status"], "failed");
    assert_eq!(
        data["response"]["error"],
        json!({"code": "rate_limit_exceeded", "message": "slow down"})
    );
    assert_eq!(events.len(), 6);
    for (i, (_, data)) in events.iter().enumerate() {
        assert_eq!(data["sequence_number"], json!(i));
    }
}

#[test]
fn max_tokens_ends_with_response_incomplete_and_an_empty_stream_still_completes() {
    let events = encode_all(&[E::TextDelta("cut".into()), E::Stop(StopReason::MaxTokens)]);
    let (name, data) = events.last().unwrap();
    assert_eq!(name, "response.incomplete");
    assert_eq!(
        data["response"]["incomplete_details"],
        json!({"reason": "max_output_tokens"})
    );
    assert_eq!(events[0].0, "response.created");

    let events = encode_all(&[]);
    let names: Vec<&str> = events.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        vec![
            "response.created",
            "response.in_progress",
            "response.completed"
        ]
    );
    assert_eq!(events[2].1["response"]["usage"]["total_tokens"], 0);
}

#[test]
fn a_signature_alone_and_consecutive_thinking_blocks_make_reasoning_items() {
    let events = encode_all(&[
        E::ThinkingSignature("only-sig".into()),
        E::ThinkingDelta("a".into()),
        E::ThinkingSignature("s2".into()),
        E::ThinkingDelta("b".into()),
    ]);
    let done: Vec<&Value> = events
        .iter()
        .filter(|(n, _)| n == "response.output_item.done")
        .map(|(_, d)| &d["item"])
        .collect();
    assert_eq!(done.len(), 3);
    assert_eq!(done[0]["summary"], json!([]));
    assert_eq!(done[0]["encrypted_content"], "only-sig");
    assert_eq!(done[1]["summary"][0]["text"], "a");
    assert_eq!(done[1]["encrypted_content"], "s2");
    assert_eq!(done[2]["summary"][0]["text"], "b");
    assert!(done[2].get("encrypted_content").is_none());
}

#[test]
fn encode_then_decode_gives_the_same_response() {
    let ir = ir_events();
    let mut encoder = Encoder::new(ctx());
    let mut bytes = Vec::new();
    ir.iter().for_each(|e| encoder.encode(e, &mut bytes));
    encoder.finish(&mut bytes);
    let (decoded, complete) = decode_bytes(&bytes, 7);
    assert!(complete);
    let mut expected = accumulate(&ir);
    expected.id = "resp_msg_01abc".into();
    expected.model = "client-model".into();
    if let Part::ToolCall(call) = &mut expected.parts[3] {
        call.arguments = "*** Begin Patch".into();
        call.kind = ToolKind::Custom;
    }
    assert_eq!(accumulate(&decoded), expected);

    // And a response unfolded into events survives the trip as well.
    let response = decode_response(upstream_stream().1.to_string().as_bytes()).unwrap();
    let mut encoder = Encoder::new(ClientContext {
        model: "gpt-5".into(),
        ..ctx()
    });
    let mut bytes = Vec::new();
    response_to_events(&response)
        .iter()
        .for_each(|e| encoder.encode(e, &mut bytes));
    encoder.finish(&mut bytes);
    let (decoded, _) = decode_bytes(&bytes, 11);
    assert_eq!(accumulate(&decoded), response);
}

#[test]
fn garbage_never_panics() {
    let samples: Vec<Vec<u8>> = vec![
        b"".to_vec(),
        b"null".to_vec(),
        b"[]".to_vec(),
        b"{\"input\": {\"a\": 1}, \"model\": 3}".to_vec(),
        b"{\"model\":\"m\",\"input\":[null, 1, \"x\", {\"type\": 5}, {\"role\": 1}]}".to_vec(),
        b"{\"output\": [{\"type\": \"message\", \"content\": 5}]}".to_vec(),
        b"{\"usage\": {\"input_tokens\": -1, \"output_tokens\": 1e300}}".to_vec(),
        vec![0xff, 0xfe, b'{', 0x00],
        "é".repeat(2000).into_bytes(),
    ];
    let mut seed = 7u64;
    let mut random = samples.clone();
    for _ in 0..200 {
        let len = (seed % 97) as usize;
        let bytes: Vec<u8> = (0..len)
            .map(|_| {
                seed = seed
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let alphabet = b"{}[]\":,typeinputoutputresponse.0123456789 \n";
                alphabet[(seed >> 33) as usize % alphabet.len()]
            })
            .collect();
        random.push(bytes);
    }
    let (stream, _) = upstream_stream();
    for cut in (0..stream.len()).step_by(37) {
        random.push(stream[..cut].to_vec());
    }
    for body in &random {
        let _ = crate::responses::decode_request(body, &crate::RequestHint::default());
        let _ = decode_response(body);
        let _ = crate::responses::decode_error(500, body);
        let (events, _) = decode_bytes(body, 3);
        let mut encoder = Encoder::new(ctx());
        let mut out = Vec::new();
        events.iter().for_each(|e| encoder.encode(e, &mut out));
        encoder.finish(&mut out);
    }
    // Deltas for unknown calls and a call whose delta comes after it was closed.
    let events = encode_all(&[
        E::ToolCallDelta {
            index: 9,
            fragment: "x".into(),
        },
        E::ToolCallStart {
            index: 0,
            id: "a".into(),
            name: "f".into(),
            kind: ToolKind::Function,
            signature: None,
        },
        E::TextDelta("t".into()),
        E::ToolCallDelta {
            index: 0,
            fragment: "late".into(),
        },
    ]);
    assert_eq!(events.last().unwrap().0, "response.completed");
}
