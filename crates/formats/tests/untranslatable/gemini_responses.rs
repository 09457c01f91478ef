//! Gemini and Responses clients: what their decoders cannot put in the IR.

use omniroute_formats::ir::Format;
use serde_json::json;

use super::{assert_dropped_offer, assert_refused, gemini, responses};

#[test]
fn gemini_clients() {
    let g = Format::Gemini;
    let hi = json!({"role": "user", "parts": [{"text": "hi"}]});
    assert_refused(
        g,
        gemini(
            json!([hi, {"role": "model", "parts": [{"text": "running"},
                {"executableCode": {"language": "PYTHON", "code": "print(1)"}}]}, hi]),
            json!({}),
        ),
        "contents[1].parts[1]",
        "part 'executableCode'",
    );
    assert_refused(
        g,
        gemini(
            json!([hi, {"role": "model", "parts": [{"code_execution_result":
                {"outcome": "OUTCOME_OK", "output": "1"}}]}, hi]),
            json!({}),
        ),
        "contents[1].parts[0]",
        "part 'codeExecutionResult'",
    );
    assert_refused(
        g,
        gemini(
            json!([hi]),
            json!({"systemInstruction": {"parts": [{"text": "be brief"},
                {"inlineData": {"mimeType": "image/png", "data": "AAA"}}]}}),
        ),
        "systemInstruction.parts[1]",
        "part 'inlineData' in the system instruction",
    );
    assert_dropped_offer(
        g,
        gemini(json!([hi]), json!({"tools": [{"googleSearch": {}}]})),
        "tools[0]",
        "built-in tool 'googleSearch'",
    );
    assert_dropped_offer(
        g,
        gemini(
            json!([hi]),
            json!({"tools": [{"functionDeclarations": [{"name": "f"}]},
                {"code_execution": {}}]}),
        ),
        "tools[1]",
        "built-in tool 'codeExecution'",
    );
    assert_refused(
        g,
        gemini(
            json!([hi]),
            json!({"tools": [{"functionDeclarations": [{"name": "f"}, {"description": "?"}]}]}),
        ),
        "tools[0].functionDeclarations[1]",
        "a tool without a name",
    );
    let two_tools =
        json!([{"functionDeclarations": [{"name": "f"}, {"name": "g"}, {"name": "h"}]}]);
    assert_refused(
        g,
        gemini(
            json!([hi]),
            json!({"tools": two_tools, "toolConfig": {"functionCallingConfig":
                {"mode": "ANY", "allowedFunctionNames": ["f", "g"]}}}),
        ),
        "toolConfig.functionCallingConfig.allowedFunctionNames",
        "a choice among several named tools",
    );
    assert_refused(
        g,
        gemini(
            json!([hi]),
            json!({"tools": two_tools, "toolConfig": {"functionCallingConfig":
                {"mode": "SOMETIMES"}}}),
        ),
        "toolConfig.functionCallingConfig.mode",
        "function calling mode 'SOMETIMES'",
    );
    assert_refused(
        g,
        gemini(json!([hi]), json!({"cachedContent": "cachedContents/abc"})),
        "cachedContent",
        "cached content kept by Google",
    );
    for (config, path, what) in [
        (
            json!({"candidateCount": 2}),
            "candidateCount",
            "more than one candidate",
        ),
        (
            json!({"responseModalities": ["TEXT", "IMAGE"]}),
            "responseModalities",
            "an output modality other than text",
        ),
        (
            json!({"speech_config": {"voiceConfig": {}}}),
            "speechConfig",
            "speech output",
        ),
        (
            json!({"responseLogprobs": true}),
            "responseLogprobs",
            "log probabilities",
        ),
        (json!({"logprobs": 5}), "logprobs", "log probabilities"),
        (
            json!({"responseMimeType": "text/x.enum"}),
            "responseMimeType",
            "response MIME type 'text/x.enum'",
        ),
    ] {
        assert_refused(
            g,
            gemini(json!([hi]), json!({"generationConfig": config})),
            &format!("generationConfig.{path}"),
            what,
        );
    }
}

