//! Latency telemetry end to end: requests through the gateway to the mock (one model failing
//! with 500), then the figures in `GET /api/telemetry`, `GET /api/health` and the Prometheus
//! exposition of `GET /metrics`, parsed line by line.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::disallowed_methods,
    reason = "tests"
)]

use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

use omniroute_e2e::clients;
use omniroute_e2e::mock::{Fault, Format, Script};
use omniroute_e2e::{MockUpstream, TestGateway};
use serde_json::Value;

async fn chat(
    gw: &TestGateway,
    http: &reqwest::Client,
    format: Format,
    model: &str,
    stream: bool,
) -> u16 {
    let (path, body) = clients::request(format, model, "hi", stream, false);
    let r = http
        .post(format!("{}{path}", gw.url))
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    // Read to the end, so a stream is over before the figures are read.
    let _ = r.text().await.unwrap();
    status
}

async fn get_json(http: &reqwest::Client, url: String) -> Value {
    http.get(url).send().await.unwrap().json().await.unwrap()
}

/// One sample line of the exposition format: name, labels, value.
#[derive(Debug)]
struct Sample {
    name: String,
    labels: BTreeMap<String, String>,
    value: f64,
}

/// Parses `name{a="x",b="y"} value` (or `name value`), unescaping label values.
fn parse_sample(line: &str) -> Sample {
    let name_end = line
        .find(['{', ' '])
        .unwrap_or_else(|| panic!("no value: {line}"));
    let name = line[..name_end].to_owned();
    assert!(
        !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':'),
        "bad metric name in {line}"
    );
    let mut labels = BTreeMap::new();
    let mut chars = line[name_end..].chars().peekable();
    if chars.next_if_eq(&'{').is_some() {
        while chars.next_if_eq(&'}').is_none() {
            let key: String = std::iter::from_fn(|| chars.next_if(|&c| c != '=')).collect();
            assert!(
                !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
                "bad label name in {line}"
            );
            assert!(
                chars.next() == Some('=') && chars.next() == Some('"'),
                "bad label in {line}"
            );
            let mut value = String::new();
            loop {
                match chars.next() {
                    Some('\\') => match chars.next() {
                        Some('n') => value.push('\n'),
                        Some('\\') => value.push('\\'),
                        Some('"') => value.push('"'),
                        other => panic!("bad escape {other:?} in {line}"),
                    },
                    Some('"') => break,
                    Some(c) => value.push(c),
                    None => panic!("unterminated label value: {line}"),
                }
            }
            labels.insert(key, value);
            chars.next_if_eq(&',');
            assert!(chars.peek().is_some(), "unclosed labels: {line}");
        }
    }
    let rest: String = chars.collect();
    let value = rest
        .strip_prefix(' ')
        .unwrap_or_else(|| panic!("no space before the value: {line}"));
    let value: f64 = value
        .parse()
        .unwrap_or_else(|_| panic!("value is not a number: {line}"));
    Sample {
        name,
        labels,
        value,
    }
}

/// Every line of an exposition: comments are HELP/TYPE, every sample's family was declared
/// before it.
fn parse_exposition(text: &str) -> Vec<Sample> {
    let mut typed: HashSet<String> = HashSet::new();
    let mut helped: HashSet<String> = HashSet::new();
    let mut samples = Vec::new();
    for line in text.lines() {
        if let Some(help) = line.strip_prefix("# HELP ") {
            helped.insert(help.split(' ').next().unwrap().to_owned());
        } else if let Some(kind) = line.strip_prefix("# TYPE ") {
            let mut parts = kind.split(' ');
            let name = parts.next().unwrap().to_owned();
            let kind = parts.next().unwrap();
            assert!(
                ["counter", "gauge", "summary", "histogram", "untyped"].contains(&kind),
                "{line}"
            );
            typed.insert(name);
        } else {
            assert!(!line.starts_with('#'), "unknown comment: {line}");
            assert!(!line.trim().is_empty(), "blank line in the exposition");
            let sample = parse_sample(line);
            let family = ["_sum", "_count"]
                .iter()
                .find_map(|s| sample.name.strip_suffix(s))
                .filter(|f| typed.contains(*f))
                .unwrap_or(&sample.name)
                .to_owned();
            assert!(typed.contains(&family), "no TYPE before {line}");
            assert!(helped.contains(&family), "no HELP before {line}");
            samples.push(sample);
        }
    }
    samples
}

fn find<'a>(samples: &'a [Sample], name: &str, labels: &[(&str, &str)]) -> Option<&'a Sample> {
    samples.iter().find(|s| {
        s.name == name
            && labels
                .iter()
                .all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v))
    })
}

