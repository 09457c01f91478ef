use super::*;
use crate::ir::{Message, Role, ToolCall, ToolKind};

fn call(id: &str, signature: Option<&str>) -> Part {
    Part::ToolCall(ToolCall {
        id: id.into(),
        name: "f".into(),
        arguments: "{}".into(),
        kind: ToolKind::Function,
        signature: signature.map(str::to_owned),
    })
}

fn request_with(signature: &str) -> Request {
    Request {
        messages: vec![Message {
            role: Role::Assistant,
            parts: vec![
                Part::Thinking {
                    text: "t".into(),
                    signature: Some(signature.into()),
                },
                Part::RedactedThinking {
                    data: signature.into(),
                },
                call("c", None),
            ],
        }],
        ..Request::default()
    }
}

fn assistant(parts: Vec<Part>) -> Request {
    Request {
        messages: vec![Message {
            role: Role::Assistant,
            parts,
        }],
        ..Request::default()
    }
}

#[test]
fn signatures_only_reach_their_own_family() {
    let mut request = request_with("claude-sig");
    tag_request(Format::Anthropic, &mut request);
    let to_anthropic = for_upstream(Format::Anthropic, &request);
    assert_eq!(to_anthropic.messages[0].parts.len(), 3);
    assert!(
        matches!(&to_anthropic.messages[0].parts[0], Part::Thinking { signature: Some(s), .. } if s == "claude-sig")
    );
    let to_openai = for_upstream(Format::OpenAiChat, &request);
    assert_eq!(
        to_openai.messages[0].parts.len(),
        2,
        "the redacted block is dropped"
    );
    assert!(matches!(
        &to_openai.messages[0].parts[0],
        Part::Thinking {
            signature: None,
            ..
        }
    ));
}

#[test]
fn a_tag_survives_a_trip_through_a_client_of_another_format() {
    // Gemini upstream → Anthropic client → back to a Gemini upstream.
    let mut event = StreamEvent::ThinkingSignature("gem-sig".into());
    tag_event(Format::Gemini, &mut event);
    let shown = event_for_client(Format::Anthropic, &event).into_owned();
    assert_eq!(
        shown,
        StreamEvent::ThinkingSignature("omniroute:gemini:gem-sig".into())
    );
    let mut request = assistant(vec![Part::Thinking {
        text: "t".into(),
        signature: Some("omniroute:gemini:gem-sig".into()),
    }]);
    tag_request(Format::Anthropic, &mut request);
    let to_gemini = for_upstream(Format::Gemini, &request);
    assert!(
        matches!(&to_gemini.messages[0].parts[0], Part::Thinking { signature: Some(s), .. } if s == "gem-sig")
    );
    assert_eq!(
        event_for_client(Format::Gemini, &event).into_owned(),
        StreamEvent::ThinkingSignature("gem-sig".into())
    );
}

#[test]
fn gemini_clients_get_foreign_signatures_as_base64_and_hand_them_back() {
    let mut response = Response {
        parts: vec![
            Part::Thinking {
                text: "t".into(),
                signature: Some("EqQBCkYIBxgCKkD+/=".into()),
            },
            call("toolu_1", None),
        ],
        ..Response::default()
    };
    tag_response(Format::Anthropic, &mut response);
    let shown = response_for_client(Format::Gemini, &response).into_owned();
    let Part::Thinking {
        signature: Some(shown_signature),
        ..
    } = &shown.parts[0]
    else {
        panic!("thinking first: {shown:?}");
    };
    // Valid standard base64, as the Gemini API's `bytes` type requires.
    let decoded = general_purpose::STANDARD
        .decode(shown_signature)
        .expect("base64");
    assert_eq!(decoded, b"omniroute:anthropic:EqQBCkYIBxgCKkD+/=");

    // The google-genai SDK sends bytes back URL-safe; a Gemini client puts the reasoning
    // signature on the next part, here the function call.
    let url_safe = general_purpose::URL_SAFE_NO_PAD.encode(&decoded);
    let mut request = assistant(vec![
        Part::Thinking {
            text: "t".into(),
            signature: None,
        },
        call("toolu_1", Some(&url_safe)),
    ]);
    tag_request(Format::Gemini, &mut request);
    assert_eq!(
        request.messages[0].parts,
        vec![
            Part::Thinking {
                text: "t".into(),
                signature: Some("omniroute:anthropic:EqQBCkYIBxgCKkD+/=".into()),
            },
            call("toolu_1", None),
        ],
        "the signature goes back to the thinking it belongs to"
    );
    let to_anthropic = for_upstream(Format::Anthropic, &request);
    assert!(
        matches!(&to_anthropic.messages[0].parts[0], Part::Thinking { signature: Some(s), .. } if s == "EqQBCkYIBxgCKkD+/=")
    );
}

