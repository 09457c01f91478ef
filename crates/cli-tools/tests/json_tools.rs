//! opencode (JSONC) and OpenClaw (JSON5): comments, trailing commas, unquoted keys and the other
//! providers stay; the gateway joins as one more provider.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests"
)]

mod common;

use common::{Home, MODEL, full_cycle, settings};
use omniroute_cli_tools::{ToolId, plan};

const OPENCODE_JSONC: &str = ".config/opencode/opencode.jsonc";
const OPENCODE_JSON: &str = ".config/opencode/opencode.json";
const OPENCODE_INTENDED: [&str; 9] = [
    "\"provider\"",
    "\"omniroute\"",
    "\"npm\"",
    "\"name\": \"OmniRoute\"",
    "\"options\"",
    "\"baseURL\"",
    "\"apiKey\"",
    "\"models\"",
    MODEL,
];
const OPENCLAW: &str = ".openclaw/openclaw.json";
const OPENCLAW_INTENDED: [&str; 7] = [
    "primary",
    "\"omniroute\"",
    "\"baseUrl\"",
    "\"apiKey\"",
    "\"api\"",
    "\"models\"",
    MODEL,
];

fn new_text(home: &Home, tool: ToolId, rel: &str) -> String {
    let planned = plan(&home.ctx, tool, &settings(MODEL)).unwrap();
    String::from_utf8(planned.new_content(&home.path(rel)).unwrap().to_vec()).unwrap()
}

#[test]
fn opencode_jsonc_with_comments_and_trailing_commas() {
    let home = Home::new();
    home.put_fixture(OPENCODE_JSONC, "opencode/opencode.jsonc");
    let text = new_text(&home, ToolId::OpenCode, OPENCODE_JSONC);
    assert!(text.contains("        \"qwen3-coder\": { \"name\": \"Qwen3 Coder\" },\n      },\n    },\n    \"omniroute\": {\n      \"npm\": \"@ai-sdk/openai-compatible\",\n"), "{text}");
    assert!(
        text.ends_with("    \"edit\": \"allow\",\n  },\n  \"model\": \"omniroute/up-x/m-1\",\n}\n"),
        "{text}"
    );
    full_cycle(
        &home,
        ToolId::OpenCode,
        &[OPENCODE_JSONC],
        &[&OPENCODE_INTENDED[..], &["\"model\""]].concat(),
    );
}

#[test]
fn opencode_without_a_file_gets_the_json_one_with_its_schema() {
    let home = Home::new();
    full_cycle(
        &home,
        ToolId::OpenCode,
        &[OPENCODE_JSON],
        &[&OPENCODE_INTENDED[..], &["\"model\"", "$schema"]].concat(),
    );
    assert!(
        home.text(OPENCODE_JSON).starts_with(
            "{\n  \"$schema\": \"https://opencode.ai/config.json\",\n  \"provider\": {"
        )
    );
}

#[test]
fn opencode_follows_xdg_config_home() {
    let base = Home::new();
    let xdg = base.path("xdg");
    let home = Home {
        ctx: omniroute_cli_tools::Context {
            env: [("XDG_CONFIG_HOME".to_owned(), xdg.display().to_string())].into(),
            ..base.ctx.clone()
        },
        ..base
    };
    full_cycle(
        &home,
        ToolId::OpenCode,
        &["xdg/opencode/opencode.json"],
        &[&OPENCODE_INTENDED[..], &["\"model\"", "$schema"]].concat(),
    );
}

#[test]
fn openclaw_json5_with_another_provider() {
    let home = Home::new();
    home.put_fixture(OPENCLAW, "openclaw/openclaw.json");
    let text = new_text(&home, ToolId::OpenClaw, OPENCLAW);
    assert!(text.contains("        primary: \"omniroute/up-x/m-1\",\n        fallbacks: [\"openrouter/moonshotai/kimi-k2\"],\n"), "{text}");
    assert!(text.contains("      },\n      \"omniroute\": {\n        \"baseUrl\": \"http://127.0.0.1:20128/v1\",\n"), "{text}");
    assert!(text.contains("        \"models\": [\n          {\n            \"id\": \"up-x/m-1\",\n            \"name\": \"up-x/m-1\"\n          }\n        ]\n      },\n    },\n  },\n"), "{text}");
    full_cycle(&home, ToolId::OpenClaw, &[OPENCLAW], &OPENCLAW_INTENDED);
}

#[test]
fn openclaw_adds_a_second_model_to_its_provider() {
    let home = Home::new();
    full_cycle(
        &home,
        ToolId::OpenClaw,
        &[OPENCLAW],
        &[
            &OPENCLAW_INTENDED[..],
            &[
                "\"agents\"",
                "\"defaults\"",
                "\"model\"",
                "\"providers\"",
                "\"id\"",
                "\"name\"",
            ],
        ]
        .concat(),
    );
    let other = omniroute_cli_tools::Settings::new(
        common::GATEWAY,
        omniroute_cli_tools::ApiKey::new(common::KEY),
        "other/m-2",
    );
    let planned = plan(&home.ctx, ToolId::OpenClaw, &other).unwrap();
    let diff = &planned.preview().files[0].diff;
    let (removed, added) = common::changed_lines(diff);
    // The primary model changes; the first model stays listed and the second joins it.
    assert_eq!(
        removed,
        ["        \"primary\": \"omniroute/up-x/m-1\""],
        "{diff}"
    );
    assert_eq!(added.len(), 5, "{diff}");
}

#[test]
fn openclaw_config_path_wins() {
    let base = Home::new();
    let file = base.path("custom/oc.json5");
    let home = Home {
        ctx: omniroute_cli_tools::Context {
            env: [(
                "OPENCLAW_CONFIG_PATH".to_owned(),
                file.display().to_string(),
            )]
            .into(),
            ..base.ctx.clone()
        },
        ..base
    };
    full_cycle(
        &home,
        ToolId::OpenClaw,
        &["custom/oc.json5"],
        &[
            &OPENCLAW_INTENDED[..],
            &[
                "\"agents\"",
                "\"defaults\"",
                "\"model\"",
                "\"providers\"",
                "\"id\"",
                "\"name\"",
            ],
        ]
        .concat(),
    );
}
