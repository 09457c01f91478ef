//! Chat Completions requests ⇄ IR.

use serde_json::json;

use super::wire::{self, ChatMessage, ChatRequest, ChatTool, Content, ContentPart};
use crate::ir::{
    Effort, Image, Message, Part, Reasoning, Request, ResponseFormat, Role, Tool, ToolCall,
    ToolChoice, ToolKind, ToolResult, ToolResultContent, Untranslatable,
};
use crate::tagged::Tagged;
use crate::{FormatError, RequestHint, parse_json, to_json};

pub fn decode_request(body: &[u8], _hint: &RequestHint<'_>) -> Result<Request, FormatError> {
    let wire: ChatRequest = parse_json(body)?;
    let untranslatable = unsupported_parameters(&wire);
    let model = wire
        .model
        .filter(|m| !m.is_empty())
        .ok_or_else(|| FormatError::field("model", "is required"))?;
    let messages = wire
        .messages
        .ok_or_else(|| FormatError::field("messages", "is required"))?;
    if messages.is_empty() {
        return Err(FormatError::field(
            "messages",
            "must contain at least one message",
        ));
    }
    let mut request = Request {
        model,
        untranslatable,
        stream: wire.stream.unwrap_or(false),
        include_usage: wire.stream_options.is_some_and(|o| o.include_usage),
        max_output_tokens: wire.max_completion_tokens.or(wire.max_tokens),
        temperature: wire.temperature,
        top_p: wire.top_p,
        stop: match wire.stop {
            Some(wire::Stop::One(s)) => vec![s],
            Some(wire::Stop::Many(v)) => v,
            None => Vec::new(),
        },
        parallel_tool_calls: wire.parallel_tool_calls,
        seed: wire.seed,
        presence_penalty: wire.presence_penalty,
        frequency_penalty: wire.frequency_penalty,
        user: wire.user,
        ..Request::default()
    };
    for (i, message) in messages.into_iter().enumerate() {
        decode_message(message, i, &mut request)?;
    }
    for (i, tool) in wire.tools.unwrap_or_default().into_iter().enumerate() {
        match decode_tool(tool.value) {
            Some(tool) => request.tools.push(tool),
            None => request.untranslatable.push(Untranslatable::offer(
                format!("tools[{i}]"),
                format!("tool type '{}'", tool.kind),
            )),
        }
    }
    request.tool_choice = wire.tool_choice.map(decode_tool_choice).transpose()?;
    request.reasoning = wire
        .reasoning_effort
        .as_deref()
        .map(decode_effort)
        .transpose()?
        .map(|effort| Reasoning {
            effort: Some(effort),
            budget_tokens: None,
            include_thoughts: true,
        });
    request.response_format = wire.response_format.map(|f| match f {
        wire::ResponseFormat::Text => ResponseFormat::Text,
        wire::ResponseFormat::JsonObject => ResponseFormat::JsonObject,
        wire::ResponseFormat::JsonSchema { json_schema } => ResponseFormat::JsonSchema {
            name: json_schema.name,
            schema: json_schema
                .schema
                .unwrap_or_else(|| json!({"type": "object"})),
            strict: json_schema.strict,
        },
    });
    Ok(request)
}

fn decode_effort(effort: &str) -> Result<Effort, FormatError> {
    match effort {
        "none" => Ok(Effort::None),
        "minimal" => Ok(Effort::Minimal),
        "low" => Ok(Effort::Low),
        "medium" => Ok(Effort::Medium),
        "high" | "xhigh" => Ok(Effort::High),
        other => Err(FormatError::field(
            "reasoning_effort",
            format!("'{other}' is not one of none, minimal, low, medium, high"),
        )),
    }
}

/// Parameters that change what the answer is and that no other format carries. Advisory ones
/// (`store`, `metadata`, `service_tier`, `prompt_cache_key`, `safety_identifier`, `verbosity`,
/// `prediction`, a message's `name`) are not read at all: a translated request goes without
/// them (ARCHITECTURE.md, "Translation").
fn unsupported_parameters(wire: &ChatRequest) -> Vec<Untranslatable> {
    let mut lost = Vec::new();
    let mut push = |path: &str, what: &str| lost.push(Untranslatable::new(path, what));
    if wire.n.is_some_and(|n| n > 1) {
        push("n", "more than one choice");
    }
    if wire.logprobs == Some(true) {
        push("logprobs", "log probabilities");
    }
    if wire.top_logprobs.is_some_and(|n| n > 0) {
        push("top_logprobs", "log probabilities");
    }
    if wire.logit_bias.as_ref().is_some_and(|b| !b.is_empty()) {
        push("logit_bias", "a logit bias");
    }
    if wire.audio.is_some() {
        push("audio", "audio output");
    }
    if let Some(modalities) = &wire.modalities
        && modalities.iter().any(|m| m != "text")
    {
        push("modalities", "an output modality other than text");
    }
    if wire.web_search_options.is_some() {
        push("web_search_options", "built-in web search");
    }
    if wire.functions.as_ref().is_some_and(|f| !f.is_empty()) {
        push("functions", "deprecated `functions` (send them as `tools`)");
    }
    lost
}

