//! Codex's config.toml through the whole cycle: comments, profiles, MCP servers and other
//! providers stay as they are; top-level keys go before the first table.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests"
)]

mod common;

use common::{GATEWAY, Home, KEY, MODEL, full_cycle, settings};
use omniroute_cli_tools::{Error, ToolId, plan};

const CONFIG: &str = ".codex/config.toml";
const INTENDED: [&str; 7] = [
    "model =",
    "model_provider =",
    "[model_providers.omniroute]",
    "name = \"OmniRoute\"",
    "base_url =",
    "wire_api =",
    "experimental_bearer_token =",
];

fn applied_text(home: &Home) -> String {
    let planned = plan(&home.ctx, ToolId::Codex, &settings(MODEL)).unwrap();
    String::from_utf8(planned.new_content(&home.path(CONFIG)).unwrap().to_vec()).unwrap()
}

#[test]
fn a_full_config_keeps_everything_else() {
    let home = Home::new();
    home.put_fixture(CONFIG, "codex/config.toml");
    let text = applied_text(&home);
    // The model keeps its comment; model_provider joins the top-level keys, before any table.
    assert!(
        text.contains("model = \"up-x/m-1\"   # default model\n"),
        "{text}"
    );
    assert!(
        text.contains(
            "sandbox_mode = \"workspace-write\"\nmodel_provider = \"omniroute\"\n\n[features]"
        ),
        "{text}"
    );
    // The new provider sits with the others.
    assert!(text.contains(&format!(
        "wire_api = \"responses\"\n\n[model_providers.omniroute]\nname = \"OmniRoute\"\nbase_url = \"{GATEWAY}/v1\"\nwire_api = \"responses\"\nexperimental_bearer_token = \"{KEY}\"\n\n[mcp_servers.context7]"
    )), "{text}");
    let parsed: toml_edit::DocumentMut = text.parse().unwrap();
    assert_eq!(
        parsed["profiles"]["deep-review"]["model"].as_str(),
        Some("gpt-5-pro")
    );
    full_cycle(&home, ToolId::Codex, &[CONFIG], &INTENDED);
}

#[test]
fn our_own_table_loses_env_key_and_keeps_crlf_and_comments() {
    let home = Home::new();
    home.put_fixture(CONFIG, "codex/ours-crlf.toml");
    let text = applied_text(&home);
    assert_eq!(
        text,
        format!(
            "# managed by hand\r\nmodel = \"{MODEL}\"\r\nmodel_provider = \"omniroute\"\r\n\r\n[model_providers.omniroute]\r\nname = \"OmniRoute\"\r\nbase_url = \"{GATEWAY}/v1\"\r\nwire_api = \"responses\"\r\nrequest_max_retries = 2 # flaky wifi\r\nexperimental_bearer_token = \"{KEY}\"\r\n"
        )
    );
    full_cycle(
        &home,
        ToolId::Codex,
        &[CONFIG],
        &[&INTENDED[..], &["env_key ="]].concat(),
    );
}

#[test]
fn no_final_newline_empty_and_missing() {
    let home = Home::new();
    home.put_fixture(CONFIG, "codex/no-final-newline.toml");
    let text = applied_text(&home);
    assert!(text.starts_with("approval_policy = \"never\"\nmodel = \"up-x/m-1\"\nmodel_provider = \"omniroute\"\n[tui]"), "{text}");
    assert!(!text.ends_with('\n'));
    full_cycle(&home, ToolId::Codex, &[CONFIG], &INTENDED);

    let home = Home::new();
    home.put(CONFIG, b"");
    full_cycle(&home, ToolId::Codex, &[CONFIG], &INTENDED);

    let home = Home::with_env(&[("CODEX_HOME", "")]);
    full_cycle(&home, ToolId::Codex, &[CONFIG], &INTENDED);
}

#[test]
fn codex_home_moves_the_file() {
    let base = Home::new();
    let dir = base.path("work/codex-home");
    let home = Home {
        ctx: omniroute_cli_tools::Context {
            env: [("CODEX_HOME".to_owned(), dir.display().to_string())].into(),
            ..base.ctx.clone()
        },
        ..base
    };
    full_cycle(
        &home,
        ToolId::Codex,
        &["work/codex-home/config.toml"],
        &INTENDED,
    );
}

#[test]
fn invalid_or_unreproducible_toml_is_refused() {
    let home = Home::new();
    home.put(CONFIG, b"model = \"a\"\n[profiles\nx = 1\n");
    assert!(matches!(
        plan(&home.ctx, ToolId::Codex, &settings(MODEL)),
        Err(Error::Malformed { line: 2, .. })
    ));
    home.put(CONFIG, b"model = \"a\"\r\nx = 1\n");
    assert!(matches!(
        plan(&home.ctx, ToolId::Codex, &settings(MODEL)),
        Err(Error::Unsupported { .. })
    ));
    assert_eq!(home.text(CONFIG), "model = \"a\"\r\nx = 1\n");
}
