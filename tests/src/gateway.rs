//! Running OmniRoute for a test: in-process on a random port with a temporary `DATA_DIR`, or as
//! the real binary (for signals, exit codes and restarts).

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use omniroute_gateway::{Config, Gateway, Handle, Overrides};

/// The gateway in this process, on `127.0.0.1:0`, with its own temporary data directory.
pub struct TestGateway {
    pub url: String,
    pub data_dir: tempfile::TempDir,
    handle: Option<Handle>,
}

impl TestGateway {
    pub async fn start() -> anyhow::Result<Self> {
        Self::start_with(&[]).await
    }

    /// Starts with extra environment variables (as `omniroute serve` would read them).
    pub async fn start_with(vars: &[(&str, &str)]) -> anyhow::Result<Self> {
        Self::start_in(tempfile::tempdir()?, vars).await
    }

    /// Starts on a data directory prepared beforehand (e.g. with a `providers.json`).
    pub async fn start_in(
        data_dir: tempfile::TempDir,
        vars: &[(&str, &str)],
    ) -> anyhow::Result<Self> {
        let config = test_config(data_dir.path(), vars)?;
        let listener = omniroute_gateway::bind(&config).await?;
        let handle = Gateway::start(config, listener).await?;
        let mut addr = handle.local_addr();
        // A gateway bound to every interface (`HOSTNAME=0.0.0.0`) is reached over loopback.
        if addr.ip().is_unspecified() {
            addr.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
        }
        Ok(Self {
            url: format!("http://{addr}"),
            data_dir,
            handle: Some(handle),
        })
    }

    /// Starts on loopback with a provider node `prefix` of `api_type` at `base_url` and one
    /// connection to it.
    pub async fn with_upstream(prefix: &str, api_type: &str, base_url: &str) -> Self {
        let gw = Self::start().await.unwrap();
        gw.add_node(prefix, api_type, base_url).await;
        gw.add_connection(prefix, "main", "sk-upstream-0123456789")
            .await;
        gw
    }

    /// Adds a provider node (`POST /api/provider-nodes`) and asserts it was created.
    pub async fn add_node(&self, prefix: &str, api_type: &str, base_url: &str) {
        let node = serde_json::json!({"name": prefix, "prefix": prefix, "apiType": api_type, "baseUrl": base_url});
        let r = reqwest::Client::new()
            .post(format!("{}/api/provider-nodes", self.url))
            .json(&node)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201, "{}", r.text().await.unwrap_or_default());
    }

    /// Adds a connection (`POST /api/providers`) and returns its id.
    pub async fn add_connection(&self, provider: &str, name: &str, api_key: &str) -> String {
        let conn = serde_json::json!({"provider": provider, "name": name, "apiKey": api_key});
        let r = reqwest::Client::new()
            .post(format!("{}/api/providers", self.url))
            .json(&conn)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
        let created: serde_json::Value = r.json().await.unwrap();
        created["id"].as_str().unwrap_or_default().to_owned()
    }

    /// Adds a connection with a routing priority (lower is tried first) and returns its id.
    pub async fn add_ranked_connection(
        &self,
        provider: &str,
        name: &str,
        api_key: &str,
        priority: i64,
    ) -> String {
        let id = self.add_connection(provider, name, api_key).await;
        let r = reqwest::Client::new()
            .put(format!("{}/api/providers/{id}", self.url))
            .json(&serde_json::json!({"priority": priority}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        id
    }

    pub async fn shutdown(mut self) {
        if let Some(handle) = self.handle.take() {
            handle.shutdown().await;
        }
    }

    /// Shuts down gracefully and hands over the data directory, to inspect what was stored.
    pub async fn stop_keeping_data(mut self) -> tempfile::TempDir {
        if let Some(handle) = self.handle.take() {
            handle.shutdown().await;
        }
        self.data_dir
    }
}

fn test_config(data_dir: &Path, vars: &[(&str, &str)]) -> anyhow::Result<Config> {
    let overrides = Overrides {
        port: Some("0".into()),
        // `HOSTNAME` among `vars` picks the bind address (as the flag would); loopback otherwise.
        host: Some(
            vars.iter()
                .find(|(k, _)| *k == "HOSTNAME")
                .map_or("127.0.0.1", |(_, v)| *v)
                .into(),
        ),
        data_dir: Some(data_dir.to_path_buf()),
    };
    let lookup = |name: &str| {
        vars.iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| (*v).to_owned())
    };
    Ok(Config::from_env(lookup, &overrides)?)
}

