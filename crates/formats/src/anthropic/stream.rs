//! Anthropic Messages streaming: `Decoder` turns an upstream's `message_start …
//! message_stop` SSE events into IR stream events; `Encoder` writes IR stream events as the
//! exact event grammar Anthropic clients (Claude Code, the SDKs) parse: `message_start` first,
//! content blocks with consecutive indices each opened and closed in turn, then
//! `message_delta` with the stop reason and usage, then `message_stop`.

use std::collections::HashMap;

use super::response::{
    decode_stop, decode_usage, encode_stop, encode_usage, error_kind, error_type, message_id,
    tool_use_id,
};
use super::wire::{
    EmptyObject, InDelta, InEvent, InStreamBlock, OutDelta, OutErrorDetail, OutEvent,
    OutMessageDelta, OutStartMessage, OutStreamBlock, WireUsage,
};
use crate::ClientContext;
use crate::ir::{ErrorInfo, ErrorKind, StopReason, StreamEvent, ToolKind, Usage};
use crate::sse::{SseEvent, write_event};

/// What an upstream content block (by its `index`) turned out to be.
#[derive(Debug, Clone, Copy)]
enum Block {
    Text,
    Thinking,
    Redacted,
    /// A `tool_use` block and the IR tool call index it was given.
    Tool(usize),
    /// Server tool blocks and future kinds: they and their deltas are skipped.
    Ignored,
}

/// Upstream Anthropic SSE → IR stream events.
#[derive(Debug, Default)]
pub struct Decoder {
    started: bool,
    complete: bool,
    failed: bool,
    blocks: HashMap<u64, Block>,
    next_tool: usize,
    /// Counts so far; `message_delta` usage is cumulative and may repeat or omit fields.
    usage: WireUsage,
}

impl Decoder {
    pub fn decode(&mut self, event: &SseEvent, out: &mut Vec<StreamEvent>) {
        if self.complete || self.failed {
            return;
        }
        let data = event.data.trim();
        if data.is_empty() {
            return;
        }
        let parsed: InEvent = match crate::parse_json(data.as_bytes()) {
            Ok(parsed) => parsed,
            Err(e) => {
                self.failed = true;
                out.push(StreamEvent::Error(ErrorInfo::new(
                    ErrorKind::Server,
                    format!("unparsable Anthropic stream event: {e}"),
                )));
                return;
            }
        };
        match parsed {
            InEvent::MessageStart { message } => {
                if !self.started {
                    self.started = true;
                    out.push(StreamEvent::Start {
                        id: message.id,
                        model: message.model,
                    });
                }
                if let Some(usage) = message.usage {
                    // `output_tokens` here is a placeholder (usually 1); the real count comes
                    // in `message_delta`.
                    self.merge_usage(&WireUsage {
                        output_tokens: None,
                        ..usage
                    });
                    self.push_usage(out);
                }
            }
            InEvent::ContentBlockStart {
                index,
                content_block,
            } => {
                self.ensure_started(out);
                self.start_block(index, content_block, out);
            }
            InEvent::ContentBlockDelta { index, delta } => {
                self.ensure_started(out);
                self.delta(index, delta, out);
            }
            InEvent::ContentBlockStop | InEvent::Ping | InEvent::Unknown => {}
            InEvent::MessageDelta { delta, usage } => {
                self.ensure_started(out);
                if let Some(usage) = usage {
                    self.merge_usage(&usage);
                    self.push_usage(out);
                }
                if let Some(reason) = delta.stop_reason {
                    out.push(StreamEvent::Stop(decode_stop(&reason)));
                }
            }
            InEvent::MessageStop => self.complete = true,
            InEvent::Error { error } => {
                self.failed = true;
                let kind = error
                    .kind
                    .as_deref()
                    .and_then(error_kind)
                    .unwrap_or(ErrorKind::Server);
                let message = error
                    .message
                    .unwrap_or_else(|| "the upstream reported a stream error".to_owned());
                out.push(StreamEvent::Error(ErrorInfo::new(kind, message)));
            }
        }
    }

    pub fn is_complete(&self) -> bool {
        self.complete
    }

    fn ensure_started(&mut self, out: &mut Vec<StreamEvent>) {
        if !self.started {
            self.started = true;
            out.push(StreamEvent::Start {
                id: String::new(),
                model: String::new(),
            });
        }
    }

    fn merge_usage(&mut self, later: &WireUsage) {
        let u = &mut self.usage;
        u.input_tokens = later.input_tokens.or(u.input_tokens);
        u.output_tokens = later.output_tokens.or(u.output_tokens);
        u.cache_read_input_tokens = later.cache_read_input_tokens.or(u.cache_read_input_tokens);
        u.cache_creation_input_tokens = later
            .cache_creation_input_tokens
            .or(u.cache_creation_input_tokens);
    }

    fn push_usage(&self, out: &mut Vec<StreamEvent>) {
        let usage = decode_usage(&self.usage);
        if usage != Usage::default() {
            out.push(StreamEvent::Usage(usage));
        }
    }