#[test]
fn responses_clients() {
    let r = Format::Responses;
    let hi = json!({"role": "user", "content": "hi"});
    assert_refused(
        r,
        responses(
            json!([hi, {"type": "web_search_call", "id": "ws_1", "status": "completed"}, hi]),
            json!({}),
        ),
        "input[1]",
        "item type 'web_search_call'",
    );
    assert_refused(
        r,
        responses(
            json!([{"type": "item_reference", "id": "msg_1"}, hi]),
            json!({}),
        ),
        "input[0]",
        "item type 'item_reference'",
    );
    assert_refused(
        r,
        responses(
            json!([{"role": "user", "content": [{"type": "input_text", "text": "read"},
                {"type": "input_file", "file_id": "file-1"}]}]),
            json!({}),
        ),
        "input[0].content[1]",
        "part type 'input_file'",
    );
    assert_refused(
        r,
        responses(
            json!([{"role": "user", "content": [{"type": "input_image", "file_id": "file-1"}]}]),
            json!({}),
        ),
        "input[0].content[0]",
        "an image by file_id",
    );
    assert_refused(
        r,
        responses(
            json!([{"role": "developer", "content": [{"type": "input_image",
                "image_url": "https://x/y.png"}]}, hi]),
            json!({}),
        ),
        "input[0].content[0]",
        "part type 'input_image' in a system message",
    );
    assert_refused(
        r,
        responses(
            json!([
                hi,
                {"type": "function_call", "call_id": "c", "name": "f", "arguments": "{}"},
                {"type": "function_call_output", "call_id": "c", "output": [
                    {"type": "input_text", "text": "see"},
                    {"type": "input_file", "file_id": "file-1"}]}
            ]),
            json!({"tools": [{"type": "function", "name": "f"}]}),
        ),
        "input[2].output[1]",
        "part type 'input_file'",
    );
    assert_dropped_offer(
        r,
        responses(
            json!("hi"),
            json!({"tools": [{"type": "web_search_preview"}]}),
        ),
        "tools[0]",
        "built-in tool 'web_search_preview'",
    );
    assert_refused(
        r,
        responses(
            json!("hi"),
            json!({"tools": [{"type": "function", "name": "f"}, {"type": "function"}]}),
        ),
        "tools[1]",
        "a tool without a name",
    );
    assert_refused(
        r,
        responses(json!("hi"), json!({"tools": [{"type": "custom"}]})),
        "tools[0]",
        "a tool without a name",
    );
    let tools = json!([{"type": "function", "name": "f"}, {"type": "function", "name": "g"}]);
    for (choice, path, what) in [
        (
            json!({"type": "file_search"}),
            "tool_choice",
            "a choice of built-in tool 'file_search'",
        ),
        (json!("sometimes"), "tool_choice", "tool choice 'sometimes'"),
        (
            json!({"type": "allowed_tools", "mode": "auto",
                "tools": [{"type": "function", "name": "f"}]}),
            "tool_choice.tools",
            "a restriction to allowed_tools",
        ),
    ] {
        assert_refused(
            r,
            responses(json!("hi"), json!({"tools": tools, "tool_choice": choice})),
            path,
            what,
        );
    }
    for (extra, path, what) in [
        (
            json!({"text": {"format": {"type": "grammar"}}}),
            "text.format",
            "text format type 'grammar'",
        ),
        (
            json!({"previous_response_id": "resp_1"}),
            "previous_response_id",
            "a previous response kept by OpenAI",
        ),
        (
            json!({"conversation": "conv_1"}),
            "conversation",
            "a conversation kept by OpenAI",
        ),
        (
            json!({"prompt": {"id": "pmpt_1"}}),
            "prompt",
            "a prompt template kept by OpenAI",
        ),
        (json!({"background": true}), "background", "background mode"),
        (
            json!({"top_logprobs": 2}),
            "top_logprobs",
            "log probabilities",
        ),
    ] {
        assert_refused(r, responses(json!("hi"), extra), path, what);
    }
}
