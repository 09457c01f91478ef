//! What the sign-in tests share: a `providers.json` pointing `cc` and `gh` at the fake
//! authorization server and the mock upstream, a gateway on it, and small API helpers.
#![allow(dead_code, reason = "each test file uses its own subset")]

use omniroute_e2e::oauth_server::settle;
use omniroute_e2e::{FakeAuthServer, MockUpstream, TestGateway};
use serde_json::{Value, json};

/// A `providers.json` replacing `cc` and `gh` with entries whose sign-in and API point at the
/// fakes.
pub fn catalog(auth: &FakeAuthServer, mock: &MockUpstream, margin_secs: u64) -> Value {
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
            "models": [{"id": "gpt-5", "kind": "chat"},
                       {"id": "claude-sonnet-4.5", "kind": "chat", "wire": "anthropic"}],
            "initiator_header": "x-initiator",
            "oauth": {
                "token_url": format!("{a}/token"),
                "client_id": "Iv1.test",
                "scopes": ["read:user"],
                "device": {"protocol": "rfc8628", "code_url": format!("{a}/device/code"),
                           "token_url": format!("{a}/token")},
                "userinfo_url": format!("{a}/user"),
                "exchange": {"url": format!("{a}/copilot/token")},
                "usage": {"url": format!("{}/copilot_internal/user", mock.url()), "format": "copilot"}
            }
        }
    ]})
}

pub async fn gateway_with(catalog: &Value) -> TestGateway {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("providers.json"), catalog.to_string()).unwrap();
    TestGateway::start_in(dir, &[]).await.unwrap()
}

pub fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

pub async fn post(gw: &TestGateway, path: &str, body: Value) -> (u16, Value) {
    let r = http()
        .post(format!("{}{path}", gw.url))
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

pub async fn get(gw: &TestGateway, path: &str) -> Value {
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
pub async fn browse(auth_url: &str) -> (u16, String) {
    let r = reqwest::get(auth_url).await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

pub async fn sign_in_by_browser(gw: &TestGateway) -> String {
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

pub async fn ask_claude(gw: &TestGateway) -> (u16, Value) {
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

pub fn last_token(mock: &MockUpstream) -> String {
    let seen = mock.received();
    let last = seen.last().expect("the upstream was reached");
    assert!(
        last.header("x-api-key").is_none(),
        "an OAuth token is a bearer token"
    );
    last.header("authorization").unwrap().to_owned()
}

pub fn connection<'a>(list: &'a Value, id: &str) -> &'a Value {
    list.as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap()
}

pub async fn sqlite_count(data: &tempfile::TempDir, sql: &str) -> i64 {
    use sqlx::Row;
    let url = format!("sqlite://{}", data.path().join("storage.sqlite").display());
    let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
    let row = sqlx::query(sql).fetch_one(&pool).await.unwrap();
    row.get::<i64, _>(0)
}

pub fn grep_dir(dir: &std::path::Path, needle: &str) -> bool {
    std::fs::read_dir(dir).unwrap().flatten().any(|entry| {
        let path = entry.path();
        if path.is_dir() {
            return grep_dir(&path, needle);
        }
        let bytes = std::fs::read(&path).unwrap_or_default();
        bytes.windows(needle.len()).any(|w| w == needle.as_bytes())
    })
}
