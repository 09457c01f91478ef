use omniroute_formats::ir::{
    Image, Message, Part, Request, Role, Tool, ToolCall, ToolKind, ToolResult, ToolResultContent,
};
use serde_json::{Value, json};

use super::super::wire::GenerateAssistantResponseRequest;
use super::*;

fn user(parts: Vec<Part>) -> Message {
    Message {
        role: Role::User,
        parts,
    }
}

fn assistant(parts: Vec<Part>) -> Message {
    Message {
        role: Role::Assistant,
        parts,
    }
}

fn t(s: &str) -> Part {
    Part::Text(s.into())
}

fn call(id: &str, name: &str, arguments: &str) -> Part {
    Part::ToolCall(ToolCall {
        id: id.into(),
        name: name.into(),
        arguments: arguments.into(),
        kind: ToolKind::Function,
        signature: None,
    })
}

fn result(id: &str, text: &str, is_error: bool) -> Part {
    Part::ToolResult(ToolResult {
        call_id: id.into(),
        name: None,
        content: vec![ToolResultContent::Text(text.into())],
        is_error,
    })
}

fn tool(name: &str, description: Option<&str>, parameters: Value) -> Tool {
    Tool {
        name: name.into(),
        description: description.map(str::to_owned),
        parameters,
        kind: ToolKind::Function,
        strict: None,
        custom_format: None,
        namespace: None,
    }
}

fn encode(request: &Request) -> Value {
    let body = encode_request(request, "claude-sonnet-4.5", None, "conv-1").unwrap();
    serde_json::from_slice(&body).unwrap()
}

#[test]
fn single_turn_with_system_prompt() {
    let request = Request {
        system: vec!["Be brief.".into(), "Use English.".into()],
        messages: vec![user(vec![t("Hello")])],
        ..Request::default()
    };
    assert_eq!(
        encode(&request),
        json!({
            "conversationState": {
                "chatTriggerType": "MANUAL",
                "conversationId": "conv-1",
                "currentMessage": {"userInputMessage": {
                    "content": "Be brief.\n\nUse English.\n\nHello",
                    "modelId": "claude-sonnet-4.5",
                    "origin": "AI_EDITOR"
                }}
            }
        })
    );
    let body = encode_request(
        &request,
        "m",
        Some("arn:aws:codewhisperer:us-east-1:1:profile/P"),
        "c",
    )
    .unwrap();
    let value: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(
        value["profileArn"],
        "arn:aws:codewhisperer:us-east-1:1:profile/P"
    );
}

