//! The client-facing API at its edges: bad input in every format, oversized bodies, clients
//! that disconnect mid-stream, and long upstream silences.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::disallowed_methods,
    reason = "tests"
)]

use std::time::Duration;

use futures_util::StreamExt;
use omniroute_e2e::clients::{self, FORMATS};
use omniroute_e2e::mock::{Fault, Format, Reply, Script};
use omniroute_e2e::{MockUpstream, TestGateway};
use serde_json::{Value, json};

async fn rig(vars: &[(&str, &str)]) -> (TestGateway, MockUpstream, reqwest::Client) {
    let gw = TestGateway::start_with(vars).await.unwrap();
    let mock = MockUpstream::start().await.unwrap();
    let http = reqwest::Client::new();
    for f in FORMATS {
        let name = clients::name(f);
        gw.add_node(&format!("up-{name}"), name, &mock.base_url(f))
            .await;
        gw.add_connection(&format!("up-{name}"), name, "upstream-key-0123456789")
            .await;
    }
    (gw, mock, http)
}

fn path(format: Format, model: &str) -> String {
    clients::request(format, model, "x", false, false).0
}

#[tokio::test]
async fn bad_input_is_a_clear_error_in_the_clients_format_and_never_reaches_upstream() {
    let (gw, mock, http) = rig(&[]).await;
    let model = "up-openai/m-1";
    for format in FORMATS {
        let url = format!("{}{}", gw.url, path(format, model));
        let missing_key = match format {
            Format::OpenAiChat | Format::Anthropic => "messages",
            Format::Gemini => "contents",
            Format::Responses => "input",
        };
        let mut missing = clients::request(format, model, "x", false, false).1;
        missing.as_object_mut().unwrap().remove(missing_key);
        let mut wrong_type = clients::request(format, model, "x", false, false).1;
        wrong_type[missing_key] = json!(42);
        let (_, unknown_model) = clients::request(format, "nowhere/m-1", "x", false, false);
        let cases: Vec<(String, &[u8], u16, &str)> = vec![
            (
                "malformed JSON".into(),
                b"{\"model\": ",
                400,
                "malformed JSON",
            ),
            ("missing field".into(), &[], 400, missing_key),
            ("wrong type".into(), &[], 400, missing_key),
        ];
        for (name, raw, status, needle) in cases {
            let body = match name.as_str() {
                "missing field" => missing.to_string().into_bytes(),
                "wrong type" => wrong_type.to_string().into_bytes(),
                _ => raw.to_vec(),
            };
            let r = http
                .post(&url)
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), status, "{format:?} {name}");
            let v: Value = r.json().await.unwrap();
            let message = clients::error_message(format, &v)
                .unwrap_or_else(|| panic!("{format:?} {name}: not a {format:?} error: {v}"));
            assert!(message.contains(needle), "{format:?} {name}: {message}");
        }
        let unknown_url = format!("{}{}", gw.url, path(format, "nowhere/m-1"));
        let r = http
            .post(&unknown_url)
            .json(&unknown_model)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 404, "{format:?} unknown model");
        let v: Value = r.json().await.unwrap();
        assert!(
            clients::error_message(format, &v)
                .unwrap()
                .contains("nowhere/m-1"),
            "{v}"
        );
    }
    assert!(
        mock.received().is_empty(),
        "bad requests reached the upstream: {:?}",
        mock.received()
    );
}

#[tokio::test]
async fn oversized_bodies_are_refused_with_413() {
    let (gw, mock, http) = rig(&[]).await;
    let huge = "x".repeat(33 * 1024 * 1024);
    for format in FORMATS {
        let (path, mut body) = clients::request(format, "up-openai/m-1", "x", false, false);
        body["padding"] = json!(huge);
        let r = http
            .post(format!("{}{path}", gw.url))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 413, "{format:?}");
        let v: Value = r.json().await.unwrap();
        assert!(
            clients::error_message(format, &v)
                .unwrap()
                .contains("larger than 32 MB"),
            "{v}"
        );
    }
    assert!(mock.received().is_empty());
}

#[tokio::test]
async fn a_client_that_disconnects_aborts_the_upstream_request() {
    let (gw, mock, http) = rig(&[]).await;
    for (upstream, client) in [
        (Format::Anthropic, Format::OpenAiChat),
        (Format::OpenAiChat, Format::OpenAiChat),
    ] {
        mock.reset();
        let slow = Reply {
            text: "word ".repeat(60),
            chunk_chars: 5,
            ..Reply::default()
        };
        mock.push(Script {
            reply: slow,
            fault: Fault {
                event_delay_ms: 100,
                ..Fault::default()
            },
            ..Script::default()
        });
        let model = format!("up-{}/m-1", clients::name(upstream));
        let (path, body) = clients::request(client, &model, "x", true, false);
        let response = http
            .post(format!("{}{path}", gw.url))
            .json(&body)
            .send()
            .await
            .unwrap();
        let mut stream = response.bytes_stream();
        assert!(stream.next().await.unwrap().is_ok());
        drop(stream);
        let mut aborted = 0;
        for _ in 0..50 {
            aborted = mock.aborted_streams();
            if aborted > 0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(
            aborted, 1,
            "{upstream:?} upstream stream still running after the client left"
        );
    }
}

#[tokio::test]
async fn long_silences_get_keep_alive_comments() {
    let (gw, mock, http) = rig(&[("STREAM_KEEPALIVE", "1")]).await;
    // Every upstream event 1.3 s apart; the four clients run at once to keep the test short.
    let reply = Reply {
        text: "slow answer".into(),
        chunk_chars: 64,
        ..Reply::default()
    };
    mock.set_default(Script {
        reply,
        fault: Fault {
            event_delay_ms: 1300,
            ..Fault::default()
        },
        ..Script::default()
    });
    let runs = FORMATS.map(|client| {
        let (path, body) = clients::request(client, "up-openai/m-1", "x", true, false);
        let request = http.post(format!("{}{path}", gw.url)).json(&body);
        async move { (client, request.send().await.unwrap().text().await.unwrap()) }
    });
    for (client, text) in futures_util::future::join_all(runs).await {
        assert!(text.contains(": keep-alive"), "{client:?}: {text}");
        let seen = clients::read_stream(client, &text);
        assert_eq!(
            (seen.text.as_str(), seen.finished),
            ("slow answer", true),
            "{client:?}"
        );
        assert!(seen.grammar.is_empty(), "{:?}", seen.grammar);
    }
}
