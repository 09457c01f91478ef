//! Every operation takes the one request path: embeddings and images fall over in a combo like
//! chat, keys' budgets stop them, breakers and lockouts skip them, and their usage rows carry
//! the tokens the upstream reported; blocked providers are skipped in combos and refused when
//! named; and a request a translated upstream cannot carry is refused with the JSON path of
//! what it could not carry, before anything is sent.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::disallowed_methods,
    reason = "tests"
)]

use std::time::{Duration, Instant};

use omniroute_e2e::clients::{self, FORMATS};
use omniroute_e2e::mock::{Fault, Format, Script};
use omniroute_e2e::{MockUpstream, TestGateway};
use serde_json::{Value, json};

/// A gateway with OpenAI-compatible nodes `p1`, `p2`, `p3` on the mock, a node `dead` nobody
/// answers, a node per upstream format (`up-openai`, …), and combos of embedding models.
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
        let dead = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let openai = format!("{}/v1", mock.url());
        for (prefix, base) in [
            ("p1", openai.clone()),
            ("p2", openai.clone()),
            ("p3", openai),
            ("dead", format!("http://127.0.0.1:{dead}/v1")),
        ] {
            gw.add_node(prefix, "openai", &base).await;
            gw.add_connection(prefix, &format!("{prefix}-main"), "sk-node-0123456789")
                .await;
        }
        for f in FORMATS {
            let name = clients::name(f);
            gw.add_node(&format!("up-{name}"), name, &mock.base_url(f))
                .await;
            gw.add_connection(&format!("up-{name}"), name, "sk-node-0123456789")
                .await;
        }
        let rig = Self { gw, mock, http };
        let profiles = json!({"profiles": {"apiKey": {"failureThreshold": 2, "cooldownMs": 60000},
            "backoff": {"baseMs": 1, "maxMs": 1}}});
        assert_eq!(rig.patch("/api/resilience", profiles).await, 200);
        for (name, models) in [
            ("emb", json!(["p1/e-1", "p2/e-2"])),
            ("emb-dead", json!(["dead/e-0", "p2/e-2"])),
            ("img", json!(["p1/i-1", "p2/i-2"])),
            ("chat", json!(["p1/m-1", "up-anthropic/m-2"])),
        ] {
            let r = rig
                .http
                .post(format!("{}/api/combos", rig.gw.url))
                .json(&json!({"name": name, "strategy": "priority", "models": models}))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
        }
        rig
    }

    async fn patch(&self, path: &str, body: Value) -> u16 {
        let r = self
            .http
            .patch(format!("{}{path}", self.gw.url))
            .json(&body)
            .send()
            .await
            .unwrap();
        r.status().as_u16()
    }

    fn fail(&self, model: &str, status: u16) {
        self.mock.push(Script {
            model: Some(model.into()),
            fault: Fault {
                status: Some(status),
                ..Fault::default()
            },
            ..Script::default()
        });
    }

    /// `POST {path}` with `body` (and `key` as bearer): status, route header, JSON body.
    async fn post(&self, path: &str, body: Value, key: Option<&str>) -> (u16, String, Value) {
        let mut request = self.http.post(format!("{}{path}", self.gw.url)).json(&body);
        if let Some(key) = key {
            request = request.bearer_auth(key);
        }
        let r = request.send().await.unwrap();
        let status = r.status().as_u16();
        let route = r
            .headers()
            .get("x-omniroute-route")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        let text = r.text().await.unwrap();
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        (status, route, body)
    }

    async fn embed(&self, model: &str, key: Option<&str>) -> (u16, String, Value) {
        let body = json!({"model": model, "input": ["one", "two"]});
        self.post("/v1/embeddings", body, key).await
    }

    /// The newest usage row once `n` rows are stored.
    async fn usage_rows(&self, n: usize) -> Vec<Value> {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let report: Value = self
                .http
                .get(format!("{}/api/usage?limit=1000", self.gw.url))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            let rows = report["requests"].as_array().unwrap().clone();
            if rows.len() >= n {
                return rows;
            }
            assert!(
                Instant::now() < deadline,
                "expected {n} usage rows: {report}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    fn models_received(&self) -> Vec<String> {
        self.mock
            .received()
            .iter()
            .map(|r| r.body["model"].as_str().unwrap_or_default().to_owned())
            .collect()
    }
}

