//! `GenerateContentRequest` ⇄ IR request. The model and the streaming flag live in the URL,
//! so decoding takes them from the `RequestHint` and encoding leaves them to the caller
//! building the URL.

use std::collections::HashMap;

use serde_json::{Map, Value, json};

use super::parts::{decode_part, encode_parts, result_text};
use super::wire;
use crate::ir::{
    Effort, Message, Part, Reasoning, Request, ResponseFormat, Role, Tool, ToolChoice, ToolKind,
    ToolResult, ToolResultContent, Untranslatable,
};
use crate::schema::clean_for_gemini;
use crate::{FormatError, RequestHint, parse_json, to_json};

pub fn decode_request(body: &[u8], hint: &RequestHint<'_>) -> Result<Request, FormatError> {
    let model = hint
        .model
        .map(str::trim)
        .map(|m| m.strip_prefix("models/").unwrap_or(m))
        .filter(|m| !m.is_empty())
        .ok_or_else(|| FormatError::field("model", "is required (in the request path)"))?;
    let wire: wire::GenerateContentRequest = parse_json(body)?;
    let contents = wire
        .contents
        .ok_or_else(|| FormatError::field("contents", "is required"))?;
    if contents.is_empty() {
        return Err(FormatError::field("contents", "must not be empty"));
    }

    let mut lost = Vec::new();
    if wire.cached_content.is_some() {
        lost.push(Untranslatable::new(
            "cachedContent",
            "cached content kept by Google",
        ));
    }
    let mut request = Request {
        model: model.to_owned(),
        stream: hint.stream.unwrap_or(false),
        ..Request::default()
    };
    if let Some(system) = wire.system_instruction {
        for (j, part) in system.parts.into_iter().enumerate() {
            match part.text {
                Some(text) if !text.is_empty() => request.system.push(text),
                Some(_) => {}
                None => {
                    if let Some(field) = data_field(&part) {
                        lost.push(Untranslatable::new(
                            format!("systemInstruction.parts[{j}]"),
                            format!("part '{field}' in the system instruction"),
                        ));
                    }
                }
            }
        }
    }
    request.messages = decode_contents(contents, &mut lost);
    for (i, tool) in wire.tools.into_iter().enumerate() {
        for name in built_in_tools(&tool) {
            lost.push(Untranslatable::offer(
                format!("tools[{i}]"),
                format!("built-in tool '{name}'"),
            ));
        }
        for (k, declaration) in tool.function_declarations.into_iter().enumerate() {
            if declaration.name.is_empty() {
                lost.push(Untranslatable::new(
                    format!("tools[{i}].functionDeclarations[{k}]"),
                    "a tool without a name",
                ));
            } else {
                request.tools.push(decode_tool(declaration));
            }
        }
    }
    request.tool_choice = wire
        .tool_config
        .and_then(|c| c.function_calling_config)
        .and_then(|c| decode_tool_choice(c, &mut lost));
    if let Some(config) = wire.generation_config {
        unsupported_generation(&config, &mut lost);
        apply_generation_config(&mut request, config, &mut lost);
    }
    request.untranslatable = lost;
    Ok(request)
}

/// The data field of a part that is not text, by its name in the API.
fn data_field(part: &wire::Part) -> Option<&'static str> {
    if part.inline_data.is_some() {
        Some("inlineData")
    } else if part.file_data.is_some() {
        Some("fileData")
    } else if part.function_call.is_some() {
        Some("functionCall")
    } else if part.function_response.is_some() {
        Some("functionResponse")
    } else if part.executable_code.is_some() {
        Some("executableCode")
    } else if part.code_execution_result.is_some() {
        Some("codeExecutionResult")
    } else {
        None
    }
}

/// The tools of a `tools` entry that Google runs itself.
fn built_in_tools(tool: &wire::Tool) -> Vec<&'static str> {
    [
        (tool.google_search.is_some(), "googleSearch"),
        (
            tool.google_search_retrieval.is_some(),
            "googleSearchRetrieval",
        ),
        (tool.code_execution.is_some(), "codeExecution"),
        (tool.url_context.is_some(), "urlContext"),
        (tool.google_maps.is_some(), "googleMaps"),
        (tool.file_search.is_some(), "fileSearch"),
        (tool.computer_use.is_some(), "computerUse"),
    ]
    .into_iter()
    .filter_map(|(present, name)| present.then_some(name))
    .collect()
}

