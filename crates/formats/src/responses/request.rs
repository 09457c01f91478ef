//! Responses requests ⇄ IR: a client's `POST /v1/responses` body (Codex CLI, the openai SDKs)
//! decoded into an `ir::Request`, and an `ir::Request` encoded for a Responses upstream (OpenAI,
//! or the ChatGPT Codex backend, which needs `store:false` and encrypted reasoning).

use std::collections::HashMap;

use super::conversation::Conversation;
use super::wire::{
    CallOutputItem, Content, ContentPart, CreateRequest, CustomTool, CustomToolCallItem,
    FunctionCallItem, FunctionTool, Input, Item, LenientItem, MessageItem, NamedToolChoice,
    NamespaceTool, ReasoningConfig, ReasoningItem, SummaryPart, TextConfig, TextFormat, ToolChoice,
    ToolDef, ToolOutput,
};
use crate::ir::{
    Effort, Image, Part, Reasoning, Request, ResponseFormat, Role, Tool,
    ToolChoice as IrToolChoice, ToolKind, ToolNamespace, ToolResult, ToolResultContent,
    Untranslatable, namespaced_name,
};
use crate::tagged::Tagged;
use crate::{FormatError, RequestHint, parse_json, to_json};

pub fn decode_request(body: &[u8], hint: &RequestHint<'_>) -> Result<Request, FormatError> {
    let wire: CreateRequest = parse_json(body)?;
    let mut parameters = Vec::new();
    unsupported_parameters(&wire, &mut parameters);
    let model = wire
        .model
        .filter(|m| !m.is_empty())
        .or_else(|| hint.model.map(str::to_owned))
        .ok_or_else(|| FormatError::field("model", "is required"))?;
    let input = wire
        .input
        .ok_or_else(|| FormatError::field("input", "is required"))?;

    let mut builder = Conversation {
        lost: parameters,
        ..Conversation::default()
    };
    if let Some(instructions) = wire.instructions.filter(|s| !s.is_empty()) {
        builder.system.push(instructions);
    }
    match input {
        Input::Text(text) => builder.push(Role::User, Part::Text(text)),
        Input::Items(items) => {
            for (i, LenientItem { item, kind }) in items.into_iter().enumerate() {
                builder.item(item, &kind, &format!("input[{i}]"));
            }
        }
    }
    let mut lost = builder.lost;

    let mut tools = Vec::new();
    for (i, tool) in wire.tools.into_iter().enumerate() {
        if let ToolDef::Namespace(group) = tool.value {
            namespace_members(group, &format!("tools[{i}]"), &mut tools, &mut lost);
            continue;
        }
        match decode_tool(tool.value) {
            Ok(tool) => tools.push(tool),
            Err(Some(what)) => lost.push(Untranslatable::new(format!("tools[{i}]"), what)),
            Err(None) => lost.push(Untranslatable::offer(
                format!("tools[{i}]"),
                format!("built-in tool '{}'", tool.kind),
            )),
        }
    }
    let tool_choice = wire
        .tool_choice
        .and_then(|choice| decode_tool_choice(choice, &mut lost));
    let reasoning = wire.reasoning.and_then(decode_reasoning);
    let response_format = wire
        .text
        .and_then(|t| t.format)
        .and_then(|f| match f.value {
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
            TextFormat::Other => {
                let what = format!("text format type '{}'", f.kind);
                lost.push(Untranslatable::new("text.format", what));
                None
            }
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
        untranslatable: lost,
        ..Request::default()
    })
}

/// Parameters that refer to what only OpenAI keeps or that change what the answer is. The
/// advisory ones (`store`, `include`, `metadata`, `service_tier`, `truncation`,
/// `prompt_cache_key`, `max_tool_calls`, `text.verbosity`) are not read: a translated request
/// goes without them (ARCHITECTURE.md, "Translation").
fn unsupported_parameters(wire: &CreateRequest, lost: &mut Vec<Untranslatable>) {
    let mut push = |path: &str, what: &str| lost.push(Untranslatable::new(path, what));
    if wire
        .previous_response_id
        .as_ref()
        .is_some_and(|id| !id.is_empty())
    {
        push("previous_response_id", "a previous response kept by OpenAI");
    }
    if wire.conversation.is_some() {
        push("conversation", "a conversation kept by OpenAI");
    }
    if wire.prompt.is_some() {
        push("prompt", "a prompt template kept by OpenAI");
    }
    if wire.background == Some(true) {
        push("background", "background mode");
    }
    if wire.top_logprobs.is_some_and(|n| n > 0) {
        push("top_logprobs", "log probabilities");
    }
}

