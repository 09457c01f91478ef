//! Anthropic Messages requests: `decode_request` turns a client's `/v1/messages` body into the
//! IR, `encode_request` writes the IR as a body an Anthropic upstream accepts (alternating
//! roles, tool results first, `max_tokens` always set, thinking constraints respected).

use std::collections::HashMap;

use serde_json::{Value, json};

use super::blocks::{decode_message, system_texts};
use super::wire::{
    InOutputFormat, InRequest, InThinking, InToolChoice, OutBlock, OutImageSource, OutMessage,
    OutMetadata, OutRequest, OutResultBlock, OutSystem, OutThinking, OutTool, OutToolChoice,
    TextBlock, TextOrBlocks, WireRole,
};
use crate::ir::{
    Effort, Image, Message, Part, Reasoning, Request, ResponseFormat, Role, Tool, ToolCall,
    ToolChoice, ToolKind, ToolResultContent, Untranslatable,
};
use crate::{FormatError, RequestHint};

/// `max_tokens` when the IR has none (Anthropic requires one).
pub const DEFAULT_MAX_TOKENS: u32 = 8192;
/// `max_tokens` ceiling used when thinking is on and the client set no limit: every
/// thinking-capable Claude model accepts 32000 output tokens.
const THINKING_MAX_TOKENS: u32 = 32_000;

pub fn decode_request(body: &[u8], hint: &RequestHint<'_>) -> Result<Request, FormatError> {
    let wire: InRequest = crate::parse_json(body)?;
    let model = match (wire.model, hint.model) {
        (Some(m), _) if !m.is_empty() => m,
        (_, Some(m)) => m.to_owned(),
        _ => return Err(FormatError::field("model", "is required")),
    };
    let max_tokens = wire
        .max_tokens
        .ok_or_else(|| FormatError::field("max_tokens", "is required"))?;
    let wire_messages = wire
        .messages
        .ok_or_else(|| FormatError::field("messages", "is required"))?;

    let mut system = match wire.system {
        None => Vec::new(),
        Some(TextOrBlocks::Text(text)) => vec![text],
        Some(TextOrBlocks::Blocks(blocks)) => blocks.into_iter().map(|b| b.text).collect(),
    };

    let mut lost = Vec::new();
    let mut call_names: HashMap<String, String> = HashMap::new();
    let mut messages = Vec::new();
    for (i, message) in wire_messages.into_iter().enumerate() {
        let path = format!("messages[{i}]");
        if message.role == WireRole::System {
            system.extend(system_texts(message.content, &path, &mut lost));
        } else {
            messages.push(decode_message(message, &path, &mut call_names, &mut lost));
        }
    }

    let mut tools = Vec::new();
    for (i, tool) in wire.tools.unwrap_or_default().into_iter().enumerate() {
        // Server tools (web search, bash, text editor, …) run at Anthropic and have no
        // equivalent elsewhere.
        if let Some(kind) = tool.kind.as_deref()
            && kind != "custom"
        {
            lost.push(Untranslatable::offer(
                format!("tools[{i}]"),
                format!("built-in tool '{kind}'"),
            ));
            continue;
        }
        let name = tool
            .name
            .filter(|n| !n.is_empty())
            .ok_or_else(|| FormatError::field(format!("tools[{i}].name"), "is required"))?;
        tools.push(Tool {
            name,
            description: tool.description,
            parameters: tool
                .input_schema
                .unwrap_or_else(|| json!({"type": "object", "properties": {}})),
            kind: ToolKind::Function,
            strict: None,
            custom_format: None,
            namespace: None,
        });
    }
    if wire.container.is_some() {
        lost.push(Untranslatable::new(
            "container",
            "a code execution container (state kept at Anthropic)",
        ));
    }
    if wire.mcp_servers.is_some() {
        lost.push(Untranslatable::new(
            "mcp_servers",
            "MCP servers (connected by Anthropic itself)",
        ));
    }

    let (tool_choice, parallel_tool_calls) = match wire.tool_choice {
        Some(choice) => decode_tool_choice(choice)?,
        None => (None, None),
    };

    let effort = wire
        .output_config
        .as_ref()
        .and_then(|c| c.effort.as_deref());
    let reasoning = match wire.thinking {
        Some(thinking) => decode_thinking(thinking, effort)?,
        None => None,
    };

    let (format_path, format) = match (
        wire.output_config.and_then(|c| c.format),
        wire.output_format,
    ) {
        (Some(format), _) => ("output_config.format", Some(format)),
        (None, format) => ("output_format", format),
    };
    let response_format = format.and_then(|f| decode_output_format(f, format_path, &mut lost));

    Ok(Request {
        model,
        system,
        messages,
        tools,
        tool_choice,
        parallel_tool_calls,
        max_output_tokens: Some(u32::try_from(max_tokens).unwrap_or(u32::MAX)),
        temperature: wire.temperature,
        top_p: wire.top_p,
        top_k: wire.top_k,
        stop: wire.stop_sequences.unwrap_or_default(),
        stream: wire.stream.or(hint.stream).unwrap_or(false),
        reasoning,
        response_format,
        user: wire.metadata.and_then(|m| m.user_id),
        untranslatable: lost,
        // No seed or penalties in Anthropic's API.
        ..Request::default()
    })
}