/// Generation settings that change what the answer is and that no other format has. The
/// advisory ones (`safetySettings`, `mediaResolution`, `labels`, …) are not read: a
/// translated request goes without them (ARCHITECTURE.md, "Translation").
fn unsupported_generation(config: &wire::GenerationConfig, lost: &mut Vec<Untranslatable>) {
    let mut push = |field: &str, what: &str| {
        lost.push(Untranslatable::new(
            format!("generationConfig.{field}"),
            what,
        ));
    };
    if config.candidate_count.is_some_and(|n| n > 1) {
        push("candidateCount", "more than one candidate");
    }
    if let Some(modalities) = &config.response_modalities
        && modalities.iter().any(|m| !m.eq_ignore_ascii_case("text"))
    {
        push("responseModalities", "an output modality other than text");
    }
    if config.speech_config.is_some() {
        push("speechConfig", "speech output");
    }
    if config.response_logprobs == Some(true) {
        push("responseLogprobs", "log probabilities");
    }
    if config.logprobs.is_some_and(|n| n > 0) {
        push("logprobs", "log probabilities");
    }
}

/// A call seen in the history, so results without an id can be paired by name and order.
struct SeenCall {
    id: String,
    name: String,
    answered: bool,
}

fn decode_contents(contents: Vec<wire::Content>, lost: &mut Vec<Untranslatable>) -> Vec<Message> {
    let mut calls: Vec<SeenCall> = Vec::new();
    let mut messages = Vec::new();
    for (turn, content) in contents.into_iter().enumerate() {
        let role = match content.role.as_deref() {
            Some("model") => Role::Assistant,
            _ => Role::User,
        };
        let mut parts = Vec::new();
        for (index, mut part) in content.parts.into_iter().enumerate() {
            if role == Role::User {
                // Reasoning belongs to the model's turns; other formats reject it elsewhere.
                part.thought_signature = None;
                part.thought = None;
            }
            // Code Gemini ran itself has no place in the IR.
            if part.executable_code.is_some() || part.code_execution_result.is_some() {
                let field = data_field(&part).unwrap_or("executableCode");
                lost.push(Untranslatable::new(
                    format!("contents[{turn}].parts[{index}]"),
                    format!("part '{field}'"),
                ));
            }
            let before = parts.len();
            let response = decode_part(part, &mut parts, |_, _| format!("call_{turn}_{index}"));
            for part in parts.get(before..).unwrap_or_default() {
                if let Part::ToolCall(call) = part {
                    calls.push(SeenCall {
                        id: call.id.clone(),
                        name: call.name.clone(),
                        answered: false,
                    });
                }
            }
            if let Some(response) = response {
                let fallback = format!("call_{turn}_{index}");
                parts.push(Part::ToolResult(decode_function_response(
                    response, &mut calls, fallback,
                )));
            }
        }
        if !parts.is_empty() {
            messages.push(Message { role, parts });
        }
    }
    messages
}

fn decode_function_response(
    response: wire::FunctionResponse,
    calls: &mut [SeenCall],
    fallback_id: String,
) -> ToolResult {
    let explicit = response.id.filter(|id| !id.is_empty());
    let matched = match &explicit {
        Some(id) => calls.iter_mut().find(|c| &c.id == id),
        None => calls
            .iter_mut()
            .find(|c| !c.answered && c.name == response.name),
    };
    let call_id = match matched {
        Some(call) => {
            call.answered = true;
            call.id.clone()
        }
        None => explicit.unwrap_or(fallback_id),
    };
    let (text, is_error) = result_text(response.response);
    ToolResult {
        call_id,
        name: Some(response.name).filter(|n| !n.is_empty()),
        content: vec![ToolResultContent::Text(text)],
        is_error,
    }
}

fn decode_tool(declaration: wire::FunctionDeclaration) -> Tool {
    let parameters = match (declaration.parameters, declaration.parameters_json_schema) {
        (Some(schema), _) => lowercase_types(&schema),
        (None, Some(schema)) => schema,
        (None, None) => json!({"type": "object", "properties": {}}),
    };
    Tool {
        name: declaration.name,
        description: declaration.description,
        parameters,
        kind: ToolKind::Function,
        strict: None,
        custom_format: None,
        namespace: None,
    }
}

/// Gemini's `Schema` spells types in upper case (`OBJECT`, `STRING`); JSON Schema, which the
/// other formats take, wants lower case.
fn lowercase_types(schema: &Value) -> Value {
    match schema {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(key, value)| {
                    let value = match (key.as_str(), value) {
                        ("type", Value::String(t)) => Value::String(t.to_ascii_lowercase()),
                        ("properties", Value::Object(props)) => Value::Object(
                            props
                                .iter()
                                .map(|(k, v)| (k.clone(), lowercase_types(v)))
                                .collect(),
                        ),
                        ("items", v) => lowercase_types(v),
                        ("anyOf", Value::Array(variants)) => {
                            Value::Array(variants.iter().map(lowercase_types).collect())
                        }
                        (_, v) => v.clone(),
                    };
                    (key.clone(), value)
                })
                .collect::<Map<String, Value>>(),
        ),
        other => other.clone(),
    }
}

