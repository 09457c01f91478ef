//! Claude Code's settings.json through the whole cycle, in every layout a user may have.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests"
)]

mod common;

use common::{GATEWAY, Home, KEY, MODEL, full_cycle, settings};
use omniroute_cli_tools::{Error, ToolId, plan};

const SETTINGS: &str = ".claude/settings.json";
const INTENDED: [&str; 3] = ["\"env\"", "\"ANTHROPIC_", MODEL];

fn cycle_with_fixture(name: &str) -> String {
    let home = Home::new();
    home.put_fixture(SETTINGS, name);
    full_cycle(&home, ToolId::ClaudeCode, &[SETTINGS], &INTENDED);
    // Leave the applied state to inspect.
    let planned = plan(&home.ctx, ToolId::ClaudeCode, &settings(MODEL)).unwrap();
    String::from_utf8(planned.new_content(&home.path(SETTINGS)).unwrap().to_vec()).unwrap()
}

#[test]
fn hooks_status_line_plugins_and_permissions_are_untouched() {
    let home = Home::new();
    home.put_fixture(SETTINGS, "claude-code/hooks-2space.json");
    let planned = plan(&home.ctx, ToolId::ClaudeCode, &settings(MODEL)).unwrap();
    let diff = &planned.preview().files[0].diff;
    // The two existing variables stay; six are added after them, in two-space indentation.
    assert!(
        diff.contains("-    \"DISABLE_TELEMETRY\": \"1\"\n+    \"DISABLE_TELEMETRY\": \"1\",\n"),
        "{diff}"
    );
    assert!(
        diff.contains(&format!("+    \"ANTHROPIC_BASE_URL\": \"{GATEWAY}\",\n")),
        "{diff}"
    );
    assert!(
        diff.contains("+    \"ANTHROPIC_AUTH_TOKEN\": \"sk-…cdef\",\n"),
        "{diff}"
    );
    assert!(
        diff.contains("+    \"ANTHROPIC_DEFAULT_HAIKU_MODEL\": \"up-x/m-1\"\n"),
        "{diff}"
    );
    cycle_with_fixture("claude-code/hooks-2space.json");
}

#[test]
fn an_old_gateway_is_replaced_in_place_in_four_spaces() {
    let applied = cycle_with_fixture("claude-code/old-gateway-4space.json");
    assert!(applied.starts_with(&format!("{{\n    \"env\": {{\n        \"ANTHROPIC_BASE_URL\": \"{GATEWAY}\",\n        \"ANTHROPIC_AUTH_TOKEN\": \"{KEY}\",\n        \"ANTHROPIC_MODEL\": \"{MODEL}\",\n        \"MAX_THINKING_TOKENS\": \"8000\",\n        \"ANTHROPIC_DEFAULT_OPUS_MODEL\"")), "{applied}");
}

#[test]
fn tabs_and_crlf_are_kept() {
    let applied = cycle_with_fixture("claude-code/tabs-crlf.json");
    assert!(applied.ends_with("\t},\r\n\t\"env\": {\r\n\t\t\"ANTHROPIC_BASE_URL\": \"http://127.0.0.1:20128\",\r\n\t\t\"ANTHROPIC_AUTH_TOKEN\": \"sk-omni-test-0123456789abcdef\",\r\n\t\t\"ANTHROPIC_MODEL\": \"up-x/m-1\",\r\n\t\t\"ANTHROPIC_DEFAULT_OPUS_MODEL\": \"up-x/m-1\",\r\n\t\t\"ANTHROPIC_DEFAULT_SONNET_MODEL\": \"up-x/m-1\",\r\n\t\t\"ANTHROPIC_DEFAULT_HAIKU_MODEL\": \"up-x/m-1\"\r\n\t}\r\n}\r\n"), "{applied:?}");
}

#[test]
fn byte_order_mark_and_missing_final_newline_are_kept() {
    let applied = cycle_with_fixture("claude-code/bom-no-final-newline.json");
    assert!(applied.starts_with('\u{feff}'));
    assert!(applied.ends_with("\n  }\n}"), "{applied:?}");
}

#[test]
fn empty_and_missing_files_get_the_minimal_settings() {
    let applied = cycle_with_fixture("claude-code/empty.json");
    let home = Home::new();
    // The cycle checks the restore deletes the file it created.
    full_cycle(&home, ToolId::ClaudeCode, &[SETTINGS], &INTENDED);
    assert!(
        applied.starts_with("{\n  \"env\": {\n    \"ANTHROPIC_BASE_URL\""),
        "{applied}"
    );
    assert!(applied.ends_with("\n  }\n}\n"));
}

#[test]
fn claude_config_dir_moves_the_file() {
    let home = Home::new();
    let dir = home.path("elsewhere/claude");
    let home = Home {
        ctx: omniroute_cli_tools::Context {
            env: [("CLAUDE_CONFIG_DIR".to_owned(), dir.display().to_string())].into(),
            ..home.ctx.clone()
        },
        ..home
    };
    full_cycle(
        &home,
        ToolId::ClaudeCode,
        &["elsewhere/claude/settings.json"],
        &INTENDED,
    );
    assert!(home.read(SETTINGS).is_none());
}

#[test]
fn invalid_json_is_refused_with_its_position_and_left_alone() {
    let home = Home::new();
    let broken = "{\n  \"env\": {\n    \"ANTHROPIC_AUTH_TOKEN\": \"sk-secret-value-123456\"\n  \"x\": 1\n}\n";
    home.put(SETTINGS, broken.as_bytes());
    let err = plan(&home.ctx, ToolId::ClaudeCode, &settings(MODEL)).unwrap_err();
    let Error::Malformed { line, column, .. } = &err else {
        panic!("{err:?}")
    };
    assert_eq!((*line, *column), (4, 3));
    assert!(!err.to_string().contains("sk-secret"), "{err}");
    assert_eq!(home.text(SETTINGS), broken);
    let status = omniroute_cli_tools::detect(&home.ctx, GATEWAY)
        .into_iter()
        .find(|s| s.id == ToolId::ClaudeCode)
        .unwrap();
    assert!(status.error.unwrap().contains("line 4"));
}

#[test]
fn notes_warn_about_a_competing_key() {
    let home = Home::new();
    home.put(
        SETTINGS,
        b"{\"env\": {\"ANTHROPIC_API_KEY\": \"sk-ant-x\"}, \"apiKeyHelper\": \"~/bin/key.sh\"}",
    );
    let planned = plan(&home.ctx, ToolId::ClaudeCode, &settings(MODEL)).unwrap();
    assert_eq!(planned.notes().len(), 2, "{:?}", planned.notes());
}