    fn start_block(&mut self, index: u64, block: InStreamBlock, out: &mut Vec<StreamEvent>) {
        let kind = match block {
            InStreamBlock::Text { text } => {
                if !text.is_empty() {
                    out.push(StreamEvent::TextDelta(text));
                }
                Block::Text
            }
            InStreamBlock::Thinking {
                thinking,
                signature,
            } => {
                if !thinking.is_empty() {
                    out.push(StreamEvent::ThinkingDelta(thinking));
                }
                if let Some(sig) = signature.filter(|s| !s.is_empty()) {
                    out.push(StreamEvent::ThinkingSignature(sig));
                }
                Block::Thinking
            }
            InStreamBlock::RedactedThinking { data } => {
                out.push(StreamEvent::RedactedThinking(data));
                Block::Redacted
            }
            InStreamBlock::ToolUse { id, name, input } => {
                let tool = self.next_tool;
                self.next_tool += 1;
                out.push(StreamEvent::ToolCallStart {
                    index: tool,
                    id,
                    name,
                    kind: ToolKind::Function,
                    signature: None,
                });
                // Anthropic starts with `{}` and streams the input; some compatible upstreams
                // put the whole input here instead.
                if let Some(input) = input.filter(|i| i.as_object().is_none_or(|o| !o.is_empty())) {
                    if !input.is_null() {
                        out.push(StreamEvent::ToolCallDelta {
                            index: tool,
                            fragment: input.to_string(),
                        });
                    }
                }
                Block::Tool(tool)
            }
            InStreamBlock::Unknown => Block::Ignored,
        };
        self.blocks.insert(index, kind);
    }

    fn delta(&mut self, index: u64, delta: InDelta, out: &mut Vec<StreamEvent>) {
        let block = self.blocks.get(&index).copied();
        if matches!(block, Some(Block::Ignored | Block::Redacted)) {
            return;
        }
        match delta {
            InDelta::TextDelta { text } if !text.is_empty() => {
                out.push(StreamEvent::TextDelta(text))
            }
            InDelta::ThinkingDelta { thinking } if !thinking.is_empty() => {
                out.push(StreamEvent::ThinkingDelta(thinking))
            }
            InDelta::SignatureDelta { signature } if !signature.is_empty() => {
                out.push(StreamEvent::ThinkingSignature(signature))
            }
            InDelta::InputJsonDelta { partial_json } if !partial_json.is_empty() => {
                if let Some(Block::Tool(tool)) = block {
                    out.push(StreamEvent::ToolCallDelta {
                        index: tool,
                        fragment: partial_json,
                    });
                }
            }
            _ => {}
        }
    }
}

// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Open {
    Text,
    /// `signed`: the signature was sent, so more thinking starts a new block.
    Thinking {
        signed: bool,
    },
    /// The IR tool call index; custom tools have their raw text wrapped as `{"input": …}`.
    Tool {
        call: usize,
        custom: bool,
    },
}

/// IR stream events → Anthropic SSE.
#[derive(Debug)]
pub struct Encoder {
    ctx: ClientContext,
    id: String,
    /// `message_start` was written.
    started: bool,
    next_index: usize,
    open: Option<(usize, Open)>,
    any_block: bool,
    any_tool: bool,
    usage: Usage,
    stop: Option<StopReason>,
    /// An error or the closing events were written; nothing more may follow.
    done: bool,
}

impl Encoder {
    pub fn new(ctx: ClientContext) -> Self {
        Self {
            ctx,
            id: String::new(),
            started: false,
            next_index: 0,
            open: None,
            any_block: false,
            any_tool: false,
            usage: Usage::default(),
            stop: None,
            done: false,
        }
    }

