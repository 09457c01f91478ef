//! Part conversions shared by requests, responses and streams: one Gemini part ⇄ IR parts,
//! including where thought signatures ride (Gemini puts a reasoning signature on the part
//! that follows the reasoning, and a call's signature on its `functionCall` part).

use std::collections::HashMap;

use serde_json::{Map, Value, json};

use super::wire;
use crate::ir::{Image, Part, ToolCall, ToolKind, ToolResult, ToolResultContent};
use crate::to_json;

/// `{"output": "…"}` / `{"result": "…"}` carry a plain string result and `{"error": "…"}` a
/// failed one; any other object is the result itself, as JSON text.
pub(super) fn result_text(response: Option<Value>) -> (String, bool) {
    match response {
        None | Some(Value::Null) => (String::new(), false),
        Some(Value::Object(map)) if map.len() == 1 => match map.iter().next() {
            Some((key, Value::String(s))) if key == "output" || key == "result" => {
                (s.clone(), false)
            }
            Some((key, Value::String(s))) if key == "error" => (s.clone(), true),
            _ => (json_text(&Value::Object(map)), false),
        },
        Some(other) => (json_text(&other), false),
    }
}

pub(super) fn json_text(value: &Value) -> String {
    String::from_utf8_lossy(&to_json(value)).into_owned()
}

/// Converts one wire part, appending IR parts to `out`. A function response is handed back
/// because pairing it needs the whole conversation. `call_id(name, arguments)` names a call
/// that has no id.
pub(super) fn decode_part(
    part: wire::Part,
    out: &mut Vec<Part>,
    call_id: impl FnOnce(&str, &str) -> String,
) -> Option<wire::FunctionResponse> {
    let signature = part.thought_signature.filter(|s| !s.is_empty());
    if let Some(call) = part.function_call {
        let arguments = call
            .args
            .as_ref()
            .map_or_else(|| "{}".to_owned(), json_text);
        let id = match call.id.filter(|id| !id.is_empty()) {
            Some(id) => id,
            None => call_id(&call.name, &arguments),
        };
        out.push(Part::ToolCall(ToolCall {
            id,
            name: call.name,
            arguments,
            kind: ToolKind::Function,
            signature,
        }));
        return None;
    }
    if part.thought == Some(true) {
        let text = part.text.unwrap_or_default();
        match out.last_mut() {
            Some(Part::Thinking {
                text: previous,
                signature: previous_signature @ None,
            }) => {
                previous.push_str(&text);
                *previous_signature = signature;
            }
            _ => out.push(Part::Thinking { text, signature }),
        }
        return None;
    }
    // A signature on a non-thought part belongs to the reasoning that produced it.
    if let Some(signature) = signature {
        attach_signature(out, signature);
    }
    if let Some(text) = part.text.filter(|t| !t.is_empty()) {
        out.push(Part::Text(text));
    }
    if let Some(blob) = part.inline_data {
        out.push(Part::Image(Image::Base64 {
            media_type: blob.mime_type,
            data: blob.data,
        }));
    }
    if let Some(file) = part.file_data {
        out.push(Part::Image(Image::Url(file.file_uri)));
    }
    part.function_response
}

/// Gives the latest unsigned thinking its signature, or records the signature on its own.
fn attach_signature(out: &mut Vec<Part>, signature: String) {
    match out.last_mut() {
        Some(Part::Thinking {
            signature: slot @ None,
            ..
        }) => *slot = Some(signature),
        _ => out.push(Part::Thinking {
            text: String::new(),
            signature: Some(signature),
        }),
    }
}

