//! Management access control over real HTTP (SPEC §8): login, sessions, password change and
//! logout; the login lockout; the Origin (CSRF) and Host (DNS rebinding) checks; sessions on a
//! non-loopback bind; IP allow/deny lists.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::disallowed_methods,
    reason = "tests"
)]

use omniroute_e2e::TestGateway;
use omniroute_e2e::clients::send_json as send;
use reqwest::header::{COOKIE, HOST, ORIGIN, RETRY_AFTER, SET_COOKIE};
use serde_json::{Value, json};

async fn login(c: &reqwest::Client, url: &str, password: &str) -> reqwest::Response {
    c.post(format!("{url}/api/auth/login"))
        .json(&json!({"password": password}))
        .send()
        .await
        .unwrap()
}

fn port_of(url: &str) -> &str {
    url.rsplit(':').next().unwrap()
}

#[tokio::test]
async fn non_loopback_bind_needs_a_session_for_the_management_api() {
    let gw = TestGateway::start_with(&[
        ("HOSTNAME", "0.0.0.0"),
        ("INITIAL_PASSWORD", "first-secret"),
        ("JWT_SECRET", "test-jwt-secret"),
    ])
    .await
    .unwrap();
    let c = reqwest::Client::new();
    let url = &gw.url;

    let (status, body) = send(c.get(format!("{url}/api/auth/status"))).await;
    assert_eq!(status, 200);
    assert_eq!(
        body,
        json!({"authenticated": false, "loopback": false, "authRequired": true,
               "defaultPassword": false, "defaultSecrets": []})
    );
    let (status, body) = send(c.get(format!("{url}/api/combos"))).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (401, Some("unauthorized"))
    );
    let (status, _) = send(c.get(format!("{url}/api/health"))).await;
    assert_eq!(status, 401, "the detailed health report is management data");
    // The client API is governed by API keys (required off loopback), not sessions.
    let (status, _) = send(c.get(format!("{url}/v1/models"))).await;
    assert_eq!(status, 401);
    let (status, _) = send(c.get(format!("{url}/healthz"))).await;
    assert_eq!(status, 200);

    let r = login(&c, url, "wrong-secret").await;
    assert_eq!(r.status(), 401);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "unauthorized");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("4 attempt(s) left")
    );

    let r = login(&c, url, "first-secret").await;
    assert_eq!(r.status(), 200);
    let cookie = r.headers()[SET_COOKIE].to_str().unwrap().to_owned();
    let session: Value = r.json().await.unwrap();
    let token = session["token"].as_str().unwrap().to_owned();
    assert_eq!(session["ok"], true);
    assert_eq!(
        session["mustChangePassword"], true,
        "still on INITIAL_PASSWORD"
    );
    assert!(session["expiresAt"].as_i64().unwrap() > 0);
    assert_eq!(token.split('.').count(), 3, "a compact JWT");
    assert_eq!(
        cookie,
        format!("omniroute_session={token}; HttpOnly; SameSite=Strict; Path=/; Max-Age=604800")
    );

    let with_cookie = |path: &str| {
        c.get(format!("{url}{path}"))
            .header(COOKIE, format!("omniroute_session={token}"))
    };
    assert_eq!(send(with_cookie("/api/combos")).await, (200, json!([])));
    let (status, body) = send(with_cookie("/api/auth/status")).await;
    assert_eq!((status, &body["authenticated"]), (200, &json!(true)));
    let (status, _) = send(c.get(format!("{url}/api/combos")).bearer_auth(&token)).await;
    assert_eq!(status, 200);
    let (status, _) = send(
        c.get(format!("{url}/api/combos"))
            .bearer_auth(format!("{token}x")),
    )
    .await;
    assert_eq!(status, 401, "a tampered token is refused");

    // Password change: validated, checks the current password, ends older sessions.
    let change = |current: &str, new: &str, bearer: &str| {
        c.post(format!("{url}/api/auth/password"))
            .bearer_auth(bearer)
            .json(&json!({"currentPassword": current, "newPassword": new}))
    };
    let (status, body) = send(change("first-secret", "short", &token)).await;
    assert_eq!(status, 400);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("at least 8")
    );
    let (status, _) = send(change("first-secret", "first-secret", &token)).await;
    assert_eq!(status, 400);
    let (status, _) = send(change("not-the-password", "second-secret", &token)).await;
    assert_eq!(status, 401);
    let (status, changed) = send(change("first-secret", "second-secret", &token)).await;
    assert_eq!(status, 200, "{changed}");
    let renewed = changed["token"].as_str().unwrap().to_owned();
    assert_eq!(changed["mustChangePassword"], false);

    let (status, _) = send(c.get(format!("{url}/api/combos")).bearer_auth(&token)).await;
    assert_eq!(status, 401, "sessions from before the change are over");
    let (status, _) = send(c.get(format!("{url}/api/combos")).bearer_auth(&renewed)).await;
    assert_eq!(status, 200, "the changer keeps a fresh session");
    assert_eq!(login(&c, url, "first-secret").await.status(), 401);
    let r = login(&c, url, "second-secret").await;
    assert_eq!(r.status(), 200);
    let second: Value = r.json().await.unwrap();
    assert_eq!(second["mustChangePassword"], false);
    let other = second["token"].as_str().unwrap().to_owned();

    // Logout revokes that session only, and clears the cookie.
    let r = c
        .post(format!("{url}/api/auth/logout"))
        .header(COOKIE, format!("omniroute_session={renewed}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let cleared = r.headers()[SET_COOKIE].to_str().unwrap();
    assert!(
        cleared.starts_with("omniroute_session=;") && cleared.contains("Max-Age=0"),
        "{cleared}"
    );
    let (status, _) = send(c.get(format!("{url}/api/combos")).bearer_auth(&renewed)).await;
    assert_eq!(status, 401, "logged out");
    let (status, _) = send(c.get(format!("{url}/api/combos")).bearer_auth(&other)).await;
    assert_eq!(status, 200);
    gw.shutdown().await;
}

#[tokio::test]
async fn five_wrong_passwords_lock_the_address_for_fifteen_minutes() {
    let gw = TestGateway::start_with(&[("AUTH_COOKIE_SECURE", "true")])
        .await
        .unwrap();
    let c = reqwest::Client::new();
    let url = &gw.url;

    let (status, body) = send(c.get(format!("{url}/api/auth/status"))).await;
    assert_eq!(status, 200);
    assert_eq!(
        body,
        json!({"authenticated": false, "loopback": true, "authRequired": false,
               "defaultPassword": true, "defaultSecrets": []})
    );
    // On loopback the management API needs no session (the guide's curl examples).
    assert_eq!(send(c.get(format!("{url}/api/combos"))).await.0, 200);

    let r = login(&c, url, "123456").await;
    assert_eq!(r.status(), 200);
    let cookie = r.headers()[SET_COOKIE].to_str().unwrap().to_owned();
    assert!(cookie.ends_with("; Secure"), "{cookie}");

    for attempt in 1..=4 {
        let r = login(&c, url, "nope").await;
        assert_eq!(r.status(), 401, "attempt {attempt}");
    }
    let r = login(&c, url, "nope").await;
    assert_eq!(r.status(), 429, "the fifth failure starts the lockout");
    let r = login(&c, url, "123456").await;
    assert_eq!(r.status(), 429, "even the right password waits");
    let retry: u64 = r.headers()[RETRY_AFTER].to_str().unwrap().parse().unwrap();
    assert!((890..=900).contains(&retry), "{retry}");
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "too_many_requests");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("try again in 15 minute(s), after"),
        "{message}"
    );
    assert!(message.ends_with(" UTC"), "{message}");
    // The password-change endpoint shares the lockout (no second guessing oracle).
    let (status, _) = send(
        c.post(format!("{url}/api/auth/password"))
            .json(&json!({"currentPassword": "123456", "newPassword": "long-enough"})),
    )
    .await;
    assert_eq!(status, 429);
    gw.shutdown().await;
}

