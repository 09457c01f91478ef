//! Translation never drops a client's input silently: every piece a decoder cannot put in the
//! IR, and every piece a target's encoder would leave out, is refused by `check_carriable` with
//! the field's path in the client's body — while decoding itself (and so the same-format relay)
//! keeps accepting the body.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests"
)]

use omniroute_formats::ir::Format;
use omniroute_formats::{
    FormatError, RequestHint, check_carriable, decode_request, dropped_offers,
};
use serde_json::{Value, json};

// One file per pair of client formats, to keep each readable.
#[path = "untranslatable/anthropic_openai.rs"]
mod anthropic_openai;
#[path = "untranslatable/gemini_responses.rs"]
mod gemini_responses;

const TARGETS: [Format; 4] = Format::ALL;

fn upstream(target: Format) -> &'static str {
    match target {
        Format::OpenAiChat => "an OpenAI Chat upstream",
        Format::Anthropic => "an Anthropic upstream",
        Format::Gemini => "a Gemini upstream",
        Format::Responses => "a Responses upstream",
    }
}

fn decode(source: Format, body: &Value) -> omniroute_formats::ir::Request {
    let hint = RequestHint {
        model: Some("m"),
        stream: None,
    };
    let bytes = serde_json::to_vec(body).unwrap();
    decode_request(source, &bytes, &hint)
        .unwrap_or_else(|e| panic!("{source:?} must still decode (relay unaffected): {e}\n{body}"))
}

/// `body` from a `source` client is refused for each of `targets` with `path: what cannot be
/// sent to <target>`, and passes for the other targets.
fn assert_refused_for(source: Format, body: Value, path: &str, what: &str, targets: &[Format]) {
    let request = decode(source, &body);
    for target in TARGETS {
        let outcome = check_carriable(&request, source, target);
        if !targets.contains(&target) {
            assert_eq!(outcome, Ok(()), "{source:?} → {target:?} must pass: {body}");
            continue;
        }
        let message = format!("{what} cannot be sent to {}", upstream(target));
        let error = outcome.expect_err(&format!("{source:?} → {target:?} must refuse {body}"));
        assert_eq!(
            error,
            FormatError::field(path, message.clone()),
            "{source:?} → {target:?}"
        );
        let info = error.to_error_info();
        assert_eq!(info.status, 400);
        assert_eq!(
            info.message,
            format!("invalid request body: {path}: {message}")
        );
        assert_eq!(info.param.as_deref(), Some(path));
    }
}

/// A hosted tool offered to the model: no target refuses the request; it goes without the
/// offer, which is reported (`X-OmniRoute-Dropped`).
fn assert_dropped_offer(source: Format, body: Value, path: &str, what: &str) {
    let request = decode(source, &body);
    for target in TARGETS {
        assert_eq!(
            check_carriable(&request, source, target),
            Ok(()),
            "{source:?} → {target:?}: {body}"
        );
    }
    assert_eq!(
        dropped_offers(&request),
        [format!("{path}: {what}")],
        "{body}"
    );
}

/// What the IR cannot hold is refused for every target: going through the IR loses it even
/// when the upstream speaks the client's format (only the relay keeps it).
fn assert_refused(source: Format, body: Value, path: &str, what: &str) {
    assert_refused_for(source, body, path, what, &TARGETS);
}

fn anthropic(messages: Value, extra: Value) -> Value {
    let mut body = json!({"model": "m", "max_tokens": 100, "messages": messages});
    merge(&mut body, extra);
    body
}

fn openai(messages: Value, extra: Value) -> Value {
    let mut body = json!({"model": "m", "messages": messages});
    merge(&mut body, extra);
    body
}

fn gemini(contents: Value, extra: Value) -> Value {
    let mut body = json!({"contents": contents});
    merge(&mut body, extra);
    body
}

