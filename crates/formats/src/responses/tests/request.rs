//! Requests: decoding every item kind and option, errors, encoding for an upstream, round trips.

use serde_json::{Value, json};

use crate::ir::*;
use crate::responses::{decode_request, encode_request};
use crate::{FormatError, RequestHint};

fn decode(body: Value) -> Result<Request, FormatError> {
    decode_request(body.to_string().as_bytes(), &RequestHint::default())
}

fn text(t: &str) -> Part {
    Part::Text(t.into())
}

fn call(id: &str, name: &str, args: &str, kind: ToolKind) -> Part {
    Part::ToolCall(ToolCall {
        id: id.into(),
        name: name.into(),
        arguments: args.into(),
        kind,
        signature: None,
    })
}

fn result(id: &str, name: Option<&str>, content: Vec<ToolResultContent>) -> Part {
    Part::ToolResult(ToolResult {
        call_id: id.into(),
        name: name.map(Into::into),
        content,
        is_error: false,
    })
}

#[test]
fn decodes_a_codex_request_with_every_item_kind() {
    let body = json!({
        "model": "gpt-5-codex",
        "instructions": "You are Codex.",
        "input": [
            {"type": "message", "role": "developer", "content": [{"type": "input_text", "text": "Sandbox: on"}]},
            {"type": "message", "role": "user", "content": [
                {"type": "input_text", "text": "Look"},
                {"type": "input_image", "image_url": "data:image/png;base64,iVBOR"},
                {"type": "input_image", "image_url": "https://x/y.png", "detail": "high"},
                {"type": "input_image", "file_id": "file-1"},
                {"type": "input_file", "file_id": "file-2"}
            ]},
            {"role": "user", "content": "easy message"},
            {"type": "reasoning", "id": "rs_1", "summary": [
                {"type": "summary_text", "text": "First"}, {"type": "summary_text", "text": "Second"}
            ], "encrypted_content": "gAAAenc"},
            {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "Running", "annotations": []}]},
            {"type": "function_call", "id": "fc_1", "call_id": "call_a", "name": "shell", "arguments": "{\"command\":[\"ls\"]}"},
            {"type": "function_call", "call_id": "call_b", "name": "read", "arguments": ""},
            {"type": "local_shell_call", "call_id": "ls_1", "status": "completed",
             "action": {"type": "exec", "command": ["pwd"]}},
            {"type": "function_call_output", "call_id": "call_a", "output": "a.txt"},
            {"type": "function_call_output", "call_id": "call_b", "output": [
                {"type": "input_text", "text": "contents"},
                {"type": "input_image", "image_url": "https://x/z.png"}
            ]},
            {"type": "item_reference", "id": "msg_old"},
            {"type": "custom_tool_call", "call_id": "call_c", "name": "apply_patch",
             "input": "*** Begin Patch\n*** End Patch"},
            {"type": "custom_tool_call_output", "call_id": "call_c", "output": "Done"},
            {"type": "web_search_call", "status": "completed", "action": {"type": "search", "query": "q"}},
            {"type": "message", "role": "system", "content": "Late system"}
        ],
        "tools": [
            {"type": "function", "name": "shell", "description": "Run", "strict": false,
             "parameters": {"type": "object", "properties": {"command": {"type": "array"}}}},
            {"type": "custom", "name": "apply_patch", "description": "Patch",
             "format": {"type": "grammar", "syntax": "lark", "definition": "start: x"}},
            {"type": "web_search"},
            {"type": "local_shell"}
        ],
        "tool_choice": "auto",
        "parallel_tool_calls": false,
        "reasoning": {"effort": "high", "summary": "auto"},
        "store": false,
        "stream": true,
        "include": ["reasoning.encrypted_content"],
        "prompt_cache_key": "thread-1",
        "service_tier": "auto",
        "metadata": {"a": "b"},
        "previous_response_id": null,
        "text": {"verbosity": "low", "format": {"type": "json_schema", "name": "out",
                 "schema": {"type": "object"}, "strict": true}},
        "max_output_tokens": 4000,
        "temperature": 0.5,
        "top_p": 0.9,
        "safety_identifier": "user-7"
    });
    let request = decode(body).unwrap();
    assert_eq!(request.model, "gpt-5-codex");
    assert_eq!(
        request.system,
        vec!["You are Codex.", "Sandbox: on", "Late system"]
    );
    assert!(request.stream);
    assert_eq!(request.parallel_tool_calls, Some(false));
    assert_eq!(request.max_output_tokens, Some(4000));
    assert_eq!(request.temperature, Some(0.5));
    assert_eq!(request.top_p, Some(0.9));
    assert_eq!(request.user.as_deref(), Some("user-7"));
    assert_eq!(request.tool_choice, Some(ToolChoice::Auto));
    assert_eq!(
        request.reasoning,
        Some(Reasoning {
            effort: Some(Effort::High),
            budget_tokens: None,
            include_thoughts: true
        })
    );
    assert_eq!(
        request.response_format,
        Some(ResponseFormat::JsonSchema {
            name: "out".into(),
            schema: json!({"type": "object"}),
            strict: Some(true)
        })
    );
    assert_eq!(request.tools.len(), 2);
    assert_eq!(request.tools[0].kind, ToolKind::Function);
    assert_eq!(request.tools[0].strict, Some(false));
    assert_eq!(request.tools[0].description.as_deref(), Some("Run"));
    assert_eq!(request.tools[1].kind, ToolKind::Custom);
    assert_eq!(request.tools[1].parameters["required"], json!(["input"]));
    assert_eq!(
        request.tools[1].custom_format,
        Some(json!({"type": "grammar", "syntax": "lark", "definition": "start: x"}))
    );

    let expected = vec![
        Message {
            role: Role::User,
            parts: vec![
                text("Look"),
                Part::Image(Image::Base64 {
                    media_type: "image/png".into(),
                    data: "iVBOR".into(),
                }),
                Part::Image(Image::Url("https://x/y.png".into())),
                text("easy message"),
            ],
        },
        Message {
            role: Role::Assistant,
            parts: vec![
                Part::Thinking {
                    text: "First\n\nSecond".into(),
                    signature: Some("gAAAenc".into()),
                },
                text("Running"),
                call(
                    "call_a",
                    "shell",
                    "{\"command\":[\"ls\"]}",
                    ToolKind::Function,
                ),
                call("call_b", "read", "{}", ToolKind::Function),
            ],
        },
        Message {
            role: Role::User,
            parts: vec![
                result(
                    "call_a",
                    Some("shell"),
                    vec![ToolResultContent::Text("a.txt".into())],
                ),
                result(
                    "call_b",
                    Some("read"),
                    vec![
                        ToolResultContent::Text("contents".into()),
                        ToolResultContent::Image(Image::Url("https://x/z.png".into())),
                    ],
                ),
            ],
        },
        Message {
            role: Role::Assistant,
            parts: vec![call(
                "call_c",
                "apply_patch",
                "*** Begin Patch\n*** End Patch",
                ToolKind::Custom,
            )],
        },
        Message {
            role: Role::User,
            parts: vec![result(
                "call_c",
                Some("apply_patch"),
                vec![ToolResultContent::Text("Done".into())],
            )],
        },
    ];
    assert_eq!(request.messages, expected);
}

