//! `omniroute serve` as a user runs it: the real binary, real HTTP, a real SQLite file.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::disallowed_methods,
    reason = "tests"
)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::time::Duration;

use omniroute_e2e::GatewayProcess;
use omniroute_e2e::gateway::run_to_exit;
use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_omniroute");

fn start(data_dir: &Path, vars: &[(&str, &str)]) -> GatewayProcess {
    GatewayProcess::spawn(Path::new(BIN), data_dir, vars).unwrap()
}

async fn get_json(url: &str) -> (u16, Value) {
    let response = reqwest::get(url).await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

#[tokio::test]
async fn health_reports_a_real_database_and_the_process() {
    let dir = tempfile::tempdir().unwrap();
    let gw = start(dir.path(), &[]);
    let (status, health) = get_json(&format!("{}/api/health", gw.url)).await;
    assert_eq!(status, 200);
    assert_eq!(health["status"], "ok");
    assert_eq!(health["db"], "ok");
    assert_eq!(health["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(health["data_dir"], dir.path().display().to_string());
    assert!(health["uptime_s"].as_u64().is_some());
    assert!(health["rss_bytes"].as_u64().unwrap() > 1_000_000);
    let text = reqwest::get(format!("{}/healthz", gw.url))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(text, "ok");
    assert!(dir.path().join("storage.sqlite").exists());
}

#[tokio::test]
async fn data_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let client = reqwest::Client::new();
    {
        let mut gw = start(dir.path(), &[]);
        let patched: Value = client
            .patch(format!("{}/api/settings", gw.url))
            .json(&json!({"ai": {"systemPromptPrefix": "Answer in Danish."}, "routing": {"stickyLimit": 5}}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(patched["routing"]["stickyLimit"], 5);
        gw.signal("TERM");
        assert!(gw.wait_exit(Duration::from_secs(10)).unwrap().success());
    }
    let gw = start(dir.path(), &[]);
    let (_, settings) = get_json(&format!("{}/api/settings", gw.url)).await;
    assert_eq!(settings["ai"]["systemPromptPrefix"], "Answer in Danish.");
    assert_eq!(settings["routing"]["stickyLimit"], 5);
    assert_eq!(settings["routing"]["accountStrategy"], "fill-first");
}

fn assert_startup_error(args: &[&str], vars: &[(&str, &str)], needle: &str) {
    let (code, stderr) = run_to_exit(Path::new(BIN), args, vars, Duration::from_secs(20));
    assert_eq!(code, Some(2), "exit code for {needle}: stderr {stderr}");
    let line = stderr
        .lines()
        .find(|l| l.starts_with("omniroute: "))
        .unwrap_or_default();
    assert!(
        line.contains(needle),
        "expected one line containing {needle:?}, got: {stderr}"
    );
}

#[test]
fn invalid_port_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    assert_startup_error(
        &["serve", "--data-dir", d],
        &[("PORT", "20x")],
        "invalid PORT '20x'",
    );
    assert_startup_error(
        &["serve", "--data-dir", d, "--port", "99999"],
        &[],
        "invalid PORT '99999'",
    );
}

#[test]
fn port_in_use_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    assert_startup_error(
        &[
            "serve",
            "--data-dir",
            dir.path().to_str().unwrap(),
            "--port",
            &port,
        ],
        &[],
        &format!("port {port} on 127.0.0.1 is already in use"),
    );
}

#[test]
fn unwritable_data_dir_exits_2() {
    // A path below a regular file cannot be created, even by root.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    std::fs::write(&file, b"x").unwrap();
    let data_dir = file.join("data");
    assert_startup_error(
        &["serve"],
        &[("DATA_DIR", data_dir.to_str().unwrap()), ("PORT", "0")],
        "DATA_DIR",
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let ro = dir.path().join("read-only");
        std::fs::create_dir(&ro).unwrap();
        std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o500)).unwrap();
        // root ignores mode bits; the check only means something for ordinary users.
        if std::fs::write(ro.join("probe"), b"x").is_err() {
            assert_startup_error(
                &["serve", "--data-dir", ro.to_str().unwrap(), "--port", "0"],
                &[],
                "not writable",
            );
        }
    }
}

#[tokio::test]
async fn newer_schema_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let store = omniroute_store::Store::open(dir.path()).await.unwrap();
    sqlx::query(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
         VALUES (42, 'from a newer OmniRoute', 1, x'00', 0)",
    )
    .execute(store.pool())
    .await
    .unwrap();
    store.close().await;
    let d = dir.path().to_str().unwrap().to_owned();
    tokio::task::spawn_blocking(move || {
        assert_startup_error(
            &["serve", "--data-dir", &d, "--port", "0"],
            &[],
            "schema version 42, newer than",
        );
    })
    .await
    .unwrap();
}

