//! `env_for`: one run pointed at the gateway with nothing written, and its shell renderings.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests"
)]

mod common;

use common::{GATEWAY, KEY, MODEL, settings};
use omniroute_cli_tools::{ApiKey, Settings, Shell, ToolId, env_for};

fn env_of(launch: &omniroute_cli_tools::Launch) -> Vec<(&str, &str)> {
    launch
        .env
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect()
}

#[test]
fn claude_code_gets_its_endpoint_token_and_every_model_tier() {
    let launch = env_for(ToolId::ClaudeCode, &settings(MODEL)).unwrap();
    assert_eq!(launch.command, "claude");
    assert_eq!(
        env_of(&launch),
        [
            ("ANTHROPIC_BASE_URL", GATEWAY),
            ("ANTHROPIC_AUTH_TOKEN", KEY),
            ("ANTHROPIC_MODEL", MODEL),
            ("ANTHROPIC_DEFAULT_OPUS_MODEL", MODEL),
            ("ANTHROPIC_DEFAULT_SONNET_MODEL", MODEL),
            ("ANTHROPIC_DEFAULT_HAIKU_MODEL", MODEL),
        ]
    );
    assert_eq!(launch.unset, ["ANTHROPIC_API_KEY"]);
    assert!(launch.complete && launch.note.is_none());
    assert!(!format!("{launch:?}").contains(KEY));
}

#[test]
fn codex_gets_config_overrides_and_the_key_in_a_variable() {
    let launch = env_for(ToolId::Codex, &settings(MODEL)).unwrap();
    assert_eq!(env_of(&launch), [("OMNIROUTE_API_KEY", KEY)]);
    assert_eq!(
        launch.args_prefix,
        [
            "-c",
            "model_provider=\"omniroute\"",
            "-c",
            "model_providers.omniroute={name=\"OmniRoute\", base_url=\"http://127.0.0.1:20128/v1\", env_key=\"OMNIROUTE_API_KEY\", wire_api=\"responses\"}",
            "-c",
            "model=\"up-x/m-1\"",
        ]
    );
    assert!(
        launch.args_prefix.iter().all(|a| !a.contains(KEY)),
        "the key stays off the command line"
    );
}

#[test]
fn gemini_cli_gets_its_auth_type_from_a_side_file() {
    let launch = env_for(ToolId::GeminiCli, &settings(MODEL)).unwrap();
    assert_eq!(
        env_of(&launch),
        [
            ("GEMINI_API_KEY", KEY),
            ("GOOGLE_GEMINI_BASE_URL", GATEWAY),
            ("GEMINI_MODEL", MODEL)
        ]
    );
    assert!(launch.complete);
    let file = launch.side_file.as_ref().unwrap();
    assert_eq!(file.env, "GEMINI_CLI_SYSTEM_SETTINGS_PATH");
    let settings: serde_json::Value = serde_json::from_str(&file.content).unwrap();
    assert_eq!(
        settings["security"]["auth"]["selectedType"],
        "gemini-api-key"
    );
    assert_eq!(settings["model"]["name"], MODEL);
    assert!(
        !file.content.contains(KEY),
        "the key stays in the environment"
    );
    let remote = env_for(
        ToolId::GeminiCli,
        &Settings::new("http://10.0.0.2:20128", ApiKey::new(KEY), MODEL),
    )
    .unwrap();
    assert!(!remote.complete && remote.note.unwrap().contains("plain-HTTP"));
}

#[test]
fn opencode_takes_inline_config() {
    let launch = env_for(ToolId::OpenCode, &settings(MODEL)).unwrap();
    let (name, content) = &launch.env[0];
    assert_eq!(name, "OPENCODE_CONFIG_CONTENT");
    let config: serde_json::Value = serde_json::from_str(content).unwrap();
    assert_eq!(config["model"], "omniroute/up-x/m-1");
    assert_eq!(
        config["provider"]["omniroute"]["options"]["baseURL"],
        "http://127.0.0.1:20128/v1"
    );
    assert!(config["provider"]["omniroute"]["models"][MODEL].is_object());
    assert!(
        !format!("{launch:?}").contains(KEY),
        "Debug masks the key inside the JSON too"
    );
    for tool in [ToolId::OpenClaw, ToolId::Continue] {
        let launch = env_for(tool, &settings(MODEL)).unwrap();
        assert!(!launch.complete && launch.note.is_some() && launch.env.is_empty());
    }
}

#[test]
fn shell_exports_quote_for_each_shell() {
    let launch = env_for(ToolId::ClaudeCode, &settings("it's/m")).unwrap();
    let posix = launch.shell_exports(Shell::Posix);
    assert!(
        posix.starts_with(
            "unset ANTHROPIC_API_KEY\nexport ANTHROPIC_BASE_URL='http://127.0.0.1:20128'\n"
        ),
        "{posix}"
    );
    assert!(
        posix.contains("export ANTHROPIC_MODEL='it'\\''s/m'\n"),
        "{posix}"
    );
    let pwsh = launch.shell_exports(Shell::PowerShell);
    assert!(pwsh.starts_with("Remove-Item Env:ANTHROPIC_API_KEY -ErrorAction SilentlyContinue\n"));
    assert!(
        pwsh.contains("$env:ANTHROPIC_MODEL = 'it''s/m'\n"),
        "{pwsh}"
    );
    let fish = launch.shell_exports(Shell::Fish);
    assert!(
        fish.contains("set -gx ANTHROPIC_MODEL 'it\\'s/m'\n"),
        "{fish}"
    );
    let codex = env_for(ToolId::Codex, &settings(MODEL))
        .unwrap()
        .shell_exports(Shell::Posix);
    assert!(codex.ends_with("# run: codex '-c' 'model_provider=\"omniroute\"' '-c' 'model_providers.omniroute={name=\"OmniRoute\", base_url=\"http://127.0.0.1:20128/v1\", env_key=\"OMNIROUTE_API_KEY\", wire_api=\"responses\"}' '-c' 'model=\"up-x/m-1\"' …\n"), "{codex}");
}
