//! `POST /v1/audio/transcriptions` end to end, over real HTTP with real multipart forms:
//! Deepgram (`/v1/listen`), AssemblyAI (upload → transcript → poll), OpenAI-compatible
//! providers (the form rebuilt), and the 400/413 errors in OpenAI's format.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::disallowed_methods,
    reason = "tests"
)]

use omniroute_e2e::mock::media::{ASSEMBLYAI_TEXT, DEEPGRAM_TEXT, WHISPER_TEXT};
use omniroute_e2e::mock::{Fault, Received, Script};
use omniroute_e2e::{MockUpstream, TestGateway};
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

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

fn audio_form(model: &str, name: &str, mime: &str, bytes: Vec<u8>) -> Form {
    Form::new().text("model", model.to_owned()).part(
        "file",
        Part::bytes(bytes)
            .file_name(name.to_owned())
            .mime_str(mime)
            .unwrap(),
    )
}

async fn transcribe(http: &reqwest::Client, gw: &TestGateway, form: Form) -> (u16, String) {
    let r = http
        .post(format!("{}/v1/audio/transcriptions", gw.url))
        .multipart(form)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

fn parse(got: &(u16, String)) -> (u16, Value) {
    (got.0, serde_json::from_str(&got.1).unwrap_or(Value::Null))
}

#[tokio::test]
async fn deepgram_transcribes_through_listen() {
    let (gw, mock, http) = setup().await;
    let audio = b"RIFF\x24\x00\x00\x00WAVEfmt fake-audio".to_vec();
    let form = audio_form("deepgram/nova-3", "hello.wav", "audio/wav", audio.clone())
        .text("language", "en");
    let got = transcribe(&http, &gw, form).await;
    assert_eq!(got.0, 200, "{}", got.1);
    assert_eq!(
        serde_json::from_str::<Value>(&got.1).unwrap(),
        json!({"text": DEEPGRAM_TEXT})
    );
    let r = only(&mock);
    assert_eq!(r.path, "/v1/listen");
    assert_eq!(
        r.query.as_deref(),
        Some("model=nova-3&smart_format=true&language=en")
    );
    assert_eq!(
        r.header("authorization"),
        Some(format!("Token {}", key("deepgram")).as_str())
    );
    assert_eq!(r.header("content-type"), Some("audio/wav"));
    assert_eq!(
        r.header("content-length"),
        Some(audio.len().to_string().as_str())
    );

    // text and verbose_json; a file without a known content type is judged by its name.
    let form = audio_form(
        "deepgram/nova-2",
        "x.mp3",
        "application/octet-stream",
        b"ID3".to_vec(),
    )
    .text("response_format", "text");
    let got = transcribe(&http, &gw, form).await;
    assert_eq!(got, (200, format!("{DEEPGRAM_TEXT}\n")));
    assert_eq!(
        mock.received().last().unwrap().header("content-type"),
        Some("audio/mpeg")
    );
    let form = audio_form("deepgram/nova-3", "x.flac", "audio/flac", b"fLaC".to_vec())
        .text("response_format", "verbose_json");
    let (status, v) = parse(&transcribe(&http, &gw, form).await);
    assert_eq!(status, 200);
    assert_eq!(v["text"], DEEPGRAM_TEXT);
    assert_eq!(v["duration"], 2.0);
    assert_eq!(v["words"][0]["word"], "Hello");
    gw.shutdown().await;
}

#[tokio::test]
async fn assemblyai_uploads_creates_and_polls() {
    let (gw, mock, http) = setup().await;
    let form = audio_form(
        "assemblyai/universal",
        "memo.m4a",
        "audio/mp4",
        b"m4a-bytes".to_vec(),
    );
    let got = transcribe(&http, &gw, form).await;
    assert_eq!(got.0, 200, "{}", got.1);
    assert_eq!(
        serde_json::from_str::<Value>(&got.1).unwrap(),
        json!({"text": ASSEMBLYAI_TEXT})
    );
    let got = mock.received();
    let steps: Vec<(String, String)> = got
        .iter()
        .map(|r| (r.method.clone(), r.path.clone()))
        .collect();
    assert_eq!(steps[0], ("POST".into(), "/v2/upload".into()));
    assert_eq!(steps[1], ("POST".into(), "/v2/transcript".into()));
    assert!(steps.len() >= 4, "{steps:?}");
    assert!(
        steps[2..]
            .iter()
            .all(|(m, p)| m == "GET" && p.starts_with("/v2/transcript/tr-ok-"))
    );
    for r in &got {
        assert_eq!(r.header("authorization"), Some(key("assemblyai").as_str()));
    }
    assert_eq!(
        got[0].header("content-type"),
        Some("application/octet-stream")
    );
    assert_eq!(got[0].body, json!("m4a-bytes"));
    assert_eq!(got[1].body["speech_model"], "universal");
    assert!(
        got[1].body["audio_url"]
            .as_str()
            .unwrap()
            .contains("/mock-cdn/upload/")
    );

    // A failed transcript is an error in OpenAI's format.
    let form = audio_form(
        "assemblyai/best",
        "bad.ogg",
        "audio/ogg",
        b"mock-error".to_vec(),
    );
    let (status, v) = parse(&transcribe(&http, &gw, form).await);
    assert_eq!(status, 422, "{v}");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Transcoding failed"),
        "{v}"
    );
    gw.shutdown().await;
}

