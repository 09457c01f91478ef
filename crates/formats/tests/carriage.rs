//! Golden carriage of reasoning state: for every client format × every upstream family that
//! hands out opaque reasoning state (Gemini, Anthropic, Responses), whole and streamed, the
//! answer the client sees (`answer__…`) and the request the upstream gets when the
//! client replays that turn with its tool results (`replay__…`), with the gateway's
//! turn store in between (`turn_state`). The replay must give the upstream its state byte for
//! byte: Gemini its call signature, Anthropic its signed and redacted thinking first in the
//! turn, Responses its reasoning item before the calls.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests"
)]

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use omniroute_formats::accumulate::response_to_events;
use omniroute_formats::ir::{Message, Part, Request, Response, Role};
use omniroute_formats::turn_state::{TurnKey, TurnRecorder, TurnState, restore};
use omniroute_formats::{ClientContext, Format, RequestHint, SseParser, StreamDecoder};
use omniroute_formats::{StreamEncoder, provenance};
use serde_json::{Value, json};

const UPSTREAMS: [Format; 3] = [Format::Gemini, Format::Anthropic, Format::Responses];
const THOUGHT: &str = "The user wants the weather in two cities.";
const GEMINI_SIG: &str = "CiQBcsjafQ8oW2Pz+/Rj0w1bYXNlNjQ/c2lnbmF0dXJl";
const CLAUDE_SIG: &str = "EqQBCkYIBxgCKkD0c2ln+/==";
const CLAUDE_REDACTED: &str = "EmwKAhgBEgy3redacted+/";
const OPENAI_ENCRYPTED: &str = "gAAAAABpZW5jcnlwdGVkX2NvbnRlbnQ=";
const QUESTION: &str = "What is the weather in Paris and Oslo?";

/// The request the fixtures answer.
fn asked() -> Request {
    Request {
        messages: vec![Message {
            role: Role::User,
            parts: vec![Part::Text(QUESTION.into())],
        }],
        ..Request::default()
    }
}

fn upstream_answer(upstream: Format) -> Response {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/carriage")
        .join(format!("{}.json", upstream.as_str()));
    omniroute_formats::decode_response(upstream, &std::fs::read(path).unwrap()).unwrap()
}

fn ctx() -> ClientContext {
    ClientContext {
        model: "client-model".into(),
        created: 1_761_000_000,
        include_usage: true,
        gemini_sse: true,
        custom_tools: Vec::new(),
        namespaced: Vec::new(),
    }
}

/// The answer as the client sees it, whole: encoded directly, or streamed and then read back
/// the way the client's SDK assembles a stream (the format's own stream grammar, folded).
fn client_view(client: Format, answer: &Response, streamed: bool) -> Value {
    if !streamed {
        return serde_json::from_slice(&omniroute_formats::encode_response(client, answer, &ctx()))
            .unwrap();
    }
    let mut encoder = StreamEncoder::new(client, ctx());
    let mut bytes = Vec::new();
    for event in response_to_events(answer) {
        encoder.encode(&event, &mut bytes);
    }
    encoder.finish(&mut bytes);
    // Read back as the client's format: its own stream decoder, then its own whole answer.
    let mut parser = SseParser::new();
    let mut sse = Vec::new();
    parser.push(&bytes, &mut sse);
    parser.finish(&mut sse);
    let mut decoder = StreamDecoder::new(client);
    let mut events = Vec::new();
    for e in &sse {
        decoder.decode(e, &mut events);
    }
    let mut fold = omniroute_formats::accumulate::Accumulator::new();
    for e in &events {
        fold.push(e);
    }
    let seen = fold.finish().unwrap();
    serde_json::from_slice(&omniroute_formats::encode_response(client, &seen, &ctx())).unwrap()
}

fn call_ids(client: Format, view: &Value) -> Vec<String> {
    let ids: Vec<&Value> = match client {
        Format::OpenAiChat => view["choices"][0]["message"]["tool_calls"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| &c["id"])
            .collect(),
        Format::Anthropic => view["content"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|b| b["type"] == "tool_use")
            .map(|b| &b["id"])
            .collect(),
        Format::Gemini => view["candidates"][0]["content"]["parts"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|p| p.get("functionCall"))
            .map(|c| &c["id"])
            .collect(),
        Format::Responses => view["output"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|o| o["type"] == "function_call")
            .map(|o| &o["call_id"])
            .collect(),
    };
    // Gemini's own calls may come without ids (its results are then paired by name).
    ids.into_iter()
        .map(|v| v.as_str().unwrap_or_default().to_owned())
        .collect()
}

/// The next request as the client's users build it: the question, the answer as the SDK
/// returned it (OpenAI Chat: only what Chat Completions has), the tool results.
fn replay_body(client: Format, view: &Value) -> Value {
    let ids = call_ids(client, view);
    let question = QUESTION;
    match client {
        Format::OpenAiChat => {
            let message = &view["choices"][0]["message"];
            let mut messages = vec![
                json!({"role": "user", "content": question}),
                json!({"role": "assistant", "content": message["content"],
                       "tool_calls": message["tool_calls"]}),
            ];
            messages.extend(
                ids.iter()
                    .map(|id| json!({"role": "tool", "tool_call_id": id, "content": "sunny"})),
            );
            json!({"model": "m", "messages": messages, "reasoning_effort": "high"})
        }
        Format::Anthropic => json!({
            "model": "m", "max_tokens": 4096,
            "thinking": {"type": "enabled", "budget_tokens": 2048},
            "messages": [
                {"role": "user", "content": question},
                {"role": "assistant", "content": view["content"]},
                {"role": "user", "content": ids.iter().map(|id| json!(
                    {"type": "tool_result", "tool_use_id": id, "content": "sunny"})).collect::<Vec<_>>()}
            ]
        }),
        Format::Gemini => json!({
            "generationConfig": {"thinkingConfig": {"includeThoughts": true, "thinkingBudget": 2048}},
            "contents": [
                {"role": "user", "parts": [{"text": question}]},
                view["candidates"][0]["content"],
                {"role": "user", "parts": ids.iter().map(|id| {
                    let mut response = json!({"name": "get_weather", "response": {"output": "sunny"}});
                    if !id.is_empty() {
                        response["id"] = json!(id);
                    }
                    json!({"functionResponse": response})
                }).collect::<Vec<_>>()}
            ]
        }),
        Format::Responses => {
            let mut input = vec![json!({"role": "user", "content": question})];
            input.extend(view["output"].as_array().unwrap().iter().cloned());
            input.extend(ids.iter().map(
                |id| json!({"type": "function_call_output", "call_id": id, "output": "sunny"}),
            ));
            json!({"model": "m", "input": input, "store": false,
                   "reasoning": {"effort": "high", "summary": "auto"},
                   "include": ["reasoning.encrypted_content"]})
        }
    }
}

