//! The subscription providers' protocols behind a sign-in, through the gateway with the mock
//! upstream speaking each: Codex (ChatGPT's backend — always streamed, collected for a client
//! that wants a whole answer, the account id header from the id token), Gemini Code Assist
//! (project onboarding at sign-in, the Gemini body in its envelope both ways) and Kiro (AWS SSO
//! OIDC device sign-in with client registration, answers as an AWS event stream).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::disallowed_methods,
    reason = "tests"
)]

use omniroute_e2e::mock::{Reply, Script, ToolCall};
use omniroute_e2e::oauth_server::{settle, sign_in_by_browser};
use omniroute_e2e::{FakeAuthServer, MockUpstream, TestGateway};
use serde_json::{Value, json};

fn oauth(auth: &FakeAuthServer) -> Value {
    let a = auth.url();
    json!({
        "authorize_url": format!("{a}/authorize"),
        "token_url": format!("{a}/token"),
        "client_id": "test-client",
        "redirect": {"host": "127.0.0.1", "path": "/cb"}
    })
}

fn entry(id: &str, wire: &str, base_url: String, model: &str, oauth: Value) -> Value {
    json!({"id": id, "name": id, "tier": "subscription", "wire": wire, "base_url": base_url,
           "auth": "bearer", "login": "oauth_pkce", "models": [{"id": model, "kind": "chat"}],
           "oauth": oauth})
}

async fn gateway(providers: Vec<Value>) -> TestGateway {
    let dir = tempfile::tempdir().unwrap();
    let catalog = json!({ "providers": providers });
    std::fs::write(dir.path().join("providers.json"), catalog.to_string()).unwrap();
    TestGateway::start_in(dir, &[]).await.unwrap()
}

async fn chat(gw: &TestGateway, model: &str, stream: bool) -> (u16, String) {
    let r = reqwest::Client::new()
        .post(format!("{}/v1/chat/completions", gw.url))
        .json(&json!({"model": model, "stream": stream,
                      "messages": [{"role": "system", "content": "Be brief."},
                                   {"role": "user", "content": "hi"}]}))
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

fn streamed_text(body: &str) -> String {
    body.lines()
        .filter_map(|l| l.strip_prefix("data: "))
        .filter(|d| *d != "[DONE]")
        .filter_map(|d| serde_json::from_str::<Value>(d).ok())
        .filter_map(|v| {
            v.pointer("/choices/0/delta/content")
                .and_then(Value::as_str)
                .map(str::to_owned)
        })
        .collect()
}

#[tokio::test]
async fn codex_streams_unstored_and_a_whole_answer_is_collected_for_clients_that_want_one() {
    let auth = FakeAuthServer::start().await.unwrap();
    let mock = MockUpstream::start().await.unwrap();
    let mut spec = oauth(&auth);
    spec["account_id_header"] = json!("chatgpt-account-id");
    let gw = gateway(vec![entry(
        "cx",
        "codex",
        format!("{}/backend-api/codex", mock.url()),
        "gpt-5",
        spec,
    )])
    .await;
    sign_in_by_browser(&gw.url, "cx").await;
    let accounts: Value = reqwest::get(format!("{}/api/providers", gw.url))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(accounts[0]["auth"]["plan"], "plus", "{accounts}");

    mock.push(Script {
        reply: Reply::text("Collected from a stream."),
        ..Script::default()
    });
    let (status, body) = chat(&gw, "cx/gpt-5", false).await;
    assert_eq!(status, 200, "{body}");
    let answer: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        answer["choices"][0]["message"]["content"],
        "Collected from a stream."
    );
    let seen = mock.received();
    let sent = seen.last().unwrap();
    assert_eq!(sent.path, "/backend-api/codex/responses");
    assert_eq!(sent.body["stream"], true, "Codex always streams");
    assert_eq!(sent.body["store"], false);
    assert_eq!(sent.body["instructions"], "Be brief.");
    assert!(
        sent.body["include"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i == "reasoning.encrypted_content")
    );
    assert_eq!(sent.header("chatgpt-account-id"), Some("acct-test"));
    assert!(
        sent.header("authorization")
            .unwrap()
            .starts_with("Bearer at-")
    );

    mock.push(Script {
        reply: Reply::text("Streamed through."),
        ..Script::default()
    });
    let (status, body) = chat(&gw, "cx/gpt-5", true).await;
    assert_eq!(status, 200);
    assert_eq!(streamed_text(&body), "Streamed through.");

    // A stream that fails mid-way reaches a whole-answer client as an error, not as text.
    mock.push(Script {
        fault: omniroute_e2e::mock::Fault {
            error_event_after: Some(2),
            ..Default::default()
        },
        ..Script::default()
    });
    let (status, body) = chat(&gw, "cx/gpt-5", false).await;
    assert!(status >= 500, "{status} {body}");
}

