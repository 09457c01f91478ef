//! The AI settings on real requests: system prompt prefix/suffix (global and per combo) and the
//! thinking modes, as the mock upstream receives them — translated across formats and through
//! the same-format passthrough, which stays byte for byte when nothing applies.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::disallowed_methods,
    reason = "tests"
)]

use omniroute_e2e::clients::{self, FORMATS};
use omniroute_e2e::mock::Format;
use omniroute_e2e::{MockUpstream, TestGateway};
use serde_json::{Value, json};

struct Rig {
    gw: TestGateway,
    mock: MockUpstream,
    http: reqwest::Client,
}

impl Rig {
    /// One provider node per format (`up-openai`, `up-anthropic`, …) on one mock, and a combo
    /// `team` of `up-anthropic/m-team`.
    async fn new() -> Self {
        let gw = TestGateway::start().await.unwrap();
        let mock = MockUpstream::start().await.unwrap();
        let http = reqwest::Client::new();
        for f in FORMATS {
            let name = clients::name(f);
            gw.add_node(&format!("up-{name}"), name, &mock.base_url(f))
                .await;
            gw.add_connection(&format!("up-{name}"), name, "upstream-key-0123456789")
                .await;
        }
        let combo =
            json!({"name": "team", "strategy": "priority", "models": ["up-anthropic/m-team"]});
        let r = http
            .post(format!("{}/api/combos", gw.url))
            .json(&combo)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
        Self { gw, mock, http }
    }

    async fn patch_ai(&self, ai: Value) -> (u16, Value) {
        let r = self
            .http
            .patch(format!("{}/api/settings", self.gw.url))
            .json(&json!({"ai": ai}))
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.json().await.unwrap())
    }

    /// Sends `body` as a client of `format` would and returns the body the upstream received.
    async fn upstream_body(&self, format: Format, model: &str, body: Value) -> Value {
        let path = match format {
            Format::Gemini => format!("/v1beta/models/{model}:generateContent"),
            _ => clients::request(format, model, "x", false, false).0,
        };
        self.mock.reset();
        let r = self
            .http
            .post(format!("{}{path}", self.gw.url))
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = r.status();
        let answer: Value = r.json().await.unwrap();
        assert_eq!(status, 200, "{format:?} {model}: {answer}");
        assert_eq!(
            clients::read_body(format, &answer).text,
            "Hello from the mock upstream.",
            "{answer}"
        );
        let received = self.mock.received();
        assert_eq!(received.len(), 1, "{received:?}");
        received[0].body.clone()
    }

    /// The request `clients::request` builds, sent and received.
    async fn simple(&self, format: Format, model: &str) -> Value {
        let (_, body) = clients::request(format, model, "hello", false, false);
        self.upstream_body(format, model, body).await
    }
}

/// The system texts an upstream of `format` received, in order.
fn system_texts(format: Format, body: &Value) -> Vec<String> {
    let texts = |v: &Value| -> Vec<String> {
        match v {
            Value::String(s) => vec![s.clone()],
            Value::Array(blocks) => blocks
                .iter()
                .map(|b| b["text"].as_str().unwrap_or_default().to_owned())
                .collect(),
            _ => Vec::new(),
        }
    };
    match format {
        Format::OpenAiChat => body["messages"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| m["role"] == "system")
            .flat_map(|m| texts(&m["content"]))
            .collect(),
        Format::Anthropic => texts(&body["system"]),
        Format::Gemini => texts(&body["systemInstruction"]["parts"]),
        Format::Responses => texts(&body["instructions"]),
    }
}

#[tokio::test]
async fn system_prompt_prefix_and_suffix_reach_every_upstream_format() {
    let rig = Rig::new().await;
    let (status, settings) = rig
        .patch_ai(
            json!({"systemPromptPrefix": "PREFIX RULES", "systemPromptSuffix": "SUFFIX RULES"}),
        )
        .await;
    assert_eq!(status, 200, "{settings}");
    assert_eq!(settings["ai"]["systemPromptPrefix"], "PREFIX RULES");

    // Every client format to every upstream format, the four same-format pairs included.
    for client in FORMATS {
        for upstream in FORMATS {
            let model = format!("up-{}/m-1", clients::name(upstream));
            let body = rig.simple(client, &model).await;
            let joined = system_texts(upstream, &body).join("\n\n");
            assert_eq!(
                joined, "PREFIX RULES\n\nYou are terse.\n\nSUFFIX RULES",
                "{client:?} -> {upstream:?}: {body}"
            );
        }
    }
    // An OpenAI client to an Anthropic upstream: separate system blocks, prefix first.
    let body = rig.simple(Format::OpenAiChat, "up-anthropic/m-1").await;
    assert_eq!(
        system_texts(Format::Anthropic, &body),
        ["PREFIX RULES", "You are terse.", "SUFFIX RULES"]
    );
    rig.gw.shutdown().await;
}

