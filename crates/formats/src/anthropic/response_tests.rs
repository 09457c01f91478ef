//! Tests of Anthropic responses and errors, both ways.

use serde_json::{Value, json};

use super::tests::{ctx, json_of};
use super::*;
use crate::ir::{ErrorInfo, ErrorKind, Response, StopReason, Usage};

fn upstream_response() -> Value {
    json!({
        "id": "msg_01", "type": "message", "role": "assistant", "model": "claude-x",
        "content": [
            {"type": "thinking", "thinking": "hmm", "signature": "SIG"},
            {"type": "redacted_thinking", "data": "R"},
            {"type": "text", "text": "Sure", "citations": null},
            {"type": "server_tool_use", "id": "s1", "name": "web_search", "input": {}},
            {"type": "web_search_tool_result", "tool_use_id": "s1", "content": []},
            {"type": "tool_use", "id": "toolu_a", "name": "f", "input": {"x": [1, 2]}},
            {"type": "tool_use", "id": "toolu_b", "name": "g", "input": {}}
        ],
        "stop_reason": "tool_use", "stop_sequence": null,
        "usage": {"input_tokens": 10, "output_tokens": 30, "cache_read_input_tokens": 100,
                  "cache_creation_input_tokens": 5, "service_tier": "standard"}
    })
}

#[test]
fn decodes_and_encodes_responses() {
    let r = decode_response(upstream_response().to_string().as_bytes()).unwrap();
    assert_eq!((r.id.as_str(), r.model.as_str()), ("msg_01", "claude-x"));
    assert_eq!(r.parts.len(), 5);
    assert_eq!(r.stop, StopReason::ToolUse);
    assert_eq!(
        r.usage,
        Usage {
            input_tokens: 115,
            output_tokens: 30,
            cached_tokens: 100,
            cache_write_tokens: 5,
            reasoning_tokens: 0
        }
    );
    let out = json_of(&encode_response(&r, &ctx()));
    assert_eq!(out["id"], "msg_01");
    assert_eq!(out["type"], "message");
    assert_eq!(out["role"], "assistant");
    assert_eq!(out["model"], "claude-client");
    assert_eq!(out["stop_reason"], "tool_use");
    assert_eq!(out["stop_sequence"], Value::Null);
    assert_eq!(
        out["usage"],
        json!({"input_tokens": 10, "output_tokens": 30, "cache_creation_input_tokens": 5, "cache_read_input_tokens": 100})
    );
    assert_eq!(
        out["content"][4],
        json!({"type": "tool_use", "id": "toolu_b", "name": "g", "input": {}})
    );
    // Encode then decode gives the same IR (model and id aside).
    let again = decode_response(&encode_response(&r, &ctx())).unwrap();
    assert_eq!(again.parts, r.parts);
    assert_eq!((again.stop, again.usage), (r.stop, r.usage));

    for (wire, ir) in [
        ("end_turn", StopReason::EndTurn),
        ("max_tokens", StopReason::MaxTokens),
        ("stop_sequence", StopReason::StopSequence),
        ("refusal", StopReason::Refusal),
        ("pause_turn", StopReason::PauseTurn),
    ] {
        let body = json!({"id": "i", "model": "m", "content": [], "stop_reason": wire});
        assert_eq!(
            decode_response(body.to_string().as_bytes()).unwrap().stop,
            ir
        );
        let resp = Response {
            stop: ir,
            ..Response::default()
        };
        assert_eq!(
            json_of(&encode_response(&resp, &ctx()))["stop_reason"],
            wire
        );
    }
    let resp = Response {
        id: "chatcmpl-9".into(),
        stop: StopReason::ContentFilter,
        ..Response::default()
    };
    let out = json_of(&encode_response(&resp, &ctx()));
    assert_eq!(
        (out["stop_reason"].as_str(), out["id"].as_str()),
        (Some("refusal"), Some("msg_chatcmpl-9"))
    );
    assert!(
        decode_response(br#"{"type":"error","error":{"type":"api_error","message":"x"}}"#).is_err()
    );
    assert!(decode_response(b"[1,2]").is_err());
}

#[test]
fn errors_both_ways() {
    let table = [
        (ErrorKind::InvalidRequest, "invalid_request_error"),
        (ErrorKind::Authentication, "authentication_error"),
        (ErrorKind::PermissionDenied, "permission_error"),
        (ErrorKind::NotFound, "not_found_error"),
        (ErrorKind::RequestTooLarge, "request_too_large"),
        (ErrorKind::RateLimited, "rate_limit_error"),
        (ErrorKind::Server, "api_error"),
        (ErrorKind::Timeout, "timeout_error"),
        (ErrorKind::Overloaded, "overloaded_error"),
    ];
    for (kind, name) in table {
        let body = encode_error(&ErrorInfo::new(kind, "boom"));
        assert_eq!(
            json_of(&body),
            json!({"type": "error", "error": {"type": name, "message": "boom"}})
        );
        let back = decode_error(kind.status(), &body);
        assert_eq!(
            (back.kind, back.status, back.message.as_str()),
            (kind, kind.status(), "boom")
        );
    }
    let e = decode_error(
        402,
        br#"{"type":"error","error":{"type":"billing_error","message":"pay"}}"#,
    );
    assert_eq!((e.kind, e.status), (ErrorKind::PermissionDenied, 402));
    let e = decode_error(502, b"<html>Bad gateway</html>");
    assert_eq!(
        (e.kind, e.message.as_str()),
        (ErrorKind::Server, "<html>Bad gateway</html>")
    );
    let long = "é".repeat(2000);
    let e = decode_error(429, long.as_bytes());
    assert_eq!(e.kind, ErrorKind::RateLimited);
    assert!(e.message.chars().count() <= 501);
    let e = decode_error(500, b"");
    assert!(e.message.contains("500"));
    let e = decode_error(400, br#"{"error":{"message":"openai style"}}"#);
    assert_eq!(
        (e.kind, e.message.as_str()),
        (ErrorKind::InvalidRequest, "openai style")
    );
}
