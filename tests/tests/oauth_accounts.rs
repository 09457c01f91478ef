//! Signed-in accounts beyond the sign-in itself: importing an official client's own
//! credential file, Claude Code's own sign-in passed through unchanged, and tokens kept out of
//! logs, usage and exports.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::disallowed_methods,
    reason = "tests"
)]

mod oauth_rig;

use std::time::Duration;

use oauth_rig::*;
use omniroute_e2e::mock::{Fault, Script};
use omniroute_e2e::{FakeAuthServer, MockUpstream, TestGateway};
use serde_json::{Value, json};

#[tokio::test]
async fn importing_claude_codes_own_file_connects_the_account_it_holds() {
    let auth = FakeAuthServer::start().await.unwrap();
    let mock = MockUpstream::start().await.unwrap();
    let mut catalog = catalog(&auth, &mock, 60);
    catalog["providers"][0]["oauth"]["import"] =
        json!({"path": "~/.claude/.credentials.json", "format": "claude-code"});
    let gw = gateway_with(&catalog).await;
    let home = tempfile::tempdir().unwrap();
    let file = home.path().join("credentials.json");
    let far = omniroute_store::now_ms() + 8 * 3_600_000;
    std::fs::write(
        &file,
        json!({"claudeAiOauth": {"accessToken": "sk-ant-oat01-imported", "refreshToken": "sk-ant-ort01-imported",
                                 "expiresAt": far, "subscriptionType": "max"}})
        .to_string(),
    )
    .unwrap();
    let before = std::fs::read(&file).unwrap();
    let (status, body) = post(
        &gw,
        "/api/oauth/cc/import",
        json!({"path": file.display().to_string(), "name": "imported"}),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["status"], "connected");
    assert_eq!(
        std::fs::read(&file).unwrap(),
        before,
        "the client's file is only read"
    );
    let (status, answer) = ask_claude(&gw).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(last_token(&mock), "Bearer sk-ant-oat01-imported");
    let list = get(&gw, "/api/providers").await;
    assert_eq!(list[0]["auth"]["plan"], "max");
    assert!(
        !list.to_string().contains("sk-ant-o"),
        "no token in the API: {list}"
    );

    // Missing and foreign files are named, and nothing is stored.
    let (status, body) = post(
        &gw,
        "/api/oauth/cc/import",
        json!({"path": "/nonexistent/x.json"}),
    )
    .await;
    assert_eq!(status, 404, "{body}");
    std::fs::write(&file, "{\"OPENAI_API_KEY\": \"sk\"}").unwrap();
    let (status, body) = post(
        &gw,
        "/api/oauth/cc/import",
        json!({"path": file.display().to_string()}),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(
        get(&gw, "/api/providers").await.as_array().unwrap().len(),
        1
    );
}

#[tokio::test]
async fn claude_codes_own_sign_in_passes_through_unchanged_and_falls_over() {
    let auth = FakeAuthServer::start().await.unwrap();
    let mock = MockUpstream::start().await.unwrap();
    let mut catalog = catalog(&auth, &mock, 60);
    catalog["providers"][0]["oauth"]["passthrough_token_prefix"] = json!("sk-ant-oat");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("providers.json"), catalog.to_string()).unwrap();
    let gw = TestGateway::start_in(dir, &[("REQUIRE_API_KEY", "true")])
        .await
        .unwrap();
    let (status, created) = post(&gw, "/api/keys", json!({"name": "claude-code"})).await;
    assert_eq!(status, 201, "{created}");
    let key = created["key"].as_str().unwrap().to_owned();
    gw.add_node("backup", "anthropic", &mock.url()).await;
    gw.add_connection("backup", "b", "sk-backup-0123456789")
        .await;

    let claude_code = |model: &str| {
        http()
            .post(format!("{}/v1/messages", gw.url))
            .header("authorization", "Bearer sk-ant-oat01-users-own")
            .header("x-omniroute-key", &key)
            .header("anthropic-version", "2023-06-01")
            .header("anthropic-beta", "oauth-2025-04-20,claude-code-20250219")
            .header("user-agent", "claude-cli/2.0.0 (external, cli)")
            .header("x-app", "cli")
            .json(
                &json!({"model": model, "max_tokens": 50, "unknown_field": {"kept": 1},
                          "messages": [{"role": "user", "content": "hi"}]}),
            )
            .send()
    };
    // No stored cc account: the caller's own sign-in serves.
    let r = claude_code("cc/claude-sonnet-4-5").await.unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    assert!(
        r.headers()["x-omniroute-route"]
            .to_str()
            .unwrap()
            .contains("passthrough")
    );
    let seen = mock.received();
    let sent = seen.last().unwrap();
    assert_eq!(
        sent.header("authorization"),
        Some("Bearer sk-ant-oat01-users-own")
    );
    assert_eq!(
        sent.header("user-agent"),
        Some("claude-cli/2.0.0 (external, cli)")
    );
    assert_eq!(sent.header("x-app"), Some("cli"));
    assert_eq!(
        sent.header("anthropic-beta"),
        Some("oauth-2025-04-20,claude-code-20250219")
    );
    assert!(
        sent.header("x-omniroute-key").is_none(),
        "our key stays here"
    );
    assert_eq!(
        sent.body["unknown_field"]["kept"], 1,
        "the body went as sent"
    );

    // Usage is accounted (rows are written in batches).
    let mut usage = Value::Null;
    for _ in 0..50 {
        usage = get(&gw, "/api/usage?limit=5").await;
        if usage.to_string().contains("cc/claude-sonnet-4-5") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        usage.to_string().contains("cc/claude-sonnet-4-5"),
        "{usage}"
    );

    // The user's plan is spent: a combo falls over to its next target as usual.
    let (status, _) = post(
        &gw,
        "/api/combos",
        json!({"name": "claude", "models": ["cc/claude-sonnet-4-5", "backup/claude-sonnet-4-5"]}),
    )
    .await;
    assert_eq!(status, 201);
    mock.push(Script {
        fault: Fault {
            status: Some(429),
            ..Fault::default()
        },
        ..Script::default()
    });
    let r = claude_code("claude").await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["x-omniroute-route"]
            .to_str()
            .unwrap()
            .starts_with("backup/")
    );
    let seen = mock.received();
    assert_eq!(
        seen.last().unwrap().header("x-api-key"),
        Some("sk-backup-0123456789")
    );
    assert_eq!(
        seen.last().unwrap().header("x-app"),
        None,
        "a stored account sends no client identity"
    );

    // Anthropic refusing to bill the plan for it is the account's state, not a bad request:
    // the combo falls over too.
    let (status, _) = post(&gw, "/api/resilience/reset", json!({})).await;
    assert_eq!(status, 200);
    mock.push(Script {
        fault: Fault {
            status: Some(400),
            error_message: Some(
                "Third-party apps now draw from your extra usage, not your plan limits.".into(),
            ),
            ..Fault::default()
        },
        ..Script::default()
    });
    let r = claude_code("claude").await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["x-omniroute-route"]
            .to_str()
            .unwrap()
            .starts_with("backup/")
    );

    // Without our key, passthrough is no way around REQUIRE_API_KEY.
    let r = http()
        .post(format!("{}/v1/messages", gw.url))
        .header("authorization", "Bearer sk-ant-oat01-users-own")
        .json(&json!({"model": "cc/claude-sonnet-4-5", "max_tokens": 5, "messages": [{"role": "user", "content": "hi"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
}

#[tokio::test]
async fn tokens_never_reach_logs_usage_exports_or_api_answers() {
    let auth = FakeAuthServer::start().await.unwrap();
    let mock = MockUpstream::start().await.unwrap();
    let data = tempfile::tempdir().unwrap();
    std::fs::write(
        data.path().join("providers.json"),
        catalog(&auth, &mock, 60).to_string(),
    )
    .unwrap();
    // The real binary, logging everything it logs at debug level.
    let bin = omniroute_e2e::gateway::workspace_binary("omniroute");
    let gw = omniroute_e2e::GatewayProcess::spawn(
        std::path::Path::new(&bin),
        data.path(),
        &[("RUST_LOG", "debug"), ("ENABLE_REQUEST_LOGS", "true")],
    )
    .unwrap();
    omniroute_e2e::oauth_server::sign_in_by_browser(&gw.url, "cc").await;
    let ask = || {
        http()
            .post(format!("{}/v1/messages", gw.url))
            .header("anthropic-version", "2023-06-01")
            .json(&json!({"model": "cc/claude-sonnet-4-5", "max_tokens": 20,
                          "messages": [{"role": "user", "content": "hi"}]}))
            .send()
    };
    assert_eq!(ask().await.unwrap().status(), 200);
    // A 401, a refresh, a retry; then an explicit refresh.
    mock.push(Script {
        fault: Fault {
            status: Some(401),
            ..Fault::default()
        },
        ..Script::default()
    });
    assert_eq!(ask().await.unwrap().status(), 200);
    let accounts: Value = reqwest::get(format!("{}/api/providers", gw.url))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = accounts[0]["id"].as_str().unwrap().to_owned();
    let r = http()
        .post(format!("{}/api/providers/{id}/refresh", gw.url))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let tokens = auth.with(|s| s.issued.clone());
    assert!(tokens.len() >= 6, "{tokens:?}");

    tokio::time::sleep(Duration::from_millis(1500)).await; // usage rows are written in batches
    let mut answers = String::new();
    for path in [
        "/api/providers",
        "/api/usage?limit=50",
        "/api/usage/logs?limit=50",
        "/api/quota",
        "/api/resilience",
        "/api/db-backups/exportAll",
    ] {
        let body = reqwest::get(format!("{}{path}", gw.url))
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        answers.push_str(&String::from_utf8_lossy(&unpacked(&body)));
    }
    let export = reqwest::get(format!("{}/api/db-backups/export", gw.url))
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let logs = gw.stderr();
    assert!(
        logs.contains("account signed in"),
        "debug logs were captured: {logs}"
    );
    drop(gw);
    for token in &tokens {
        assert!(!logs.contains(token.as_str()), "{token} in the logs");
        assert!(
            !answers.contains(token.as_str()),
            "{token} in an API answer"
        );
        assert!(
            !export.windows(token.len()).any(|w| w == token.as_bytes()),
            "{token} in the database export"
        );
        assert!(
            !grep_dir(data.path(), token),
            "{token} in the data directory"
        );
    }
}

/// A gzip'd tar (exportAll) as its raw contents; anything else as it is.
fn unpacked(body: &[u8]) -> Vec<u8> {
    use std::io::Read;
    if !body.starts_with(&[0x1f, 0x8b]) {
        return body.to_vec();
    }
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(body)
        .read_to_end(&mut out)
        .unwrap();
    out
}
