//! Every client format against every upstream format, over real HTTP: the gateway in front of
//! the mock upstream. Each cell runs the same cases; the matrix of passes is printed and every
//! case must pass.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::disallowed_methods,
    reason = "tests"
)]

use omniroute_e2e::clients::{self, FORMATS, Seen};
use omniroute_e2e::mock::{Fault, Format, Reply, Script, ToolCall};
use omniroute_e2e::{MockUpstream, TestGateway};
use serde_json::{Value, json};

struct Rig {
    gw: TestGateway,
    mock: MockUpstream,
    http: reqwest::Client,
}

impl Rig {
    async fn new() -> Self {
        let gw = TestGateway::start().await.unwrap();
        let mock = MockUpstream::start().await.unwrap();
        let http = reqwest::Client::new();
        for f in FORMATS {
            let name = clients::name(f);
            let base = match f {
                Format::OpenAiChat | Format::Responses => format!("{}/v1", mock.url()),
                Format::Anthropic | Format::Gemini => mock.url(),
            };
            let node = json!({"name": name, "prefix": format!("up-{name}"), "apiType": name, "baseUrl": base});
            let r = http
                .post(format!("{}/api/provider-nodes", gw.url))
                .json(&node)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
            let conn = json!({"provider": format!("up-{name}"), "apiKey": format!("key-for-{name}-0123456789")});
            let r = http
                .post(format!("{}/api/providers", gw.url))
                .json(&conn)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 201);
        }
        Self { gw, mock, http }
    }

    /// A fresh start for a cell: the mock's queue and log, and the gateway's cooldowns.
    async fn reset(&self) {
        self.mock.reset();
        let r = self
            .http
            .post(format!("{}/api/resilience/reset", self.gw.url))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    }

    async fn call(
        &self,
        client: Format,
        upstream: Format,
        stream: bool,
        with_tool: bool,
    ) -> (u16, String) {
        let model = format!("up-{}/m-1", clients::name(upstream));
        let (path, body) = clients::request(
            client,
            &model,
            "What is the weather in Paris?",
            stream,
            with_tool,
        );
        let r = self
            .http
            .post(format!("{}{path}", self.gw.url))
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        (status, r.text().await.unwrap_or_default())
    }

    async fn seen(
        &self,
        client: Format,
        upstream: Format,
        stream: bool,
        with_tool: bool,
    ) -> Result<Seen, String> {
        let (status, text) = self.call(client, upstream, stream, with_tool).await;
        if status != 200 {
            return Err(format!("status {status}: {text}"));
        }
        Ok(if stream {
            let seen = clients::read_stream(client, &text);
            if !seen.grammar.is_empty() {
                return Err(format!("grammar: {:?}", seen.grammar));
            }
            seen
        } else {
            clients::read_body(
                client,
                &serde_json::from_str(&text).map_err(|e| format!("{e}: {text}"))?,
            )
        })
    }
}

fn weather_calls(n: usize) -> Reply {
    let calls = [("call_w1", "Paris"), ("call_w2", "Rome")];
    Reply {
        text: String::new(),
        tool_calls: calls[..n]
            .iter()
            .map(|(id, city)| ToolCall {
                id: (*id).into(),
                name: "get_weather".into(),
                arguments: json!({"city": city}).to_string(),
            })
            .collect(),
        ..Reply::default()
    }
}

fn expect_calls(n: usize) -> Vec<(String, Value)> {
    ["Paris", "Rome"][..n]
        .iter()
        .map(|c| ("get_weather".to_owned(), json!({"city": c})))
        .collect()
}