#[test]
fn string_input_is_one_user_message_and_stream_defaults_off() {
    let request = decode(json!({"model": "m", "input": "Hello"})).unwrap();
    assert_eq!(
        request.messages,
        vec![Message {
            role: Role::User,
            parts: vec![text("Hello")]
        }]
    );
    assert!(!request.stream);
    assert!(request.system.is_empty());
    assert_eq!(request.reasoning, None);
}

#[test]
fn missing_or_malformed_fields_are_errors_naming_the_field() {
    assert_eq!(
        decode(json!({"input": "x"})).unwrap_err(),
        FormatError::field("model", "is required")
    );
    assert_eq!(
        decode(json!({"model": "m"})).unwrap_err(),
        FormatError::field("input", "is required")
    );
    let err = decode(json!({"model": "m", "input": "x", "max_output_tokens": "many"})).unwrap_err();
    assert!(err.to_string().contains("max_output_tokens"), "{err}");
    let err = decode(json!({"model": "m", "input": [{"type": "function_call", "name": "f"}]}))
        .unwrap_err();
    assert!(err.to_string().contains("input"), "{err}");
    assert!(decode_request(b"{not json", &RequestHint::default()).is_err());
}

#[test]
fn tool_choice_and_reasoning_variants() {
    let choice = |c: Value| {
        decode(json!({"model": "m", "input": "x", "tool_choice": c}))
            .unwrap()
            .tool_choice
    };
    assert_eq!(choice(json!("none")), Some(ToolChoice::None));
    assert_eq!(choice(json!("required")), Some(ToolChoice::Required));
    assert_eq!(
        choice(json!({"type": "function", "name": "f"})),
        Some(ToolChoice::Tool("f".into()))
    );
    assert_eq!(
        choice(json!({"type": "custom", "name": "apply_patch"})),
        Some(ToolChoice::Tool("apply_patch".into()))
    );
    assert_eq!(
        choice(json!({"type": "allowed_tools", "mode": "required", "tools": []})),
        Some(ToolChoice::Required)
    );
    assert_eq!(choice(json!({"type": "web_search_preview"})), None);

    let reasoning = |r: Value| {
        decode(json!({"model": "m", "input": "x", "reasoning": r}))
            .unwrap()
            .reasoning
            .unwrap()
    };
    let r = reasoning(json!({"effort": "minimal"}));
    assert_eq!(
        (r.effort, r.include_thoughts),
        (Some(Effort::Minimal), false)
    );
    let r = reasoning(json!({"effort": "xhigh", "summary": "none"}));
    assert_eq!((r.effort, r.include_thoughts), (Some(Effort::High), false));
    // No effort chosen: the upstream keeps its default; nothing is switched on elsewhere.
    let none =
        decode(json!({"model": "m", "input": "x", "reasoning": {"summary": "detailed"}})).unwrap();
    assert_eq!(none.reasoning, None);
    let r = reasoning(json!({"effort": "none"}));
    assert_eq!(r.effort, Some(Effort::None));
}

