//! Reasoning signatures (Claude `signature` and `redacted_thinking`, Gemini `thoughtSignature`,
//! Responses `encrypted_content`) are only valid for the provider family that issued them;
//! sending one to another family fails the request. So every signature carries its origin:
//! entering the IR it is tagged `omniroute:<format>:<value>` (a value already tagged keeps its
//! tag — it came back from a client that got it from a translated answer), and leaving it
//! for an upstream it is sent raw only to its own format and dropped everywhere else.
//!
//! What a client sees must be valid for the field's type in its format: clients of the issuing
//! format get raw values; Anthropic and Responses clients get the tagged text (their fields are
//! opaque strings); Gemini clients get the tagged text as base64, because `thoughtSignature` is
//! `bytes` and the SDKs refuse anything else. All of them hand the value back verbatim (the
//! google-genai SDK re-encodes it with the URL-safe alphabet, which is accepted too).
//!
//! Only Gemini signs function calls, so a call signature of another origin (a foreign thinking
//! signature that rode on a Gemini client's `functionCall` part) is moved back to the reasoning
//! in front of the call. Calls another family issued reach Gemini with Google's documented
//! `skip_thought_signature_validator`, which Gemini 3 requires on every call of the current turn.

use std::borrow::Cow;

use base64::Engine;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::{DecodePaddingMode, general_purpose};

use crate::Format;
use crate::ir::{Message, Part, Request, Response, Role, StreamEvent};

const PREFIX: &str = "omniroute:";

/// Google's value for a function call Gemini did not issue (a conversation carried over from
/// another model): it tells Gemini 3 not to validate that call's signature.
pub const GEMINI_FOREIGN_CALL: &str = "skip_thought_signature_validator";

fn tag(origin: Format, value: &str) -> String {
    if value.starts_with(PREFIX) {
        value.to_owned()
    } else {
        format!("{PREFIX}{}:{value}", origin.as_str())
    }
}

/// The marker of a tool call `origin` issued without a signature, so a Gemini upstream can be
/// told the call is foreign rather than unsigned.
pub fn issued_by(origin: Format) -> String {
    format!("{PREFIX}{}:", origin.as_str())
}

/// A tagged value's origin and raw value (`None` for an untagged one).
fn split(value: &str) -> Option<(Format, &str)> {
    let (origin, raw) = value.strip_prefix(PREFIX)?.split_once(':')?;
    Some((Format::parse(origin)?, raw))
}

/// The family that issued a tagged value (`None` for an untagged one).
pub fn origin_of(value: &str) -> Option<Format> {
    split(value).map(|(origin, _)| origin)
}

/// The raw value when `value` was issued by `format`'s family.
fn raw_for(format: Format, value: &str) -> Option<String> {
    match split(value) {
        Some((origin, raw)) => (origin == format && !raw.is_empty()).then(|| raw.to_owned()),
        None => Some(value.to_owned()),
    }
}

/// Decodes standard and URL-safe base64, padded or not.
const LENIENT: GeneralPurposeConfig =
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent);
const STANDARD_LENIENT: GeneralPurpose = GeneralPurpose::new(&base64::alphabet::STANDARD, LENIENT);
const URL_SAFE_LENIENT: GeneralPurpose = GeneralPurpose::new(&base64::alphabet::URL_SAFE, LENIENT);

/// A tagged value as a Gemini client may hold it: base64 of the tagged text.
fn to_gemini_bytes(tagged: &str) -> String {
    general_purpose::STANDARD.encode(tagged)
}

/// The tagged text inside a Gemini client's base64 value, when it is one of ours.
fn from_gemini_bytes(value: &str) -> Option<String> {
    let bytes = STANDARD_LENIENT
        .decode(value)
        .or_else(|_| URL_SAFE_LENIENT.decode(value))
        .ok()?;
    let text = String::from_utf8(bytes).ok()?;
    origin_of(&text).is_some().then_some(text)
}

