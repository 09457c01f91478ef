//! The Translator's API over real HTTP: `POST /api/translator/translate` for every pair of
//! formats, its errors, answers (`kind: "response"`), and the live monitor's server-sent events
//! for requests sent through the gateway to the mock upstream.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::disallowed_methods,
    reason = "tests"
)]

use std::time::Duration;

use futures_util::StreamExt;
use omniroute_e2e::clients::{self, FORMATS};
use omniroute_e2e::mock::Format;
use omniroute_e2e::{MockUpstream, TestGateway};
use serde_json::{Value, json};

async fn translate(gw: &TestGateway, body: Value) -> (u16, Value) {
    let r = reqwest::Client::new()
        .post(format!("{}/api/translator/translate", gw.url))
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap())
}

#[tokio::test]
async fn every_pair_of_formats_translates_a_request() {
    let gw = TestGateway::start().await.unwrap();
    for from in FORMATS {
        let (_, body) = clients::request(from, "gpt-4o", "Hello there", false, true);
        for to in FORMATS {
            let (status, out) = translate(
                &gw,
                json!({"from": clients::name(from), "to": clients::name(to), "body": body, "model": "gpt-4o"}),
            )
            .await;
            assert_eq!(status, 200, "{from:?} -> {to:?}: {out}");
            assert_eq!(out["model"], "gpt-4o", "{from:?} -> {to:?}: {out}");
            let text = out["body"].to_string();
            assert!(text.contains("Hello there"), "{from:?} -> {to:?}: {text}");
            assert!(text.contains("get_weather"), "{from:?} -> {to:?}: {text}");
            assert!(
                text.contains("You are terse."),
                "{from:?} -> {to:?}: {text}"
            );
        }
    }

    // The target's own shape: Anthropic's system prompt and max_tokens, Gemini's contents.
    let (_, body) = clients::request(Format::OpenAiChat, "gpt-4o", "Hi", false, false);
    let (_, out) = translate(
        &gw,
        json!({"from": "openai", "to": "anthropic", "body": body}),
    )
    .await;
    assert_eq!(out["body"]["model"], "gpt-4o");
    assert!(out["body"]["max_tokens"].as_u64().is_some(), "{out}");
    assert_eq!(out["body"]["messages"][0]["role"], "user");
    assert!(out["body"]["system"].to_string().contains("You are terse."));
    let (_, out) = translate(&gw, json!({"from": "openai", "to": "gemini", "body": body})).await;
    assert_eq!(
        out["body"]["contents"][0]["parts"][0]["text"], "Hi",
        "{out}"
    );
    assert!(out["body"].get("model").is_none());
    gw.shutdown().await;
}