#[tokio::test]
async fn media_falls_over_in_combos_like_chat() {
    let rig = Rig::new().await;
    // 500, 429 and a refused connection on the first target: the second serves.
    for (combo, fault) in [("emb", Some(500)), ("emb", Some(429)), ("emb-dead", None)] {
        rig.mock.reset();
        if let Some(status) = fault {
            rig.fail("e-1", status);
        }
        let (status, route, body) = rig.embed(combo, None).await;
        assert_eq!(status, 200, "{combo} {fault:?}: {body}");
        assert!(
            route.starts_with("p2/e-2;") && route.ends_with("attempts=2"),
            "{combo} {fault:?}: {route}"
        );
        assert_eq!(body["data"].as_array().unwrap().len(), 2, "{body}");
    }
    rig.mock.reset();
    rig.fail("i-1", 503);
    let body = json!({"model": "img", "prompt": "a lighthouse", "n": 1});
    let (status, route, out) = rig.post("/v1/images/generations", body, None).await;
    assert_eq!(status, 200, "{out}");
    assert!(route.starts_with("p2/i-2;"), "{route}");
    assert!(out["data"][0]["b64_json"].is_string() || out["data"][0]["url"].is_string());

    // One usage row per request, with the served model, the reason of the fallback and the
    // tokens the upstream reported (the mock counts 4 per input text).
    let rows = rig.usage_rows(4).await;
    let embedding = rows
        .iter()
        .find(|r| r["model"] == "p2/e-2" && r["combo"] == "emb-dead")
        .unwrap_or_else(|| panic!("{rows:#?}"));
    assert_eq!(embedding["inputTokens"], 8, "{embedding}");
    assert_eq!(embedding["attempts"], 2, "{embedding}");
    assert_eq!(embedding["clientFormat"], "openai");
    let reasons = embedding["fallbackReasons"].as_str().unwrap();
    assert!(reasons.contains("dead/e-0"), "{reasons}");
    let image = rows.iter().find(|r| r["model"] == "p2/i-2").unwrap();
    assert!(
        image["fallbackReasons"]
            .as_str()
            .unwrap()
            .contains("p1/i-1"),
        "{image}"
    );
    rig.gw.shutdown().await;
}

