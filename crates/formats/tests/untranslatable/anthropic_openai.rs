//! Anthropic and OpenAI Chat clients: what their decoders cannot put in the IR.

use omniroute_formats::ir::Format;
use serde_json::json;

use super::{anthropic, assert_dropped_offer, assert_refused, openai, user};

#[test]
fn anthropic_clients() {
    let a = Format::Anthropic;
    let text = json!({"type": "text", "text": "hi"});
    // Paths count the blocks that were skipped, and system messages.
    assert_refused(
        a,
        anthropic(
            json!([{"role": "user", "content": [text, {"type": "nonsense"}]}]),
            json!({}),
        ),
        "messages[0].content[1]",
        "part type 'nonsense'",
    );
    assert_refused(
        a,
        anthropic(
            json!([
                {"role": "user", "content": [text, {"type": "document",
                    "source": {"type": "text", "media_type": "text/plain", "data": "d"}}]}
            ]),
            json!({}),
        ),
        "messages[0].content[1]",
        "part type 'document'",
    );
    assert_refused(
        a,
        anthropic(
            json!([
                user("search"),
                {"role": "assistant", "content": [{"type": "server_tool_use", "id": "s",
                    "name": "web_search", "input": {}}]},
                user("and?")
            ]),
            json!({}),
        ),
        "messages[1].content[0]",
        "part type 'server_tool_use'",
    );
    assert_refused(
        a,
        anthropic(
            json!([{"role": "user", "content": [
                {"type": "image", "source": {"type": "file", "file_id": "f"}}]}]),
            json!({}),
        ),
        "messages[0].content[0].source",
        "image source type 'file'",
    );
    assert_refused(
        a,
        anthropic(
            json!([
                user("go"),
                {"role": "assistant", "content": [{"type": "tool_use", "id": "t", "name": "f",
                    "input": {}}]},
                {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t",
                    "content": [text, {"type": "search_result", "source": "s", "title": "t",
                        "content": []}]}]}
            ]),
            json!({"tools": [{"name": "f", "input_schema": {"type": "object"}}]}),
        ),
        "messages[2].content[0].content[1]",
        "tool result part type 'search_result'",
    );
    assert_refused(
        a,
        anthropic(
            json!([
                {"role": "system", "content": [text, {"type": "image",
                    "source": {"type": "url", "url": "https://x/y.png"}}]},
                user("hi")
            ]),
            json!({}),
        ),
        "messages[0].content[1]",
        "part type 'image' in a system message",
    );
    assert_dropped_offer(
        a,
        anthropic(
            json!([user("hi")]),
            json!({"tools": [
                {"name": "f", "input_schema": {"type": "object"}},
                {"type": "web_search_20250305", "name": "web_search", "max_uses": 3}
            ]}),
        ),
        "tools[1]",
        "built-in tool 'web_search_20250305'",
    );
    assert_refused(
        a,
        anthropic(json!([user("hi")]), json!({"container": "container_1"})),
        "container",
        "a code execution container (state kept at Anthropic)",
    );
    assert_refused(
        a,
        anthropic(
            json!([user("hi")]),
            json!({"mcp_servers": [{"type": "url", "url": "https://mcp", "name": "m"}]}),
        ),
        "mcp_servers",
        "MCP servers (connected by Anthropic itself)",
    );
    assert_refused(
        a,
        anthropic(
            json!([user("hi")]),
            json!({"output_config": {"format": {"type": "regex", "pattern": "a+"}}}),
        ),
        "output_config.format",
        "output format type 'regex'",
    );
}

#[test]
fn openai_chat_clients() {
    let o = Format::OpenAiChat;
    let text = json!({"type": "text", "text": "hi"});
    assert_refused(
        o,
        openai(
            json!([{"role": "user", "content": [{"type": "nonsense"}]}]),
            json!({}),
        ),
        "messages[0].content[0]",
        "part type 'nonsense'",
    );
    assert_refused(
        o,
        openai(
            json!([
                {"role": "system", "content": "be brief"},
                {"role": "user", "content": [text, {"type": "input_audio",
                    "input_audio": {"data": "AAA", "format": "wav"}}]}
            ]),
            json!({}),
        ),
        "messages[1].content[1]",
        "part type 'input_audio'",
    );
    assert_refused(
        o,
        openai(
            json!([
                {"role": "developer", "content": [{"type": "image_url",
                    "image_url": {"url": "https://x/y.png"}}]},
                user("hi")
            ]),
            json!({}),
        ),
        "messages[0].content[0]",
        "part type 'image_url' outside a user or tool message",
    );
    let call = json!({"role": "assistant", "tool_calls": [{"id": "c", "type": "function",
        "function": {"name": "f", "arguments": "{}"}}]});
    let tools = json!({"tools": [{"type": "function", "function": {"name": "f"}}]});
    assert_refused(
        o,
        openai(
            json!([user("go"), call, {"role": "tool", "tool_call_id": "c", "content": [
                {"type": "file", "file": {"file_id": "file-1"}}]}]),
            tools.clone(),
        ),
        "messages[2].content[0]",
        "part type 'file'",
    );
    assert_refused(
        o,
        openai(
            json!([user("go"), {"role": "assistant", "content": null,
                "function_call": {"name": "f", "arguments": "{}"}}]),
            json!({}),
        ),
        "messages[1].function_call",
        "a deprecated `function_call` (send it in `tool_calls`)",
    );
    assert_refused(
        o,
        openai(
            json!([user("go"), {"role": "assistant", "audio": {"id": "audio_1"}}, user("again")]),
            json!({}),
        ),
        "messages[1].audio",
        "an earlier audio answer kept by OpenAI",
    );
    assert_dropped_offer(
        o,
        openai(
            json!([user("hi")]),
            json!({"tools": [{"type": "function", "function": {"name": "f"}},
                {"type": "nonsense"}]}),
        ),
        "tools[1]",
        "tool type 'nonsense'",
    );
    for (extra, path, what) in [
        (json!({"n": 2}), "n", "more than one choice"),
        (json!({"logprobs": true}), "logprobs", "log probabilities"),
        (
            json!({"top_logprobs": 3}),
            "top_logprobs",
            "log probabilities",
        ),
        (
            json!({"logit_bias": {"50256": -100}}),
            "logit_bias",
            "a logit bias",
        ),
        (
            json!({"audio": {"voice": "alloy", "format": "wav"}}),
            "audio",
            "audio output",
        ),
        (
            json!({"modalities": ["text", "audio"]}),
            "modalities",
            "an output modality other than text",
        ),
        (
            json!({"web_search_options": {}}),
            "web_search_options",
            "built-in web search",
        ),
        (
            json!({"functions": [{"name": "f", "parameters": {"type": "object"}}]}),
            "functions",
            "deprecated `functions` (send them as `tools`)",
        ),
    ] {
        assert_refused(o, openai(json!([user("hi")]), extra), path, what);
    }
}
