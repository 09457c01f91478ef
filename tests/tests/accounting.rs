//! Access and accounting end to end: API keys and `REQUIRE_API_KEY` in every header style, usage
//! rows with tokens and costs for every client format (streamed and not, chat and media), nothing
//! lost across a graceful shutdown under load, and budgets.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::disallowed_methods,
    reason = "tests"
)]

use std::time::Duration;

use accounting_rig::{new_key, rig, send, usage_rows};
use omniroute_e2e::clients::{self, FORMATS};
use omniroute_e2e::mock::{Fault, Format, Reply, Script, Usage};
use serde_json::{Value, json};

mod accounting_rig;

#[tokio::test]
async fn keys_are_shown_once_and_required_in_every_header_style() {
    let (gw, _mock, http) = rig(&[("REQUIRE_API_KEY", "true")]).await;
    let (id, key) = new_key(&http, &gw, "laptop").await;
    assert!(key.starts_with("sk-omni-") && key.len() > 40, "{key}");
    let listed = http
        .get(format!("{}/api/keys", gw.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        listed.contains("laptop") && !listed.contains(&key),
        "{listed}"
    );
    assert!(
        !listed.contains("keyHash") && !listed.contains("key_hash"),
        "{listed}"
    );

    let model = "up-openai/m-1";
    for format in FORMATS {
        let r = send(&http, &gw, format, model, false, &[]).await;
        assert_eq!(r.status(), 401, "{format:?} without a key");
        let body: Value = r.json().await.unwrap();
        let message = clients::error_message(format, &body).unwrap_or_default();
        assert!(message.contains("missing API key"), "{format:?}: {body}");
        let r = send(
            &http,
            &gw,
            format,
            model,
            false,
            &[("authorization", "Bearer sk-omni-wrong")],
        )
        .await;
        assert_eq!(r.status(), 401);
        let body: Value = r.json().await.unwrap();
        assert!(
            clients::error_message(format, &body)
                .unwrap_or_default()
                .contains("invalid API key")
        );
    }
    // The error bodies are each format's own.
    let r = send(&http, &gw, Format::Anthropic, model, false, &[]).await;
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["type"], "error");
    assert_eq!(body["error"]["type"], "authentication_error");

    let bearer = format!("Bearer {key}");
    let styles = [
        (Format::OpenAiChat, "authorization", bearer.as_str()),
        (Format::Responses, "authorization", bearer.as_str()),
        (Format::Anthropic, "x-api-key", key.as_str()),
        (Format::Gemini, "x-goog-api-key", key.as_str()),
    ];
    for (format, header, value) in styles {
        let r = send(&http, &gw, format, model, false, &[(header, value)]).await;
        assert_eq!(r.status(), 200, "{format:?} with {header}");
    }
    let (path, body) = clients::request(Format::Gemini, model, "hi", false, false);
    let r = http
        .post(format!("{}{path}?key={key}", gw.url))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "Gemini ?key=");
    let r = http
        .get(format!("{}/v1/models", gw.url))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401, "model list too");

    // Usage is attributed to the key; a revoked key stops working at once.
    let rows = usage_rows(&http, &gw, 5).await;
    assert!(rows.iter().filter(|r| r["apiKeyId"] == id.as_str()).count() >= 5);
    assert!(rows.iter().any(|r| r["keyName"] == "laptop"));
    let r = http
        .delete(format!("{}/api/keys/{id}", gw.url))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let r = send(
        &http,
        &gw,
        Format::OpenAiChat,
        model,
        false,
        &[("authorization", &bearer)],
    )
    .await;
    assert_eq!(r.status(), 401);
    let r = http
        .delete(format!("{}/api/keys/{id}", gw.url))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
}

