//! Shaping rules on the IR, and what each wire format sends upstream after them.

use serde_json::{Value, json};

use super::*;
use crate::ir::{Format, Message, Role, ToolCall, ToolKind};
use crate::{RequestHint, decode_request, encode_request};

fn user(text: &str) -> Message {
    Message {
        role: Role::User,
        parts: vec![Part::Text(text.into())],
    }
}

fn request() -> Request {
    Request {
        model: "m".into(),
        system: vec!["client system".into()],
        messages: vec![user("hi")],
        ..Request::default()
    }
}

fn reasoning(effort: Option<Effort>, budget_tokens: Option<u32>) -> Option<Reasoning> {
    Some(Reasoning {
        effort,
        budget_tokens,
        include_thoughts: true,
    })
}

fn prompts<'a>(prefix: &'a str, suffix: &'a str) -> Shaping<'a> {
    Shaping {
        system_prefix: prefix,
        system_suffix: suffix,
        thinking: ThinkingPolicy::Passthrough,
    }
}

fn thinking(policy: ThinkingPolicy) -> Shaping<'static> {
    Shaping {
        thinking: policy,
        ..Shaping::default()
    }
}

fn encoded(format: Format, request: &Request) -> Value {
    serde_json::from_slice(&encode_request(format, request)).unwrap()
}

#[test]
fn prefix_comes_first_and_suffix_last() {
    let mut r = request();
    assert!(apply(&mut r, &prompts("PREFIX", "SUFFIX")));
    assert_eq!(r.system, ["PREFIX", "client system", "SUFFIX"]);

    let mut r = Request {
        system: Vec::new(),
        ..request()
    };
    assert!(apply(&mut r, &prompts("", "only suffix")));
    assert_eq!(r.system, ["only suffix"]);
}

#[test]
fn blank_prompts_and_passthrough_change_nothing() {
    let shaping = prompts("", "  \n");
    assert!(shaping.is_noop());
    let mut r = Request {
        reasoning: reasoning(Some(Effort::High), None),
        ..request()
    };
    let before = r.clone();
    assert!(!apply(&mut r, &shaping));
    assert_eq!(r, before);
    assert!(!prompts("p", "").is_noop());
    assert!(!thinking(ThinkingPolicy::Strip).is_noop());
}