#[tokio::test]
async fn openai_compatible_transcription_rebuilds_the_form() {
    let (gw, mock, http) = setup().await;
    let form = audio_form(
        "groq/whisper-large-v3",
        "a.webm",
        "audio/webm",
        b"webm".to_vec(),
    )
    .text("prompt", "names: Ada");
    let got = transcribe(&http, &gw, form).await;
    assert_eq!(got.0, 200, "{}", got.1);
    assert_eq!(
        serde_json::from_str::<Value>(&got.1).unwrap(),
        json!({"text": WHISPER_TEXT})
    );
    let r = only(&mock);
    assert_eq!(r.path, "/openai/v1/audio/transcriptions");
    assert!(
        r.header("content-type")
            .unwrap()
            .starts_with("multipart/form-data; boundary=")
    );
    let body = r.body.as_str().unwrap();
    assert!(
        body.contains("name=\"model\"\r\n\r\nwhisper-large-v3\r\n"),
        "{body}"
    );
    assert!(
        body.contains("name=\"prompt\"\r\n\r\nnames: Ada\r\n"),
        "{body}"
    );
    assert!(
        body.contains("filename=\"a.webm\"\r\nContent-Type: audio/webm\r\n\r\nwebm\r\n"),
        "{body}"
    );
    gw.shutdown().await;
}

#[tokio::test]
async fn bad_transcription_requests_are_clear_errors() {
    let (gw, mock, http) = setup().await;
    let form = audio_form(
        "deepgram/nova-3",
        "notes.txt",
        "text/plain",
        b"hello".to_vec(),
    );
    let (status, v) = parse(&transcribe(&http, &gw, form).await);
    assert_eq!(status, 400, "{v}");
    let message = v["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("'txt'") && message.contains("mp3, wav, m4a, flac, ogg, webm"),
        "{message}"
    );

    let big = vec![0u8; 25 * 1024 * 1024 + 1];
    let form = audio_form("deepgram/nova-3", "big.wav", "audio/wav", big);
    let (status, v) = parse(&transcribe(&http, &gw, form).await);
    assert_eq!(status, 413, "{v}");
    assert!(
        v["error"]["message"].as_str().unwrap().contains("25 MB"),
        "{v}"
    );

    let form = Form::new().text("model", "deepgram/nova-3");
    let (status, v) = parse(&transcribe(&http, &gw, form).await);
    assert_eq!(
        (status, v["error"]["param"].as_str()),
        (400, Some("file")),
        "{v}"
    );

    let form = Form::new().part("file", Part::bytes(b"x".to_vec()).file_name("a.wav"));
    let (status, v) = parse(&transcribe(&http, &gw, form).await);
    assert_eq!(
        (status, v["error"]["param"].as_str()),
        (400, Some("model")),
        "{v}"
    );

    let form = audio_form("deepgram/nova-3", "a.wav", "audio/wav", b"x".to_vec())
        .text("response_format", "srt");
    let (status, v) = parse(&transcribe(&http, &gw, form).await);
    assert_eq!(status, 400, "{v}");

    let got = post(
        &http,
        format!("{}/v1/audio/transcriptions", gw.url),
        json!({"model": "deepgram/nova-3"}),
    )
    .await;
    assert_error(&got, 400, "multipart/form-data");

    let form = audio_form(
        "openai/text-embedding-3-small",
        "a.wav",
        "audio/wav",
        b"x".to_vec(),
    );
    let (status, v) = parse(&transcribe(&http, &gw, form).await);
    assert_eq!(status, 400, "{v}");

    // The upstream's error keeps its status.
    let form = audio_form("deepgram/nova-3", "a.wav", "audio/wav", Vec::new());
    let (status, v) = parse(&transcribe(&http, &gw, form).await);
    assert_eq!(status, 400, "{v}");
    assert!(
        mock.received().is_empty(),
        "nothing invalid reached an upstream"
    );
    mock.push(Script {
        model: Some("nova-3".into()),
        fault: Fault {
            status: Some(402),
            error_message: Some("Project does not have enough credits".into()),
            ..Fault::default()
        },
        ..Script::default()
    });
    let form = audio_form("deepgram/nova-3", "a.wav", "audio/wav", b"x".to_vec());
    let (status, v) = parse(&transcribe(&http, &gw, form).await);
    assert_eq!(status, 402, "{v}");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("enough credits"),
        "{v}"
    );
    gw.shutdown().await;
}