/// A tool definition; `Err(None)` for a built-in tool (named by the caller from its type),
/// `Err(Some(what))` for a tool that cannot be used for another reason.
fn decode_tool(tool: ToolDef) -> Result<Tool, Option<String>> {
    let nameless = || Err(Some("a tool without a name".to_owned()));
    match tool {
        ToolDef::Function(f) => {
            let nested = f.function.unwrap_or_default();
            let name = if f.name.is_empty() {
                nested.name
            } else {
                f.name
            };
            if name.is_empty() {
                return nameless();
            }
            Ok(Tool {
                name,
                description: f.description.or(nested.description),
                parameters: f
                    .parameters
                    .or(nested.parameters)
                    .unwrap_or_else(empty_object_schema),
                kind: ToolKind::Function,
                strict: f.strict.or(nested.strict),
                custom_format: None,
                namespace: None,
            })
        }
        ToolDef::Custom(c) if !c.name.is_empty() => Ok(Tool {
            name: c.name,
            description: c.description,
            parameters: custom_input_schema(),
            kind: ToolKind::Custom,
            strict: None,
            custom_format: c.format,
            namespace: None,
        }),
        ToolDef::Custom(_) => nameless(),
        // Groups are expanded by the caller (`namespace_members`).
        ToolDef::Namespace(_) => Err(Some("a namespace inside a namespace".to_owned())),
        // Web search, file search, code interpreter, MCP…: tools OpenAI runs itself.
        ToolDef::Other => Err(None),
    }
}

