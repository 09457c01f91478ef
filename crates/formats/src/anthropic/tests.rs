//! Tests of Anthropic requests (responses and errors in `response_tests`, streams in
//! `stream_tests`).

use serde_json::{Value, json};

use super::*;
use crate::ir::{
    Effort, Image, Message, Part, Reasoning, Request, ResponseFormat, Role, Tool, ToolCall,
    ToolChoice, ToolKind, ToolResult, ToolResultContent,
};
use crate::{ClientContext, FormatError, RequestHint};

fn decode(body: Value) -> Result<Request, FormatError> {
    decode_request(body.to_string().as_bytes(), &RequestHint::default())
}

pub(super) fn json_of(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes).unwrap()
}

pub(super) fn ctx() -> ClientContext {
    ClientContext {
        model: "claude-client".into(),
        created: 1,
        ..ClientContext::default()
    }
}

fn full_request() -> Value {
    json!({
        "model": "claude-sonnet-4-5",
        "max_tokens": 20000,
        "system": [{"type": "text", "text": "You are terse.", "cache_control": {"type": "ephemeral"}},
                   {"type": "text", "text": "Use tools."}],
        "messages": [
            {"role": "user", "content": [
                {"type": "text", "text": "Look at these"},
                {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "AAA"}},
                {"type": "image", "source": {"type": "url", "url": "https://x/y.png"}},
                {"type": "document", "source": {"type": "text", "media_type": "text/plain", "data": "doc"}}
            ]},
            {"role": "assistant", "content": [
                {"type": "thinking", "thinking": "plan", "signature": "SIG1"},
                {"type": "redacted_thinking", "data": "ENC"},
                {"type": "text", "text": "Calling"},
                {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {"city": "Paris"}},
                {"type": "tool_use", "id": "toolu_2", "name": "get_time", "input": {}},
                {"type": "server_tool_use", "id": "srvtoolu_1", "name": "web_search", "input": {"query": "q"}}
            ]},
            {"role": "user", "content": [
                {"type": "tool_result", "tool_use_id": "toolu_1", "content": "18C"},
                {"type": "tool_result", "tool_use_id": "toolu_2", "is_error": true, "content": [
                    {"type": "text", "text": "clock broken"},
                    {"type": "image", "source": {"type": "base64", "media_type": "image/jpeg", "data": "BBB"}}
                ]},
                {"type": "text", "text": "thanks"}
            ]}
        ],
        "tools": [
            {"name": "get_weather", "description": "Weather", "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}}},
            {"type": "custom", "name": "get_time", "input_schema": {"type": "object"}},
            {"type": "web_search_20250305", "name": "web_search", "max_uses": 3},
            {"type": "bash_20250124", "name": "bash"}
        ],
        "tool_choice": {"type": "auto", "disable_parallel_tool_use": true},
        "thinking": {"type": "enabled", "budget_tokens": 4096},
        "stop_sequences": ["END"],
        "temperature": 0.5,
        "top_p": 0.9,
        "top_k": 40,
        "metadata": {"user_id": "u-42"},
        "stream": true
    })
}

#[test]
fn decodes_every_request_feature() {
    let r = decode(full_request()).unwrap();
    assert_eq!(r.model, "claude-sonnet-4-5");
    assert_eq!(r.max_output_tokens, Some(20000));
    assert_eq!(r.system, vec!["You are terse.", "Use tools."]);
    assert_eq!(r.messages.len(), 3);
    assert_eq!(
        r.messages[0].parts,
        vec![
            Part::Text("Look at these".into()),
            Part::Image(Image::Base64 {
                media_type: "image/png".into(),
                data: "AAA".into()
            }),
            Part::Image(Image::Url("https://x/y.png".into())),
        ]
    );
    let a = &r.messages[1];
    assert_eq!(a.role, Role::Assistant);
    assert_eq!(a.parts.len(), 5, "server_tool_use skipped: {:?}", a.parts);
    assert_eq!(
        a.parts[0],
        Part::Thinking {
            text: "plan".into(),
            signature: Some("SIG1".into())
        }
    );
    assert_eq!(a.parts[1], Part::RedactedThinking { data: "ENC".into() });
    let Part::ToolCall(call) = &a.parts[3] else {
        panic!()
    };
    assert_eq!(
        (call.id.as_str(), call.name.as_str()),
        ("toolu_1", "get_weather")
    );
    assert_eq!(
        serde_json::from_str::<Value>(&call.arguments).unwrap(),
        json!({"city": "Paris"})
    );
    let Part::ToolResult(res) = &r.messages[2].parts[1] else {
        panic!()
    };
    assert_eq!(res.call_id, "toolu_2");
    assert_eq!(res.name.as_deref(), Some("get_time"));
    assert!(res.is_error);
    assert_eq!(res.content.len(), 2);
    assert!(
        matches!(&r.messages[2].parts[0], Part::ToolResult(t) if t.text() == "18C" && !t.is_error)
    );
    assert_eq!(r.tools.len(), 2, "server tools dropped");
    assert_eq!(r.tools[0].description.as_deref(), Some("Weather"));
    assert_eq!(r.tool_choice, Some(ToolChoice::Auto));
    assert_eq!(r.parallel_tool_calls, Some(false));
    assert_eq!(
        r.reasoning,
        Some(Reasoning {
            effort: None,
            budget_tokens: Some(4096),
            include_thoughts: true
        })
    );
    assert_eq!(r.stop, vec!["END"]);
    assert_eq!(
        (r.temperature, r.top_p, r.top_k),
        (Some(0.5), Some(0.9), Some(40))
    );
    assert_eq!(r.user.as_deref(), Some("u-42"));
    assert!(r.stream);
}

