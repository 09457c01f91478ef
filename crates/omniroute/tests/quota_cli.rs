//! `omniroute quota` against a running gateway: the windows an answer reported, as a table.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::disallowed_methods,
    reason = "tests"
)]

use omniroute_e2e::mock::Script;
use omniroute_e2e::{MockUpstream, TestGateway};
use serde_json::json;

const BIN: &str = env!("CARGO_BIN_EXE_omniroute");

fn quota(port: &str) -> (bool, String, String) {
    let out = std::process::Command::new(BIN)
        .args(["quota", "--host", "127.0.0.1", "--port", port])
        .env_clear()
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test]
async fn quota_prints_each_accounts_windows() {
    let mock = MockUpstream::start().await.unwrap();
    let gw = TestGateway::with_upstream("p", "openai", &format!("{}/v1", mock.url())).await;
    let port = gw.url.rsplit(':').next().unwrap().to_owned();
    let (ok, stdout, _) = tokio::task::spawn_blocking({
        let port = port.clone();
        move || quota(&port)
    })
    .await
    .unwrap();
    assert!(ok && stdout.contains("no quota reported yet"), "{stdout}");
    mock.push(Script {
        headers: [
            ("x-ratelimit-limit-requests", "200"),
            ("x-ratelimit-remaining-requests", "50"),
            ("x-ratelimit-reset-requests", "90s"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect(),
        ..Script::default()
    });
    let r = reqwest::Client::new()
        .post(format!("{}/v1/chat/completions", gw.url))
        .json(&json!({"model": "p/m", "messages": [{"role": "user", "content": "hi"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let (ok, stdout, stderr) = tokio::task::spawn_blocking(move || quota(&port))
        .await
        .unwrap();
    assert!(ok, "{stderr}");
    let line = stdout
        .lines()
        .find(|l| l.contains("requests"))
        .unwrap_or_else(|| panic!("{stdout}"));
    assert!(
        line.contains("main") && line.contains(" 75%") && line.contains("2 min"),
        "{stdout}"
    );
    gw.shutdown().await;
    // Nobody listening: a clear message and a failure code.
    let (ok, _, stderr) = tokio::task::spawn_blocking(|| quota("1")).await.unwrap();
    assert!(!ok && stderr.contains("no gateway answers at"), "{stderr}");
}
