//! IR request → Kiro `generateAssistantResponse` body. Kiro has no system role, no sampling
//! parameters and a strict conversation grammar, so the IR is reshaped:
//! - the system prompt is folded into the first user turn (a user turn of its own when the
//!   conversation starts with the assistant);
//! - consecutive messages of one role merge, so turns alternate user / assistant; the last user
//!   turn is the current message, the rest is history;
//! - tool definitions ride on the current message only; a tool that history used but the request
//!   no longer offers gets a placeholder definition (the service rejects unknown tool uses);
//! - a tool result whose call is not in the assistant turn just before becomes text.
//!
//! The output depends only on the request and the arguments: no clock, no random ids.

use std::collections::HashSet;

use omniroute_formats::FormatError;
use omniroute_formats::ir::{
    Image, Message, Part, Request, Role, Tool, ToolCall, ToolKind, ToolResult, ToolResultContent,
};
use serde_json::{Value, json};

use super::wire::{
    AssistantResponseMessage, ConversationState, CurrentMessage, GenerateAssistantResponseRequest,
    HistoryEntry, Image as KiroImage, ImageSource, InputSchema, TextBlock, ToolEntry,
    ToolResultEntry, ToolSpecification, ToolUse, UserInputMessage, UserInputMessageContext,
};

const ORIGIN: &str = "AI_EDITOR";
const TRIGGER: &str = "MANUAL";
/// Kiro rejects empty message content; these stand in for turns that have none.
const TOOL_RESULTS_ONLY: &str = "Tool results are attached.";
const EMPTY_USER: &str = "...";
/// What the Kiro gateways send for an assistant turn that only called tools.
const EMPTY_ASSISTANT: &str = " ";
/// The service refuses longer tool descriptions.
const MAX_TOOL_DESCRIPTION_CHARS: usize = 10_000;

/// The request body for `model`. `conversation_id` keeps a conversation's turns together
/// upstream (pass the same id for the same conversation); `profile_arn` is sent when known.
pub fn encode_request(
    request: &Request,
    model: &str,
    profile_arn: Option<&str>,
    conversation_id: &str,
) -> Result<Vec<u8>, FormatError> {
    let body = build_request(request, model, profile_arn, conversation_id)?;
    Ok(omniroute_formats::to_json(&body))
}

/// The typed body `encode_request` serializes.
pub fn build_request(
    request: &Request,
    model: &str,
    profile_arn: Option<&str>,
    conversation_id: &str,
) -> Result<GenerateAssistantResponseRequest, FormatError> {
    let mut turns = turns(&request.messages)?;
    let system = request.system.join("\n\n");
    if !system.trim().is_empty() {
        match turns.first_mut() {
            Some(Turn::User(first)) => first.texts.insert(0, system),
            _ => turns.insert(0, Turn::User(UserTurn::text(system))),
        }
    } else if matches!(turns.first(), Some(Turn::Assistant(_))) {
        turns.insert(0, Turn::User(UserTurn::text(EMPTY_USER.to_owned())));
    }
    // The current message must be a user turn; after an assistant turn (a prefill) Kiro gets a
    // neutral one, as it cannot continue a message.
    let current = match turns.pop() {
        Some(Turn::User(user)) => user,
        Some(assistant) => {
            turns.push(assistant);
            UserTurn::text(EMPTY_USER.to_owned())
        }
        None => {
            return Err(FormatError::field(
                "messages",
                "Kiro needs at least one message",
            ));
        }
    };

    let mut history = Vec::with_capacity(turns.len());
    let mut previous_calls: HashSet<String> = HashSet::new();
    let mut used_tools: Vec<String> = Vec::new();
    for turn in turns {
        match turn {
            Turn::User(user) => {
                let (mut message, results) = user.into_wire(model, &previous_calls);
                message.user_input_message_context = context(Vec::new(), results);
                history.push(HistoryEntry::User {
                    user_input_message: message,
                });
                previous_calls.clear();
            }
            Turn::Assistant(assistant) => {
                previous_calls = assistant.calls.iter().map(|c| c.id.clone()).collect();
                for call in &assistant.calls {
                    if !used_tools.contains(&call.name) {
                        used_tools.push(call.name.clone());
                    }
                }
                history.push(HistoryEntry::Assistant {
                    assistant_response_message: assistant.into_wire(),
                });
            }
        }
    }

    let (mut message, results) = current.into_wire(model, &previous_calls);
    let mut tools: Vec<ToolEntry> = request.tools.iter().map(tool_entry).collect();
    for name in used_tools {
        if !request.tools.iter().any(|t| t.name == name) {
            tools.push(placeholder_tool(name));
        }
    }
    message.user_input_message_context = context(tools, results);

    Ok(GenerateAssistantResponseRequest {
        conversation_state: ConversationState {
            chat_trigger_type: TRIGGER.to_owned(),
            conversation_id: conversation_id.to_owned(),
            current_message: CurrentMessage {
                user_input_message: message,
            },
            history,
        },
        profile_arn: profile_arn.filter(|a| !a.is_empty()).map(str::to_owned),
    })
}