#[tokio::test]
async fn budgets_breakers_and_lockouts_apply_to_media() {
    let rig = Rig::new().await;
    // Budget: $4 per request (2 texts × 4 tokens at $500 per 1K) against a daily $1.
    let r = rig
        .http
        .put(format!("{}/api/pricing", rig.gw.url))
        .json(&json!({"p1/e-1": {"inputPer1k": 500.0, "outputPer1k": 0.0}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let created: Value = rig
        .http
        .post(format!("{}/api/keys", rig.gw.url))
        .json(&json!({"name": "embedder"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let (id, key) = (
        created["id"].as_str().unwrap(),
        created["key"].as_str().unwrap(),
    );
    let r = rig
        .http
        .post(format!("{}/api/usage/budget", rig.gw.url))
        .json(&json!({"keyId": id, "limit": 1.0, "period": "daily"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let (status, _, body) = rig.embed("p1/e-1", Some(key)).await;
    assert_eq!(status, 200, "{body}");
    let calls = rig.mock.received().len();
    let (status, _, body) = rig.embed("p1/e-1", Some(key)).await;
    assert_eq!(status, 429, "{body}");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("daily budget of API key 'embedder'"),
        "{message}"
    );
    let body = json!({"model": "p1/i-1", "prompt": "x"});
    let (status, _, _) = rig.post("/v1/images/generations", body, Some(key)).await;
    assert_eq!(status, 429, "images are refused too");
    assert_eq!(rig.mock.received().len(), calls, "nothing reached upstream");

    // Breaker: two failures open p3's breaker; the third request is not sent.
    for _ in 0..2 {
        rig.fail("e-3", 500);
        let (status, _, _) = rig.embed("p3/e-3", None).await;
        assert_eq!(status, 500);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    rig.mock.reset();
    let (status, _, body) = rig.embed("p3/e-3", None).await;
    assert_eq!(status, 503, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("circuit open for provider 'p3'"),
        "{body}"
    );
    assert!(rig.mock.received().is_empty());

    // Lockout: a locked model is skipped; the combo's next target serves.
    let r = rig
        .http
        .post(format!("{}/api/resilience/lock", rig.gw.url))
        .json(&json!({"scope": "model", "target": "p1/e-1", "reason": "maintenance"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let (status, route, _) = rig.embed("emb", None).await;
    assert_eq!(status, 200);
    assert!(
        route.starts_with("p2/e-2;") && route.ends_with("attempts=1"),
        "{route}"
    );
    assert!(!rig.models_received().contains(&"e-1".to_owned()));
    rig.gw.shutdown().await;
}

#[tokio::test]
async fn blocked_providers_are_skipped_in_combos_and_refused_when_named() {
    let rig = Rig::new().await;
    let blocked = json!({"security": {"blockedProviders": ["p1"]}});
    assert_eq!(rig.patch("/api/settings", blocked).await, 200);

    // In a combo: skipped with the reason, the next target serves.
    let (status, route, _) = rig.embed("emb", None).await;
    assert_eq!(status, 200);
    assert!(
        route.starts_with("p2/e-2;") && route.ends_with("attempts=1"),
        "{route}"
    );
    let (path, body) = clients::request(Format::OpenAiChat, "chat", "hi", false, false);
    let (status, route, _) = rig.post(&path, body, None).await;
    assert_eq!(status, 200);
    assert!(route.starts_with("up-anthropic/m-2;"), "{route}");
    let rows = rig.usage_rows(2).await;
    assert!(
        rows.iter().all(|r| r["fallbackReasons"]
            .as_str()
            .unwrap_or_default()
            .contains("provider 'p1' is blocked")),
        "{rows:#?}"
    );

    // Named directly: 403 in the client's own format, for chat in every format and for media.
    for format in FORMATS {
        let (path, body) = clients::request(format, "p1/m-1", "hi", false, false);
        let (status, _, body) = rig.post(&path, body, None).await;
        assert_eq!(status, 403, "{format:?}: {body}");
        let message = clients::error_message(format, &body).unwrap();
        assert!(message.contains("provider 'p1' is blocked"), "{message}");
    }
    let (status, _, body) = rig.embed("p1/e-1", None).await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["error"]["type"], "permission_error", "{body}");
    assert!(
        !rig.models_received().iter().any(|m| m.ends_with("-1")),
        "nothing reached the blocked provider: {:?}",
        rig.models_received()
    );
    rig.gw.shutdown().await;
}

/// A body in `format` for `model` whose first user message holds one part `part` the IR cannot
/// hold, with the JSON path of that part.
fn with_unknown_part(format: Format, model: &str) -> (String, Value, &'static str) {
    match format {
        Format::OpenAiChat => (
            "/v1/chat/completions".into(),
            json!({"model": model, "messages": [{"role": "user", "content": [
                {"type": "text", "text": "hi"}, {"type": "nonsense", "x": 1}]}]}),
            "messages[0].content[1]",
        ),
        Format::Anthropic => (
            "/v1/messages".into(),
            json!({"model": model, "max_tokens": 64, "messages": [{"role": "user", "content": [
                {"type": "nonsense"}]}]}),
            "messages[0].content[0]",
        ),
        Format::Gemini => (
            format!("/v1beta/models/{model}:generateContent"),
            json!({"contents": [{"role": "user", "parts": [{"text": "hi"},
                {"executableCode": {"language": "PYTHON", "code": "print(1)"}}]}]}),
            "contents[0].parts[1]",
        ),
        Format::Responses => (
            "/v1/responses".into(),
            json!({"model": model, "input": [
                {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "hi"}]},
                {"type": "item_reference", "id": "msg_1"}]}),
            "input[1]",
        ),
    }
}

#[tokio::test]
async fn what_a_translated_upstream_cannot_carry_is_refused_with_its_path() {
    let rig = Rig::new().await;
    let mut table = vec![
        "| client → upstream | answer |".to_owned(),
        "|---|---|".to_owned(),
    ];
    for client in FORMATS {
        for upstream in FORMATS {
            rig.mock.reset();
            let model = format!("up-{}/m-1", clients::name(upstream));
            let (path, body, json_path) = with_unknown_part(client, &model);
            let (status, _, answer) = rig.post(&path, body.clone(), None).await;
            let pair = format!("{client:?} → {upstream:?}");
            if client == upstream {
                // Relayed as sent: the unknown part reaches the upstream untouched.
                assert_eq!(status, 200, "{pair}: {answer}");
                let received = rig.mock.received();
                assert_eq!(received.len(), 1, "{pair}");
                let sent = serde_json::to_string(&received[0].body).unwrap();
                let unknown = ["nonsense", "executableCode", "item_reference"];
                assert!(unknown.iter().any(|u| sent.contains(u)), "{pair}: {sent}");
                table.push(format!("| {pair} | 200, relayed with the part |"));
                continue;
            }
            assert_eq!(status, 400, "{pair}: {answer}");
            let message = clients::error_message(client, &answer).unwrap();
            assert!(
                message.contains(json_path) && message.contains("cannot be sent to"),
                "{pair}: {message}"
            );
            assert!(rig.mock.received().is_empty(), "{pair}: nothing sent");
            table.push(format!("| {pair} | 400 `{message}` |"));
        }
    }
    // A combo whose first target cannot carry the request skips it for one that can.
    rig.mock.reset();
    let (path, body, _) = with_unknown_part(Format::Anthropic, "chat");
    let (status, route, answer) = rig.post(&path, body, None).await;
    assert_eq!(status, 200, "{answer}");
    assert!(route.starts_with("up-anthropic/m-2;"), "{route}");
    println!("{}", table.join("\n"));
    rig.gw.shutdown().await;
}

#[tokio::test]
async fn codex_tool_groups_are_carried_and_hosted_tools_reported() {
    let rig = Rig::new().await;
    // Codex's request shape: function tools, a `namespace` group (an MCP server's tools), a
    // hosted web search; sent to an Anthropic upstream.
    let body = json!({"model": "up-anthropic/m-1", "input": "run js", "tools": [
        {"type": "function", "name": "shell", "parameters": {"type": "object"}},
        {"type": "namespace", "name": "mcp__node_repl", "description": "A Node REPL", "tools": [
            {"type": "function", "name": "js", "parameters": {"type": "object"}}]},
        {"type": "web_search"}
    ]});
    rig.mock.push(Script {
        reply: omniroute_e2e::mock::Reply {
            text: String::new(),
            tool_calls: vec![omniroute_e2e::mock::ToolCall {
                id: "toolu_1".into(),
                name: "mcp__node_repl__js".into(),
                arguments: "{\"code\":\"1+1\"}".into(),
            }],
            ..omniroute_e2e::mock::Reply::default()
        },
        ..Script::default()
    });
    let r = rig
        .http
        .post(format!("{}/v1/responses", rig.gw.url))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let dropped = r.headers()["x-omniroute-dropped"]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(dropped, "tools[2]: built-in tool 'web_search'");
    let answer: Value = r.json().await.unwrap();
    let call = answer["output"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["type"] == "function_call")
        .unwrap_or_else(|| panic!("{answer}"));
    assert_eq!(call["name"], "js", "{answer}");
    assert_eq!(call["namespace"], "mcp__node_repl", "{answer}");
    let sent = &rig.mock.received()[0].body;
    let names: Vec<&str> = sent["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["shell", "mcp__node_repl__js"], "{sent}");
    rig.gw.shutdown().await;
}