#[test]
fn bad_arguments_exit_2_with_usage() {
    let (code, stderr) = run_to_exit(
        Path::new(BIN),
        &["serve", "--prot", "1"],
        &[],
        Duration::from_secs(10),
    );
    assert_eq!(code, Some(2));
    assert!(
        stderr.contains("unknown argument '--prot'") && stderr.contains("Usage:"),
        "{stderr}"
    );
}

#[tokio::test]
async fn sigterm_lets_a_slow_request_finish_then_exits_0() {
    let dir = tempfile::tempdir().unwrap();
    let mut gw = start(dir.path(), &[]);
    let addr = gw.url.trim_start_matches("http://").to_owned();
    let body = json!({"ai": {"systemPromptSuffix": "written during shutdown"}}).to_string();
    let (first, rest) = body.split_at(body.len() / 2);

    // A client that sends its body slowly: the request is in flight when SIGTERM arrives.
    let mut conn = TcpStream::connect(&addr).unwrap();
    write!(
        conn,
        "PATCH /api/settings HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{first}",
        body.len()
    )
    .unwrap();
    conn.flush().unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    gw.signal("TERM");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(gw.is_running(), "exited with a request in flight");
    assert!(
        TcpStream::connect(&addr).is_err(),
        "still accepting new connections while draining"
    );

    conn.write_all(rest.as_bytes()).unwrap();
    conn.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut response = String::new();
    let _ = conn.read_to_string(&mut response);
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(response.contains("written during shutdown"));

    let status = gw
        .wait_exit(Duration::from_secs(10))
        .expect("exits after draining");
    assert_eq!(status.code(), Some(0), "{}", gw.stderr());
    assert!(gw.stderr().contains("all in-flight requests finished"));

    // The write made during shutdown was flushed to disk.
    let gw = start(dir.path(), &[]);
    let (_, settings) = get_json(&format!("{}/api/settings", gw.url)).await;
    assert_eq!(
        settings["ai"]["systemPromptSuffix"],
        "written during shutdown"
    );
}

#[tokio::test]
async fn one_log_line_per_request_and_no_secret_in_logs() {
    let dir = tempfile::tempdir().unwrap();
    let secret = "jwt-secret-that-must-never-be-logged";
    let mut gw = start(
        dir.path(),
        &[
            ("JWT_SECRET", secret),
            ("API_KEY_SECRET", "another-hidden-secret"),
        ],
    );
    reqwest::get(format!("{}/api/health", gw.url))
        .await
        .unwrap();
    reqwest::get(format!("{}/no/such/path?key=AIzaQUERYKEY", gw.url))
        .await
        .unwrap();
    gw.signal("INT");
    assert_eq!(
        gw.wait_exit(Duration::from_secs(10)).unwrap().code(),
        Some(0)
    );
    let logs = gw.stderr();
    let request_lines: Vec<&str> = logs
        .lines()
        .filter(|l| l.contains("omniroute::http"))
        .collect();
    assert_eq!(request_lines.len(), 2, "{logs}");
    assert!(
        request_lines[0].contains("method=GET") && request_lines[0].contains("path=/api/health")
    );
    assert!(request_lines[0].contains("status=200") && request_lines[0].contains("latency_ms="));
    assert!(request_lines[1].contains("status=404"));
    for needle in [secret, "another-hidden-secret", "AIzaQUERYKEY"] {
        assert!(!logs.contains(needle), "secret {needle} in logs");
    }
}

#[tokio::test]
async fn provider_keys_never_reach_logs_responses_or_disk() {
    let dir = tempfile::tempdir().unwrap();
    let mock = omniroute_e2e::MockUpstream::start().await.unwrap();
    let mut gw = start(dir.path(), &[("RUST_LOG", "debug")]);
    let key = "sk-proj-NEVER-LOG-ME-0123456789";
    let client = reqwest::Client::new();
    let created: Value = client
        .post(format!("{}/api/providers", gw.url))
        .json(
            &json!({"provider": "openai", "apiKey": key, "baseUrl": format!("{}/v1", mock.url())}),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(created["apiKey"], "sk-…6789");
    for stream in [false, true] {
        let r = client
            .post(format!("{}/v1/chat/completions", gw.url))
            .json(&json!({"model": "openai/gpt-4o", "stream": stream, "messages": [{"role": "user", "content": "hi"}]}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let _ = r.text().await;
    }
    assert_eq!(
        mock.received()[0].header("authorization"),
        Some(format!("Bearer {key}").as_str())
    );
    let listed = client
        .get(format!("{}/api/providers", gw.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!listed.contains(key));
    gw.signal("TERM");
    assert_eq!(
        gw.wait_exit(Duration::from_secs(10)).unwrap().code(),
        Some(0)
    );
    assert!(
        gw.stderr().contains("omniroute::http"),
        "logs were captured"
    );
    assert!(!gw.stderr().contains(key), "the key is in the logs");
    for file in omniroute_e2e::files_under(dir.path()) {
        let bytes = std::fs::read(file).unwrap();
        assert!(
            !String::from_utf8_lossy(&bytes).contains(key),
            "the key is on disk in clear"
        );
    }
}