fn responses(input: Value, extra: Value) -> Value {
    let mut body = json!({"model": "m", "input": input});
    merge(&mut body, extra);
    body
}

fn merge(body: &mut Value, extra: Value) {
    if let (Value::Object(body), Value::Object(extra)) = (body, extra) {
        body.extend(extra);
    }
}

fn user(text: &str) -> Value {
    json!({"role": "user", "content": text})
}

#[test]
fn the_reported_case_reads_as_a_sentence() {
    let body = anthropic(
        json!([{"role": "user", "content": [{"type": "nonsense"}]}]),
        json!({}),
    );
    let request = decode(Format::Anthropic, &body);
    let error = check_carriable(&request, Format::Anthropic, Format::OpenAiChat).unwrap_err();
    assert_eq!(
        error.to_error_info().message,
        "invalid request body: messages[0].content[0]: part type 'nonsense' cannot be sent to \
         an OpenAI Chat upstream"
    );
}

/// Content the IR holds but a target's encoder leaves out: refused for those targets only.
#[test]
fn what_a_target_cannot_carry() {
    let (o, a, g, r) = (
        Format::OpenAiChat,
        Format::Anthropic,
        Format::Gemini,
        Format::Responses,
    );
    let image = json!({"type": "image", "source": {"type": "url", "url": "https://x/y.png"}});
    assert_refused_for(
        a,
        anthropic(
            json!([user("draw"), {"role": "assistant", "content": [image]}, user("more")]),
            json!({}),
        ),
        "messages",
        "an image in an assistant turn",
        &[o, r],
    );
    assert_refused_for(
        g,
        gemini(
            json!([
                {"role": "user", "parts": [{"text": "draw"}]},
                {"role": "model", "parts": [{"inlineData": {"mimeType": "image/png",
                    "data": "AAA"}}]},
                {"role": "user", "parts": [{"text": "more"}]}
            ]),
            json!({}),
        ),
        "contents",
        "an image in an assistant turn",
        &[o, r],
    );
    assert_refused_for(
        g,
        gemini(
            json!([
                {"role": "user", "parts": [{"text": "go"}]},
                {"role": "model", "parts": [{"functionCall": {"id": "c", "name": "f",
                    "args": {}}}]},
                {"role": "model", "parts": [{"functionResponse": {"id": "c", "name": "f",
                    "response": {"output": "ok"}}}]}
            ]),
            json!({"tools": [{"functionDeclarations": [{"name": "f"}]}]}),
        ),
        "contents",
        "a tool result in an assistant turn",
        &[o, a],
    );
    assert_refused_for(
        g,
        gemini(
            json!([
                {"role": "user", "parts": [{"functionCall": {"id": "c", "name": "f",
                    "args": {}}}]},
                {"role": "user", "parts": [{"functionResponse": {"id": "c", "name": "f",
                    "response": {"output": "ok"}}}]}
            ]),
            json!({"tools": [{"functionDeclarations": [{"name": "f"}]}]}),
        ),
        "contents",
        "a tool call in a user turn",
        &[o, a],
    );
    // The Responses API has no stop sequences.
    assert_refused_for(
        o,
        openai(json!([user("count")]), json!({"stop": ["5"]})),
        "stop",
        "stop sequences",
        &[r],
    );
    assert_refused_for(
        a,
        anthropic(json!([user("count")]), json!({"stop_sequences": ["5"]})),
        "stop_sequences",
        "stop sequences",
        &[r],
    );
    assert_refused_for(
        g,
        gemini(
            json!([{"role": "user", "parts": [{"text": "count"}]}]),
            json!({"generationConfig": {"stopSequences": ["5"]}}),
        ),
        "generationConfig.stopSequences",
        "stop sequences",
        &[r],
    );
}

