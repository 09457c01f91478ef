//! Signing in to subscription providers through the public API, as the dashboard does, against
//! a fake authorization server and the mock upstream: the browser flow (loopback redirect),
//! the paste flow, the device flow with Copilot's token exchange; then the token's life —
//! used upstream, refreshed when due and once on a 401, rotated and persisted, and on
//! `invalid_grant` the account marked `needs-sign-in` with its credentials kept.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::disallowed_methods,
    reason = "tests"
)]

use std::time::Duration;

use omniroute_e2e::mock::{Fault, Script};
use omniroute_e2e::oauth_server::{DeviceOutcome, settle};
use omniroute_e2e::{FakeAuthServer, MockUpstream, TestGateway};
use serde_json::{Value, json};

/// A `providers.json` replacing `cc` and `gh` with entries whose sign-in and API point at the
/// fakes.
fn catalog(auth: &FakeAuthServer, mock: &MockUpstream, margin_secs: u64) -> Value {
    let a = auth.url();
    json!({"providers": [
        {
            "id": "cc", "name": "Claude Code (test)", "tier": "subscription", "wire": "anthropic",
            "base_url": mock.url(), "auth": "bearer", "login": "oauth_pkce",
            "headers": {"anthropic-beta": "oauth-2025-04-20"},
            "models": [{"id": "claude-sonnet-4-5", "kind": "chat"}],
            "oauth": {
                "authorize_url": format!("{a}/authorize"),
                "token_url": format!("{a}/token"),
                "token_encoding": "json",
                "client_id": "test-client",
                "scopes": ["user:inference"],
                "redirect": {"host": "127.0.0.1", "path": "/callback"},
                "paste_redirect_uri": "http://127.0.0.1:9/code",
                "state_in_token_request": true,
                "refresh_margin_secs": margin_secs
            }
        },
        {
            "id": "gh", "name": "Copilot (test)", "tier": "subscription", "wire": "openai",
            "base_url": "http://127.0.0.1:9/unused", "auth": "bearer", "login": "device_code",
            "headers": {"editor-version": "OmniRoute/1"},
            "models": [{"id": "gpt-5", "kind": "chat"}],
            "oauth": {
                "token_url": format!("{a}/token"),
                "client_id": "Iv1.test",
                "scopes": ["read:user"],
                "device": {"protocol": "rfc8628", "code_url": format!("{a}/device/code"),
                           "token_url": format!("{a}/token")},
                "userinfo_url": format!("{a}/user"),
                "exchange": {"url": format!("{a}/copilot/token")}
            }
        }
    ]})
}

async fn gateway_with(catalog: &Value) -> TestGateway {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("providers.json"), catalog.to_string()).unwrap();
    TestGateway::start_in(dir, &[]).await.unwrap()
}

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

