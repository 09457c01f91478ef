//! Chat Completions streams: `chat.completion.chunk` events ending in `data: [DONE]`.

use std::collections::HashMap;

use super::response::{error_body, usage_from_wire, usage_to_wire};
use super::wire::{self, ChatChunk, ChunkChoice, Delta};
use super::{completion_id, stop_from_wire, stop_to_wire};
use crate::ir::{ErrorInfo, ErrorKind, StopReason, StreamEvent, ToolKind, Usage};
use crate::sse::{SseEvent, write_event};
use crate::{ClientContext, parse_json, to_json};

/// Upstream chunks → IR events.
#[derive(Debug, Default)]
pub struct Decoder {
    started: bool,
    /// Upstream tool call index → IR index, in order of first appearance.
    calls: HashMap<usize, usize>,
    saw_stop: bool,
    done: bool,
}

impl Decoder {
    pub fn decode(&mut self, event: &SseEvent, out: &mut Vec<StreamEvent>) {
        let data = event.data.trim();
        if data == "[DONE]" {
            self.done = true;
            return;
        }
        if data.is_empty() {
            return;
        }
        // A mid-stream failure is a payload with an `error` object (and no choices).
        if data.contains("\"error\"") {
            if let Ok(body) = parse_json::<wire::ErrorBody>(data.as_bytes()) {
                out.push(StreamEvent::Error(error_from_body(body)));
                return;
            }
        }
        let chunk: ChatChunk = match parse_json(data.as_bytes()) {
            Ok(chunk) => chunk,
            Err(e) => {
                out.push(StreamEvent::Error(self.error_in(&e.to_string())));
                return;
            }
        };
        if !self.started {
            self.started = true;
            out.push(StreamEvent::Start {
                id: chunk.id.clone(),
                model: chunk.model.clone(),
            });
        }
        for choice in chunk.choices.into_iter().filter(|c| c.index == 0) {
            self.decode_choice(choice, out);
        }
        if let Some(usage) = chunk.usage {
            out.push(StreamEvent::Usage(usage_from_wire(&usage)));
        }
    }

    fn error_in(&self, parse_error: &str) -> ErrorInfo {
        ErrorInfo::new(
            ErrorKind::Server,
            format!("upstream sent an invalid stream event: {parse_error}"),
        )
    }

    fn decode_choice(&mut self, choice: ChunkChoice, out: &mut Vec<StreamEvent>) {
        let delta = choice.delta;
        if let Some(text) = delta.reasoning_content.filter(|t| !t.is_empty()) {
            out.push(StreamEvent::ThinkingDelta(text));
        }
        if let Some(text) = delta.content.filter(|t| !t.is_empty()) {
            out.push(StreamEvent::TextDelta(text));
        }
        if let Some(text) = delta.refusal.filter(|t| !t.is_empty()) {
            out.push(StreamEvent::TextDelta(text));
        }
        for (position, call) in delta.tool_calls.unwrap_or_default().into_iter().enumerate() {
            let upstream_index = call.index.unwrap_or(position);
            let function = call.function;
            let next = self.calls.len();
            let index = *self.calls.entry(upstream_index).or_insert_with(|| {
                let name = function
                    .as_ref()
                    .and_then(|f| f.name.clone())
                    .unwrap_or_default();
                out.push(StreamEvent::ToolCallStart {
                    index: next,
                    id: call
                        .id
                        .clone()
                        .filter(|id| !id.is_empty())
                        .unwrap_or_else(|| format!("call_{next}")),
                    name,
                    kind: ToolKind::Function,
                    signature: None,
                });
                next
            });
            if let Some(fragment) = function.and_then(|f| f.arguments).filter(|a| !a.is_empty()) {
                out.push(StreamEvent::ToolCallDelta { index, fragment });
            }
        }
        if let Some(reason) = choice.finish_reason {
            let mut stop = stop_from_wire(&reason);
            if stop == StopReason::EndTurn && !self.calls.is_empty() {
                stop = StopReason::ToolUse;
            }
            self.saw_stop = true;
            out.push(StreamEvent::Stop(stop));
        }
    }

    /// `[DONE]` arrived, or at least the finish reason (some compatible providers omit `[DONE]`).
    pub fn is_complete(&self) -> bool {
        self.done || self.saw_stop
    }
}

fn error_from_body(body: wire::ErrorBody) -> ErrorInfo {
    let kind = match body.error.kind.as_deref() {
        Some("rate_limit_error" | "insufficient_quota") => ErrorKind::RateLimited,
        Some("invalid_request_error") => ErrorKind::InvalidRequest,
        _ => ErrorKind::Server,
    };
    ErrorInfo::new(kind, body.error.message)
}

