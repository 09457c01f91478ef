//! The hostile-client suite, upstreams and resources: each test is an attack on the gateway,
//! written as the exploit, against the real server over loopback — client-chosen model names,
//! redirecting, oversized and path-injecting upstream calls, slow clients, floods, replays, the
//! data directory, log lines. Sign-in and access are in `hostile_access.rs`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::disallowed_methods,
    reason = "tests"
)]

use std::time::Duration;

use omniroute_e2e::clients::send_json as send;
use omniroute_e2e::mock::{Format, serve_router as serve_upstream};
use omniroute_e2e::{MockUpstream, TestGateway};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A chat request for `model` through the OpenAI endpoint.
fn chat(model: &str) -> Value {
    json!({"model": model, "messages": [{"role": "user", "content": "hi"}]})
}

#[tokio::test]
async fn ten_thousand_model_names_keep_metrics_bounded() {
    use futures_util::StreamExt;
    let mock = MockUpstream::start().await.unwrap();
    let gw = TestGateway::with_upstream("up", "openai", &mock.base_url(Format::OpenAiChat)).await;
    let c = reqwest::Client::new();
    let rss = |c: reqwest::Client, url: String| async move {
        let (_, health) = send(c.get(format!("{url}/api/health"))).await;
        health["rss_bytes"].as_u64().unwrap_or(0)
    };
    let ask = |i: usize| {
        let c = c.clone();
        let url = gw.url.clone();
        async move {
            let body = json!({"model": format!("up/model-{i}"), "messages": [{"role": "user", "content": "hi"}]});
            c.post(format!("{url}/v1/chat/completions"))
                .json(&body)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    // Past the series bound first, so what follows measures only what more names cost.
    let statuses: Vec<u16> = futures_util::stream::iter(0..2_000)
        .map(ask)
        .buffer_unordered(32)
        .collect()
        .await;
    assert!(statuses.iter().all(|s| *s == 200));
    let before = rss(c.clone(), gw.url.clone()).await;
    let statuses: Vec<u16> = futures_util::stream::iter(2_000..10_000)
        .map(ask)
        .buffer_unordered(32)
        .collect()
        .await;
    assert!(statuses.iter().all(|s| *s == 200));
    let after = rss(c.clone(), gw.url.clone()).await;
    // 8,000 more names kept as series would hold over 100 MB of histograms.
    assert!(
        after.saturating_sub(before) < 48 << 20,
        "RSS grew by {} MiB",
        after.saturating_sub(before) >> 20
    );
    let metrics = c
        .get(format!("{}/metrics", gw.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let series = metrics
        .lines()
        .filter(|l| l.starts_with("omniroute_requests_total{"))
        .filter_map(|l| l.split("model=\"").nth(1))
        .map(|rest| rest.split('"').next().unwrap_or_default().to_owned())
        .collect::<std::collections::BTreeSet<_>>();
    assert!(
        series.len() <= omniroute_gateway::telemetry::MAX_SERIES + 1,
        "{}",
        series.len()
    );
    assert!(series.contains("other"), "the overflow is counted");
    assert!(
        metrics.len() < 4 << 20,
        "/metrics is {} bytes",
        metrics.len()
    );
    // A model id longer than any real one is refused before anything else.
    let long = json!({"model": "m".repeat(300), "messages": [{"role": "user", "content": "hi"}]});
    let (status, body) = send(
        c.post(format!("{}/v1/chat/completions", gw.url))
            .json(&long),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("256"));
}

#[tokio::test]
async fn a_redirecting_upstream_gets_no_key_elsewhere() {
    // The "other" server records whatever reaches it.
    let elsewhere = MockUpstream::start().await.unwrap();
    let target = format!("{}/v1/chat/completions", elsewhere.url());
    let redirector = axum::Router::new().fallback(move || {
        let target = target.clone();
        async move {
            (
                axum::http::StatusCode::TEMPORARY_REDIRECT,
                [(axum::http::header::LOCATION, target)],
            )
        }
    });
    let addr = serve_upstream(redirector).await;
    let gw = TestGateway::with_upstream("up", "openai", &format!("http://{addr}/v1")).await;
    let c = reqwest::Client::new();
    let request = chat("up/m");
    let (status, _) = send(
        c.post(format!("{}/v1/chat/completions", gw.url))
            .json(&request),
    )
    .await;
    assert!(status >= 500, "{status}");
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(elsewhere.received().is_empty(), "the redirect was followed");
}

#[tokio::test]
async fn a_model_name_cannot_walk_the_gemini_url() {
    let mock = MockUpstream::start().await.unwrap();
    let gw = TestGateway::start().await.unwrap();
    gw.add_node("gem", "gemini", &mock.base_url(Format::Gemini))
        .await;
    gw.add_connection("gem", "main", "AIzaSy-stored-key-0123456789")
        .await;
    let c = reqwest::Client::new();
    for model in [
        "gem/../../upload/v1beta/files?x=",
        "gem/a%2F..",
        "gem/..",
        "gem/x#y",
    ] {
        let (status, body) = send(
            c.post(format!("{}/v1/chat/completions", gw.url))
                .json(&chat(model)),
        )
        .await;
        assert_eq!(status, 400, "{model}: {body}");
    }
    assert!(mock.received().is_empty(), "{:?}", mock.received());
}

#[tokio::test]
async fn slow_headers_are_cut_off() {
    let gw = TestGateway::start().await.unwrap();
    let addr = gw.url.trim_start_matches("http://").to_owned();
    let mut tcp = tokio::net::TcpStream::connect(&addr).await.unwrap();
    tcp.write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n")
        .await
        .unwrap();
    // ... and never the blank line. The server closes the connection after its timeout.
    let mut buf = Vec::new();
    let read = tokio::time::timeout(
        omniroute_gateway::HEADER_READ_TIMEOUT + Duration::from_secs(10),
        tcp.read_to_end(&mut buf),
    )
    .await;
    assert!(read.is_ok(), "the connection is still open");
}

#[tokio::test]
async fn data_files_are_private() {
    let gw = TestGateway::start().await.unwrap();
    let c = reqwest::Client::new();
    let r = c
        .get(format!("{}/api/db-backups/export", gw.url))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let dir = gw.stop_keeping_data().await;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&dir.path().join("storage.sqlite")), 0o600);
        for entry in std::fs::read_dir(dir.path().join("backups"))
            .into_iter()
            .flatten()
            .flatten()
        {
            assert_eq!(mode(&entry.path()), 0o600, "{}", entry.path().display());
        }
        // A data directory created readable by others is made private.
        let shared = tempfile::tempdir().unwrap();
        let data = shared.path().join("data");
        std::fs::create_dir(&data).unwrap();
        std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).unwrap();
        omniroute_gateway::prepare_data_dir(&data).unwrap();
        assert_eq!(mode(&data), 0o700);
    }
}

