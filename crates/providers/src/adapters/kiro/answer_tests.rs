use omniroute_formats::ir::{StopReason, StreamEvent, ToolKind, Usage};
use serde_json::json;

use super::super::eventstream::Frame;
use super::*;

pub(super) fn event(event_type: &str, payload: serde_json::Value) -> Frame {
    Frame::event(event_type, payload.to_string().into_bytes())
}

pub(super) fn bytes(frames: &[Frame]) -> Vec<u8> {
    frames.iter().flat_map(|f| f.encode().unwrap()).collect()
}

pub(super) fn decoder() -> KiroDecoder {
    KiroDecoder::new("conv-1", "claude-sonnet-4.5")
}

/// Everything a decoder makes of `body` given whole, then the end of the body.
pub(super) fn decode(body: &[u8]) -> (Vec<StreamEvent>, bool) {
    let mut d = decoder();
    let mut out = Vec::new();
    d.push(body, &mut out);
    d.finish(&mut out);
    (out, d.is_complete())
}

pub(super) fn start() -> StreamEvent {
    StreamEvent::Start {
        id: "conv-1".into(),
        model: "claude-sonnet-4.5".into(),
    }
}

pub(super) fn text(s: &str) -> StreamEvent {
    StreamEvent::TextDelta(s.into())
}

fn call_start(index: usize, id: &str, name: &str) -> StreamEvent {
    StreamEvent::ToolCallStart {
        index,
        id: id.into(),
        name: name.into(),
        kind: ToolKind::Function,
        signature: None,
    }
}

pub(super) fn delta(index: usize, fragment: &str) -> StreamEvent {
    StreamEvent::ToolCallDelta {
        index,
        fragment: fragment.into(),
    }
}

/// A realistic answer: text, two tool calls in fragments, metering and context usage.
pub(super) fn tool_answer() -> Vec<Frame> {
    vec![
        event("assistantResponseEvent", json!({"content": "Let me look."})),
        event(
            "toolUseEvent",
            json!({"name": "read", "toolUseId": "t1", "input": "{\"pa"}),
        ),
        event(
            "toolUseEvent",
            json!({"name": "read", "toolUseId": "t1", "input": "th\":\"a\"}"}),
        ),
        event(
            "toolUseEvent",
            json!({"name": "read", "toolUseId": "t1", "stop": true}),
        ),
        event(
            "toolUseEvent",
            json!({"name": "ls", "toolUseId": "t2", "input": ""}),
        ),
        event("toolUseEvent", json!({"toolUseId": "t2", "input": "{}"})),
        event(
            "toolUseEvent",
            json!({"name": "ls", "toolUseId": "t2", "stop": true}),
        ),
        event(
            "meteringEvent",
            json!({"unit": "credit", "unitPlural": "credits", "usage": 0.42}),
        ),
        event("contextUsageEvent", json!({"contextUsagePercentage": 1.5})),
    ]
}

#[test]
fn text_answer() {
    let frames = [
        event("assistantResponseEvent", json!({"content": "Hel"})),
        event(
            "assistantResponseEvent",
            json!({"content": "lo", "modelId": "x"}),
        ),
        event("assistantResponseEvent", json!({"content": ""})),
    ];
    let (events, complete) = decode(&bytes(&frames));
    assert_eq!(
        events,
        vec![
            start(),
            text("Hel"),
            text("lo"),
            StreamEvent::Stop(StopReason::EndTurn)
        ]
    );
    assert!(complete);
}

#[test]
fn tool_fragments_across_frames_keep_stable_indexes() {
    let mut d = decoder();
    let mut events = Vec::new();
    d.push(&bytes(&tool_answer()), &mut events);
    d.finish(&mut events);
    assert_eq!(
        events,
        vec![
            start(),
            text("Let me look."),
            call_start(0, "t1", "read"),
            delta(0, "{\"pa"),
            delta(0, "th\":\"a\"}"),
            call_start(1, "t2", "ls"),
            delta(1, "{}"),
            StreamEvent::Stop(StopReason::ToolUse),
        ]
    );
    assert_eq!(d.credits(), Some(0.42));
    assert_eq!(d.context_usage_percent(), Some(1.5));
}

#[test]
fn every_split_position_gives_the_same_events() {
    let body = bytes(&tool_answer());
    let (whole, _) = decode(&body);
    for cut in 0..=body.len() {
        let mut d = decoder();
        let mut out = Vec::new();
        d.push(&body[..cut], &mut out);
        d.push(&body[cut..], &mut out);
        d.finish(&mut out);
        assert_eq!(out, whole, "cut at {cut}");
        assert!(d.is_complete());
    }
}

#[test]
fn fragments_without_an_id_continue_the_open_call_and_interleave_with_text() {
    let frames = [
        event(
            "toolUseEvent",
            json!({"name": "a", "toolUseId": "x", "input": "{\"k\":"}),
        ),
        event("toolUseEvent", json!({"input": "1}"})),
        event("toolUseEvent", json!({"stop": true})),
        event("assistantResponseEvent", json!({"content": "and"})),
        event(
            "toolUseEvent",
            json!({"name": "b", "input": "{}", "stop": true}),
        ),
    ];
    let (events, _) = decode(&bytes(&frames));
    assert_eq!(
        events,
        vec![
            start(),
            call_start(0, "x", "a"),
            delta(0, "{\"k\":"),
            delta(0, "1}"),
            text("and"),
            call_start(1, "conv-1-tool-1", "b"),
            delta(1, "{}"),
            StreamEvent::Stop(StopReason::ToolUse),
        ]
    );
}