#[test]
fn injected_prompts_reach_every_format() {
    let mut r = request();
    apply(&mut r, &prompts("PREFIX", "SUFFIX"));
    assert_eq!(
        encoded(Format::OpenAiChat, &r)["messages"][0],
        json!({"role": "system", "content": "PREFIX\n\nclient system\n\nSUFFIX"})
    );
    assert_eq!(
        encoded(Format::Anthropic, &r)["system"],
        json!([{"type": "text", "text": "PREFIX"}, {"type": "text", "text": "client system"}, {"type": "text", "text": "SUFFIX"}])
    );
    let gemini = encoded(Format::Gemini, &r);
    let texts: Vec<&str> = gemini["systemInstruction"]["parts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["text"].as_str().unwrap())
        .collect();
    assert_eq!(texts.join("|"), "PREFIX|client system|SUFFIX");
    assert_eq!(
        encoded(Format::Responses, &r)["instructions"],
        "PREFIX\n\nclient system\n\nSUFFIX"
    );
}

#[test]
fn strip_removes_reasoning_and_thinking_history_but_keeps_tool_call_signatures() {
    let mut r = Request {
        reasoning: reasoning(Some(Effort::High), Some(20_000)),
        messages: vec![
            user("weather?"),
            Message {
                role: Role::Assistant,
                parts: vec![
                    Part::Thinking {
                        text: "let me see".into(),
                        signature: Some("SIG".into()),
                    },
                    Part::RedactedThinking {
                        data: "opaque".into(),
                    },
                    Part::ToolCall(ToolCall {
                        id: "c1".into(),
                        name: "weather".into(),
                        arguments: "{}".into(),
                        kind: ToolKind::Function,
                        signature: Some("GEMINI-SIG".into()),
                    }),
                ],
            },
            // A reasoning-only turn (a Responses `reasoning` item) disappears entirely.
            Message {
                role: Role::Assistant,
                parts: vec![Part::Thinking {
                    text: String::new(),
                    signature: Some("ENC".into()),
                }],
            },
            user("thanks"),
        ],
        ..request()
    };
    assert!(apply(&mut r, &thinking(ThinkingPolicy::Strip)));
    assert_eq!(r.reasoning, None);
    assert_eq!(r.messages.len(), 3);
    assert!(matches!(
        &r.messages[1].parts[..],
        [Part::ToolCall(ToolCall { signature: Some(s), .. })] if s == "GEMINI-SIG"
    ));
    // Nothing left to strip: unchanged, so a same-format body could still pass through.
    assert!(!apply(&mut r, &thinking(ThinkingPolicy::Strip)));

    let anthropic = encoded(Format::Anthropic, &r);
    assert!(anthropic.get("thinking").is_none(), "{anthropic}");
    assert!(!anthropic.to_string().contains("\"thinking\""));
    assert!(
        encoded(Format::OpenAiChat, &r)
            .get("reasoning_effort")
            .is_none()
    );
    assert!(
        encoded(Format::Gemini, &r)["generationConfig"]
            .get("thinkingConfig")
            .is_none()
    );
    assert!(encoded(Format::Responses, &r).get("reasoning").is_none());
}

#[test]
fn fixed_sets_the_budget_only_where_reasoning_was_asked_for() {
    let mut plain = request();
    assert!(!apply(&mut plain, &thinking(ThinkingPolicy::Fixed(4096))));
    assert_eq!(plain.reasoning, None);

    let mut off = Request {
        reasoning: reasoning(Some(Effort::None), None),
        ..request()
    };
    assert!(!apply(&mut off, &thinking(ThinkingPolicy::Fixed(4096))));

    let mut r = Request {
        reasoning: reasoning(Some(Effort::High), None),
        max_output_tokens: Some(32_000),
        ..request()
    };
    assert!(apply(&mut r, &thinking(ThinkingPolicy::Fixed(4096))));
    assert_eq!(r.reasoning, reasoning(None, Some(4096)));
    assert_eq!(r.max_output_tokens, Some(32_000));
    // Already at the fixed budget: nothing to change.
    assert!(!apply(&mut r, &thinking(ThinkingPolicy::Fixed(4096))));
}

#[test]
fn fixed_zero_strips() {
    let mut r = Request {
        reasoning: reasoning(Some(Effort::Low), None),
        ..request()
    };
    assert!(apply(&mut r, &thinking(ThinkingPolicy::Fixed(0))));
    assert_eq!(r.reasoning, None);
}

#[test]
fn a_budget_above_the_output_limit_raises_the_limit_instead_of_shrinking() {
    let mut r = Request {
        reasoning: reasoning(Some(Effort::Low), None),
        max_output_tokens: Some(512),
        ..request()
    };
    assert!(apply(&mut r, &thinking(ThinkingPolicy::Fixed(16_000))));
    assert_eq!(r.max_output_tokens, Some(16_512));
    let anthropic = encoded(Format::Anthropic, &r);
    assert_eq!(
        anthropic["thinking"],
        json!({"type": "enabled", "budget_tokens": 16_000})
    );
    assert_eq!(anthropic["max_tokens"], 16_512);

    // Equal is not enough for Anthropic (budget_tokens < max_tokens).
    let mut r = Request {
        reasoning: reasoning(Some(Effort::Low), None),
        max_output_tokens: Some(2048),
        ..request()
    };
    apply(&mut r, &thinking(ThinkingPolicy::Fixed(2048)));
    assert_eq!(r.max_output_tokens, Some(4096));
}

#[test]
fn fixed_budget_in_every_format() {
    let mut r = Request {
        reasoning: reasoning(Some(Effort::Low), None),
        max_output_tokens: Some(30_000),
        ..request()
    };
    apply(&mut r, &thinking(ThinkingPolicy::Fixed(20_000)));
    assert_eq!(
        encoded(Format::Anthropic, &r)["thinking"]["budget_tokens"],
        20_000
    );
    assert_eq!(
        encoded(Format::Gemini, &r)["generationConfig"]["thinkingConfig"]["thinkingBudget"],
        20_000
    );
    // Effort formats get the effort the budget corresponds to, not the client's `low`.
    assert_eq!(encoded(Format::OpenAiChat, &r)["reasoning_effort"], "high");
    assert_eq!(
        encoded(Format::Responses, &r)["reasoning"]["effort"],
        "high"
    );
}

#[test]
fn by_effort_maps_each_effort_to_its_budget() {
    let table = EffortBudgets::default();
    for (effort, budget) in [
        (Effort::Minimal, 1024),
        (Effort::Low, 1024),
        (Effort::Medium, 8192),
        (Effort::High, 24_576),
    ] {
        let mut r = Request {
            reasoning: reasoning(Some(effort), None),
            max_output_tokens: Some(64_000),
            ..request()
        };
        assert!(apply(&mut r, &thinking(ThinkingPolicy::ByEffort(table))));
        assert_eq!(
            r.reasoning,
            reasoning(Some(effort), Some(budget)),
            "{effort:?}"
        );
        assert_eq!(
            encoded(Format::Anthropic, &r)["thinking"]["budget_tokens"],
            budget
        );
        assert_eq!(
            encoded(Format::Gemini, &r)["generationConfig"]["thinkingConfig"]["thinkingBudget"],
            budget
        );
        // The client's own effort goes on to the formats that speak effort.
        let name = serde_json::to_value(effort).unwrap();
        assert_eq!(encoded(Format::OpenAiChat, &r)["reasoning_effort"], name);
        assert_eq!(encoded(Format::Responses, &r)["reasoning"]["effort"], name);
    }
}

#[test]
fn by_effort_reads_a_budget_only_request_as_its_effort_and_honours_custom_tables() {
    let table = EffortBudgets {
        low: 2000,
        medium: 6000,
        high: 0,
    };
    // An Anthropic client's 5000-token budget is "medium".
    let mut r = Request {
        reasoning: reasoning(None, Some(5000)),
        max_output_tokens: Some(10_000),
        ..request()
    };
    assert!(apply(&mut r, &thinking(ThinkingPolicy::ByEffort(table))));
    assert_eq!(r.reasoning, reasoning(Some(Effort::Medium), Some(6000)));
    // A zero budget for an effort turns reasoning off for it.
    let mut r = Request {
        reasoning: reasoning(Some(Effort::High), None),
        ..request()
    };
    assert!(apply(&mut r, &thinking(ThinkingPolicy::ByEffort(table))));
    assert_eq!(r.reasoning, None);
    // No reasoning asked for: none forced on.
    let mut r = request();
    assert!(!apply(&mut r, &thinking(ThinkingPolicy::ByEffort(table))));
}

#[test]
fn client_requests_of_each_format_come_out_with_the_shaped_budget() {
    let bodies = [
        (
            Format::OpenAiChat,
            json!({"model": "m", "reasoning_effort": "high", "messages": [{"role": "user", "content": "x"}]}),
        ),
        (
            Format::Anthropic,
            json!({"model": "m", "max_tokens": 1000, "thinking": {"type": "enabled", "budget_tokens": 30000}, "messages": [{"role": "user", "content": "x"}]}),
        ),
        (
            Format::Gemini,
            json!({"contents": [{"role": "user", "parts": [{"text": "x"}]}], "generationConfig": {"thinkingConfig": {"thinkingBudget": 24000}}}),
        ),
        (
            Format::Responses,
            json!({"model": "m", "reasoning": {"effort": "high"}, "input": "x"}),
        ),
    ];
    for (format, body) in bodies {
        let hint = RequestHint {
            model: Some("m"),
            ..RequestHint::default()
        };
        let mut r = decode_request(format, body.to_string().as_bytes(), &hint).unwrap();
        assert!(
            apply(&mut r, &thinking(ThinkingPolicy::Fixed(3000))),
            "{format:?}"
        );
        let out = encoded(Format::Anthropic, &r);
        assert_eq!(out["thinking"]["budget_tokens"], 3000, "{format:?}: {out}");
        assert!(
            out["max_tokens"].as_u64().unwrap() > 3000,
            "{format:?}: {out}"
        );
    }
}

#[test]
fn effort_budgets_deserialize_with_defaults_and_reject_unknown_fields() {
    let partial: EffortBudgets = serde_json::from_value(json!({"high": 30000})).unwrap();
    assert_eq!(
        partial,
        EffortBudgets {
            high: 30_000,
            ..EffortBudgets::default()
        }
    );
    assert!(serde_json::from_value::<EffortBudgets>(json!({"max": 1})).is_err());
}