#[test]
fn request_variants_and_required_fields() {
    let base =
        json!({"model": "m", "max_tokens": 10, "messages": [{"role": "user", "content": "hi"}]});
    let r = decode(base.clone()).unwrap();
    assert_eq!(r.messages[0].parts, vec![Part::Text("hi".into())]);
    assert!(!r.stream && r.reasoning.is_none() && r.tool_choice.is_none());

    for (field, expected) in [
        ("model", "model"),
        ("max_tokens", "max_tokens"),
        ("messages", "messages"),
    ] {
        let mut body = base.clone();
        body.as_object_mut().unwrap().remove(field);
        match decode(body) {
            Err(FormatError::Field { field: f, .. }) => assert_eq!(f, expected),
            other => panic!("{field}: {other:?}"),
        }
    }

    let with = |extra: Value| {
        let mut body = base.clone();
        body.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        decode(body)
    };
    let r = with(
        json!({"system": "sys", "tool_choice": {"type": "any"}, "thinking": {"type": "disabled"}}),
    )
    .unwrap();
    assert_eq!(r.system, vec!["sys"]);
    assert_eq!(
        (r.tool_choice, r.parallel_tool_calls, r.reasoning),
        (Some(ToolChoice::Required), None, None)
    );
    let r = with(json!({"tool_choice": {"type": "tool", "name": "f"}})).unwrap();
    assert_eq!(r.tool_choice, Some(ToolChoice::Tool("f".into())));
    let r = with(json!({"tool_choice": {"type": "none"}})).unwrap();
    assert_eq!(r.tool_choice, Some(ToolChoice::None));
    assert!(with(json!({"tool_choice": {"type": "tool"}})).is_err());
    assert!(with(json!({"tool_choice": {"type": "weird"}})).is_err());
    let r = with(json!({"thinking": {"type": "adaptive"}})).unwrap();
    assert_eq!(r.reasoning.unwrap().effort, Some(Effort::Medium));
    assert!(r.reasoning.unwrap().include_thoughts);
    let r = with(json!({"thinking": {"type": "adaptive", "display": "omitted"}, "output_config": {"effort": "high"}})).unwrap();
    assert_eq!(r.reasoning.unwrap().effort, Some(Effort::High));
    assert!(!r.reasoning.unwrap().include_thoughts);
    let r = with(
        json!({"output_config": {"format": {"type": "json_schema", "schema": {"type": "object"}}}}),
    )
    .unwrap();
    assert!(matches!(
        r.response_format,
        Some(ResponseFormat::JsonSchema { .. })
    ));
    // A wrong type names its path.
    let err = with(json!({"messages": [{"role": "user", "content": 5}]})).unwrap_err();
    assert!(err.to_string().contains("messages[0].content"), "{err}");
    let err = with(json!({"messages": [{"role": "tool", "content": "x"}]})).unwrap_err();
    assert!(err.to_string().contains("messages[0].role"), "{err}");
    // Mid-conversation system messages (a Claude Code beta) join the system instructions.
    let r = with(json!({"system": "first", "messages": [
        {"role": "user", "content": "hi"},
        {"role": "system", "content": [{"type": "text", "text": "Available agent types: x"}]},
        {"role": "user", "content": "go"}]}))
    .unwrap();
    assert_eq!(r.system, vec!["first", "Available agent types: x"]);
    assert_eq!(r.messages.len(), 2);
    // Unknown fields and nulls are fine.
    assert!(
        with(json!({"service_tier": "auto", "temperature": null, "container": {"x": 1}})).is_ok()
    );
}

