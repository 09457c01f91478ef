//! The reasoning state the mock hands out, and the checks the real APIs make when a
//! conversation replays it:
//! - Gemini 3 (models `gemini-3…`): the first `functionCall` of every model step of the current
//!   turn (everything after the last user message with text) carries a `thoughtSignature`;
//!   any Gemini model refuses a signature it did not issue (Google's
//!   `skip_thought_signature_validator` aside);
//! - Anthropic: a thinking block's signature must be one it issued for exactly that text, and a
//!   `redacted_thinking` block's data one it issued; with thinking enabled, the assistant turn
//!   whose tool calls the last user message answers must start with a thinking block;
//! - Responses: `encrypted_content` must be one it issued; a replayed `function_call` from an
//!   answer that reasoned must be preceded by that answer's reasoning item.
//!
//! The error bodies and messages are the providers' own, in their formats.

use serde_json::Value;

use super::script::Reply;
use super::{Format, Shared};

/// What one answer handed out.
#[derive(Debug, Clone)]
pub(super) struct Issued {
    pub format: Format,
    pub signature: String,
    pub text: String,
    pub redacted: Option<String>,
    pub call_ids: Vec<String>,
}

/// The value Google documents for a function call Gemini did not issue.
const GEMINI_SKIP: &str = "skip_thought_signature_validator";

/// Remembers the reasoning state of an answer about to be sent.
pub(super) fn issue(shared: &Shared, format: Format, reply: &Reply) {
    let Some(thinking) = &reply.thinking else {
        return;
    };
    if thinking.signature.is_empty() {
        return;
    }
    let issued = Issued {
        format,
        signature: thinking.signature.clone(),
        text: thinking.text.clone(),
        redacted: thinking.redacted.clone(),
        call_ids: reply.tool_calls.iter().map(|c| c.id.clone()).collect(),
    };
    shared.with(|s| s.issued.push(issued));
}

/// The provider's message for a request that replays reasoning state wrongly (a 400).
pub(super) fn check(shared: &Shared, format: Format, model: &str, body: &Value) -> Option<String> {
    let issued: Vec<Issued> = shared.with(|s| {
        s.issued
            .iter()
            .filter(|i| i.format == format)
            .cloned()
            .collect()
    });
    match format {
        Format::Gemini => check_gemini(&issued, model, body),
        Format::Anthropic => check_anthropic(&issued, body),
        Format::Responses => check_responses(&issued, body),
        Format::OpenAiChat => None,
    }
}

fn array<'a>(value: &'a Value, key: &str) -> &'a [Value] {
    value
        .get(key)
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

/// Gemini's signatures are `bytes`: either base64 alphabet, padded or not, is the same value.
fn same_bytes(a: &str, b: &str) -> bool {
    let norm = |s: &str| -> String {
        s.trim_end_matches('=')
            .chars()
            .map(|c| match c {
                '-' => '+',
                '_' => '/',
                c => c,
            })
            .collect()
    };
    norm(a) == norm(b)
}

fn check_gemini(issued: &[Issued], model: &str, body: &Value) -> Option<String> {
    let contents = array(body, "contents");
    for content in contents {
        for part in array(content, "parts") {
            if let Some(sig) = part.get("thoughtSignature").and_then(Value::as_str)
                && sig != GEMINI_SKIP
                && !issued.iter().any(|i| same_bytes(&i.signature, sig))
            {
                return Some("Corrupted thought signature.".into());
            }
        }
    }
    if !model.starts_with("gemini-3") {
        return None;
    }
    // The current turn starts after the last user message that is not only function responses.
    let start = contents
        .iter()
        .rposition(|c| {
            c.get("role").and_then(Value::as_str) != Some("model")
                && array(c, "parts").iter().any(|p| p.get("text").is_some())
        })
        .map_or(0, |i| i + 1);
    for (index, content) in contents.iter().enumerate().skip(start) {
        if content.get("role").and_then(Value::as_str) != Some("model") {
            continue;
        }
        let first_call = array(content, "parts")
            .iter()
            .find(|p| p.get("functionCall").is_some());
        if let Some(call) = first_call
            && call.get("thoughtSignature").is_none()
        {
            let name = call
                .pointer("/functionCall/name")
                .and_then(Value::as_str)
                .unwrap_or_default();
            return Some(format!(
                "Function call is missing a thought_signature in functionCall parts. This is \
                 required for tools to work correctly, and missing thought_signature may lead \
                 to degraded model performance. Additional data, function call \
                 `default_api:{name}` , position {}. Please refer to \
                 https://ai.google.dev/gemini-api/docs/thought-signatures for more details.",
                index + 1
            ));
        }
    }
    None
}

