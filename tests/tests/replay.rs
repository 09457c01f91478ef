//! Answers served again and what a request leaves behind: the response cache (per key,
//! bypassable), idempotent duplicates, progress events in every client format, and request
//! logs with secrets redacted.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::disallowed_methods,
    reason = "tests"
)]

use std::time::{Duration, Instant};

use accounting_rig::{CONNECTION_KEY, new_key, rig, send, usage_rows};
use omniroute_e2e::clients;
use omniroute_e2e::mock::{Fault, Format, Script};
use serde_json::{Value, json};

mod accounting_rig;

#[tokio::test]
async fn deterministic_requests_are_cached_per_key_and_bypassable() {
    let (gw, mock, http) = rig(&[]).await;
    let (path, mut body) = clients::request(
        Format::OpenAiChat,
        "up-anthropic/m-1",
        "cache me",
        false,
        false,
    );
    body["temperature"] = json!(0);
    let post = |headers: Vec<(&'static str, String)>| {
        let mut r = http.post(format!("{}{path}", gw.url)).json(&body);
        for (k, v) in headers {
            r = r.header(k, v);
        }
        r.send()
    };
    let first = post(vec![]).await.unwrap();
    assert_eq!(first.headers()["x-omniroute-cache"], "miss");
    let first_body = first.text().await.unwrap();
    let second = post(vec![]).await.unwrap();
    assert_eq!(second.headers()["x-omniroute-cache"], "hit");
    assert!(second.headers().get("x-omniroute-route").is_some());
    assert_eq!(second.text().await.unwrap(), first_body);
    assert_eq!(mock.received().len(), 1, "the hit never reached upstream");
    let bypass = post(vec![("x-omniroute-no-cache", "true".into())])
        .await
        .unwrap();
    assert_eq!(bypass.headers()["x-omniroute-cache"], "bypass");
    assert_eq!(mock.received().len(), 2);
    let (_, key) = new_key(&http, &gw, "other").await;
    let other = post(vec![("authorization", format!("Bearer {key}"))])
        .await
        .unwrap();
    assert_eq!(
        other.headers()["x-omniroute-cache"],
        "miss",
        "never shared across keys"
    );
    // Not deterministic, or streamed: not cached at all.
    let (_, mut warm) = clients::request(
        Format::OpenAiChat,
        "up-anthropic/m-1",
        "cache me",
        false,
        false,
    );
    warm["temperature"] = json!(0.7);
    let r = http
        .post(format!("{}{path}", gw.url))
        .json(&warm)
        .send()
        .await
        .unwrap();
    assert!(r.headers().get("x-omniroute-cache").is_none());
    let stats: Value = http
        .get(format!("{}/api/cache", gw.url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(stats["hits"], 1, "{stats}");
    assert_eq!(stats["misses"], 2, "{stats}");
    assert_eq!(stats["entries"], 2, "{stats}");
    let health: Value = http
        .get(format!("{}/api/health", gw.url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health["cache"]["hits"], 1, "{health}");
    let rows = usage_rows(&http, &gw, 5).await;
    assert_eq!(rows.iter().filter(|r| r["source"] == "cache").count(), 1);
    // Turning the cache off in settings stops it.
    http.patch(format!("{}/api/settings", gw.url))
        .json(&json!({"cache": {"enabled": false}}))
        .send()
        .await
        .unwrap();
    let r = post(vec![]).await.unwrap();
    assert!(r.headers().get("x-omniroute-cache").is_none());
}

#[tokio::test]
async fn idempotent_duplicates_reach_upstream_once() {
    let (gw, mock, http) = rig(&[]).await;
    mock.set_default(Script {
        fault: Fault {
            delay_ms: 300,
            ..Fault::default()
        },
        ..Script::default()
    });
    for (format, stream, header) in [
        (Format::OpenAiChat, false, "idempotency-key"),
        (Format::Anthropic, true, "x-request-id"),
    ] {
        mock.reset();
        mock.set_default(Script {
            fault: Fault {
                delay_ms: 300,
                ..Fault::default()
            },
            ..Script::default()
        });
        let id = format!("req-{format:?}-{stream}");
        let pair = [(header, id.as_str())];
        let a = send(&http, &gw, format, "up-openai/m-1", stream, &pair);
        let b = send(&http, &gw, format, "up-openai/m-1", stream, &pair);
        let (a, b) = tokio::join!(a, b);
        let replayed = [&a, &b]
            .iter()
            .filter(|r| r.headers().get("x-omniroute-idempotent-replay").is_some())
            .count();
        assert_eq!(replayed, 1, "{format:?}");
        let (a, b) = (a.text().await.unwrap(), b.text().await.unwrap());
        assert_eq!(a, b, "{format:?}");
        let text = if stream {
            clients::read_stream(format, &a).text
        } else {
            a.clone()
        };
        assert!(text.contains("Hello from the mock"), "{a}");
        let c = send(
            &http,
            &gw,
            format,
            "up-openai/m-1",
            stream,
            &[(header, &id)],
        )
        .await;
        assert!(c.headers().get("x-omniroute-idempotent-replay").is_some());
        assert_eq!(c.text().await.unwrap(), a);
        assert_eq!(
            mock.received().len(),
            1,
            "{format:?}: one upstream call for three requests"
        );
        let another = format!("{id}-another");
        let other = send(
            &http,
            &gw,
            format,
            "up-openai/m-1",
            stream,
            &[(header, &another)],
        )
        .await;
        assert!(
            other
                .headers()
                .get("x-omniroute-idempotent-replay")
                .is_none()
        );
        assert_eq!(mock.received().len(), 2);
    }
    // A retryable failure is not replayed: the retry runs again.
    mock.reset();
    mock.push(Script {
        fault: Fault {
            status: Some(503),
            ..Fault::default()
        },
        ..Script::default()
    });
    let r = send(
        &http,
        &gw,
        Format::OpenAiChat,
        "up-openai/m-1",
        false,
        &[("idempotency-key", "flaky")],
    )
    .await;
    assert_eq!(r.status(), 503);
    // (The failure cooled the account down; that is routing's business, not this test's.)
    http.post(format!("{}/api/resilience/reset", gw.url))
        .send()
        .await
        .unwrap();
    let r = send(
        &http,
        &gw,
        Format::OpenAiChat,
        "up-openai/m-1",
        false,
        &[("idempotency-key", "flaky")],
    )
    .await;
    assert_eq!(r.status(), 200);
    assert_eq!(mock.received().len(), 2);
}

#[tokio::test]
async fn progress_events_report_routing_without_breaking_the_stream() {
    let (gw, mock, http) = rig(&[]).await;
    let r = http.post(format!("{}/api/combos", gw.url))
        .json(&json!({"name": "steady", "strategy": "priority", "models": ["up-gemini/m-1", "up-openai/m-2"]}))
        .send().await.unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    for format in [
        Format::Anthropic,
        Format::OpenAiChat,
        Format::Responses,
        Format::Gemini,
    ] {
        mock.reset();
        http.post(format!("{}/api/resilience/reset", gw.url))
            .send()
            .await
            .unwrap();
        mock.push(Script {
            model: Some("m-1".into()),
            fault: Fault {
                status: Some(503),
                ..Fault::default()
            },
            ..Script::default()
        });
        let r = send(
            &http,
            &gw,
            format,
            "steady",
            true,
            &[("x-omniroute-progress", "true")],
        )
        .await;
        assert_eq!(r.status(), 200);
        let text = r.text().await.unwrap();
        let seen = clients::read_stream(format, &text);
        assert_eq!(
            seen.text, "Hello from the mock upstream.",
            "{format:?}: {text}"
        );
        assert!(
            seen.grammar.is_empty(),
            "{format:?}: {:?}\n{text}",
            seen.grammar
        );
        let progress: Vec<Value> = if format == Format::Anthropic {
            clients::sse(&text)
                .into_iter()
                .filter(|(e, _)| e.as_deref() == Some("progress"))
                .map(|(_, d)| serde_json::from_str(&d).unwrap())
                .collect()
        } else {
            text.lines()
                .filter_map(|l| l.strip_prefix(": progress "))
                .map(|d| serde_json::from_str(d).unwrap())
                .collect()
        };
        let stages: Vec<&str> = progress
            .iter()
            .map(|p| p["stage"].as_str().unwrap())
            .collect();
        assert_eq!(
            stages,
            ["plan", "attempt", "fallback", "attempt", "served"],
            "{format:?}: {text}"
        );
        assert_eq!(progress[0]["combo"], "steady");
        assert_eq!(progress[4]["target"], "up-openai/m-2");
    }
    // Without the header nothing extra is sent.
    let r = send(&http, &gw, Format::Anthropic, "steady", true, &[]).await;
    assert!(!r.text().await.unwrap().contains("progress"));
    // The usage row of a progress stream still has its route and tokens.
    let rows = usage_rows(&http, &gw, 5).await;
    let row = rows
        .iter()
        .find(|r| r["clientFormat"] == "anthropic" && r["attempts"] == 2)
        .unwrap();
    assert_eq!(row["model"], "up-openai/m-2");
    assert_eq!(row["combo"], "steady");
    assert_eq!(row["outputTokens"], 7);
    assert!(
        row["fallbackReasons"]
            .as_str()
            .unwrap()
            .contains("up-gemini/m-1")
    );
}

#[tokio::test]
async fn request_logs_keep_bodies_with_secrets_redacted() {
    let (gw, _mock, http) = rig(&[("ENABLE_REQUEST_LOGS", "true")]).await;
    let secret = "sk-ant-api03-THISISASECRETKEYTHATMUSTNOTBESTORED";
    let body = json!({"model": "up-openai/m-1", "messages": [{"role": "user", "content": format!("my key is {secret} and {CONNECTION_KEY}")}], "api_key": "hunter2-password"});
    for stream in [false, true] {
        let mut body = body.clone();
        body["stream"] = json!(stream);
        let r = http
            .post(format!("{}/v1/chat/completions", gw.url))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        r.text().await.unwrap();
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    let logs: Value = loop {
        let logs: Value = http
            .get(format!("{}/api/usage/logs", gw.url))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if logs.as_array().unwrap().len() >= 2 || Instant::now() > deadline {
            break logs;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let text = logs.to_string();
    assert_eq!(logs.as_array().unwrap().len(), 2, "{text}");
    assert!(
        !text.contains(secret) && !text.contains(CONNECTION_KEY) && !text.contains("hunter2"),
        "{text}"
    );
    assert!(text.contains("my key is [REDACTED]"), "{text}");
    assert!(
        text.contains("Hello from the mock"),
        "the answers are kept: {text}"
    );
    assert!(logs[0]["usageId"].is_i64());
}

#[tokio::test]
async fn without_request_logs_no_body_is_kept() {
    let (gw, _mock, http) = rig(&[]).await;
    let r = send(&http, &gw, Format::OpenAiChat, "up-openai/m-1", false, &[]).await;
    assert_eq!(r.status(), 200);
    usage_rows(&http, &gw, 1).await;
    let logs: Value = http
        .get(format!("{}/api/usage/logs", gw.url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(logs, json!([]));
}