#[tokio::test]
async fn replays_are_per_caller_and_per_body() {
    let mock = MockUpstream::start().await.unwrap();
    let gw = TestGateway::with_upstream("up", "openai", &mock.base_url(Format::OpenAiChat)).await;
    let c = reqwest::Client::new();
    let ask = |content: &str| {
        c.post(format!("{}/v1/chat/completions", gw.url))
            .header("idempotency-key", "same-key")
            .json(&json!({"model": "up/m", "messages": [{"role": "user", "content": content}]}))
    };
    let first = ask("first question").send().await.unwrap();
    assert_eq!(first.status(), 200);
    let second = ask("another question").send().await.unwrap();
    assert!(
        second
            .headers()
            .get("x-omniroute-idempotent-replay")
            .is_none(),
        "another body under the same key got the first answer"
    );
    assert_eq!(mock.received().len(), 2);
}

#[tokio::test]
async fn an_oversized_upstream_answer_is_refused_not_buffered() {
    // An upstream that answers a chat request with 65 MB of JSON whitespace.
    let huge = axum::Router::new().fallback(|| async {
        let chunk = bytes::Bytes::from(vec![b' '; 1 << 20]);
        let chunks = futures_util::stream::iter(
            (0..65).map(move |_| Ok::<_, std::io::Error>(chunk.clone())),
        );
        (
            [(axum::http::header::CONTENT_TYPE, "application/json")],
            axum::body::Body::from_stream(chunks),
        )
    });
    let addr = serve_upstream(huge).await;
    let gw = TestGateway::with_upstream("up", "openai", &format!("http://{addr}/v1")).await;
    let c = reqwest::Client::new();
    let request = chat("up/m");
    let (status, body) = send(
        c.post(format!("{}/v1/chat/completions", gw.url))
            .json(&request),
    )
    .await;
    assert!(status >= 500, "{status}");
    assert!(body.to_string().contains("larger than 64 MB"), "{body}");
    assert!(
        !body.to_string().contains(&addr.to_string()),
        "no upstream address: {body}"
    );
}

