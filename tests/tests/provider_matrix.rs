//! Every catalog provider reachable with an API key: connected with its base URL pointed at the
//! mock (keeping the catalog URL's path), a chat request — streamed and not — must reach the
//! mock on that provider's exact path with its auth header and extra headers, and come back
//! translated into the client's format.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::disallowed_methods,
    reason = "tests"
)]

use omniroute_e2e::clients;
use omniroute_e2e::mock::Format;
use omniroute_e2e::{MockUpstream, TestGateway};
use serde_json::{Value, json};

#[tokio::test]
async fn every_api_key_provider_reaches_its_upstream_exactly() {
    let gw = TestGateway::start().await.unwrap();
    let mock = MockUpstream::start().await.unwrap();
    let http = reqwest::Client::new();
    let catalog: Value = http
        .get(format!("{}/api/providers/catalog", gw.url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut checked = Vec::new();
    for p in catalog["providers"].as_array().unwrap() {
        let wire = p["wire"].as_str().unwrap();
        let upstream = match wire {
            "openai" => Format::OpenAiChat,
            "anthropic" => Format::Anthropic,
            "gemini" => Format::Gemini,
            "responses" => Format::Responses,
            _ => continue, // audio APIs and OAuth-only protocols have their own tests
        };
        if p["login"] != "api_key" {
            continue;
        }
        let id = p["id"].as_str().unwrap();
        let base = p["base_url"].as_str().unwrap();
        let path_part = base
            .splitn(4, '/')
            .nth(3)
            .map(|p| format!("/{p}"))
            .unwrap_or_default();
        let key = format!("sk-{id}-secret-0123456789");
        let conn =
            json!({"provider": id, "apiKey": key, "baseUrl": format!("{}{path_part}", mock.url())});
        let r = http
            .post(format!("{}/api/providers", gw.url))
            .json(&conn)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201, "{id}");
        let model = p["models"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["kind"] == "chat")
            .unwrap()["id"]
            .as_str()
            .unwrap();
        let routed = format!("{id}/{model}");

        for stream in [false, true] {
            mock.reset();
            let (path, body) =
                clients::request(Format::OpenAiChat, &routed, "hello", stream, false);
            let r = http
                .post(format!("{}{path}", gw.url))
                .json(&body)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200, "{routed} stream={stream}");
            let text = r.text().await.unwrap();
            let seen = if stream {
                clients::read_stream(Format::OpenAiChat, &text)
            } else {
                clients::read_body(Format::OpenAiChat, &serde_json::from_str(&text).unwrap())
            };
            assert_eq!(
                seen.text, "Hello from the mock upstream.",
                "{routed}: {text}"
            );

            let got = mock.received().pop().unwrap();
            let expected_path = match upstream {
                Format::OpenAiChat => format!("{path_part}/chat/completions"),
                Format::Responses => format!("{path_part}/responses"),
                Format::Anthropic => format!("{}/v1/messages", path_part.trim_end_matches("/v1")),
                Format::Gemini => {
                    let action = if stream {
                        "streamGenerateContent"
                    } else {
                        "generateContent"
                    };
                    format!("{path_part}/v1beta/models/{model}:{action}")
                }
            };
            assert_eq!(got.path, expected_path, "{routed}");
            match p["auth"].as_str().unwrap() {
                "bearer" => assert_eq!(
                    got.header("authorization"),
                    Some(format!("Bearer {key}").as_str()),
                    "{routed}"
                ),
                "x-api-key" => assert_eq!(got.header("x-api-key"), Some(key.as_str()), "{routed}"),
                "x-goog-api-key" => {
                    assert_eq!(got.header("x-goog-api-key"), Some(key.as_str()), "{routed}")
                }
                other => panic!("{routed}: unexpected auth {other}"),
            }
            for (name, value) in p["headers"].as_object().into_iter().flatten() {
                assert_eq!(got.header(name), value.as_str(), "{routed}: header {name}");
            }
            if upstream != Format::Gemini {
                assert_eq!(
                    got.body["model"], model,
                    "{routed}: upstream model id without prefix"
                );
            }
        }
        checked.push(id.to_owned());
    }
    for id in [
        "openai",
        "anthropic",
        "gemini",
        "ds",
        "groq",
        "xai",
        "mistral",
        "pplx",
        "together",
        "fireworks",
        "cerebras",
        "cohere",
        "nvidia",
        "openrouter",
        "glm",
        "minimax",
        "kimi",
    ] {
        assert!(
            checked.iter().any(|c| c == id),
            "{id} not covered: {checked:?}"
        );
    }
    println!("providers checked: {}", checked.join(" "));
}