    pub fn encode(&mut self, event: &StreamEvent, out: &mut Vec<u8>) {
        if self.done {
            return;
        }
        match event {
            StreamEvent::Start { id, .. } => {
                if !self.started && self.id.is_empty() {
                    self.id = id.clone();
                }
            }
            StreamEvent::TextDelta(text) => {
                if text.is_empty() {
                    return;
                }
                if self.open.map(|(_, o)| o) != Some(Open::Text) {
                    self.open_block(Open::Text, OutStreamBlock::Text { text: "" }, out);
                }
                self.delta(OutDelta::Text { text }, out);
            }
            StreamEvent::ThinkingDelta(text) => {
                if text.is_empty() {
                    return;
                }
                self.ensure_thinking(out);
                self.delta(OutDelta::Thinking { thinking: text }, out);
            }
            StreamEvent::ThinkingSignature(signature) => {
                self.ensure_thinking(out);
                self.delta(OutDelta::Signature { signature }, out);
                if let Some((index, Open::Thinking { .. })) = self.open {
                    self.open = Some((index, Open::Thinking { signed: true }));
                }
            }
            StreamEvent::RedactedThinking(data) => {
                self.open_block(
                    Open::Thinking { signed: true },
                    OutStreamBlock::RedactedThinking { data },
                    out,
                );
                self.close_block(out);
            }
            StreamEvent::ToolCallStart {
                index,
                id,
                name,
                kind,
                ..
            } => {
                self.any_tool = true;
                let custom = *kind == ToolKind::Custom;
                let id = tool_use_id(id, *index);
                self.open_block(
                    Open::Tool {
                        call: *index,
                        custom,
                    },
                    OutStreamBlock::ToolUse {
                        id: &id,
                        name,
                        input: EmptyObject,
                    },
                    out,
                );
                if custom {
                    self.delta(
                        OutDelta::InputJson {
                            partial_json: "{\"input\":\"",
                        },
                        out,
                    );
                }
            }
            StreamEvent::ToolCallDelta { index, fragment } => {
                // Anthropic blocks cannot be reopened: a fragment for a call whose block was
                // closed by a later block is dropped (no upstream interleaves calls so).
                let Some((_, Open::Tool { call, custom })) = self.open else {
                    return;
                };
                if call != *index || fragment.is_empty() {
                    return;
                }
                if custom {
                    let quoted = serde_json::Value::String(fragment.clone()).to_string();
                    let escaped = quoted
                        .get(1..quoted.len().saturating_sub(1))
                        .unwrap_or_default();
                    self.delta(
                        OutDelta::InputJson {
                            partial_json: escaped,
                        },
                        out,
                    );
                } else {
                    self.delta(
                        OutDelta::InputJson {
                            partial_json: fragment,
                        },
                        out,
                    );
                }
            }
            StreamEvent::Usage(usage) => {
                self.usage.merge(usage);
                if self.usage.input_tokens > 0 {
                    self.ensure_start(out);
                }
            }
            StreamEvent::Stop(reason) => {
                self.ensure_start(out);
                self.close_block(out);
                self.stop = Some(*reason);
            }
            StreamEvent::Error(error) => {
                self.ensure_start(out);
                self.write(
                    &OutEvent::Error {
                        error: OutErrorDetail {
                            kind: error_type(error.kind),
                            message: &error.message,
                        },
                    },
                    out,
                );
                self.done = true;
            }
        }
    }

    pub fn finish(&mut self, out: &mut Vec<u8>) {
        if self.done {
            return;
        }
        self.ensure_start(out);
        if !self.any_block && self.open.is_none() {
            // Clients expect at least one content block.
            self.open_block(Open::Text, OutStreamBlock::Text { text: "" }, out);
        }
        self.close_block(out);
        let stop = self.stop.unwrap_or(if self.any_tool {
            StopReason::ToolUse
        } else {
            StopReason::EndTurn
        });
        self.write(
            &OutEvent::MessageDelta {
                delta: OutMessageDelta {
                    stop_reason: encode_stop(stop),
                    stop_sequence: None,
                },
                usage: encode_usage(&self.usage),
            },
            out,
        );
        self.write(&OutEvent::MessageStop, out);
        self.done = true;
    }

    fn write(&self, event: &OutEvent<'_>, out: &mut Vec<u8>) {
        let data = crate::to_json(event);
        write_event(out, Some(event.name()), &String::from_utf8_lossy(&data));
    }

    fn ensure_start(&mut self, out: &mut Vec<u8>) {
        if self.started {
            return;
        }
        self.started = true;
        let id = message_id(&self.id, &self.ctx);
        self.write(
            &OutEvent::MessageStart {
                message: OutStartMessage {
                    id: &id,
                    kind: "message",
                    role: "assistant",
                    model: &self.ctx.model,
                    content: [],
                    stop_reason: None,
                    stop_sequence: None,
                    usage: encode_usage(&self.usage),
                },
            },
            out,
        );
    }

    fn ensure_thinking(&mut self, out: &mut Vec<u8>) {
        if !matches!(self.open, Some((_, Open::Thinking { signed: false }))) {
            self.open_block(
                Open::Thinking { signed: false },
                OutStreamBlock::Thinking {
                    thinking: "",
                    signature: "",
                },
                out,
            );
        }
    }

    fn open_block(&mut self, kind: Open, block: OutStreamBlock<'_>, out: &mut Vec<u8>) {
        self.close_block(out);
        self.ensure_start(out);
        let index = self.next_index;
        self.next_index += 1;
        self.write(
            &OutEvent::ContentBlockStart {
                index,
                content_block: block,
            },
            out,
        );
        self.open = Some((index, kind));
        self.any_block = true;
    }

    fn delta(&self, delta: OutDelta<'_>, out: &mut Vec<u8>) {
        if let Some((index, _)) = self.open {
            self.write(&OutEvent::ContentBlockDelta { index, delta }, out);
        }
    }

    fn close_block(&mut self, out: &mut Vec<u8>) {
        let Some((index, kind)) = self.open.take() else {
            return;
        };
        if let Open::Tool { custom: true, .. } = kind {
            self.write(
                &OutEvent::ContentBlockDelta {
                    index,
                    delta: OutDelta::InputJson {
                        partial_json: "\"}",
                    },
                },
                out,
            );
        }
        self.write(&OutEvent::ContentBlockStop { index }, out);
    }
}