/// The members of a `namespace` group as tools of their own, named `namespace__member` where
/// namespaces do not exist (`ir::namespaced_name`), remembering the group.
fn namespace_members(
    group: NamespaceTool,
    path: &str,
    tools: &mut Vec<Tool>,
    lost: &mut Vec<Untranslatable>,
) {
    if group.name.is_empty() {
        lost.push(Untranslatable::new(path, "a tool namespace without a name"));
        return;
    }
    for (j, member) in group.tools.into_iter().enumerate() {
        let kind = match &member {
            ToolDef::Function(_) => "function",
            ToolDef::Custom(_) => "custom",
            ToolDef::Namespace(_) => "namespace",
            ToolDef::Other => "built-in",
        };
        let decoded = match member {
            ToolDef::Namespace(_) => Err(Some("a namespace inside a namespace".to_owned())),
            other => decode_tool(other),
        };
        match decoded {
            Ok(mut tool) => {
                tool.namespace = Some(ToolNamespace {
                    name: group.name.clone(),
                    description: group.description.clone(),
                    member: tool.name.clone(),
                });
                tool.name = namespaced_name(&group.name, &tool.name);
                tools.push(tool);
            }
            Err(Some(what)) => lost.push(Untranslatable::new(format!("{path}.tools[{j}]"), what)),
            Err(None) => lost.push(Untranslatable::offer(
                format!("{path}.tools[{j}]"),
                format!("a {kind} tool in namespace '{}'", group.name),
            )),
        }
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

fn decode_tool_choice(choice: ToolChoice, lost: &mut Vec<Untranslatable>) -> Option<IrToolChoice> {
    let choice = match choice {
        ToolChoice::Mode(mode) => mode_choice(&mode).ok_or(format!("tool choice '{mode}'")),
        ToolChoice::Named(NamedToolChoice {
            kind,
            name,
            mode,
            tools,
        }) => match kind.as_str() {
            "function" | "custom" => name
                .filter(|n| !n.is_empty())
                .map(IrToolChoice::Tool)
                .ok_or_else(|| "a named tool choice without a name".to_owned()),
            // The IR has no list of allowed tools: only the mode is kept, and the model could
            // call a tool the client ruled out.
            "allowed_tools" => {
                if tools.is_some_and(|t| !t.is_empty()) {
                    let what = "a restriction to allowed_tools";
                    lost.push(Untranslatable::new("tool_choice.tools", what));
                }
                mode.as_deref()
                    .and_then(mode_choice)
                    .ok_or_else(|| "an allowed_tools choice without a mode".to_owned())
            }
            // A hosted tool type (web_search …): the tool itself cannot be sent either.
            other => Err(format!("a choice of built-in tool '{other}'")),
        },
    };
    choice
        .inspect_err(|what| lost.push(Untranslatable::new("tool_choice", what.clone())))
        .ok()
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
            tools: None,
        }),
    });
    let text = request.response_format.as_ref().map(|f| TextConfig {
        format: Some(Tagged::from(match f {
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
        })),
        verbosity: None,
    });
    let system = request.system.join("\n\n");
    let wire = CreateRequest {
        model: Some(request.model.clone()),
        instructions: (!system.is_empty()).then_some(system),
        input: Some(Input::Items(
            encode_items(request)
                .into_iter()
                .map(LenientItem::from)
                .collect(),
        )),
        tools: encode_tools(&request.tools)
            .into_iter()
            .map(Tagged::from)
            .collect(),
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
        ..CreateRequest::default()
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

/// The tools, namespace members back in their groups (each group where its first member was).
fn encode_tools(tools: &[Tool]) -> Vec<ToolDef> {
    let mut out: Vec<ToolDef> = Vec::new();
    for tool in tools {
        let Some(ns) = &tool.namespace else {
            out.push(encode_tool(tool, &tool.name));
            continue;
        };
        let member = encode_tool(tool, &ns.member);
        let group = out.iter_mut().find_map(|t| match t {
            ToolDef::Namespace(group) if group.name == ns.name => Some(group),
            _ => None,
        });
        match group {
            Some(group) => group.tools.push(member),
            None => out.push(ToolDef::Namespace(NamespaceTool {
                name: ns.name.clone(),
                description: ns.description.clone(),
                tools: vec![member],
            })),
        }
    }
    out
}

fn encode_tool(tool: &Tool, name: &str) -> ToolDef {
    match tool.kind {
        ToolKind::Function => ToolDef::Function(FunctionTool {
            name: name.to_owned(),
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
            name: name.to_owned(),
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
    // Calls of namespace members go back under their own name and group.
    let namespaced: HashMap<&str, &ToolNamespace> = request
        .tools
        .iter()
        .filter_map(|t| Some((t.name.as_str(), t.namespace.as_ref()?)))
        .collect();
    let named = |name: &str| match namespaced.get(name) {
        Some(ns) => (ns.member.clone(), Some(ns.name.clone())),
        None => (name.to_owned(), None),
    };
    let mut items = Vec::new();
    for message in &request.messages {
        let (role, text_part): (&str, fn(String) -> ContentPart) = match message.role {
            Role::User => ("user", |text| ContentPart::InputText { text }),
            Role::Assistant => ("assistant", |text| ContentPart::OutputText {
                text,
                annotations: Vec::new(),
            }),
        };
        let mut pending: Vec<Tagged<ContentPart>> = Vec::new();
        let flush = |pending: &mut Vec<Tagged<ContentPart>>, items: &mut Vec<Item>| {
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
                Part::Text(text) => pending.push(text_part(text.clone()).into()),
                Part::Image(image) if message.role == Role::User => {
                    pending.push(image_part(image).into())
                }
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
                    let (name, namespace) = named(&call.name);
                    items.push(match call.kind {
                        ToolKind::Function => Item::FunctionCall(FunctionCallItem {
                            id: None,
                            call_id: call.id.clone(),
                            name,
                            namespace,
                            arguments: call.arguments.clone(),
                            status: None,
                        }),
                        ToolKind::Custom => Item::CustomToolCall(CustomToolCallItem {
                            id: None,
                            call_id: call.id.clone(),
                            name,
                            namespace,
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
            .map(|c| {
                Tagged::from(match c {
                    ToolResultContent::Text(text) => ContentPart::InputText { text: text.clone() },
                    ToolResultContent::Image(image) => image_part(image),
                })
            })
            .collect(),
    )
}
