//! Anthropic content blocks of a request as IR parts: message blocks, tool result blocks and
//! image sources, recording under their path in the client's body what the IR has no place
//! for. `response.rs` reads an answer's blocks with the same `decode_block`.

use std::collections::HashMap;

use serde_json::Value;

use super::wire::{InBlock, InImageSource, InMessage, InResultBlock, TextOrBlocks, WireRole};
use crate::ir::{
    Image, Message, Part, Role, ToolCall, ToolKind, ToolResult, ToolResultContent, Untranslatable,
};
use crate::tagged::Tagged;

/// The text of a mid-conversation system message; other blocks have no place in a system
/// instruction.
pub(super) fn system_texts(
    content: TextOrBlocks<Tagged<InBlock>>,
    path: &str,
    lost: &mut Vec<Untranslatable>,
) -> Vec<String> {
    match content {
        TextOrBlocks::Text(text) => vec![text],
        TextOrBlocks::Blocks(blocks) => blocks
            .into_iter()
            .enumerate()
            .filter_map(|(j, b)| match b.value {
                InBlock::Text { text, .. } => Some(text),
                _ => {
                    lost.push(Untranslatable::new(
                        format!("{path}.content[{j}]"),
                        format!("part type '{}' in a system message", b.kind),
                    ));
                    None
                }
            })
            .collect(),
    }
}

pub(super) fn decode_message(
    message: InMessage,
    path: &str,
    call_names: &mut HashMap<String, String>,
    lost: &mut Vec<Untranslatable>,
) -> Message {
    let role = match message.role {
        WireRole::User | WireRole::System => Role::User,
        WireRole::Assistant => Role::Assistant,
    };
    let parts = match message.content {
        TextOrBlocks::Text(text) => vec![Part::Text(text)],
        TextOrBlocks::Blocks(blocks) => blocks
            .into_iter()
            .enumerate()
            .filter_map(|(j, b)| {
                let path = format!("{path}.content[{j}]");
                decode_block(b.value, &b.kind, &path, call_names, lost)
            })
            .collect(),
    };
    Message { role, parts }
}

/// One content block as an IR part; `None` for blocks the IR has no place for, which are
/// recorded in `lost` under `path` (`kind` is the block's `type`).
pub(super) fn decode_block(
    block: InBlock,
    kind: &str,
    path: &str,
    call_names: &mut HashMap<String, String>,
    lost: &mut Vec<Untranslatable>,
) -> Option<Part> {
    Some(match block {
        InBlock::Text { text } => Part::Text(text),
        InBlock::Image { source } => Part::Image(decode_image(source, path, lost)?),
        InBlock::ToolUse { id, name, input } => {
            call_names.insert(id.clone(), name.clone());
            Part::ToolCall(ToolCall {
                id,
                name,
                arguments: arguments_text(input),
                kind: ToolKind::Function,
                signature: None,
            })
        }
        InBlock::ToolResult {
            tool_use_id,
            content,
            is_error,
        } => {
            let content = match content {
                None => Vec::new(),
                Some(TextOrBlocks::Text(text)) => vec![ToolResultContent::Text(text)],
                Some(TextOrBlocks::Blocks(blocks)) => blocks
                    .into_iter()
                    .enumerate()
                    .filter_map(|(k, b)| {
                        let path = format!("{path}.content[{k}]");
                        match b.value {
                            InResultBlock::Text { text } => Some(ToolResultContent::Text(text)),
                            InResultBlock::Image { source } => {
                                decode_image(source, &path, lost).map(ToolResultContent::Image)
                            }
                            InResultBlock::Unknown => {
                                let what = format!("tool result part type '{}'", b.kind);
                                lost.push(Untranslatable::new(path, what));
                                None
                            }
                        }
                    })
                    .collect(),
            };
            Part::ToolResult(ToolResult {
                // Anthropic results carry no name; formats that need one (Gemini) get it from
                // the call this result answers.
                name: call_names.get(&tool_use_id).cloned(),
                call_id: tool_use_id,
                content,
                is_error: is_error.unwrap_or(false),
            })
        }
        InBlock::Thinking {
            thinking,
            signature,
        } => Part::Thinking {
            text: thinking,
            signature: signature.filter(|s| !s.is_empty()),
        },
        InBlock::RedactedThinking { data } => Part::RedactedThinking { data },
        InBlock::Unknown => {
            lost.push(Untranslatable::new(path, format!("part type '{kind}'")));
            return None;
        }
    })
}

/// A tool_use `input` object as the IR's argument text.
pub(super) fn arguments_text(input: Option<Value>) -> String {
    match input {
        None | Some(Value::Null) => "{}".to_owned(),
        Some(value) => value.to_string(),
    }
}

fn decode_image(
    source: Tagged<InImageSource>,
    path: &str,
    lost: &mut Vec<Untranslatable>,
) -> Option<Image> {
    match source.value {
        InImageSource::Base64 { media_type, data } => Some(Image::Base64 { media_type, data }),
        InImageSource::Url { url } => Some(Image::from_url(&url)),
        // A Files API reference: only Anthropic can read it.
        InImageSource::Unknown => {
            let what = format!("image source type '{}'", source.kind);
            lost.push(Untranslatable::new(format!("{path}.source"), what));
            None
        }
    }
}
