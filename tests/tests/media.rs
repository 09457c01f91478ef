//! The media endpoints end to end, over real HTTP: embeddings (OpenAI passthrough, Gemini
//! `batchEmbedContents` translation), image generation (OpenAI-compatible passthrough,
//! Fireworks' FLUX workflow), the provider-pinned routes, and the errors clients get in
//! OpenAI's format. Transcription has its own file, `media_transcription.rs`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::disallowed_methods,
    reason = "tests"
)]

use omniroute_e2e::mock::media::PNG_B64;
use omniroute_e2e::mock::{Fault, Received, Script};
use omniroute_e2e::{MockUpstream, TestGateway};
use serde_json::{Value, json};

const FLUX: &str = "fireworks/accounts/fireworks/models/flux-1-schnell-fp8";

fn key(provider: &str) -> String {
    format!("sk-{provider}-secret-0123456789")
}

/// A gateway with every media provider connected to the mock (keeping each catalog URL's path).
async fn setup() -> (TestGateway, MockUpstream, reqwest::Client) {
    let gw = TestGateway::start().await.unwrap();
    let mock = MockUpstream::start().await.unwrap();
    let http = reqwest::Client::new();
    for (provider, path) in [
        ("openai", "/v1"),
        ("gemini", ""),
        ("together", "/v1"),
        ("fireworks", "/inference/v1"),
        ("groq", "/openai/v1"),
        ("deepgram", ""),
        ("assemblyai", ""),
    ] {
        let r = http
            .post(format!("{}/api/providers", gw.url))
            .json(&json!({"provider": provider, "apiKey": key(provider), "baseUrl": format!("{}{path}", mock.url())}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201, "{provider}");
    }
    (gw, mock, http)
}

async fn post(http: &reqwest::Client, url: String, body: Value) -> (u16, Value) {
    let r = http.post(url).json(&body).send().await.unwrap();
    let status = r.status().as_u16();
    let text = r.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

/// An OpenAI-format error with `status` whose message contains `needle`.
fn assert_error(got: &(u16, Value), status: u16, needle: &str) {
    assert_eq!(got.0, status, "{}", got.1);
    let message = got.1["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains(needle), "{needle:?} not in {}", got.1);
    assert!(got.1["error"]["type"].is_string(), "{}", got.1);
}

fn only(mock: &MockUpstream) -> Received {
    let got = mock.received();
    assert_eq!(got.len(), 1, "{got:#?}");
    got.into_iter().next().unwrap()
}

fn decode_base64(text: &str) -> Vec<u8> {
    let value = |c: u8| match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        _ => 63,
    };
    let clean: Vec<u8> = text.bytes().filter(|c| *c != b'=').collect();
    let mut out = Vec::new();
    for chunk in clean.chunks(4) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, c)| n | (u32::from(value(*c)) << (18 - 6 * i)));
        for i in 0..chunk.len() - 1 {
            out.push((n >> (16 - 8 * i)) as u8);
        }
    }
    out
}

#[tokio::test]
async fn openai_embeddings_pass_through_with_the_model_rewritten() {
    let (gw, mock, http) = setup().await;
    let body = json!({"model": "openai/text-embedding-3-small", "input": ["a", "b"],
        "dimensions": 4, "encoding_format": "float", "user": "u-1"});
    let (status, out) = post(&http, format!("{}/v1/embeddings", gw.url), body).await;
    assert_eq!(status, 200, "{out}");
    assert_eq!(out["object"], "list");
    assert_eq!(out["data"][1]["embedding"], json!([2.0, 0.5, -0.25, 0.125]));
    let got = only(&mock);
    assert_eq!(got.path, "/v1/embeddings");
    assert_eq!(
        got.header("authorization"),
        Some(format!("Bearer {}", key("openai")).as_str())
    );
    assert_eq!(
        got.body,
        json!({"model": "text-embedding-3-small", "input": ["a", "b"], "dimensions": 4,
            "encoding_format": "float", "user": "u-1"})
    );
    gw.shutdown().await;
}

