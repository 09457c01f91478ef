//! Responses and errors of the Gemini format: decoding, exact encoding, round trips, and
//! garbage that must not panic.

use serde_json::{Value, json};

use super::tests::{body, call, hint, json_of};
use super::*;
use crate::ClientContext;
use crate::ir::{ErrorInfo, ErrorKind, Part, Response, StopReason, Usage};

fn upstream_response() -> Value {
    json!({
        "candidates": [{
            "content": {"role": "model", "parts": [
                {"text": "Let me think", "thought": true},
                {"text": " harder", "thought": true},
                {"text": "Calling tools.", "thoughtSignature": "TS"},
                {"functionCall": {"name": "weather", "args": {"city": "Paris"}}, "thoughtSignature": "FS"},
                {"functionCall": {"id": "given", "name": "time"}}
            ]},
            "finishReason": "STOP", "index": 0, "safetyRatings": []
        }],
        "usageMetadata": {"promptTokenCount": 100, "candidatesTokenCount": 20, "totalTokenCount": 150,
            "cachedContentTokenCount": 40, "thoughtsTokenCount": 30},
        "modelVersion": "gemini-2.5-pro-001",
        "responseId": "resp/ABC"
    })
}

#[test]
fn decodes_a_response() {
    let response = decode_response(&body(upstream_response())).unwrap();
    assert_eq!(response.id, "resp/ABC");
    assert_eq!(response.model, "gemini-2.5-pro-001");
    assert_eq!(
        response.parts,
        vec![
            Part::Thinking {
                text: "Let me think harder".into(),
                signature: Some("TS".into())
            },
            Part::Text("Calling tools.".into()),
            call(
                "call_respABC_0",
                "weather",
                r#"{"city":"Paris"}"#,
                Some("FS")
            ),
            call("given", "time", "{}", None),
        ]
    );
    assert_eq!(response.stop, StopReason::ToolUse);
    assert_eq!(
        response.usage,
        Usage {
            input_tokens: 100,
            output_tokens: 50,
            cached_tokens: 40,
            cache_write_tokens: 0,
            reasoning_tokens: 30
        }
    );
}

#[test]
fn maps_finish_reasons_and_blocked_prompts() {
    for (reason, expected) in [
        ("STOP", StopReason::EndTurn),
        ("MAX_TOKENS", StopReason::MaxTokens),
        ("SAFETY", StopReason::ContentFilter),
        ("RECITATION", StopReason::ContentFilter),
        ("PROHIBITED_CONTENT", StopReason::ContentFilter),
        ("SPII", StopReason::ContentFilter),
        ("IMAGE_SAFETY", StopReason::ContentFilter),
        ("MALFORMED_FUNCTION_CALL", StopReason::EndTurn),
        ("OTHER", StopReason::EndTurn),
    ] {
        let response = decode_response(&body(json!({"candidates": [{"content": {"parts": [{"text": "x"}]}, "finishReason": reason}]}))).unwrap();
        assert_eq!(response.stop, expected, "{reason}");
    }
    let blocked = decode_response(&body(json!({"promptFeedback": {"blockReason": "SAFETY"},
        "usageMetadata": {"promptTokenCount": 5, "totalTokenCount": 5}})))
    .unwrap();
    assert_eq!(blocked.stop, StopReason::ContentFilter);
    assert!(blocked.parts.is_empty());
    assert_eq!(blocked.usage.input_tokens, 5);
    let trailing = decode_response(&body(json!({"candidates": [{"content": {"parts": [
        {"text": "a"}, {"text": "", "thoughtSignature": "END"}]}, "finishReason": "STOP"}]})))
    .unwrap();
    assert_eq!(
        trailing.parts,
        vec![
            Part::Text("a".into()),
            Part::Thinking {
                text: String::new(),
                signature: Some("END".into())
            }
        ]
    );
}

