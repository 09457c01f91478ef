//! Requests of the Gemini format: decoding every feature in both casings, exact encoding and
//! round trips.

use serde_json::{Value, json};

use super::*;
use crate::ir::{
    Effort, Image, Message, Part, Reasoning, Request, ResponseFormat, Role, Tool, ToolCall,
    ToolChoice, ToolKind, ToolResult, ToolResultContent,
};
use crate::{FormatError, RequestHint};

pub(super) fn hint(model: &str) -> RequestHint<'_> {
    RequestHint {
        model: Some(model),
        stream: Some(true),
    }
}

pub(super) fn body(value: Value) -> Vec<u8> {
    serde_json::to_vec(&value).unwrap()
}

pub(super) fn json_of(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes).unwrap()
}

pub(super) fn call(id: &str, name: &str, args: &str, signature: Option<&str>) -> Part {
    Part::ToolCall(ToolCall {
        id: id.into(),
        name: name.into(),
        arguments: args.into(),
        kind: ToolKind::Function,
        signature: signature.map(Into::into),
    })
}

#[test]
fn decodes_a_request_with_every_feature() {
    let request = decode_request(
        &body(json!({
            "systemInstruction": {"parts": [{"text": "Be brief."}, {"text": "Use tools."}]},
            "contents": [
                {"role": "user", "parts": [
                    {"text": "What is in this image and the weather?"},
                    {"inlineData": {"mimeType": "image/png", "data": "AAAA"}},
                    {"fileData": {"mimeType": "image/jpeg", "fileUri": "https://x.test/a.jpg"}}
                ]},
                {"role": "model", "parts": [
                    {"text": "planning", "thought": true},
                    {"functionCall": {"name": "weather", "args": {"city": "Paris"}}, "thoughtSignature": "SIG1"},
                    {"functionCall": {"id": "fc-2", "name": "weather", "args": {"city": "Rome"}}},
                    {"functionCall": {"name": "time", "args": {}}}
                ]},
                {"parts": [
                    {"functionResponse": {"name": "weather", "response": {"output": "sunny"}}},
                    {"functionResponse": {"id": "fc-2", "name": "weather", "response": {"temp": 20}}},
                    {"functionResponse": {"name": "time", "response": {"error": "no clock"}}}
                ]}
            ],
            "tools": [
                {"functionDeclarations": [
                    {"name": "weather", "description": "Weather", "parameters": {"type": "OBJECT", "properties": {"city": {"type": "STRING"}}, "required": ["city"]}},
                    {"name": "time", "parametersJsonSchema": {"type": "object", "additionalProperties": false}},
                    {"name": "noop"}
                ]},
                {"googleSearch": {}}
            ],
            "toolConfig": {"functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": ["weather"]}},
            "generationConfig": {
                "temperature": 0.5, "topP": 0.9, "topK": 40, "maxOutputTokens": 4096,
                "stopSequences": ["END"], "seed": 7, "presencePenalty": 0.1, "frequencyPenalty": 0.2,
                "responseMimeType": "application/json",
                "responseSchema": {"type": "OBJECT", "properties": {"a": {"type": "STRING"}}},
                "thinkingConfig": {"thinkingBudget": 2048, "includeThoughts": true}
            }
        })),
        &hint("models/gemini-2.5-pro"),
    )
    .unwrap();
    assert_eq!(request.model, "gemini-2.5-pro");
    assert!(request.stream);
    assert_eq!(request.system, vec!["Be brief.", "Use tools."]);
    assert_eq!(request.messages.len(), 3);
    assert_eq!(
        request.messages[0].parts[1],
        Part::Image(Image::Base64 {
            media_type: "image/png".into(),
            data: "AAAA".into()
        })
    );
    assert_eq!(
        request.messages[0].parts[2],
        Part::Image(Image::Url("https://x.test/a.jpg".into()))
    );
    let model = &request.messages[1];
    assert_eq!(model.role, Role::Assistant);
    assert_eq!(
        model.parts[0],
        Part::Thinking {
            text: "planning".into(),
            signature: None
        }
    );
    assert_eq!(
        model.parts[1],
        call("call_1_1", "weather", r#"{"city":"Paris"}"#, Some("SIG1"))
    );
    assert_eq!(
        model.parts[2],
        call("fc-2", "weather", r#"{"city":"Rome"}"#, None)
    );
    assert_eq!(model.parts[3], call("call_1_3", "time", "{}", None));
    let results = &request.messages[2];
    assert_eq!(results.role, Role::User);
    let expected = [
        ("call_1_1", "sunny", false),
        ("fc-2", r#"{"temp":20}"#, false),
        ("call_1_3", "no clock", true),
    ];
    for (part, (id, text, is_error)) in results.parts.iter().zip(expected) {
        let Part::ToolResult(result) = part else {
            panic!("{part:?}")
        };
        assert_eq!(result.call_id, id);
        assert_eq!(result.text(), text);
        assert_eq!(result.is_error, is_error);
        assert!(result.name.is_some());
    }
    assert_eq!(request.tools.len(), 3);
    assert_eq!(
        request.tools[0].parameters,
        json!({"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]})
    );
    assert_eq!(
        request.tools[1].parameters["additionalProperties"],
        json!(false)
    );
    assert_eq!(request.tools[2].parameters["type"], "object");
    assert_eq!(
        request.tool_choice,
        Some(ToolChoice::Tool("weather".into()))
    );
    assert_eq!(request.temperature, Some(0.5));
    assert_eq!(request.top_p, Some(0.9));
    assert_eq!(request.top_k, Some(40));
    assert_eq!(request.max_output_tokens, Some(4096));
    assert_eq!(request.stop, vec!["END"]);
    assert_eq!(request.seed, Some(7));
    assert_eq!(request.presence_penalty, Some(0.1));
    assert_eq!(request.frequency_penalty, Some(0.2));
    assert!(matches!(
        &request.response_format,
        Some(ResponseFormat::JsonSchema { schema, .. }) if schema["properties"]["a"]["type"] == "string"
    ));
    assert_eq!(
        request.reasoning,
        Some(Reasoning {
            effort: None,
            budget_tokens: Some(2048),
            include_thoughts: true
        })
    );
}

#[test]
fn accepts_snake_case_and_reports_missing_fields() {
    let request = decode_request(
        &body(json!({
            "system_instruction": {"parts": [{"text": "sys"}]},
            "contents": [{"role": "user", "parts": [{"inline_data": {"mime_type": "image/gif", "data": "R0"}}, {"text": "hi", "thought_signature": "X"}]}],
            "tools": [{"function_declarations": [{"name": "f", "parameters_json_schema": {"type": "object"}}]}],
            "tool_config": {"function_calling_config": {"mode": "NONE"}},
            "generation_config": {"max_output_tokens": 10, "top_k": 3.0, "stop_sequences": null,
                "response_mime_type": "application/json",
                "thinking_config": {"thinking_budget": 0}}
        })),
        &RequestHint {
            model: Some("gemini-2.5-flash"),
            stream: None,
        },
    )
    .unwrap();
    assert!(!request.stream);
    assert_eq!(request.system, vec!["sys"]);
    assert!(
        matches!(&request.messages[0].parts[0], Part::Image(Image::Base64 { media_type, .. }) if media_type == "image/gif")
    );
    assert_eq!(request.messages[0].parts[1], Part::Text("hi".into()));
    assert_eq!(request.tools[0].name, "f");
    assert_eq!(request.tool_choice, Some(ToolChoice::None));
    assert_eq!(request.max_output_tokens, Some(10));
    assert_eq!(request.top_k, Some(3));
    assert_eq!(request.response_format, Some(ResponseFormat::JsonObject));
    let reasoning = request.reasoning.unwrap();
    assert_eq!(reasoning.effort(), Effort::None);
    assert_eq!(reasoning.budget(None), 0);

    let dynamic = decode_request(
        &body(json!({"contents": [{"parts": [{"text": "x"}]}],
            "generationConfig": {"thinkingConfig": {"thinkingBudget": -1, "includeThoughts": true}},
            "toolConfig": {"functionCallingConfig": {"mode": "ANY"}}})),
        &hint("m"),
    )
    .unwrap();
    assert_eq!(dynamic.reasoning.unwrap().effort(), Effort::Medium);
    assert_eq!(dynamic.tool_choice, Some(ToolChoice::Required));
    let level = decode_request(
        &body(json!({"contents": [{"parts": [{"text": "x"}]}],
            "generationConfig": {"thinkingConfig": {"thinkingLevel": "high"}}})),
        &hint("m"),
    )
    .unwrap();
    assert_eq!(level.reasoning.unwrap().effort(), Effort::High);

    let missing_model = decode_request(b"{\"contents\":[]}", &RequestHint::default());
    assert!(matches!(missing_model, Err(FormatError::Field { field, .. }) if field == "model"));
    let missing_contents = decode_request(b"{}", &hint("m"));
    assert!(
        matches!(missing_contents, Err(FormatError::Field { field, .. }) if field == "contents")
    );
    let wrong_type = decode_request(b"{\"contents\":[{\"parts\":[{\"text\":5}]}]}", &hint("m"));
    assert!(
        matches!(wrong_type, Err(FormatError::Json(m)) if m.contains("contents[0].parts[0].text"))
    );
}

fn full_request() -> Request {
    Request {
        model: "gemini-2.5-flash".into(),
        system: vec!["You are terse.".into()],
        messages: vec![
            Message {
                role: Role::User,
                parts: vec![
                    Part::Text("Look:".into()),
                    Part::Image(Image::Url("https://x.test/pic.PNG?s=1".into())),
                    Part::Image(Image::Base64 {
                        media_type: "image/webp".into(),
                        data: "UklG".into(),
                    }),
                ],
            },
            Message {
                role: Role::User,
                parts: vec![Part::Text("and tell me the weather".into())],
            },
            Message {
                role: Role::Assistant,
                parts: vec![
                    Part::Thinking {
                        text: "hidden".into(),
                        signature: Some("TSIG".into()),
                    },
                    Part::Text("Checking.".into()),
                    call("c1", "weather", r#"{"city":"Paris"}"#, Some("FSIG")),
                    call("c2", "weather", "not json", None),
                ],
            },
            Message {
                role: Role::User,
                parts: vec![
                    Part::ToolResult(ToolResult {
                        call_id: "c1".into(),
                        name: None,
                        content: vec![ToolResultContent::Text("sunny".into())],
                        is_error: false,
                    }),
                    Part::ToolResult(ToolResult {
                        call_id: "c2".into(),
                        name: Some("weather".into()),
                        content: vec![ToolResultContent::Text(r#"{"temp":20}"#.into())],
                        is_error: false,
                    }),
                ],
            },
        ],
        tools: vec![
            Tool {
                name: "weather".into(),
                description: Some("Weather".into()),
                parameters: json!({"type": "object", "additionalProperties": false,
                    "properties": {"city": {"type": ["string", "null"]}}, "required": ["city"]}),
                kind: ToolKind::Function,
                strict: Some(true),
                custom_format: None,
                namespace: None,
            },
            Tool {
                name: "ping".into(),
                description: None,
                parameters: json!({"type": "object", "properties": {}}),
                kind: ToolKind::Function,
                strict: None,
                custom_format: None,
                namespace: None,
            },
        ],
        tool_choice: Some(ToolChoice::Tool("weather".into())),
        max_output_tokens: Some(8000),
        temperature: Some(0.3),
        top_k: Some(5),
        stop: vec!["STOP!".into()],
        reasoning: Some(Reasoning {
            effort: Some(Effort::High),
            budget_tokens: None,
            include_thoughts: false,
        }),
        response_format: Some(ResponseFormat::JsonSchema {
            name: "out".into(),
            schema: json!({"type": "object", "properties": {"a": {"const": "x"}}}),
            strict: Some(true),
        }),
        ..Request::default()
    }
}

#[test]
fn encodes_a_request_exactly() {
    let encoded = json_of(&encode_request(&full_request()));
    assert_eq!(
        encoded,
        json!({
            "contents": [
                {"role": "user", "parts": [
                    {"text": "Look:"},
                    {"fileData": {"mimeType": "image/png", "fileUri": "https://x.test/pic.PNG?s=1"}},
                    {"inlineData": {"mimeType": "image/webp", "data": "UklG"}},
                    {"text": "and tell me the weather"}
                ]},
                {"role": "model", "parts": [
                    {"text": "Checking.", "thoughtSignature": "TSIG"},
                    {"functionCall": {"id": "c1", "name": "weather", "args": {"city": "Paris"}}, "thoughtSignature": "FSIG"},
                    {"functionCall": {"id": "c2", "name": "weather", "args": {}}}
                ]},
                {"role": "user", "parts": [
                    {"functionResponse": {"id": "c1", "name": "weather", "response": {"output": "sunny"}}},
                    {"functionResponse": {"id": "c2", "name": "weather", "response": {"temp": 20}}}
                ]}
            ],
            "systemInstruction": {"parts": [{"text": "You are terse."}]},
            "tools": [{"functionDeclarations": [
                {"name": "weather", "description": "Weather", "parameters": {"type": "object",
                    "properties": {"city": {"type": "string", "nullable": true}}, "required": ["city"]}},
                {"name": "ping"}
            ]}],
            "toolConfig": {"functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": ["weather"]}},
            "generationConfig": {
                "temperature": 0.3, "topK": 5, "maxOutputTokens": 8000, "stopSequences": ["STOP!"],
                "responseMimeType": "application/json",
                "responseSchema": {"type": "object", "properties": {"a": {"enum": ["x"]}}},
                "thinkingConfig": {"thinkingBudget": 7999, "includeThoughts": true}
            }
        })
    );
}

#[test]
fn encodes_errors_custom_tools_and_disabled_thinking() {
    let request = Request {
        model: "m".into(),
        messages: vec![
            Message {
                role: Role::Assistant,
                parts: vec![
                    Part::Thinking {
                        text: "t".into(),
                        signature: Some("S".into()),
                    },
                    Part::ToolCall(ToolCall {
                        id: "p1".into(),
                        name: "apply_patch".into(),
                        arguments: "*** Begin Patch".into(),
                        kind: ToolKind::Custom,
                        signature: None,
                    }),
                ],
            },
            Message {
                role: Role::User,
                parts: vec![Part::ToolResult(ToolResult {
                    call_id: "p1".into(),
                    name: None,
                    content: vec![
                        ToolResultContent::Text("failed".into()),
                        ToolResultContent::Image(Image::Url("https://x.test/s.gif".into())),
                    ],
                    is_error: true,
                })],
            },
        ],
        tools: vec![Tool {
            name: "apply_patch".into(),
            description: None,
            parameters: Value::Null,
            kind: ToolKind::Custom,
            strict: None,
            custom_format: None,
            namespace: None,
        }],
        tool_choice: Some(ToolChoice::None),
        reasoning: Some(Reasoning {
            effort: Some(Effort::None),
            budget_tokens: None,
            include_thoughts: false,
        }),
        ..Request::default()
    };
    let encoded = json_of(&encode_request(&request));
    assert_eq!(
        encoded["contents"],
        json!([
            {"role": "model", "parts": [{"functionCall": {"id": "p1", "name": "apply_patch",
                "args": {"input": "*** Begin Patch"}}, "thoughtSignature": "S"}]},
            {"role": "user", "parts": [
                {"functionResponse": {"id": "p1", "name": "apply_patch", "response": {"error": "failed"}}},
                {"fileData": {"mimeType": "image/gif", "fileUri": "https://x.test/s.gif"}}
            ]}
        ])
    );
    assert_eq!(
        encoded["tools"][0]["functionDeclarations"][0]["parameters"],
        json!({"type": "object", "properties": {"input": {"type": "string"}}, "required": ["input"]})
    );
    assert_eq!(
        encoded["toolConfig"]["functionCallingConfig"]["mode"],
        "NONE"
    );
    assert_eq!(
        encoded["generationConfig"],
        json!({"thinkingConfig": {"thinkingBudget": 0}})
    );
}

#[test]
fn request_round_trip_keeps_the_ir() {
    let original = full_request();
    let encoded = encode_request(&original);
    let decoded = decode_request(&encoded, &hint("gemini-2.5-flash")).unwrap();
    // What Gemini cannot carry: thinking text, invalid argument JSON, strictness, the schema
    // name and keywords it rejects, and the effort (it speaks budgets).
    assert_eq!(decoded.system, original.system);
    assert_eq!(decoded.messages.len(), 3);
    assert_eq!(decoded.messages[0].parts.len(), 4);
    assert_eq!(
        decoded.messages[1].parts,
        vec![
            Part::Thinking {
                text: String::new(),
                signature: Some("TSIG".into())
            },
            Part::Text("Checking.".into()),
            call("c1", "weather", r#"{"city":"Paris"}"#, Some("FSIG")),
            call("c2", "weather", "{}", None),
        ]
    );
    let Part::ToolResult(first) = &decoded.messages[2].parts[0] else {
        panic!()
    };
    assert_eq!(
        (first.call_id.as_str(), first.text().as_str()),
        ("c1", "sunny")
    );
    assert_eq!(decoded.tool_choice, original.tool_choice);
    assert_eq!(decoded.stop, original.stop);
    assert_eq!(decoded.top_k, original.top_k);
    assert_eq!(decoded.reasoning.unwrap().budget_tokens, Some(7999));
    let again = encode_request(&decoded);
    assert_eq!(json_of(&again), json_of(&encoded));
}