#[test]
fn tool_conversation_in_full() {
    let request = Request {
        system: vec!["sys".into()],
        messages: vec![
            user(vec![t("List files")]),
            assistant(vec![t("Looking."), call("t1", "ls", r#"{"path":"."}"#)]),
            user(vec![result("t1", "a.txt", false)]),
            assistant(vec![call("t2", "cat", r#"{"path":"a.txt"}"#)]),
            user(vec![result("t2", "", true), t("Summarise.")]),
        ],
        tools: vec![
            tool(
                "ls",
                Some("List a directory"),
                json!({"type": "object", "properties": {"path": {"type": "string"}}}),
            ),
            tool("cat", None, json!({})),
        ],
        ..Request::default()
    };
    assert_eq!(
        encode(&request),
        json!({"conversationState": {
            "chatTriggerType": "MANUAL",
            "conversationId": "conv-1",
            "history": [
                {"userInputMessage": {"content": "sys\n\nList files", "modelId": "claude-sonnet-4.5", "origin": "AI_EDITOR"}},
                {"assistantResponseMessage": {"content": "Looking.", "toolUses": [
                    {"toolUseId": "t1", "name": "ls", "input": {"path": "."}}]}},
                {"userInputMessage": {"content": "Tool results are attached.", "modelId": "claude-sonnet-4.5", "origin": "AI_EDITOR",
                    "userInputMessageContext": {"toolResults": [
                        {"toolUseId": "t1", "content": [{"text": "a.txt"}], "status": "success"}]}}},
                {"assistantResponseMessage": {"content": " ", "toolUses": [
                    {"toolUseId": "t2", "name": "cat", "input": {"path": "a.txt"}}]}}
            ],
            "currentMessage": {"userInputMessage": {
                "content": "Summarise.",
                "modelId": "claude-sonnet-4.5",
                "origin": "AI_EDITOR",
                "userInputMessageContext": {
                    "tools": [
                        {"toolSpecification": {"name": "ls", "description": "List a directory",
                            "inputSchema": {"json": {"type": "object", "properties": {"path": {"type": "string"}}}}}},
                        {"toolSpecification": {"name": "cat", "description": "Tool: cat",
                            "inputSchema": {"json": {"type": "object", "properties": {}}}}}
                    ],
                    "toolResults": [{"toolUseId": "t2", "content": [{"text": "(no output)"}], "status": "error"}]
                }
            }}
        }})
    );
}

#[test]
fn roles_merge_and_alternate() {
    let request = Request {
        messages: vec![
            assistant(vec![t("Hi, I am here.")]),
            user(vec![t("a")]),
            user(vec![t("b")]),
            assistant(vec![t("c")]),
            assistant(vec![Part::Thinking {
                text: "hidden".into(),
                signature: None,
            }]),
            assistant(vec![t("d")]),
        ],
        ..Request::default()
    };
    let body = build_request(&request, "m", None, "c").unwrap();
    let state = &body.conversation_state;
    let roles: Vec<&str> = state
        .history
        .iter()
        .map(|h| match h {
            HistoryEntry::User { .. } => "user",
            HistoryEntry::Assistant { .. } => "assistant",
        })
        .collect();
    assert_eq!(roles, ["user", "assistant", "user", "assistant"]);
    let HistoryEntry::User { user_input_message } = &state.history[2] else {
        panic!()
    };
    assert_eq!(user_input_message.content, "a\n\nb");
    let HistoryEntry::Assistant {
        assistant_response_message,
    } = &state.history[3]
    else {
        panic!()
    };
    assert_eq!(assistant_response_message.content, "c\n\nd", "no thinking");
    // The conversation started with the assistant and ended with it (a prefill): Kiro gets
    // neutral user turns at both ends.
    let HistoryEntry::User { user_input_message } = &state.history[0] else {
        panic!()
    };
    assert_eq!(user_input_message.content, "...");
    assert_eq!(state.current_message.user_input_message.content, "...");
}

#[test]
fn system_before_an_assistant_first_conversation_gets_its_own_turn() {
    let request = Request {
        system: vec!["sys".into()],
        messages: vec![assistant(vec![t("Hello!")]), user(vec![t("Hi")])],
        ..Request::default()
    };
    let value = encode(&request);
    assert_eq!(
        value["conversationState"]["history"][0]["userInputMessage"]["content"],
        "sys"
    );
    assert_eq!(
        value["conversationState"]["currentMessage"]["userInputMessage"]["content"],
        "Hi"
    );
}

#[test]
fn tool_results_that_pair_with_nothing_become_text_and_duplicates_drop() {
    let request = Request {
        messages: vec![
            user(vec![t("go")]),
            assistant(vec![call("a", "f", "{}")]),
            user(vec![
                result("a", "first", false),
                result("a", "again", false),
                result("zzz", "stray", false),
            ]),
        ],
        tools: vec![tool("f", Some("F"), json!({"type": "object"}))],
        ..Request::default()
    };
    let value = encode(&request);
    let current = &value["conversationState"]["currentMessage"]["userInputMessage"];
    assert_eq!(current["content"], "[result of tool call zzz]\nstray");
    assert_eq!(
        current["userInputMessageContext"]["toolResults"],
        json!([{"toolUseId": "a", "content": [{"text": "first"}], "status": "success"}])
    );
    assert_eq!(
        current["userInputMessageContext"]["tools"][0]["toolSpecification"]["inputSchema"]["json"],
        json!({"type": "object", "properties": {}})
    );
}

#[test]
fn tools_used_in_history_but_no_longer_offered_get_placeholders() {
    let request = Request {
        messages: vec![
            user(vec![t("go")]),
            assistant(vec![call("a", "old_tool", "{\"x\":1}")]),
            user(vec![result("a", "ok", false)]),
        ],
        ..Request::default()
    };
    let value = encode(&request);
    let tools = &value["conversationState"]["currentMessage"]["userInputMessage"]["userInputMessageContext"]
        ["tools"];
    assert_eq!(tools.as_array().unwrap().len(), 1);
    assert_eq!(tools[0]["toolSpecification"]["name"], "old_tool");
}

#[test]
fn tool_shapes_and_odd_arguments() {
    let mut custom = tool("apply_patch", Some("Patch"), json!(null));
    custom.kind = ToolKind::Custom;
    let long = "x".repeat(10_050);
    let request = Request {
        messages: vec![
            user(vec![t("go")]),
            assistant(vec![
                call("a", "apply_patch", "*** Begin Patch"),
                call("b", "f", "[1,2]"),
                call("c", "f", ""),
            ]),
            user(vec![
                result("a", "ok", false),
                result("b", "ok", false),
                result("c", "ok", false),
            ]),
        ],
        tools: vec![custom, tool("f", Some(&long), json!("not a schema"))],
        ..Request::default()
    };
    // The custom call's kind comes from the request's message, so set it there too.
    let mut request = request;
    if let Part::ToolCall(c) = &mut request.messages[1].parts[0] {
        c.kind = ToolKind::Custom;
    }
    let value = encode(&request);
    let uses = &value["conversationState"]["history"][1]["assistantResponseMessage"]["toolUses"];
    assert_eq!(uses[0]["input"], json!({"input": "*** Begin Patch"}));
    assert_eq!(uses[1]["input"], json!({"input": "[1,2]"}));
    assert_eq!(uses[2]["input"], json!({}));
    let tools = &value["conversationState"]["currentMessage"]["userInputMessage"]["userInputMessageContext"]
        ["tools"];
    assert_eq!(
        tools[0]["toolSpecification"]["inputSchema"]["json"]["required"],
        json!(["input"])
    );
    let description = tools[1]["toolSpecification"]["description"]
        .as_str()
        .unwrap();
    assert_eq!(description.chars().count(), 10_000);
    assert_eq!(
        tools[1]["toolSpecification"]["inputSchema"]["json"],
        json!({"type": "object", "properties": {}})
    );
}

#[test]
fn images() {
    let png = Part::Image(Image::Base64 {
        media_type: "image/png".into(),
        data: "iVBORw0KGgo=".into(),
    });
    let screenshot = Part::ToolResult(ToolResult {
        call_id: "s".into(),
        name: None,
        content: vec![
            ToolResultContent::Text("shot".into()),
            ToolResultContent::Image(Image::Base64 {
                media_type: "image/jpeg".into(),
                data: "/9j/".into(),
            }),
        ],
        is_error: false,
    });
    let request = Request {
        messages: vec![
            user(vec![t("see"), png]),
            assistant(vec![call("s", "screenshot", "{}")]),
            user(vec![screenshot]),
        ],
        ..Request::default()
    };
    let value = encode(&request);
    assert_eq!(
        value["conversationState"]["history"][0]["userInputMessage"]["images"],
        json!([{"format": "png", "source": {"bytes": "iVBORw0KGgo="}}])
    );
    let current = &value["conversationState"]["currentMessage"]["userInputMessage"];
    assert_eq!(
        current["images"],
        json!([{"format": "jpeg", "source": {"bytes": "/9j/"}}])
    );
    assert_eq!(
        current["userInputMessageContext"]["toolResults"][0]["content"][0]["text"],
        "shot"
    );

    for (image, message) in [
        (Image::Url("https://x/y.png".into()), "not image URLs"),
        (
            Image::Base64 {
                media_type: "image/tiff".into(),
                data: "AA==".into(),
            },
            "not image/tiff",
        ),
    ] {
        let request = Request {
            messages: vec![user(vec![t("a"), Part::Image(image)])],
            ..Request::default()
        };
        let err = encode_request(&request, "m", None, "c").unwrap_err();
        assert!(err.to_string().contains("messages[0].content[1]"), "{err}");
        assert!(err.to_string().contains(message), "{err}");
    }
}

#[test]
fn no_messages_is_refused() {
    let err = encode_request(&Request::default(), "m", None, "c").unwrap_err();
    assert!(err.to_string().contains("at least one message"));
}

#[test]
fn deterministic_and_reads_back_as_the_typed_body() {
    let request = Request {
        system: vec!["s".into()],
        messages: vec![
            user(vec![t("q")]),
            assistant(vec![call("a", "f", "{\"k\":[1,{\"z\":null}]}")]),
            user(vec![result("a", "r", false)]),
        ],
        tools: vec![tool(
            "f",
            Some("F"),
            json!({"type": "object", "properties": {"k": {}}}),
        )],
        ..Request::default()
    };
    let first = encode_request(&request, "m", Some("arn"), "id").unwrap();
    assert_eq!(
        first,
        encode_request(&request, "m", Some("arn"), "id").unwrap()
    );
    let typed: GenerateAssistantResponseRequest = serde_json::from_slice(&first).unwrap();
    assert_eq!(
        typed,
        build_request(&request, "m", Some("arn"), "id").unwrap()
    );
    assert_eq!(omniroute_formats::to_json(&typed), first);
}
