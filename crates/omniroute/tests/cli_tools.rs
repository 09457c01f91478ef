//! `/api/cli-tools` through the real binary, on a home directory of the test's own (the gateway
//! edits the files of the user it runs as): detect, preview with masked diffs, a concurrent edit
//! refused, apply with the tool's own key, idempotence, restore byte for byte, the manual tools,
//! and `omniroute env`/`launch` writing nothing.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::disallowed_methods,
    reason = "tests"
)]

use std::path::Path;
use std::process::Command;

use omniroute_e2e::GatewayProcess;
use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_omniroute");

/// A Claude Code settings file as users have them: hooks, a status line, permissions, CRLF.
const SETTINGS: &str = "{\r\n    \"permissions\": {\"allow\": [\"Bash(npm test:*)\"]},\r\n    \"hooks\": {\r\n        \"PostToolUse\": [{\"matcher\": \"Edit\", \"hooks\": [{\"type\": \"command\", \"command\": \"prettier --write\"}]}]\r\n    },\r\n    \"statusLine\": {\"type\": \"command\", \"command\": \"~/.claude/statusline.sh\"},\r\n    \"theme\": \"dark\"\r\n}\r\n";

struct Rig {
    gw: GatewayProcess,
    home: tempfile::TempDir,
    _data: tempfile::TempDir,
    http: reqwest::Client,
}

impl Rig {
    fn start() -> Self {
        let home = tempfile::tempdir().unwrap();
        let data = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(home.path().join(".claude")).unwrap();
        std::fs::write(home.path().join(".claude/settings.json"), SETTINGS).unwrap();
        let h = home.path();
        let vars = [
            ("HOME", h.to_str().unwrap().to_owned()),
            (
                "XDG_CONFIG_HOME",
                h.join(".config").to_str().unwrap().to_owned(),
            ),
            (
                "CLAUDE_CONFIG_DIR",
                h.join(".claude").to_str().unwrap().to_owned(),
            ),
            ("CODEX_HOME", h.join(".codex").to_str().unwrap().to_owned()),
            ("REQUIRE_API_KEY", "true".to_owned()),
        ];
        let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let gw = GatewayProcess::spawn(Path::new(BIN), data.path(), &vars).unwrap();
        Self {
            gw,
            home,
            _data: data,
            http: reqwest::Client::new(),
        }
    }

    fn settings_path(&self) -> std::path::PathBuf {
        self.home.path().join(".claude/settings.json")
    }

    async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        let r = self
            .http
            .post(format!("{}{path}", self.gw.url))
            .json(&body)
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
    }

    async fn get(&self, path: &str) -> Value {
        self.http
            .get(format!("{}{path}", self.gw.url))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    async fn tool_keys(&self) -> Vec<Value> {
        self.get("/api/keys")
            .await
            .as_array()
            .unwrap()
            .iter()
            .filter(|k| k["name"] == "Claude Code (CLI tools)")
            .cloned()
            .collect()
    }
}