#[tokio::test]
async fn callers_without_a_key_never_share_replays() {
    let mock = MockUpstream::start().await.unwrap();
    let gw = TestGateway::with_upstream("up", "openai", &mock.base_url(Format::OpenAiChat)).await;
    let port = gw.url.rsplit(':').next().unwrap().to_owned();
    let request = json!({"model": "up/m", "messages": [{"role": "user", "content": "same"}]});
    let mut replayed = Vec::new();
    // Two machines (two loopback addresses) send the same body under the same request id.
    for local in ["127.0.0.1", "127.0.0.2"] {
        let c = reqwest::Client::builder()
            .local_address(local.parse::<std::net::IpAddr>().unwrap())
            .build()
            .unwrap();
        let r = c
            .post(format!("http://127.0.0.1:{port}/v1/chat/completions"))
            .header("x-request-id", "req-1")
            .json(&request)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        replayed.push(r.headers().contains_key("x-omniroute-idempotent-replay"));
    }
    assert_eq!(replayed, [false, false], "one caller got another's answer");
    assert_eq!(mock.received().len(), 2);
}

#[tokio::test]
async fn upstream_text_cannot_forge_log_lines() {
    let mock = MockUpstream::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let gw = omniroute_e2e::GatewayProcess::spawn(
        std::path::Path::new(&omniroute_e2e::gateway::workspace_binary("omniroute")),
        dir.path(),
        &[("RUST_LOG", "info")],
    )
    .unwrap();
    let c = reqwest::Client::new();
    let (status, _) = send(c.post(format!("{}/api/provider-nodes", gw.url)).json(
        &json!({"name": "up", "prefix": "up", "apiType": "openai", "baseUrl": mock.base_url(Format::OpenAiChat)}),
    ))
    .await;
    assert_eq!(status, 201);
    let (status, _) = send(
        c.post(format!("{}/api/providers", gw.url))
            .json(&json!({"provider": "up", "apiKey": "sk-upstream-0123456789"})),
    )
    .await;
    assert_eq!(status, 201);
    let forged = "2026-12-02T00:00:00.000000Z  INFO omniroute: password changed by admin";
    mock.push(omniroute_e2e::mock::Script {
        fault: omniroute_e2e::mock::Fault {
            status: Some(500),
            error_message: Some(format!("boom\n{forged}")),
            ..Default::default()
        },
        ..Default::default()
    });
    let request = chat("up/m");
    let (status, _) = send(
        c.post(format!("{}/v1/chat/completions", gw.url))
            .json(&request),
    )
    .await;
    assert!(status >= 500);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let log = gw.stderr();
    assert!(log.contains("boom"), "the failure is logged: {log}");
    assert!(
        !log.lines().any(|l| l.starts_with(forged)),
        "a forged line: {log}"
    );
}

#[tokio::test]
async fn connections_and_requests_beyond_the_caps_are_turned_away() {
    let mock = MockUpstream::start().await.unwrap();
    let gw = TestGateway::start_with(&[("MAX_IN_FLIGHT", "2"), ("MAX_CONNECTIONS", "8")])
        .await
        .unwrap();
    gw.add_node("up", "openai", &mock.base_url(Format::OpenAiChat))
        .await;
    gw.add_connection("up", "main", "sk-upstream-0123456789")
        .await;
    // Two slow requests hold the gateway; a third is refused at once, in its client's format.
    for _ in 0..2 {
        mock.push(omniroute_e2e::mock::Script {
            fault: omniroute_e2e::mock::Fault {
                delay_ms: 1500,
                ..Default::default()
            },
            ..Default::default()
        });
    }
    let slow = (0..2).map(|_| {
        let url = gw.url.clone();
        tokio::spawn(async move {
            let request = chat("up/m");
            reqwest::Client::new()
                .post(format!("{url}/v1/chat/completions"))
                .json(&request)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        })
    });
    let slow: Vec<_> = slow.collect();
    mock.wait_for_requests(2, Duration::from_secs(5)).await;
    let r = reqwest::Client::new()
        .post(format!("{}/v1/messages", gw.url))
        .json(&json!({"model": "up/m", "max_tokens": 5, "messages": [{"role": "user", "content": "hi"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 503);
    assert_eq!(r.headers()["retry-after"], "1");
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["type"], "error", "Anthropic's error shape: {body}");
    for task in slow {
        assert_eq!(task.await.unwrap(), 200);
    }
    // Connections: the ninth open one is closed at once.
    let addr = gw.url.trim_start_matches("http://").to_owned();
    let mut held = Vec::new();
    for _ in 0..8 {
        held.push(tokio::net::TcpStream::connect(&addr).await.unwrap());
    }
    let mut extra = tokio::net::TcpStream::connect(&addr).await.unwrap();
    extra
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .await
        .ok();
    let mut buf = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), extra.read_to_end(&mut buf)).await;
    assert!(
        matches!(read, Ok(Ok(_)) | Ok(Err(_))) && buf.is_empty(),
        "the connection over the cap was served: {:?}",
        String::from_utf8_lossy(&buf)
    );
    drop(held);
}