#[test]
fn object_inputs_are_snapshots_sent_once() {
    let frames = [
        event(
            "toolUseEvent",
            json!({"name": "run", "toolUseId": "r", "input": {"cmd": "ca"}}),
        ),
        event(
            "toolUseEvent",
            json!({"name": "run", "toolUseId": "r", "input": {"cmd": "cat x"}}),
        ),
        event(
            "toolUseEvent",
            json!({"name": "run", "toolUseId": "r", "stop": true}),
        ),
        // A call cut off without `stop` still gets its latest snapshot at the end.
        event(
            "toolUseEvent",
            json!({"name": "ls", "toolUseId": "l", "input": {"p": 1}}),
        ),
    ];
    let (events, _) = decode(&bytes(&frames));
    assert_eq!(
        events,
        vec![
            start(),
            call_start(0, "r", "run"),
            delta(0, r#"{"cmd":"cat x"}"#),
            call_start(1, "l", "ls"),
            delta(1, r#"{"p":1}"#),
            StreamEvent::Stop(StopReason::ToolUse),
        ]
    );
}

#[test]
fn usage_from_metadata_events() {
    let frames = [
        event("assistantResponseEvent", json!({"content": "hi"})),
        event(
            "metadataEvent",
            json!({"usage": {"inputTokens": 100, "outputTokens": 20,
                             "cacheReadInputTokens": 50, "cacheWriteInputTokens": 5}}),
        ),
        event("contextUsageEvent", json!({"contextUsagePercentage": 10.0})),
    ];
    let mut d = decoder().with_context_window(200_000);
    let mut out = Vec::new();
    d.push(&bytes(&frames), &mut out);
    d.finish(&mut out);
    let expected = Usage {
        input_tokens: 155,
        output_tokens: 20,
        cached_tokens: 50,
        cache_write_tokens: 5,
        reasoning_tokens: 0,
    };
    // Real counts win over the estimate from the context percentage.
    assert_eq!(
        out,
        vec![
            start(),
            text("hi"),
            StreamEvent::Usage(expected),
            StreamEvent::Stop(StopReason::EndTurn)
        ]
    );
    let (top_level, _) = decode(&bytes(&[event(
        "metricsEvent",
        json!({"inputTokens": 7, "outputTokens": 3}),
    )]));
    assert_eq!(
        top_level[1],
        StreamEvent::Usage(Usage {
            input_tokens: 7,
            output_tokens: 3,
            ..Usage::default()
        })
    );
    let (no_counts, _) = decode(&bytes(&[event(
        "messageMetadataEvent",
        json!({"conversationId": "c"}),
    )]));
    assert_eq!(
        no_counts,
        vec![start(), StreamEvent::Stop(StopReason::EndTurn)]
    );
}

#[test]
fn usage_estimated_from_context_percentage_only_with_a_window() {
    let frames = [
        event("assistantResponseEvent", json!({"content": "abcdefgh"})),
        event("contextUsageEvent", json!({"contextUsagePercentage": 1.5})),
    ];
    let mut d = decoder().with_context_window(200_000);
    let mut out = Vec::new();
    d.push(&bytes(&frames), &mut out);
    d.finish(&mut out);
    assert_eq!(
        out[2],
        StreamEvent::Usage(Usage {
            input_tokens: 2998,
            output_tokens: 2,
            ..Usage::default()
        })
    );
    let (without, _) = decode(&bytes(&frames));
    assert!(!without.iter().any(|e| matches!(e, StreamEvent::Usage(_))));
}

#[test]
fn reasoning_and_ignored_events() {
    let frames = [
        event("reasoningContentEvent", json!({"text": "think"})),
        event("reasoningContentEvent", json!({"signature": "sig"})),
        event(
            "assistantResponseEvent",
            json!({"content": "x", "followupPrompt": {"content": "?"}}),
        ),
        event(
            "supplementaryWebLinksEvent",
            json!({"supplementaryWebLinks": []}),
        ),
        event("codeEvent", json!({"content": "code"})),
    ];
    let (events, _) = decode(&bytes(&frames));
    assert_eq!(
        events,
        vec![
            start(),
            StreamEvent::ThinkingDelta("think".into()),
            StreamEvent::ThinkingSignature("sig".into()),
            text("code"),
            StreamEvent::Stop(StopReason::EndTurn),
        ]
    );
}

#[test]
fn finish_is_idempotent_and_push_after_the_end_is_ignored() {
    let body = bytes(&[event("assistantResponseEvent", json!({"content": "a"}))]);
    let mut d = decoder();
    let mut out = Vec::new();
    d.push(&body, &mut out);
    d.finish(&mut out);
    let n = out.len();
    d.finish(&mut out);
    d.push(&body, &mut out);
    assert_eq!(out.len(), n);
}
