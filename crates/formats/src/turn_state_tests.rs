use std::collections::HashMap;

use super::*;
use crate::accumulate::response_to_events;
use crate::ir::{Message, ToolCall, ToolKind};
use crate::provenance::GEMINI_FOREIGN_CALL;

fn call(id: &str, signature: Option<&str>) -> Part {
    Part::ToolCall(ToolCall {
        id: id.into(),
        name: "get_weather".into(),
        arguments: "{\"city\":\"Paris\"}".into(),
        kind: ToolKind::Function,
        signature: signature.map(str::to_owned),
    })
}

fn thinking(text: &str, signature: &str) -> Part {
    Part::Thinking {
        text: text.into(),
        signature: Some(signature.into()),
    }
}

fn answer(parts: Vec<Part>) -> Response {
    Response {
        id: "r".into(),
        model: "m".into(),
        parts,
        ..Response::default()
    }
}

/// The request the answers in these tests answer: the first message of `replay`.
fn asked() -> Request {
    Request {
        messages: vec![question()],
        ..Request::default()
    }
}

fn question() -> Message {
    Message {
        role: Role::User,
        parts: vec![Part::Text("weather?".into())],
    }
}

fn recorded(origin: Format, response: &Response) -> TurnState {
    let mut recorder = TurnRecorder::new(origin, &asked());
    recorder.observe_response(response);
    recorder.finish().expect("worth keeping")
}

/// A store as the gateway keeps one.
fn store(states: &[TurnState]) -> HashMap<TurnKey, Arc<TurnState>> {
    let mut map = HashMap::new();
    for state in states {
        let shared = Arc::new(state.clone());
        for key in state.keys() {
            map.insert(key, shared.clone());
        }
    }
    map
}

fn replay(assistant: Vec<Part>) -> Request {
    Request {
        messages: vec![
            question(),
            Message {
                role: Role::Assistant,
                parts: assistant,
            },
        ],
        ..Request::default()
    }
}

#[test]
fn a_streamed_answer_records_what_the_whole_answer_records() {
    let response = answer(vec![
        thinking("Let me look.", "omniroute:anthropic:sig-1"),
        Part::RedactedThinking {
            data: "omniroute:anthropic:enc".into(),
        },
        Part::Text("Checking the weather.".into()),
        call("toolu_1", None),
        call("toolu_2", None),
    ]);
    let whole = recorded(Format::Anthropic, &response);
    let mut streamed = TurnRecorder::new(Format::Anthropic, &asked());
    for event in response_to_events(&response) {
        streamed.observe(&event);
    }
    assert_eq!(streamed.finish(), Some(whole.clone()));
    assert_eq!(
        whole.keys(),
        vec![
            TurnKey::Call("toolu_1".into()),
            TurnKey::Call("toolu_2".into())
        ]
    );
}

#[test]
fn only_state_worth_giving_back_is_kept() {
    let plain = answer(vec![Part::Text("hi".into())]);
    let mut recorder = TurnRecorder::new(Format::Anthropic, &asked());
    recorder.observe_response(&plain);
    assert_eq!(recorder.finish(), None, "no reasoning, no calls");

    let unsigned = answer(vec![
        Part::Thinking {
            text: "t".into(),
            signature: None,
        },
        Part::Text("hi".into()),
    ]);
    let mut recorder = TurnRecorder::new(Format::OpenAiChat, &asked());
    recorder.observe_response(&unsigned);
    assert_eq!(
        recorder.finish(),
        None,
        "unsigned reasoning cannot be replayed"
    );

    let gemini_unsigned_calls = answer(vec![call("c1", None)]);
    let mut recorder = TurnRecorder::new(Format::Gemini, &asked());
    recorder.observe_response(&gemini_unsigned_calls);
    assert_eq!(recorder.finish(), None, "Gemini's own calls need no mark");

    let openai_calls = answer(vec![call("c1", None)]);
    let state = recorded(Format::OpenAiChat, &openai_calls);
    assert_eq!(state.keys(), vec![TurnKey::Call("c1".into())]);
}

