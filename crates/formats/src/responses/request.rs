//! Responses requests ⇄ IR: a client's `POST /v1/responses` body (Codex CLI, the openai SDKs)
//! decoded into an `ir::Request`, and an `ir::Request` encoded for a Responses upstream (OpenAI,
//! or the ChatGPT Codex backend, which needs `store:false` and encrypted reasoning).

use std::collections::HashMap;

use super::wire::{
    CallOutputItem, Content, ContentPart, CreateRequest, CustomTool, CustomToolCallItem,
    FunctionCallItem, FunctionTool, Input, Item, LenientItem, MessageItem, NamedToolChoice,
    ReasoningConfig, ReasoningItem, SummaryPart, TextConfig, TextFormat, ToolChoice, ToolDef,
    ToolOutput,
};
use crate::ir::{
    Effort, Image, Message, Part, Reasoning, Request, ResponseFormat, Role, Tool, ToolCall,
    ToolChoice as IrToolChoice, ToolKind, ToolResult, ToolResultContent,
};
use crate::{FormatError, RequestHint, parse_json, to_json};

pub fn decode_request(body: &[u8], hint: &RequestHint<'_>) -> Result<Request, FormatError> {
    let wire: CreateRequest = parse_json(body)?;
    let model = wire
        .model
        .filter(|m| !m.is_empty())
        .or_else(|| hint.model.map(str::to_owned))
        .ok_or_else(|| FormatError::field("model", "is required"))?;
    let input = wire
        .input
        .ok_or_else(|| FormatError::field("input", "is required"))?;

    let mut builder = Conversation::default();
    if let Some(instructions) = wire.instructions.filter(|s| !s.is_empty()) {
        builder.system.push(instructions);
    }
    match input {
        Input::Text(text) => builder.push(Role::User, Part::Text(text)),
        Input::Items(items) => {
            for LenientItem(item) in items {
                builder.item(item);
            }
        }
    }

    let tools: Vec<Tool> = wire.tools.into_iter().filter_map(decode_tool).collect();
    let tool_choice = wire.tool_choice.and_then(decode_tool_choice);
    let reasoning = wire.reasoning.and_then(decode_reasoning);
    let response_format = wire.text.and_then(|t| t.format).and_then(|f| match f {
        TextFormat::Text => Some(ResponseFormat::Text),
        TextFormat::JsonObject => Some(ResponseFormat::JsonObject),
        TextFormat::JsonSchema {
            name,
            schema,
            strict,
        } => Some(ResponseFormat::JsonSchema {
            name,
            schema,
            strict,
        }),
        TextFormat::Other => None,
    });

    Ok(Request {
        model,
        system: builder.system,
        messages: builder.messages,
        tools,
        tool_choice,
        parallel_tool_calls: wire.parallel_tool_calls,
        max_output_tokens: wire.max_output_tokens,
        temperature: wire.temperature,
        top_p: wire.top_p,
        stream: wire.stream.or(hint.stream).unwrap_or(false),
        reasoning,
        response_format,
        user: wire.user.or(wire.safety_identifier),
        ..Request::default()
    })
}

/// Folds items into IR messages: consecutive items of one role share a message, so a
/// `function_call` after an assistant message joins that assistant turn.
#[derive(Default)]
struct Conversation {
    system: Vec<String>,
    messages: Vec<Message>,
    /// call_id → tool name, so results can name their tool (Gemini needs it).
    call_names: HashMap<String, String>,
}

impl Conversation {
    fn push(&mut self, role: Role, part: Part) {
        match self.messages.last_mut() {
            Some(last) if last.role == role => last.parts.push(part),
            _ => self.messages.push(Message {
                role,
                parts: vec![part],
            }),
        }
    }

