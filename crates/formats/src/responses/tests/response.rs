//! Responses and errors: decoding, the full response object for clients, round trips.

use serde_json::{Value, json};

use crate::ClientContext;
use crate::ir::*;
use crate::responses::{decode_error, decode_response, encode_error, encode_response};

fn upstream_body() -> Value {
    json!({
        "id": "resp_abc", "object": "response", "created_at": 1700000000.5, "status": "completed",
        "error": null, "incomplete_details": null, "model": "gpt-5-2025",
        "output": [
            {"type": "reasoning", "id": "rs_1", "summary": [
                {"type": "summary_text", "text": "Plan"}, {"type": "summary_text", "text": "Act"}],
             "encrypted_content": "enc"},
            {"type": "message", "id": "msg_1", "status": "completed", "role": "assistant", "content": [
                {"type": "output_text", "text": "Hi ", "annotations": [], "logprobs": []},
                {"type": "refusal", "refusal": "no"}]},
            {"type": "function_call", "id": "fc_1", "call_id": "call_1", "name": "f",
             "arguments": "{\"a\":1}", "status": "completed"},
            {"type": "custom_tool_call", "id": "ctc_1", "call_id": "call_2", "name": "apply_patch",
             "input": "*** Begin Patch"},
            {"type": "web_search_call", "id": "ws_1", "status": "completed"}
        ],
        "parallel_tool_calls": true, "tool_choice": {"type": "allowed_tools", "mode": "auto", "tools": []},
        "tools": [{"type": "web_search"}], "text": {"format": {"type": "text"}, "verbosity": "medium"},
        "reasoning": {"effort": "medium", "summary": "auto"}, "metadata": {}, "store": false,
        "usage": {"input_tokens": 100, "input_tokens_details": {"cached_tokens": 40},
                  "output_tokens": 50, "output_tokens_details": {"reasoning_tokens": 20},
                  "total_tokens": 150}
    })
}

#[test]
fn decodes_every_output_item_usage_and_stop() {
    let response = decode_response(upstream_body().to_string().as_bytes()).unwrap();
    assert_eq!(response.id, "resp_abc");
    assert_eq!(response.model, "gpt-5-2025");
    assert_eq!(
        response.parts,
        vec![
            Part::Thinking {
                text: "Plan\n\nAct".into(),
                signature: Some("enc".into())
            },
            Part::Text("Hi ".into()),
            Part::Text("no".into()),
            Part::ToolCall(ToolCall {
                id: "call_1".into(),
                name: "f".into(),
                arguments: "{\"a\":1}".into(),
                kind: ToolKind::Function,
                signature: None
            }),
            Part::ToolCall(ToolCall {
                id: "call_2".into(),
                name: "apply_patch".into(),
                arguments: "*** Begin Patch".into(),
                kind: ToolKind::Custom,
                signature: None
            }),
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
            reasoning_tokens: 20
        }
    );
}

#[test]
fn incomplete_and_failed_statuses() {
    let body = |status: &str, reason: Value| {
        json!({"id": "resp_1", "model": "m", "status": status,
               "incomplete_details": reason, "output": [
                   {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "x"}]}]})
        .to_string()
    };
    let stop = |b: String| decode_response(b.as_bytes()).unwrap().stop;
    assert_eq!(stop(body("completed", Value::Null)), StopReason::EndTurn);
    assert_eq!(
        stop(body("incomplete", json!({"reason": "max_output_tokens"}))),
        StopReason::MaxTokens
    );
    assert_eq!(
        stop(body("incomplete", json!({"reason": "content_filter"}))),
        StopReason::ContentFilter
    );
    let failed = json!({"id": "r", "status": "failed", "output": [],
                        "error": {"code": "server_error", "message": "boom"}});
    let err = decode_response(failed.to_string().as_bytes()).unwrap_err();
    assert!(err.to_string().contains("boom"), "{err}");
    assert!(decode_response(b"[1,2]").is_err());
}

fn ctx() -> ClientContext {
    ClientContext {
        model: "client-model".into(),
        created: 1_700_000_123,
        custom_tools: vec!["apply_patch".into()],
        namespaced: Vec::new(),
        ..ClientContext::default()
    }
}

fn ir_response() -> Response {
    Response {
        id: "chatcmpl-xyz".into(),
        model: "upstream-model".into(),
        parts: vec![
            Part::Thinking {
                text: "Hmm".into(),
                signature: Some("sig".into()),
            },
            Part::Text("Hello ".into()),
            Part::Text("world".into()),
            Part::ToolCall(ToolCall {
                id: "call_1".into(),
                name: "shell".into(),
                arguments: "{\"cmd\":\"ls\"}".into(),
                kind: ToolKind::Function,
                signature: None,
            }),
            // Came back from a format without custom tools: arguments wrap the input.
            Part::ToolCall(ToolCall {
                id: "call_2".into(),
                name: "apply_patch".into(),
                arguments: "{\"input\":\"*** Begin Patch\\n*** End Patch\"}".into(),
                kind: ToolKind::Function,
                signature: None,
            }),
        ],
        stop: StopReason::ToolUse,
        usage: Usage {
            input_tokens: 10,
            output_tokens: 7,
            cached_tokens: 3,
            cache_write_tokens: 0,
            reasoning_tokens: 2,
        },
    }
}

