//! The hostile-client suite, sign-in and access: each test is an attack on the gateway, written
//! as the exploit, against the real server over loopback. Upstreams, resources and files are
//! in `hostile_limits.rs`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::disallowed_methods,
    reason = "tests"
)]

use omniroute_e2e::clients::send_json as send;
use omniroute_e2e::mock::Format;
use omniroute_e2e::{MockUpstream, TestGateway};
use serde_json::{Value, json};

/// An HS256 JWT for `claims` signed with `secret`, as an attacker would make one.
fn forge(claims: &Value, secret: &[u8], alg: &str) -> String {
    use base64::Engine;
    use hmac::{Hmac, Mac};
    let b64 = |bytes: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    let header = b64(json!({"alg": alg, "typ": "JWT"}).to_string().as_bytes());
    let payload = b64(claims.to_string().as_bytes());
    let signing_input = format!("{header}.{payload}");
    if alg == "none" {
        return format!("{signing_input}.");
    }
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret).unwrap();
    mac.update(signing_input.as_bytes());
    format!("{signing_input}.{}", b64(&mac.finalize().into_bytes()))
}

const PUBLISHED_JWT_SECRET: &[u8] = b"omniroute-default-secret-change-me";

#[tokio::test]
async fn forged_sessions_are_refused() {
    let gw = TestGateway::start_with(&[
        ("HOSTNAME", "0.0.0.0"),
        ("INITIAL_PASSWORD", "first-secret-1"),
    ])
    .await
    .unwrap();
    let c = reqwest::Client::new();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let claims = json!({"sub": "admin", "iat": now, "exp": now + 3600, "jti": "x", "pwc": 0});
    for token in [
        forge(&claims, PUBLISHED_JWT_SECRET, "HS256"),
        forge(&claims, b"", "none"),
        forge(
            &json!({"sub": "admin", "exp": now + 3600, "jti": "y", "pwc": 12345}),
            PUBLISHED_JWT_SECRET,
            "HS256",
        ),
    ] {
        let (status, _) = send(c.get(format!("{}/api/combos", gw.url)).bearer_auth(&token)).await;
        assert_eq!(status, 401, "forged token accepted: {token}");
    }
    // The generated secret is the installation's own, private file.
    let secret = gw.data_dir.path().join("jwt-secret");
    let text = std::fs::read_to_string(&secret).unwrap();
    assert_eq!(text.trim().len(), 64);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&secret).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    // Nobody signed in learns only that they must sign in.
    let (status, body) = send(c.get(format!("{}/api/auth/status", gw.url))).await;
    assert_eq!(status, 200);
    assert_eq!(
        body,
        json!({"authenticated": false, "loopback": false, "authRequired": true,
               "defaultPassword": false, "defaultSecrets": []})
    );
}

#[tokio::test]
async fn the_published_first_password_cannot_guard_a_network_bind() {
    let dir = tempfile::tempdir().unwrap();
    let config = omniroute_gateway::Config::from_env(
        |k| match k {
            "HOME" => Some(dir.path().display().to_string()),
            _ => None,
        },
        &omniroute_gateway::Overrides {
            port: Some("0".into()),
            host: Some("0.0.0.0".into()),
            data_dir: Some(dir.path().join("data")),
        },
    )
    .unwrap();
    let listener = omniroute_gateway::bind(&config).await.unwrap();
    let refused = omniroute_gateway::Gateway::start(config, listener).await;
    let message = refused.err().expect("refuses to start").to_string();
    assert!(message.contains("INITIAL_PASSWORD"), "{message}");
}