#[test]
fn native_gemini_signatures_stay_raw_and_on_their_call() {
    let mut request = assistant(vec![call("a", Some("CiQB0e2Kb==")), call("b", None)]);
    tag_request(Format::Gemini, &mut request);
    assert_eq!(
        request.messages[0].parts[0],
        call("a", Some("omniroute:gemini:CiQB0e2Kb=="))
    );
    let to_gemini = for_upstream(Format::Gemini, &request);
    assert_eq!(
        to_gemini.messages[0].parts,
        vec![call("a", Some("CiQB0e2Kb==")), call("b", None)],
        "a parallel call after the signed one stays unsigned"
    );
    let to_anthropic = for_upstream(Format::Anthropic, &request);
    assert_eq!(to_anthropic.messages[0].parts[0], call("a", None));
}

#[test]
fn calls_of_another_family_reach_gemini_marked_as_foreign() {
    // Marked by the turn store (an OpenAI upstream issued the calls) …
    let mut request = assistant(vec![
        call("call_1", Some(&issued_by(Format::OpenAiChat))),
        call("call_2", Some(&issued_by(Format::OpenAiChat))),
    ]);
    tag_request(Format::OpenAiChat, &mut request);
    let to_gemini = for_upstream(Format::Gemini, &request);
    assert_eq!(
        to_gemini.messages[0].parts,
        vec![
            call("call_1", Some(GEMINI_FOREIGN_CALL)),
            call("call_2", Some(GEMINI_FOREIGN_CALL))
        ]
    );
    let to_openai = for_upstream(Format::OpenAiChat, &request);
    assert_eq!(
        to_openai.messages[0].parts,
        vec![call("call_1", None), call("call_2", None)],
        "the marker never reaches any upstream"
    );

    // … or by Claude's signed thinking in front of them.
    let mut request = assistant(vec![
        Part::Thinking {
            text: "t".into(),
            signature: Some("claude-sig".into()),
        },
        call("toolu_1", None),
    ]);
    tag_request(Format::Anthropic, &mut request);
    let to_gemini = for_upstream(Format::Gemini, &request);
    assert_eq!(
        to_gemini.messages[0].parts,
        vec![
            Part::Thinking {
                text: "t".into(),
                signature: None
            },
            call("toolu_1", Some(GEMINI_FOREIGN_CALL))
        ]
    );
}

#[test]
fn unknown_calls_reach_gemini_unsigned() {
    let request = assistant(vec![call("call_1", None)]);
    let to_gemini = for_upstream(Format::Gemini, &request);
    assert_eq!(to_gemini.messages[0].parts, vec![call("call_1", None)]);
}

#[test]
fn a_gemini_value_that_happens_to_be_base64_stays_gemini() {
    // Real Gemini signatures are base64 of binary data, never of our tag.
    let native = general_purpose::STANDARD.encode([0x0a, 0x24, 0x01, 0xd1, 0xed, 0x8a]);
    let mut request = assistant(vec![call("a", Some(&native))]);
    tag_request(Format::Gemini, &mut request);
    assert_eq!(
        request.messages[0].parts[0],
        call("a", Some(&format!("omniroute:gemini:{native}")))
    );
}