fn check_anthropic(issued: &[Issued], body: &Value) -> Option<String> {
    let messages = array(body, "messages");
    for (m, message) in messages.iter().enumerate() {
        for (b, block) in array(message, "content").iter().enumerate() {
            let kind = block.get("type").and_then(Value::as_str);
            let text = |k: &str| block.get(k).and_then(Value::as_str).unwrap_or_default();
            let valid = match kind {
                Some("thinking") => issued
                    .iter()
                    .any(|i| i.signature == text("signature") && i.text == text("thinking")),
                Some("redacted_thinking") => issued
                    .iter()
                    .any(|i| i.redacted.as_deref() == Some(text("data"))),
                _ => true,
            };
            if !valid {
                return Some(format!(
                    "messages.{m}.content.{b}: Invalid `signature` in `thinking` block"
                ));
            }
        }
    }
    let thinking_on = body.pointer("/thinking/type").and_then(Value::as_str) == Some("enabled");
    let [.., assistant, last] = messages else {
        return None;
    };
    let answers_tools = array(last, "content")
        .iter()
        .any(|b| b.get("type").and_then(Value::as_str) == Some("tool_result"));
    let first = array(assistant, "content")
        .first()
        .and_then(|b| b.get("type"))
        .and_then(Value::as_str)
        .unwrap_or_default();
    if thinking_on && answers_tools && first != "thinking" && first != "redacted_thinking" {
        return Some(format!(
            "messages.{}.content.0.type: Expected `thinking` or `redacted_thinking`, but found \
             `{first}`. When `thinking` is enabled, a final `assistant` message must start with \
             a thinking block (preceeding the lastmost set of `tool_use` and `tool_result` \
             blocks). We recommend you include thinking blocks from previous turns. To avoid \
             this requirement, disable `thinking`. Please consult our documentation at \
             https://docs.claude.com/en/docs/build-with-claude/extended-thinking",
            messages.len() - 2
        ));
    }
    None
}

fn check_responses(issued: &[Issued], body: &Value) -> Option<String> {
    let items = body.get("input").and_then(Value::as_array)?;
    let mut seen: Vec<&str> = Vec::new();
    for item in items {
        match item.get("type").and_then(Value::as_str) {
            Some("reasoning") => {
                let Some(content) = item.get("encrypted_content").and_then(Value::as_str) else {
                    continue;
                };
                if !issued.iter().any(|i| i.signature == content) {
                    return Some(
                        "The encrypted content for item rs_mock could not be verified.".into(),
                    );
                }
                seen.push(content);
            }
            Some("function_call" | "custom_tool_call") => {
                let call_id = item
                    .get("call_id")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                let owner = issued
                    .iter()
                    .find(|i| i.call_ids.iter().any(|id| id == call_id));
                if let Some(owner) = owner
                    && !seen.contains(&owner.signature.as_str())
                {
                    return Some(format!(
                        "Item 'fc_{call_id}' of type 'function_call' was provided without its \
                         required 'reasoning' item: 'rs_mock'."
                    ));
                }
            }
            _ => {}
        }
    }
    None
}
