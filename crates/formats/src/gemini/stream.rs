//! Gemini streams. Every element is a whole `GenerateContentResponse` holding only the new
//! parts: SSE `data:` events with `?alt=sse`, else the elements of one JSON array written
//! piece by piece (`ArrayStreamParser` turns that form into the same events). There is no
//! end marker: the chunk with a `finishReason` is the last.

use super::parts::{call_part, json_text, signature_part};
use super::response::{answer_chunk, error_envelope, error_info, response_id};
use super::{stop_from_wire, synthesized_call_id, usage_from_wire, wire};
use crate::ir::{ErrorInfo, ErrorKind, StopReason, StreamEvent, ToolCall, ToolKind, Usage};
use crate::sse::SseEvent;
use crate::{ClientContext, parse_json, to_json};

/// Upstream chunks → IR stream events.
#[derive(Debug, Default)]
pub struct Decoder {
    started: bool,
    id: String,
    calls: usize,
    stopped: bool,
    complete: bool,
    failed: bool,
}

impl Decoder {
    pub fn decode(&mut self, event: &SseEvent, out: &mut Vec<StreamEvent>) {
        let data = event.data.trim();
        if self.failed || data.is_empty() || data == "[DONE]" {
            return;
        }
        let chunk: wire::GenerateContentResponse = match parse_json(data.as_bytes()) {
            Ok(chunk) => chunk,
            Err(e) => {
                self.failed = true;
                out.push(StreamEvent::Error(ErrorInfo::new(
                    ErrorKind::Server,
                    format!("upstream sent an unreadable Gemini stream chunk: {e}"),
                )));
                return;
            }
        };
        if let Some(error) = &chunk.error {
            self.failed = true;
            out.push(StreamEvent::Error(error_info(0, error)));
            return;
        }
        if !self.started {
            self.started = true;
            self.id = chunk.response_id.clone().unwrap_or_default();
            out.push(StreamEvent::Start {
                id: self.id.clone(),
                model: chunk.model_version.clone().unwrap_or_default(),
            });
        }
        let blocked = chunk
            .prompt_feedback
            .as_ref()
            .is_some_and(|f| f.block_reason.is_some());
        let mut finish = None;
        if let Some(candidate) = chunk.candidates.into_iter().next() {
            for part in candidate.content.map(|c| c.parts).unwrap_or_default() {
                self.part(part, out);
            }
            finish = candidate.finish_reason;
        } else if blocked {
            finish = Some("SAFETY".to_owned());
        }
        if let Some(usage) = &chunk.usage_metadata {
            out.push(StreamEvent::Usage(usage_from_wire(usage)));
        }
        if let Some(reason) = finish {
            if !self.stopped {
                self.stopped = true;
                out.push(StreamEvent::Stop(stop_from_wire(
                    Some(&reason),
                    self.calls > 0,
                )));
            }
            self.complete = true;
        }
    }

    fn part(&mut self, part: wire::Part, out: &mut Vec<StreamEvent>) {
        let signature = part.thought_signature.filter(|s| !s.is_empty());
        if let Some(call) = part.function_call {
            // Calls arrive whole: one start and one delta with all the arguments.
            let arguments = call
                .args
                .as_ref()
                .map_or_else(|| "{}".to_owned(), json_text);
            let index = self.calls;
            self.calls += 1;
            let id = match call.id.filter(|id| !id.is_empty()) {
                Some(id) => id,
                None => synthesized_call_id(&self.id, index, &call.name, &arguments),
            };
            out.push(StreamEvent::ToolCallStart {
                index,
                id,
                name: call.name,
                kind: ToolKind::Function,
                signature,
            });
            out.push(StreamEvent::ToolCallDelta {
                index,
                fragment: arguments,
            });
            return;
        }
        let text = part.text.unwrap_or_default();
        if part.thought == Some(true) {
            if !text.is_empty() {
                out.push(StreamEvent::ThinkingDelta(text));
            }
            if let Some(signature) = signature {
                out.push(StreamEvent::ThinkingSignature(signature));
            }
            return;
        }
        // The signature of the reasoning behind this text comes first, closing that reasoning.
        if let Some(signature) = signature {
            out.push(StreamEvent::ThinkingSignature(signature));
        }
        if !text.is_empty() {
            out.push(StreamEvent::TextDelta(text));
        }
    }

