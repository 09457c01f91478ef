//! Golden translations: fixtures written from each API's published reference (`fixtures/`),
//! translated to every other format, snapshotted with insta (`snapshots/`). A change in any
//! translation shows up as a snapshot diff to review.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests"
)]

use std::path::PathBuf;

use omniroute_formats::ir::{ErrorInfo, ErrorKind};
use omniroute_formats::{
    ClientContext, Format, RequestHint, SseParser, StreamDecoder, StreamEncoder,
};
use serde_json::Value;

fn fixture(path: &str) -> Vec<u8> {
    let full = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(path);
    std::fs::read(&full).unwrap_or_else(|e| panic!("{}: {e}", full.display()))
}

fn name(f: Format) -> &'static str {
    f.as_str()
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

/// SSE bytes as `[{"event": name, "data": parsed}]`.
fn events_json(bytes: &[u8]) -> Value {
    let mut parser = SseParser::new();
    let mut events = Vec::new();
    parser.push(bytes, &mut events);
    parser.finish(&mut events);
    Value::Array(
        events
            .into_iter()
            .map(|e| {
                let data = serde_json::from_str(&e.data).unwrap_or(Value::String(e.data));
                serde_json::json!({"event": e.event, "data": data})
            })
            .collect(),
    )
}

#[test]
fn requests_every_pair() {
    for client in Format::ALL {
        for case in ["plain", "full"] {
            let body = fixture(&format!("requests/{}.{case}.json", name(client)));
            let hint = RequestHint {
                model: Some("gemini-2.5-pro"),
                stream: Some(case == "full"),
            };
            let ir = omniroute_formats::decode_request(client, &body, &hint).unwrap();
            for upstream in Format::ALL {
                let mut ir = ir.clone();
                ir.model = "upstream-model".into();
                let out: Value =
                    serde_json::from_slice(&omniroute_formats::encode_request(upstream, &ir))
                        .unwrap();
                insta::assert_json_snapshot!(
                    format!("request__{case}__{}_to_{}", name(client), name(upstream)),
                    out
                );
            }
        }
    }
}

#[test]
fn responses_every_pair() {
    for upstream in Format::ALL {
        let body = fixture(&format!("responses/{}.json", name(upstream)));
        let ir = omniroute_formats::decode_response(upstream, &body).unwrap();
        for client in Format::ALL {
            let out: Value =
                serde_json::from_slice(&omniroute_formats::encode_response(client, &ir, &ctx()))
                    .unwrap();
            insta::assert_json_snapshot!(
                format!("response__{}_to_{}", name(upstream), name(client)),
                out
            );
        }
    }
}

#[test]
fn streams_every_pair() {
    for upstream in Format::ALL {
        let bytes = fixture(&format!("streams/{}.sse", name(upstream)));
        let mut parser = SseParser::new();
        let mut sse = Vec::new();
        parser.push(&bytes, &mut sse);
        parser.finish(&mut sse);
        let mut decoder = StreamDecoder::new(upstream);
        let mut ir = Vec::new();
        for e in &sse {
            decoder.decode(e, &mut ir);
        }
        assert!(
            decoder.is_complete(),
            "{upstream:?} fixture decodes to a complete stream"
        );
        for client in Format::ALL {
            let mut encoder = StreamEncoder::new(client, ctx());
            let mut out = Vec::new();
            for e in &ir {
                encoder.encode(e, &mut out);
            }
            encoder.finish(&mut out);
            insta::assert_json_snapshot!(
                format!("stream__{}_to_{}", name(upstream), name(client)),
                events_json(&out)
            );
        }
    }
}

