//! Routing and resilience end to end: combos falling through their targets under every kind of
//! upstream fault, the reasons when all fail, cooldowns honouring Retry-After, and a provider's
//! circuit breaker opening and recovering through one probe.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::disallowed_methods,
    reason = "tests"
)]

use std::time::Duration;

use omniroute_e2e::clients;
use omniroute_e2e::mock::{Fault, Format, Script};
use serde_json::{Value, json};

mod routing_rig;
use routing_rig::Rig;

#[tokio::test]
async fn fault_matrix() {
    let rig = Rig::new().await;
    let mut table = vec![
        String::from("| fault on the first target | client saw | served by |"),
        "|---|---|---|".into(),
    ];
    let mut row = |fault: &str, status: u16, route: &str| {
        table.push(format!("| {fault} | {status} | {route} |"))
    };

    // 429 with Retry-After: the next target serves; the account rests at least as long as asked.
    rig.reset().await;
    rig.fail(
        "m-1",
        Fault {
            status: Some(429),
            retry_after: Some("30".into()),
            ..Fault::default()
        },
    );
    let (status, route, _) = rig.chat("team", false).await;
    assert_eq!(status, 200);
    assert!(
        route.starts_with("p2/m-2;") && route.ends_with("attempts=2"),
        "{route}"
    );
    row("429 + Retry-After: 30", status, &route);
    let cooldowns = rig.resilience().await["cooldowns"].clone();
    let remaining = cooldowns[0]["remaining_ms"].as_u64().unwrap();
    assert!(
        remaining > 28_000 && remaining <= 30_000,
        "cooldown {remaining} ms must honour Retry-After"
    );
    // While it rests, the combo goes straight to the second target.
    let (_, route, _) = rig.chat("team", false).await;
    assert!(
        route.ends_with("attempts=1") && route.starts_with("p2/"),
        "{route}"
    );

    rig.reset().await;
    rig.fail(
        "m-1",
        Fault {
            status: Some(500),
            ..Fault::default()
        },
    );
    let (status, route, _) = rig.chat("team", false).await;
    assert!(status == 200 && route.starts_with("p2/m-2"), "{route}");
    row("500", status, &route);

    rig.reset().await;
    rig.fail(
        "m-1",
        Fault {
            delay_ms: 1_600,
            ..Fault::default()
        },
    );
    let (status, route, _) = rig.chat("team", false).await;
    assert!(status == 200 && route.starts_with("p2/m-2"), "{route}");
    row(
        "timeout (no answer within UPSTREAM_TIMEOUT)",
        status,
        &route,
    );

    rig.reset().await;
    let (status, route, _) = rig.chat("with-dead", false).await;
    assert!(status == 200 && route.starts_with("p2/m-2"), "{route}");
    row("connection refused", status, &route);

    // A stream that dies before its first token: the client gets a clean stream from the next.
    rig.reset().await;
    rig.fail(
        "m-1",
        Fault {
            cut_after_events: Some(1),
            ..Fault::default()
        },
    );
    let (status, route, text) = rig.chat("team", true).await;
    let seen = clients::read_stream(Format::OpenAiChat, &text);
    assert_eq!(
        (
            status,
            seen.text.as_str(),
            seen.error.clone(),
            seen.finished
        ),
        (200, "Hello from the mock upstream.", None, true)
    );
    assert!(route.starts_with("p2/m-2"), "{route}");
    row("stream cut before the first token", status, &route);

    // A stream that dies after content reached the client ends with an error event.
    rig.reset().await;
    rig.fail(
        "m-1",
        Fault {
            cut_after_events: Some(3),
            ..Fault::default()
        },
    );
    let (status, route, text) = rig.chat("team", true).await;
    let seen = clients::read_stream(Format::OpenAiChat, &text);
    assert!(
        status == 200 && seen.error.is_some() && !seen.finished,
        "{seen:?}"
    );
    row(
        "stream cut mid-way",
        status,
        &format!("{route} (then an error event)"),
    );

    // A 400 about the body is the client's: returned as is, nothing else tried.
    rig.reset().await;
    rig.fail(
        "m-1",
        Fault {
            status: Some(400),
            error_message: Some("messages: too long".into()),
            ..Fault::default()
        },
    );
    let (status, _, text) = rig.chat("team", false).await;
    assert_eq!(status, 400, "{text}");
    assert!(text.contains("messages: too long"));
    assert_eq!(
        rig.mock.received().len(),
        1,
        "a body 400 must not be retried elsewhere"
    );
    row("400 (bad body)", status, "— (not retried)");

    // Everything fails: 503 naming each target's reason.
    rig.reset().await;
    rig.fail(
        "m-1",
        Fault {
            status: Some(500),
            error_message: Some("p1 exploded".into()),
            ..Fault::default()
        },
    );
    rig.fail(
        "m-2",
        Fault {
            status: Some(503),
            error_message: Some("p2 overloaded".into()),
            ..Fault::default()
        },
    );
    let (status, _, text) = rig.chat("doomed", false).await;
    assert_eq!(status, 503, "{text}");
    let message: Value = serde_json::from_str(&text).unwrap();
    let message = message["error"]["message"].as_str().unwrap();
    for needle in [
        "all 3 targets of combo 'doomed' failed",
        "p1 exploded",
        "p2 overloaded",
        "dead/m-0",
    ] {
        assert!(message.contains(needle), "{needle} missing from: {message}");
    }
    row("every target fails", status, "— (503 with every reason)");
    println!("{}", table.join("\n"));
}