/// The real `omniroute` binary, started with `serve --port 0` and its output captured.
pub struct GatewayProcess {
    child: Child,
    pub url: String,
    stderr: Arc<Mutex<String>>,
}

impl GatewayProcess {
    /// Starts `bin serve --port 0 --data-dir data_dir` with `vars` added to a clean environment,
    /// and waits (up to 20 s) for the line announcing the address.
    pub fn spawn(bin: &Path, data_dir: &Path, vars: &[(&str, &str)]) -> anyhow::Result<Self> {
        let mut command = Command::new(bin);
        command
            .args(["serve", "--port", "0", "--data-dir"])
            .arg(data_dir);
        clean_env(&mut command, vars);
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()?;
        let stderr = Arc::new(Mutex::new(String::new()));
        let mut err_pipe = child.stderr.take().expect("stderr piped");
        let sink = stderr.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = err_pipe.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
        let stdout = child.stdout.take().expect("stdout piped");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(url) = line.strip_prefix("OmniRoute listening on ") {
                    let _ = tx.send(url.trim().to_owned());
                }
            }
        });
        match rx.recv_timeout(Duration::from_secs(20)) {
            Ok(url) => Ok(Self { child, url, stderr }),
            Err(_) => {
                let _ = child.kill();
                let status = child.wait()?;
                anyhow::bail!(
                    "omniroute did not start ({status}): {}",
                    stderr.lock().unwrap()
                )
            }
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends a signal by name (`TERM`, `INT`) with kill(1).
    pub fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .arg(format!("-{name}"))
            .arg(self.pid().to_string())
            .status();
        assert!(status.is_ok_and(|s| s.success()), "kill -{name} failed");
    }

    /// Waits for the process to exit, up to `timeout`; `None` if it is still running.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Everything the process wrote to stderr so far (its logs).
    pub fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }
}

impl Drop for GatewayProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs `bin` to completion with `args` and `vars`; returns the exit code and stderr.
pub fn run_to_exit(
    bin: &Path,
    args: &[&str],
    vars: &[(&str, &str)],
    timeout: Duration,
) -> (Option<i32>, String) {
    let mut command = Command::new(bin);
    command.args(args);
    clean_env(&mut command, vars);
    let mut child = command
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn omniroute");
    let deadline = Instant::now() + timeout;
    let status = loop {
        if let Ok(Some(status)) = child.try_wait() {
            break status;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            break child.wait().expect("wait");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut stderr = String::new();
    if let Some(mut pipe) = child.stderr.take() {
        let _ = pipe.read_to_string(&mut stderr);
    }
    (status.code(), stderr)
}

/// The process environment stripped of OmniRoute's variables, so a developer's shell cannot
/// change a test's outcome; `PATH` and `HOME` stay.
fn clean_env(command: &mut Command, vars: &[(&str, &str)]) {
    for name in [
        "JWT_SECRET",
        "INITIAL_PASSWORD",
        "DATA_DIR",
        "PORT",
        "HOSTNAME",
        "BASE_URL",
        "CLOUD_URL",
        "API_KEY_SECRET",
        "REQUIRE_API_KEY",
        "ENABLE_REQUEST_LOGS",
        "AUTH_COOKIE_SECURE",
        "OMNIROUTE_SECRETS",
        "SHUTDOWN_TIMEOUT",
        "OMNIROUTE_CONTAINER",
        "STREAM_KEEPALIVE",
        "UPSTREAM_TIMEOUT",
        "DATABASE_URL",
        "REDIS_URL",
        "SECRET_KEY",
    ] {
        command.env_remove(name);
    }
    command.env("RUST_LOG", "info");
    for (k, v) in vars {
        command.env(k, v);
    }
}

/// Path of a workspace binary next to the running test executable (`target/<profile>/name`).
pub fn workspace_binary(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("current exe");
    let dir = exe.parent().and_then(Path::parent).expect("target dir");
    dir.join(name)
}
