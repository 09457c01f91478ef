//! Cloud sync between real OmniRoute instances on loopback: two devices and a hub
//! (`SYNC_HUB=true`), and the same through a real WebDAV server (`rclone serve webdav`). A combo
//! made on one device appears on the other, deletions propagate, concurrent edits converge with
//! the loser in a conflict list, credentials cross only when turned on, and the hub's bytes hold
//! no plaintext. A hub that is down, slow or answering garbage is reported while the device keeps
//! serving.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::disallowed_methods,
    reason = "tests"
)]

use std::path::Path;
use std::time::{Duration, Instant};

use omniroute_e2e::mock::Format;
use omniroute_e2e::{MockUpstream, TestGateway, clients};
use serde_json::{Value, json};

const PASSPHRASE: &str = "correct horse battery staple";
const UPSTREAM_KEY: &str = "sk-upstream-secret-0123456789";

struct Device {
    gw: TestGateway,
    http: reqwest::Client,
    /// `CLOUD_URL`, password included (the status shows it without).
    cloud_url: String,
}

impl Device {
    async fn start(cloud_url: &str, extra: &[(&str, &str)]) -> Self {
        let mut vars = vec![("CLOUD_URL", cloud_url), ("CLOUD_PASSPHRASE", PASSPHRASE)];
        vars.extend_from_slice(extra);
        Self {
            gw: TestGateway::start_with(&vars).await.unwrap(),
            http: reqwest::Client::new(),
            cloud_url: cloud_url.to_owned(),
        }
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut request = self.http.request(method, format!("{}{path}", self.gw.url));
        if let Some(body) = body {
            request = request.json(&body);
        }
        let r = request.send().await.unwrap();
        (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
    }

    async fn get(&self, path: &str) -> Value {
        self.call(reqwest::Method::GET, path, None).await.1
    }

    /// "Sync now"; returns the status.
    async fn sync(&self) -> Value {
        let (status, body) = self
            .call(reqwest::Method::POST, "/api/sync/now", None)
            .await;
        assert_eq!(status, 200, "{body}");
        body["status"].clone()
    }

    async fn synced(&self) -> Value {
        let status = self.sync().await;
        assert!(status["lastError"].is_null(), "sync failed: {status}");
        status
    }

    async fn combo(&self, name: &str) -> Option<Value> {
        self.get("/api/combos")
            .await
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == name)
            .cloned()
    }

    async fn put_combo(&self, name: &str, models: Value) {
        let (status, body) = match self.combo(name).await {
            Some(_) => {
                self.call(
                    reqwest::Method::PUT,
                    &format!("/api/combos/{name}"),
                    Some(json!({"name": name, "models": models})),
                )
                .await
            }
            None => {
                self.call(
                    reqwest::Method::POST,
                    "/api/combos",
                    Some(json!({"name": name, "models": models})),
                )
                .await
            }
        };
        assert!(status == 200 || status == 201, "{status} {body}");
    }
}