#[test]
fn nulls_read_as_missing() {
    let request = decode(
        json!({"model": "m", "tools": null, "include": null, "tool_choice": null,
        "reasoning": null, "text": null, "input": [
            {"type": "message", "role": "user", "content": null},
            {"role": "user", "content": "x"},
            {"type": "function_call", "call_id": "c", "name": "f", "arguments": null},
            {"type": "function_call_output", "call_id": "c", "output": null},
            {"type": "reasoning", "summary": null, "encrypted_content": null}
        ]}),
    )
    .unwrap();
    assert_eq!(request.messages.len(), 3);
    assert!(request.tools.is_empty());
}

#[test]
fn chat_style_nested_function_tools_are_accepted() {
    let request = decode(json!({"model": "m", "input": "x", "tools": [
        {"type": "function", "function": {"name": "f", "description": "d",
         "parameters": {"type": "object"}}},
        {"type": "function"}
    ]}))
    .unwrap();
    assert_eq!(request.tools.len(), 1);
    assert_eq!(request.tools[0].name, "f");
    assert_eq!(request.tools[0].description.as_deref(), Some("d"));
}

fn full_ir() -> Request {
    Request {
        model: "gpt-5".into(),
        system: vec!["Be brief.".into(), "Use tools.".into()],
        messages: vec![
            Message {
                role: Role::User,
                parts: vec![
                    text("What is here?"),
                    Part::Image(Image::Base64 {
                        media_type: "image/jpeg".into(),
                        data: "AAAA".into(),
                    }),
                    Part::Image(Image::Url("https://img/x.png".into())),
                ],
            },
            Message {
                role: Role::Assistant,
                parts: vec![
                    Part::Thinking {
                        text: "Think".into(),
                        signature: Some("enc-1".into()),
                    },
                    text("Let me look."),
                    call("call_1", "ls", "{\"dir\":\".\"}", ToolKind::Function),
                    call("call_2", "apply_patch", "*** Begin Patch", ToolKind::Custom),
                ],
            },
            Message {
                role: Role::User,
                parts: vec![
                    result(
                        "call_1",
                        Some("ls"),
                        vec![ToolResultContent::Text("a\nb".into())],
                    ),
                    result(
                        "call_2",
                        Some("apply_patch"),
                        vec![
                            ToolResultContent::Text("ok".into()),
                            ToolResultContent::Image(Image::Url("https://img/r.png".into())),
                        ],
                    ),
                    text("Continue"),
                ],
            },
        ],
        tools: vec![
            Tool {
                name: "ls".into(),
                description: Some("List".into()),
                parameters: json!({"type": "object", "properties": {"dir": {"type": "string"}}}),
                kind: ToolKind::Function,
                strict: Some(false),
                custom_format: None,
                namespace: None,
            },
            Tool {
                name: "apply_patch".into(),
                description: Some("Patch".into()),
                parameters: json!({
                    "type": "object",
                    "properties": {"input": {"type": "string"}},
                    "required": ["input"],
                    "additionalProperties": false
                }),
                kind: ToolKind::Custom,
                strict: None,
                custom_format: Some(json!({"type": "text"})),
                namespace: None,
            },
        ],
        tool_choice: Some(ToolChoice::Tool("apply_patch".into())),
        parallel_tool_calls: Some(true),
        max_output_tokens: Some(2048),
        temperature: Some(0.2),
        top_p: Some(1.0),
        stream: true,
        reasoning: Some(Reasoning {
            effort: Some(Effort::Low),
            budget_tokens: None,
            include_thoughts: true,
        }),
        response_format: Some(ResponseFormat::JsonObject),
        user: Some("u1".into()),
        ..Request::default()
    }
}