#[tokio::test]
async fn code_assist_onboards_at_sign_in_and_carries_gemini_in_its_envelope() {
    let auth = FakeAuthServer::start().await.unwrap();
    let mock = MockUpstream::start().await.unwrap();
    let gw = gateway(vec![entry(
        "gc",
        "gemini-code-assist",
        mock.url(),
        "gemini-2.5-pro",
        oauth(&auth),
    )])
    .await;
    sign_in_by_browser(&gw.url, "gc").await;
    let setup: Vec<String> = mock.received().iter().map(|r| r.path.clone()).collect();
    assert_eq!(
        setup,
        ["/v1internal:loadCodeAssist", "/v1internal:onboardUser"]
    );

    mock.push(Script {
        reply: Reply::text("From Code Assist."),
        ..Script::default()
    });
    let (status, body) = chat(&gw, "gc/gemini-2.5-pro", false).await;
    assert_eq!(status, 200, "{body}");
    let answer: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        answer["choices"][0]["message"]["content"],
        "From Code Assist."
    );
    let seen = mock.received();
    let sent = seen.last().unwrap();
    assert_eq!(sent.path, "/v1internal:generateContent");
    assert_eq!(sent.body["model"], "gemini-2.5-pro");
    assert_eq!(
        sent.body["project"],
        omniroute_e2e::mock::subscription::PROJECT
    );
    assert_eq!(
        sent.body["request"]["contents"][0]["parts"][0]["text"],
        "hi"
    );

    mock.push(Script {
        reply: Reply::text("Streamed from Code Assist."),
        ..Script::default()
    });
    let (status, body) = chat(&gw, "gc/gemini-2.5-pro", true).await;
    assert_eq!(status, 200);
    assert_eq!(streamed_text(&body), "Streamed from Code Assist.");
    assert_eq!(
        mock.received().last().unwrap().query.as_deref(),
        Some("alt=sse")
    );
}