#[tokio::test]
async fn cross_origin_requests_are_refused_and_write_nothing() {
    let gw = TestGateway::start().await.unwrap();
    let c = reqwest::Client::new();
    let url = &gw.url;
    let combo = json!({"name": "team", "models": ["openai/gpt-4o"]});

    for origin in ["http://evil.example", "null", "http://localhost:1"] {
        let (status, body) = send(
            c.post(format!("{url}/api/combos"))
                .header(ORIGIN, origin)
                .json(&combo),
        )
        .await;
        assert_eq!(status, 403, "{origin}");
        assert_eq!(body["error"]["code"], "forbidden");
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .starts_with("cross-origin request refused"),
            "{body}"
        );
    }
    assert_eq!(
        send(c.get(format!("{url}/api/combos"))).await,
        (200, json!([]))
    );

    // The page the gateway serves itself (same host and port), and BASE_URL's origin, pass.
    let same_origin = format!("http://127.0.0.1:{}", port_of(url));
    let (status, body) = send(
        c.post(format!("{url}/api/combos"))
            .header(ORIGIN, &same_origin)
            .json(&combo),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let (status, _) = send(
        c.get(format!("{url}/api/combos"))
            .header(ORIGIN, "http://localhost:20128"),
    )
    .await;
    assert_eq!(status, 200, "BASE_URL's origin");
    // Reading the model list cross-origin is harmless (the page cannot see the answer)...
    let (status, _) = send(
        c.get(format!("{url}/v1/models"))
            .header(ORIGIN, "http://evil.example"),
    )
    .await;
    assert_eq!(status, 200);
    // ...but a foreign page must not make the browser send chat requests (a `text/plain` POST
    // needs no preflight): refused in the client's own format, before any upstream call.
    let (status, body) = send(
        c.post(format!("{url}/v1/chat/completions"))
            .header(ORIGIN, "http://evil.example")
            .header("content-type", "text/plain")
            .body(r#"{"model":"openai/gpt-4o","messages":[{"role":"user","content":"hi"}]}"#),
    )
    .await;
    assert_eq!(status, 403);
    assert_eq!(body["error"]["type"], "permission_error", "{body}");
    gw.shutdown().await;
}

#[tokio::test]
async fn loopback_bind_refuses_foreign_host_headers() {
    let gw = TestGateway::start().await.unwrap();
    let c = reqwest::Client::new();
    let url = &gw.url;
    let port = port_of(url);

    for path in ["/api/health", "/v1/models", "/healthz"] {
        let (status, body) = send(
            c.get(format!("{url}{path}"))
                .header(HOST, "evil.example:20128"),
        )
        .await;
        assert_eq!(status, 403, "{path}");
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .starts_with("foreign Host header 'evil.example:20128'"),
            "{body}"
        );
    }
    for host in [
        format!("localhost:{port}"),
        "localhost".to_owned(),
        format!("127.0.0.2:{port}"),
        format!("[::1]:{port}"),
    ] {
        let (status, _) = send(c.get(format!("{url}/api/health")).header(HOST, &host)).await;
        assert_eq!(status, 200, "{host}");
    }
    gw.shutdown().await;
}