/// A request whose every part the IR holds and every target carries passes for every pair,
/// advisory parameters included (they are dropped by design, see ARCHITECTURE.md).
#[test]
fn clean_requests_pass_everywhere() {
    let call = json!({"role": "assistant", "content": "calling", "tool_calls": [{"id": "c",
        "type": "function", "function": {"name": "f", "arguments": "{\"x\":1}"}}]});
    let bodies = [
        (
            Format::OpenAiChat,
            openai(
                json!([
                    {"role": "system", "content": "be brief"},
                    {"role": "user", "content": [{"type": "text", "text": "look"},
                        {"type": "image_url", "image_url": {"url": "https://x/y.png"}}]},
                    call,
                    {"role": "tool", "tool_call_id": "c", "content": "ok"}
                ]),
                json!({"tools": [{"type": "function", "function": {"name": "f"}}],
                    "tool_choice": "auto", "n": 1, "logprobs": false, "user": "u",
                    "store": true, "metadata": {"k": "v"}, "service_tier": "auto",
                    "seed": 1, "temperature": 0.2, "prompt_cache_key": "k",
                    "stream_options": {"include_usage": true}, "stream": true,
                    "modalities": ["text"], "parallel_tool_calls": false}),
            ),
        ),
        (
            Format::Anthropic,
            anthropic(
                json!([
                    {"role": "user", "content": [{"type": "text", "text": "look",
                        "cache_control": {"type": "ephemeral"}},
                        {"type": "image", "source": {"type": "base64",
                            "media_type": "image/png", "data": "AAA"}}]},
                    {"role": "assistant", "content": [{"type": "tool_use", "id": "c",
                        "name": "f", "input": {}}]},
                    {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "c",
                        "content": "ok"}]}
                ]),
                json!({"system": "be brief", "tools": [{"name": "f",
                    "input_schema": {"type": "object"}}], "top_k": 5,
                    "metadata": {"user_id": "u"}, "service_tier": "auto"}),
            ),
        ),
        (
            Format::Gemini,
            gemini(
                json!([
                    {"role": "user", "parts": [{"text": "look"}]},
                    {"role": "model", "parts": [{"functionCall": {"name": "f", "args": {}}}]},
                    {"role": "user", "parts": [{"functionResponse": {"name": "f",
                        "response": {"output": "ok"}}}]}
                ]),
                json!({"systemInstruction": {"parts": [{"text": "be brief"}]},
                    "tools": [{"functionDeclarations": [{"name": "f"}]}],
                    "safetySettings": [{"category": "HARM_CATEGORY_HARASSMENT",
                        "threshold": "BLOCK_NONE"}],
                    "generationConfig": {"candidateCount": 1, "topK": 3,
                        "responseModalities": ["TEXT"], "responseMimeType": "application/json"}}),
            ),
        ),
        (
            Format::Responses,
            responses(
                json!([
                    {"role": "developer", "content": "be brief"},
                    {"role": "user", "content": [{"type": "input_text", "text": "look"},
                        {"type": "input_image", "image_url": "https://x/y.png"}]},
                    {"type": "function_call", "call_id": "c", "name": "f", "arguments": "{}"},
                    {"type": "function_call_output", "call_id": "c", "output": "ok"}
                ]),
                json!({"tools": [{"type": "function", "name": "f"},
                    {"type": "custom", "name": "apply_patch"}],
                    "tool_choice": {"type": "allowed_tools", "mode": "auto", "tools": []},
                    "store": false, "include": ["reasoning.encrypted_content"],
                    "truncation": "auto", "prompt_cache_key": "k", "max_tool_calls": 3,
                    "text": {"verbosity": "low"}, "safety_identifier": "s",
                    "reasoning": {"effort": "low", "summary": "auto"}}),
            ),
        ),
    ];
    for (source, body) in bodies {
        let request = decode(source, &body);
        assert_eq!(request.untranslatable, [], "{source:?}");
        for target in TARGETS {
            assert_eq!(
                check_carriable(&request, source, target),
                Ok(()),
                "{source:?} → {target:?}"
            );
        }
    }
}