#[test]
fn errors_every_format() {
    let cases = [
        ErrorInfo::invalid("messages: is required").with_param("messages"),
        ErrorInfo::new(ErrorKind::RateLimited, "quota exhausted; retry in 30 s"),
        ErrorInfo::new(ErrorKind::Overloaded, "upstream overloaded"),
    ];
    for client in Format::ALL {
        let bodies: Vec<Value> = cases
            .iter()
            .map(|e| {
                let body: Value =
                    serde_json::from_slice(&omniroute_formats::encode_error(client, e)).unwrap();
                // Every format reads its own errors back to the same kind and message.
                let back = omniroute_formats::decode_error(
                    client,
                    e.status,
                    &serde_json::to_vec(&body).unwrap(),
                );
                // Gemini's vocabulary has no "overloaded": it says UNAVAILABLE.
                let expected = match (client, e.kind) {
                    (Format::Gemini, ErrorKind::Overloaded) => ErrorKind::Unavailable,
                    (_, kind) => kind,
                };
                assert_eq!(
                    (back.kind, back.message.as_str()),
                    (expected, e.message.as_str()),
                    "{client:?}"
                );
                body
            })
            .collect();
        insta::assert_json_snapshot!(format!("error__{}", name(client)), bodies);
    }
}

#[test]
fn stop_reasons_every_pair() {
    use omniroute_formats::ir::{Part, Response, StopReason, ToolCall, ToolKind};
    let reasons = [
        StopReason::EndTurn,
        StopReason::MaxTokens,
        StopReason::StopSequence,
        StopReason::ToolUse,
        StopReason::ContentFilter,
        StopReason::Refusal,
    ];
    let stop_field = |client: Format, v: &Value| -> Value {
        match client {
            Format::OpenAiChat => v["choices"][0]["finish_reason"].clone(),
            Format::Anthropic => v["stop_reason"].clone(),
            Format::Gemini => v["candidates"][0]["finishReason"].clone(),
            Format::Responses => serde_json::json!([v["status"], v["incomplete_details"]]),
        }
    };
    let mut table = serde_json::Map::new();
    for upstream in Format::ALL {
        for client in Format::ALL {
            let mut row = serde_json::Map::new();
            for reason in reasons {
                let mut parts = vec![Part::Text("x".into())];
                if reason == StopReason::ToolUse {
                    parts.push(Part::ToolCall(ToolCall {
                        id: "c".into(),
                        name: "f".into(),
                        arguments: "{}".into(),
                        kind: ToolKind::Function,
                        signature: None,
                    }));
                }
                let produced = Response {
                    id: "r".into(),
                    model: "m".into(),
                    parts,
                    stop: reason,
                    ..Response::default()
                };
                // The upstream says it in its words; the client hears it in its own.
                let upstream_body = omniroute_formats::encode_response(upstream, &produced, &ctx());
                let ir = omniroute_formats::decode_response(upstream, &upstream_body).unwrap();
                let out: Value = serde_json::from_slice(&omniroute_formats::encode_response(
                    client,
                    &ir,
                    &ctx(),
                ))
                .unwrap();
                row.insert(format!("{reason:?}"), stop_field(client, &out));
            }
            table.insert(
                format!("{}_to_{}", name(upstream), name(client)),
                Value::Object(row),
            );
        }
    }
    insta::assert_json_snapshot!("stop_reasons", table);
}

#[test]
fn mid_stream_errors_every_pair() {
    for upstream in Format::ALL {
        let bytes = fixture(&format!("streams/{}.sse", name(upstream)));
        let mut parser = SseParser::new();
        let mut sse = Vec::new();
        parser.push(&bytes, &mut sse);
        parser.finish(&mut sse);
        let mut decoder = StreamDecoder::new(upstream);
        let mut ir = Vec::new();
        for e in &sse {
            decoder.decode(e, &mut ir);
        }
        // The stream fails after its first few events.
        ir.truncate(4);
        ir.push(omniroute_formats::ir::StreamEvent::Error(ErrorInfo::new(
            ErrorKind::Overloaded,
            "upstream overloaded",
        )));
        for client in Format::ALL {
            let mut encoder = StreamEncoder::new(client, ctx());
            let mut out = Vec::new();
            for e in &ir {
                encoder.encode(e, &mut out);
            }
            encoder.finish(&mut out);
            insta::assert_json_snapshot!(
                format!("stream_error__{}_to_{}", name(upstream), name(client)),
                events_json(&out)
            );
        }
    }
}
