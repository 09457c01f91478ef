//! The Responses stream encoder: IR stream events written in the exact grammar Codex CLI and
//! the openai SDKs parse. Every event carries `type` (also its SSE event name) and a consecutive
//! `sequence_number`; output items are opened and closed one at a time.

use super::super::response::{
    call_item, custom_input, encode_usage, final_status, is_custom, item_id, message_item,
    reasoning_item, response_error, response_id, response_object,
};
use super::super::wire::{
    ArgumentsDoneEvent, Content, ContentPart, ContentPartEvent, CustomInputDoneEvent, DeltaEvent,
    Item, ItemEvent, MessageItem, ResponseEnvelope, Sequenced, StreamEvent as WireEvent,
    SummaryPart, SummaryPartEvent, SummaryTextDeltaEvent, SummaryTextDoneEvent, TextDeltaEvent,
    TextDoneEvent,
};
use crate::ClientContext;
use crate::ir::{StopReason, StreamEvent, ToolKind, Usage};
use crate::sse::write_event;

/// The item being written; it is closed (its done events written) before the next opens.
#[derive(Debug)]
enum Open {
    Message {
        id: String,
        text: String,
    },
    Reasoning {
        id: String,
        text: String,
        /// A summary part was opened (only when there is reasoning text).
        part_open: bool,
        signature: Option<String>,
    },
    /// Function calls stream their arguments as they come.
    Call {
        id: String,
        call_id: String,
        name: String,
        arguments: String,
        index: usize,
    },
    /// Custom tool calls are written whole at close, once their input can be unwrapped.
    Custom {
        call_id: String,
        name: String,
        arguments: String,
        kind: ToolKind,
        index: usize,
    },
}

/// Writes IR stream events as a Responses stream. The state is boxed so that `StreamEncoder`'s
/// variants stay of similar size.
pub struct Encoder(Box<EncoderState>);

impl Encoder {
    pub fn new(ctx: ClientContext) -> Self {
        Self(Box::new(EncoderState::new(ctx)))
    }

    pub fn encode(&mut self, event: &StreamEvent, out: &mut Vec<u8>) {
        self.0.encode(event, out)
    }

    /// Closes the open item and writes `response.completed` (or `response.incomplete`).
    /// Writes nothing after an error, or when called again.
    pub fn finish(&mut self, out: &mut Vec<u8>) {
        self.0.finish(out)
    }
}

struct EncoderState {
    ctx: ClientContext,
    id: String,
    sequence: u64,
    started: bool,
    done: bool,
    open: Option<Open>,
    /// Completed items, for the terminal event's `output`.
    output: Vec<Item>,
    usage: Usage,
    stop: Option<StopReason>,
}

impl EncoderState {
    fn new(ctx: ClientContext) -> Self {
        let id = response_id("", ctx.created);
        Self {
            ctx,
            id,
            sequence: 0,
            started: false,
            done: false,
            open: None,
            output: Vec::new(),
            usage: Usage::default(),
            stop: None,
        }
    }

    fn encode(&mut self, event: &StreamEvent, out: &mut Vec<u8>) {
        if self.done {
            return;
        }
        if let StreamEvent::Start { id, .. } = event {
            if !self.started {
                self.id = response_id(id, self.ctx.created);
            }
        }
        self.ensure_started(out);
        match event {
            StreamEvent::Start { .. } => {}
            StreamEvent::TextDelta(text) => {
                if !matches!(self.open, Some(Open::Message { .. })) {
                    self.close(out);
                    let id = item_id("msg", &self.id, self.output.len());
                    let index = self.output.len();
                    // Opened with no content; the part arrives in `content_part.added`.
                    let item = Item::Message(MessageItem {
                        id: Some(id.clone()),
                        status: Some("in_progress".into()),
                        role: "assistant".into(),
                        content: Content::Parts(Vec::new()),
                    });
                    self.write_item_added(index, item, out);
                    self.write_added_message(&id, index, out);
                    self.open = Some(Open::Message {
                        id,
                        text: String::new(),
                    });
                }
                self.text_delta(text, out);
            }
            StreamEvent::ThinkingDelta(text) => {
                let sealed = matches!(
                    &self.open,
                    Some(Open::Reasoning {
                        signature: Some(_),
                        ..
                    })
                );
                if sealed || !matches!(self.open, Some(Open::Reasoning { .. })) {
                    self.open_reasoning(out);
                }
                self.thinking_delta(text, out);
            }
            StreamEvent::ThinkingSignature(signature) => {
                if !matches!(
                    self.open,
                    Some(Open::Reasoning {
                        signature: None,
                        ..
                    })
                ) {
                    self.open_reasoning(out);
                }
                if let Some(Open::Reasoning { signature: s, .. }) = &mut self.open {
                    *s = Some(signature.clone());
                }
            }
            // Claude's encrypted thinking cannot be replayed to any Responses model.
            StreamEvent::RedactedThinking(_) => {}
            StreamEvent::ToolCallStart {
                index,
                id,
                name,
                kind,
                ..
            } => {
                self.close(out);
                if is_custom(&self.ctx, name, *kind) {
                    self.open = Some(Open::Custom {
                        call_id: id.clone(),
                        name: name.clone(),
                        arguments: String::new(),
                        kind: *kind,
                        index: *index,
                    });
                } else {
                    let output_index = self.output.len();
                    let item_id = item_id("fc", &self.id, output_index);
                    let item = call_item(
                        &self.ctx,
                        item_id.clone(),
                        id,
                        name,
                        "",
                        *kind,
                        "in_progress",
                    );
                    self.write_item_added(output_index, item, out);
                    self.open = Some(Open::Call {
                        id: item_id,
                        call_id: id.clone(),
                        name: name.clone(),
                        arguments: String::new(),
                        index: *index,
                    });
                }
            }
            StreamEvent::ToolCallDelta { index, fragment } => {
                self.call_delta(*index, fragment, out)
            }
            StreamEvent::Usage(usage) => self.usage.merge(usage),
            StreamEvent::Stop(reason) => self.stop = Some(*reason),
            StreamEvent::Error(error) => {
                let mut response = response_object(
                    self.id.clone(),
                    &self.ctx,
                    "failed",
                    std::mem::take(&mut self.output),
                    None,
                );
                response.error = Some(response_error(error));
                self.write(&WireEvent::Failed(ResponseEnvelope { response }), out);
                self.done = true;
            }
        }
    }

