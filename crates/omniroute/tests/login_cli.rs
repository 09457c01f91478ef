//! `omniroute login` against a running gateway and a fake authorization server: the device
//! flow prints the code and names the account connected; the paste flow prints the address,
//! reads the pasted `code#state` from standard input and connects.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::disallowed_methods,
    reason = "tests"
)]

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

use omniroute_e2e::{FakeAuthServer, TestGateway};
use serde_json::json;

const BIN: &str = env!("CARGO_BIN_EXE_omniroute");

async fn gateway(auth: &FakeAuthServer) -> TestGateway {
    let a = auth.url();
    let catalog = json!({"providers": [
        {"id": "gh", "name": "Copilot (test)", "tier": "subscription", "wire": "openai",
         "base_url": "http://127.0.0.1:9", "auth": "bearer", "login": "device_code", "models": [],
         "oauth": {"token_url": format!("{a}/token"), "client_id": "Iv1.test",
                   "device": {"protocol": "rfc8628", "code_url": format!("{a}/device/code"),
                              "token_url": format!("{a}/token")}}},
        {"id": "cc", "name": "Claude (test)", "tier": "subscription", "wire": "anthropic",
         "base_url": "http://127.0.0.1:9", "auth": "bearer", "login": "oauth_pkce", "models": [],
         "oauth": {"authorize_url": format!("{a}/authorize"), "token_url": format!("{a}/token"),
                   "client_id": "c", "redirect": {"host": "127.0.0.1", "path": "/callback"},
                   "paste_redirect_uri": "http://127.0.0.1:9/code"}}
    ]});
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("providers.json"), catalog.to_string()).unwrap();
    TestGateway::start_in(dir, &[]).await.unwrap()
}

fn login(port: &str, args: &[&str]) -> std::process::Child {
    Command::new(BIN)
        .arg("login")
        .args(args)
        .args(["--host", "127.0.0.1", "--port", port])
        .env_clear()
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

#[tokio::test]
async fn the_device_flow_prints_the_code_and_the_account() {
    let auth = FakeAuthServer::start().await.unwrap();
    auth.with(|s| s.pending_polls = 1);
    let gw = gateway(&auth).await;
    let port = gw.url.rsplit(':').next().unwrap().to_owned();
    // No display in the test's environment: the device flow is chosen by itself.
    let out = tokio::task::spawn_blocking(move || login(&port, &["gh"]).wait_with_output())
        .await
        .unwrap()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("enter the code WDJB-MJHT"), "{stdout}");
    assert!(
        stdout.contains("Signed in to gh as ada@example.com"),
        "{stdout}"
    );
}

#[tokio::test]
async fn the_paste_flow_reads_the_code_from_standard_input() {
    let auth = FakeAuthServer::start().await.unwrap();
    let gw = gateway(&auth).await;
    let port = gw.url.rsplit(':').next().unwrap().to_owned();
    let mut child = login(&port, &["cc", "--paste", "--name", "laptop"]);
    let stdout = child.stdout.take().unwrap();
    let auth_url = tokio::task::spawn_blocking(move || {
        let mut lines = BufReader::new(stdout).lines();
        let url = lines
            .by_ref()
            .map_while(Result::ok)
            .find_map(|l| l.trim().starts_with("http").then(|| l.trim().to_owned()))
            .unwrap();
        (url, lines)
    })
    .await
    .unwrap();
    let (auth_url, lines) = auth_url;
    // The user's browser, elsewhere: the provider's page shows `code#state`.
    let landed = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(&auth_url)
        .send()
        .await
        .unwrap()
        .headers()["location"]
        .to_str()
        .unwrap()
        .to_owned();
    let q: std::collections::BTreeMap<_, _> = reqwest::Url::parse(&landed)
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect();
    let mut stdin = child.stdin.take().unwrap();
    writeln!(stdin, "{}#{}", q["code"], q["state"]).unwrap();
    drop(stdin);
    let rest = tokio::task::spawn_blocking(move || {
        let rest: Vec<String> = lines.map_while(Result::ok).collect();
        (child.wait().unwrap(), rest.join("\n"))
    })
    .await
    .unwrap();
    assert!(rest.0.success(), "{}", rest.1);
    assert!(
        rest.1.contains("Signed in to cc as ada@example.com"),
        "{}",
        rest.1
    );
    let accounts: serde_json::Value = reqwest::get(format!("{}/api/providers", gw.url))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(accounts[0]["name"], "laptop");
}