#[tokio::test]
async fn a_reverse_proxy_in_front_of_loopback_does_not_open_the_management_api() {
    let gw = TestGateway::start().await.unwrap();
    let c = reqwest::Client::new();
    let url = &gw.url;
    // nginx `proxy_pass http://127.0.0.1:20128` with its usual headers.
    for (name, value) in [
        ("x-forwarded-for", "203.0.113.9"),
        ("x-real-ip", "203.0.113.9"),
        ("forwarded", "for=203.0.113.9;proto=https"),
        ("x-forwarded-proto", "https"),
    ] {
        let (status, _) = send(c.get(format!("{url}/api/combos")).header(name, value)).await;
        assert_eq!(status, 401, "{name}");
        let (status, _) = send(c.get(format!("{url}/metrics")).header(name, value)).await;
        assert_eq!(status, 401, "/metrics through a proxy ({name})");
    }
    // The user on this machine still works without signing in.
    let (status, _) = send(c.get(format!("{url}/api/combos"))).await;
    assert_eq!(status, 200);
    let (status, _) = send(c.get(format!("{url}/metrics"))).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn auth_required_forces_sessions_on_loopback() {
    let gw = TestGateway::start_with(&[
        ("AUTH_REQUIRED", "true"),
        ("METRICS_TOKEN", "scrape-me-0123"),
    ])
    .await
    .unwrap();
    let c = reqwest::Client::new();
    let (status, _) = send(c.get(format!("{}/api/combos", gw.url))).await;
    assert_eq!(status, 401);
    let (status, _) = send(c.get(format!("{}/metrics", gw.url))).await;
    assert_eq!(status, 401);
    let r = c
        .get(format!("{}/metrics", gw.url))
        .bearer_auth("scrape-me-0123")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "METRICS_TOKEN reads /metrics");
}

#[tokio::test]
async fn the_client_api_off_loopback_needs_a_key_and_rebinding_hosts_are_refused() {
    let gw = TestGateway::start_with(&[
        ("HOSTNAME", "0.0.0.0"),
        ("INITIAL_PASSWORD", "first-secret-1"),
        ("ALLOWED_HOSTS", "gw.lan"),
    ])
    .await
    .unwrap();
    let c = reqwest::Client::new();
    let request = json!({"model": "m", "messages": [{"role": "user", "content": "hi"}]});
    let (status, body) = send(
        c.post(format!("{}/v1/chat/completions", gw.url))
            .json(&request),
    )
    .await;
    assert_eq!(status, 401, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("API key")
    );
    // The signed-in dashboard user (its chat tester) passes with its session.
    let session = c
        .post(format!("{}/api/auth/login", gw.url))
        .json(&json!({"password": "first-secret-1"}))
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    let token = session["token"].as_str().unwrap();
    let (status, _) = send(c.get(format!("{}/v1/models", gw.url)).bearer_auth(token)).await;
    assert_eq!(status, 200);
    // DNS rebinding: a page's own name pointed at this LAN address.
    let (status, _) = send(
        c.get(format!("{}/v1/models", gw.url))
            .header("host", "rebound.attacker.example:20128"),
    )
    .await;
    assert_eq!(status, 403);
    for host in ["gw.lan:20128", "192.168.1.20:20128", "localhost"] {
        let r = c
            .get(format!("{}/healthz", gw.url))
            .header("host", host)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{host}");
    }
    // Loopback binds refuse rebinding too (unchanged).
    let local = TestGateway::start().await.unwrap();
    let (status, _) = send(
        c.get(format!("{}/api/combos", local.url))
            .header("host", "rebound.attacker.example"),
    )
    .await;
    assert_eq!(status, 403);
}

