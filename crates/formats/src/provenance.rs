//! Reasoning signatures (Claude `signature` and `redacted_thinking`, Gemini `thoughtSignature`,
//! Responses `encrypted_content`) are only valid for the provider family that issued them;
//! sending one to another family fails the request. So every signature carries its origin:
//! entering the IR it is tagged `omniroute:<format>:<value>` (a value already tagged keeps its
//! tag — it came back from a client that got it from a translated stream), and leaving it
//! for an upstream it is sent raw only to its own format and dropped everywhere else. Clients of
//! the same format get raw values; other clients get the tagged value, which they hand back
//! verbatim in their next request.

use std::borrow::Cow;

use crate::Format;
use crate::ir::{Part, Request, Response, StreamEvent};

const PREFIX: &str = "omniroute:";

fn tag(origin: Format, value: &str) -> String {
    if value.starts_with(PREFIX) {
        value.to_owned()
    } else {
        format!("{PREFIX}{}:{value}", origin.as_str())
    }
}

/// The raw value when `value` was issued by `format`'s family.
fn raw_for(format: Format, value: &str) -> Option<String> {
    match value
        .strip_prefix(PREFIX)
        .and_then(|rest| rest.split_once(':'))
    {
        Some((origin, raw)) => (Format::parse(origin) == Some(format)).then(|| raw.to_owned()),
        None => Some(value.to_owned()),
    }
}

/// For a client: raw when the client speaks the issuing format, else still tagged.
fn for_client(format: Format, value: &str) -> String {
    raw_for(format, value).unwrap_or_else(|| value.to_owned())
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

/// Tags the signatures of a client's request with the client's format.
pub fn tag_request(format: Format, request: &mut Request) {
    for message in &mut request.messages {
        map_parts(&mut message.parts, &|s| Some(tag(format, s)));
    }
}

/// The request as `format`'s upstream may receive it: its own signatures raw, others removed.
pub fn for_upstream(format: Format, request: &Request) -> Cow<'_, Request> {
    if !request.messages.iter().any(|m| has_signatures(&m.parts)) {
        return Cow::Borrowed(request);
    }
    let mut request = request.clone();
    for message in &mut request.messages {
        map_parts(&mut message.parts, &|s| raw_for(format, s));
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
mod tests {
    use super::*;
    use crate::ir::{Message, Role, ToolCall, ToolKind};

    fn request_with(signature: &str) -> Request {
        Request {
            messages: vec![Message {
                role: Role::Assistant,
                parts: vec![
                    Part::Thinking {
                        text: "t".into(),
                        signature: Some(signature.into()),
                    },
                    Part::RedactedThinking {
                        data: signature.into(),
                    },
                    Part::ToolCall(ToolCall {
                        id: "c".into(),
                        name: "f".into(),
                        arguments: "{}".into(),
                        kind: ToolKind::Function,
                        signature: Some(signature.into()),
                    }),
                ],
            }],
            ..Request::default()
        }
    }

    #[test]
    fn signatures_only_reach_their_own_family() {
        let mut request = request_with("claude-sig");
        tag_request(Format::Anthropic, &mut request);
        let to_anthropic = for_upstream(Format::Anthropic, &request);
        assert_eq!(to_anthropic.messages[0].parts.len(), 3);
        assert!(
            matches!(&to_anthropic.messages[0].parts[0], Part::Thinking { signature: Some(s), .. } if s == "claude-sig")
        );
        let to_gemini = for_upstream(Format::Gemini, &request);
        assert_eq!(
            to_gemini.messages[0].parts.len(),
            2,
            "the redacted block is dropped"
        );
        assert!(matches!(
            &to_gemini.messages[0].parts[0],
            Part::Thinking {
                signature: None,
                ..
            }
        ));
        assert!(
            matches!(&to_gemini.messages[0].parts[1], Part::ToolCall(c) if c.signature.is_none())
        );
    }

    #[test]
    fn a_tag_survives_a_trip_through_a_client_of_another_format() {
        // Gemini upstream → Anthropic client → back to a Gemini upstream.
        let mut event = StreamEvent::ThinkingSignature("gem-sig".into());
        tag_event(Format::Gemini, &mut event);
        let shown = event_for_client(Format::Anthropic, &event).into_owned();
        assert_eq!(
            shown,
            StreamEvent::ThinkingSignature("omniroute:gemini:gem-sig".into())
        );
        let mut request = request_with("omniroute:gemini:gem-sig");
        tag_request(Format::Anthropic, &mut request);
        let to_gemini = for_upstream(Format::Gemini, &request);
        assert!(
            matches!(&to_gemini.messages[0].parts[0], Part::Thinking { signature: Some(s), .. } if s == "gem-sig")
        );
        assert_eq!(
            event_for_client(Format::Gemini, &event).into_owned(),
            StreamEvent::ThinkingSignature("gem-sig".into())
        );
    }
}