#[tokio::test]
async fn a_combo_uses_its_own_prompt_and_a_direct_model_the_global_one() {
    let rig = Rig::new().await;
    let (status, _) = rig
        .patch_ai(json!({
            "systemPromptPrefix": "GLOBAL",
            "comboSystemPrompts": {"team": {"prefix": "TEAM ONLY", "suffix": "TEAM END"}}
        }))
        .await;
    assert_eq!(status, 200);
    let via_combo = rig.simple(Format::OpenAiChat, "team").await;
    assert_eq!(via_combo["model"], "m-team");
    assert_eq!(
        system_texts(Format::Anthropic, &via_combo),
        ["TEAM ONLY", "You are terse.", "TEAM END"]
    );
    let direct = rig.simple(Format::OpenAiChat, "up-anthropic/m-team").await;
    assert_eq!(
        system_texts(Format::Anthropic, &direct),
        ["GLOBAL", "You are terse."]
    );
    // A combo listed with empty prompts is opted out of injection.
    let (status, _) = rig
        .patch_ai(json!({"comboSystemPrompts": {"team": {"prefix": "", "suffix": ""}}}))
        .await;
    assert_eq!(status, 200);
    let opted_out = rig.simple(Format::OpenAiChat, "team").await;
    assert_eq!(
        system_texts(Format::Anthropic, &opted_out),
        ["You are terse."]
    );
    rig.gw.shutdown().await;
}

#[tokio::test]
async fn same_format_passthrough_stays_byte_for_byte_unless_shaping_changed_the_request() {
    let rig = Rig::new().await;
    // A field OmniRoute does not model survives the passthrough.
    let body = json!({"model": "up-openai/m-1", "messages": [{"role": "user", "content": "x"}], "x_vendor_flag": 7});
    let received = rig
        .upstream_body(Format::OpenAiChat, "up-openai/m-1", body.clone())
        .await;
    assert_eq!(received["x_vendor_flag"], 7);
    assert_eq!(received["model"], "m-1");

    // A thinking rule that does not apply to this request (no reasoning asked for) changes
    // nothing, so the body still passes through untouched.
    let (status, _) = rig
        .patch_ai(json!({"thinkingMode": "fixed", "thinkingBudget": 4096}))
        .await;
    assert_eq!(status, 200);
    let received = rig
        .upstream_body(Format::OpenAiChat, "up-openai/m-1", body.clone())
        .await;
    assert_eq!(received["x_vendor_flag"], 7);
    assert!(received.get("reasoning_effort").is_none(), "{received}");

    // A prompt changes it: the shaped request is what goes upstream.
    let (status, _) = rig.patch_ai(json!({"systemPromptPrefix": "P"})).await;
    assert_eq!(status, 200);
    let received = rig
        .upstream_body(Format::OpenAiChat, "up-openai/m-1", body)
        .await;
    assert_eq!(received["model"], "m-1");
    assert_eq!(
        received["messages"][0],
        json!({"role": "system", "content": "P"})
    );
    assert_eq!(received["messages"][1]["content"], "x");

    // A shaped stream always asks the upstream for usage (accounting needs it), and the client
    // sees the usage chunk only when it asked for one.
    for include_usage in [false, true] {
        let mut stream = json!({"model": "up-openai/m-1", "stream": true,
            "messages": [{"role": "user", "content": "x"}]});
        if include_usage {
            stream["stream_options"] = json!({"include_usage": true});
        }
        rig.mock.reset();
        let r = rig
            .http
            .post(format!("{}/v1/chat/completions", rig.gw.url))
            .json(&stream)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let text = r.text().await.unwrap();
        let seen = clients::read_stream(Format::OpenAiChat, &text);
        assert_eq!(seen.text, "Hello from the mock upstream.");
        assert_eq!(text.contains("\"usage\":{"), include_usage, "{text}");
        let received = rig.mock.received()[0].body.clone();
        assert_eq!(received["messages"][0]["content"], "P");
        assert_eq!(
            received["stream_options"]["include_usage"], true,
            "{received}"
        );
    }
    rig.gw.shutdown().await;
}

fn openai_reasoning(model: &str, effort: &str, max_tokens: u64) -> Value {
    json!({"model": model, "reasoning_effort": effort, "max_completion_tokens": max_tokens,
        "messages": [{"role": "user", "content": "think"}]})
}