fn decode_tool_choice(
    config: wire::FunctionCallingConfig,
    lost: &mut Vec<Untranslatable>,
) -> Option<ToolChoice> {
    let path = "toolConfig.functionCallingConfig";
    let mode = config.mode?;
    match mode.to_ascii_uppercase().as_str() {
        "NONE" => Some(ToolChoice::None),
        "ANY" => match config.allowed_function_names.as_slice() {
            [] => Some(ToolChoice::Required),
            [only] => Some(ToolChoice::Tool(only.clone())),
            // The IR names one forced tool or none: the model could call a tool the client
            // ruled out.
            _ => {
                lost.push(Untranslatable::new(
                    format!("{path}.allowedFunctionNames"),
                    "a choice among several named tools",
                ));
                Some(ToolChoice::Required)
            }
        },
        "AUTO" | "VALIDATED" => Some(ToolChoice::Auto),
        "MODE_UNSPECIFIED" => None,
        _ => {
            lost.push(Untranslatable::new(
                format!("{path}.mode"),
                format!("function calling mode '{mode}'"),
            ));
            None
        }
    }
}

fn apply_generation_config(
    request: &mut Request,
    config: wire::GenerationConfig,
    lost: &mut Vec<Untranslatable>,
) {
    request.temperature = config.temperature;
    request.top_p = config.top_p;
    request.top_k = config.top_k;
    request.max_output_tokens = config.max_output_tokens;
    request.stop = config.stop_sequences;
    request.seed = config.seed;
    request.presence_penalty = config.presence_penalty;
    request.frequency_penalty = config.frequency_penalty;
    request.response_format = match config.response_mime_type.as_deref() {
        Some("application/json") => Some(
            match config
                .response_json_schema
                .or(config.response_schema.as_ref().map(lowercase_types))
            {
                Some(schema) => ResponseFormat::JsonSchema {
                    name: "response".into(),
                    schema,
                    strict: None,
                },
                None => ResponseFormat::JsonObject,
            },
        ),
        Some("text/plain") => Some(ResponseFormat::Text),
        None => None,
        // `text/x.enum` and the like: a constraint no other format has.
        Some(other) => {
            lost.push(Untranslatable::new(
                "generationConfig.responseMimeType",
                format!("response MIME type '{other}'"),
            ));
            None
        }
    };
    request.reasoning = config.thinking_config.and_then(decode_thinking);
}

fn decode_thinking(config: wire::ThinkingConfig) -> Option<Reasoning> {
    let include_thoughts = config.include_thoughts.unwrap_or(false);
    let level =
        config
            .thinking_level
            .as_deref()
            .and_then(|l| match l.to_ascii_uppercase().as_str() {
                "MINIMAL" => Some(Effort::Minimal),
                "LOW" => Some(Effort::Low),
                "MEDIUM" => Some(Effort::Medium),
                "HIGH" => Some(Effort::High),
                _ => None,
            });
    let (effort, budget_tokens) = match (config.thinking_budget, level) {
        (Some(0), _) => (Some(Effort::None), Some(0)),
        (Some(budget), _) if budget > 0 => (None, u32::try_from(budget).ok()),
        // -1 (dynamic) or a level: the model decides how much within the level.
        (_, Some(level)) => (Some(level), None),
        (Some(_), None) => (Some(Effort::Medium), None),
        (None, None) if include_thoughts => (Some(Effort::Medium), None),
        (None, None) => return None,
    };
    Some(Reasoning {
        effort: effort.or(budget_tokens.is_none().then_some(Effort::Medium)),
        budget_tokens,
        include_thoughts,
    })
}

pub fn encode_request(request: &Request) -> Vec<u8> {
    let system_instruction = (!request.system.is_empty()).then(|| wire::Content {
        role: None,
        parts: request
            .system
            .iter()
            .map(|text| wire::Part {
                text: Some(text.clone()),
                ..wire::Part::default()
            })
            .collect(),
    });
    let has_tools = !request.tools.is_empty();
    let body = wire::GenerateContentRequest {
        contents: Some(encode_messages(&request.messages)),
        system_instruction,
        tools: if has_tools {
            vec![wire::Tool {
                function_declarations: request.tools.iter().map(encode_tool).collect(),
                ..wire::Tool::default()
            }]
        } else {
            Vec::new()
        },
        tool_config: request
            .tool_choice
            .as_ref()
            .filter(|_| has_tools)
            .map(encode_tool_choice),
        generation_config: encode_generation_config(request),
        cached_content: None,
    };
    to_json(&body)
}