    /// A chunk with a `finishReason` (or a blocked prompt) arrived.
    pub fn is_complete(&self) -> bool {
        self.complete
    }
}

/// IR stream events → a Gemini client's stream (SSE or JSON array, per `ctx.gemini_sse`).
#[derive(Debug)]
pub struct Encoder {
    ctx: ClientContext,
    id: Option<String>,
    /// An element was written (in array mode: the `[` too).
    written: bool,
    /// Calls are sent whole, so they wait here until their arguments are complete.
    calls: Vec<(usize, ToolCall)>,
    sent_call: bool,
    /// A thinking signature waiting for the part it rides on.
    signature: Option<String>,
    stop: Option<StopReason>,
    usage: Usage,
    done: bool,
}

impl Encoder {
    pub fn new(ctx: ClientContext) -> Self {
        Self {
            ctx,
            id: None,
            written: false,
            calls: Vec::new(),
            sent_call: false,
            signature: None,
            stop: None,
            usage: Usage::default(),
            done: false,
        }
    }

    pub fn encode(&mut self, event: &StreamEvent, out: &mut Vec<u8>) {
        if self.done {
            return;
        }
        match event {
            StreamEvent::Start { id, .. } => {
                if self.id.is_none() {
                    self.id = Some(response_id(id, self.ctx.created));
                }
            }
            StreamEvent::TextDelta(text) => {
                self.flush_calls(out);
                if text.is_empty() {
                    return;
                }
                let part = wire::Part {
                    text: Some(text.clone()),
                    thought_signature: self.signature.take(),
                    ..wire::Part::default()
                };
                self.write_parts(vec![part], out);
            }
            StreamEvent::ThinkingDelta(text) => {
                self.flush_calls(out);
                if text.is_empty() {
                    return;
                }
                let mut parts: Vec<wire::Part> = self
                    .signature
                    .take()
                    .map(signature_part)
                    .into_iter()
                    .collect();
                parts.push(wire::Part {
                    text: Some(text.clone()),
                    thought: Some(true),
                    ..wire::Part::default()
                });
                self.write_parts(parts, out);
            }
            StreamEvent::ThinkingSignature(signature) => {
                self.flush_calls(out);
                if let Some(previous) = self.signature.replace(signature.clone()) {
                    self.write_parts(vec![signature_part(previous)], out);
                }
            }
            StreamEvent::RedactedThinking(_) => {}
            StreamEvent::ToolCallStart {
                index,
                id,
                name,
                kind,
                signature,
            } => {
                let signature = signature.clone().or_else(|| self.signature.take());
                self.calls.push((
                    *index,
                    ToolCall {
                        id: id.clone(),
                        name: name.clone(),
                        arguments: String::new(),
                        kind: *kind,
                        signature,
                    },
                ));
            }
            StreamEvent::ToolCallDelta { index, fragment } => {
                if let Some((_, call)) = self.calls.iter_mut().find(|(i, _)| i == index) {
                    call.arguments.push_str(fragment);
                }
            }
            StreamEvent::Usage(usage) => self.usage.merge(usage),
            StreamEvent::Stop(reason) => self.stop = Some(*reason),
            StreamEvent::Error(error) => {
                self.done = true;
                self.calls.clear();
                self.write_element(&to_json(&error_envelope(error)), out);
                self.close(out);
            }
        }
    }

    /// The last chunk: any buffered calls, the finish reason and the usage.
    pub fn finish(&mut self, out: &mut Vec<u8>) {
        if self.done {
            return;
        }
        self.done = true;
        let mut parts = self.call_parts();
        parts.extend(self.signature.take().map(signature_part));
        if parts.is_empty() {
            parts.push(wire::Part {
                text: Some(String::new()),
                ..wire::Part::default()
            });
        }
        let stop = self.stop.unwrap_or(if self.sent_call {
            StopReason::ToolUse
        } else {
            StopReason::EndTurn
        });
        let id = self.id();
        let chunk = answer_chunk(parts, Some(stop), Some(&self.usage), &self.ctx, &id);
        self.write_element(&to_json(&chunk), out);
        self.close(out);
    }

