//! Detect: executables on the PATH (with versions read from files, nothing run), config and
//! extension directories, and where each tool points now.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests"
)]

mod common;

use std::fs;
use std::path::Path;

use common::{GATEWAY, Home};
use omniroute_cli_tools::{Context, ToolId, ToolStatus, detect};

fn status(ctx: &Context, tool: ToolId) -> ToolStatus {
    detect(ctx, GATEWAY)
        .into_iter()
        .find(|s| s.id == tool)
        .unwrap()
}

#[cfg(unix)]
fn executable(path: &Path, body: &str) {
    use std::os::unix::fs::PermissionsExt;
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, body).unwrap();
    fs::set_permissions(path, fs::Permissions::from_mode(0o755)).unwrap();
}

#[test]
fn an_empty_home_has_nothing_installed() {
    let home = Home::new();
    let all = detect(&home.ctx, GATEWAY);
    assert_eq!(all.iter().map(|s| s.id).collect::<Vec<_>>(), ToolId::ALL);
    for s in &all {
        assert!(
            !s.installed && s.configured.is_none() && s.error.is_none(),
            "{s:?}"
        );
        assert_eq!(s.file_configurable, s.manual.is_none());
    }
    let cline = all.iter().find(|s| s.id == ToolId::Cline).unwrap();
    assert_eq!(
        cline.manual.as_ref().unwrap().base_url,
        "http://127.0.0.1:20128/v1"
    );
    assert_eq!(
        serde_json::to_value(cline).unwrap()["fileConfigurable"],
        false
    );
}

#[cfg(unix)]
#[test]
fn npm_and_native_installs_give_their_version() {
    let mut home = Home::new();
    let package = home.path("npm/lib/node_modules/@openai/codex");
    executable(&package.join("bin/codex.js"), "#!/usr/bin/env node\n");
    fs::write(
        package.join("package.json"),
        r#"{"name": "@openai/codex", "version": "0.169.0"}"#,
    )
    .unwrap();
    fs::create_dir_all(home.path("npm/bin")).unwrap();
    std::os::unix::fs::symlink(package.join("bin/codex.js"), home.path("npm/bin/codex")).unwrap();
    executable(&home.path(".local/share/claude/versions/2.1.197"), "binary");
    fs::create_dir_all(home.path(".local/bin")).unwrap();
    std::os::unix::fs::symlink(
        home.path(".local/share/claude/versions/2.1.197"),
        home.path(".local/bin/claude"),
    )
    .unwrap();
    executable(&home.path("other/gemini"), "#!/bin/sh\n");
    home.ctx.path_dirs = vec![
        home.path("npm/bin"),
        home.path(".local/bin"),
        home.path("other"),
    ];

    let codex = status(&home.ctx, ToolId::Codex);
    assert!(codex.installed);
    assert_eq!(codex.version.as_deref(), Some("0.169.0"));
    assert_eq!(
        codex.executable,
        Some(home.path("npm/bin/codex").display().to_string())
    );
    assert_eq!(
        status(&home.ctx, ToolId::ClaudeCode).version.as_deref(),
        Some("2.1.197")
    );
    let gemini = status(&home.ctx, ToolId::GeminiCli);
    assert!(gemini.installed && gemini.version.is_none());
}

#[test]
fn editor_extensions_and_app_directories() {
    let home = Home::new();
    for dir in [
        ".vscode/extensions/saoudrizwan.claude-dev-3.17.0",
        ".cursor/extensions/saoudrizwan.claude-dev-3.20.1",
        ".vscode/extensions/rooveterinaryinc.roo-cline-3.25.4-linux-x64",
        ".config/Cursor/User",
    ] {
        fs::create_dir_all(home.path(dir)).unwrap();
    }
    let cline = status(&home.ctx, ToolId::Cline);
    assert!(cline.installed);
    assert_eq!(cline.version.as_deref(), Some("3.20.1"));
    assert_eq!(cline.found_at.len(), 2);
    assert_eq!(
        status(&home.ctx, ToolId::RooCode).version.as_deref(),
        Some("3.25.4")
    );
    let cursor = status(&home.ctx, ToolId::Cursor);
    assert!(cursor.installed && cursor.manual.is_some());
}

#[test]
fn tools_pointed_elsewhere_are_not_this_gateway() {
    let home = Home::new();
    home.put_fixture(
        ".claude/settings.json",
        "claude-code/old-gateway-4space.json",
    );
    home.put_fixture(".codex/config.toml", "codex/ours-crlf.toml");
    home.put_fixture(".openclaw/openclaw.json", "openclaw/openclaw.json");
    let claude = status(&home.ctx, ToolId::ClaudeCode).configured.unwrap();
    assert_eq!(
        claude.endpoint.as_deref(),
        Some("https://old-proxy.example.com")
    );
    assert_eq!(claude.key_hint.as_deref(), Some("sk-…0000"));
    assert!(!claude.this_gateway);
    let codex = status(&home.ctx, ToolId::Codex).configured.unwrap();
    assert_eq!(
        (codex.endpoint.as_deref(), codex.model.as_deref()),
        (Some("http://127.0.0.1:9999/v1"), Some("old-model"))
    );
    assert!(!codex.this_gateway);
    let openclaw = status(&home.ctx, ToolId::OpenClaw).configured.unwrap();
    assert_eq!(openclaw.model.as_deref(), Some("claude-opus-4-6"));
    assert_eq!(
        openclaw.endpoint, None,
        "the anthropic provider is built in, not in the file"
    );
}

#[test]
fn unreadable_files_are_reported_not_fatal() {
    let home = Home::new();
    home.put(".codex/config.toml", b"model = \n");
    home.put(".config/opencode/opencode.json", b"[1, 2");
    let all = detect(&home.ctx, GATEWAY);
    let codex = all.iter().find(|s| s.id == ToolId::Codex).unwrap();
    assert!(
        codex.installed && codex.error.as_deref().unwrap().contains("TOML"),
        "{codex:?}"
    );
    let opencode = all.iter().find(|s| s.id == ToolId::OpenCode).unwrap();
    assert!(opencode.error.is_some());
    assert!(opencode.files[0].exists);
}

#[test]
fn context_debug_shows_variable_names_only() {
    let home = Home::with_env(&[("ANTHROPIC_API_KEY", "sk-ant-secret-value")]);
    let debug = format!("{:?}", home.ctx);
    assert!(debug.contains("ANTHROPIC_API_KEY") && !debug.contains("sk-ant-secret-value"));
}