/// A value coming from a client of `format`, tagged. Gemini values are bytes, which clients
/// may spell in either base64 alphabet: they are kept in Gemini's own (standard, padded), so a
/// value compares equal to the one Gemini issued.
fn tag_from_client(format: Format, value: &str) -> String {
    match format {
        Format::Gemini => from_gemini_bytes(value).unwrap_or_else(|| {
            let canonical = STANDARD_LENIENT
                .decode(value)
                .or_else(|_| URL_SAFE_LENIENT.decode(value))
                .map(|bytes| general_purpose::STANDARD.encode(bytes));
            tag(format, canonical.as_deref().unwrap_or(value))
        }),
        _ => tag(format, value),
    }
}

/// For a client: raw when the client speaks the issuing format, else tagged (as base64 for
/// Gemini clients).
fn for_client(format: Format, value: &str) -> String {
    match raw_for(format, value) {
        Some(raw) => raw,
        None if format == Format::Gemini => to_gemini_bytes(value),
        None => value.to_owned(),
    }
}

fn has_signatures(parts: &[Part]) -> bool {
    parts.iter().any(|p| match p {
        Part::Thinking { signature, .. } => signature.is_some(),
        Part::RedactedThinking { .. } => true,
        Part::ToolCall(c) => c.signature.is_some(),
        _ => false,
    })
}

/// Applies `f` to every signature in `parts`; `None` removes it (a redacted block goes away).
fn map_parts(parts: &mut Vec<Part>, f: &dyn Fn(&str) -> Option<String>) {
    parts.retain_mut(|part| match part {
        Part::Thinking { signature, .. } => {
            *signature = signature.as_deref().and_then(f);
            true
        }
        Part::ToolCall(call) => {
            call.signature = call.signature.as_deref().and_then(f);
            true
        }
        Part::RedactedThinking { data } => match f(data) {
            Some(value) => {
                *data = value;
                true
            }
            None => false,
        },
        _ => true,
    });
}

/// Moves call signatures that Gemini did not issue to the reasoning in front of the call: the
/// latest unsigned thinking, or a thinking part of their own.
fn detach_foreign_call_signatures(parts: &mut Vec<Part>) {
    let mut i = 0;
    while i < parts.len() {
        let foreign =
            match &mut parts[i] {
                Part::ToolCall(call)
                    if call.signature.as_deref().and_then(split).is_some_and(
                        |(origin, raw)| origin != Format::Gemini && !raw.is_empty(),
                    ) =>
                {
                    call.signature.take()
                }
                _ => None,
            };
        if let Some(signature) = foreign {
            match parts[..i].last_mut() {
                Some(Part::Thinking {
                    signature: slot @ None,
                    ..
                }) => *slot = Some(signature),
                _ => {
                    parts.insert(
                        i,
                        Part::Thinking {
                            text: String::new(),
                            signature: Some(signature),
                        },
                    );
                    i += 1;
                }
            }
        }
        i += 1;
    }
}

/// Tags the signatures of a client's request with the client's format.
pub fn tag_request(format: Format, request: &mut Request) {
    for message in &mut request.messages {
        // An empty value is no signature (an unsigned thought shown to an Anthropic client).
        map_parts(&mut message.parts, &|s| {
            (!s.is_empty()).then(|| tag_from_client(format, s))
        });
        detach_foreign_call_signatures(&mut message.parts);
    }
}

/// Whether an assistant turn carries reasoning state another family than Gemini issued (so
/// its calls came from that family too).
fn is_foreign_to_gemini(message: &Message) -> bool {
    let foreign = |s: &str| origin_of(s).is_some_and(|o| o != Format::Gemini);
    message.role == Role::Assistant
        && message.parts.iter().any(|p| match p {
            Part::Thinking {
                signature: Some(s), ..
            } => foreign(s),
            Part::RedactedThinking { data } => foreign(data),
            Part::ToolCall(call) => call.signature.as_deref().is_some_and(foreign),
            _ => false,
        })
}