/// The text of a system, developer or assistant message: only text and refusals have a place
/// there; other parts are recorded under `path`.
fn text_of(content: Content, path: &str, lost: &mut Vec<Untranslatable>) -> String {
    match content {
        Content::Text(text) => text,
        Content::Parts(parts) => parts
            .into_iter()
            .enumerate()
            .filter_map(|(j, p)| match p.value {
                ContentPart::Text { text } => Some(text),
                ContentPart::Refusal { refusal } => Some(refusal),
                ContentPart::ImageUrl { .. } | ContentPart::Unsupported => {
                    lost.push(Untranslatable::new(
                        format!("{path}.content[{j}]"),
                        format!("part type '{}' outside a user or tool message", p.kind),
                    ));
                    None
                }
            })
            .collect::<Vec<_>>()
            .join("\n"),
    }
}

fn user_parts(content: Content, path: &str, lost: &mut Vec<Untranslatable>) -> Vec<Part> {
    match content {
        Content::Text(text) => vec![Part::Text(text)],
        Content::Parts(parts) => parts
            .into_iter()
            .enumerate()
            .filter_map(|(j, p)| match p.value {
                ContentPart::Text { text } => Some(Part::Text(text)),
                ContentPart::ImageUrl { image_url } => {
                    Some(Part::Image(Image::from_url(&image_url.url)))
                }
                ContentPart::Refusal { refusal } => Some(Part::Text(refusal)),
                // Audio, files: no other format takes them.
                ContentPart::Unsupported => {
                    lost.push(unsupported_part(path, j, &p.kind));
                    None
                }
            })
            .collect(),
    }
}

fn unsupported_part(path: &str, index: usize, kind: &str) -> Untranslatable {
    Untranslatable::new(
        format!("{path}.content[{index}]"),
        format!("part type '{kind}'"),
    )
}

/// Appends `parts` to the last message when it has the same role, else starts a new message:
/// the IR keeps one message per turn (Anthropic needs all tool results of a turn together).
fn push(request: &mut Request, role: Role, parts: Vec<Part>) {
    if parts.is_empty() {
        return;
    }
    match request.messages.last_mut() {
        Some(last) if last.role == role => last.parts.extend(parts),
        _ => request.messages.push(Message { role, parts }),
    }
}

fn decode_message(
    message: ChatMessage,
    index: usize,
    request: &mut Request,
) -> Result<(), FormatError> {
    let path = format!("messages[{index}]");
    let lost = &mut request.untranslatable;
    match message {
        ChatMessage::System { content } | ChatMessage::Developer { content } => {
            let text = text_of(content, &path, lost);
            request.system.push(text);
        }
        ChatMessage::User { content } => {
            let parts = user_parts(content, &path, lost);
            push(request, Role::User, parts);
        }
        ChatMessage::Assistant {
            content,
            reasoning_content,
            tool_calls,
            refusal,
            function_call,
            audio,
        } => {
            if function_call.is_some() {
                let what = "a deprecated `function_call` (send it in `tool_calls`)";
                lost.push(Untranslatable::new(format!("{path}.function_call"), what));
            }
            if audio.is_some() {
                let what = "an earlier audio answer kept by OpenAI";
                lost.push(Untranslatable::new(format!("{path}.audio"), what));
            }
            let mut parts = Vec::new();
            if let Some(text) = reasoning_content.filter(|t| !t.is_empty()) {
                parts.push(Part::Thinking {
                    text,
                    signature: None,
                });
            }
            if let Some(text) = content
                .map(|c| text_of(c, &path, lost))
                .filter(|t| !t.is_empty())
            {
                parts.push(Part::Text(text));
            }
            if let Some(refusal) = refusal.filter(|t| !t.is_empty()) {
                parts.push(Part::Text(refusal));
            }
            for (k, call) in tool_calls.unwrap_or_default().into_iter().enumerate() {
                if call.function.name.is_empty() {
                    return Err(FormatError::field(
                        format!("messages[{index}].tool_calls[{k}].function.name"),
                        "is required",
                    ));
                }
                parts.push(Part::ToolCall(ToolCall {
                    id: if call.id.is_empty() {
                        format!("call_{index}_{k}")
                    } else {
                        call.id
                    },
                    name: call.function.name,
                    arguments: call.function.arguments.into_text(),
                    kind: if call.kind == "custom" {
                        ToolKind::Custom
                    } else {
                        ToolKind::Function
                    },
                    signature: None,
                }));
            }
            // An assistant turn may be empty (a client echoing a blank reply); keep the turn.
            if parts.is_empty() {
                parts.push(Part::Text(String::new()));
            }
            push(request, Role::Assistant, parts);
        }
        ChatMessage::Tool {
            tool_call_id,
            content,
        } => {
            let content = match content {
                Content::Text(text) => vec![ToolResultContent::Text(text)],
                Content::Parts(parts) => parts
                    .into_iter()
                    .enumerate()
                    .filter_map(|(j, p)| match p.value {
                        ContentPart::Text { text } => Some(ToolResultContent::Text(text)),
                        ContentPart::ImageUrl { image_url } => {
                            Some(ToolResultContent::Image(Image::from_url(&image_url.url)))
                        }
                        ContentPart::Refusal { refusal } => Some(ToolResultContent::Text(refusal)),
                        ContentPart::Unsupported => {
                            lost.push(unsupported_part(&path, j, &p.kind));
                            None
                        }
                    })
                    .collect(),
            };
            let result = ToolResult {
                call_id: tool_call_id,
                name: None,
                content,
                is_error: false,
            };
            push(request, Role::User, vec![Part::ToolResult(result)]);
        }
        ChatMessage::Function { name, content } => {
            let text = content.map(|c| text_of(c, &path, lost)).unwrap_or_default();
            let result = ToolResult {
                call_id: name.clone(),
                name: Some(name),
                content: vec![ToolResultContent::Text(text)],
                is_error: false,
            };
            push(request, Role::User, vec![Part::ToolResult(result)]);
        }
    }
    Ok(())
}