    fn finish(&mut self, out: &mut Vec<u8>) {
        if self.done {
            return;
        }
        self.ensure_started(out);
        self.close(out);
        let has_calls = self
            .output
            .iter()
            .any(|i| matches!(i, Item::FunctionCall(_) | Item::CustomToolCall(_)));
        let stop = self.stop.unwrap_or(if has_calls {
            StopReason::ToolUse
        } else {
            StopReason::EndTurn
        });
        let (status, incomplete) = final_status(stop);
        let mut response = response_object(
            self.id.clone(),
            &self.ctx,
            status,
            self.output.clone(),
            Some(encode_usage(&self.usage)),
        );
        response.incomplete_details = incomplete;
        let envelope = ResponseEnvelope { response };
        let event = if status == "completed" {
            WireEvent::Completed(envelope)
        } else {
            WireEvent::Incomplete(envelope)
        };
        self.write(&event, out);
        self.done = true;
    }

    fn write(&mut self, event: &WireEvent, out: &mut Vec<u8>) {
        let sequenced = Sequenced {
            event,
            sequence_number: self.sequence,
        };
        self.sequence += 1;
        let json = crate::to_json(&sequenced);
        write_event(out, Some(event.name()), &String::from_utf8_lossy(&json));
    }

    fn ensure_started(&mut self, out: &mut Vec<u8>) {
        if self.started {
            return;
        }
        self.started = true;
        let response = response_object(self.id.clone(), &self.ctx, "in_progress", Vec::new(), None);
        let envelope = ResponseEnvelope { response };
        self.write(&WireEvent::Created(envelope.clone()), out);
        self.write(&WireEvent::InProgress(envelope), out);
    }

    fn write_item_added(&mut self, output_index: usize, item: Item, out: &mut Vec<u8>) {
        self.write(
            &WireEvent::OutputItemAdded(ItemEvent { output_index, item }),
            out,
        );
    }

    fn write_added_message(&mut self, id: &str, output_index: usize, out: &mut Vec<u8>) {
        self.write(
            &WireEvent::ContentPartAdded(ContentPartEvent {
                item_id: id.to_owned(),
                output_index,
                content_index: 0,
                part: Some(output_text("")),
            }),
            out,
        );
    }

    fn text_delta(&mut self, text: &str, out: &mut Vec<u8>) {
        let Some(Open::Message { id, text: all }) = &mut self.open else {
            return;
        };
        all.push_str(text);
        let event = WireEvent::OutputTextDelta(TextDeltaEvent {
            item_id: id.clone(),
            output_index: self.output.len(),
            content_index: 0,
            delta: text.to_owned(),
            logprobs: Vec::new(),
        });
        self.write(&event, out);
    }

    fn open_reasoning(&mut self, out: &mut Vec<u8>) {
        self.close(out);
        let output_index = self.output.len();
        let id = item_id("rs", &self.id, output_index);
        self.write_item_added(output_index, reasoning_item(id.clone(), "", None), out);
        self.open = Some(Open::Reasoning {
            id,
            text: String::new(),
            part_open: false,
            signature: None,
        });
    }

