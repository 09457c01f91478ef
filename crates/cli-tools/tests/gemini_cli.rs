//! Gemini CLI: settings.json (comments allowed) and ~/.gemini/.env, edited and restored together.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests"
)]

mod common;

use common::{GATEWAY, Home, KEY, MODEL, full_cycle, settings};
use omniroute_cli_tools::{ToolId, plan};

const SETTINGS: &str = ".gemini/settings.json";
const ENV: &str = ".gemini/.env";
const INTENDED: [&str; 7] = [
    "\"security\"",
    "\"auth\"",
    "\"selectedType\"",
    "\"model\"",
    "\"name\"",
    "GEMINI_API_KEY",
    "GOOGLE_GEMINI_BASE_URL",
];

#[test]
fn commented_settings_and_an_env_file_with_other_variables() {
    let home = Home::new();
    home.put_fixture(SETTINGS, "gemini-cli/settings.json");
    home.put_fixture(ENV, "gemini-cli/dot-env");
    let planned = plan(&home.ctx, ToolId::GeminiCli, &settings(MODEL)).unwrap();
    let text = |rel: &str| {
        String::from_utf8(planned.new_content(&home.path(rel)).unwrap().to_vec()).unwrap()
    };
    let json = text(SETTINGS);
    assert!(json.contains("  /* auth was set up with Google login */\n  \"security\": {\n    \"auth\": {\n      \"selectedType\": \"gemini-api-key\"\n"), "{json}");
    assert!(json.ends_with("  \"context\": {\n    \"fileName\": [\"GEMINI.md\", \"AGENTS.md\"]\n  },\n  \"model\": {\n    \"name\": \"up-x/m-1\"\n  }\n}\n"), "{json}");
    assert_eq!(
        text(ENV),
        format!(
            "# Gemini CLI environment\r\nGOOGLE_CLOUD_PROJECT=my-project-123\r\nexport GEMINI_API_KEY={KEY} # old key\r\n\r\nDEBUG=false\r\nGOOGLE_GEMINI_BASE_URL={GATEWAY}\r\n"
        )
    );
    assert!(planned.notes()[0].contains("trust"));
    full_cycle(&home, ToolId::GeminiCli, &[SETTINGS, ENV], &INTENDED);
}

#[test]
fn nothing_there_yet() {
    let home = Home::new();
    full_cycle(&home, ToolId::GeminiCli, &[SETTINGS, ENV], &INTENDED);
}

#[test]
fn a_plain_http_gateway_elsewhere_gets_a_note() {
    let home = Home::new();
    let remote = omniroute_cli_tools::Settings::new(
        "http://192.168.1.5:20128",
        omniroute_cli_tools::ApiKey::new(KEY),
        MODEL,
    );
    let planned = plan(&home.ctx, ToolId::GeminiCli, &remote).unwrap();
    assert!(
        planned.notes().iter().any(|n| n.contains("localhost")),
        "{:?}",
        planned.notes()
    );
}

#[test]
fn a_key_in_the_environment_wins_over_the_env_file() {
    let home = Home::with_env(&[("GEMINI_API_KEY", "AIza-from-the-shell")]);
    let planned = plan(&home.ctx, ToolId::GeminiCli, &settings(MODEL)).unwrap();
    assert!(
        planned
            .notes()
            .iter()
            .any(|n| n.starts_with("GEMINI_API_KEY is set in the environment")),
        "{:?}",
        planned.notes()
    );
    assert!(!planned.notes().concat().contains("AIza-from-the-shell"));
}