type Case = (&'static str, Result<(), String>);

async fn run_cell(rig: &Rig, client: Format, upstream: Format) -> Vec<Case> {
    rig.reset().await;
    let mut out: Vec<Case> = Vec::new();
    let hello = "Hello from the mock upstream.";
    let check = |ok: bool, what: String| if ok { Ok(()) } else { Err(what) };

    for stream in [false, true] {
        let seen = rig.seen(client, upstream, stream, false).await;
        let name = if stream { "text stream" } else { "text" };
        out.push((
            name,
            seen.and_then(|s| {
                check(
                    s.text == hello && s.finished && s.error.is_none(),
                    format!("{s:?}"),
                )
            }),
        ));
    }

    // The upstream saw its own format, the model without prefix, and the system prompt.
    let Some(last) = rig.mock.received().pop() else {
        panic!("{client:?} → {upstream:?}: nothing reached the upstream: {out:?}");
    };
    let body = last.body.to_string();
    out.push((
        "upstream request",
        check(
            last.format == Some(upstream)
                && (upstream == Format::Gemini && last.path.contains("models/m-1:")
                    || last.body["model"] == "m-1")
                && body.contains("You are terse."),
            format!("{last:?}"),
        ),
    ));

    for (n, name, stream) in [
        (1, "tool call", false),
        (1, "tool call stream", true),
        (2, "parallel tool calls stream", true),
    ] {
        rig.mock.push(Script {
            model: Some("m-1".into()),
            reply: weather_calls(n),
            ..Script::default()
        });
        let seen = rig.seen(client, upstream, stream, true).await;
        out.push((
            name,
            seen.and_then(|s| {
                check(
                    s.calls == expect_calls(n) && s.error.is_none(),
                    format!("{s:?}"),
                )
            }),
        ));
    }
    let tools_sent = rig
        .mock
        .received()
        .pop()
        .unwrap()
        .body
        .to_string()
        .contains("get_weather");
    out.push((
        "tool declaration",
        check(tools_sent, "upstream did not receive the tool".into()),
    ));

    rig.mock.push(Script {
        fault: Fault {
            status: Some(429),
            retry_after: Some("3".into()),
            error_message: Some("quota gone".into()),
            ..Fault::default()
        },
        ..Script::default()
    });
    let (status, text) = rig.call(client, upstream, false, false).await;
    let message = serde_json::from_str(&text)
        .ok()
        .and_then(|v| clients::error_message(client, &v));
    out.push((
        "upstream 429",
        check(
            status == 429 && message.is_some_and(|m| m.contains("quota gone")),
            format!("{status} {text}"),
        ),
    ));

    // Far enough into the stream that content has reached the client (Gemini's first event
    // already carries text; the others open with several bookkeeping events).
    let after_content = if upstream == Format::Gemini { 2 } else { 6 };
    rig.reset().await;
    rig.mock.push(Script {
        fault: Fault {
            error_event_after: Some(after_content),
            ..Fault::default()
        },
        ..Script::default()
    });
    let seen = rig.seen(client, upstream, true, false).await;
    out.push((
        "mid-stream error",
        seen.and_then(|s| check(s.error.is_some() && !s.finished, format!("{s:?}"))),
    ));

    rig.reset().await;
    rig.mock.push(Script {
        fault: Fault {
            cut_after_events: Some(after_content),
            ..Fault::default()
        },
        ..Script::default()
    });
    let seen = rig.seen(client, upstream, true, false).await;
    out.push((
        "stream cut",
        seen.and_then(|s| check(s.error.is_some() && !s.finished, format!("{s:?}"))),
    ));
    out
}

#[tokio::test]
async fn every_client_format_through_every_upstream_format() {
    let rig = Rig::new().await;
    let mut failures = Vec::new();
    let mut table = String::from(
        "| client \\ upstream | openai | anthropic | gemini | responses |\n|---|---|---|---|---|\n",
    );
    for client in FORMATS {
        table.push_str(&format!("| {} |", clients::name(client)));
        for upstream in FORMATS {
            let cases = run_cell(&rig, client, upstream).await;
            let passed = cases.iter().filter(|(_, r)| r.is_ok()).count();
            table.push_str(&format!(" {passed}/{} |", cases.len()));
            for (name, result) in cases {
                if let Err(e) = result {
                    failures.push(format!(
                        "{} → {}: {name}: {e}",
                        clients::name(client),
                        clients::name(upstream)
                    ));
                }
            }
        }
        table.push('\n');
    }
    println!("{table}");
    assert!(failures.is_empty(), "{table}\n{}", failures.join("\n"));
}