#[tokio::test]
async fn latency_and_counters_per_provider_and_model_in_telemetry_health_and_metrics() {
    let gw = TestGateway::start().await.unwrap();
    let mock = MockUpstream::start().await.unwrap();
    let http = reqwest::Client::new();
    for format in [Format::OpenAiChat, Format::Anthropic] {
        let name = clients::name(format);
        gw.add_node(&format!("up-{name}"), name, &mock.base_url(format))
            .await;
        gw.add_connection(&format!("up-{name}"), name, "upstream-key-0123456789")
            .await;
    }

    for _ in 0..5 {
        assert_eq!(
            chat(&gw, &http, Format::OpenAiChat, "up-openai/m-1", false).await,
            200
        );
    }
    for _ in 0..2 {
        assert_eq!(
            chat(&gw, &http, Format::Anthropic, "up-anthropic/m-2", true).await,
            200
        );
    }
    mock.push(Script {
        model: Some("m-bad".into()),
        fault: Fault {
            status: Some(500),
            ..Fault::default()
        },
        ..Script::default()
    });
    assert_eq!(
        chat(&gw, &http, Format::OpenAiChat, "up-openai/m-bad", false).await,
        500
    );

    // A stream is recorded when the gateway drops its body, just after the client's last byte.
    let mut telemetry = Value::Null;
    for _ in 0..200 {
        telemetry = get_json(&http, format!("{}/api/telemetry", gw.url)).await;
        if telemetry["providers"]["up-anthropic"]["count"] == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let openai = &telemetry["providers"]["up-openai"];
    assert_eq!(openai["count"], 6, "{telemetry}");
    assert_eq!(openai["errors"], 1, "{telemetry}");
    let (p50, p95, p99) = (
        openai["p50_ms"].as_f64().unwrap(),
        openai["p95_ms"].as_f64().unwrap(),
        openai["p99_ms"].as_f64().unwrap(),
    );
    assert!(p50 > 0.0 && p50 <= p95 && p95 <= p99, "{openai}");
    assert!(openai["ttft_p50_ms"].is_null(), "{openai}");

    let m1 = &telemetry["models"]["up-openai/m-1"];
    assert_eq!(
        (m1["count"].as_u64(), m1["errors"].as_u64()),
        (Some(5), Some(0))
    );
    let bad = &telemetry["models"]["up-openai/m-bad"];
    assert_eq!(
        (bad["count"].as_u64(), bad["errors"].as_u64()),
        (Some(1), Some(1))
    );
    assert!(
        bad["p50_ms"].is_null(),
        "a failure has no latency percentile: {bad}"
    );

    let anthropic = &telemetry["providers"]["up-anthropic"];
    assert_eq!(anthropic["count"], 2, "{telemetry}");
    let ttft = anthropic["ttft_p50_ms"].as_f64().unwrap();
    let total = anthropic["p50_ms"].as_f64().unwrap();
    assert!(ttft > 0.0 && ttft <= total * 1.01, "{anthropic}");
    assert_eq!(telemetry["models"]["up-anthropic/m-2"]["count"], 2);

    let health = get_json(&http, format!("{}/api/health", gw.url)).await;
    assert_eq!(health["status"], "ok");
    assert_eq!(health["latency"]["up-openai"]["count"], 6, "{health}");
    assert_eq!(health["latency"]["up-openai"]["p95_ms"].as_f64(), Some(p95));

    let r = http
        .get(format!("{}/metrics", gw.url))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let content_type = r.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(
        content_type.starts_with("text/plain; version=0.0.4"),
        "{content_type}"
    );
    let text = r.text().await.unwrap();
    let samples = parse_exposition(&text);
    let requests = |provider: &str, model: &str, status: &str| {
        find(
            &samples,
            "omniroute_requests_total",
            &[("provider", provider), ("model", model), ("status", status)],
        )
        .map(|s| s.value)
    };
    assert_eq!(requests("up-openai", "m-1", "2xx"), Some(5.0), "{text}");
    assert_eq!(requests("up-openai", "m-bad", "5xx"), Some(1.0), "{text}");
    assert_eq!(requests("up-anthropic", "m-2", "2xx"), Some(2.0), "{text}");
    assert_eq!(
        find(
            &samples,
            "omniroute_upstream_errors_total",
            &[("provider", "up-openai")]
        )
        .map(|s| s.value),
        Some(1.0)
    );
    for quantile in ["0.5", "0.95", "0.99"] {
        let q = find(
            &samples,
            "omniroute_request_duration_seconds",
            &[("provider", "up-openai"), ("quantile", quantile)],
        )
        .unwrap_or_else(|| panic!("no {quantile} quantile:\n{text}"));
        assert!(q.value > 0.0);
    }
    assert_eq!(
        find(
            &samples,
            "omniroute_request_duration_seconds_count",
            &[("provider", "up-openai")]
        )
        .map(|s| s.value),
        Some(5.0)
    );
    assert!(
        find(
            &samples,
            "omniroute_request_duration_seconds_sum",
            &[("provider", "up-openai")]
        )
        .is_some_and(|s| s.value > 0.0)
    );
    assert_eq!(
        find(
            &samples,
            "omniroute_time_to_first_token_seconds_count",
            &[("provider", "up-anthropic")]
        )
        .map(|s| s.value),
        Some(2.0)
    );
    assert!(find(&samples, "omniroute_uptime_seconds", &[]).is_some_and(|s| s.value >= 0.0));
    assert!(
        find(&samples, "omniroute_resident_memory_bytes", &[]).is_some_and(|s| s.value > 1e6),
        "{text}"
    );

    // /metrics is neither a client route nor under /api: other methods and sub-paths are the
    // management API's JSON errors, not a client-format 404.
    let r = http
        .post(format!("{}/metrics", gw.url))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 405);
    let r = http
        .get(format!("{}/metrics/extra", gw.url))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let body: Value = r.json().await.unwrap();
    assert!(body["error"]["code"].is_string(), "{body}");
    gw.shutdown().await;
}

#[test]
fn the_parser_reads_escaped_labels_and_rejects_garbage() {
    let s = parse_sample(r#"m_total{a="x\"y",b="p\\q\nr"} 3"#);
    assert_eq!(s.name, "m_total");
    assert_eq!(s.labels["a"], "x\"y");
    assert_eq!(s.labels["b"], "p\\q\nr");
    assert_eq!(s.value, 3.0);
    let s = parse_sample("up 1.5");
    assert!(s.labels.is_empty() && s.value == 1.5);
    assert!(std::panic::catch_unwind(|| parse_sample("novalue")).is_err());
    assert!(std::panic::catch_unwind(|| parse_sample(r#"m{a="x} 1"#)).is_err());
}