#[test]
fn encodes_a_full_response_object() {
    let body: Value = serde_json::from_slice(&encode_response(&ir_response(), &ctx())).unwrap();
    assert_eq!(
        body,
        json!({
            "id": "resp_chatcmpl-xyz", "object": "response", "created_at": 1_700_000_123u64,
            "status": "completed", "error": null, "incomplete_details": null, "instructions": null,
            "max_output_tokens": null, "model": "client-model",
            "output": [
                {"type": "reasoning", "id": "rs_chatcmpl-xyz_0",
                 "summary": [{"type": "summary_text", "text": "Hmm"}], "encrypted_content": "sig"},
                {"type": "message", "id": "msg_chatcmpl-xyz_1", "status": "completed", "role": "assistant",
                 "content": [{"type": "output_text", "text": "Hello world", "annotations": []}]},
                {"type": "function_call", "id": "fc_chatcmpl-xyz_2", "call_id": "call_1", "name": "shell",
                 "arguments": "{\"cmd\":\"ls\"}", "status": "completed"},
                {"type": "custom_tool_call", "id": "ctc_chatcmpl-xyz_3", "call_id": "call_2",
                 "name": "apply_patch", "input": "*** Begin Patch\n*** End Patch", "status": "completed"}
            ],
            "parallel_tool_calls": true, "previous_response_id": null, "reasoning": null,
            "store": false, "temperature": null, "text": {"format": {"type": "text"}},
            "tool_choice": "auto", "tools": [], "top_p": null, "truncation": "disabled",
            "usage": {"input_tokens": 10, "input_tokens_details": {"cached_tokens": 3},
                      "output_tokens": 7, "output_tokens_details": {"reasoning_tokens": 2},
                      "total_tokens": 17},
            "user": null, "metadata": {}
        })
    );
}

#[test]
fn encodes_incomplete_and_non_json_custom_arguments() {
    let mut response = ir_response();
    response.stop = StopReason::MaxTokens;
    response.parts = vec![Part::ToolCall(ToolCall {
        id: "c".into(),
        name: "apply_patch".into(),
        arguments: "{\"input\": \"x\", \"other\": 1}".into(),
        kind: ToolKind::Function,
        signature: None,
    })];
    let body: Value = serde_json::from_slice(&encode_response(&response, &ctx())).unwrap();
    assert_eq!(body["status"], "incomplete");
    assert_eq!(
        body["incomplete_details"],
        json!({"reason": "max_output_tokens"})
    );
    assert_eq!(
        body["output"][0]["input"],
        "{\"input\": \"x\", \"other\": 1}"
    );

    response.stop = StopReason::ContentFilter;
    let body: Value = serde_json::from_slice(&encode_response(&response, &ctx())).unwrap();
    assert_eq!(body["incomplete_details"]["reason"], "content_filter");
}

#[test]
fn encode_then_decode_gives_the_same_response() {
    let mut ir = ir_response();
    ir.id = "resp_1".into();
    let back = decode_response(&encode_response(&ir, &ctx())).unwrap();
    let mut expected = ir.clone();
    expected.model = "client-model".into();
    expected.parts = vec![
        ir.parts[0].clone(),
        Part::Text("Hello world".into()),
        ir.parts[3].clone(),
        Part::ToolCall(ToolCall {
            id: "call_2".into(),
            name: "apply_patch".into(),
            arguments: "*** Begin Patch\n*** End Patch".into(),
            kind: ToolKind::Custom,
            signature: None,
        }),
    ];
    assert_eq!(back, expected);
}

#[test]
fn decodes_error_bodies_of_any_shape() {
    let body = json!({"error": {"message": "Rate limit reached. Try again in 2s.",
                      "type": "requests", "param": null, "code": "rate_limit_exceeded"}});
    let e = decode_error(429, body.to_string().as_bytes());
    assert_eq!(
        (e.kind, e.status, e.message.as_str()),
        (
            ErrorKind::RateLimited,
            429,
            "Rate limit reached. Try again in 2s."
        )
    );

    let body = json!({"error": {"message": "bad", "type": "invalid_request_error",
                      "param": "input[0]", "code": null}});
    let e = decode_error(400, body.to_string().as_bytes());
    assert_eq!(e.kind, ErrorKind::InvalidRequest);
    assert_eq!(e.param.as_deref(), Some("input[0]"));

    let e = decode_error(403, br#"{"detail": "Not allowed"}"#);
    assert_eq!(
        (e.kind, e.message.as_str()),
        (ErrorKind::PermissionDenied, "Not allowed")
    );

    let html = format!("  <html>{}</html>  ", "é".repeat(600));
    let e = decode_error(502, html.as_bytes());
    assert_eq!(e.kind, ErrorKind::Server);
    assert_eq!(e.status, 502);
    assert_eq!(e.message.chars().count(), 500);
    assert!(e.message.starts_with("<html>"));

    let e = decode_error(503, b"");
    assert_eq!(e.kind, ErrorKind::Unavailable);
    assert!(e.message.contains("503"));
}

#[test]
fn encodes_openai_style_errors() {
    let error = ErrorInfo::invalid("input: is required").with_param("input");
    let body: Value = serde_json::from_slice(&encode_error(&error)).unwrap();
    assert_eq!(
        body,
        json!({"error": {"message": "input: is required", "type": "invalid_request_error",
                         "param": "input", "code": "invalid_request_error"}})
    );
    let body: Value = serde_json::from_slice(&encode_error(&ErrorInfo::new(
        ErrorKind::RateLimited,
        "slow down",
    )))
    .unwrap();
    assert_eq!(body["error"]["type"], "rate_limit_error");
    assert_eq!(body["error"]["code"], "rate_limit_exceeded");
    assert_eq!(body["error"]["param"], Value::Null);
    let back = decode_error(
        429,
        &encode_error(&ErrorInfo::new(ErrorKind::RateLimited, "x")),
    );
    assert_eq!(back.kind, ErrorKind::RateLimited);
}