fn encode_messages(messages: &[Message]) -> Vec<wire::Content> {
    let mut names: HashMap<String, String> = HashMap::new();
    let mut contents: Vec<wire::Content> = Vec::new();
    for message in messages {
        let role = match message.role {
            Role::User => "user",
            Role::Assistant => "model",
        };
        let parts = encode_parts(&message.parts, false, &mut names);
        if parts.is_empty() {
            continue;
        }
        // Gemini wants turns to alternate; same-role neighbours become one turn.
        match contents.last_mut() {
            Some(last) if last.role.as_deref() == Some(role) => last.parts.extend(parts),
            _ => contents.push(wire::Content {
                role: Some(role.to_owned()),
                parts,
            }),
        }
    }
    contents
}

fn encode_tool(tool: &Tool) -> wire::FunctionDeclaration {
    let schema = match tool.kind {
        ToolKind::Custom => json!({
            "type": "object",
            "properties": {"input": {"type": "string"}},
            "required": ["input"]
        }),
        ToolKind::Function => clean_for_gemini(&tool.parameters),
    };
    // Gemini has rejected objects with empty `properties`; no parameters says the same.
    let has_properties = schema
        .get("properties")
        .and_then(Value::as_object)
        .is_some_and(|p| !p.is_empty());
    wire::FunctionDeclaration {
        name: tool.name.clone(),
        description: tool.description.clone(),
        parameters: has_properties.then_some(schema),
        parameters_json_schema: None,
    }
}

fn encode_tool_choice(choice: &ToolChoice) -> wire::ToolConfig {
    let (mode, allowed) = match choice {
        ToolChoice::Auto => ("AUTO", Vec::new()),
        ToolChoice::None => ("NONE", Vec::new()),
        ToolChoice::Required => ("ANY", Vec::new()),
        ToolChoice::Tool(name) => ("ANY", vec![name.clone()]),
    };
    wire::ToolConfig {
        function_calling_config: Some(wire::FunctionCallingConfig {
            mode: Some(mode.to_owned()),
            allowed_function_names: allowed,
        }),
    }
}

/// The largest `thinkingBudget` a Gemini model accepts (Flash models 24576, Pro 32768); a
/// larger one is a 400, so budgets from other formats are capped here.
fn max_thinking_budget(model: &str) -> u32 {
    if model.contains("flash") {
        24_576
    } else {
        32_768
    }
}

fn encode_generation_config(request: &Request) -> Option<wire::GenerationConfig> {
    let (response_mime_type, response_schema) = match &request.response_format {
        None => (None, None),
        Some(ResponseFormat::Text) => (Some("text/plain".to_owned()), None),
        Some(ResponseFormat::JsonObject) => (Some("application/json".to_owned()), None),
        Some(ResponseFormat::JsonSchema { schema, .. }) => (
            Some("application/json".to_owned()),
            Some(clean_for_gemini(schema)),
        ),
    };
    let thinking_config = request.reasoning.map(|reasoning| {
        let budget = reasoning
            .budget(request.max_output_tokens)
            .min(max_thinking_budget(&request.model));
        wire::ThinkingConfig {
            thinking_budget: Some(i64::from(budget)),
            include_thoughts: (budget > 0).then_some(true),
            thinking_level: None,
        }
    });
    let config = wire::GenerationConfig {
        temperature: request.temperature,
        top_p: request.top_p,
        top_k: request.top_k,
        max_output_tokens: request.max_output_tokens,
        stop_sequences: request.stop.clone(),
        seed: request.seed,
        presence_penalty: request.presence_penalty,
        frequency_penalty: request.frequency_penalty,
        response_mime_type,
        response_schema,
        response_json_schema: None,
        thinking_config,
        ..wire::GenerationConfig::default()
    };
    let empty = config.temperature.is_none()
        && config.top_p.is_none()
        && config.top_k.is_none()
        && config.max_output_tokens.is_none()
        && config.stop_sequences.is_empty()
        && config.seed.is_none()
        && config.presence_penalty.is_none()
        && config.frequency_penalty.is_none()
        && config.response_mime_type.is_none()
        && config.thinking_config.is_none();
    (!empty).then_some(config)
}