fn decode_tool_choice(
    choice: InToolChoice,
) -> Result<(Option<ToolChoice>, Option<bool>), FormatError> {
    let parallel = choice.disable_parallel_tool_use.map(|disable| !disable);
    let choice = match choice.kind.as_str() {
        "auto" => ToolChoice::Auto,
        "any" => ToolChoice::Required,
        "none" => ToolChoice::None,
        "tool" => match choice.name {
            Some(name) if !name.is_empty() => ToolChoice::Tool(name),
            _ => return Err(FormatError::field("tool_choice.name", "is required")),
        },
        other => {
            return Err(FormatError::field(
                "tool_choice.type",
                format!("unknown value `{other}` (expected auto, any, tool or none)"),
            ));
        }
    };
    Ok((Some(choice), parallel))
}

fn decode_thinking(
    thinking: InThinking,
    effort: Option<&str>,
) -> Result<Option<Reasoning>, FormatError> {
    let include_thoughts = thinking.display.as_deref() != Some("omitted");
    match thinking.kind.as_str() {
        "enabled" => Ok(Some(match thinking.budget_tokens {
            Some(budget) => Reasoning {
                effort: None,
                budget_tokens: Some(budget),
                include_thoughts,
            },
            None => Reasoning {
                effort: Some(Effort::Medium),
                budget_tokens: None,
                include_thoughts,
            },
        })),
        "disabled" => Ok(None),
        // Adaptive thinking lets the model decide; `output_config.effort` steers it.
        "adaptive" => Ok(Some(Reasoning {
            effort: Some(match effort {
                Some("low") => Effort::Low,
                Some("high" | "xhigh" | "max") => Effort::High,
                _ => Effort::Medium,
            }),
            budget_tokens: None,
            include_thoughts,
        })),
        other => Err(FormatError::field(
            "thinking.type",
            format!("unknown value `{other}` (expected enabled, disabled or adaptive)"),
        )),
    }
}

fn decode_output_format(
    format: InOutputFormat,
    path: &str,
    lost: &mut Vec<Untranslatable>,
) -> Option<ResponseFormat> {
    match (format.kind.as_deref(), format.schema) {
        (Some("json_schema") | None, Some(schema)) => Some(ResponseFormat::JsonSchema {
            name: "output".to_owned(),
            schema,
            strict: Some(true),
        }),
        (Some(kind), _) if kind != "json_schema" => {
            lost.push(Untranslatable::new(
                path,
                format!("output format type '{kind}'"),
            ));
            None
        }
        // A json_schema format without a schema constrains nothing.
        _ => None,
    }
}

// ---------------------------------------------------------------------------------------------