#[tokio::test]
async fn gemini_embeddings_are_translated_both_ways() {
    let (gw, mock, http) = setup().await;
    let url = format!("{}/v1/embeddings", gw.url);
    let body = json!({"model": "gemini/gemini-embedding-001", "input": ["first", "second text"], "dimensions": 3});
    let (status, out) = post(&http, url.clone(), body).await;
    assert_eq!(status, 200, "{out}");
    assert_eq!(
        out,
        json!({"object": "list", "model": "gemini/gemini-embedding-001",
            "data": [
                {"object": "embedding", "index": 0, "embedding": [1.0, 0.5, -0.25]},
                {"object": "embedding", "index": 1, "embedding": [2.0, 0.5, -0.25]}
            ],
            "usage": {"prompt_tokens": 5, "total_tokens": 5}})
    );
    let got = only(&mock);
    assert_eq!(
        got.path,
        "/v1beta/models/gemini-embedding-001:batchEmbedContents"
    );
    assert_eq!(got.header("x-goog-api-key"), Some(key("gemini").as_str()));
    assert_eq!(
        got.body,
        json!({"requests": [
            {"model": "models/gemini-embedding-001", "content": {"parts": [{"text": "first"}]}, "outputDimensionality": 3},
            {"model": "models/gemini-embedding-001", "content": {"parts": [{"text": "second text"}]}, "outputDimensionality": 3}
        ]})
    );

    // base64: little-endian f32.
    let body = json!({"model": "gemini/gemini-embedding-001", "input": "one", "encoding_format": "base64"});
    let (status, out) = post(&http, url.clone(), body).await;
    assert_eq!(status, 200, "{out}");
    let bytes = decode_base64(out["data"][0]["embedding"].as_str().unwrap());
    let floats: Vec<f32> = bytes
        .chunks(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    assert_eq!(floats, vec![1.0, 0.5, -0.25]);

    // Token arrays cannot be embedded by Gemini.
    let got = post(
        &http,
        url,
        json!({"model": "gemini/gemini-embedding-001", "input": [1, 2, 3]}),
    )
    .await;
    assert_error(&got, 400, "token arrays");
    assert_eq!(got.1["error"]["param"], "input");
    gw.shutdown().await;
}

#[tokio::test]
async fn embedding_errors_are_openai_errors() {
    let (gw, mock, http) = setup().await;
    let url = format!("{}/v1/embeddings", gw.url);
    let got = post(&http, url.clone(), json!({"input": "x"})).await;
    assert_error(&got, 400, "model");
    assert_eq!(got.1["error"]["param"], "model");
    let got = post(
        &http,
        url.clone(),
        json!({"model": "openai/text-embedding-3-small"}),
    )
    .await;
    assert_error(&got, 400, "input");
    let got = post(&http, url.clone(), json!({"model": "nope/x", "input": "x"})).await;
    assert_error(&got, 404, "not found");
    let got = post(
        &http,
        url.clone(),
        json!({"model": "openai/gpt-4o", "input": "x"}),
    )
    .await;
    assert_error(&got, 400, "is a chat model, not an embedding model");
    let got = post(
        &http,
        url.clone(),
        json!({"model": "deepgram/nova-3", "input": "x"}),
    )
    .await;
    assert_error(&got, 400, "");
    let got = post(
        &http,
        url.clone(),
        json!({"model": "anthropic/claude-x", "input": "x"}),
    )
    .await;
    assert_error(&got, 404, "no enabled connection");

    // The upstream's own error keeps its status.
    mock.push(Script {
        model: Some("text-embedding-3-large".into()),
        fault: Fault {
            status: Some(429),
            error_message: Some("slow down".into()),
            ..Fault::default()
        },
        ..Script::default()
    });
    let got = post(
        &http,
        url,
        json!({"model": "openai/text-embedding-3-large", "input": "x"}),
    )
    .await;
    assert_error(&got, 429, "slow down");
    gw.shutdown().await;
}

#[tokio::test]
async fn openai_compatible_images_pass_through() {
    let (gw, mock, http) = setup().await;
    let url = format!("{}/v1/images/generations", gw.url);
    let body = json!({"model": "together/black-forest-labs/FLUX.1-schnell", "prompt": "a red fox",
        "n": 2, "size": "1024x1024", "response_format": "url", "steps": 4});
    let (status, out) = post(&http, url.clone(), body).await;
    assert_eq!(status, 200, "{out}");
    assert_eq!(out["data"][1]["url"], "https://mock.example/images/1.png");
    let got = only(&mock);
    assert_eq!(got.path, "/v1/images/generations");
    assert_eq!(got.body["model"], "black-forest-labs/FLUX.1-schnell");
    assert_eq!(got.body["steps"], 4, "unknown fields survive");
    assert_eq!(
        got.header("authorization"),
        Some(format!("Bearer {}", key("together")).as_str())
    );

    mock.reset();
    let body = json!({"model": "openai/gpt-image-1", "prompt": "a red fox"});
    let (status, out) = post(&http, url.clone(), body).await;
    assert_eq!(status, 200, "{out}");
    assert_eq!(out["data"][0]["b64_json"], PNG_B64);

    let got = post(&http, url.clone(), json!({"model": "openai/gpt-image-1"})).await;
    assert_error(&got, 400, "prompt");
    let got = post(
        &http,
        url.clone(),
        json!({"model": "openai/gpt-image-1", "prompt": "x", "n": 50}),
    )
    .await;
    assert_error(&got, 400, "between 1 and 10");
    let got = post(
        &http,
        url,
        json!({"model": "gemini/gemini-2.5-pro", "prompt": "x"}),
    )
    .await;
    assert_error(&got, 400, "is a chat model, not an image model");
    gw.shutdown().await;
}

#[tokio::test]
async fn fireworks_flux_uses_the_text_to_image_workflow() {
    let (gw, mock, http) = setup().await;
    let url = format!("{}/v1/images/generations", gw.url);
    let body = json!({"model": FLUX, "prompt": "a lighthouse at dusk", "n": 2, "size": "1792x1024",
        "response_format": "b64_json"});
    let (status, out) = post(&http, url.clone(), body).await;
    assert_eq!(status, 200, "{out}");
    assert!(out["created"].as_u64().unwrap() > 1_600_000_000);
    assert_eq!(
        out["data"],
        json!([{"b64_json": PNG_B64}, {"b64_json": PNG_B64}])
    );
    let got = mock.received();
    assert_eq!(got.len(), 2, "one workflow call per image");
    for r in &got {
        assert_eq!(
            r.path,
            "/inference/v1/workflows/accounts/fireworks/models/flux-1-schnell-fp8/text_to_image"
        );
        assert_eq!(r.header("accept"), Some("application/json"));
        assert_eq!(
            r.header("authorization"),
            Some(format!("Bearer {}", key("fireworks")).as_str())
        );
        assert_eq!(
            r.body,
            json!({"prompt": "a lighthouse at dusk", "aspect_ratio": "16:9"})
        );
    }

    // `url` gets a data: URL (Fireworks hosts no images).
    let body = json!({"model": FLUX, "prompt": "a lighthouse", "response_format": "url"});
    let (status, out) = post(&http, url.clone(), body).await;
    assert_eq!(status, 200, "{out}");
    assert_eq!(
        out["data"][0]["url"],
        format!("data:image/png;base64,{PNG_B64}")
    );

    let got = post(
        &http,
        url,
        json!({"model": FLUX, "prompt": "something forbidden"}),
    )
    .await;
    assert_error(&got, 400, "CONTENT_FILTERED");
    gw.shutdown().await;
}

#[tokio::test]
async fn provider_routes_pin_the_provider_and_check_the_kind() {
    let (gw, mock, http) = setup().await;
    let emb = |p: &str| format!("{}/v1/providers/{p}/embeddings", gw.url);
    let img = |p: &str| format!("{}/v1/providers/{p}/images/generations", gw.url);

    let (status, out) = post(
        &http,
        emb("openai"),
        json!({"model": "text-embedding-3-small", "input": "x"}),
    )
    .await;
    assert_eq!(status, 200, "{out}");
    assert_eq!(only(&mock).body["model"], "text-embedding-3-small");
    mock.reset();
    let (status, out) = post(
        &http,
        emb("gemini"),
        json!({"model": "gemini/gemini-embedding-001", "input": "x"}),
    )
    .await;
    assert_eq!(status, 200, "{out}");
    assert_eq!(out["model"], "gemini/gemini-embedding-001");

    let got = post(
        &http,
        emb("openai"),
        json!({"model": "gemini/gemini-embedding-001", "input": "x"}),
    )
    .await;
    assert_error(&got, 400, "belongs to provider 'gemini'");
    let got = post(
        &http,
        emb("openai"),
        json!({"model": "gpt-4o", "input": "x"}),
    )
    .await;
    assert_error(&got, 400, "not an embedding model");
    let got = post(&http, emb("nobody"), json!({"model": "m", "input": "x"})).await;
    assert_eq!(got.0, 404, "{}", got.1);

    mock.reset();
    let body = json!({"model": "accounts/fireworks/models/flux-1-schnell-fp8", "prompt": "a cat"});
    let (status, out) = post(&http, img("fireworks"), body).await;
    assert_eq!(status, 200, "{out}");
    assert!(only(&mock).path.ends_with("/text_to_image"));
    let got = post(
        &http,
        img("together"),
        json!({"model": "openai/gpt-image-1", "prompt": "x"}),
    )
    .await;
    assert_error(&got, 400, "belongs to provider 'openai'");
    let got = post(
        &http,
        img("fireworks"),
        json!({"model": "nomic-ai/nomic-embed-text-v1.5", "prompt": "x"}),
    )
    .await;
    assert_error(&got, 400, "is an embedding model, not an image model");
    gw.shutdown().await;
}