    fn thinking_delta(&mut self, text: &str, out: &mut Vec<u8>) {
        if text.is_empty() {
            return;
        }
        let output_index = self.output.len();
        let Some(Open::Reasoning {
            id,
            text: all,
            part_open,
            ..
        }) = &mut self.open
        else {
            return;
        };
        all.push_str(text);
        let item_id = id.clone();
        let first = !*part_open;
        *part_open = true;
        if first {
            self.write(
                &WireEvent::SummaryPartAdded(SummaryPartEvent {
                    item_id: item_id.clone(),
                    output_index,
                    summary_index: 0,
                    part: SummaryPart::new(""),
                }),
                out,
            );
        }
        self.write(
            &WireEvent::SummaryTextDelta(SummaryTextDeltaEvent {
                item_id,
                output_index,
                summary_index: 0,
                delta: text.to_owned(),
            }),
            out,
        );
    }

    fn call_delta(&mut self, index: usize, fragment: &str, out: &mut Vec<u8>) {
        let output_index = self.output.len();
        match &mut self.open {
            Some(Open::Call {
                id,
                arguments,
                index: open,
                ..
            }) if *open == index => {
                arguments.push_str(fragment);
                let event = WireEvent::ArgumentsDelta(DeltaEvent {
                    item_id: id.clone(),
                    output_index,
                    delta: fragment.to_owned(),
                });
                self.write(&event, out);
            }
            Some(Open::Custom {
                arguments,
                index: open,
                ..
            }) if *open == index => arguments.push_str(fragment),
            // A fragment for a call already closed cannot be written any more: the grammar
            // closes each item before the next one opens.
            _ => {}
        }
    }

    /// Writes the done events of the open item and records it for the terminal event.
    fn close(&mut self, out: &mut Vec<u8>) {
        let Some(open) = self.open.take() else {
            return;
        };
        let output_index = self.output.len();
        let item = match open {
            Open::Message { id, text } => {
                self.write(
                    &WireEvent::OutputTextDone(TextDoneEvent {
                        item_id: id.clone(),
                        output_index,
                        content_index: 0,
                        text: text.clone(),
                        logprobs: Vec::new(),
                    }),
                    out,
                );
                self.write(
                    &WireEvent::ContentPartDone(ContentPartEvent {
                        item_id: id.clone(),
                        output_index,
                        content_index: 0,
                        part: Some(output_text(&text)),
                    }),
                    out,
                );
                message_item(id, &text, "completed")
            }
            Open::Reasoning {
                id,
                text,
                part_open,
                signature,
            } => {
                if part_open {
                    self.write(
                        &WireEvent::SummaryTextDone(SummaryTextDoneEvent {
                            item_id: id.clone(),
                            output_index,
                            summary_index: 0,
                            text: text.clone(),
                        }),
                        out,
                    );
                    self.write(
                        &WireEvent::SummaryPartDone(SummaryPartEvent {
                            item_id: id.clone(),
                            output_index,
                            summary_index: 0,
                            part: SummaryPart::new(text.clone()),
                        }),
                        out,
                    );
                }
                reasoning_item(id, &text, signature.as_deref())
            }
            Open::Call {
                id,
                call_id,
                name,
                arguments,
                ..
            } => {
                self.write(
                    &WireEvent::ArgumentsDone(ArgumentsDoneEvent {
                        item_id: id.clone(),
                        output_index,
                        arguments: arguments.clone(),
                    }),
                    out,
                );
                call_item(
                    &self.ctx,
                    id,
                    &call_id,
                    &name,
                    &arguments,
                    ToolKind::Function,
                    "completed",
                )
            }
            Open::Custom {
                call_id,
                name,
                arguments,
                kind,
                ..
            } => {
                let id = item_id("ctc", &self.id, output_index);
                let input = custom_input(&arguments, kind);
                let added = call_item(
                    &self.ctx,
                    id.clone(),
                    &call_id,
                    &name,
                    "",
                    kind,
                    "in_progress",
                );
                self.write_item_added(output_index, added, out);
                self.write(
                    &WireEvent::CustomInputDelta(DeltaEvent {
                        item_id: id.clone(),
                        output_index,
                        delta: input.clone(),
                    }),
                    out,
                );
                self.write(
                    &WireEvent::CustomInputDone(CustomInputDoneEvent {
                        item_id: id.clone(),
                        output_index,
                        input,
                    }),
                    out,
                );
                call_item(
                    &self.ctx,
                    id,
                    &call_id,
                    &name,
                    &arguments,
                    kind,
                    "completed",
                )
            }
        };
        self.write(
            &WireEvent::OutputItemDone(ItemEvent {
                output_index,
                item: item.clone(),
            }),
            out,
        );
        self.output.push(item);
    }
}

fn output_text(text: &str) -> ContentPart {
    ContentPart::OutputText {
        text: text.to_owned(),
        annotations: Vec::new(),
    }
}
