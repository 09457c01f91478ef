//! Requests in each client format and readers of each format's answers, for end-to-end tests
//! that drive the gateway as the official clients would (raw HTTP, exact wire shapes).

use serde_json::{Value, json};

use crate::mock::Format;

pub const FORMATS: [Format; 4] = [
    Format::OpenAiChat,
    Format::Anthropic,
    Format::Gemini,
    Format::Responses,
];

/// Sends `request` and returns the status and the JSON body (`null` when it is not JSON).
pub async fn send_json(request: reqwest::RequestBuilder) -> (u16, Value) {
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

pub fn name(format: Format) -> &'static str {
    match format {
        Format::OpenAiChat => "openai",
        Format::Anthropic => "anthropic",
        Format::Gemini => "gemini",
        Format::Responses => "responses",
    }
}

/// The path and body of a request in `format` for `model`, asking `prompt`, optionally
/// declaring one tool `get_weather(city)`.
pub fn request(
    format: Format,
    model: &str,
    prompt: &str,
    stream: bool,
    with_tool: bool,
) -> (String, Value) {
    let schema =
        json!({"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]});
    match format {
        Format::OpenAiChat => {
            let mut body = json!({"model": model, "stream": stream, "messages": [
                {"role": "system", "content": "You are terse."},
                {"role": "user", "content": prompt}]});
            if stream {
                body["stream_options"] = json!({"include_usage": true});
            }
            if with_tool {
                body["tools"] = json!([{"type": "function", "function": {"name": "get_weather", "description": "Weather", "parameters": schema}}]);
            }
            ("/v1/chat/completions".into(), body)
        }
        Format::Anthropic => {
            let mut body = json!({"model": model, "max_tokens": 512, "stream": stream, "system": "You are terse.",
                "messages": [{"role": "user", "content": prompt}]});
            if with_tool {
                body["tools"] = json!([{"name": "get_weather", "description": "Weather", "input_schema": schema}]);
            }
            ("/v1/messages".into(), body)
        }
        Format::Gemini => {
            let mut body = json!({"systemInstruction": {"parts": [{"text": "You are terse."}]},
                "contents": [{"role": "user", "parts": [{"text": prompt}]}]});
            if with_tool {
                body["tools"] = json!([{"functionDeclarations": [{"name": "get_weather", "description": "Weather", "parameters": schema}]}]);
            }
            let action = if stream {
                "streamGenerateContent?alt=sse"
            } else {
                "generateContent"
            };
            (format!("/v1beta/models/{model}:{action}"), body)
        }
        Format::Responses => {
            let mut body = json!({"model": model, "stream": stream, "instructions": "You are terse.", "input": prompt});
            if with_tool {
                body["tools"] = json!([{"type": "function", "name": "get_weather", "description": "Weather", "parameters": schema}]);
            }
            ("/v1/responses".into(), body)
        }
    }
}

/// What a client saw: the answer's text, its tool calls `(name, arguments JSON)`, and whether
/// the stream or body carried an error.
#[derive(Debug, Default, PartialEq)]
pub struct Seen {
    pub text: String,
    pub calls: Vec<(String, Value)>,
    pub error: Option<String>,
    pub finished: bool,
    /// Violations of the format's event grammar.
    pub grammar: Vec<String>,
}

pub fn sse(body: &str) -> Vec<(Option<String>, String)> {
    body.replace("\r\n", "\n")
        .split("\n\n")
        .filter(|b| !b.trim().is_empty())
        .filter_map(|block| {
            let mut name = None;
            let mut data = Vec::new();
            for line in block.lines() {
                if let Some(n) = line.strip_prefix("event:") {
                    name = Some(n.trim().to_owned());
                } else if let Some(d) = line.strip_prefix("data:") {
                    data.push(d.strip_prefix(' ').unwrap_or(d).to_owned());
                }
            }
            (!data.is_empty()).then(|| (name, data.join("\n")))
        })
        .collect()
}

fn args(v: &Value) -> Value {
    match v {
        Value::String(s) => serde_json::from_str(s).unwrap_or(Value::String(s.clone())),
        other => other.clone(),
    }
}

/// Reads a non-streamed answer.
pub fn read_body(format: Format, body: &Value) -> Seen {
    let mut seen = Seen {
        finished: true,
        ..Seen::default()
    };
    match format {
        Format::OpenAiChat => {
            let m = &body["choices"][0]["message"];
            seen.text = m["content"].as_str().unwrap_or_default().to_owned();
            for c in m["tool_calls"].as_array().into_iter().flatten() {
                seen.calls.push((
                    c["function"]["name"].as_str().unwrap_or_default().into(),
                    args(&c["function"]["arguments"]),
                ));
            }
        }
        Format::Anthropic => {
            for b in body["content"].as_array().into_iter().flatten() {
                match b["type"].as_str() {
                    Some("text") => seen.text.push_str(b["text"].as_str().unwrap_or_default()),
                    Some("tool_use") => seen.calls.push((
                        b["name"].as_str().unwrap_or_default().into(),
                        b["input"].clone(),
                    )),
                    _ => {}
                }
            }
        }
        Format::Gemini => {
            for p in body["candidates"][0]["content"]["parts"]
                .as_array()
                .into_iter()
                .flatten()
            {
                if p["thought"] == true {
                    continue;
                }
                if let Some(t) = p["text"].as_str() {
                    seen.text.push_str(t);
                }
                if let Some(fc) = p.get("functionCall") {
                    seen.calls.push((
                        fc["name"].as_str().unwrap_or_default().into(),
                        fc["args"].clone(),
                    ));
                }
            }
        }
        Format::Responses => {
            for item in body["output"].as_array().into_iter().flatten() {
                match item["type"].as_str() {
                    Some("message") => {
                        for c in item["content"].as_array().into_iter().flatten() {
                            seen.text.push_str(c["text"].as_str().unwrap_or_default());
                        }
                    }
                    Some("function_call") => seen.calls.push((
                        item["name"].as_str().unwrap_or_default().into(),
                        args(&item["arguments"]),
                    )),
                    _ => {}
                }
            }
        }
    }
    seen
}

/// Reads a streamed answer, checking the format's grammar on the way.
pub fn read_stream(format: Format, body: &str) -> Seen {
    let mut seen = Seen::default();
    let events = sse(body);
    match format {
        Format::OpenAiChat => {
            let mut calls: Vec<(String, String)> = Vec::new();
            for (_, data) in &events {
                if data == "[DONE]" {
                    seen.finished = true;
                    continue;
                }
                let v: Value = serde_json::from_str(data).unwrap_or(Value::Null);
                if let Some(e) = v.get("error") {
                    seen.error = Some(e["message"].as_str().unwrap_or("error").into());
                    continue;
                }
                let d = &v["choices"][0]["delta"];
                seen.text
                    .push_str(d["content"].as_str().unwrap_or_default());
                for tc in d["tool_calls"].as_array().into_iter().flatten() {
                    let i = tc["index"].as_u64().unwrap_or(0) as usize;
                    if calls.len() <= i {
                        calls.resize(i + 1, (String::new(), String::new()));
                    }
                    if let Some(n) = tc["function"]["name"].as_str() {
                        calls[i].0 = n.into();
                    }
                    calls[i]
                        .1
                        .push_str(tc["function"]["arguments"].as_str().unwrap_or_default());
                }
            }
            seen.calls = calls
                .into_iter()
                .map(|(n, a)| (n, args(&Value::String(a))))
                .collect();
        }
        Format::Anthropic => {
            let mut blocks: Vec<(String, String, String)> = Vec::new();
            let mut open: Option<u64> = None;
            for (name, data) in &events {
                let v: Value = serde_json::from_str(data).unwrap_or(Value::Null);
                assert_eq!(
                    name.as_deref(),
                    v["type"].as_str(),
                    "event name matches type: {data}"
                );
                match name.as_deref() {
                    Some("content_block_start") => {
                        let i = v["index"].as_u64().unwrap_or(u64::MAX);
                        if i as usize != blocks.len() || open.is_some() {
                            seen.grammar
                                .push(format!("block {i} opened out of order: {data}"));
                        }
                        open = Some(i);
                        let b = &v["content_block"];
                        blocks.push((
                            b["type"].as_str().unwrap_or_default().into(),
                            b["name"].as_str().unwrap_or_default().into(),
                            String::new(),
                        ));
                    }
                    Some("content_block_delta") => {
                        if open != v["index"].as_u64() {
                            seen.grammar
                                .push(format!("delta for a block that is not open: {data}"));
                        }
                        let d = &v["delta"];
                        let text = d["text"]
                            .as_str()
                            .or(d["partial_json"].as_str())
                            .unwrap_or_default();
                        if let Some(b) = blocks.last_mut() {
                            b.2.push_str(text);
                        }
                    }
                    Some("content_block_stop") => open = None,
                    Some("message_stop") => seen.finished = true,
                    Some("error") => {
                        seen.error = Some(v["error"]["message"].as_str().unwrap_or("error").into())
                    }
                    _ => {}
                }
            }
            for (kind, name, content) in blocks {
                match kind.as_str() {
                    "text" => seen.text.push_str(&content),
                    "tool_use" => seen.calls.push((name, args(&Value::String(content)))),
                    _ => {}
                }
            }
        }
        Format::Gemini => {
            for (_, data) in &events {
                let v: Value = serde_json::from_str(data).unwrap_or(Value::Null);
                if let Some(e) = v.get("error") {
                    seen.error = Some(e["message"].as_str().unwrap_or("error").into());
                    continue;
                }
                let part = read_body(Format::Gemini, &v);
                seen.text.push_str(&part.text);
                seen.calls.extend(part.calls);
                if v["candidates"][0]["finishReason"].is_string() {
                    seen.finished = true;
                }
            }
        }
        Format::Responses => {
            for (i, (name, data)) in events.iter().enumerate() {
                let v: Value = serde_json::from_str(data).unwrap_or(Value::Null);
                if name.as_deref() != v["type"].as_str()
                    || v["sequence_number"].as_u64() != Some(i as u64)
                {
                    seen.grammar.push(format!(
                        "event {i} {name:?}: type or sequence_number wrong: {data}"
                    ));
                }
                match name.as_deref() {
                    Some("response.output_text.delta") => {
                        seen.text.push_str(v["delta"].as_str().unwrap_or_default())
                    }
                    Some("response.output_item.done") if v["item"]["type"] == "function_call" => {
                        seen.calls.push((
                            v["item"]["name"].as_str().unwrap_or_default().into(),
                            args(&v["item"]["arguments"]),
                        ))
                    }
                    Some("response.completed" | "response.incomplete") => seen.finished = true,
                    Some("response.failed") => {
                        seen.error = Some(
                            v["response"]["error"]["message"]
                                .as_str()
                                .unwrap_or("failed")
                                .into(),
                        )
                    }
                    Some("error") => {
                        seen.error = Some(v["message"].as_str().unwrap_or("error").into())
                    }
                    _ => {}
                }
            }
        }
    }
    seen
}

/// The error message of a non-streamed error body in `format`.
pub fn error_message(format: Format, body: &Value) -> Option<String> {
    let e = &body["error"];
    let message = match format {
        Format::Anthropic => {
            if body["type"] != "error" {
                return None;
            }
            e["message"].as_str()
        }
        Format::Gemini => {
            e["code"].as_u64()?;
            e["message"].as_str()
        }
        Format::OpenAiChat | Format::Responses => e["message"].as_str(),
    };
    message.map(str::to_owned)
}
