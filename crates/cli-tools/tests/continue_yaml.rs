//! Continue's config.yaml: one entry appended to `models:`, everything else untouched.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests"
)]

mod common;

use common::{GATEWAY, Home, KEY, MODEL, full_cycle, settings};
use omniroute_cli_tools::{Error, ToolId, plan};

const CONFIG: &str = ".continue/config.yaml";
const INTENDED: [&str; 6] = [
    "name: \"OmniRoute\"",
    "provider: \"openai\"",
    "model: \"up-x/m-1\"",
    "apiBase:",
    "apiKey: \"",
    "models:",
];

#[test]
fn appended_after_the_last_model() {
    let home = Home::new();
    home.put_fixture(CONFIG, "continue/config.yaml");
    let planned = plan(&home.ctx, ToolId::Continue, &settings(MODEL)).unwrap();
    let text =
        String::from_utf8(planned.new_content(&home.path(CONFIG)).unwrap().to_vec()).unwrap();
    assert!(text.contains(&format!(
        "      - edit\n  - name: \"OmniRoute\"\n    provider: \"openai\"\n    model: \"{MODEL}\"\n    apiBase: \"{GATEWAY}/v1\"\n    apiKey: \"{KEY}\"\n\ncontext:\n"
    )), "{text}");
    full_cycle(&home, ToolId::Continue, &[CONFIG], &INTENDED);
}

#[test]
fn a_new_config_has_the_required_header() {
    let home = Home::new();
    full_cycle(
        &home,
        ToolId::Continue,
        &[CONFIG],
        &[
            &INTENDED[..],
            &["name: Local Config", "version:", "schema:"],
        ]
        .concat(),
    );
    assert!(home.text(CONFIG).starts_with(
        "name: Local Config\nversion: 1.0.0\nschema: v1\n\nmodels:\n  - name: \"OmniRoute\"\n"
    ));
}

#[test]
fn an_old_config_json_alone_is_not_shadowed() {
    let home = Home::new();
    home.put(".continue/config.json", b"{\"models\": []}");
    assert!(matches!(
        plan(&home.ctx, ToolId::Continue, &settings(MODEL)),
        Err(Error::Unsupported { .. })
    ));
    assert!(home.read(CONFIG).is_none());
}

#[test]
fn a_flow_style_list_is_refused() {
    let home = Home::new();
    home.put(
        CONFIG,
        b"name: x\nversion: 1\nschema: v1\nmodels: [{name: a, provider: ollama, model: b}]\n",
    );
    let err = plan(&home.ctx, ToolId::Continue, &settings(MODEL)).unwrap_err();
    assert!(err.to_string().contains("inline"), "{err}");
}
