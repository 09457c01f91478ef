//! Translation never drops a client's input silently. Decoders record on the IR request what
//! they could not represent (`ir::Request::untranslatable`, with its path in the client's body)
//! and keep decoding, so a body relayed as sent still carries it; `check_carriable` is called
//! before the IR is encoded for an upstream and refuses, with a 400 naming the field, both
//! what the IR lost and what the target's encoder would drop although the IR holds it.
//!
//! Not refused, by design (ARCHITECTURE.md, "Translation", lists every case): reasoning state,
//! which `provenance.rs` routes to the family that issued it; advisory parameters (sampling
//! knobs a target lacks, `user`, `seed`, a tool's `strict`, a tool result's error flag where the
//! target has none), which change how an answer is produced but not what was asked.

use crate::FormatError;
use crate::ir::{Format, Part, Request, Role};

/// Refuses `request` (decoded from a `source` client) if encoding it for a `target` upstream
/// would lose part of what the client sent. Call it whenever the body goes through the IR,
/// also for `source == target`: the IR has already lost what it could not hold. A body relayed
/// as sent needs no check.
pub fn check_carriable(
    request: &Request,
    source: Format,
    target: Format,
) -> Result<(), FormatError> {
    let refuse = |path: &str, what: &str| {
        Err(FormatError::field(
            path,
            format!("{what} cannot be sent to {}", upstream(target)),
        ))
    };
    if let Some(lost) = request.untranslatable.iter().find(|l| !l.optional) {
        return refuse(&lost.path, &lost.what);
    }
    let messages = messages_field(source);
    for message in &request.messages {
        for part in &message.parts {
            if let Some(what) = dropped_part(part, message.role, target) {
                return refuse(messages, what);
            }
        }
    }
    // The Responses API has no stop sequences, and an answer that runs past one is another
    // answer.
    if target == Format::Responses && !request.stop.is_empty() {
        return refuse(stop_field(source), "stop sequences");
    }
    Ok(())
}

/// What a target's encoder leaves out of a turn (reasoning aside, see the module docs).
fn dropped_part(part: &Part, role: Role, target: Format) -> Option<&'static str> {
    let roles_fixed = matches!(target, Format::OpenAiChat | Format::Anthropic);
    match (part, role) {
        // Chat and Responses assistant turns are text and calls only.
        (Part::Image(_), Role::Assistant)
            if matches!(target, Format::OpenAiChat | Format::Responses) =>
        {
            Some("an image in an assistant turn")
        }
        // Chat and Anthropic tie calls to assistant turns and results to the user's.
        (Part::ToolCall(_), Role::User) if roles_fixed => Some("a tool call in a user turn"),
        (Part::ToolResult(_), Role::Assistant) if roles_fixed => {
            Some("a tool result in an assistant turn")
        }
        _ => None,
    }
}

/// The target named for a client reading the error.
fn upstream(target: Format) -> &'static str {
    match target {
        Format::OpenAiChat => "an OpenAI Chat upstream",
        Format::Anthropic => "an Anthropic upstream",
        Format::Gemini => "a Gemini upstream",
        Format::Responses => "a Responses upstream",
    }
}

/// The conversation's field in the client's body.
fn messages_field(source: Format) -> &'static str {
    match source {
        Format::OpenAiChat | Format::Anthropic => "messages",
        Format::Gemini => "contents",
        Format::Responses => "input",
    }
}

/// The stop sequences' field in the client's body.
fn stop_field(source: Format) -> &'static str {
    match source {
        Format::OpenAiChat => "stop",
        Format::Anthropic => "stop_sequences",
        Format::Gemini => "generationConfig.stopSequences",
        // Responses clients have no stop sequences; the IR of one never holds any.
        Format::Responses => "stop",
    }
}

/// The hosted tools offered to the model that a request through the IR goes without, as
/// `path: what` (reported to the client in `X-OmniRoute-Dropped`).
pub fn dropped_offers(request: &Request) -> Vec<String> {
    request
        .untranslatable
        .iter()
        .filter(|l| l.optional)
        .map(|l| format!("{}: {}", l.path, l.what))
        .collect()
}