#[test]
fn a_history_with_another_familys_state_is_not_relayed_as_sent() {
    let unsigned = assistant(vec![
        Part::Thinking {
            text: "a Gemini thought".into(),
            signature: None,
        },
        call("c", None),
    ]);
    assert!(
        !relayable(Format::Anthropic, &unsigned),
        "Anthropic refuses it"
    );
    assert!(relayable(Format::OpenAiChat, &unsigned));

    let mut own = request_with("claude-sig");
    tag_request(Format::Anthropic, &mut own);
    assert!(relayable(Format::Anthropic, &own));

    let mut foreign = assistant(vec![Part::Thinking {
        text: "t".into(),
        signature: Some("omniroute:gemini:gem-sig".into()),
    }]);
    tag_request(Format::Anthropic, &mut foreign);
    assert!(!relayable(Format::Anthropic, &foreign));
    assert!(relayable(Format::Gemini, &foreign));

    let marked = assistant(vec![call("c", Some(&issued_by(Format::Anthropic)))]);
    assert!(
        !relayable(Format::Gemini, &marked),
        "Gemini must get the mark"
    );
    assert!(relayable(Format::Anthropic, &marked));
}

fn tool_turn(assistant_parts: Vec<Part>, reasoning: bool) -> Request {
    Request {
        messages: vec![
            Message {
                role: Role::User,
                parts: vec![Part::Text("q".into())],
            },
            Message {
                role: Role::Assistant,
                parts: assistant_parts,
            },
            Message {
                role: Role::User,
                parts: vec![Part::ToolResult(crate::ir::ToolResult {
                    call_id: "c".into(),
                    name: None,
                    content: vec![crate::ir::ToolResultContent::Text("ok".into())],
                    is_error: false,
                })],
            },
        ],
        reasoning: reasoning.then(|| crate::ir::Reasoning {
            budget_tokens: Some(2048),
            ..Default::default()
        }),
        max_output_tokens: Some(4096),
        ..Request::default()
    }
}

#[test]
fn what_the_upstream_would_refuse_is_not_relayed_either() {
    // Anthropic with thinking on, a tool turn without its thinking: the IR path turns it off.
    let lost = tool_turn(vec![call("c", None)], true);
    assert!(!relayable(Format::Anthropic, &lost));
    assert!(relayable(
        Format::Anthropic,
        &tool_turn(vec![call("c", None)], false)
    ));
    let mut kept = tool_turn(
        vec![
            Part::Thinking {
                text: "t".into(),
                signature: Some("s".into()),
            },
            call("c", None),
        ],
        true,
    );
    tag_request(Format::Anthropic, &mut kept);
    assert!(relayable(Format::Anthropic, &kept));
    // Responses takes no reasoning item without its encrypted content.
    let unsigned = assistant(vec![Part::Thinking {
        text: "summary".into(),
        signature: None,
    }]);
    assert!(!relayable(Format::Responses, &unsigned));
    assert!(relayable(Format::Gemini, &unsigned));
    // Only Gemini needs what the turn store adds to a body it could otherwise relay.
    let marked = assistant(vec![call("c", Some(&issued_by(Format::OpenAiChat)))]);
    assert!(needs_restored_state(Format::Gemini, &marked));
    assert!(!needs_restored_state(Format::OpenAiChat, &marked));
}

#[test]
fn a_claude_signature_without_its_text_is_not_sent_and_thinking_goes_off() {
    // A Gemini client dropped the thought text; the turn store no longer has it.
    let mut request = tool_turn(
        vec![
            Part::Thinking {
                text: String::new(),
                signature: Some("omniroute:anthropic:sig".into()),
            },
            call("c", None),
        ],
        true,
    );
    tag_request(Format::Gemini, &mut request);
    let body: serde_json::Value =
        serde_json::from_slice(&crate::encode_request(Format::Anthropic, &request)).unwrap();
    assert!(!body.to_string().contains("\"sig\""), "{body}");
    assert!(body.get("thinking").is_none(), "{body}");
}

#[test]
fn gemini_values_are_kept_in_geminis_own_base64() {
    let mut request = assistant(vec![call("a", Some("ab-_cg"))]);
    tag_request(Format::Gemini, &mut request);
    assert_eq!(
        request.messages[0].parts[0],
        call("a", Some("omniroute:gemini:ab+/cg=="))
    );
}
