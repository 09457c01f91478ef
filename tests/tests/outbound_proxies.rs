//! Outbound proxies through real local proxies: precedence connection → provider → global →
//! environment, SOCKS5 with credentials kept secret, and the proxy test endpoint.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::disallowed_methods,
    reason = "tests"
)]

use std::path::Path;

use omniroute_e2e::proxies::TestProxy;
use omniroute_e2e::{GatewayProcess, MockUpstream, TestGateway};
use serde_json::{Value, json};

async fn chat(http: &reqwest::Client, gw: &str) -> u16 {
    let body = json!({"model": "openai/gpt-4o", "messages": [{"role": "user", "content": "hi"}]});
    let r = http
        .post(format!("{gw}/v1/chat/completions"))
        .json(&body)
        .send()
        .await
        .unwrap();
    r.status().as_u16()
}

fn proxy(kind: &str, p: &TestProxy) -> Value {
    json!({"type": kind, "host": "127.0.0.1", "port": p.port().to_string()})
}

#[tokio::test]
async fn precedence_through_real_http_and_socks5_proxies() {
    let gw = TestGateway::start().await.unwrap();
    let mock = MockUpstream::start().await.unwrap();
    let upstream = mock.addr().to_string();
    let http = reqwest::Client::new();
    let conn: Value = http
        .post(format!("{}/api/providers", gw.url))
        .json(&json!({"provider": "openai", "apiKey": "sk-proxy-test-0123456789", "baseUrl": format!("{}/v1", mock.url())}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let conn_id = conn["id"].as_str().unwrap().to_owned();
    let (global, provider, connection) = (
        TestProxy::http().await.unwrap(),
        TestProxy::socks5(None).await.unwrap(),
        TestProxy::http().await.unwrap(),
    );
    let put = |body: Value| {
        let http = http.clone();
        let url = format!("{}/api/settings/proxy", gw.url);
        async move {
            // As the guide's curl examples send it: no JSON content type.
            let r = http
                .put(url)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(body.to_string())
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
        }
    };
    // Which proxy carried the request the mock received last (by the peer address it saw).
    let carrier = || {
        let peer = mock.received().last().unwrap().peer;
        [
            ("global", &global),
            ("provider", &provider),
            ("connection", &connection),
        ]
        .into_iter()
        .find(|(_, p)| p.carried(peer))
        .map_or("direct", |(name, _)| name)
    };

    assert_eq!(chat(&http, &gw.url).await, 200);
    assert_eq!(carrier(), "direct", "no proxy configured");

    put(json!({"global": proxy("http", &global)})).await;
    assert_eq!(chat(&http, &gw.url).await, 200);
    assert_eq!(carrier(), "global");
    assert!(global.targets().contains(&upstream));

    put(json!({"providers": {"openai": proxy("socks5", &provider)}})).await;
    assert_eq!(chat(&http, &gw.url).await, 200);
    assert_eq!(carrier(), "provider", "provider beats global");

    put(json!({"connections": {conn_id.clone(): proxy("http", &connection)}})).await;
    assert_eq!(chat(&http, &gw.url).await, 200);
    assert_eq!(carrier(), "connection", "connection beats provider");

    // A combo's proxy sits between the connection's and the provider's.
    let combo = json!({"name": "via-combo", "models": ["openai/gpt-4o"]});
    assert_eq!(
        http.post(format!("{}/api/combos", gw.url))
            .json(&combo)
            .send()
            .await
            .unwrap()
            .status(),
        201
    );
    let combo_proxy = TestProxy::socks5(None).await.unwrap();
    put(json!({"connections": {conn_id.clone(): null}, "combos": {"via-combo": proxy("socks5", &combo_proxy)}})).await;
    let body = json!({"model": "via-combo", "messages": [{"role": "user", "content": "hi"}]});
    assert_eq!(
        http.post(format!("{}/v1/chat/completions", gw.url))
            .json(&body)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    assert!(
        combo_proxy.carried(mock.received().last().unwrap().peer),
        "combo beats provider"
    );
    assert_eq!(chat(&http, &gw.url).await, 200);
    assert_eq!(
        carrier(),
        "provider",
        "outside the combo the provider's proxy applies"
    );

    put(json!({"combos": {"via-combo": null}, "providers": {"openai": null}})).await;
    assert_eq!(chat(&http, &gw.url).await, 200);
    assert_eq!(carrier(), "global", "back to global");

    // SOCKS5 with credentials: they work, and the password is never shown or stored in clear.
    let secured = TestProxy::socks5(Some(("alice", "s0cks-pa55word")))
        .await
        .unwrap();
    let mut with_auth = proxy("socks5", &secured);
    with_auth["username"] = json!("alice");
    with_auth["password"] = json!("s0cks-pa55word");
    put(json!({"global": with_auth})).await;
    assert_eq!(chat(&http, &gw.url).await, 200);
    assert!(secured.carried(mock.received().last().unwrap().peer));
    let shown = http
        .get(format!("{}/api/settings/proxy", gw.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        shown.contains("alice") && !shown.contains("s0cks-pa55word"),
        "{shown}"
    );
    for file in omniroute_e2e::files_under(gw.data_dir.path()) {
        let bytes = std::fs::read(file).unwrap();
        assert!(!String::from_utf8_lossy(&bytes).contains("s0cks-pa55word"));
    }

    // The test endpoint reports success and latency, or the error.
    let r: Value = http
        .post(format!("{}/api/settings/proxy/test", gw.url))
        .json(&json!({"proxy": proxy("http", &global), "url": format!("{}/v1/models", mock.url())}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r["ok"], true, "{r}");
    assert!(r["latencyMs"].is_u64() && r["status"].is_u64());
    let dead = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let r: Value = http
        .post(format!("{}/api/settings/proxy/test", gw.url))
        .json(&json!({"proxy": {"type": "socks5", "host": "127.0.0.1", "port": dead}, "url": format!("{}/v1/models", mock.url())}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r["ok"], false, "{r}");
    assert!(r["error"].as_str().unwrap().len() > 5);
    let bad = http
        .put(format!("{}/api/settings/proxy", gw.url))
        .json(&json!({"global": {"type": "ftp", "host": "h", "port": 1}}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
}

#[tokio::test]
async fn the_environment_is_the_last_resort() {
    let mock = MockUpstream::start().await.unwrap();
    let upstream = mock.addr().to_string();
    let env_proxy = TestProxy::http().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let proxy_url = format!("http://127.0.0.1:{}", env_proxy.port());
    let gw = GatewayProcess::spawn(
        Path::new(&omniroute_e2e::gateway::workspace_binary("omniroute")),
        dir.path(),
        &[("HTTP_PROXY", &proxy_url), ("http_proxy", &proxy_url)],
    )
    .unwrap();
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let r = http
        .post(format!("{}/api/providers", gw.url))
        .json(&json!({"provider": "openai", "apiKey": "sk-env-0123456789", "baseUrl": format!("{}/v1", mock.url())}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    assert_eq!(chat(&http, &gw.url).await, 200);
    assert!(
        env_proxy.carried(mock.received().last().unwrap().peer),
        "HTTP_PROXY was used"
    );
    assert!(env_proxy.targets().contains(&upstream));
}