#[tokio::test]
async fn ip_lists_apply_to_every_route_and_are_validated() {
    let gw = TestGateway::start().await.unwrap();
    let c = reqwest::Client::new();
    let url = &gw.url;
    let settings = format!("{url}/api/settings");
    let (_, before) = send(c.get(&settings)).await;

    let (status, body) = send(
        c.patch(&settings)
            .json(&json!({"security": {"ipDeny": ["10.0.0.0/33"]}})),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(
        body["error"]["message"],
        "security.ipDeny: '10.0.0.0/33' is not an IP address or CIDR block (e.g. 10.0.0.0/8, fd00::/8)"
    );
    let (status, _) = send(
        c.patch(&settings)
            .json(&json!({"security": {"ipAllow": ["fd00::/8", "example.com"]}})),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(send(c.get(&settings)).await.1, before, "nothing stored");

    // An allow list that includes this client, and a deny list that does not, change nothing.
    let (status, _) =
        send(c.patch(&settings).json(
            &json!({"security": {"ipAllow": ["127.0.0.1", "::1"], "ipDeny": ["192.0.2.0/24"]}}),
        ))
        .await;
    assert_eq!(status, 200);
    assert_eq!(send(c.get(format!("{url}/api/health"))).await.0, 200);

    // Denying loopback shuts this client out of everything, client API included.
    let (status, _) = send(
        c.patch(&settings)
            .json(&json!({"security": {"ipDeny": ["127.0.0.0/8"]}})),
    )
    .await;
    assert_eq!(status, 200);
    for path in ["/api/health", "/api/settings", "/v1/models", "/healthz"] {
        let (status, body) = send(c.get(format!("{url}{path}"))).await;
        assert_eq!(status, 403, "{path}");
        if path.starts_with("/v1") {
            // The client API answers in its client's format (OpenAI here).
            assert_eq!(body["error"]["type"], "permission_error", "{body}");
        } else {
            assert_eq!(body["error"]["code"], "forbidden");
        }
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("127.0.0.1")
        );
    }
    gw.shutdown().await;
}

#[tokio::test]
async fn dual_stack_allow_list_admits_only_the_listed_family() {
    // Bound to [::] a gateway sees 127.0.0.1 as ::ffff:127.0.0.1; rules compare it as IPv4, and
    // [::1] stays reachable to undo a rule that shuts IPv4 out.
    let gw = TestGateway::start_with(&[("HOSTNAME", "::"), ("INITIAL_PASSWORD", "dual-stack-pw")])
        .await
        .unwrap();
    let c = reqwest::Client::new();
    let v4 = gw.url.clone();
    let v6 = format!("http://[::1]:{}", port_of(&gw.url));
    let r = login(&c, &v6, "dual-stack-pw").await;
    assert_eq!(r.status(), 200);
    let token = r.json::<Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let get = |base: &str| c.get(format!("{base}/api/settings")).bearer_auth(&token);
    let patch = |security: Value| {
        c.patch(format!("{v6}/api/settings"))
            .bearer_auth(&token)
            .json(&json!({ "security": security }))
    };

    assert_eq!(send(patch(json!({"ipAllow": ["::1"]}))).await.0, 200);
    assert_eq!(
        send(get(&v4)).await.0,
        403,
        "IPv4 loopback is not on the list"
    );
    assert_eq!(send(get(&v6)).await.0, 200);

    assert_eq!(
        send(patch(
            json!({"ipAllow": [], "ipDeny": ["::ffff:127.0.0.0/104"]})
        ))
        .await
        .0,
        200
    );
    assert_eq!(
        send(get(&v4)).await.0,
        403,
        "a v4-mapped block denies the IPv4 peer"
    );
    assert_eq!(send(get(&v6)).await.0, 200);

    assert_eq!(send(patch(json!({"ipDeny": []}))).await.0, 200);
    assert_eq!(
        send(get(&v4)).await.0,
        200,
        "lists cleared: everyone is back"
    );
    gw.shutdown().await;
}