#[test]
fn encodes_a_response_and_round_trips() {
    let ctx = ClientContext {
        model: "my-model".into(),
        ..ClientContext::default()
    };
    let response = decode_response(&body(upstream_response())).unwrap();
    let encoded = json_of(&encode_response(&response, &ctx));
    assert_eq!(
        encoded,
        json!({
            "candidates": [{
                "content": {"role": "model", "parts": [
                    {"text": "Let me think harder", "thought": true},
                    {"text": "Calling tools.", "thoughtSignature": "TS"},
                    {"functionCall": {"id": "call_respABC_0", "name": "weather", "args": {"city": "Paris"}}, "thoughtSignature": "FS"},
                    {"functionCall": {"id": "given", "name": "time", "args": {}}}
                ]},
                "finishReason": "STOP", "index": 0
            }],
            "usageMetadata": {"promptTokenCount": 100, "candidatesTokenCount": 20, "totalTokenCount": 150,
                "cachedContentTokenCount": 40, "thoughtsTokenCount": 30},
            "modelVersion": "my-model",
            "responseId": "resp/ABC"
        })
    );
    let again = decode_response(&serde_json::to_vec(&encoded).unwrap()).unwrap();
    assert_eq!(
        again,
        Response {
            model: "my-model".into(),
            ..response
        }
    );

    let other = Response {
        id: String::new(),
        model: "x".into(),
        parts: vec![Part::Text("cut".into())],
        stop: StopReason::MaxTokens,
        usage: Usage::default(),
    };
    let encoded = json_of(&encode_response(
        &other,
        &ClientContext {
            model: "m".into(),
            created: 255,
            ..ClientContext::default()
        },
    ));
    assert_eq!(encoded["candidates"][0]["finishReason"], "MAX_TOKENS");
    assert_eq!(encoded["responseId"], "resp-ff");
}

#[test]
fn decodes_and_encodes_errors() {
    let error = decode_error(
        429,
        br#"{"error":{"code":429,"message":"Quota exceeded","status":"RESOURCE_EXHAUSTED","details":[{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"13s"}]}}"#,
    );
    assert_eq!(
        (error.kind, error.status, error.message.as_str()),
        (ErrorKind::RateLimited, 429, "Quota exceeded")
    );
    let key = decode_error(
        400,
        br#"{"error":{"code":400,"message":"API key not valid","status":"INVALID_ARGUMENT","details":[{"reason":"API_KEY_INVALID"}]}}"#,
    );
    assert_eq!((key.kind, key.status), (ErrorKind::Authentication, 400));
    let array = decode_error(
        503,
        br#"[{"error":{"code":503,"message":"overloaded","status":"UNAVAILABLE"}}]"#,
    );
    assert_eq!(
        (array.kind, array.message.as_str()),
        (ErrorKind::Unavailable, "overloaded")
    );
    let raw = decode_error(
        502,
        format!("  <html>{}</html>  ", "x".repeat(900)).as_bytes(),
    );
    assert_eq!((raw.kind, raw.status), (ErrorKind::Server, 502));
    assert_eq!(raw.message.chars().count(), 500);
    assert!(raw.message.starts_with("<html>"));
    assert!(!decode_error(500, b"").message.is_empty());

    for (kind, status) in [
        (ErrorKind::InvalidRequest, "INVALID_ARGUMENT"),
        (ErrorKind::Authentication, "UNAUTHENTICATED"),
        (ErrorKind::PermissionDenied, "PERMISSION_DENIED"),
        (ErrorKind::NotFound, "NOT_FOUND"),
        (ErrorKind::RateLimited, "RESOURCE_EXHAUSTED"),
        (ErrorKind::Server, "INTERNAL"),
        (ErrorKind::Unavailable, "UNAVAILABLE"),
        (ErrorKind::Timeout, "DEADLINE_EXCEEDED"),
    ] {
        let info = ErrorInfo::new(kind, "boom");
        let encoded = json_of(&encode_error(&info));
        assert_eq!(
            encoded,
            json!({"error": {"code": kind.status(), "message": "boom", "status": status}})
        );
        let back = decode_error(info.status, &encode_error(&info));
        assert_eq!(back, info);
    }
}

#[test]
fn garbage_never_panics() {
    let inputs: Vec<&[u8]> = vec![
        b"",
        b"null",
        b"[]",
        b"{",
        b"\xff\xfe",
        b"{\"contents\":null}",
        b"{\"contents\":[null]}",
        b"{\"contents\":[{\"parts\":null,\"role\":5}]}",
        b"{\"contents\":[{\"parts\":[{}]}],\"tools\":[{}],\"generationConfig\":{\"topK\":-1}}",
        b"{\"contents\":[{\"parts\":[{\"functionResponse\":{}}]}]}",
        b"{\"contents\":[{\"parts\":[{\"functionCall\":{\"args\":[1,2]}}]}]}",
        b"{\"candidates\":[{\"content\":null}],\"usageMetadata\":{\"promptTokenCount\":\"12\"}}",
        b"{\"candidates\":[{}],\"usageMetadata\":{\"promptTokenCount\":1e40}}",
        b"{\"error\":{\"code\":\"x\"}}",
    ];
    for input in inputs {
        let _ = decode_request(input, &hint("m"));
        let _ = decode_response(input);
        let _ = decode_error(0, input);
        let _ = decode_error(999, input);
    }
}