/// IR events → chunks in OpenAI's grammar.
#[derive(Debug)]
pub struct Encoder {
    ctx: ClientContext,
    id: String,
    started: bool,
    stop: Option<StopReason>,
    stop_sent: bool,
    usage: Usage,
    finished: bool,
}

impl Encoder {
    pub fn new(ctx: ClientContext) -> Self {
        let id = completion_id("", ctx.created);
        Self {
            ctx,
            id,
            started: false,
            stop: None,
            stop_sent: false,
            usage: Usage::default(),
            finished: false,
        }
    }

    fn chunk(&self, delta: Delta, finish_reason: Option<String>, out: &mut Vec<u8>) {
        let chunk = ChatChunk {
            id: self.id.clone(),
            object: "chat.completion.chunk".into(),
            created: self.ctx.created,
            model: self.ctx.model.clone(),
            choices: vec![ChunkChoice {
                index: 0,
                delta,
                logprobs: None,
                finish_reason,
            }],
            usage: None,
        };
        write_event(out, None, &String::from_utf8_lossy(&to_json(&chunk)));
    }

    fn start(&mut self, out: &mut Vec<u8>) {
        if !self.started {
            self.started = true;
            let delta = Delta {
                role: Some("assistant".into()),
                content: Some(String::new()),
                ..Delta::default()
            };
            self.chunk(delta, None, out);
        }
    }

    pub fn encode(&mut self, event: &StreamEvent, out: &mut Vec<u8>) {
        if self.finished {
            return;
        }
        match event {
            StreamEvent::Start { id, .. } => {
                if !self.started && !id.is_empty() {
                    self.id = completion_id(id, self.ctx.created);
                }
                self.start(out);
            }
            StreamEvent::TextDelta(text) => {
                self.start(out);
                self.chunk(
                    Delta {
                        content: Some(text.clone()),
                        ..Delta::default()
                    },
                    None,
                    out,
                );
            }
            StreamEvent::ThinkingDelta(text) => {
                self.start(out);
                self.chunk(
                    Delta {
                        reasoning_content: Some(text.clone()),
                        ..Delta::default()
                    },
                    None,
                    out,
                );
            }
            // Chat Completions has no place for signatures or encrypted reasoning.
            StreamEvent::ThinkingSignature(_) | StreamEvent::RedactedThinking(_) => {}
            StreamEvent::ToolCallStart {
                index, id, name, ..
            } => {
                self.start(out);
                let call = wire::ToolCallDelta {
                    index: Some(*index),
                    id: Some(id.clone()),
                    kind: Some("function".into()),
                    function: Some(wire::FunctionDelta {
                        name: Some(name.clone()),
                        arguments: Some(String::new()),
                    }),
                };
                self.chunk(
                    Delta {
                        tool_calls: Some(vec![call]),
                        ..Delta::default()
                    },
                    None,
                    out,
                );
            }
            StreamEvent::ToolCallDelta { index, fragment } => {
                self.start(out);
                let call = wire::ToolCallDelta {
                    index: Some(*index),
                    id: None,
                    kind: None,
                    function: Some(wire::FunctionDelta {
                        name: None,
                        arguments: Some(fragment.clone()),
                    }),
                };
                self.chunk(
                    Delta {
                        tool_calls: Some(vec![call]),
                        ..Delta::default()
                    },
                    None,
                    out,
                );
            }
            StreamEvent::Usage(usage) => self.usage.merge(usage),
            StreamEvent::Stop(reason) => {
                self.start(out);
                self.stop = Some(*reason);
                if !self.stop_sent {
                    self.stop_sent = true;
                    self.chunk(Delta::default(), Some(stop_to_wire(*reason).into()), out);
                }
            }
            StreamEvent::Error(error) => {
                // The SDKs raise on a data payload carrying `error`; nothing may follow it.
                write_event(
                    out,
                    None,
                    &String::from_utf8_lossy(&to_json(&error_body(error))),
                );
                self.finished = true;
            }
        }
    }

    pub fn finish(&mut self, out: &mut Vec<u8>) {
        if self.finished {
            return;
        }
        self.finished = true;
        self.start(out);
        if !self.stop_sent {
            self.stop_sent = true;
            self.chunk(
                Delta::default(),
                Some(stop_to_wire(self.stop.unwrap_or_default()).into()),
                out,
            );
        }
        if self.ctx.include_usage {
            let chunk = ChatChunk {
                id: self.id.clone(),
                object: "chat.completion.chunk".into(),
                created: self.ctx.created,
                model: self.ctx.model.clone(),
                choices: Vec::new(),
                usage: Some(usage_to_wire(&self.usage)),
            };
            write_event(out, None, &String::from_utf8_lossy(&to_json(&chunk)));
        }
        write_event(out, None, "[DONE]");
    }
}