#[tokio::test]
async fn thinking_modes_shape_the_budget_every_upstream_format_receives() {
    let rig = Rig::new().await;

    // Passthrough (the default): the client's effort, Anthropic's budget derived from it.
    let body = rig
        .upstream_body(
            Format::OpenAiChat,
            "up-anthropic/m-1",
            openai_reasoning("up-anthropic/m-1", "low", 8000),
        )
        .await;
    assert_eq!(body["thinking"]["budget_tokens"], 1024, "{body}");

    // Fixed: the budget is the operator's, the output limit grows to keep room for the answer.
    let (status, _) = rig
        .patch_ai(json!({"thinkingMode": "fixed", "thinkingBudget": 3000}))
        .await;
    assert_eq!(status, 200);
    let body = rig
        .upstream_body(
            Format::OpenAiChat,
            "up-anthropic/m-1",
            openai_reasoning("up-anthropic/m-1", "high", 2000),
        )
        .await;
    assert_eq!(
        body["thinking"],
        json!({"type": "enabled", "budget_tokens": 3000})
    );
    assert_eq!(body["max_tokens"], 5000);
    let body = rig
        .upstream_body(
            Format::OpenAiChat,
            "up-gemini/gemini-pro",
            openai_reasoning("up-gemini/gemini-pro", "high", 20_000),
        )
        .await;
    assert_eq!(
        body["generationConfig"]["thinkingConfig"]["thinkingBudget"],
        3000
    );
    // Same format, rewritten: the OpenAI upstream gets the effort the budget stands for.
    let body = rig
        .upstream_body(
            Format::OpenAiChat,
            "up-openai/o-1",
            openai_reasoning("up-openai/o-1", "high", 20_000),
        )
        .await;
    assert_eq!(body["reasoning_effort"], "medium", "{body}");
    // An Anthropic client's own budget is replaced on the passthrough.
    let anthropic_client = json!({"model": "up-anthropic/m-1", "max_tokens": 16000,
        "thinking": {"type": "enabled", "budget_tokens": 12000},
        "messages": [{"role": "user", "content": "think"}]});
    let body = rig
        .upstream_body(
            Format::Anthropic,
            "up-anthropic/m-1",
            anthropic_client.clone(),
        )
        .await;
    assert_eq!(body["thinking"]["budget_tokens"], 3000);
    assert_eq!(body["max_tokens"], 16000);

    // By effort: the client's effort picks the configured budget.
    let (status, _) = rig
        .patch_ai(json!({"thinkingMode": "effort", "effortBudgets": {"high": 20000}}))
        .await;
    assert_eq!(status, 200);
    for (effort, budget) in [("low", 1024), ("medium", 8192), ("high", 20_000)] {
        let body = rig
            .upstream_body(
                Format::OpenAiChat,
                "up-anthropic/m-1",
                openai_reasoning("up-anthropic/m-1", effort, 64_000),
            )
            .await;
        assert_eq!(body["thinking"]["budget_tokens"], budget, "{effort}");
    }
    let body = rig
        .upstream_body(
            Format::OpenAiChat,
            "up-responses/o-1",
            openai_reasoning("up-responses/o-1", "high", 64_000),
        )
        .await;
    assert_eq!(body["reasoning"]["effort"], "high", "{body}");

    // Strip: no reasoning controls and no thinking history, even on the passthrough.
    let (status, _) = rig.patch_ai(json!({"thinkingMode": "strip"})).await;
    assert_eq!(status, 200);
    let body = rig
        .upstream_body(
            Format::OpenAiChat,
            "up-anthropic/m-1",
            openai_reasoning("up-anthropic/m-1", "high", 8000),
        )
        .await;
    assert!(body.get("thinking").is_none(), "{body}");
    let with_history = json!({"model": "up-anthropic/m-1", "max_tokens": 16000,
        "thinking": {"type": "enabled", "budget_tokens": 12000},
        "messages": [
            {"role": "user", "content": "first"},
            {"role": "assistant", "content": [
                {"type": "thinking", "thinking": "hmm", "signature": "SIG"},
                {"type": "text", "text": "answer"}]},
            {"role": "user", "content": "second"}]});
    let body = rig
        .upstream_body(Format::Anthropic, "up-anthropic/m-1", with_history)
        .await;
    assert!(body.get("thinking").is_none(), "{body}");
    assert_eq!(
        body["messages"][1]["content"],
        json!([{"type": "text", "text": "answer"}])
    );
    assert_eq!(body["max_tokens"], 16000);
    rig.gw.shutdown().await;
}

#[tokio::test]
async fn fixed_mode_without_a_budget_is_refused() {
    let rig = Rig::new().await;
    let (status, body) = rig.patch_ai(json!({"thinkingMode": "fixed"})).await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("thinkingBudget"),
        "{body}"
    );
    let (status, body) = rig.patch_ai(json!({"effortBudgets": {"extreme": 1}})).await;
    assert_eq!(status, 400, "{body}");
    rig.gw.shutdown().await;
}
