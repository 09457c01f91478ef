//! Format-neutral conversions around the IR: a stream of events folded into one response
//! (a non-streaming client served by a streaming upstream), a response unfolded into events (the
//! reverse), and the repair of tool calls and results that lost their partner.

use std::collections::{HashMap, HashSet};

use crate::ir::{
    ErrorInfo, Message, Part, Response, Role, StopReason, StreamEvent, ToolResult,
    ToolResultContent,
};

/// Folds stream events into a `Response`.
#[derive(Debug, Default)]
pub struct Accumulator {
    response: Response,
    /// Tool call index → position in `response.parts`.
    calls: HashMap<usize, usize>,
    stopped: bool,
    error: Option<ErrorInfo>,
}

impl Accumulator {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn push(&mut self, event: &StreamEvent) {
        let parts = &mut self.response.parts;
        match event {
            StreamEvent::Start { id, model } => {
                self.response.id = id.clone();
                self.response.model = model.clone();
            }
            StreamEvent::TextDelta(text) => match parts.last_mut() {
                Some(Part::Text(existing)) => existing.push_str(text),
                _ => parts.push(Part::Text(text.clone())),
            },
            StreamEvent::ThinkingDelta(text) => match parts.last_mut() {
                Some(Part::Thinking {
                    text: existing,
                    signature: None,
                }) => existing.push_str(text),
                _ => parts.push(Part::Thinking {
                    text: text.clone(),
                    signature: None,
                }),
            },
            StreamEvent::ThinkingSignature(sig) => match parts.last_mut() {
                Some(Part::Thinking { signature, .. }) => *signature = Some(sig.clone()),
                _ => parts.push(Part::Thinking {
                    text: String::new(),
                    signature: Some(sig.clone()),
                }),
            },
            StreamEvent::RedactedThinking(data) => {
                parts.push(Part::RedactedThinking { data: data.clone() })
            }
            StreamEvent::ToolCallStart {
                index,
                id,
                name,
                kind,
                signature,
            } => {
                self.calls.insert(*index, parts.len());
                parts.push(Part::ToolCall(crate::ir::ToolCall {
                    id: id.clone(),
                    name: name.clone(),
                    arguments: String::new(),
                    kind: *kind,
                    signature: signature.clone(),
                }));
            }
            StreamEvent::ToolCallDelta { index, fragment } => {
                if let Some(Part::ToolCall(call)) =
                    self.calls.get(index).and_then(|&i| parts.get_mut(i))
                {
                    call.arguments.push_str(fragment);
                }
            }
            StreamEvent::Usage(usage) => self.response.usage.merge(usage),
            StreamEvent::Stop(reason) => {
                self.response.stop = *reason;
                self.stopped = true;
            }
            StreamEvent::Error(error) => self.error = Some(error.clone()),
        }
    }

    /// The whole response, or the error the stream ended with.
    pub fn finish(mut self) -> Result<Response, ErrorInfo> {
        if let Some(error) = self.error {
            return Err(error);
        }
        if !self.stopped
            && self
                .response
                .parts
                .iter()
                .any(|p| matches!(p, Part::ToolCall(_)))
        {
            self.response.stop = StopReason::ToolUse;
        }
        Ok(self.response)
    }
}

/// The events a stream of `response` would have carried (for a streaming client whose upstream
/// answered in one piece).
pub fn response_to_events(response: &Response) -> Vec<StreamEvent> {
    let mut events = vec![StreamEvent::Start {
        id: response.id.clone(),
        model: response.model.clone(),
    }];
    let mut index = 0;
    for part in &response.parts {
        match part {
            Part::Text(text) => events.push(StreamEvent::TextDelta(text.clone())),
            Part::Thinking { text, signature } => {
                events.push(StreamEvent::ThinkingDelta(text.clone()));
                if let Some(sig) = signature {
                    events.push(StreamEvent::ThinkingSignature(sig.clone()));
                }
            }
            Part::RedactedThinking { data } => {
                events.push(StreamEvent::RedactedThinking(data.clone()))
            }
            Part::ToolCall(call) => {
                events.push(StreamEvent::ToolCallStart {
                    index,
                    id: call.id.clone(),
                    name: call.name.clone(),
                    kind: call.kind,
                    signature: call.signature.clone(),
                });
                if !call.arguments.is_empty() {
                    events.push(StreamEvent::ToolCallDelta {
                        index,
                        fragment: call.arguments.clone(),
                    });
                }
                index += 1;
            }
            Part::Image(_) | Part::ToolResult(_) => {}
        }
    }
    events.push(StreamEvent::Usage(response.usage));
    events.push(StreamEvent::Stop(response.stop));
    events
}

