//! Quota windows from the answers' headers, and routing by headroom: an account close to a
//! limit goes behind accounts with room before its provider answers 429, an exhausted one is
//! skipped and comes back by itself when its window resets; `GET /api/quota` shows the windows.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::disallowed_methods,
    reason = "tests"
)]

use std::collections::BTreeMap;
use std::time::Duration;

use omniroute_e2e::mock::{Format, Script};
use omniroute_e2e::{MockUpstream, TestGateway, clients};
use serde_json::Value;

async fn rig() -> (TestGateway, MockUpstream, reqwest::Client, String) {
    let gw = TestGateway::start().await.unwrap();
    let mock = MockUpstream::start().await.unwrap();
    gw.add_node("p", "openai", &format!("{}/v1", mock.url()))
        .await;
    let a = gw
        .add_ranked_connection("p", "acct-a", "sk-a-0123456789", 1)
        .await;
    gw.add_ranked_connection("p", "acct-b", "sk-b-0123456789", 2)
        .await;
    (gw, mock, reqwest::Client::new(), a)
}

fn with_headers(headers: &[(&str, &str)]) -> Script {
    Script {
        headers: headers
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect::<BTreeMap<_, _>>(),
        ..Script::default()
    }
}

async fn route(http: &reqwest::Client, gw: &TestGateway) -> String {
    let (path, body) = clients::request(Format::OpenAiChat, "p/m", "hi", false, false);
    let r = http
        .post(format!("{}{path}", gw.url))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.headers()["x-omniroute-route"]
        .to_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn traffic_moves_off_an_account_before_its_limit() {
    let (gw, mock, http, a) = rig().await;
    // A answers and reports 98 of 100 requests used in this minute.
    mock.push(with_headers(&[
        ("x-ratelimit-limit-requests", "100"),
        ("x-ratelimit-remaining-requests", "2"),
        ("x-ratelimit-reset-requests", "30s"),
    ]));
    assert!(route(&http, &gw).await.contains("account=acct-a"));
    // Past the 95 % threshold: B takes the next request, before any 429.
    let next = route(&http, &gw).await;
    assert!(
        next.contains("account=acct-b") && next.ends_with("attempts=1"),
        "{next}"
    );
    let quota: Value = http
        .get(format!("{}/api/providers/{a}/quota", gw.url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let window = &quota["windows"][0];
    assert_eq!(window["window"], "requests", "{quota}");
    assert_eq!(window["source"], "headers");
    assert!(
        (window["usedFraction"].as_f64().unwrap() - 0.98).abs() < 1e-9,
        "{quota}"
    );
    assert!(window["resetsAt"].as_i64().unwrap() > 0);
    let all: Value = http
        .get(format!("{}/api/quota", gw.url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(all.as_array().unwrap().len(), 2, "{all}");
    gw.shutdown().await;
}

#[tokio::test]
async fn an_exhausted_account_is_skipped_until_its_window_resets() {
    let (gw, mock, http, _) = rig().await;
    // A's 5-hour window is used up and resets in two seconds (Claude's subscription headers).
    let reset = (std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 2)
    .to_string();
    mock.push(with_headers(&[
        ("anthropic-ratelimit-unified-5h-utilization", "1.0"),
        ("anthropic-ratelimit-unified-5h-reset", &reset),
    ]));
    assert!(route(&http, &gw).await.contains("account=acct-a"));
    for _ in 0..3 {
        let next = route(&http, &gw).await;
        assert!(next.contains("account=acct-b"), "{next}");
    }
    tokio::time::sleep(Duration::from_millis(2_600)).await;
    // Back by itself, without "Reset all".
    let back = route(&http, &gw).await;
    assert!(back.contains("account=acct-a"), "{back}");
    gw.shutdown().await;
}

#[tokio::test]
async fn a_quota_429_with_its_reset_shows_as_an_observed_window() {
    let (gw, mock, http, a) = rig().await;
    mock.push(Script {
        fault: omniroute_e2e::mock::Fault {
            status: Some(429),
            retry_after: Some("30".into()),
            error_message: Some("You exceeded your current quota".into()),
            ..Default::default()
        },
        ..Script::default()
    });
    let next = route(&http, &gw).await;
    assert!(next.contains("account=acct-b"), "{next}");
    let quota: Value = http
        .get(format!("{}/api/providers/{a}/quota", gw.url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let window = &quota["windows"][0];
    assert_eq!(
        (window["window"].as_str(), window["source"].as_str()),
        (Some("observed"), Some("observed")),
        "{quota}"
    );
    assert_eq!(window["usedFraction"], 1.0);
    gw.shutdown().await;
}

#[tokio::test]
async fn a_used_up_quota_without_a_reset_hint_comes_back_at_the_providers_calendar_reset() {
    // The built-in GLM entry resets its quota daily at 10:00 Beijing time.
    let gw = TestGateway::start().await.unwrap();
    let mock = MockUpstream::start().await.unwrap();
    let http = reqwest::Client::new();
    let r = http
        .post(format!("{}/api/providers", gw.url))
        .json(&serde_json::json!({"provider": "glm", "name": "glm-main",
            "apiKey": "glm-0123456789", "baseUrl": format!("{}/v1", mock.url())}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let id = r.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    mock.push(Script {
        fault: omniroute_e2e::mock::Fault {
            status: Some(429),
            error_message: Some("Your daily quota is exhausted".into()),
            ..Default::default()
        },
        ..Script::default()
    });
    let (path, body) = clients::request(Format::OpenAiChat, "glm/glm-4.7", "hi", false, false);
    let r = http
        .post(format!("{}{path}", gw.url))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 429);
    let quota: Value = http
        .get(format!("{}/api/providers/{id}/quota", gw.url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let resets_at = quota["windows"][0]["resetsAt"]
        .as_i64()
        .unwrap_or_else(|| panic!("{quota}"));
    // The next 02:00 UTC, to the second.
    let now = omniroute_store::now_ms();
    let day = 86_400_000;
    let mut expected = now.div_euclid(day) * day + 2 * 3_600_000;
    if expected <= now {
        expected += day;
    }
    assert!(
        (resets_at - expected).abs() < 5_000,
        "{resets_at} vs {expected}"
    );
    // Until then the account is out, saying so.
    let r = http
        .post(format!("{}{path}", gw.url))
        .json(&body)
        .send()
        .await
        .unwrap();
    let text = r.text().await.unwrap();
    assert!(text.contains("quota is used up"), "{text}");
    gw.shutdown().await;
}

/// Claude's headers on an answer served past the plan's 5-hour limit, billed as extra usage.
fn on_extra_usage(resets_at_s: u64) -> Script {
    let reset = resets_at_s.to_string();
    with_headers(&[
        ("anthropic-ratelimit-unified-5h-utilization", "1.0"),
        ("anthropic-ratelimit-unified-5h-reset", &reset),
        ("anthropic-ratelimit-unified-status", "rejected"),
        ("anthropic-ratelimit-unified-overage-status", "allowed"),
        ("anthropic-ratelimit-unified-reset", &reset),
    ])
}

#[tokio::test]
async fn an_account_on_plan_limits_only_rests_instead_of_paying_for_extra_usage() {
    let (gw, mock, http, a) = rig().await;
    let in_an_hour = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 3_600;
    // Off (the default): the answer on extra usage is served; the window says it pays past.
    mock.push(on_extra_usage(in_an_hour));
    let first = route(&http, &gw).await;
    assert!(
        first.contains("account=acct-a") && first.ends_with("attempts=1"),
        "{first}"
    );
    let quota: Value = http
        .get(format!("{}/api/providers/{a}/quota", gw.url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(quota["windows"][0]["overage"], true, "{quota}");

    // On: the known used-up plan keeps A out before anything is sent.
    let r = http
        .put(format!("{}/api/providers/{a}", gw.url))
        .json(&serde_json::json!({"planLimitsOnly": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.unwrap()["planLimitsOnly"], true);
    let sent = mock.received().len();
    let next = route(&http, &gw).await;
    assert!(
        next.contains("account=acct-b") && next.ends_with("attempts=1"),
        "{next}"
    );
    assert_eq!(mock.received().len(), sent + 1);

    // Not known beforehand ("Reset all" forgets the windows): the answer drawn from extra
    // usage counts as the plan used up, the account rests and the next one serves.
    http.post(format!("{}/api/resilience/reset", gw.url))
        .send()
        .await
        .unwrap();
    mock.push(on_extra_usage(in_an_hour));
    let served = route(&http, &gw).await;
    assert!(
        served.contains("account=acct-b") && served.ends_with("attempts=2"),
        "{served}"
    );
    let resilience: Value = http
        .get(format!("{}/api/resilience", gw.url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let rest = resilience["cooldowns"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["connection"] == a.as_str())
        .unwrap_or_else(|| panic!("{resilience}"));
    assert_eq!(
        (rest["scope"].as_str(), rest["reason"].as_str()),
        (Some("account"), Some("quota")),
        "{rest}"
    );
    // It rests until the plan resets, not for a backoff.
    assert!(rest["remaining_ms"].as_u64().unwrap() > 3_000_000, "{rest}");
    assert!(route(&http, &gw).await.contains("account=acct-b"));
    gw.shutdown().await;
}