pub fn encode_request(request: &Request) -> Vec<u8> {
    let mut system: Vec<String> = request
        .system
        .iter()
        .filter(|s| !s.is_empty())
        .cloned()
        .collect();
    // Anthropic has no response_format; the closest equivalent is an instruction.
    match &request.response_format {
        Some(ResponseFormat::JsonObject) => system.push(
            "Respond only with a single valid JSON object, with no text before or after it."
                .to_owned(),
        ),
        Some(ResponseFormat::JsonSchema { schema, .. }) => system.push(format!(
            "Respond only with a single valid JSON value, with no text before or after it, \
             that matches this JSON Schema:\n{schema}"
        )),
        Some(ResponseFormat::Text) | None => {}
    }
    let system = match system.len() {
        0 => None,
        1 => system.pop().map(OutSystem::Text),
        _ => Some(OutSystem::Blocks(
            system
                .into_iter()
                .map(|text| TextBlock { kind: "text", text })
                .collect(),
        )),
    };

    let messages = encode_messages(&request.messages);

    let tools: Vec<OutTool> = request.tools.iter().map(encode_tool).collect();
    let forced = matches!(
        request.tool_choice,
        Some(ToolChoice::Required | ToolChoice::Tool(_))
    ) && !tools.is_empty();

    // Thinking is dropped where Anthropic would reject the request: with a forced tool, and
    // when the current tool-use turn has no signed thinking block to continue from (the
    // history came from a format that does not keep Claude's signatures).
    let budget = request
        .reasoning
        .map(|r| (r, r.budget(request.max_output_tokens)))
        .filter(|&(_, budget)| budget > 0)
        .filter(|_| !forced && !tool_turn_lacks_thinking(&messages));

    let (max_tokens, thinking) = match (budget, request.max_output_tokens) {
        (None, max) => (max.unwrap_or(DEFAULT_MAX_TOKENS), None),
        (Some((_, budget)), Some(max)) if max > budget => (max, Some(budget)),
        (Some((_, budget)), Some(_)) => (budget.saturating_add(DEFAULT_MAX_TOKENS), Some(budget)),
        (Some((_, budget)), None) => {
            let budget = budget.min(THINKING_MAX_TOKENS - DEFAULT_MAX_TOKENS);
            (budget + DEFAULT_MAX_TOKENS, Some(budget))
        }
    };
    let thinking_on = thinking.is_some();

    let tool_choice = if tools.is_empty() {
        None
    } else {
        let disable = (request.parallel_tool_calls == Some(false)).then_some(true);
        match &request.tool_choice {
            Some(ToolChoice::Auto) => Some(OutToolChoice::Auto {
                disable_parallel_tool_use: disable,
            }),
            Some(ToolChoice::Required) => Some(OutToolChoice::Any {
                disable_parallel_tool_use: disable,
            }),
            Some(ToolChoice::Tool(name)) => Some(OutToolChoice::Tool {
                name: name.clone(),
                disable_parallel_tool_use: disable,
            }),
            Some(ToolChoice::None) => Some(OutToolChoice::None),
            None => disable.map(|d| OutToolChoice::Auto {
                disable_parallel_tool_use: Some(d),
            }),
        }
    };

    let wire = OutRequest {
        model: request.model.clone(),
        max_tokens,
        messages,
        system,
        tools,
        tool_choice,
        thinking: thinking.map(|budget_tokens| OutThinking::Enabled { budget_tokens }),
        stop_sequences: request.stop.clone(),
        // Anthropic's range is 0–1 (OpenAI's is 0–2), and thinking forbids changing it.
        temperature: request
            .temperature
            .filter(|_| !thinking_on)
            .map(|t| t.clamp(0.0, 1.0)),
        // With thinking, top_p may only be lowered to 0.95.
        top_p: request
            .top_p
            .filter(|&p| !thinking_on || p >= 0.95)
            .map(|p| p.clamp(0.0, 1.0)),
        top_k: request.top_k.filter(|_| !thinking_on),
        metadata: request.user.clone().map(|user_id| OutMetadata { user_id }),
        stream: request.stream,
    };
    crate::to_json(&wire)
}

fn encode_tool(tool: &Tool) -> OutTool {
    let input_schema = match tool.kind {
        ToolKind::Function => match &tool.parameters {
            Value::Object(map) if !map.is_empty() => tool.parameters.clone(),
            _ => json!({"type": "object", "properties": {}}),
        },
        ToolKind::Custom => json!({
            "type": "object",
            "properties": {"input": {"type": "string"}},
            "required": ["input"]
        }),
    };
    OutTool {
        name: tool.name.clone(),
        description: tool.description.clone().filter(|d| !d.is_empty()),
        input_schema,
    }
}