enum Turn {
    User(UserTurn),
    Assistant(AssistantTurn),
}

#[derive(Default)]
struct UserTurn {
    texts: Vec<String>,
    images: Vec<KiroImage>,
    results: Vec<ToolResult>,
}

impl UserTurn {
    fn text(text: String) -> Self {
        Self {
            texts: vec![text],
            ..Self::default()
        }
    }

    /// The wire message (without context) and its tool results. Results not answering `calls`
    /// (the assistant turn before) become text, and a repeated result id is dropped: the
    /// service rejects both.
    fn into_wire(
        mut self,
        model: &str,
        calls: &HashSet<String>,
    ) -> (UserInputMessage, Vec<ToolResultEntry>) {
        let mut results = Vec::new();
        let mut seen = HashSet::new();
        for result in self.results {
            if !calls.contains(&result.call_id) {
                self.texts.push(format!(
                    "[result of tool call {}]\n{}",
                    result.call_id,
                    result.text()
                ));
            } else if seen.insert(result.call_id.clone()) {
                results.push(result_entry(&result));
            }
        }
        let mut content = self.texts.join("\n\n");
        if content.trim().is_empty() {
            content = if results.is_empty() {
                EMPTY_USER
            } else {
                TOOL_RESULTS_ONLY
            }
            .to_owned();
        }
        let message = UserInputMessage {
            content,
            model_id: model.to_owned(),
            origin: ORIGIN.to_owned(),
            images: self.images,
            user_input_message_context: None,
        };
        (message, results)
    }
}

/// The context of a message, absent when it would be empty.
fn context(
    tools: Vec<ToolEntry>,
    tool_results: Vec<ToolResultEntry>,
) -> Option<UserInputMessageContext> {
    (!tools.is_empty() || !tool_results.is_empty()).then_some(UserInputMessageContext {
        tools,
        tool_results,
    })
}

#[derive(Default)]
struct AssistantTurn {
    texts: Vec<String>,
    calls: Vec<ToolCall>,
}

impl AssistantTurn {
    fn into_wire(self) -> AssistantResponseMessage {
        let content = self.texts.join("\n\n");
        AssistantResponseMessage {
            content: if content.is_empty() {
                EMPTY_ASSISTANT.to_owned()
            } else {
                content
            },
            tool_uses: self.calls.iter().map(tool_use).collect(),
        }
    }
}

/// Groups the messages into alternating turns. Reasoning is not sent back: Kiro has no place
/// for it and the model does not need its earlier thoughts.
fn turns(messages: &[Message]) -> Result<Vec<Turn>, FormatError> {
    let mut turns: Vec<Turn> = Vec::new();
    for (m, message) in messages.iter().enumerate() {
        let same_role = matches!(
            (turns.last(), message.role),
            (Some(Turn::User(_)), Role::User) | (Some(Turn::Assistant(_)), Role::Assistant)
        );
        if !same_role {
            turns.push(match message.role {
                Role::User => Turn::User(UserTurn::default()),
                Role::Assistant => Turn::Assistant(AssistantTurn::default()),
            });
        }
        let Some(turn) = turns.last_mut() else {
            continue;
        };
        for (p, part) in message.parts.iter().enumerate() {
            let path = || format!("messages[{m}].content[{p}]");
            match (&mut *turn, part) {
                (Turn::User(u), Part::Text(t)) => u.texts.push(t.clone()),
                (Turn::User(u), Part::Image(image)) => u.images.push(image_of(image, &path)?),
                (Turn::User(u), Part::ToolResult(result)) => {
                    // Kiro's results hold text only; their images go on the message instead.
                    for content in &result.content {
                        if let ToolResultContent::Image(image) = content {
                            u.images.push(image_of(image, &path)?);
                        }
                    }
                    u.results.push(result.clone());
                }
                (Turn::Assistant(a), Part::Text(t)) => a.texts.push(t.clone()),
                (Turn::Assistant(a), Part::ToolCall(call)) => a.calls.push(call.clone()),
                _ => {}
            }
        }
    }
    Ok(turns)
}