/// IR parts → wire parts. Requests drop thinking text (Gemini takes no prior thoughts back),
/// responses show it as `thought` parts; either way a thinking signature rides on the next
/// part, as Gemini itself places it, or on an empty text part when nothing follows.
/// `names` maps call ids to tool names, for function responses that must name their tool.
pub(super) fn encode_parts(
    parts: &[Part],
    keep_thoughts: bool,
    names: &mut HashMap<String, String>,
) -> Vec<wire::Part> {
    let mut out = Vec::new();
    let mut pending: Option<String> = None;
    for part in parts {
        match part {
            Part::Text(text) => {
                if text.is_empty() && pending.is_none() {
                    continue;
                }
                out.push(wire::Part {
                    text: Some(text.clone()),
                    thought_signature: pending.take(),
                    ..wire::Part::default()
                });
            }
            Part::Thinking { text, signature } => {
                if let Some(previous) = pending.take() {
                    out.push(signature_part(previous));
                }
                if keep_thoughts && !text.is_empty() {
                    out.push(wire::Part {
                        text: Some(text.clone()),
                        thought: Some(true),
                        ..wire::Part::default()
                    });
                }
                pending = signature.clone();
            }
            Part::RedactedThinking { .. } => {}
            Part::Image(image) => {
                let mut part = image_part(image);
                part.thought_signature = pending.take();
                out.push(part);
            }
            Part::ToolCall(call) => {
                names.insert(call.id.clone(), call.name.clone());
                let mut part = call_part(call);
                if part.thought_signature.is_none() {
                    part.thought_signature = pending.take();
                }
                out.push(part);
            }
            Part::ToolResult(result) => {
                let name = result
                    .name
                    .clone()
                    .filter(|n| !n.is_empty())
                    .or_else(|| names.get(&result.call_id).cloned())
                    .unwrap_or_else(|| "unknown".to_owned());
                out.push(wire::Part {
                    function_response: Some(wire::FunctionResponse {
                        id: Some(result.call_id.clone()),
                        name,
                        response: Some(result_response(result)),
                    }),
                    ..wire::Part::default()
                });
                // Images a tool returned follow its response in the same turn.
                out.extend(result.content.iter().filter_map(|c| match c {
                    ToolResultContent::Image(image) => Some(image_part(image)),
                    ToolResultContent::Text(_) => None,
                }));
            }
        }
    }
    if let Some(signature) = pending {
        out.push(signature_part(signature));
    }
    out
}

pub(super) fn signature_part(signature: String) -> wire::Part {
    wire::Part {
        text: Some(String::new()),
        thought_signature: Some(signature),
        ..wire::Part::default()
    }
}

/// A `functionCall` part, carrying the call's own signature.
pub(super) fn call_part(call: &ToolCall) -> wire::Part {
    wire::Part {
        function_call: Some(wire::FunctionCall {
            id: Some(call.id.clone()),
            name: call.name.clone(),
            args: Some(call_args(call)),
        }),
        thought_signature: call.signature.clone(),
        ..wire::Part::default()
    }
}

/// The arguments object; custom (freeform) tools carry their text as `{"input": …}`.
fn call_args(call: &ToolCall) -> Value {
    if call.kind == ToolKind::Custom {
        return json!({ "input": call.arguments });
    }
    match serde_json::from_str::<Value>(&call.arguments) {
        Ok(Value::Object(map)) => Value::Object(map),
        _ => Value::Object(Map::new()),
    }
}

fn result_response(result: &ToolResult) -> Value {
    let text = result.text();
    if result.is_error {
        return json!({ "error": text });
    }
    match serde_json::from_str::<Value>(&text) {
        Ok(Value::Object(map)) => Value::Object(map),
        _ => json!({ "output": text }),
    }
}

pub(super) fn image_part(image: &Image) -> wire::Part {
    match image {
        Image::Base64 { media_type, data } => wire::Part {
            inline_data: Some(wire::Blob {
                mime_type: media_type.clone(),
                data: data.clone(),
            }),
            ..wire::Part::default()
        },
        Image::Url(url) => wire::Part {
            file_data: Some(wire::FileData {
                mime_type: Some(guess_mime(url).to_owned()),
                file_uri: url.clone(),
            }),
            ..wire::Part::default()
        },
    }
}

fn guess_mime(url: &str) -> &'static str {
    let path = url.split(['?', '#']).next().unwrap_or_default();
    let extension = path
        .rsplit_once('.')
        .map(|(_, ext)| ext.to_ascii_lowercase())
        .unwrap_or_default();
    match extension.as_str() {
        "png" => "image/png",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "heic" => "image/heic",
        "heif" => "image/heif",
        "pdf" => "application/pdf",
        _ => "image/jpeg",
    }
}