#[tokio::test]
async fn moving_a_connection_to_another_server_needs_its_key_again() {
    let mock = MockUpstream::start().await.unwrap();
    let gw = TestGateway::start().await.unwrap();
    gw.add_node("up", "openai", &mock.base_url(Format::OpenAiChat))
        .await;
    let id = gw
        .add_connection("up", "main", "sk-stored-secret-0123456789")
        .await;
    let c = reqwest::Client::new();
    let attacker = "http://127.0.0.1:9/v1";
    let (status, body) = send(
        c.put(format!("{}/api/providers/{id}", gw.url))
            .json(&json!({"baseUrl": attacker})),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("apiKey")
    );
    // Same server, another path: fine.
    let same = format!("{}/v1/", mock.url());
    let (status, body) = send(
        c.put(format!("{}/api/providers/{id}", gw.url))
            .json(&json!({"baseUrl": same})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    // With the key given again, the move is allowed (and the new key goes there, not the old).
    let (status, _) = send(
        c.put(format!("{}/api/providers/{id}", gw.url))
            .json(&json!({"baseUrl": attacker, "apiKey": "sk-new-key-for-new-host-0123"})),
    )
    .await;
    assert_eq!(status, 200);

    // A node: moving it forgets its connections' keys only when asked to.
    let node_id = {
        let (_, nodes) = send(c.get(format!("{}/api/provider-nodes", gw.url))).await;
        nodes[0]["id"].as_str().unwrap().to_owned()
    };
    let other = gw
        .add_connection("up", "second", "sk-second-secret-0123456789")
        .await;
    let (status, _) = send(
        c.put(format!("{}/api/provider-nodes/{node_id}", gw.url))
            .json(&json!({"baseUrl": attacker})),
    )
    .await;
    assert_eq!(status, 400);
    let (status, _) = send(
        c.put(format!("{}/api/provider-nodes/{node_id}", gw.url))
            .json(&json!({"baseUrl": attacker, "clearKeys": true})),
    )
    .await;
    assert_eq!(status, 200);
    let (_, view) = send(c.get(format!("{}/api/providers/{other}", gw.url))).await;
    assert_eq!(view["apiKey"], Value::Null, "the key is gone: {view}");
}

#[tokio::test]
async fn parallel_password_guesses_stop_at_the_limit() {
    let gw = TestGateway::start_with(&[("INITIAL_PASSWORD", "the-right-password")])
        .await
        .unwrap();
    let c = reqwest::Client::new();
    let guesses = (0..40).map(|i| {
        let c = c.clone();
        let url = gw.url.clone();
        async move {
            c.post(format!("{url}/api/auth/login"))
                .json(&json!({"password": format!("guess-{i}")}))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    });
    let statuses = futures_util::future::join_all(guesses).await;
    let checked = statuses.iter().filter(|s| **s == 401).count();
    assert!(checked <= 5, "{checked} guesses were checked: {statuses:?}");
    assert!(
        statuses.iter().all(|s| *s == 401 || *s == 429),
        "{statuses:?}"
    );
    // The right password, after the flood, is locked out too.
    let (status, _) = send(
        c.post(format!("{}/api/auth/login", gw.url))
            .json(&json!({"password": "the-right-password"})),
    )
    .await;
    assert_eq!(status, 429);
}

#[tokio::test]
async fn importing_a_backup_never_changes_the_password() {
    // Installation A sets its password; its database is exported.
    let a = TestGateway::start().await.unwrap();
    let c = reqwest::Client::new();
    let (status, _) = send(
        c.post(format!("{}/api/auth/password", a.url))
            .json(&json!({"currentPassword": "123456", "newPassword": "attacker-known-pw"})),
    )
    .await;
    assert_eq!(status, 200);
    let export = c
        .get(format!("{}/api/db-backups/export", a.url))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    // Installation B (password "b-own-password") imports it.
    let b = TestGateway::start_with(&[("INITIAL_PASSWORD", "b-own-password")])
        .await
        .unwrap();
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(export.to_vec()).file_name("backup.sqlite"),
    );
    let r = c
        .post(format!("{}/api/db-backups/import", b.url))
        .multipart(form)
        .send()
        .await
        .unwrap();
    let status = r.status();
    assert!(
        status.is_success() || status == 400,
        "{}",
        r.text().await.unwrap()
    );
    let login = |pw: &str| {
        c.post(format!("{}/api/auth/login", b.url))
            .json(&json!({"password": pw}))
    };
    assert_eq!(send(login("attacker-known-pw")).await.0, 401);
    assert_eq!(send(login("b-own-password")).await.0, 200);
}
