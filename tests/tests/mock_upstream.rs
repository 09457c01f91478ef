//! The mock upstream itself must speak each format exactly, or every test built on it lies.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::disallowed_methods,
    reason = "tests"
)]

use std::time::{Duration, Instant};

use futures_util::StreamExt;
use omniroute_e2e::MockUpstream;
use omniroute_e2e::mock::{Fault, Reply, Script, Thinking, ToolCall};
use serde_json::{Value, json};

fn client() -> reqwest::Client {
    reqwest::Client::builder().build().unwrap()
}

/// `(event name, data)` pairs of an SSE body; accepts LF and CRLF line ends.
fn sse(body: &str) -> Vec<(Option<String>, String)> {
    body.replace("\r\n", "\n")
        .split("\n\n")
        .filter(|b| !b.trim().is_empty())
        .map(|block| {
            let mut name = None;
            let mut data = String::new();
            for line in block.lines() {
                if let Some(n) = line.strip_prefix("event: ") {
                    name = Some(n.to_owned());
                } else if let Some(d) = line.strip_prefix("data: ") {
                    data.push_str(d);
                }
            }
            (name, data)
        })
        .collect()
}

fn tool_reply() -> Reply {
    Reply {
        text: "Let me check.".into(),
        thinking: Some(Thinking {
            text: "The user wants weather.".into(),
            signature: "sig-123".into(),
            redacted: None,
        }),
        tool_calls: vec![
            ToolCall {
                id: "call_1".into(),
                name: "get_weather".into(),
                arguments: r#"{"city":"Paris"}"#.into(),
            },
            ToolCall {
                id: "call_2".into(),
                name: "get_time".into(),
                arguments: r#"{"tz":"CET"}"#.into(),
            },
        ],
        ..Reply::default()
    }
}