/// Whether a client's body, as decoded, can go to an upstream of the client's own format as
/// sent. Not when it holds reasoning state another family issued (a turn an earlier, translated
/// answer left in the history), nor where the upstream would refuse what the IR path repairs:
/// Anthropic and Responses take no reasoning without its signature, and Anthropic with thinking
/// on refuses a tool turn that does not start with its signed thinking (the IR path turns
/// thinking off for that turn).
pub fn relayable(format: Format, request: &Request) -> bool {
    let foreign = |s: &str| origin_of(s).is_some_and(|o| o != format);
    let unsigned_refused = matches!(format, Format::Anthropic | Format::Responses);
    let clean = request
        .messages
        .iter()
        .filter(|m| m.role == Role::Assistant)
        .flat_map(|m| &m.parts)
        .all(|p| match p {
            Part::Thinking {
                signature: Some(s), ..
            } => !foreign(s),
            Part::Thinking {
                signature: None, ..
            } => !unsigned_refused,
            Part::RedactedThinking { data } => !foreign(data),
            Part::ToolCall(call) => !call.signature.as_deref().is_some_and(foreign),
            _ => true,
        });
    clean && !(format == Format::Anthropic && thinking_lost_in_tool_turn(request))
}

/// Thinking is on, the conversation answers tool calls, and the turn that made them does not
/// start with a thinking block.
fn thinking_lost_in_tool_turn(request: &Request) -> bool {
    let thinking_on = request
        .reasoning
        .is_some_and(|r| r.budget(request.max_output_tokens) > 0);
    let [.., assistant, last] = request.messages.as_slice() else {
        return false;
    };
    thinking_on
        && last.role == Role::User
        && last.parts.iter().any(|p| matches!(p, Part::ToolResult(_)))
        && assistant.role == Role::Assistant
        && !matches!(
            assistant.parts.first(),
            Some(
                Part::Thinking {
                    signature: Some(_),
                    ..
                } | Part::RedactedThinking { .. }
            )
        )
}

/// Whether state the turn store put back must reach an upstream of the client's own format, so
/// the body cannot be relayed as sent: only Gemini needs something its clients' bodies lack (the
/// mark on calls another family issued); the other formats carry their own state.
pub fn needs_restored_state(format: Format, request: &Request) -> bool {
    format == Format::Gemini && !relayable(format, request)
}

/// The request as `format`'s upstream may receive it: its own signatures raw, others removed;
/// for Gemini, calls of a foreign turn marked as such.
pub fn for_upstream(format: Format, request: &Request) -> Cow<'_, Request> {
    if !request.messages.iter().any(|m| has_signatures(&m.parts)) {
        return Cow::Borrowed(request);
    }
    let mut request = request.clone();
    for message in &mut request.messages {
        let foreign_turn = format == Format::Gemini && is_foreign_to_gemini(message);
        map_parts(&mut message.parts, &|s| raw_for(format, s));
        if foreign_turn {
            for part in &mut message.parts {
                if let Part::ToolCall(call) = part {
                    call.signature
                        .get_or_insert_with(|| GEMINI_FOREIGN_CALL.to_owned());
                }
            }
        }
    }
    Cow::Owned(request)
}

/// Tags the signatures of an upstream's response with the upstream's format.
pub fn tag_response(format: Format, response: &mut Response) {
    map_parts(&mut response.parts, &|s| Some(tag(format, s)));
}

/// The response as a client of `format` receives it.
pub fn response_for_client(format: Format, response: &Response) -> Cow<'_, Response> {
    if !has_signatures(&response.parts) {
        return Cow::Borrowed(response);
    }
    let mut response = response.clone();
    map_parts(&mut response.parts, &|s| Some(for_client(format, s)));
    Cow::Owned(response)
}

/// Tags a signature carried by an upstream stream event.
pub fn tag_event(format: Format, event: &mut StreamEvent) {
    match event {
        StreamEvent::ThinkingSignature(s) | StreamEvent::RedactedThinking(s) => *s = tag(format, s),
        StreamEvent::ToolCallStart {
            signature: Some(s), ..
        } => *s = tag(format, s),
        _ => {}
    }
}

/// A stream event as a client of `format` receives it.
pub fn event_for_client(format: Format, event: &StreamEvent) -> Cow<'_, StreamEvent> {
    let mut owned = event.clone();
    match &mut owned {
        StreamEvent::ThinkingSignature(s) | StreamEvent::RedactedThinking(s) => {
            *s = for_client(format, s)
        }
        StreamEvent::ToolCallStart {
            signature: Some(s), ..
        } => *s = for_client(format, s),
        _ => return Cow::Borrowed(event),
    }
    Cow::Owned(owned)
}

#[cfg(test)]
#[path = "provenance_tests.rs"]
mod tests;