/// Every byte stored under `dir`, files concatenated.
fn all_bytes(dir: &Path) -> Vec<u8> {
    omniroute_e2e::files_under(dir)
        .into_iter()
        .flat_map(|f| std::fs::read(f).unwrap())
        .collect()
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

/// The scenario every hub must pass.
async fn two_devices_converge(one: &Device, two: &Device, mock: &MockUpstream) {
    one.gw
        .add_node("upx", "openai", &format!("{}/v1", mock.url()))
        .await;
    one.gw
        .add_connection("upx", "work-account", UPSTREAM_KEY)
        .await;
    one.put_combo("team-combo", json!(["upx/model-alpha"]))
        .await;
    one.synced().await;
    two.synced().await;

    // Made on one, there on two: the node, the connection (no key: credentials are off), the combo.
    let combo = two
        .combo("team-combo")
        .await
        .expect("the combo reached device two");
    assert_eq!(combo["models"][0]["model"], "upx/model-alpha", "{combo}");
    let nodes = two.get("/api/provider-nodes").await;
    assert!(
        nodes
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["prefix"] == "upx"),
        "{nodes}"
    );
    let connections = two.get("/api/providers").await;
    let account = connections
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "work-account")
        .unwrap_or_else(|| panic!("{connections}"))
        .clone();
    assert!(
        account["apiKey"].is_null(),
        "credentials stay home by default: {account}"
    );

    // Concurrent edits of one combo: both converge on one version, the other is a conflict.
    one.put_combo("team-combo", json!(["upx/model-one"])).await;
    two.put_combo("team-combo", json!(["upx/model-two"])).await;
    one.synced().await;
    two.synced().await;
    one.synced().await;
    let (a, b) = (
        one.combo("team-combo").await.unwrap(),
        two.combo("team-combo").await.unwrap(),
    );
    assert_eq!(a["models"], b["models"], "converged");
    let conflicts: Vec<Value> = [
        one.get("/api/sync/status").await,
        two.get("/api/sync/status").await,
    ]
    .iter()
    .flat_map(|v| {
        v["status"]["conflicts"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    })
    .collect();
    assert!(
        conflicts.iter().any(|c| c["recordId"] == "team-combo"),
        "the losing edit is kept: {conflicts:?}"
    );
    // The loser restored on the device that lists it becomes the version everywhere.
    let (holder, other) = if one.get("/api/sync/status").await["status"]["conflicts"]
        .as_array()
        .is_some_and(|c| !c.is_empty())
    {
        (one, two)
    } else {
        (two, one)
    };
    let winner = holder.combo("team-combo").await.unwrap()["models"].clone();
    let id = holder.get("/api/sync/status").await["status"]["conflicts"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, body) = holder
        .call(
            reqwest::Method::POST,
            &format!("/api/sync/conflicts/{id}/restore"),
            None,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let restored = holder.combo("team-combo").await.unwrap()["models"].clone();
    assert_ne!(restored, winner, "the losing version is back");
    other.synced().await;
    assert_eq!(other.combo("team-combo").await.unwrap()["models"], restored);

    // A deletion propagates.
    let (status, _) = one
        .call(reqwest::Method::DELETE, "/api/combos/team-combo", None)
        .await;
    assert!(status == 200 || status == 204);
    one.synced().await;
    two.synced().await;
    assert!(
        two.combo("team-combo").await.is_none(),
        "deleted on two as well"
    );

    // Credentials cross once both devices turn them on.
    for device in [one, two] {
        let (status, body) = device
            .call(
                reqwest::Method::PUT,
                "/api/sync/config",
                Some(
                    json!({"url": device.cloud_url, "passphrase": PASSPHRASE, "credentials": true}),
                ),
            )
            .await;
        assert_eq!(status, 200, "{body}");
    }
    one.synced().await;
    two.synced().await;
    let connections = two.get("/api/providers").await;
    let account = connections
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "work-account")
        .unwrap()
        .clone();
    assert!(
        account["apiKey"]
            .as_str()
            .is_some_and(|k| k.ends_with("6789")),
        "the key arrived: {account}"
    );
}

#[tokio::test]
async fn two_devices_and_a_hub() {
    let mock = MockUpstream::start().await.unwrap();
    let hub = TestGateway::start_with(&[("SYNC_HUB", "true")])
        .await
        .unwrap();
    let one = Device::start(&hub.url, &[]).await;
    let two = Device::start(&hub.url, &[]).await;
    two_devices_converge(&one, &two, &mock).await;
    let stored = all_bytes(&hub.data_dir.path().join("sync-hub"));
    assert!(stored.len() > 200, "the hub holds the snapshots");
    for secret in [
        "team-combo",
        "work-account",
        "model-alpha",
        "upx/",
        UPSTREAM_KEY,
        "6789",
    ] {
        assert!(
            !contains(&stored, secret),
            "the hub's bytes contain {secret:?}"
        );
    }
    // The hub refuses another group's token for this group.
    let group = std::fs::read_dir(hub.data_dir.path().join("sync-hub"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .file_name();
    let r = reqwest::Client::new()
        .get(format!(
            "{}/sync/v1/{}/devices/",
            hub.url,
            group.to_string_lossy()
        ))
        .bearer_auth("not-the-token")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
}

#[tokio::test]
async fn a_gateway_is_no_hub_unless_asked() {
    let gw = TestGateway::start().await.unwrap();
    let r = reqwest::Client::new()
        .get(format!("{}/sync/v1/{}/devices/", gw.url, "0".repeat(32)))
        .bearer_auth("x")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
}

/// `rclone serve webdav` on a free loopback port, storing into `dir`.
struct WebDav {
    child: std::process::Child,
    url: String,
}

impl WebDav {
    fn start(dir: &Path) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = std::process::Command::new("rclone")
            .args(["serve", "webdav", "--addr", &format!("127.0.0.1:{port}")])
            .args(["--user", "sync", "--pass", "dav-password"])
            .arg(dir)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("rclone (scripts/lib/deps.sh installs it)");
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "rclone did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        Self {
            child,
            url: format!("webdav://sync:dav-password@127.0.0.1:{port}/omniroute"),
        }
    }
}