/// Makes tool calls and results pair up, as every upstream requires:
/// - a call with no result in the following user turn gets a synthetic error result there
///   (clients that were interrupted mid-tool leave such calls behind);
/// - a result whose call is nowhere before it becomes plain text, so its content is not lost.
pub fn repair_tool_pairs(messages: &mut Vec<Message>) {
    let mut known_calls: HashSet<String> = HashSet::new();
    let mut i = 0;
    while i < messages.len() {
        if messages[i].role == Role::User {
            for part in &mut messages[i].parts {
                if let Part::ToolResult(result) = part {
                    if !known_calls.contains(&result.call_id) {
                        *part = Part::Text(format!(
                            "[result of tool call {}]\n{}",
                            result.call_id,
                            result.text()
                        ));
                    }
                }
            }
            i += 1;
            continue;
        }
        let calls: Vec<(String, String)> = messages[i]
            .parts
            .iter()
            .filter_map(|p| match p {
                Part::ToolCall(c) => Some((c.id.clone(), c.name.clone())),
                _ => None,
            })
            .collect();
        known_calls.extend(calls.iter().map(|(id, _)| id.clone()));
        if calls.is_empty() {
            i += 1;
            continue;
        }
        let next_is_user = messages.get(i + 1).is_some_and(|m| m.role == Role::User);
        if !next_is_user {
            messages.insert(
                i + 1,
                Message {
                    role: Role::User,
                    parts: Vec::new(),
                },
            );
        }
        let answered: HashSet<String> = messages[i + 1]
            .parts
            .iter()
            .filter_map(|p| match p {
                Part::ToolResult(r) => Some(r.call_id.clone()),
                _ => None,
            })
            .collect();
        let missing: Vec<Part> = calls
            .into_iter()
            .filter(|(id, _)| !answered.contains(id))
            .map(|(id, name)| {
                Part::ToolResult(ToolResult {
                    call_id: id,
                    name: Some(name),
                    content: vec![ToolResultContent::Text(
                        "The tool call was interrupted; no result.".into(),
                    )],
                    is_error: true,
                })
            })
            .collect();
        if !missing.is_empty() {
            // Results go before any text of that turn, as Anthropic requires.
            let next = &mut messages[i + 1].parts;
            let at = next
                .iter()
                .take_while(|p| matches!(p, Part::ToolResult(_)))
                .count();
            for (k, part) in missing.into_iter().enumerate() {
                next.insert(at + k, part);
            }
        }
        i += 1;
    }
    // A user turn created only to hold repairs must not be left empty.
    messages.retain(|m| !m.parts.is_empty());
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::{StreamEvent as E, ToolCall, ToolKind, Usage};

    fn call(id: &str) -> Part {
        Part::ToolCall(ToolCall {
            id: id.into(),
            name: "f".into(),
            arguments: "{}".into(),
            kind: ToolKind::Function,
            signature: None,
        })
    }

    fn result(id: &str) -> Part {
        Part::ToolResult(ToolResult {
            call_id: id.into(),
            name: None,
            content: vec![ToolResultContent::Text("ok".into())],
            is_error: false,
        })
    }

    #[test]
    fn dangling_calls_get_results_and_orphan_results_become_text() {
        let mut messages = vec![
            Message {
                role: Role::User,
                parts: vec![Part::Text("hi".into()), result("ghost")],
            },
            Message {
                role: Role::Assistant,
                parts: vec![call("a"), call("b")],
            },
            Message {
                role: Role::User,
                parts: vec![result("a"), Part::Text("go on".into())],
            },
            Message {
                role: Role::Assistant,
                parts: vec![call("c")],
            },
        ];
        repair_tool_pairs(&mut messages);
        assert!(
            matches!(&messages[0].parts[1], Part::Text(t) if t.contains("ghost") && t.contains("ok"))
        );
        let Part::ToolResult(b) = &messages[2].parts[1] else {
            panic!("{:?}", messages[2])
        };
        assert_eq!(b.call_id, "b");
        assert!(b.is_error);
        assert!(matches!(&messages[2].parts[2], Part::Text(t) if t == "go on"));
        assert_eq!(messages.len(), 5);
        assert!(matches!(&messages[4].parts[0], Part::ToolResult(r) if r.call_id == "c"));
    }

    #[test]
    fn accumulates_and_unfolds_the_same_response() {
        let events = vec![
            E::Start {
                id: "r1".into(),
                model: "m".into(),
            },
            E::ThinkingDelta("th".into()),
            E::ThinkingDelta("ink".into()),
            E::ThinkingSignature("sig".into()),
            E::TextDelta("Hel".into()),
            E::TextDelta("lo".into()),
            E::ToolCallStart {
                index: 0,
                id: "c0".into(),
                name: "f".into(),
                kind: ToolKind::Function,
                signature: None,
            },
            E::ToolCallStart {
                index: 1,
                id: "c1".into(),
                name: "g".into(),
                kind: ToolKind::Function,
                signature: None,
            },
            E::ToolCallDelta {
                index: 0,
                fragment: "{\"a\":".into(),
            },
            E::ToolCallDelta {
                index: 1,
                fragment: "{}".into(),
            },
            E::ToolCallDelta {
                index: 0,
                fragment: "1}".into(),
            },
            E::Usage(Usage {
                input_tokens: 5,
                ..Usage::default()
            }),
            E::Usage(Usage {
                output_tokens: 9,
                ..Usage::default()
            }),
            E::Stop(StopReason::ToolUse),
        ];
        let mut acc = Accumulator::new();
        events.iter().for_each(|e| acc.push(e));
        let response = acc.finish().unwrap();
        assert_eq!(response.parts.len(), 4);
        assert_eq!(
            response.parts[0],
            Part::Thinking {
                text: "think".into(),
                signature: Some("sig".into())
            }
        );
        assert!(matches!(&response.parts[2], Part::ToolCall(c) if c.arguments == "{\"a\":1}"));
        assert_eq!(
            (response.usage.input_tokens, response.usage.output_tokens),
            (5, 9)
        );

        let mut again = Accumulator::new();
        response_to_events(&response)
            .iter()
            .for_each(|e| again.push(e));
        assert_eq!(again.finish().unwrap(), response);
    }

    #[test]
    fn an_error_event_wins() {
        let mut acc = Accumulator::new();
        acc.push(&E::TextDelta("partial".into()));
        acc.push(&E::Error(ErrorInfo::new(
            crate::ir::ErrorKind::Overloaded,
            "busy",
        )));
        assert_eq!(acc.finish().unwrap_err().message, "busy");
    }
}