fn decode_tool(tool: ChatTool) -> Option<Tool> {
    match tool {
        ChatTool::Function { function } => Some(Tool {
            name: function.name,
            description: function.description,
            parameters: function
                .parameters
                .unwrap_or_else(|| json!({"type": "object", "properties": {}})),
            kind: ToolKind::Function,
            strict: function.strict,
            custom_format: None,
            namespace: None,
        }),
        ChatTool::Custom { custom } => Some(Tool {
            name: custom.name,
            description: custom.description,
            parameters: custom_parameters(),
            kind: ToolKind::Custom,
            strict: None,
            custom_format: custom.format,
            namespace: None,
        }),
        ChatTool::Unsupported => None,
    }
}

/// The function schema a freeform (custom) tool takes in formats that only have functions.
pub(crate) fn custom_parameters() -> serde_json::Value {
    json!({"type": "object", "properties": {"input": {"type": "string"}}, "required": ["input"]})
}

fn decode_tool_choice(choice: wire::ToolChoice) -> Result<ToolChoice, FormatError> {
    match choice {
        wire::ToolChoice::Mode(mode) => match mode.as_str() {
            "auto" => Ok(ToolChoice::Auto),
            "none" => Ok(ToolChoice::None),
            "required" | "any" => Ok(ToolChoice::Required),
            other => Err(FormatError::field(
                "tool_choice",
                format!("'{other}' is not one of auto, none, required"),
            )),
        },
        wire::ToolChoice::Named(named) => named
            .function
            .or(named.custom)
            .map(|n| ToolChoice::Tool(n.name))
            .ok_or_else(|| FormatError::field("tool_choice.function.name", "is required")),
    }
}