    fn item(&mut self, item: Item) {
        match item {
            Item::Message(message) => self.message(message),
            Item::FunctionCall(call) => {
                let arguments = if call.arguments.trim().is_empty() {
                    "{}".to_owned()
                } else {
                    call.arguments
                };
                self.call(call.call_id, call.name, arguments, ToolKind::Function);
            }
            Item::CustomToolCall(call) => {
                self.call(call.call_id, call.name, call.input, ToolKind::Custom)
            }
            Item::FunctionCallOutput(output) | Item::CustomToolCallOutput(output) => {
                self.result(output)
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
            Item::Other => {}
        }
    }

    fn message(&mut self, message: MessageItem) {
        let role = match message.role.as_str() {
            "assistant" => Role::Assistant,
            "system" | "developer" => {
                let text = match message.content {
                    Content::Text(text) => text,
                    Content::Parts(parts) => parts
                        .into_iter()
                        .filter_map(|p| match p {
                            ContentPart::InputText { text }
                            | ContentPart::OutputText { text, .. } => Some(text),
                            _ => None,
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
            Content::Parts(parts) => parts.into_iter().filter_map(decode_part).collect(),
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

    fn result(&mut self, output: CallOutputItem) {
        let content = match output.output {
            ToolOutput::Text(text) => vec![ToolResultContent::Text(text)],
            ToolOutput::Parts(parts) => parts
                .into_iter()
                .filter_map(|p| match decode_part(p)? {
                    Part::Text(t) => Some(ToolResultContent::Text(t)),
                    Part::Image(i) => Some(ToolResultContent::Image(i)),
                    _ => None,
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

fn decode_part(part: ContentPart) -> Option<Part> {
    match part {
        ContentPart::InputText { text } | ContentPart::OutputText { text, .. } => {
            Some(Part::Text(text))
        }
        ContentPart::Refusal { refusal } => Some(Part::Text(refusal)),
        // Images by `file_id` live in OpenAI's file store, which no other upstream can read.
        ContentPart::InputImage { image_url, .. } => image_url
            .filter(|u| !u.is_empty())
            .map(|u| Part::Image(Image::from_url(&u))),
        ContentPart::Other => None,
    }
}

fn decode_tool(tool: ToolDef) -> Option<Tool> {
    match tool {
        ToolDef::Function(f) => {
            let nested = f.function.unwrap_or_default();
            let name = if f.name.is_empty() {
                nested.name
            } else {
                f.name
            };
            if name.is_empty() {
                return None;
            }
            Some(Tool {
                name,
                description: f.description.or(nested.description),
                parameters: f
                    .parameters
                    .or(nested.parameters)
                    .unwrap_or_else(empty_object_schema),
                kind: ToolKind::Function,
                strict: f.strict.or(nested.strict),
                custom_format: None,
            })
        }
        ToolDef::Custom(c) if !c.name.is_empty() => Some(Tool {
            name: c.name,
            description: c.description,
            parameters: custom_input_schema(),
            kind: ToolKind::Custom,
            strict: None,
            custom_format: c.format,
        }),
        ToolDef::Custom(_) | ToolDef::Other => None,
    }
}

/// The parameters a custom tool has when carried as a function: one required string `input`.
fn custom_input_schema() -> serde_json::Value {
    serde_json::json!({
        "type": "object",
        "properties": {"input": {"type": "string"}},
        "required": ["input"],
        "additionalProperties": false
    })
}

fn empty_object_schema() -> serde_json::Value {
    serde_json::json!({"type": "object", "properties": {}})
}

fn decode_tool_choice(choice: ToolChoice) -> Option<IrToolChoice> {
    match choice {
        ToolChoice::Mode(mode) => mode_choice(&mode),
        ToolChoice::Named(NamedToolChoice { kind, name, mode }) => match kind.as_str() {
            "function" | "custom" => name.filter(|n| !n.is_empty()).map(IrToolChoice::Tool),
            "allowed_tools" => mode.as_deref().and_then(mode_choice),
            // A hosted tool type (web_search …): that tool is dropped, so leave the choice free.
            _ => None,
        },
    }
}

fn mode_choice(mode: &str) -> Option<IrToolChoice> {
    match mode {
        "auto" => Some(IrToolChoice::Auto),
        "none" => Some(IrToolChoice::None),
        "required" => Some(IrToolChoice::Required),
        _ => None,
    }
}

/// Reasoning settings, when the client chose an effort. Without one the upstream keeps its own
/// default, rather than other formats getting thinking switched on that nobody asked for.
fn decode_reasoning(config: ReasoningConfig) -> Option<Reasoning> {
    let effort = match config.effort.as_deref()? {
        "none" => Effort::None,
        "minimal" => Effort::Minimal,
        "low" => Effort::Low,
        "high" | "xhigh" | "max" => Effort::High,
        _ => Effort::Medium,
    };
    let summary = config.summary.or(config.generate_summary);
    Some(Reasoning {
        effort: Some(effort),
        budget_tokens: None,
        include_thoughts: summary.is_some_and(|s| s != "none"),
    })
}

pub fn encode_request(request: &Request) -> Vec<u8> {
    let kinds: HashMap<&str, ToolKind> = request
        .tools
        .iter()
        .map(|t| (t.name.as_str(), t.kind))
        .collect();
    let reasoning = request.reasoning.map(|r| {
        let effort = r.effort();
        ReasoningConfig {
            effort: Some(effort_name(effort).to_owned()),
            summary: (effort != Effort::None).then(|| "auto".to_owned()),
            generate_summary: None,
        }
    });
    let include = if reasoning.is_some() {
        vec!["reasoning.encrypted_content".to_owned()]
    } else {
        Vec::new()
    };
    let tool_choice = request.tool_choice.as_ref().map(|choice| match choice {
        IrToolChoice::Auto => ToolChoice::Mode("auto".into()),
        IrToolChoice::None => ToolChoice::Mode("none".into()),
        IrToolChoice::Required => ToolChoice::Mode("required".into()),
        IrToolChoice::Tool(name) => ToolChoice::Named(NamedToolChoice {
            kind: match kinds.get(name.as_str()) {
                Some(ToolKind::Custom) => "custom".into(),
                _ => "function".into(),
            },
            name: Some(name.clone()),
            mode: None,
        }),
    });
    let text = request.response_format.as_ref().map(|f| TextConfig {
        format: Some(match f {
            ResponseFormat::Text => TextFormat::Text,
            ResponseFormat::JsonObject => TextFormat::JsonObject,
            ResponseFormat::JsonSchema {
                name,
                schema,
                strict,
            } => TextFormat::JsonSchema {
                name: name.clone(),
                schema: schema.clone(),
                strict: *strict,
            },
        }),
        verbosity: None,
    });
    let system = request.system.join("\n\n");
    let wire = CreateRequest {
        model: Some(request.model.clone()),
        instructions: (!system.is_empty()).then_some(system),
        input: Some(Input::Items(
            encode_items(request).into_iter().map(LenientItem).collect(),
        )),
        tools: request.tools.iter().map(encode_tool).collect(),
        tool_choice,
        parallel_tool_calls: request.parallel_tool_calls,
        reasoning,
        max_output_tokens: request.max_output_tokens,
        temperature: request.temperature,
        top_p: request.top_p,
        text,
        user: request.user.clone(),
        safety_identifier: None,
        // Nothing is stored upstream: the whole history travels on every turn, and reasoning
        // comes back encrypted so it can be replayed.
        store: Some(false),
        include,
        stream: Some(request.stream),
    };
    to_json(&wire)
}

fn effort_name(effort: Effort) -> &'static str {
    match effort {
        Effort::None => "none",
        Effort::Minimal => "minimal",
        Effort::Low => "low",
        Effort::Medium => "medium",
        Effort::High => "high",
    }
}

fn encode_tool(tool: &Tool) -> ToolDef {
    match tool.kind {
        ToolKind::Function => ToolDef::Function(FunctionTool {
            name: tool.name.clone(),
            description: tool.description.clone(),
            parameters: Some(if tool.parameters.is_object() {
                tool.parameters.clone()
            } else {
                empty_object_schema()
            }),
            // The server defaults `strict` to true, which rejects ordinary schemas.
            strict: Some(tool.strict.unwrap_or(false)),
            function: None,
        }),
        ToolKind::Custom => ToolDef::Custom(CustomTool {
            name: tool.name.clone(),
            description: tool.description.clone(),
            format: tool.custom_format.clone(),
        }),
    }
}

/// The input items of a conversation, in order. Text and images of one turn gather into one
/// message item; calls, results and reasoning are items of their own.
fn encode_items(request: &Request) -> Vec<Item> {
    let call_kinds: HashMap<&str, ToolKind> = request
        .messages
        .iter()
        .flat_map(|m| &m.parts)
        .filter_map(|p| match p {
            Part::ToolCall(c) => Some((c.id.as_str(), c.kind)),
            _ => None,
        })
        .collect();
    let mut items = Vec::new();
    for message in &request.messages {
        let (role, text_part): (&str, fn(String) -> ContentPart) = match message.role {
            Role::User => ("user", |text| ContentPart::InputText { text }),
            Role::Assistant => ("assistant", |text| ContentPart::OutputText {
                text,
                annotations: Vec::new(),
            }),
        };
        let mut pending: Vec<ContentPart> = Vec::new();
        let flush = |pending: &mut Vec<ContentPart>, items: &mut Vec<Item>| {
            if !pending.is_empty() {
                items.push(Item::Message(MessageItem {
                    id: None,
                    status: None,
                    role: role.to_owned(),
                    content: Content::Parts(std::mem::take(pending)),
                }));
            }
        };
        for part in &message.parts {
            match part {
                Part::Text(text) => pending.push(text_part(text.clone())),
                Part::Image(image) if message.role == Role::User => pending.push(image_part(image)),
                Part::Image(_) => {}
                Part::Thinking {
                    text,
                    signature: Some(signature),
                } if message.role == Role::Assistant => {
                    flush(&mut pending, &mut items);
                    items.push(Item::Reasoning(ReasoningItem {
                        id: None,
                        summary: if text.is_empty() {
                            Vec::new()
                        } else {
                            vec![SummaryPart::new(text.clone())]
                        },
                        content: None,
                        encrypted_content: Some(signature.clone()),
                        status: None,
                    }));
                }
                // Reasoning without the provider's token cannot be replayed.
                Part::Thinking { .. } | Part::RedactedThinking { .. } => {}
                Part::ToolCall(call) => {
                    flush(&mut pending, &mut items);
                    items.push(match call.kind {
                        ToolKind::Function => Item::FunctionCall(FunctionCallItem {
                            id: None,
                            call_id: call.id.clone(),
                            name: call.name.clone(),
                            arguments: call.arguments.clone(),
                            status: None,
                        }),
                        ToolKind::Custom => Item::CustomToolCall(CustomToolCallItem {
                            id: None,
                            call_id: call.id.clone(),
                            name: call.name.clone(),
                            input: call.arguments.clone(),
                            status: None,
                        }),
                    });
                }
                Part::ToolResult(result) => {
                    flush(&mut pending, &mut items);
                    let output = encode_output(result);
                    let item = CallOutputItem {
                        call_id: result.call_id.clone(),
                        output,
                    };
                    items.push(match call_kinds.get(result.call_id.as_str()) {
                        Some(ToolKind::Custom) => Item::CustomToolCallOutput(item),
                        _ => Item::FunctionCallOutput(item),
                    });
                }
            }
        }
        flush(&mut pending, &mut items);
    }
    items
}

fn image_part(image: &Image) -> ContentPart {
    ContentPart::InputImage {
        image_url: Some(image.to_url()),
        file_id: None,
        detail: Some("auto".into()),
    }
}

/// A result with images becomes a part list; a text-only one a plain string.
fn encode_output(result: &ToolResult) -> ToolOutput {
    let has_image = result
        .content
        .iter()
        .any(|c| matches!(c, ToolResultContent::Image(_)));
    if !has_image {
        return ToolOutput::Text(result.text());
    }
    ToolOutput::Parts(
        result
            .content
            .iter()
            .map(|c| match c {
                ToolResultContent::Text(text) => ContentPart::InputText { text: text.clone() },
                ToolResultContent::Image(image) => image_part(image),
            })
            .collect(),
    )
}
