//! Codex's `namespace` tool groups: their members reach formats without namespaces under one
//! flattened name, and come back to a Responses client or upstream under their own name and
//! group — in the tools, in replayed calls, and in answers.

use serde_json::{Value, json};

use crate::ir::*;
use crate::{ClientContext, Format, RequestHint};

fn codex_request() -> Value {
    json!({
        "model": "m",
        "input": [
            {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "run js"}]},
            {"type": "function_call", "call_id": "c1", "name": "js", "namespace": "mcp__node_repl",
             "arguments": "{\"code\":\"1+1\"}"},
            {"type": "function_call_output", "call_id": "c1", "output": "2"}
        ],
        "tools": [
            {"type": "function", "name": "shell", "parameters": {"type": "object"}},
            {"type": "namespace", "name": "mcp__node_repl", "description": "A Node REPL",
             "tools": [
                {"type": "function", "name": "js", "parameters": {"type": "object"}},
                {"type": "function", "name": "js_reset", "parameters": {"type": "object"}}
             ]}
        ]
    })
}

fn decode(body: &Value) -> Request {
    crate::decode_request(
        Format::Responses,
        body.to_string().as_bytes(),
        &RequestHint::default(),
    )
    .unwrap()
}

#[test]
fn members_are_flattened_where_namespaces_do_not_exist() {
    let request = decode(&codex_request());
    assert!(
        request.untranslatable.is_empty(),
        "{:?}",
        request.untranslatable
    );
    let names: Vec<&str> = request.tools.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(
        names,
        ["shell", "mcp__node_repl__js", "mcp__node_repl__js_reset"]
    );
    let Part::ToolCall(call) = &request.messages[1].parts[0] else {
        panic!("{:?}", request.messages)
    };
    assert_eq!(call.name, "mcp__node_repl__js");
    for target in [Format::OpenAiChat, Format::Anthropic, Format::Gemini] {
        crate::check_carriable(&request, Format::Responses, target).unwrap();
        let body: Value = serde_json::from_slice(&crate::encode_request(target, &request)).unwrap();
        let text = body.to_string();
        assert!(
            text.contains("mcp__node_repl__js_reset"),
            "{target:?}: {text}"
        );
        assert!(!text.contains("\"namespace\""), "{target:?}: {text}");
    }
    assert_eq!(
        namespaced_name("mcp__server__", "search"),
        "mcp__server__search"
    );
}

#[test]
fn a_responses_upstream_gets_the_groups_and_namespaced_calls_back() {
    let request = decode(&codex_request());
    let body: Value =
        serde_json::from_slice(&crate::encode_request(Format::Responses, &request)).unwrap();
    assert_eq!(body["tools"][1]["type"], "namespace", "{body}");
    assert_eq!(body["tools"][1]["name"], "mcp__node_repl");
    assert_eq!(body["tools"][1]["description"], "A Node REPL");
    assert_eq!(body["tools"][1]["tools"][1]["name"], "js_reset");
    assert_eq!(body["tools"].as_array().unwrap().len(), 2);
    let call = &body["input"][1];
    assert_eq!(
        (call["name"].as_str(), call["namespace"].as_str()),
        (Some("js"), Some("mcp__node_repl")),
        "{body}"
    );
}

#[test]
fn answers_name_the_member_and_its_namespace() {
    let request = decode(&codex_request());
    let ctx = ClientContext::for_request(&request, 1);
    // An answer from another format calls the flattened name.
    let answer = Response {
        id: "r".into(),
        model: "m".into(),
        parts: vec![Part::ToolCall(ToolCall {
            id: "c2".into(),
            name: "mcp__node_repl__js".into(),
            arguments: "{}".into(),
            kind: ToolKind::Function,
            signature: None,
        })],
        ..Response::default()
    };
    let out: Value =
        serde_json::from_slice(&crate::encode_response(Format::Responses, &answer, &ctx)).unwrap();
    let item = out["output"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["type"] == "function_call")
        .unwrap();
    assert_eq!(item["name"], "js", "{out}");
    assert_eq!(item["namespace"], "mcp__node_repl", "{out}");
    // A Responses upstream's namespaced call reads as the flattened name.
    let upstream = json!({"id": "resp", "object": "response", "status": "completed", "model": "m",
        "output": [{"type": "function_call", "id": "fc", "call_id": "c3", "name": "js",
                    "namespace": "mcp__node_repl", "arguments": "{}"}]});
    let decoded =
        crate::decode_response(Format::Responses, upstream.to_string().as_bytes()).unwrap();
    let Part::ToolCall(call) = &decoded.parts[0] else {
        panic!("{decoded:?}")
    };
    assert_eq!(call.name, "mcp__node_repl__js");
}