pub fn encode_request(request: &Request) -> Vec<u8> {
    // One system message: several in a row are rejected by some compatible servers.
    let mut messages: Vec<ChatMessage> = Vec::new();
    if !request.system.is_empty() {
        messages.push(ChatMessage::System {
            content: Content::Text(request.system.join("\n\n")),
        });
    }
    for message in &request.messages {
        match message.role {
            Role::User => encode_user(message, &mut messages),
            Role::Assistant => messages.push(encode_assistant(message)),
        }
    }
    let tools: Vec<Tagged<ChatTool>> = request
        .tools
        .iter()
        .map(|t| {
            Tagged::from(ChatTool::Function {
                function: wire::FunctionDef {
                    name: t.name.clone(),
                    description: t.description.clone(),
                    parameters: Some(match t.kind {
                        ToolKind::Function => t.parameters.clone(),
                        ToolKind::Custom => custom_parameters(),
                    }),
                    strict: t.strict,
                },
            })
        })
        .collect();
    let reasoning_effort = request.reasoning.map(|r| {
        match r.effort() {
            Effort::None => "none",
            Effort::Minimal => "minimal",
            Effort::Low => "low",
            Effort::Medium => "medium",
            Effort::High => "high",
        }
        .to_owned()
    });
    // Reasoning models reject `max_tokens`; everything else knows it best.
    let (max_tokens, max_completion_tokens) = match request.reasoning {
        Some(_) => (None, request.max_output_tokens),
        None => (request.max_output_tokens, None),
    };
    let wire = ChatRequest {
        model: Some(request.model.clone()),
        messages: Some(messages),
        tool_choice: request
            .tool_choice
            .as_ref()
            .filter(|_| !tools.is_empty())
            .map(encode_tool_choice),
        tools: (!tools.is_empty()).then_some(tools),
        parallel_tool_calls: request
            .parallel_tool_calls
            .filter(|_| !request.tools.is_empty()),
        stream: Some(request.stream),
        // Usage is needed for accounting whatever the client asked.
        stream_options: request.stream.then_some(wire::StreamOptions {
            include_usage: true,
        }),
        max_tokens,
        max_completion_tokens,
        temperature: request.temperature,
        top_p: request.top_p,
        stop: (!request.stop.is_empty()).then(|| wire::Stop::Many(request.stop.clone())),
        reasoning_effort,
        response_format: request.response_format.as_ref().map(|f| match f {
            ResponseFormat::Text => wire::ResponseFormat::Text,
            ResponseFormat::JsonObject => wire::ResponseFormat::JsonObject,
            ResponseFormat::JsonSchema {
                name,
                schema,
                strict,
            } => wire::ResponseFormat::JsonSchema {
                json_schema: wire::JsonSchemaFormat {
                    name: name.clone(),
                    schema: Some(schema.clone()),
                    strict: *strict,
                },
            },
        }),
        seed: request.seed,
        presence_penalty: request.presence_penalty,
        frequency_penalty: request.frequency_penalty,
        user: request.user.clone(),
        ..ChatRequest::default()
    };
    to_json(&wire)
}

fn encode_tool_choice(choice: &ToolChoice) -> wire::ToolChoice {
    match choice {
        ToolChoice::Auto => wire::ToolChoice::Mode("auto".into()),
        ToolChoice::None => wire::ToolChoice::Mode("none".into()),
        ToolChoice::Required => wire::ToolChoice::Mode("required".into()),
        ToolChoice::Tool(name) => wire::ToolChoice::Named(wire::NamedToolChoice {
            kind: "function".into(),
            function: Some(wire::Name { name: name.clone() }),
            custom: None,
        }),
    }
}

fn image_part(image: &Image) -> Tagged<ContentPart> {
    Tagged::from(ContentPart::ImageUrl {
        image_url: wire::ImageUrl {
            url: image.to_url(),
            detail: None,
        },
    })
}

/// A user turn: its tool results first (one `tool` message each, as the API requires them
/// right after the assistant's calls), then the rest as one user message.
fn encode_user(message: &Message, out: &mut Vec<ChatMessage>) {
    let mut rest = Vec::new();
    for part in &message.parts {
        match part {
            Part::ToolResult(result) => {
                let has_image = result
                    .content
                    .iter()
                    .any(|c| matches!(c, ToolResultContent::Image(_)));
                let content = if has_image {
                    Content::Parts(
                        result
                            .content
                            .iter()
                            .map(|c| match c {
                                ToolResultContent::Text(text) => {
                                    Tagged::from(ContentPart::Text { text: text.clone() })
                                }
                                ToolResultContent::Image(image) => image_part(image),
                            })
                            .collect(),
                    )
                } else {
                    Content::Text(result.text())
                };
                out.push(ChatMessage::Tool {
                    tool_call_id: result.call_id.clone(),
                    content,
                });
            }
            Part::Text(text) => rest.push(Tagged::from(ContentPart::Text { text: text.clone() })),
            Part::Image(image) => rest.push(image_part(image)),
            Part::Thinking { .. } | Part::RedactedThinking { .. } | Part::ToolCall(_) => {}
        }
    }
    if rest.is_empty() {
        return;
    }
    let content = match rest.as_slice() {
        [
            Tagged {
                value: ContentPart::Text { text },
                ..
            },
        ] => Content::Text(text.clone()),
        _ => Content::Parts(rest),
    };
    out.push(ChatMessage::User { content });
}

fn encode_assistant(message: &Message) -> ChatMessage {
    let (text, reasoning, calls) = super::assistant_fields(&message.parts);
    ChatMessage::Assistant {
        content: (!text.is_empty() || calls.is_empty()).then_some(Content::Text(text)),
        reasoning_content: (!reasoning.is_empty()).then_some(reasoning),
        tool_calls: (!calls.is_empty()).then_some(calls),
        refusal: None,
        function_call: None,
        audio: None,
    }
}