#[tokio::test]
async fn kiro_signs_in_through_aws_sso_oidc_and_answers_through_its_event_stream() {
    let auth = FakeAuthServer::start().await.unwrap();
    let mock = MockUpstream::start().await.unwrap();
    auth.with(|s| s.pending_polls = 0);
    let a = auth.url();
    let spec = json!({
        "token_url": format!("{a}/token"),
        "token_encoding": "json",
        "scopes": ["codewhisperer:completions"],
        "device": {"protocol": "aws-sso-oidc", "register_url": format!("{a}/client/register"),
                   "code_url": format!("{a}/device_authorization"), "token_url": format!("{a}/token"),
                   "start_url": "https://view.awsapps.com/start"}
    });
    let gw = gateway(vec![entry(
        "kr",
        "kiro",
        mock.url(),
        "claude-sonnet-4.5",
        spec,
    )])
    .await;
    let started: Value = reqwest::Client::new()
        .post(format!("{}/api/oauth/kr/start", gw.url))
        .json(&json!({}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(started["kind"], "device", "{started}");
    let done = settle(&gw.url, started["flowId"].as_str().unwrap()).await;
    assert_eq!(done["status"], "connected", "{done}");
    // The device poll went with the registered client, in AWS's camelCase.
    let poll = auth.with(|s| s.token_requests.last().cloned().unwrap());
    assert_eq!(poll.get("clientId").map(String::as_str), Some("client-1"));
    assert!(poll.contains_key("deviceCode"));

    mock.push(Script {
        reply: Reply {
            text: "Let me look.".into(),
            tool_calls: vec![ToolCall {
                id: "tu-1".into(),
                name: "read_file".into(),
                arguments: r#"{"path":"src/main.rs"}"#.into(),
            }],
            ..Reply::default()
        },
        ..Script::default()
    });
    let (status, body) = chat(&gw, "kr/claude-sonnet-4.5", false).await;
    assert_eq!(status, 200, "{body}");
    let answer: Value = serde_json::from_str(&body).unwrap();
    let message = &answer["choices"][0]["message"];
    assert_eq!(message["content"], "Let me look.");
    assert_eq!(message["tool_calls"][0]["function"]["name"], "read_file");
    assert_eq!(
        message["tool_calls"][0]["function"]["arguments"],
        r#"{"path":"src/main.rs"}"#
    );
    assert_eq!(answer["usage"]["prompt_tokens"], 12);
    let seen = mock.received();
    let sent = seen.last().unwrap();
    assert_eq!(sent.path, "/generateAssistantResponse");
    assert_eq!(
        sent.body["conversationState"]["currentMessage"]["userInputMessage"]["modelId"],
        "claude-sonnet-4.5"
    );
    assert!(
        sent.header("authorization")
            .unwrap()
            .starts_with("Bearer at-")
    );

    mock.push(Script {
        reply: Reply::text("Streamed by Kiro."),
        ..Script::default()
    });
    let (status, body) = chat(&gw, "kr/claude-sonnet-4.5", true).await;
    assert_eq!(status, 200);
    assert_eq!(streamed_text(&body), "Streamed by Kiro.");
}

#[tokio::test]
async fn codex_signs_in_by_openais_device_variant() {
    let auth = FakeAuthServer::start().await.unwrap();
    let mock = MockUpstream::start().await.unwrap();
    auth.with(|s| s.pending_polls = 1);
    let a = auth.url();
    let mut spec = oauth(&auth);
    spec["device"] = json!({"protocol": "openai", "code_url": format!("{a}/deviceauth/usercode"),
        "token_url": format!("{a}/deviceauth/token"), "verification_uri": "https://auth.example/codex/device",
        "redirect_uri": "https://auth.example/deviceauth/callback"});
    let gw = gateway(vec![entry(
        "cx",
        "codex",
        format!("{}/backend-api/codex", mock.url()),
        "gpt-5",
        spec,
    )])
    .await;
    let started: Value = reqwest::Client::new()
        .post(format!("{}/api/oauth/cx/start", gw.url))
        .json(&json!({"flow": "device"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(started["userCode"], "CODX-1234", "{started}");
    assert_eq!(
        started["verificationUri"],
        "https://auth.example/codex/device"
    );
    let done = settle(&gw.url, started["flowId"].as_str().unwrap()).await;
    assert_eq!(done["status"], "connected", "{done}");
    // The device's authorization code was exchanged with its verifier and the device redirect.
    let exchange = auth.with(|s| s.token_requests.last().cloned().unwrap());
    assert_eq!(
        exchange.get("grant_type").map(String::as_str),
        Some("authorization_code")
    );
    assert_eq!(
        exchange.get("redirect_uri").map(String::as_str),
        Some("https://auth.example/deviceauth/callback")
    );
    let (status, body) = chat(&gw, "cx/gpt-5", false).await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn an_imported_kiro_social_login_refreshes_through_its_own_endpoint() {
    let auth = FakeAuthServer::start().await.unwrap();
    let mock = MockUpstream::start().await.unwrap();
    let a = auth.url();
    let spec = json!({
        "token_url": format!("{a}/token"),
        "social_refresh_url": format!("{a}/refreshToken"),
        "import": {"path": "~/.aws/sso/cache/kiro-auth-token.json", "format": "kiro"}
    });
    let gw = gateway(vec![entry(
        "kr",
        "kiro",
        mock.url(),
        "claude-sonnet-4.5",
        spec,
    )])
    .await;
    auth.accept_refresh_token("aor-imported");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("kiro-auth-token.json");
    // Kiro's own file, its access token already expired.
    std::fs::write(
        &file,
        json!({"accessToken": "aoa-expired", "refreshToken": "aor-imported",
        "expiresAt": "2026-01-01T00:00:00.000Z", "authMethod": "social", "provider": "Github",
        "profileArn": "arn:aws:codewhisperer:us-east-1:1:profile/IMPORTED"})
        .to_string(),
    )
    .unwrap();
    let r = reqwest::Client::new()
        .post(format!("{}/api/oauth/kr/import", gw.url))
        .json(&json!({"path": file.display().to_string()}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    mock.push(Script {
        reply: Reply::text("Refreshed first."),
        ..Script::default()
    });
    let (status, body) = chat(&gw, "kr/claude-sonnet-4.5", false).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(auth.with(|s| s.refreshes), 1);
    let seen = mock.received();
    let sent = seen.last().unwrap();
    assert!(
        sent.header("authorization")
            .unwrap()
            .starts_with("Bearer at-"),
        "the refreshed token"
    );
    assert_eq!(
        sent.body["profileArn"],
        "arn:aws:codewhisperer:us-east-1:1:profile/SOCIAL"
    );
}

/// Polls an account's quota until its usage endpoint's windows are there.
async fn usage_windows(gw: &TestGateway) -> Vec<Value> {
    for _ in 0..50 {
        let quota: Value = reqwest::get(format!("{}/api/quota", gw.url))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let windows: Vec<Value> = quota[0]["windows"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|w| w["source"] == "usage-endpoint")
            .cloned()
            .collect();
        if !windows.is_empty() {
            return windows;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("no usage-endpoint window arrived");
}

#[tokio::test]
async fn each_providers_usage_endpoint_fills_the_quota_book_after_use() {
    let auth = FakeAuthServer::start().await.unwrap();
    let mock = MockUpstream::start().await.unwrap();
    let m = mock.url();
    // (provider, wire, base, model, usage format, usage path, the window at 61 %)
    let cases = [
        (
            "cc",
            "anthropic",
            m.clone(),
            "claude-sonnet-4-5",
            "claude",
            "/api/oauth/usage",
            "5h",
        ),
        (
            "cx",
            "codex",
            format!("{m}/backend-api/codex"),
            "gpt-5",
            "codex",
            "/backend-api/wham/usage",
            "5h",
        ),
        (
            "gc",
            "gemini-code-assist",
            m.clone(),
            "gemini-2.5-pro",
            "code-assist",
            "/v1internal:retrieveUserQuota",
            "gemini-2.5-pro requests",
        ),
        (
            "kr",
            "kiro",
            m.clone(),
            "claude-sonnet-4.5",
            "kiro",
            "/getUsageLimits",
            "agentic-request",
        ),
    ];
    for (id, wire, base, model, format, path, window) in cases {
        let mut spec = oauth(&auth);
        spec["usage"] = json!({"url": format!("{m}{path}"), "format": format});
        spec["account_id_header"] = json!("chatgpt-account-id");
        let gw = gateway(vec![entry(id, wire, base, model, spec)]).await;
        sign_in_by_browser(&gw.url, id).await;
        mock.reset();
        let (status, body) = chat(&gw, &format!("{id}/{model}"), false).await;
        assert_eq!(status, 200, "{id}: {body}");
        let windows = usage_windows(&gw).await;
        let busy = windows
            .iter()
            .find(|w| w["window"] == window)
            .unwrap_or_else(|| panic!("{id}: {windows:?}"));
        assert!(
            (busy["usedFraction"].as_f64().unwrap() - 0.61).abs() < 1e-6,
            "{id}: {busy}"
        );
        assert!(
            busy["resetsAt"].as_i64().unwrap() > omniroute_store::now_ms(),
            "{id}: {busy}"
        );
        // The tray's provider health shows the account's tightest window.
        let health: Value = reqwest::get(format!("{}/api/health/providers", gw.url))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let tightest = &health[0]["quota"][0];
        assert!(
            tightest["usedFraction"].as_f64().unwrap() >= 0.61 - 1e-9,
            "{id}: {health}"
        );
        assert_eq!(tightest["account"], "ada@example.com", "{id}: {health}");
        let asked = mock
            .received()
            .into_iter()
            .find(|r| r.path == path)
            .unwrap();
        assert!(
            asked
                .header("authorization")
                .unwrap()
                .starts_with("Bearer at-"),
            "{id}"
        );
        match id {
            "cc" => assert_eq!(asked.header("anthropic-beta"), Some("oauth-2025-04-20")),
            "cx" => assert_eq!(asked.header("chatgpt-account-id"), Some("acct-test")),
            "gc" => assert_eq!(
                asked.body["project"],
                omniroute_e2e::mock::subscription::PROJECT
            ),
            _ => assert!(
                asked
                    .query
                    .as_deref()
                    .unwrap_or_default()
                    .contains("origin=AI_EDITOR")
            ),
        }
        // An exhausted window (Claude's and Codex's weekly) keeps the account out until it resets.
        if id == "cc" || id == "cx" {
            assert!(
                windows.iter().any(|w| w["usedFraction"] == 1.0),
                "{id}: {windows:?}"
            );
            let (status, body) = chat(&gw, &format!("{id}/{model}"), false).await;
            assert_eq!(status, 503, "{id}: {body}");
            assert!(body.contains("quota is used up"), "{id}: {body}");
        }
        gw.shutdown().await;
    }
}