async fn post(gw: &TestGateway, path: &str, body: Value) -> (u16, Value) {
    let r = http()
        .post(format!("{}{path}", gw.url))
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn get(gw: &TestGateway, path: &str) -> Value {
    http()
        .get(format!("{}{path}", gw.url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// The simulated browser: opens the authorization page and follows its redirect to the
/// gateway's loopback listener.
async fn browse(auth_url: &str) -> (u16, String) {
    let r = reqwest::get(auth_url).await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

async fn sign_in_by_browser(gw: &TestGateway) -> String {
    let (status, started) = post(gw, "/api/oauth/cc/start", json!({})).await;
    assert_eq!(status, 201, "{started}");
    assert_eq!(started["kind"], "browser");
    let auth_url = started["authUrl"].as_str().unwrap();
    for part in [
        "client_id=test-client",
        "code_challenge=",
        "code_challenge_method=S256",
        "state=",
    ] {
        assert!(auth_url.contains(part), "{auth_url} lacks {part}");
    }
    let (status, page) = browse(auth_url).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("received the sign-in"));
    let done = settle(&gw.url, started["flowId"].as_str().unwrap()).await;
    assert_eq!(done["status"], "connected", "{done}");
    assert_eq!(done["account"], "ada@example.com");
    done["connectionId"].as_str().unwrap().to_owned()
}

async fn ask_claude(gw: &TestGateway) -> (u16, Value) {
    let r = http()
        .post(format!("{}/v1/messages", gw.url))
        .header("anthropic-version", "2023-06-01")
        .header("anthropic-beta", "interleaved-thinking-2025-05-14")
        .json(&json!({"model": "cc/claude-sonnet-4-5", "max_tokens": 50,
                      "messages": [{"role": "user", "content": "hi"}]}))
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

fn last_token(mock: &MockUpstream) -> String {
    let seen = mock.received();
    let last = seen.last().expect("the upstream was reached");
    assert!(
        last.header("x-api-key").is_none(),
        "an OAuth token is a bearer token"
    );
    last.header("authorization").unwrap().to_owned()
}

fn connection<'a>(list: &'a Value, id: &str) -> &'a Value {
    list.as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap()
}

#[tokio::test]
async fn a_browser_sign_in_serves_refreshes_rotates_and_survives_a_restart() {
    let auth = FakeAuthServer::start().await.unwrap();
    let mock = MockUpstream::start().await.unwrap();
    let gw = gateway_with(&catalog(&auth, &mock, 60)).await;
    let id = sign_in_by_browser(&gw).await;

    // The account as the dashboard sees it: who, until when, ok — never a token.
    let list = get(&gw, "/api/providers").await;
    let account = connection(&list, &id);
    assert_eq!(account["authKind"], "oauth");
    assert_eq!(account["auth"]["account"], "ada@example.com");
    assert_eq!(account["auth"]["state"], "ok");
    assert!(account["auth"]["expiresAt"].as_i64().unwrap() > 0);
    assert!(account["apiKey"].is_null());
    assert!(!list.to_string().contains("at-") && !list.to_string().contains("rt-"));

    // First request: the signed-in token as a bearer, Claude's OAuth beta merged with the
    // client's.
    let (status, body) = ask_claude(&gw).await;
    assert_eq!(status, 200, "{body}");
    let first = last_token(&mock);
    assert!(first.starts_with("Bearer at-"), "{first}");
    let beta = mock
        .received()
        .last()
        .unwrap()
        .header("anthropic-beta")
        .unwrap()
        .to_owned();
    assert!(
        beta.contains("oauth-2025-04-20") && beta.contains("interleaved-thinking-2025-05-14"),
        "{beta}"
    );
    assert_eq!(auth.with(|s| s.refreshes), 0);

    // Tokens that expire within the margin are renewed before use.
    auth.with(|s| s.expires_in = 30);
    let (status, _) = post(&gw, &format!("/api/providers/{id}/refresh"), json!({})).await;
    assert_eq!(status, 200);
    assert_eq!(auth.with(|s| s.refreshes), 1);
    auth.with(|s| s.expires_in = 3600);
    let (status, _) = ask_claude(&gw).await;
    assert_eq!(status, 200);
    assert_eq!(
        auth.with(|s| s.refreshes),
        2,
        "a token due to expire is refreshed first"
    );
    let renewed = last_token(&mock);
    assert_ne!(renewed, first);

    // A 401 refreshes once and the request is retried with the new token.
    mock.push(Script {
        fault: Fault {
            status: Some(401),
            ..Fault::default()
        },
        ..Script::default()
    });
    let (status, body) = ask_claude(&gw).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(auth.with(|s| s.refreshes), 3);
    let after_401 = last_token(&mock);
    assert_ne!(after_401, renewed);

    // Rotation persisted: after a restart the stored (rotated) refresh token still works —
    // the server refuses every earlier one.
    let data = gw.stop_keeping_data().await;
    let gw = TestGateway::start_in(data, &[]).await.unwrap();
    let (status, _) = post(&gw, &format!("/api/providers/{id}/refresh"), json!({})).await;
    assert_eq!(status, 200, "the rotated refresh token was stored");
    assert_eq!(auth.with(|s| s.refreshes), 4);

    // The provider revokes the grant: the next 401's refresh fails with invalid_grant, the
    // account needs a new sign-in, its credentials stay, and routing skips it.
    auth.with(|s| s.revoked = true);
    mock.push(Script {
        fault: Fault {
            status: Some(401),
            ..Fault::default()
        },
        ..Script::default()
    });
    let (status, _) = ask_claude(&gw).await;
    assert_eq!(status, 401, "the upstream's refusal reaches the client");
    let list = get(&gw, "/api/providers").await;
    let account = connection(&list, &id);
    assert_eq!(account["auth"]["state"], "needs-sign-in", "{account}");
    // (The 401 also rested the account; without that, the sign-in state is what keeps it out.)
    let (status, _) = post(&gw, "/api/resilience/reset", json!({})).await;
    assert_eq!(status, 200);
    let reached = mock.received().len();
    let (status, body) = ask_claude(&gw).await;
    assert_ne!(status, 200);
    assert!(body.to_string().contains("needs a new sign-in"), "{body}");
    assert_eq!(
        mock.received().len(),
        reached,
        "a needs-sign-in account is not tried"
    );
    let data = gw.stop_keeping_data().await;
    let secrets = sqlite_count(
        &data,
        &format!("SELECT COUNT(*) FROM secrets WHERE name = 'connection/{id}/oauth'"),
    )
    .await;
    assert_eq!(
        secrets, 1,
        "the credentials are kept for inspection or a retry"
    );
    // The tokens are in no file of the data directory in the clear.
    for token in [&first, &renewed, &after_401] {
        let bare = token.trim_start_matches("Bearer ");
        assert!(
            !grep_dir(data.path(), bare),
            "{bare} found in the data directory"
        );
    }
}

async fn sqlite_count(data: &tempfile::TempDir, sql: &str) -> i64 {
    use sqlx::Row;
    let url = format!("sqlite://{}", data.path().join("storage.sqlite").display());
    let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
    let row = sqlx::query(sql).fetch_one(&pool).await.unwrap();
    row.get::<i64, _>(0)
}

fn grep_dir(dir: &std::path::Path, needle: &str) -> bool {
    std::fs::read_dir(dir).unwrap().flatten().any(|entry| {
        let path = entry.path();
        if path.is_dir() {
            return grep_dir(&path, needle);
        }
        let bytes = std::fs::read(&path).unwrap_or_default();
        bytes.windows(needle.len()).any(|w| w == needle.as_bytes())
    })
}

#[tokio::test]
async fn fifty_parallel_requests_on_an_expired_token_cause_one_refresh() {
    let auth = FakeAuthServer::start().await.unwrap();
    let mock = MockUpstream::start().await.unwrap();
    let gw = gateway_with(&catalog(&auth, &mock, 60)).await;
    // Signed in with a token that is already within the refresh margin.
    auth.with(|s| s.expires_in = 30);
    sign_in_by_browser(&gw).await;
    auth.with(|s| s.expires_in = 3600);
    // Subscription accounts are paced by default (6 at once); this test wants all fifty
    // waiting on the one refresh together.
    let r = http()
        .patch(format!("{}/api/resilience", gw.url))
        .json(&json!({"profiles": {"rateLimits": {"requestsPerMinute": 0, "minGapMs": 0, "maxConcurrent": 0}}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let requests: Vec<_> = (0..50).map(|_| ask_claude(&gw)).collect();
    let answers = futures_util::future::join_all(requests).await;
    let failed: Vec<_> = answers.iter().filter(|(s, _)| *s != 200).collect();
    assert!(failed.is_empty(), "{failed:?}");
    assert_eq!(auth.with(|s| s.refreshes), 1, "one refresh for all fifty");
    let tokens: std::collections::BTreeSet<String> = mock
        .received()
        .iter()
        .filter_map(|r| r.header("authorization").map(str::to_owned))
        .collect();
    assert_eq!(tokens.len(), 1, "every request used the one renewed token");
}

#[tokio::test]
async fn wrong_state_replays_and_refusals_store_nothing() {
    let auth = FakeAuthServer::start().await.unwrap();
    let mock = MockUpstream::start().await.unwrap();
    let gw = gateway_with(&catalog(&auth, &mock, 60)).await;

    // Browser flow: a redirect with another state is refused and changes nothing.
    let (_, started) = post(&gw, "/api/oauth/cc/start", json!({"flow": "browser"})).await;
    let auth_url = started["authUrl"].as_str().unwrap().to_owned();
    let redirect_uri = reqwest::Url::parse(&auth_url)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "redirect_uri")
        .map(|(_, v)| v.into_owned())
        .unwrap();
    let r = reqwest::get(format!("{redirect_uri}?code=forged&state=not-ours"))
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let flow_id = started["flowId"].as_str().unwrap();
    assert_eq!(
        get(&gw, &format!("/api/oauth/flows/{flow_id}")).await["status"],
        "pending"
    );
    // The real one connects; replaying it reaches no listener any more.
    let final_url = {
        let r = http().get(&auth_url).send().await.unwrap();
        r.headers()["location"].to_str().unwrap().to_owned()
    };
    assert_eq!(reqwest::get(&final_url).await.unwrap().status(), 200);
    assert_eq!(settle(&gw.url, flow_id).await["status"], "connected");
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(
        reqwest::get(&final_url).await.is_err(),
        "the listener closed"
    );
    assert_eq!(auth.with(|s| s.code_exchanges), 1);

    // Paste flow: the pasted address of another sign-in is refused; the right one connects
    // once; pasting it again is refused.
    let (status, started) = post(
        &gw,
        "/api/oauth/cc/start",
        json!({"flow": "paste", "name": "work"}),
    )
    .await;
    assert_eq!(status, 201, "{started}");
    let flow_id = started["flowId"].as_str().unwrap().to_owned();
    let auth_url = started["authUrl"].as_str().unwrap();
    assert!(auth_url.contains("redirect_uri=http%3A%2F%2F127.0.0.1%3A9%2Fcode"));
    let landed = http().get(auth_url).send().await.unwrap().headers()["location"]
        .to_str()
        .unwrap()
        .to_owned();
    let forged = landed.replace("state=", "state=x");
    let (status, body) = post(
        &gw,
        &format!("/api/oauth/flows/{flow_id}/complete"),
        json!({"callbackUrl": forged}),
    )
    .await;
    assert_eq!(status, 400);
    assert!(body.to_string().contains("state mismatch"), "{body}");
    let url = reqwest::Url::parse(&landed).unwrap();
    let q: std::collections::BTreeMap<_, _> = url.query_pairs().into_owned().collect();
    let pasted = format!("{}#{}", q["code"], q["state"]);
    let (status, done) = post(
        &gw,
        &format!("/api/oauth/flows/{flow_id}/complete"),
        json!({"code": pasted}),
    )
    .await;
    assert_eq!(status, 200, "{done}");
    assert_eq!(done["status"], "connected");
    let (status, _) = post(
        &gw,
        &format!("/api/oauth/flows/{flow_id}/complete"),
        json!({"code": pasted}),
    )
    .await;
    assert_eq!(status, 400);
    // The same account signing in again updates its one connection.
    let accounts = get(&gw, "/api/providers").await;
    assert_eq!(accounts.as_array().unwrap().len(), 1, "{accounts}");

    // The user refuses: the flow fails with the provider's words, nothing is stored.
    auth.with(|s| s.deny = true);
    let (_, started) = post(&gw, "/api/oauth/cc/start", json!({})).await;
    let (status, page) = browse(started["authUrl"].as_str().unwrap()).await;
    assert_eq!(status, 200, "{page}");
    let failed = settle(&gw.url, started["flowId"].as_str().unwrap()).await;
    assert_eq!(failed["status"], "failed");
    assert!(
        failed["error"].as_str().unwrap().contains("access_denied"),
        "{failed}"
    );
    assert_eq!(
        get(&gw, "/api/providers").await.as_array().unwrap().len(),
        1
    );

    // A cancelled flow is gone; unknown providers and flows are named.
    let (_, started) = post(&gw, "/api/oauth/cc/start", json!({})).await;
    let flow_id = started["flowId"].as_str().unwrap();
    let r = http()
        .delete(format!("{}/api/oauth/flows/{flow_id}", gw.url))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let r = http()
        .get(format!("{}/api/oauth/flows/{flow_id}", gw.url))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let (status, body) = post(&gw, "/api/oauth/openai/start", json!({})).await;
    assert_eq!(status, 400, "{body}");
    let (status, body) = post(&gw, "/api/oauth/cc/start", json!({"flow": "device"})).await;
    assert_eq!(status, 400);
    assert!(body.to_string().contains("offers no"), "{body}");
}

#[tokio::test]
async fn a_device_sign_in_polls_through_pending_and_slow_down_then_exchanges_copilot_tokens() {
    let auth = FakeAuthServer::start().await.unwrap();
    let mock = MockUpstream::start().await.unwrap();
    auth.with(|s| s.api_base = Some(mock.url()));
    let gw = gateway_with(&catalog(&auth, &mock, 60)).await;
    let (status, started) = post(&gw, "/api/oauth/gh/start", json!({})).await;
    assert_eq!(status, 201, "{started}");
    assert_eq!(started["kind"], "device");
    assert_eq!(started["userCode"], "WDJB-MJHT");
    assert_eq!(started["verificationUri"], "https://example.com/device");
    assert_eq!(started["interval"], 1);
    let done = settle(&gw.url, started["flowId"].as_str().unwrap()).await;
    assert_eq!(done["status"], "connected", "{done}");
    // Two pending answers, one of them slow_down, then the token.
    let polls = auth.with(|s| {
        s.token_requests
            .iter()
            .filter(|f| f.get("device_code").is_some())
            .count()
    });
    assert_eq!(polls, 3);
    assert_eq!(
        auth.with(|s| s.exchanges),
        1,
        "the API token was bought at sign-in"
    );

    // Requests carry the exchanged API token, at the API base the exchange named.
    let r = http()
        .post(format!("{}/v1/chat/completions", gw.url))
        .json(&json!({"model": "gh/gpt-5", "messages": [{"role": "user", "content": "hi"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let seen = mock.received();
    let last = seen.last().unwrap();
    assert!(
        last.header("authorization")
            .unwrap()
            .starts_with("Bearer api-")
    );
    assert_eq!(last.header("editor-version"), Some("OmniRoute/1"));
    // A 401 re-exchanges (GitHub tokens do not refresh).
    mock.push(Script {
        fault: Fault {
            status: Some(401),
            ..Fault::default()
        },
        ..Script::default()
    });
    let r = http()
        .post(format!("{}/v1/chat/completions", gw.url))
        .json(&json!({"model": "gh/gpt-5", "messages": [{"role": "user", "content": "hi"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(auth.with(|s| s.exchanges), 2);

    // Denied and expired device codes fail clearly and store nothing.
    for (outcome, words) in [
        (DeviceOutcome::Deny, "refused"),
        (DeviceOutcome::Expire, "expired"),
    ] {
        auth.with(|s| s.device_outcome = outcome);
        let (_, started) = post(&gw, "/api/oauth/gh/start", json!({})).await;
        let failed = settle(&gw.url, started["flowId"].as_str().unwrap()).await;
        assert_eq!(failed["status"], "failed", "{failed}");
        assert!(
            failed["error"].as_str().unwrap().contains(words),
            "{failed}"
        );
    }
    assert_eq!(
        get(&gw, "/api/providers").await.as_array().unwrap().len(),
        1
    );
}

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