fn image_of(image: &Image, path: &dyn Fn() -> String) -> Result<KiroImage, FormatError> {
    let Image::Base64 { media_type, data } = image else {
        return Err(FormatError::field(
            path(),
            "Kiro accepts only inline (base64) images, not image URLs",
        ));
    };
    let format = match media_type.to_ascii_lowercase().as_str() {
        "image/jpeg" | "image/jpg" => "jpeg",
        "image/png" => "png",
        "image/gif" => "gif",
        "image/webp" => "webp",
        other => {
            return Err(FormatError::field(
                path(),
                format!("Kiro accepts jpeg, png, gif and webp images, not {other}"),
            ));
        }
    };
    Ok(KiroImage {
        format: format.to_owned(),
        source: ImageSource {
            bytes: data.clone(),
        },
    })
}

fn result_entry(result: &ToolResult) -> ToolResultEntry {
    let text = result.text();
    ToolResultEntry {
        tool_use_id: result.call_id.clone(),
        // An empty text block is refused as a malformed request.
        content: vec![TextBlock {
            text: if text.is_empty() {
                "(no output)".to_owned()
            } else {
                text
            },
        }],
        status: if result.is_error { "error" } else { "success" }.to_owned(),
    }
}

/// A call as Kiro's history holds it: the arguments as an object. Custom (freeform) tools carry
/// their text as `{"input": …}`, like the schema `tool_entry` gives them; arguments that are not a
/// JSON object are kept the same way rather than lost.
fn tool_use(call: &ToolCall) -> ToolUse {
    let input = match call.kind {
        ToolKind::Custom => json!({ "input": call.arguments }),
        ToolKind::Function if call.arguments.trim().is_empty() => json!({}),
        ToolKind::Function => match serde_json::from_str::<Value>(&call.arguments) {
            Ok(value @ Value::Object(_)) => value,
            _ => json!({ "input": call.arguments }),
        },
    };
    ToolUse {
        tool_use_id: call.id.clone(),
        name: call.name.clone(),
        input,
    }
}

fn tool_entry(tool: &Tool) -> ToolEntry {
    let description = tool
        .description
        .as_deref()
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .map_or_else(|| format!("Tool: {}", tool.name), str::to_owned);
    let description = match description.char_indices().nth(MAX_TOOL_DESCRIPTION_CHARS) {
        Some((cut, _)) => description[..cut].to_owned(),
        None => description,
    };
    let schema = match tool.kind {
        ToolKind::Custom => json!({
            "type": "object",
            "properties": {"input": {"type": "string"}},
            "required": ["input"]
        }),
        ToolKind::Function => object_schema(&tool.parameters),
    };
    ToolEntry {
        tool_specification: ToolSpecification {
            name: tool.name.clone(),
            description,
            input_schema: InputSchema { json: schema },
        },
    }
}

/// The schema with the `type` and `properties` the service insists on filled in.
fn object_schema(parameters: &Value) -> Value {
    let mut schema = match parameters {
        Value::Object(map) => map.clone(),
        _ => serde_json::Map::new(),
    };
    schema
        .entry("type")
        .or_insert_with(|| Value::String("object".into()));
    schema
        .entry("properties")
        .or_insert_with(|| Value::Object(serde_json::Map::new()));
    Value::Object(schema)
}

fn placeholder_tool(name: String) -> ToolEntry {
    ToolEntry {
        tool_specification: ToolSpecification {
            description: format!("Tool: {name} (used earlier in this conversation)"),
            name,
            input_schema: InputSchema {
                json: json!({"type": "object", "properties": {}}),
            },
        },
    }
}

#[cfg(test)]
#[path = "request_tests.rs"]
mod tests;