fn ir_request() -> Request {
    Request {
        model: "claude-up".into(),
        system: vec!["sys one".into()],
        messages: vec![
            Message {
                role: Role::User,
                parts: vec![Part::Text("q".into())],
            },
            Message {
                role: Role::User,
                parts: vec![Part::Image(Image::Url("data:image/png;base64,QQ==".into()))],
            },
            Message {
                role: Role::Assistant,
                parts: vec![
                    Part::Thinking {
                        text: "unsigned".into(),
                        signature: None,
                    },
                    Part::Text("".into()),
                    Part::ToolCall(ToolCall {
                        id: "call_1".into(),
                        name: "f".into(),
                        arguments: "{\"a\":1}".into(),
                        kind: ToolKind::Function,
                        signature: None,
                    }),
                    Part::ToolCall(ToolCall {
                        id: "call_2".into(),
                        name: "apply_patch".into(),
                        arguments: "*** Begin Patch".into(),
                        kind: ToolKind::Custom,
                        signature: None,
                    }),
                ],
            },
            Message {
                role: Role::User,
                parts: vec![
                    Part::Text("note".into()),
                    Part::ToolResult(ToolResult {
                        call_id: "call_1".into(),
                        name: None,
                        content: vec![ToolResultContent::Text("ok".into())],
                        is_error: false,
                    }),
                    Part::ToolResult(ToolResult {
                        call_id: "call_2".into(),
                        name: None,
                        content: vec![ToolResultContent::Text("bad".into())],
                        is_error: true,
                    }),
                ],
            },
        ],
        tools: vec![
            Tool {
                name: "f".into(),
                description: Some("F".into()),
                parameters: json!({"type": "object", "properties": {"a": {"type": "integer"}}}),
                kind: ToolKind::Function,
                strict: None,
                custom_format: None,
                namespace: None,
            },
            Tool {
                name: "apply_patch".into(),
                description: None,
                parameters: Value::Null,
                kind: ToolKind::Custom,
                strict: None,
                custom_format: None,
                namespace: None,
            },
        ],
        tool_choice: None,
        parallel_tool_calls: Some(false),
        temperature: Some(1.7),
        top_k: Some(5),
        stop: vec!["X".into()],
        stream: true,
        user: Some("u".into()),
        response_format: Some(ResponseFormat::JsonObject),
        ..Request::default()
    }
}

#[test]
fn encodes_request_in_anthropic_shape() {
    let body = json_of(&encode_request(&ir_request()));
    assert_eq!(body["model"], "claude-up");
    assert_eq!(body["max_tokens"], DEFAULT_MAX_TOKENS);
    assert_eq!(body["stream"], true);
    assert_eq!(body["temperature"], 1.0, "clamped to Anthropic's range");
    assert_eq!(body["top_k"], 5);
    assert_eq!(body["stop_sequences"], json!(["X"]));
    assert_eq!(body["metadata"], json!({"user_id": "u"}));
    assert!(body.get("thinking").is_none());
    // Two system entries (the JSON instruction was appended) travel as blocks.
    assert_eq!(
        body["system"][0],
        json!({"type": "text", "text": "sys one"})
    );
    assert!(body["system"][1]["text"].as_str().unwrap().contains("JSON"));
    let messages = body["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 3, "consecutive user turns merged");
    assert_eq!(
        messages[0]["content"],
        json!([{"type": "text", "text": "q"},
               {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "QQ=="}}])
    );
    assert_eq!(
        messages[1]["content"],
        json!([{"type": "tool_use", "id": "call_1", "name": "f", "input": {"a": 1}},
               {"type": "tool_use", "id": "call_2", "name": "apply_patch", "input": {"input": "*** Begin Patch"}}]),
        "unsigned thinking and empty text dropped"
    );
    assert_eq!(
        messages[2]["content"],
        json!([{"type": "tool_result", "tool_use_id": "call_1", "content": [{"type": "text", "text": "ok"}]},
               {"type": "tool_result", "tool_use_id": "call_2", "content": [{"type": "text", "text": "bad"}], "is_error": true},
               {"type": "text", "text": "note"}]),
        "tool results first"
    );
    assert_eq!(
        body["tools"][0],
        json!({"name": "f", "description": "F", "input_schema": {"type": "object", "properties": {"a": {"type": "integer"}}}})
    );
    assert_eq!(
        body["tools"][1]["input_schema"]["required"],
        json!(["input"])
    );
    assert_eq!(
        body["tool_choice"],
        json!({"type": "auto", "disable_parallel_tool_use": true})
    );
}