/// Messages in Anthropic's shape: roles alternate (consecutive turns of one role merge), tool
/// results lead their user turn, and blocks a role cannot carry are dropped.
fn encode_messages(messages: &[Message]) -> Vec<OutMessage> {
    let mut out: Vec<OutMessage> = Vec::new();
    for message in messages {
        let role = match message.role {
            Role::User => WireRole::User,
            Role::Assistant => WireRole::Assistant,
        };
        let blocks: Vec<OutBlock> = message
            .parts
            .iter()
            .filter_map(|p| encode_part(p, message.role))
            .collect();
        if blocks.is_empty() {
            continue;
        }
        match out.last_mut() {
            Some(last) if last.role == role => last.content.extend(blocks),
            _ => out.push(OutMessage {
                role,
                content: blocks,
            }),
        }
    }
    for message in &mut out {
        if message.role == WireRole::User {
            // Stable: results keep their order, other blocks keep theirs.
            message
                .content
                .sort_by_key(|b| !matches!(b, OutBlock::ToolResult { .. }));
        }
    }
    out
}

fn encode_part(part: &Part, role: Role) -> Option<OutBlock> {
    match (part, role) {
        // Anthropic rejects empty text blocks.
        (Part::Text(text), _) if text.is_empty() => None,
        (Part::Text(text), _) => Some(OutBlock::Text { text: text.clone() }),
        (Part::Image(image), _) => Some(OutBlock::Image {
            source: encode_image(image),
        }),
        // Only signed thinking can go back: Anthropic verifies the signature against the text,
        // so a signature whose text a client dropped (and the turn store no longer has) cannot.
        (
            Part::Thinking {
                text,
                signature: Some(signature),
            },
            Role::Assistant,
        ) if !signature.is_empty() && !text.is_empty() => Some(OutBlock::Thinking {
            thinking: text.clone(),
            signature: signature.clone(),
        }),
        (Part::RedactedThinking { data }, Role::Assistant) => {
            Some(OutBlock::RedactedThinking { data: data.clone() })
        }
        (Part::ToolCall(call), Role::Assistant) => Some(OutBlock::ToolUse {
            id: call.id.clone(),
            name: call.name.clone(),
            input: call_input(call),
        }),
        (Part::ToolResult(result), Role::User) => Some(OutBlock::ToolResult {
            tool_use_id: result.call_id.clone(),
            content: result
                .content
                .iter()
                .filter_map(|c| match c {
                    ToolResultContent::Text(t) if t.is_empty() => None,
                    ToolResultContent::Text(t) => Some(OutResultBlock::Text { text: t.clone() }),
                    ToolResultContent::Image(i) => Some(OutResultBlock::Image {
                        source: encode_image(i),
                    }),
                })
                .collect(),
            is_error: result.is_error,
        }),
        _ => None,
    }
}

/// A tool call's argument text as the `input` object Anthropic requires. Custom (freeform)
/// tools carry their raw text as `{"input": text}`; unparsable or non-object arguments (a
/// truncated stream) become `{}` rather than failing the whole request.
pub(super) fn call_input(call: &ToolCall) -> Value {
    if call.kind == ToolKind::Custom {
        return json!({"input": call.arguments});
    }
    match serde_json::from_str::<Value>(&call.arguments) {
        Ok(value @ Value::Object(_)) => value,
        _ => json!({}),
    }
}

pub(super) fn encode_image(image: &Image) -> OutImageSource {
    match image {
        Image::Base64 { media_type, data } => OutImageSource::Base64 {
            media_type: media_type.clone(),
            data: data.clone(),
        },
        // A data URI that reached the IR as a URL still has to travel inline.
        Image::Url(url) => match Image::from_url(url) {
            Image::Base64 { media_type, data } => OutImageSource::Base64 { media_type, data },
            Image::Url(url) => OutImageSource::Url { url },
        },
    }
}

/// Whether the conversation is mid tool loop (ends with tool results) and the assistant turn
/// that made those calls does not start with a thinking block, which Anthropic requires when
/// thinking is enabled.
fn tool_turn_lacks_thinking(messages: &[OutMessage]) -> bool {
    let [.., assistant, last] = messages else {
        return false;
    };
    let in_tool_loop = last.role == WireRole::User
        && last
            .content
            .iter()
            .any(|b| matches!(b, OutBlock::ToolResult { .. }));
    in_tool_loop
        && assistant.role == WireRole::Assistant
        && !matches!(
            assistant.content.first(),
            Some(OutBlock::Thinking { .. } | OutBlock::RedactedThinking { .. })
        )
}