#[tokio::test]
async fn the_model_list_can_require_a_key_on_its_own() {
    let (gw, _mock, http) = rig(&[]).await;
    assert_eq!(
        http.get(format!("{}/v1/models", gw.url))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let r = http
        .patch(format!("{}/api/settings", gw.url))
        .json(&json!({"security": {"requireApiKeyForModels": true}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    for path in ["/v1/models", "/v1beta/models"] {
        let r = http.get(format!("{}{path}", gw.url)).send().await.unwrap();
        assert_eq!(r.status(), 401, "{path}");
    }
    let (_, key) = new_key(&http, &gw, "lister").await;
    let r = http
        .get(format!("{}/v1/models", gw.url))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // Chat itself stays open (REQUIRE_API_KEY is off).
    assert_eq!(
        send(&http, &gw, Format::OpenAiChat, "up-openai/m-1", false, &[])
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn usage_rows_carry_upstream_tokens_and_costs_for_every_format() {
    let (gw, mock, http) = rig(&[]).await;
    let r = http
        .put(format!("{}/api/pricing", gw.url))
        .json(&json!([{"model": "up-anthropic/m-1", "inputPer1k": 0.003, "outputPer1k": 0.015}]))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let prices: Value = r.json().await.unwrap();
    let custom = prices
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["model"] == "up-anthropic/m-1")
        .unwrap();
    assert_eq!(custom["source"], "custom");
    let (key_id, key) = new_key(&http, &gw, "meter").await;
    let bearer = format!("Bearer {key}");
    mock.set_default(Script {
        reply: Reply {
            usage: Usage {
                input: 1000,
                output: 200,
                cached: 100,
                reasoning: 0,
            },
            ..Reply::text("counted")
        },
        ..Script::default()
    });
    let mut sent = 0;
    for format in FORMATS {
        for stream in [false, true] {
            let r = send(
                &http,
                &gw,
                format,
                "up-anthropic/m-1",
                stream,
                &[("authorization", &bearer), ("x-api-key", &key)],
            )
            .await;
            assert_eq!(r.status(), 200, "{format:?} stream={stream}");
            let _ = r.text().await.unwrap();
            sent += 1;
        }
    }
    let rows = usage_rows(&http, &gw, sent).await;
    // The IR counts input as OpenAI does: the mock's 1,000 uncached Anthropic tokens plus the
    // 100 read from its prompt cache.
    let expected_cost = 1100.0 * 0.003 / 1000.0 + 200.0 * 0.015 / 1000.0;
    for format in FORMATS {
        for stream in [false, true] {
            let name = match format {
                Format::OpenAiChat => "openai",
                Format::Anthropic => "anthropic",
                Format::Gemini => "gemini",
                Format::Responses => "responses",
            };
            let row = rows
                .iter()
                .find(|r| r["clientFormat"] == name && r["stream"] == stream)
                .unwrap_or_else(|| panic!("no row for {name} stream={stream}: {rows:?}"));
            assert_eq!(row["inputTokens"], 1100, "{name} {stream}: {row}");
            assert_eq!(row["outputTokens"], 200, "{name} {stream}: {row}");
            assert_eq!(row["cachedTokens"], 100, "{name} {stream}: {row}");
            assert_eq!(row["status"], 200);
            assert_eq!(row["model"], "up-anthropic/m-1");
            assert_eq!(row["provider"], "up-anthropic");
            assert_eq!(row["apiKeyId"], key_id.as_str());
            assert_eq!(row["attempts"], 1);
            assert!(row["connectionId"].is_string());
            let cost = row["costUsd"].as_f64().unwrap();
            assert!(
                (cost - expected_cost).abs() < 1e-9,
                "{name} {stream}: {cost}"
            );
            assert!(row["latencyMs"].as_i64().unwrap() >= 0);
            assert!(row["ttftMs"].is_i64(), "{row}");
        }
    }
    // Filters and grouping.
    let by_provider: Value = http
        .get(format!(
            "{}/api/usage?groupBy=provider&provider=up-anthropic&key={key_id}",
            gw.url
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(by_provider["totals"]["requests"], sent);
    assert_eq!(by_provider["groups"][0]["group"], "up-anthropic");
    let total = by_provider["totals"]["costUsd"].as_f64().unwrap();
    assert!((total - expected_cost * sent as f64).abs() < 1e-9);
    let future: Value = http
        .get(format!("{}/api/usage?from=2999-01-01", gw.url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(future["totals"]["requests"], 0);
    let r = http
        .get(format!("{}/api/usage?groupBy=weekday", gw.url))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let r = http
        .get(format!("{}/api/usage?limit=many", gw.url))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "invalid_request", "{body}");
    let r = http
        .get(format!("{}/api/usage?from=yesterday", gw.url))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);

    // A failed request is recorded with its status and the reasons of its fallbacks.
    mock.push(Script {
        fault: Fault {
            status: Some(500),
            ..Fault::default()
        },
        ..Script::default()
    });
    let r = send(&http, &gw, Format::OpenAiChat, "up-openai/m-1", false, &[]).await;
    assert_eq!(r.status(), 500);
    let rows = usage_rows(&http, &gw, sent + 1).await;
    assert_eq!(rows[0]["status"], 500, "{}", rows[0]);
    assert_eq!(rows[0]["costUsd"], 0.0);
}

#[tokio::test]
async fn a_graceful_shutdown_under_load_loses_no_usage_row() {
    let (gw, mock, http) = rig(&[]).await;
    mock.set_default(Script {
        fault: Fault {
            delay_ms: 300,
            ..Fault::default()
        },
        ..Script::default()
    });
    let url = gw.url.clone();
    let mut tasks = Vec::new();
    for i in 0..60 {
        let http = http.clone();
        let url = url.clone();
        tasks.push(tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(i * 5)).await;
            let (path, body) = clients::request(
                FORMATS[i as usize % 4],
                "up-openai/m-1",
                "x",
                i % 2 == 0,
                false,
            );
            match http.post(format!("{url}{path}")).json(&body).send().await {
                Ok(r) => r.text().await.is_ok(),
                Err(_) => false,
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(150)).await;
    let dir = gw.stop_keeping_data().await;
    let mut answered = 0;
    for t in tasks {
        answered += usize::from(t.await.unwrap());
    }
    assert!(answered > 0, "some requests were in flight");
    let db = format!(
        "sqlite://{}?mode=ro",
        dir.path().join("storage.sqlite").display()
    );
    let pool = sqlx::SqlitePool::connect(&db).await.unwrap();
    let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM usage")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(
        rows as usize, answered,
        "one usage row per answered request"
    );
}

#[tokio::test]
async fn a_budget_refuses_requests_once_used_up() {
    let (gw, mock, http) = rig(&[]).await;
    http.put(format!("{}/api/pricing", gw.url))
        .json(&json!({"up-openai/m-1": {"inputPer1k": 1.0, "outputPer1k": 1.0}}))
        .send()
        .await
        .unwrap();
    mock.set_default(Script {
        reply: Reply {
            usage: Usage {
                input: 600,
                output: 0,
                cached: 0,
                reasoning: 0,
            },
            ..Reply::text("ok")
        },
        ..Script::default()
    });
    let (id, key) = new_key(&http, &gw, "ci").await;
    let r = http
        .post(format!("{}/api/usage/budget", gw.url))
        .json(&json!({"keyId": id, "limit": 1.0, "period": "daily"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let bearer = format!("Bearer {key}");
    let auth = [("authorization", bearer.as_str())];
    // $0.60: under the limit, not yet a warning.
    assert_eq!(
        send(
            &http,
            &gw,
            Format::OpenAiChat,
            "up-openai/m-1",
            false,
            &auth
        )
        .await
        .status(),
        200
    );
    let status: Value = http
        .get(format!("{}/api/usage/budget?keyId={id}", gw.url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(status[0]["state"], "ok", "{status}");
    assert!(
        (status[0]["spent"].as_f64().unwrap() - 0.6).abs() < 1e-9,
        "{status}"
    );
    // $1.20: over.
    assert_eq!(
        send(
            &http,
            &gw,
            Format::OpenAiChat,
            "up-openai/m-1",
            false,
            &auth
        )
        .await
        .status(),
        200
    );
    let status: Value = http
        .get(format!("{}/api/usage/budget", gw.url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(status[0]["state"], "exceeded", "{status}");
    assert_eq!(status[0]["keyName"], "ci");
    let calls = mock.received().len();
    for format in FORMATS {
        let r = send(
            &http,
            &gw,
            format,
            "up-openai/m-1",
            false,
            &[
                ("authorization", &bearer),
                ("x-api-key", &key),
                ("x-goog-api-key", &key),
            ],
        )
        .await;
        assert_eq!(r.status(), 429, "{format:?}");
        assert!(r.headers().get("retry-after").is_some());
        let body: Value = r.json().await.unwrap();
        let message = clients::error_message(format, &body).unwrap();
        assert!(
            message.contains("daily budget of API key 'ci'") && message.contains("resets at"),
            "{message}"
        );
    }
    assert_eq!(
        mock.received().len(),
        calls,
        "refused requests never reach upstream"
    );
    // Other callers are not affected; raising the limit lets the key through again.
    assert_eq!(
        send(&http, &gw, Format::OpenAiChat, "up-openai/m-1", false, &[])
            .await
            .status(),
        200
    );
    http.post(format!("{}/api/usage/budget", gw.url))
        .json(&json!({"keyId": id, "limit": 1.4, "period": "daily"}))
        .send()
        .await
        .unwrap();
    let status: Value = http
        .get(format!("{}/api/usage/budget?keyId={id}", gw.url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(status[0]["state"], "warning", "{status}");
    assert_eq!(
        send(
            &http,
            &gw,
            Format::OpenAiChat,
            "up-openai/m-1",
            false,
            &auth
        )
        .await
        .status(),
        200
    );
    let r = http
        .post(format!("{}/api/usage/budget", gw.url))
        .json(&json!({"keyId": "nope", "limit": 1.0, "period": "daily"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let r = http
        .post(format!("{}/api/usage/budget", gw.url))
        .json(&json!({"keyId": id, "limit": 1.0, "period": "hourly"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
}

#[tokio::test]
async fn a_relayed_openai_stream_is_counted_even_when_the_client_did_not_ask_for_usage() {
    let (gw, mock, http) = rig(&[]).await;
    let body = json!({"model": "up-openai/m-1", "stream": true, "messages": [{"role": "user", "content": "hi"}]});
    let r = http
        .post(format!("{}/v1/chat/completions", gw.url))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let text = r.text().await.unwrap();
    let chunks: Vec<Value> = clients::sse(&text)
        .into_iter()
        .filter(|(_, d)| d != "[DONE]")
        .map(|(_, d)| serde_json::from_str(&d).unwrap())
        .collect();
    assert!(
        chunks.iter().all(|c| c["usage"].is_null()),
        "no usage chunk the client did not ask for: {text}"
    );
    assert!(text.trim_end().ends_with("data: [DONE]"), "{text}");
    assert_eq!(
        clients::read_stream(Format::OpenAiChat, &text).text,
        "Hello from the mock upstream."
    );
    let upstream = &mock.received()[0].body;
    assert_eq!(
        upstream["stream_options"]["include_usage"], true,
        "{upstream}"
    );
    let rows = usage_rows(&http, &gw, 1).await;
    assert_eq!(rows[0]["inputTokens"], 12, "{}", rows[0]);
    assert_eq!(rows[0]["outputTokens"], 7);
}

#[tokio::test]
async fn media_requests_are_recorded_too() {
    let (gw, _mock, http) = rig(&[]).await;
    let (key_id, key) = new_key(&http, &gw, "embedder").await;
    let r = http
        .post(format!("{}/v1/embeddings", gw.url))
        .bearer_auth(&key)
        .json(&json!({"model": "up-openai/e-1", "input": "hello"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = http
        .post(format!("{}/v1/embeddings", gw.url))
        .json(&json!({"model": "nowhere/e-1", "input": "hello"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let rows = usage_rows(&http, &gw, 2).await;
    let ok = rows.iter().find(|r| r["status"] == 200).unwrap();
    assert_eq!(ok["model"], "up-openai/e-1", "{ok}");
    assert_eq!(ok["provider"], "up-openai");
    assert_eq!(ok["apiKeyId"], key_id.as_str());
    assert!(rows.iter().any(|r| r["status"] == 404));
}