#[test]
fn encodes_tool_choice_and_thinking_constraints() {
    let mut r = ir_request();
    r.response_format = None;
    r.parallel_tool_calls = None;
    for (choice, expected) in [
        (ToolChoice::Required, json!({"type": "any"})),
        (ToolChoice::None, json!({"type": "none"})),
        (
            ToolChoice::Tool("f".into()),
            json!({"type": "tool", "name": "f"}),
        ),
        (ToolChoice::Auto, json!({"type": "auto"})),
    ] {
        r.tool_choice = Some(choice);
        assert_eq!(json_of(&encode_request(&r))["tool_choice"], expected);
    }
    assert_eq!(json_of(&encode_request(&r))["system"], "sys one");

    // Thinking with a signed thinking block leading the tool turn.
    r.tool_choice = None;
    r.messages[2].parts[0] = Part::Thinking {
        text: "t".into(),
        signature: Some("S".into()),
    };
    r.reasoning = Some(Reasoning {
        effort: Some(Effort::High),
        budget_tokens: None,
        include_thoughts: true,
    });
    r.top_p = Some(0.5);
    let body = json_of(&encode_request(&r));
    let budget = body["thinking"]["budget_tokens"].as_u64().unwrap();
    let max = body["max_tokens"].as_u64().unwrap();
    assert_eq!(body["thinking"]["type"], "enabled");
    assert!(
        budget >= 1024 && budget < max && max <= 32_000,
        "{budget} {max}"
    );
    assert!(
        body.get("temperature").is_none()
            && body.get("top_k").is_none()
            && body.get("top_p").is_none()
    );
    assert_eq!(
        body["messages"][1]["content"][0],
        json!({"type": "thinking", "thinking": "t", "signature": "S"})
    );

    // A client limit is kept when above the budget, raised when not.
    r.max_output_tokens = Some(50_000);
    r.reasoning = Some(Reasoning {
        effort: None,
        budget_tokens: Some(2048),
        include_thoughts: true,
    });
    let body = json_of(&encode_request(&r));
    assert_eq!(
        (
            body["max_tokens"].as_u64(),
            body["thinking"]["budget_tokens"].as_u64()
        ),
        (Some(50_000), Some(2048))
    );
    r.max_output_tokens = Some(500);
    let body = json_of(&encode_request(&r));
    assert!(
        body["max_tokens"].as_u64().unwrap() > body["thinking"]["budget_tokens"].as_u64().unwrap()
    );

    // Forced tools and tool turns without signed thinking turn thinking off.
    r.tool_choice = Some(ToolChoice::Required);
    assert!(json_of(&encode_request(&r)).get("thinking").is_none());
    r.tool_choice = None;
    r.messages[2].parts[0] = Part::Text("no thinking".into());
    let body = json_of(&encode_request(&r));
    assert!(body.get("thinking").is_none());
    assert_eq!(body["max_tokens"], 500);
}

#[test]
fn request_round_trip_keeps_the_ir() {
    let mut original = decode(full_request()).unwrap();
    let again = decode_request(&encode_request(&original), &RequestHint::default()).unwrap();
    // Anthropic forbids sampling changes with thinking on, so they are not sent.
    (original.temperature, original.top_p, original.top_k) = (None, None, None);
    // The document, the server tool call and the server tools are not in the IR (the gateway
    // refuses to encode such a request, see `check_carriable`), so the re-read has none.
    assert_eq!(
        original
            .untranslatable
            .iter()
            .map(|u| u.path.as_str())
            .collect::<Vec<_>>(),
        [
            "messages[0].content[3]",
            "messages[1].content[5]",
            "tools[2]",
            "tools[3]"
        ]
    );
    original.untranslatable.clear();
    assert_eq!(again, original);
    original.reasoning = None;
    original.temperature = Some(0.5);
    original.top_k = Some(40);
    let again = decode_request(&encode_request(&original), &RequestHint::default()).unwrap();
    assert_eq!(again, original);
}