#[tokio::test]
async fn breaker_opens_and_recovers_through_one_probe() {
    let rig = Rig::new().await;
    rig.reset().await;
    // Both accounts of p3 fail: two failures in a row open p3's breaker (threshold 2).
    rig.fail(
        "m-3",
        Fault {
            status: Some(500),
            ..Fault::default()
        },
    );
    rig.fail(
        "m-3",
        Fault {
            status: Some(500),
            ..Fault::default()
        },
    );
    let (status, _, _) = rig.chat("p3/m-3", false).await;
    assert_eq!(status, 503);
    assert_eq!(rig.mock.received().len(), 2, "both accounts were tried");
    assert_eq!(rig.resilience().await["breakers"]["p3"]["state"], "OPEN");
    // The one-word summary the tray and dashboard show: p3 open with its time left, its two
    // accounts resting too; the others healthy.
    let summary: Value = rig
        .http
        .get(format!("{}/api/health/providers", rig.gw.url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let line = |p: &str| {
        summary
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["provider"] == p)
            .cloned()
            .unwrap()
    };
    let p3 = line("p3");
    assert_eq!(
        (p3["state"].as_str(), p3["accounts"].as_u64()),
        (Some("open"), Some(2)),
        "{summary}"
    );
    let left = p3["remainingMs"].as_u64().unwrap();
    assert!(left > 0 && left <= 1_500, "{summary}");
    assert_eq!(line("p1")["state"], "healthy");
    assert_eq!(line("p2")["state"], "healthy");
    // While open, nothing reaches p3.
    let (status, _, text) = rig.chat("p3/m-3", false).await;
    assert_eq!(status, 503);
    assert!(text.contains("circuit open"), "{text}");
    assert_eq!(rig.mock.received().len(), 2);
    // After the cooldown one probe goes through; its success closes the breaker.
    tokio::time::sleep(Duration::from_millis(2_100)).await;
    let (status, route, _) = rig.chat("p3/m-3", false).await;
    assert_eq!(status, 200, "{route}");
    assert_eq!(rig.resilience().await["breakers"]["p3"]["state"], "CLOSED");
}

#[tokio::test]
async fn round_robin_combo_rotates_and_combos_validate() {
    let rig = Rig::new().await;
    rig.reset().await;
    let mut firsts = Vec::new();
    for _ in 0..4 {
        let (status, route, _) = rig.chat("rotate", false).await;
        assert_eq!(status, 200);
        firsts.push(route.split(';').next().unwrap().to_owned());
    }
    assert_eq!(firsts, ["p1/m-1", "p2/m-2", "p1/m-1", "p2/m-2"]);

    // Nesting: a cycle is refused on save; active combo via `auto`.
    let http = &rig.http;
    let r = http
        .post(format!("{}/api/combos", rig.gw.url))
        .json(&json!({"name": "outer", "models": ["team"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let r = http
        .put(format!("{}/api/combos/team", rig.gw.url))
        .json(&json!({"name": "team", "models": ["outer"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400, "a cycle must be refused");
    let r = http
        .put(format!("{}/api/combos/active", rig.gw.url))
        .json(&json!({"name": "outer"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let (status, route, _) = rig.chat("auto", false).await;
    assert!(status == 200 && route.starts_with("p1/m-1"), "{route}");
    let active: Value = http
        .get(format!("{}/api/combos/active", rig.gw.url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(active["name"], "outer");

    // Routing settings apply at once: the strategy of new combos, and per-provider accounts.
    let settings = json!({"routing": {"comboDefaultStrategy": "round-robin", "providerStrategies": {"p3": "round-robin"}, "stickyLimit": 1}});
    assert_eq!(
        http.patch(format!("{}/api/settings", rig.gw.url))
            .json(&settings)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let created: Value = http
        .post(format!("{}/api/combos", rig.gw.url))
        .json(&json!({"name": "defaulted", "models": ["p1/m-1"]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(created["strategy"], "round-robin");
    let mut accounts = Vec::new();
    for _ in 0..4 {
        let (_, route, _) = rig.chat("p3/m-3", false).await;
        accounts.push(
            route
                .split("account=")
                .nth(1)
                .unwrap()
                .split(';')
                .next()
                .unwrap()
                .to_owned(),
        );
    }
    assert_eq!(
        accounts,
        ["p3-acct0", "p3-acct1", "p3-acct0", "p3-acct1"],
        "round-robin with sticky limit 1"
    );

    // A global fallback chain applies to a plain model id.
    let chain = json!({"model": "p1/m-1", "targets": ["p2/m-2"]});
    assert_eq!(
        http.post(format!("{}/api/fallback/chains", rig.gw.url))
            .json(&chain)
            .send()
            .await
            .unwrap()
            .status(),
        201
    );
    rig.fail(
        "m-1",
        Fault {
            status: Some(502),
            ..Fault::default()
        },
    );
    let (status, route, _) = rig.chat("p1/m-1", false).await;
    assert!(status == 200 && route.starts_with("p2/m-2"), "{route}");
}

#[tokio::test]
async fn two_hundred_concurrent_requests_respect_account_limits() {
    let rig = Rig::new().await;
    rig.reset().await;
    let http = &rig.http;
    rig.gw
        .add_node("pool", "openai", &rig.mock.base_url(Format::OpenAiChat))
        .await;
    for n in 0..4 {
        rig.gw
            .add_connection(
                "pool",
                &format!("pool-{n}"),
                &format!("pool-key-{n}-0123456789"),
            )
            .await;
    }
    let limits = json!({"profiles": {"apiKeyRateLimits": {"requestsPerMinute": 0, "minGapMs": 0, "maxConcurrent": 2}}});
    assert_eq!(
        http.patch(format!("{}/api/resilience", rig.gw.url))
            .json(&limits)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let settings = json!({"routing": {"accountStrategy": "round-robin", "stickyLimit": 1}});
    assert_eq!(
        http.patch(format!("{}/api/settings", rig.gw.url))
            .json(&settings)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    rig.mock.set_default(Script {
        fault: Fault {
            delay_ms: 40,
            ..Fault::default()
        },
        ..Script::default()
    });

    let runs = (0..200).map(|_| {
        let request = http
            .post(format!("{}/v1/chat/completions", rig.gw.url))
            .json(&json!({
                "model": "pool/m-9", "messages": [{"role": "user", "content": "hi"}]
            }));
        async move {
            let r = request.send().await.unwrap();
            (r.status().as_u16(), r.headers().contains_key("retry-after"))
        }
    });
    let results = tokio::time::timeout(
        Duration::from_secs(60),
        futures_util::future::join_all(runs),
    )
    .await
    .expect("no deadlock");
    let ok = results.iter().filter(|(s, _)| *s == 200).count();
    let throttled: Vec<_> = results.iter().filter(|(s, _)| *s == 429).collect();
    assert_eq!(
        ok + throttled.len(),
        200,
        "only successes and clean 429s: {results:?}"
    );
    assert!(
        throttled.iter().all(|(_, retry)| *retry),
        "every 429 says when to retry"
    );
    assert!(ok >= 100, "the queue admitted most requests ({ok})");
    assert!(
        rig.mock.max_in_flight() <= 8,
        "4 accounts × 2 at once, saw {}",
        rig.mock.max_in_flight()
    );

    let report = rig.resilience().await;
    let pool: Vec<&Value> = report["accounts"].as_array().unwrap().iter().collect();
    let served: u64 = pool.iter().map(|a| a["requests"].as_u64().unwrap()).sum();
    assert_eq!(served as usize, ok, "no lost counter updates");
    assert!(
        pool.iter()
            .all(|a| a["in_flight"] == 0 && a["waiting"] == 0),
        "every slot was given back: {pool:?}"
    );
}

#[tokio::test]
async fn lockouts_by_hand_and_for_missing_models_with_force_unlock() {
    let rig = Rig::new().await;
    rig.reset().await;
    let http = &rig.http;
    let url = |p: &str| format!("{}{p}", rig.gw.url);

    let r = http
        .post(url("/api/resilience/lock"))
        .json(&json!({"scope": "model", "target": "p1/m-1", "reason": "maintenance"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let (status, route, _) = rig.chat("team", false).await;
    assert!(
        status == 200 && route.starts_with("p2/m-2") && route.ends_with("attempts=1"),
        "{route}"
    );
    assert!(
        rig.mock.received().iter().all(|r| r.body["model"] != "m-1"),
        "a locked model is not tried"
    );
    let report = rig.resilience().await;
    assert_eq!(report["lockouts"][0]["reason"], "maintenance");

    let r = http
        .post(url("/api/resilience/unlock"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "an empty body unlocks everything");
    let (_, route, _) = rig.chat("team", false).await;
    assert!(route.starts_with("p1/m-1"), "{route}");

    // An upstream that says the model does not exist gets it locked out for a while.
    rig.fail(
        "m-1",
        Fault {
            status: Some(404),
            error_message: Some("model m-1 does not exist".into()),
            ..Fault::default()
        },
    );
    let (status, route, _) = rig.chat("team", false).await;
    assert!(status == 200 && route.starts_with("p2/m-2"), "{route}");
    let report = rig.resilience().await;
    let lock = report["lockouts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["target"] == "p1/m-1")
        .expect("auto lockout");
    assert!(lock["reason"].as_str().unwrap().contains("does not exist"));
    let id = lock["id"].as_str().unwrap();
    let r = http
        .post(url("/api/resilience/unlock"))
        .json(&json!({"id": id}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(
        rig.resilience().await["lockouts"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    let bad = http
        .post(url("/api/resilience/lock"))
        .json(&json!({"scope": "planet", "target": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
}