impl Drop for WebDav {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test]
async fn two_devices_through_a_webdav_folder() {
    let mock = MockUpstream::start().await.unwrap();
    let folder = tempfile::tempdir().unwrap();
    let dav = WebDav::start(folder.path());
    let one = Device::start(&dav.url, &[]).await;
    let two = Device::start(&dav.url, &[]).await;
    two_devices_converge(&one, &two, &mock).await;
    let stored = all_bytes(folder.path());
    assert!(stored.len() > 200);
    for secret in ["team-combo", "work-account", "model-alpha", UPSTREAM_KEY] {
        assert!(
            !contains(&stored, secret),
            "the folder's bytes contain {secret:?}"
        );
    }
}

/// A loopback server that answers every connection with `answer` (or never, when `None`).
async fn fake_hub(answer: Option<&'static str>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((mut socket, _)) = listener.accept().await {
            match answer {
                Some(text) => {
                    use tokio::io::{AsyncReadExt, AsyncWriteExt};
                    let mut buf = [0u8; 4096];
                    let _ = socket.read(&mut buf).await;
                    let reply = format!(
                        "HTTP/1.1 200 OK\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{text}",
                        text.len()
                    );
                    let _ = socket.write_all(reply.as_bytes()).await;
                }
                None => held.push(socket),
            }
        }
    });
    url
}

#[tokio::test]
async fn a_hub_down_slow_or_talking_garbage_is_reported_and_requests_go_on() {
    let mock = MockUpstream::start().await.unwrap();
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", l.local_addr().unwrap())
    };
    let slow = fake_hub(None).await;
    let garbage = fake_hub(Some("<html>not a hub</html>")).await;
    for (url, kind) in [
        (closed, "unreachable"),
        (slow, "timeout"),
        (garbage, "corrupt"),
    ] {
        let device = Device::start(&url, &[("SYNC_TIMEOUT", "2")]).await;
        device
            .gw
            .add_node("up", "openai", &format!("{}/v1", mock.url()))
            .await;
        device
            .gw
            .add_connection("up", "main", "sk-up-0123456789")
            .await;
        // A sync run against the bad hub, and meanwhile a request: served, without waiting.
        let running = {
            let http = device.http.clone();
            let url = format!("{}/api/sync/now", device.gw.url);
            tokio::spawn(async move {
                let r: Value = http.post(url).send().await.unwrap().json().await.unwrap();
                r["status"].clone()
            })
        };
        tokio::time::sleep(Duration::from_millis(100)).await;
        let (path, body) = clients::request(Format::OpenAiChat, "up/m", "hi", false, false);
        let r = device
            .http
            .post(format!("{}{path}", device.gw.url))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        if kind == "timeout" {
            assert!(
                !running.is_finished(),
                "the request did not wait for the sync run"
            );
        }
        let status = running.await.unwrap();
        assert_eq!(status["lastError"]["kind"], kind, "{url}: {status}");
        assert!(status["consecutiveFailures"].as_u64().unwrap() >= 1);
        device.gw.shutdown().await;
    }
}

/// A loopback door to `target` that can be shut: shut, it drops every connection at once.
async fn door(target: String) -> (String, std::sync::Arc<std::sync::atomic::AtomicBool>) {
    use std::sync::atomic::{AtomicBool, Ordering};
    let open = std::sync::Arc::new(AtomicBool::new(false));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let target = target.trim_start_matches("http://").to_owned();
    let flag = open.clone();
    tokio::spawn(async move {
        while let Ok((mut inbound, _)) = listener.accept().await {
            if !flag.load(Ordering::SeqCst) {
                continue; // dropped: the client sees the connection closed
            }
            let target = target.clone();
            tokio::spawn(async move {
                if let Ok(mut outbound) = tokio::net::TcpStream::connect(&target).await {
                    let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                }
            });
        }
    });
    (url, open)
}

#[tokio::test]
async fn after_the_hub_comes_back_the_next_sync_converges() {
    use std::sync::atomic::Ordering;
    let hub = TestGateway::start_with(&[("SYNC_HUB", "true")])
        .await
        .unwrap();
    let (url, open) = door(hub.url.clone()).await;
    let one = Device::start(&url, &[]).await;
    let two = Device::start(&url, &[]).await;
    one.put_combo("made-while-down", json!(["p/m"])).await;
    let status = one.sync().await;
    assert!(status["lastError"]["kind"].is_string(), "{status}");
    assert!(
        status["pendingChanges"].as_u64().unwrap() >= 1,
        "the combo waits: {status}"
    );
    open.store(true, Ordering::SeqCst);
    one.synced().await;
    two.synced().await;
    assert!(two.combo("made-while-down").await.is_some());
}