#[tokio::test]
async fn mistakes_are_400s_naming_the_problem() {
    let gw = TestGateway::start().await.unwrap();
    let (_, gemini) = clients::request(Format::Gemini, "gemini-2.5-flash", "Hi", false, false);
    let cases = [
        (
            json!({"from": "cobol", "to": "openai", "body": {}}),
            "from: unknown format 'cobol'",
        ),
        (
            json!({"from": "openai", "to": "anthropic", "body": {"model": "m"}}),
            "body is not a valid openai request: messages",
        ),
        (
            json!({"from": "openai", "to": "anthropic", "body": {"model": "m", "messages": "hi"}}),
            "messages",
        ),
        (
            json!({"from": "gemini", "to": "openai", "body": gemini}),
            "model: is required",
        ),
        (
            json!({"from": "openai", "to": "gemini", "body": [1]}),
            "body: must be a JSON object",
        ),
        (
            json!({"from": "openai", "to": "gemini", "body": {}, "kind": "reply"}),
            "kind",
        ),
        (
            json!({"from": "anthropic", "to": "openai", "body": {"content": 3}, "kind": "response"}),
            "body is not a valid anthropic response",
        ),
    ];
    for (input, expected) in cases {
        let (status, out) = translate(&gw, input.clone()).await;
        assert_eq!(status, 400, "{input}: {out}");
        assert_eq!(out["error"]["code"], "invalid_request", "{input}: {out}");
        let message = out["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains(expected), "{input}: {message}");
    }

    // With the model beside the body, a Gemini request translates.
    let (status, out) = translate(
        &gw,
        json!({"from": "gemini", "to": "openai", "body": gemini, "model": "gemini-2.5-flash"}),
    )
    .await;
    assert_eq!(status, 200, "{out}");
    assert_eq!(out["body"]["model"], "gemini-2.5-flash");
    assert_eq!(out["body"]["messages"][1]["content"], "Hi", "{out}");
    gw.shutdown().await;
}

#[tokio::test]
async fn a_response_translates_for_another_client() {
    let gw = TestGateway::start().await.unwrap();
    let openai = json!({
        "id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": "gpt-4o",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hello back"},
                     "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5}
    });
    let (status, out) = translate(
        &gw,
        json!({"from": "openai", "to": "anthropic", "body": openai, "kind": "response"}),
    )
    .await;
    assert_eq!(status, 200, "{out}");
    assert_eq!(out["body"]["type"], "message");
    assert_eq!(out["body"]["content"][0]["text"], "Hello back");
    assert_eq!(out["body"]["stop_reason"], "end_turn");
    assert_eq!(out["body"]["usage"]["output_tokens"], 2);
    assert_eq!(out["body"]["model"], "gpt-4o");
    gw.shutdown().await;
}

/// Reads the SSE stream until a `data:` line arrives, returning it parsed.
async fn next_event(
    stream: &mut (impl futures_util::Stream<Item = reqwest::Result<bytes::Bytes>> + Unpin),
    buffer: &mut String,
) -> Value {
    loop {
        if let Some(end) = buffer.find("\n\n") {
            let block: String = buffer.drain(..end + 2).collect();
            if let Some(data) = block.lines().find_map(|l| l.strip_prefix("data: ")) {
                return serde_json::from_str(data).unwrap();
            }
            continue;
        }
        let chunk = tokio::time::timeout(Duration::from_secs(10), stream.next())
            .await
            .expect("a monitor event within 10 s")
            .expect("the monitor stream stays open")
            .unwrap();
        buffer.push_str(&String::from_utf8_lossy(&chunk));
    }
}

#[tokio::test]
async fn the_monitor_streams_each_request_as_it_finishes() {
    let gw = TestGateway::start().await.unwrap();
    let mock = MockUpstream::start().await.unwrap();
    gw.add_node("up", "openai", &mock.base_url(Format::OpenAiChat))
        .await;
    gw.add_connection("up", "main", "upstream-key-0123456789")
        .await;
    let http = reqwest::Client::new();

    let monitor = http
        .get(format!("{}/api/translator/monitor", gw.url))
        .send()
        .await
        .unwrap();
    assert_eq!(monitor.status(), 200);
    let content_type = monitor.headers()["content-type"].to_str().unwrap();
    assert!(
        content_type.starts_with("text/event-stream"),
        "{content_type}"
    );
    let mut events = monitor.bytes_stream();
    let mut buffer = String::new();

    // An Anthropic client, served by an OpenAI-format upstream.
    let (path, body) = clients::request(Format::Anthropic, "up/m-1", "hi", false, false);
    let r = http
        .post(format!("{}{path}", gw.url))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let event = next_event(&mut events, &mut buffer).await;
    assert_eq!(event["clientFormat"], "anthropic", "{event}");
    assert_eq!(event["upstreamFormat"], "openai", "{event}");
    assert_eq!(event["model"], "up/m-1", "{event}");
    assert_eq!(event["provider"], "up", "{event}");
    assert_eq!(event["status"], 200, "{event}");
    assert_eq!(event["stream"], false, "{event}");
    assert!(event["ts"].as_i64().unwrap() > 0, "{event}");

    // A streamed Responses request: its event comes when the stream is over.
    let (path, body) = clients::request(Format::Responses, "up/m-1", "hi", true, false);
    let r = http
        .post(format!("{}{path}", gw.url))
        .json(&body)
        .send()
        .await
        .unwrap();
    let _ = r.text().await.unwrap();
    let event = next_event(&mut events, &mut buffer).await;
    assert_eq!(event["clientFormat"], "responses", "{event}");
    assert_eq!(event["stream"], true, "{event}");
    assert_eq!(event["status"], 200, "{event}");

    // A request nobody can serve still shows, without an upstream format.
    let (path, body) = clients::request(Format::OpenAiChat, "nowhere/m", "hi", false, false);
    let r = http
        .post(format!("{}{path}", gw.url))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_client_error(), "{}", r.status());
    let event = next_event(&mut events, &mut buffer).await;
    assert_eq!(event["model"], "nowhere/m", "{event}");
    assert!(event["upstreamFormat"].is_null(), "{event}");
    assert_eq!(
        event["status"].as_i64(),
        Some(i64::from(r.status().as_u16()))
    );

    // Shutdown ends the monitor stream instead of waiting out the grace period.
    let started = std::time::Instant::now();
    gw.shutdown().await;
    assert!(started.elapsed() < Duration::from_secs(5));
    drop(events);
}