#[test]
fn claude_thinking_comes_back_in_front_of_the_calls_an_openai_client_replays() {
    let state = recorded(
        Format::Anthropic,
        &answer(vec![
            thinking("Let me look.", "omniroute:anthropic:sig-1"),
            Part::RedactedThinking {
                data: "omniroute:anthropic:enc".into(),
            },
            Part::Text("Checking.".into()),
            call("toolu_1", None),
        ]),
    );
    let known = store(&[state]);
    // The OpenAI client kept the reasoning text without a signature (reasoning_content).
    let mut request = replay(vec![
        Part::Thinking {
            text: "Let me look.".into(),
            signature: None,
        },
        Part::Text("Checking.".into()),
        call("toolu_1", None),
    ]);
    assert_eq!(restore(&mut request, |k| known.get(k).cloned()), 1);
    assert_eq!(
        request.messages[1].parts,
        vec![
            thinking("Let me look.", "omniroute:anthropic:sig-1"),
            Part::RedactedThinking {
                data: "omniroute:anthropic:enc".into()
            },
            Part::Text("Checking.".into()),
            call("toolu_1", Some("omniroute:anthropic:")),
        ]
    );
    // Claude gets its blocks byte for byte; Gemini gets none of them, and the call marked.
    let to_anthropic = provenance::for_upstream(Format::Anthropic, &request);
    assert_eq!(
        to_anthropic.messages[1].parts[..2],
        [
            thinking("Let me look.", "sig-1"),
            Part::RedactedThinking { data: "enc".into() }
        ]
    );
    let to_gemini = provenance::for_upstream(Format::Gemini, &request);
    assert_eq!(
        to_gemini.messages[1].parts,
        vec![
            Part::Thinking {
                text: "Let me look.".into(),
                signature: None
            },
            Part::Text("Checking.".into()),
            call("toolu_1", Some(GEMINI_FOREIGN_CALL)),
        ]
    );
}

#[test]
fn gemini_call_signatures_come_back_on_their_calls_only() {
    // Parallel calls: Gemini signs the first one.
    let state = recorded(
        Format::Gemini,
        &answer(vec![
            call("c1", Some("omniroute:gemini:CiQB")),
            call("c2", None),
        ]),
    );
    let known = store(&[state]);
    let mut request = replay(vec![call("c1", None), call("c2", None)]);
    restore(&mut request, |k| known.get(k).cloned());
    assert_eq!(
        request.messages[1].parts,
        vec![call("c1", Some("omniroute:gemini:CiQB")), call("c2", None)]
    );
    let to_gemini = provenance::for_upstream(Format::Gemini, &request);
    assert_eq!(
        to_gemini.messages[1].parts,
        vec![call("c1", Some("CiQB")), call("c2", None)]
    );
}

#[test]
fn a_client_copy_of_the_reasoning_is_replaced_not_doubled() {
    let state = recorded(
        Format::Anthropic,
        &answer(vec![
            thinking("Full reasoning text.", "omniroute:anthropic:s"),
            call("toolu_1", None),
        ]),
    );
    let known = store(&[state]);
    // An Anthropic client that trimmed the thinking text but kept the signature.
    let mut request = replay(vec![
        thinking("", "omniroute:anthropic:s"),
        call("toolu_1", None),
    ]);
    restore(&mut request, |k| known.get(k).cloned());
    assert_eq!(
        request.messages[1].parts,
        vec![
            thinking("Full reasoning text.", "omniroute:anthropic:s"),
            call("toolu_1", Some("omniroute:anthropic:")),
        ]
    );
}

#[test]
fn a_turn_without_calls_is_found_by_its_text() {
    let state = recorded(
        Format::Gemini,
        &answer(vec![
            Part::Text("It is sunny".into()),
            Part::Text(" in Paris.".into()),
            // Gemini's signature on the last text part.
            thinking("", "omniroute:gemini:sig"),
        ]),
    );
    let known = store(&[state]);
    // The client joined the parts its own way.
    let mut request = replay(vec![Part::Text("It is sunny in\nParis.".into())]);
    assert_eq!(restore(&mut request, |k| known.get(k).cloned()), 1);
    assert_eq!(
        request.messages[1].parts[0],
        thinking("", "omniroute:gemini:sig")
    );
    let mut other = replay(vec![Part::Text("It is rainy in Paris.".into())]);
    assert_eq!(restore(&mut other, |k| known.get(k).cloned()), 0);
    // The same words answering another message are another turn.
    let mut elsewhere = replay(vec![Part::Text("It is sunny in Paris.".into())]);
    elsewhere.messages[0].parts = vec![Part::Text("and in Paris?".into())];
    assert_eq!(restore(&mut elsewhere, |k| known.get(k).cloned()), 0);
}

#[test]
fn nothing_known_changes_nothing() {
    let known: HashMap<TurnKey, Arc<TurnState>> = HashMap::new();
    let mut request = replay(vec![Part::Text("a".into()), call("c1", None)]);
    let before = request.clone();
    assert_eq!(restore(&mut request, |k| known.get(k).cloned()), 0);
    assert_eq!(request, before);
}

#[test]
fn a_relayed_answer_records_only_who_issued_its_calls() {
    let response = answer(vec![
        thinking("secret reasoning", "omniroute:anthropic:s"),
        call("toolu_1", None),
    ]);
    let mut recorder = TurnRecorder::calls_only(Format::Anthropic);
    recorder.observe_response(&response);
    let state = recorder.finish().expect("calls of a foreign family");
    assert!(state.weight() < 200, "no reasoning text kept");
    let known = store(&[state]);
    let mut request = replay(vec![call("toolu_1", None)]);
    restore(&mut request, |k| known.get(k).cloned());
    assert_eq!(
        provenance::for_upstream(Format::Gemini, &request).messages[1].parts,
        vec![call("toolu_1", Some(GEMINI_FOREIGN_CALL))]
    );
}