#[test]
fn encodes_every_feature_for_a_responses_upstream() {
    let body: Value = serde_json::from_slice(&encode_request(&full_ir())).unwrap();
    assert_eq!(
        body,
        json!({
            "model": "gpt-5",
            "instructions": "Be brief.\n\nUse tools.",
            "input": [
                {"type": "message", "role": "user", "content": [
                    {"type": "input_text", "text": "What is here?"},
                    {"type": "input_image", "image_url": "data:image/jpeg;base64,AAAA", "detail": "auto"},
                    {"type": "input_image", "image_url": "https://img/x.png", "detail": "auto"}
                ]},
                {"type": "reasoning", "summary": [{"type": "summary_text", "text": "Think"}],
                 "encrypted_content": "enc-1"},
                {"type": "message", "role": "assistant", "content": [
                    {"type": "output_text", "text": "Let me look.", "annotations": []}
                ]},
                {"type": "function_call", "call_id": "call_1", "name": "ls", "arguments": "{\"dir\":\".\"}"},
                {"type": "custom_tool_call", "call_id": "call_2", "name": "apply_patch",
                 "input": "*** Begin Patch"},
                {"type": "function_call_output", "call_id": "call_1", "output": "a\nb"},
                {"type": "custom_tool_call_output", "call_id": "call_2", "output": [
                    {"type": "input_text", "text": "ok"},
                    {"type": "input_image", "image_url": "https://img/r.png", "detail": "auto"}
                ]},
                {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "Continue"}]}
            ],
            "tools": [
                {"type": "function", "name": "ls", "description": "List",
                 "parameters": {"type": "object", "properties": {"dir": {"type": "string"}}},
                 "strict": false},
                {"type": "custom", "name": "apply_patch", "description": "Patch", "format": {"type": "text"}}
            ],
            "tool_choice": {"type": "custom", "name": "apply_patch"},
            "parallel_tool_calls": true,
            "reasoning": {"effort": "low", "summary": "auto"},
            "max_output_tokens": 2048,
            "temperature": 0.2,
            "top_p": 1.0,
            "text": {"format": {"type": "json_object"}},
            "user": "u1",
            "store": false,
            "include": ["reasoning.encrypted_content"],
            "stream": true
        })
    );
}

#[test]
fn encoding_drops_what_a_responses_upstream_cannot_take() {
    let request = Request {
        model: "m".into(),
        messages: vec![
            Message {
                role: Role::User,
                parts: vec![text("hi")],
            },
            Message {
                role: Role::Assistant,
                parts: vec![
                    Part::Thinking {
                        text: "unsigned".into(),
                        signature: None,
                    },
                    Part::RedactedThinking { data: "x".into() },
                    text("hello"),
                ],
            },
        ],
        tools: vec![Tool {
            name: "f".into(),
            description: None,
            parameters: Value::Null,
            kind: ToolKind::Function,
            strict: None,
            custom_format: None,
            namespace: None,
        }],
        ..Request::default()
    };
    let body: Value = serde_json::from_slice(&encode_request(&request)).unwrap();
    assert!(body.get("instructions").is_none());
    assert!(body.get("reasoning").is_none());
    assert!(body.get("include").is_none());
    assert_eq!(body["stream"], json!(false));
    assert_eq!(body["input"].as_array().unwrap().len(), 2);
    assert_eq!(body["input"][1]["role"], "assistant");
    assert_eq!(
        body["tools"][0],
        json!({"type": "function", "name": "f",
               "parameters": {"type": "object", "properties": {}}, "strict": false})
    );
}

#[test]
fn encode_then_decode_gives_the_same_request() {
    let ir = full_ir();
    let back = decode_request(&encode_request(&ir), &RequestHint::default()).unwrap();
    let mut expected = ir.clone();
    // Instructions travel joined; the upstream sees them as one system entry.
    expected.system = vec!["Be brief.\n\nUse tools.".into()];
    assert_eq!(back, expected);
}