#[tokio::test]
async fn preview_apply_and_restore_never_lose_a_byte() {
    let rig = Rig::start();
    let tools = rig.get("/api/cli-tools").await;
    let ids: Vec<&str> = tools
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap())
        .collect();
    for id in [
        "claude-code",
        "codex",
        "gemini-cli",
        "openclaw",
        "opencode",
        "continue",
        "cline",
        "roo-code",
        "cursor",
    ] {
        assert!(ids.contains(&id), "{id} missing from {ids:?}");
    }
    let claude = tools
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == "claude-code")
        .unwrap();
    assert_eq!(claude["files"][0]["exists"], true, "{claude}");
    assert!(claude["configured"].is_null(), "{claude}");

    // No model and no active combo: the user is asked for one.
    let (status, body) = rig
        .post("/api/cli-tools/claude-code/preview", json!({}))
        .await;
    assert_eq!(status, 400, "{body}");
    let (status, body) = rig
        .post("/api/cli-tools/claude-code/preview", json!({"model": 5}))
        .await;
    assert_eq!(status, 400, "{body}");

    let (status, preview) = rig
        .post(
            "/api/cli-tools/claude-code/preview",
            json!({"model": "up/m-1"}),
        )
        .await;
    assert_eq!(status, 200, "{preview}");
    let diff = preview["files"][0]["diff"].as_str().unwrap();
    assert!(
        diff.contains("+") && diff.contains("ANTHROPIC_BASE_URL"),
        "{diff}"
    );
    assert_eq!(
        std::fs::read_to_string(rig.settings_path()).unwrap(),
        SETTINGS,
        "a preview writes nothing"
    );
    let keys = rig.tool_keys().await;
    assert_eq!(keys.len(), 1, "the tool's own key: {keys:?}");

    // Someone edits the file after the preview: Apply refuses and leaves their edit.
    let edited = SETTINGS.replace("\"dark\"", "\"light\"");
    std::fs::write(rig.settings_path(), &edited).unwrap();
    let (status, body) = rig
        .post(
            "/api/cli-tools/claude-code/apply",
            json!({"model": "up/m-1", "planId": preview["planId"]}),
        )
        .await;
    assert_eq!(status, 409, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("preview again"),
        "{body}"
    );
    assert_eq!(
        std::fs::read_to_string(rig.settings_path()).unwrap(),
        edited
    );

    let (_, preview) = rig
        .post(
            "/api/cli-tools/claude-code/preview",
            json!({"model": "up/m-1"}),
        )
        .await;
    let (status, applied) = rig
        .post(
            "/api/cli-tools/claude-code/apply",
            json!({"model": "up/m-1", "planId": preview["planId"]}),
        )
        .await;
    assert_eq!(status, 200, "{applied}");
    assert_eq!(
        applied["status"]["configured"]["thisGateway"], true,
        "{applied}"
    );
    let written = std::fs::read_to_string(rig.settings_path()).unwrap();
    assert!(
        written.contains("\"statusLine\"")
            && written.contains("prettier --write")
            && written.contains("\r\n"),
        "{written}"
    );
    let doc: Value = serde_json::from_str(&written).unwrap();
    let key = doc["env"]["ANTHROPIC_AUTH_TOKEN"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(doc["env"]["ANTHROPIC_MODEL"], "up/m-1");
    assert_eq!(doc["theme"], "light");
    assert!(
        !preview.to_string().contains(&key),
        "previews never show the key"
    );

    // The key written is a working key of this gateway (it requires one).
    let models = rig.http.get(format!("{}/v1/models", rig.gw.url));
    assert_eq!(
        models.try_clone().unwrap().send().await.unwrap().status(),
        401
    );
    assert_eq!(models.bearer_auth(&key).send().await.unwrap().status(), 200);

    // Applying again changes nothing and makes no second key.
    let (status, again) = rig
        .post(
            "/api/cli-tools/claude-code/apply",
            json!({"model": "up/m-1"}),
        )
        .await;
    assert_eq!(status, 200, "{again}");
    assert!(again["applied"]["snapshotId"].is_null(), "{again}");
    assert_eq!(rig.tool_keys().await.len(), 1);

    let snapshots = rig.get("/api/cli-tools/claude-code/snapshots").await;
    assert_eq!(snapshots.as_array().unwrap().len(), 1, "{snapshots}");
    let (status, restored) = rig
        .post("/api/cli-tools/claude-code/restore", json!({}))
        .await;
    assert_eq!(status, 200, "{restored}");
    assert_eq!(
        std::fs::read(rig.settings_path()).unwrap(),
        edited.as_bytes(),
        "byte for byte"
    );
    assert!(restored["status"]["configured"].is_null(), "{restored}");
    // The restore itself can be undone.
    let undo = restored["restored"]["undoSnapshotId"].clone();
    let (status, _) = rig
        .post(
            "/api/cli-tools/claude-code/restore",
            json!({"snapshotId": undo}),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        std::fs::read_to_string(rig.settings_path()).unwrap(),
        written
    );

    // A key deleted on the Keys page is replaced, never reused.
    let id = rig.tool_keys().await[0]["id"].as_str().unwrap().to_owned();
    rig.http
        .delete(format!("{}/api/keys/{id}", rig.gw.url))
        .send()
        .await
        .unwrap();
    let (_, launch) = rig
        .post(
            "/api/cli-tools/claude-code/launch",
            json!({"model": "up/m-1"}),
        )
        .await;
    let env: Vec<(String, String)> = serde_json::from_value(launch["env"].clone()).unwrap();
    let fresh = env
        .iter()
        .find(|(k, _)| k == "ANTHROPIC_AUTH_TOKEN")
        .unwrap()
        .1
        .clone();
    assert_ne!(fresh, key);
    assert_eq!(rig.tool_keys().await.len(), 1);
}

#[tokio::test]
async fn editor_tools_are_explained_and_unknown_ones_refused() {
    let rig = Rig::start();
    let (status, body) = rig
        .post("/api/cli-tools/cursor/apply", json!({"model": "m"}))
        .await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("editor"),
        "{body}"
    );
    let (status, _) = rig
        .post("/api/cli-tools/vim/preview", json!({"model": "m"}))
        .await;
    assert_eq!(status, 404);
    let (status, _) = rig.post("/api/cli-tools/codex/restore", json!({})).await;
    assert_eq!(status, 404, "nothing to restore yet");
}

#[test]
fn omniroute_env_prints_exports_and_writes_nothing() {
    let rig = Rig::start();
    let port = rig.gw.url.rsplit(':').next().unwrap().to_owned();
    let before = std::fs::read(rig.settings_path()).unwrap();
    let out = Command::new(BIN)
        .args(["env", "--port", &port, "--model", "up/m-1", "claude-code"])
        .env_clear()
        .env("HOME", rig.home.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains(&format!(
            "export ANTHROPIC_BASE_URL='http://127.0.0.1:{port}'"
        )),
        "{stdout}"
    );
    assert!(
        stdout.contains("export ANTHROPIC_MODEL='up/m-1'")
            && stdout.contains("unset ANTHROPIC_API_KEY"),
        "{stdout}"
    );
    assert_eq!(std::fs::read(rig.settings_path()).unwrap(), before);
    let fish = Command::new(BIN)
        .args([
            "env",
            "--port",
            &port,
            "--model",
            "up/m-1",
            "--shell",
            "fish",
            "gemini-cli",
        ])
        .env_clear()
        .env("HOME", rig.home.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&fish.stdout);
    assert!(
        stdout.contains("set -gx GEMINI_CLI_SYSTEM_SETTINGS_PATH"),
        "{stdout}"
    );
    let bad = Command::new(BIN)
        .args(["env", "--port", &port, "--model", "m", "cursor"])
        .env_clear()
        .output()
        .unwrap();
    assert!(!bad.status.success());
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("editor extension"),
        "{bad:?}"
    );
}