/// The body the upstream gets for the client's replay, the turn store in between.
fn upstream_body(
    client: Format,
    upstream: Format,
    replay: &Value,
    store: &HashMap<TurnKey, Arc<TurnState>>,
) -> Value {
    let bytes = serde_json::to_vec(replay).unwrap();
    let hint = RequestHint {
        model: Some("m"),
        stream: Some(false),
    };
    let mut request = omniroute_formats::decode_request(client, &bytes, &hint).unwrap();
    restore(&mut request, |k| store.get(k).cloned());
    if client == upstream && provenance::relayable(client, &request) {
        return replay.clone();
    }
    serde_json::from_slice(&omniroute_formats::encode_request(upstream, &request)).unwrap()
}

/// The upstream's own state, byte for byte, where it must be.
fn assert_state_came_back(upstream: Format, body: &Value, pair: &str) {
    let text = body.to_string();
    match upstream {
        Format::Gemini => {
            let model_turn = body["contents"]
                .as_array()
                .unwrap()
                .iter()
                .find(|c| c["role"] == "model")
                .unwrap();
            let calls: Vec<&Value> = model_turn["parts"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|p| p.get("functionCall").is_some())
                .collect();
            assert_eq!(calls.len(), 2, "{pair}: {model_turn}");
            assert_eq!(
                calls[0]["thoughtSignature"], GEMINI_SIG,
                "{pair}: {model_turn}"
            );
            assert!(
                calls[1].get("thoughtSignature").is_none(),
                "{pair}: the parallel call stays unsigned"
            );
            assert!(!text.contains("omniroute:"), "{pair}: no tag upstream");
        }
        Format::Anthropic => {
            let assistant = body["messages"]
                .as_array()
                .unwrap()
                .iter()
                .find(|m| m["role"] == "assistant")
                .unwrap();
            let blocks = assistant["content"].as_array().unwrap();
            assert_eq!(
                blocks[0],
                json!({"type": "thinking", "thinking": THOUGHT, "signature": CLAUDE_SIG}),
                "{pair}"
            );
            assert_eq!(
                blocks[1],
                json!({"type": "redacted_thinking", "data": CLAUDE_REDACTED}),
                "{pair}"
            );
            assert_eq!(body["thinking"]["type"], "enabled", "{pair}");
        }
        Format::Responses => {
            let input = body["input"].as_array().unwrap();
            let kinds: Vec<&str> = input.iter().filter_map(|i| i["type"].as_str()).collect();
            let reasoning = input.iter().find(|i| i["type"] == "reasoning").unwrap();
            assert_eq!(reasoning["encrypted_content"], OPENAI_ENCRYPTED, "{pair}");
            let r = kinds.iter().position(|k| *k == "reasoning").unwrap();
            let c = kinds.iter().position(|k| *k == "function_call").unwrap();
            assert!(r < c, "{pair}: {kinds:?}");
        }
        Format::OpenAiChat => unreachable!(),
    }
}

#[test]
fn reasoning_state_round_trips_every_pair() {
    for upstream in UPSTREAMS {
        let answer = upstream_answer(upstream);
        for client in Format::ALL {
            // A relayed answer is the upstream's own bytes, streamed or not.
            let ways: &[bool] = if client == upstream {
                &[false]
            } else {
                &[false, true]
            };
            for &streamed in ways {
                let pair = format!(
                    "{}_to_{}{}",
                    upstream.as_str(),
                    client.as_str(),
                    if streamed { "__stream" } else { "" }
                );
                // What the gateway keeps of the answer (relayed answers: only who issued the calls).
                let mut recorder = if client == upstream {
                    TurnRecorder::calls_only(upstream)
                } else {
                    TurnRecorder::new(upstream, &asked())
                };
                recorder.observe_response(&answer);
                let mut store = HashMap::new();
                if let Some(state) = recorder.finish() {
                    let state = Arc::new(state);
                    for key in state.keys() {
                        store.insert(key, state.clone());
                    }
                }
                let view = if client == upstream {
                    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!(
                        "tests/fixtures/carriage/{}.json",
                        upstream.as_str()
                    ));
                    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
                } else {
                    client_view(client, &answer, streamed)
                };
                assert!(
                    !view.to_string().contains("omniroute:") || client != Format::Gemini,
                    "{pair}: Gemini clients see base64 only"
                );
                let replay = replay_body(client, &view);
                let body = upstream_body(client, upstream, &replay, &store);
                assert_state_came_back(upstream, &body, &pair);
                insta::assert_json_snapshot!(format!("answer__{pair}"), view);
                insta::assert_json_snapshot!(format!("replay__{pair}"), body);
            }
        }
    }
}
