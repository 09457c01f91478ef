//! Responses streams ⇄ IR stream events. The decoder (here) reads an upstream's `response.*` events
//! (OpenAI, the ChatGPT Codex backend); the encoder (`encode.rs`) writes the exact grammar Codex CLI and the
//! openai SDKs parse: `response.created`, `response.in_progress`, per output item
//! `output_item.added` … deltas … `output_item.done`, then one terminal event, with a
//! consecutive `sequence_number` on every event.

use std::collections::HashMap;

use super::response::{decode_usage, kind_for_code, reasoning_text, stop_reason};
use super::wire::{
    ArgumentsDoneEvent, Content, ContentPart, CustomInputDoneEvent, DeltaEvent, ErrorEvent, Item,
    ItemEvent, ResponseObject, StreamEvent as WireEvent, SummaryPartEvent, SummaryTextDeltaEvent,
    TextDeltaEvent,
};
use crate::ir::{ErrorInfo, ErrorKind, StreamEvent, ToolKind};
use crate::sse::SseEvent;

mod encode;
pub use encode::Encoder;

/// What the decoder knows about one output item of the upstream's response.
#[derive(Debug)]
enum Tracked {
    Message { text_seen: bool },
    Reasoning { text_seen: bool, parts: usize },
    Call { index: usize, args_seen: bool },
    Other,
}

#[derive(Debug, Default)]
pub struct Decoder {
    started: bool,
    complete: bool,
    failed: bool,
    /// output_index → item.
    items: HashMap<usize, Tracked>,
    /// item id → output_index, for events that only name the item.
    ids: HashMap<String, usize>,
    calls: usize,
}

impl Decoder {
    pub fn decode(&mut self, event: &SseEvent, out: &mut Vec<StreamEvent>) {
        if self.failed || self.complete {
            return;
        }
        let data = event.data.trim();
        if data.is_empty() || data == "[DONE]" {
            return;
        }
        match parse_event(event) {
            Ok(wire) => self.handle(wire, out),
            Err(message) => {
                self.failed = true;
                out.push(StreamEvent::Error(ErrorInfo::new(
                    ErrorKind::Server,
                    format!("unparsable Responses stream event: {message}"),
                )));
            }
        }
    }

    pub fn is_complete(&self) -> bool {
        self.complete
    }

    fn start(&mut self, id: &str, model: &str, out: &mut Vec<StreamEvent>) {
        if !self.started {
            self.started = true;
            out.push(StreamEvent::Start {
                id: id.to_owned(),
                model: model.to_owned(),
            });
        }
    }

    fn handle(&mut self, event: WireEvent, out: &mut Vec<StreamEvent>) {
        match event {
            WireEvent::Created(e) | WireEvent::InProgress(e) => {
                self.start(&e.response.id, &e.response.model, out)
            }
            WireEvent::Completed(e) | WireEvent::Incomplete(e) => self.finish(e.response, out),
            WireEvent::Failed(e) => {
                let error = e.response.error.unwrap_or_default();
                self.fail(error.code.as_deref(), &error.message, out);
            }
            WireEvent::Error(e) => self.error_event(e, out),
            WireEvent::Other => {}
            other => {
                self.start("", "", out);
                self.item_event(other, out);
            }
        }
    }

