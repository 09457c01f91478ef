//! Shared set-up of the accounting tests: a gateway with one node per upstream format, keys,
//! requests in each client format, and the usage rows once written.
#![allow(dead_code, reason = "each test file uses part of it")]

use std::time::{Duration, Instant};

use omniroute_e2e::clients::{self, FORMATS};
use omniroute_e2e::mock::Format;
use omniroute_e2e::{MockUpstream, TestGateway};
use serde_json::{Value, json};

pub const CONNECTION_KEY: &str = "upstream-key-0123456789abcdef";

pub async fn rig(vars: &[(&str, &str)]) -> (TestGateway, MockUpstream, reqwest::Client) {
    let gw = TestGateway::start_with(vars).await.unwrap();
    let mock = MockUpstream::start().await.unwrap();
    for f in FORMATS {
        let name = clients::name(f);
        gw.add_node(&format!("up-{name}"), name, &mock.base_url(f))
            .await;
        gw.add_connection(&format!("up-{name}"), name, CONNECTION_KEY)
            .await;
    }
    (gw, mock, reqwest::Client::new())
}

pub async fn new_key(http: &reqwest::Client, gw: &TestGateway, name: &str) -> (String, String) {
    let r = http
        .post(format!("{}/api/keys", gw.url))
        .json(&json!({"name": name}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let created: Value = r.json().await.unwrap();
    (
        created["id"].as_str().unwrap().to_owned(),
        created["key"].as_str().unwrap().to_owned(),
    )
}

pub async fn send(
    http: &reqwest::Client,
    gw: &TestGateway,
    format: Format,
    model: &str,
    stream: bool,
    headers: &[(&str, &str)],
) -> reqwest::Response {
    let (path, body) = clients::request(format, model, "hello", stream, false);
    let mut request = http.post(format!("{}{path}", gw.url)).json(&body);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.send().await.unwrap()
}

/// The newest usage rows once at least `n` are stored (the writer is asynchronous).
pub async fn usage_rows(http: &reqwest::Client, gw: &TestGateway, n: usize) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let report: Value = http
            .get(format!("{}/api/usage?limit=1000", gw.url))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let rows = report["requests"].as_array().unwrap().clone();
        if rows.len() >= n || Instant::now() > deadline {
            assert!(
                rows.len() >= n,
                "expected {n} usage rows, got {}",
                rows.len()
            );
            return rows;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
