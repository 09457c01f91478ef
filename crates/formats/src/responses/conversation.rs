//! The input items of a Responses request folded into IR messages, recording under their path
//! in the client's body the items and parts the IR has no place for.

use std::collections::HashMap;

use super::wire::{CallOutputItem, Content, ContentPart, Item, MessageItem, ToolOutput};
use crate::ir::{
    Image, Message, Part, Role, ToolCall, ToolKind, ToolResult, ToolResultContent, Untranslatable,
};
use crate::tagged::Tagged;

/// Folds items into IR messages: consecutive items of one role share a message, so a
/// `function_call` after an assistant message joins that assistant turn.
#[derive(Default)]
pub(super) struct Conversation {
    pub(super) system: Vec<String>,
    pub(super) messages: Vec<Message>,
    /// call_id → tool name, so results can name their tool (Gemini needs it).
    pub(super) call_names: HashMap<String, String>,
    /// What the IR cannot hold, with its path in the client's body.
    pub(super) lost: Vec<Untranslatable>,
}

impl Conversation {
    pub(super) fn push(&mut self, role: Role, part: Part) {
        match self.messages.last_mut() {
            Some(last) if last.role == role => last.parts.push(part),
            _ => self.messages.push(Message {
                role,
                parts: vec![part],
            }),
        }
    }

    /// One input item, `kind` its `type` and `path` its place in the body.
    pub(super) fn item(&mut self, item: Item, kind: &str, path: &str) {
        match item {
            Item::Message(message) => self.message(message, path),
            Item::FunctionCall(call) => {
                let name = call.full_name();
                let arguments = if call.arguments.trim().is_empty() {
                    "{}".to_owned()
                } else {
                    call.arguments
                };
                self.call(call.call_id, name, arguments, ToolKind::Function);
            }
            Item::CustomToolCall(call) => {
                let name = call.full_name();
                self.call(call.call_id, name, call.input, ToolKind::Custom)
            }
            Item::FunctionCallOutput(output) | Item::CustomToolCallOutput(output) => {
                self.result(output, path)
            }
            Item::Reasoning(reasoning) => {
                let mut texts: Vec<String> = reasoning
                    .summary
                    .into_iter()
                    .map(|s| s.text)
                    .filter(|t| !t.is_empty())
                    .collect();
                if texts.is_empty() {
                    texts = reasoning
                        .content
                        .unwrap_or_default()
                        .into_iter()
                        .map(|c| c.text)
                        .filter(|t| !t.is_empty())
                        .collect();
                }
                let text = texts.join("\n\n");
                let signature = reasoning.encrypted_content.filter(|s| !s.is_empty());
                if !text.is_empty() || signature.is_some() {
                    self.push(Role::Assistant, Part::Thinking { text, signature });
                }
            }
            // Hosted tool calls, item references, compaction…: state or tools only OpenAI has.
            Item::Other => self
                .lost
                .push(Untranslatable::new(path, format!("item type '{kind}'"))),
        }
    }

    fn message(&mut self, message: MessageItem, path: &str) {
        let role = match message.role.as_str() {
            "assistant" => Role::Assistant,
            "system" | "developer" => {
                let text = match message.content {
                    Content::Text(text) => text,
                    Content::Parts(parts) => parts
                        .into_iter()
                        .enumerate()
                        .filter_map(|(j, p)| match p.value {
                            ContentPart::InputText { text }
                            | ContentPart::OutputText { text, .. } => Some(text),
                            _ => {
                                self.lost.push(Untranslatable::new(
                                    format!("{path}.content[{j}]"),
                                    format!("part type '{}' in a system message", p.kind),
                                ));
                                None
                            }
                        })
                        .collect::<Vec<_>>()
                        .join("\n"),
                };
                if !text.is_empty() {
                    self.system.push(text);
                }
                return;
            }
            _ => Role::User,
        };
        let parts: Vec<Part> = match message.content {
            Content::Text(text) => vec![Part::Text(text)],
            Content::Parts(parts) => parts
                .into_iter()
                .enumerate()
                .filter_map(|(j, p)| {
                    decode_part(p, &format!("{path}.content[{j}]"), &mut self.lost)
                })
                .collect(),
        };
        for part in parts {
            if matches!(&part, Part::Text(t) if t.is_empty()) {
                continue;
            }
            self.push(role, part);
        }
    }

    fn call(&mut self, id: String, name: String, arguments: String, kind: ToolKind) {
        self.call_names.insert(id.clone(), name.clone());
        self.push(
            Role::Assistant,
            Part::ToolCall(ToolCall {
                id,
                name,
                arguments,
                kind,
                signature: None,
            }),
        );
    }

    fn result(&mut self, output: CallOutputItem, path: &str) {
        let content = match output.output {
            ToolOutput::Text(text) => vec![ToolResultContent::Text(text)],
            ToolOutput::Parts(parts) => parts
                .into_iter()
                .enumerate()
                .filter_map(|(j, p)| {
                    match decode_part(p, &format!("{path}.output[{j}]"), &mut self.lost)? {
                        Part::Text(t) => Some(ToolResultContent::Text(t)),
                        Part::Image(i) => Some(ToolResultContent::Image(i)),
                        _ => None,
                    }
                })
                .collect(),
        };
        let name = self.call_names.get(&output.call_id).cloned();
        self.push(
            Role::User,
            Part::ToolResult(ToolResult {
                call_id: output.call_id,
                name,
                content,
                is_error: false,
            }),
        );
    }
}

/// One content part as an IR part; what the IR cannot hold is recorded under `path`.
fn decode_part(
    part: Tagged<ContentPart>,
    path: &str,
    lost: &mut Vec<Untranslatable>,
) -> Option<Part> {
    match part.value {
        ContentPart::InputText { text } | ContentPart::OutputText { text, .. } => {
            Some(Part::Text(text))
        }
        ContentPart::Refusal { refusal } => Some(Part::Text(refusal)),
        ContentPart::InputImage { image_url, .. } => match image_url.filter(|u| !u.is_empty()) {
            Some(url) => Some(Part::Image(Image::from_url(&url))),
            // Images by `file_id` live in OpenAI's file store, which no other upstream reads.
            None => {
                lost.push(Untranslatable::new(path, "an image by file_id"));
                None
            }
        },
        // Files, audio: no other format takes them.
        ContentPart::Other => {
            lost.push(Untranslatable::new(
                path,
                format!("part type '{}'", part.kind),
            ));
            None
        }
    }
}