    fn item_event(&mut self, event: WireEvent, out: &mut Vec<StreamEvent>) {
        match event {
            WireEvent::OutputItemAdded(e) => self.item_added(e, out),
            WireEvent::OutputItemDone(e) => self.item_done(e, out),
            WireEvent::OutputTextDelta(TextDeltaEvent {
                item_id,
                output_index,
                delta,
                ..
            })
            | WireEvent::RefusalDelta(DeltaEvent {
                item_id,
                output_index,
                delta,
            }) => {
                if let Some(Tracked::Message { text_seen }) = self.tracked(&item_id, output_index) {
                    *text_seen = true;
                }
                if !delta.is_empty() {
                    out.push(StreamEvent::TextDelta(delta));
                }
            }
            WireEvent::SummaryPartAdded(SummaryPartEvent {
                item_id,
                output_index,
                ..
            }) => {
                // Summary parts are joined by a blank line, as in a non-streamed answer.
                if let Some(Tracked::Reasoning { text_seen, parts }) =
                    self.tracked(&item_id, output_index)
                {
                    *parts += 1;
                    if *parts > 1 && *text_seen {
                        out.push(StreamEvent::ThinkingDelta("\n\n".into()));
                    }
                }
            }
            WireEvent::SummaryTextDelta(SummaryTextDeltaEvent {
                item_id,
                output_index,
                delta,
                ..
            })
            | WireEvent::ReasoningTextDelta(DeltaEvent {
                item_id,
                output_index,
                delta,
            }) => {
                if let Some(Tracked::Reasoning { text_seen, .. }) =
                    self.tracked(&item_id, output_index)
                {
                    *text_seen = true;
                }
                if !delta.is_empty() {
                    out.push(StreamEvent::ThinkingDelta(delta));
                }
            }
            WireEvent::ArgumentsDelta(DeltaEvent {
                item_id,
                output_index,
                delta,
            })
            | WireEvent::CustomInputDelta(DeltaEvent {
                item_id,
                output_index,
                delta,
            }) => {
                if let Some(Tracked::Call { index, args_seen }) =
                    self.tracked(&item_id, output_index)
                {
                    *args_seen = true;
                    let index = *index;
                    if !delta.is_empty() {
                        out.push(StreamEvent::ToolCallDelta {
                            index,
                            fragment: delta,
                        });
                    }
                }
            }
            WireEvent::ArgumentsDone(ArgumentsDoneEvent {
                item_id,
                output_index,
                arguments,
            })
            | WireEvent::CustomInputDone(CustomInputDoneEvent {
                item_id,
                output_index,
                input: arguments,
            }) => {
                if let Some(Tracked::Call { index, args_seen }) =
                    self.tracked(&item_id, output_index)
                {
                    if !*args_seen && !arguments.is_empty() {
                        *args_seen = true;
                        out.push(StreamEvent::ToolCallDelta {
                            index: *index,
                            fragment: arguments,
                        });
                    }
                }
            }
            _ => {}
        }
    }

    /// The item an event refers to: by `output_index`, or by `item_id` when the index is not
    /// one this decoder saw opened.
    fn tracked(&mut self, item_id: &str, output_index: usize) -> Option<&mut Tracked> {
        let index = if self.items.contains_key(&output_index) {
            output_index
        } else {
            *self.ids.get(item_id)?
        };
        self.items.get_mut(&index)
    }

    fn item_added(&mut self, event: ItemEvent, out: &mut Vec<StreamEvent>) {
        let ItemEvent { output_index, item } = event;
        let (id, tracked) = match item {
            Item::Message(m) => (m.id, Tracked::Message { text_seen: false }),
            Item::Reasoning(r) => (
                r.id,
                Tracked::Reasoning {
                    text_seen: false,
                    parts: 0,
                },
            ),
            Item::FunctionCall(c) => {
                let name = c.full_name();
                let tracked = self.open_call(c.call_id, name, ToolKind::Function, c.arguments, out);
                (c.id, tracked)
            }
            Item::CustomToolCall(c) => {
                let name = c.full_name();
                let tracked = self.open_call(c.call_id, name, ToolKind::Custom, c.input, out);
                (c.id, tracked)
            }
            _ => (None, Tracked::Other),
        };
        if let Some(id) = id {
            self.ids.insert(id, output_index);
        }
        self.items.insert(output_index, tracked);
    }

    fn open_call(
        &mut self,
        id: String,
        name: String,
        kind: ToolKind,
        arguments: String,
        out: &mut Vec<StreamEvent>,
    ) -> Tracked {
        let index = self.calls;
        self.calls += 1;
        out.push(StreamEvent::ToolCallStart {
            index,
            id,
            name,
            kind,
            signature: None,
        });
        let args_seen = !arguments.is_empty();
        if args_seen {
            out.push(StreamEvent::ToolCallDelta {
                index,
                fragment: arguments,
            });
        }
        Tracked::Call { index, args_seen }
    }