    fn id(&mut self) -> String {
        let created = self.ctx.created;
        self.id
            .get_or_insert_with(|| response_id("", created))
            .clone()
    }

    fn call_parts(&mut self) -> Vec<wire::Part> {
        if !self.calls.is_empty() {
            self.sent_call = true;
        }
        self.calls
            .drain(..)
            .map(|(_, call)| call_part(&call))
            .collect()
    }

    fn flush_calls(&mut self, out: &mut Vec<u8>) {
        let parts = self.call_parts();
        if !parts.is_empty() {
            self.write_parts(parts, out);
        }
    }

    fn write_parts(&mut self, parts: Vec<wire::Part>, out: &mut Vec<u8>) {
        let id = self.id();
        let chunk = answer_chunk(parts, None, None, &self.ctx, &id);
        self.write_element(&to_json(&chunk), out);
    }

    fn write_element(&mut self, json: &[u8], out: &mut Vec<u8>) {
        if self.ctx.gemini_sse {
            out.extend_from_slice(b"data: ");
            out.extend_from_slice(json);
            out.extend_from_slice(b"\r\n\r\n");
        } else {
            out.extend_from_slice(if self.written { b",\r\n" } else { b"[" });
            out.extend_from_slice(json);
        }
        self.written = true;
    }

    /// Ends the array form (`[]` when nothing was written); SSE needs no end marker.
    fn close(&mut self, out: &mut Vec<u8>) {
        if self.ctx.gemini_sse {
            return;
        }
        if !self.written {
            out.push(b'[');
            self.written = true;
        }
        out.push(b']');
    }
}

/// Elements longer than this are cut (and then fail to parse) so a broken upstream cannot grow
/// memory without bound.
const MAX_ELEMENT: usize = 64 * 1024 * 1024;

/// Reads the JSON-array form of `streamGenerateContent` (`[{…},\r\n{…}]`, split anywhere by
/// the network) and yields each element as an `SseEvent` with that element's JSON as data, so
/// the same `Decoder` reads both forms.
#[derive(Debug, Default)]
pub struct ArrayStreamParser {
    element: Vec<u8>,
    /// Nesting depth inside the current element; 0 between elements.
    depth: usize,
    in_string: bool,
    escaped: bool,
}

impl ArrayStreamParser {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn push(&mut self, bytes: &[u8], out: &mut Vec<SseEvent>) {
        for &byte in bytes {
            if self.depth == 0 {
                // Between elements only `[`, `,`, `]` and whitespace are expected; anything
                // else is skipped until the next object starts.
                if byte == b'{' {
                    self.element.clear();
                    self.element.push(byte);
                    self.depth = 1;
                }
                continue;
            }
            if self.element.len() < MAX_ELEMENT {
                self.element.push(byte);
            }
            if self.in_string {
                if self.escaped {
                    self.escaped = false;
                } else if byte == b'\\' {
                    self.escaped = true;
                } else if byte == b'"' {
                    self.in_string = false;
                }
                continue;
            }
            match byte {
                b'"' => self.in_string = true,
                b'{' | b'[' => self.depth += 1,
                b'}' | b']' => {
                    self.depth -= 1;
                    if self.depth == 0 {
                        self.emit(out);
                    }
                }
                _ => {}
            }
        }
    }

    /// Ends the input: an unfinished element is still delivered, so the decoder reports it.
    pub fn finish(&mut self, out: &mut Vec<SseEvent>) {
        if self.depth > 0 {
            self.emit(out);
        }
    }

    fn emit(&mut self, out: &mut Vec<SseEvent>) {
        let element = std::mem::take(&mut self.element);
        self.depth = 0;
        self.in_string = false;
        self.escaped = false;
        out.push(SseEvent {
            event: None,
            data: String::from_utf8_lossy(&element).into_owned(),
        });
    }
}