#[tokio::test]
async fn openai_chat_body_and_stream() {
    let mock = MockUpstream::start().await.unwrap();
    mock.push(Script {
        reply: tool_reply(),
        ..Script::default()
    });
    let url = format!("{}/v1/chat/completions", mock.url());
    let body: Value = client()
        .post(&url)
        .json(&json!({"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["object"], "chat.completion");
    assert_eq!(body["choices"][0]["finish_reason"], "tool_calls");
    assert_eq!(
        body["choices"][0]["message"]["tool_calls"][1]["function"]["name"],
        "get_time"
    );
    assert_eq!(body["usage"]["total_tokens"], 19);

    mock.push(Script {
        reply: tool_reply(),
        ..Script::default()
    });
    let text = client()
        .post(&url)
        .json(&json!({"model": "gpt-4o", "stream": true, "stream_options": {"include_usage": true}, "messages": []}))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let events = sse(&text);
    assert_eq!(events.last().unwrap().1, "[DONE]");
    let chunks: Vec<Value> = events[..events.len() - 1]
        .iter()
        .map(|(_, d)| serde_json::from_str(d).unwrap())
        .collect();
    assert_eq!(chunks[0]["choices"][0]["delta"]["role"], "assistant");
    let args: String = chunks
        .iter()
        .filter_map(|c| c["choices"][0]["delta"]["tool_calls"][0].as_object())
        .filter(|tc| tc["index"] == 0)
        .map(|tc| tc["function"]["arguments"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(args, r#"{"city":"Paris"}"#);
    assert_eq!(chunks.last().unwrap()["choices"], json!([]));
    assert_eq!(chunks.last().unwrap()["usage"]["prompt_tokens"], 12);
    assert_eq!(mock.received().len(), 2);
    assert_eq!(mock.received()[0].body["model"], "gpt-4o");
}

#[tokio::test]
async fn anthropic_stream_grammar() {
    let mock = MockUpstream::start().await.unwrap();
    mock.set_default(Script {
        reply: tool_reply(),
        ..Script::default()
    });
    let text = client()
        .post(format!("{}/v1/messages", mock.url()))
        .header("x-api-key", "sk-ant-test")
        .json(&json!({"model": "claude-sonnet-4-5", "max_tokens": 100, "stream": true, "messages": []}))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let names: Vec<String> = sse(&text).into_iter().map(|(n, _)| n.unwrap()).collect();
    assert_eq!(names.first().unwrap(), "message_start");
    assert_eq!(names.last().unwrap(), "message_stop");
    assert_eq!(
        names.iter().filter(|n| *n == "content_block_start").count(),
        4
    );
    assert_eq!(
        names.iter().filter(|n| *n == "content_block_stop").count(),
        4
    );
    for (name, data) in sse(&text) {
        let v: Value = serde_json::from_str(&data).unwrap();
        assert_eq!(v["type"], name.unwrap());
    }
    assert_eq!(mock.received()[0].header("x-api-key"), Some("sk-ant-test"));
    let body: Value = client()
        .post(format!("{}/v1/messages", mock.url()))
        .json(&json!({"model": "claude-sonnet-4-5", "max_tokens": 100, "messages": []}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let types: Vec<&str> = body["content"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["type"].as_str().unwrap())
        .collect();
    assert_eq!(types, ["thinking", "text", "tool_use", "tool_use"]);
    assert_eq!(body["stop_reason"], "tool_use");
    assert_eq!(body["content"][2]["input"]["city"], "Paris");
}

#[tokio::test]
async fn gemini_sse_and_array_streams() {
    let mock = MockUpstream::start().await.unwrap();
    mock.set_default(Script {
        reply: tool_reply(),
        ..Script::default()
    });
    let base = format!("{}/v1beta/models/gemini-2.5-pro", mock.url());
    let sse_text = client()
        .post(format!("{base}:streamGenerateContent?alt=sse"))
        .json(&json!({"contents": []}))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(sse_text.contains("\r\n\r\n"), "Gemini frames SSE with CRLF");
    let chunks: Vec<Value> = sse(&sse_text)
        .iter()
        .map(|(_, d)| serde_json::from_str(d).unwrap())
        .collect();
    let last = chunks.last().unwrap();
    assert_eq!(last["candidates"][0]["finishReason"], "STOP");
    assert_eq!(
        last["candidates"][0]["content"]["parts"][0]["functionCall"]["args"]["city"],
        "Paris"
    );
    assert_eq!(
        last["candidates"][0]["content"]["parts"][0]["thoughtSignature"],
        "sig-123"
    );
    assert_eq!(last["usageMetadata"]["promptTokenCount"], 12);
    assert_eq!(
        chunks[0]["candidates"][0]["content"]["parts"][0]["thought"],
        true
    );

    let array: Value = client()
        .post(format!("{base}:streamGenerateContent"))
        .json(&json!({"contents": []}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(array.as_array().unwrap().len(), chunks.len());
    let body: Value = client()
        .post(format!("{base}:generateContent"))
        .json(&json!({}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["modelVersion"], "gemini-2.5-pro");
}

#[tokio::test]
async fn responses_stream_grammar() {
    let mock = MockUpstream::start().await.unwrap();
    mock.set_default(Script {
        reply: tool_reply(),
        ..Script::default()
    });
    let text = client()
        .post(format!("{}/v1/responses", mock.url()))
        .json(&json!({"model": "gpt-5-codex", "stream": true, "input": "hi"}))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let events = sse(&text);
    assert_eq!(events[0].0.as_deref(), Some("response.created"));
    assert_eq!(
        events.last().unwrap().0.as_deref(),
        Some("response.completed")
    );
    for (i, (name, data)) in events.iter().enumerate() {
        let v: Value = serde_json::from_str(data).unwrap();
        assert_eq!(v["type"], name.clone().unwrap());
        assert_eq!(v["sequence_number"], i);
    }
    let done: Value = serde_json::from_str(&events.last().unwrap().1).unwrap();
    let kinds: Vec<&str> = done["response"]["output"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        ["reasoning", "message", "function_call", "function_call"]
    );
}

#[tokio::test]
async fn faults_status_retry_after_delay_cut_and_malformed() {
    let mock = MockUpstream::start().await.unwrap();
    let url = format!("{}/v1/messages", mock.url());
    let req = json!({"model": "m", "max_tokens": 5, "messages": [], "stream": true});

    mock.push(Script {
        fault: Fault {
            status: Some(429),
            retry_after: Some("7".into()),
            ..Fault::default()
        },
        ..Script::default()
    });
    let r = client().post(&url).json(&req).send().await.unwrap();
    assert_eq!(r.status(), 429);
    assert_eq!(r.headers()["retry-after"], "7");
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["type"], "rate_limit_error");

    mock.push(Script {
        fault: Fault {
            delay_ms: 300,
            ..Fault::default()
        },
        ..Script::default()
    });
    let started = Instant::now();
    client()
        .post(&url)
        .json(&req)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(started.elapsed() >= Duration::from_millis(300));

    mock.push(Script {
        fault: Fault {
            cut_after_events: Some(3),
            ..Fault::default()
        },
        ..Script::default()
    });
    let mut stream = client()
        .post(&url)
        .json(&req)
        .send()
        .await
        .unwrap()
        .bytes_stream();
    let mut got = Vec::new();
    let mut broke = false;
    while let Some(chunk) = stream.next().await {
        match chunk {
            Ok(b) => got.extend_from_slice(&b),
            Err(_) => {
                broke = true;
                break;
            }
        }
    }
    assert!(broke, "a cut stream must end with a transport error");
    assert_eq!(sse(&String::from_utf8_lossy(&got)).len(), 3);

    mock.push(Script {
        fault: Fault {
            error_event_after: Some(2),
            ..Fault::default()
        },
        ..Script::default()
    });
    let text = client()
        .post(&url)
        .json(&req)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let events = sse(&text);
    assert_eq!(events.len(), 3);
    assert_eq!(events[2].0.as_deref(), Some("error"));

    mock.push(Script {
        fault: Fault {
            malformed_json: true,
            ..Fault::default()
        },
        ..Script::default()
    });
    let text = client()
        .post(&url)
        .json(&json!({"model": "m"}))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(serde_json::from_str::<Value>(&text).is_err());
}

#[tokio::test]
async fn scripts_match_by_model_and_are_controllable_over_http() {
    let mock = MockUpstream::start().await.unwrap();
    let script = json!({"model": "b", "reply": {"text": "for b"}});
    let r = client()
        .post(format!("{}/__mock/script", mock.url()))
        .json(&script)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let url = format!("{}/v1/chat/completions", mock.url());
    let a: Value = client()
        .post(&url)
        .json(&json!({"model": "a"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        a["choices"][0]["message"]["content"],
        "Hello from the mock upstream."
    );
    let b: Value = client()
        .post(&url)
        .json(&json!({"model": "b"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(b["choices"][0]["message"]["content"], "for b");
    let received: Value = client()
        .get(format!("{}/__mock/received", mock.url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(received.as_array().unwrap().len(), 2);
    assert_eq!(received[1]["format"], "open_ai_chat");
}