    /// A finished item: whatever did not arrive as deltas is emitted now, and a reasoning
    /// item's encrypted content becomes its signature.
    fn item_done(&mut self, event: ItemEvent, out: &mut Vec<StreamEvent>) {
        let ItemEvent { output_index, item } = event;
        let tracked = self.items.remove(&output_index);
        match (item, tracked) {
            (Item::Message(m), tracked)
                if !matches!(tracked, Some(Tracked::Message { text_seen: true })) =>
            {
                let text = match m.content {
                    Content::Text(t) => t,
                    Content::Parts(parts) => parts
                        .into_iter()
                        .filter_map(|p| match p.value {
                            ContentPart::OutputText { text, .. } => Some(text),
                            ContentPart::Refusal { refusal } => Some(refusal),
                            _ => None,
                        })
                        .collect(),
                };
                if !text.is_empty() {
                    out.push(StreamEvent::TextDelta(text));
                }
            }
            (Item::Reasoning(r), tracked) => {
                if !matches!(
                    tracked,
                    Some(Tracked::Reasoning {
                        text_seen: true,
                        ..
                    })
                ) {
                    let text = reasoning_text(&r);
                    if !text.is_empty() {
                        out.push(StreamEvent::ThinkingDelta(text));
                    }
                }
                if let Some(signature) = r.encrypted_content.filter(|s| !s.is_empty()) {
                    out.push(StreamEvent::ThinkingSignature(signature));
                }
            }
            (Item::FunctionCall(c), tracked) => {
                let name = c.full_name();
                self.close_call(
                    c.call_id,
                    name,
                    ToolKind::Function,
                    c.arguments,
                    tracked,
                    out,
                )
            }
            (Item::CustomToolCall(c), tracked) => {
                let name = c.full_name();
                self.close_call(c.call_id, name, ToolKind::Custom, c.input, tracked, out)
            }
            _ => {}
        }
    }

    fn close_call(
        &mut self,
        id: String,
        name: String,
        kind: ToolKind,
        arguments: String,
        tracked: Option<Tracked>,
        out: &mut Vec<StreamEvent>,
    ) {
        match tracked {
            Some(Tracked::Call {
                index,
                args_seen: false,
            }) if !arguments.is_empty() => out.push(StreamEvent::ToolCallDelta {
                index,
                fragment: arguments,
            }),
            Some(Tracked::Call { .. }) => {}
            // A call never announced by `output_item.added`.
            _ => {
                self.open_call(id, name, kind, arguments, out);
            }
        }
    }

    fn finish(&mut self, response: ResponseObject, out: &mut Vec<StreamEvent>) {
        self.start(&response.id, &response.model, out);
        if let Some(usage) = &response.usage {
            out.push(StreamEvent::Usage(decode_usage(usage)));
        }
        let has_calls = self.calls > 0
            || response
                .output
                .iter()
                .any(|i| matches!(i, Item::FunctionCall(_) | Item::CustomToolCall(_)));
        out.push(StreamEvent::Stop(stop_reason(
            response.status.as_deref(),
            response.incomplete_details.as_ref(),
            has_calls,
        )));
        self.complete = true;
    }

    fn error_event(&mut self, event: ErrorEvent, out: &mut Vec<StreamEvent>) {
        let nested = event.error.unwrap_or_default();
        let code = event.code.or(nested.code).or(nested.kind);
        let message = event
            .message
            .filter(|m| !m.is_empty())
            .unwrap_or(nested.message);
        self.fail(code.as_deref(), &message, out);
    }

    fn fail(&mut self, code: Option<&str>, message: &str, out: &mut Vec<StreamEvent>) {
        self.failed = true;
        let kind = code.and_then(kind_for_code).unwrap_or(ErrorKind::Server);
        let message = if message.is_empty() {
            format!(
                "the upstream response failed ({})",
                code.unwrap_or("no error code")
            )
        } else {
            message.to_owned()
        };
        out.push(StreamEvent::Error(ErrorInfo::new(kind, message)));
    }
}

/// Parses an event's JSON; an event without `type` takes it from its SSE event name.
fn parse_event(event: &SseEvent) -> Result<WireEvent, String> {
    use serde::Deserialize;
    let mut map: serde_json::Map<String, serde_json::Value> =
        crate::parse_json(event.data.as_bytes()).map_err(|e| e.to_string())?;
    if !map.contains_key("type") {
        if let Some(name) = &event.event {
            map.insert("type".into(), serde_json::Value::String(name.clone()));
        }
    }
    WireEvent::deserialize(serde_json::Value::Object(map)).map_err(|e| e.to_string())
}
