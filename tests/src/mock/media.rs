//! The media APIs as the upstreams speak them: OpenAI embeddings (`…/embeddings`) and images
//! (`…/images/generations`), Gemini `models/{m}:batchEmbedContents`, Fireworks' FLUX workflow
//! (`…/workflows/{model}/text_to_image`), Deepgram `POST /v1/listen` and AssemblyAI
//! (`POST /v2/upload` → `POST /v2/transcript` → `GET /v2/transcript/{id}`).
//!
//! Requests are recorded like every other (the raw audio as lossy text). Embeddings, images
//! and Deepgram consume a queued `Script` (by model) so a test can inject an error status.
//! Deterministic answers: vectors `[i+1, 0.5, -0.25, …]` sized by `dimensions`, a 1×1 PNG,
//! transcripts naming the provider. AssemblyAI transcripts are `processing` on the first poll
//! and `completed` from the second (or `error` when the uploaded audio contains `mock-error`).

use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::{Shared, gemini, openai_chat};

/// A 1×1 transparent PNG.
pub const PNG_B64: &str =
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=";
pub const DEEPGRAM_TEXT: &str = "Hello from the mock Deepgram.";
pub const WHISPER_TEXT: &str = "Hello from the mock Whisper.";
pub const ASSEMBLYAI_TEXT: &str = "Hello from the mock AssemblyAI.";

/// The answer for a media path, or `None` when the path is not a media API.
pub(super) async fn answer(
    shared: &Shared,
    method: &Method,
    path: &str,
    query: Option<&str>,
    headers: &HeaderMap,
    body: &Bytes,
) -> Option<Response> {
    let post = method == Method::POST;
    if post && path.contains(":batchEmbedContents") {
        return Some(gemini_embed(shared, path, body));
    }
    if post && path.ends_with("/embeddings") {
        return Some(openai_embeddings(shared, body));
    }
    if post && path.ends_with("/images/generations") {
        return Some(openai_images(shared, body));
    }
    if post && path.ends_with("/audio/transcriptions") {
        return Some(whisper(body));
    }
    if post && path.contains("/workflows/") && path.ends_with("/text_to_image") {
        return Some(fireworks(shared, path, headers, body));
    }
    if post && path.ends_with("/v1/listen") {
        return Some(deepgram(shared, query, headers, body));
    }
    if path.contains("/v2/upload") || path.contains("/v2/transcript") {
        return Some(assemblyai(shared, method, path, headers, body));
    }
    None
}

fn json_body(body: &Bytes) -> Value {
    serde_json::from_slice(body).unwrap_or(Value::Null)
}

/// A queued fault for `model`, as `(status, message)`.
fn fault(shared: &Shared, model: &str) -> Option<(u16, String)> {
    let script = shared.take_script(model);
    script.fault.status.map(|status| {
        let message = script
            .fault
            .error_message
            .unwrap_or_else(|| format!("mock upstream error {status}"));
        (status, message)
    })
}

fn status(code: u16) -> StatusCode {
    StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

fn vector(index: usize, dims: usize) -> Vec<f32> {
    let mut v = vec![(index + 1) as f32];
    let mut x = 0.5f32;
    while v.len() < dims {
        v.push(x);
        x = -x / 2.0;
    }
    v
}

fn base64(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for c in bytes.chunks(3) {
        let n = (u32::from(c[0]) << 16)
            | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
            | u32::from(*c.get(2).unwrap_or(&0));
        for i in 0..4 {
            out.push(if i <= c.len() {
                char::from(A[((n >> (18 - 6 * i)) & 63) as usize])
            } else {
                '='
            });
        }
    }
    out
}

fn texts(input: &Value) -> usize {
    match input {
        Value::Array(items) if items.first().is_some_and(Value::is_number) => 1,
        Value::Array(items) => items.len(),
        _ => 1,
    }
}

fn openai_embeddings(shared: &Shared, body: &Bytes) -> Response {
    let body = json_body(body);
    let model = body["model"]
        .as_str()
        .unwrap_or("mock-embedding")
        .to_owned();
    if let Some((code, message)) = fault(shared, &model) {
        return (status(code), axum::Json(openai_chat::error(code, &message))).into_response();
    }
    let dims = body["dimensions"].as_u64().unwrap_or(3) as usize;
    let base64_out = body["encoding_format"] == "base64";
    let n = texts(&body["input"]);
    let data: Vec<Value> = (0..n)
        .map(|i| {
            let v = vector(i, dims);
            let embedding = if base64_out {
                let bytes: Vec<u8> = v.iter().flat_map(|f| f.to_le_bytes()).collect();
                json!(base64(&bytes))
            } else {
                json!(v)
            };
            json!({"object": "embedding", "index": i, "embedding": embedding})
        })
        .collect();
    axum::Json(json!({
        "object": "list", "data": data, "model": model,
        "usage": {"prompt_tokens": 4 * n, "total_tokens": 4 * n}
    }))
    .into_response()
}

fn gemini_embed(shared: &Shared, path: &str, body: &Bytes) -> Response {
    let model = path
        .split("models/")
        .nth(1)
        .and_then(|rest| rest.split(':').next())
        .unwrap_or_default()
        .to_owned();
    if let Some((code, message)) = fault(shared, &model) {
        return (status(code), axum::Json(gemini::error(code, &message))).into_response();
    }
    let body = json_body(body);
    let Some(requests) = body["requests"].as_array() else {
        let e = gemini::error(400, "Invalid JSON payload: requests is required");
        return (StatusCode::BAD_REQUEST, axum::Json(e)).into_response();
    };
    let mut embeddings = Vec::new();
    for (i, r) in requests.iter().enumerate() {
        // The real API insists that every entry names the model of the URL.
        if r["model"] != format!("models/{model}") {
            let e = gemini::error(
                400,
                &format!(
                    "requests[{i}].model must be models/{model}, got {}",
                    r["model"]
                ),
            );
            return (StatusCode::BAD_REQUEST, axum::Json(e)).into_response();
        }
        if r["content"]["parts"][0]["text"].as_str().is_none() {
            let e = gemini::error(
                400,
                &format!("requests[{i}].content.parts[0].text is required"),
            );
            return (StatusCode::BAD_REQUEST, axum::Json(e)).into_response();
        }
        let dims = r["outputDimensionality"].as_u64().unwrap_or(3) as usize;
        embeddings.push(json!({"values": vector(i, dims)}));
    }
    axum::Json(json!({"embeddings": embeddings})).into_response()
}

fn openai_images(shared: &Shared, body: &Bytes) -> Response {
    let body = json_body(body);
    let model = body["model"].as_str().unwrap_or("mock-image").to_owned();
    if let Some((code, message)) = fault(shared, &model) {
        return (status(code), axum::Json(openai_chat::error(code, &message))).into_response();
    }
    let n = body["n"].as_u64().unwrap_or(1);
    let b64 = body["response_format"] == "b64_json" || model.starts_with("gpt-image");
    let data: Vec<Value> = (0..n)
        .map(|i| {
            if b64 {
                json!({"b64_json": PNG_B64})
            } else {
                json!({"url": format!("https://mock.example/images/{i}.png"), "revised_prompt": body["prompt"]})
            }
        })
        .collect();
    axum::Json(json!({"created": 1_700_000_000u64, "data": data})).into_response()
}

/// OpenAI's multipart transcription API: the form must carry a model and a file.
fn whisper(body: &Bytes) -> Response {
    let text = String::from_utf8_lossy(body);
    if !text.contains("name=\"model\"") || !text.contains("name=\"file\"") {
        let e = openai_chat::error(400, "model and file are required");
        return (StatusCode::BAD_REQUEST, axum::Json(e)).into_response();
    }
    if text.contains("\r\n\r\ntext\r\n") {
        return (
            [("content-type", "text/plain; charset=utf-8")],
            format!("{WHISPER_TEXT}\n"),
        )
            .into_response();
    }
    axum::Json(json!({"text": WHISPER_TEXT})).into_response()
}

fn fireworks(shared: &Shared, path: &str, headers: &HeaderMap, body: &Bytes) -> Response {
    let model = path
        .split("/workflows/")
        .nth(1)
        .and_then(|rest| rest.strip_suffix("/text_to_image"))
        .unwrap_or_default()
        .to_owned();
    if let Some((code, message)) = fault(shared, &model) {
        let e = json!({"error": {"object": "error", "type": "invalid_request_error", "message": message}});
        return (status(code), axum::Json(e)).into_response();
    }
    let body = json_body(body);
    if body["prompt"].as_str().is_none_or(str::is_empty) {
        let e = json!({"error": {"object": "error", "type": "invalid_request_error", "message": "prompt is required"}});
        return (StatusCode::BAD_REQUEST, axum::Json(e)).into_response();
    }
    let accept = headers
        .get("accept")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("image/jpeg");
    if !accept.contains("application/json") {
        // Without `Accept: application/json` the workflow answers with the image itself.
        return (
            [("content-type", "image/jpeg")],
            vec![0xff, 0xd8, 0xff, 0xd9],
        )
            .into_response();
    }
    if body["prompt"]
        .as_str()
        .is_some_and(|p| p.contains("forbidden"))
    {
        return axum::Json(json!({"base64": [], "finishReason": "CONTENT_FILTERED", "seed": 1}))
            .into_response();
    }
    axum::Json(json!({
        "base64": [format!("data:image/png;base64,{PNG_B64}")],
        "finishReason": "SUCCESS",
        "seed": 1234
    }))
    .into_response()
}

fn deepgram(shared: &Shared, query: Option<&str>, headers: &HeaderMap, body: &Bytes) -> Response {
    let auth = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if !auth.starts_with("Token ") {
        let e = json!({"err_code": "INVALID_AUTH", "err_msg": "Invalid credentials.", "request_id": "mock"});
        return (StatusCode::UNAUTHORIZED, axum::Json(e)).into_response();
    }
    let model = query
        .unwrap_or_default()
        .split('&')
        .find_map(|p| p.strip_prefix("model="))
        .unwrap_or("nova-3")
        .to_owned();
    if let Some((code, message)) = fault(shared, &model) {
        let e = json!({"err_code": "Bad Request", "err_msg": message, "request_id": "mock"});
        return (status(code), axum::Json(e)).into_response();
    }
    if body.is_empty() {
        let e = json!({"err_code": "Bad Request", "err_msg": "Bad Request: failed to process audio: corrupt or unsupported data", "request_id": "mock"});
        return (StatusCode::BAD_REQUEST, axum::Json(e)).into_response();
    }
    let words: Vec<Value> = DEEPGRAM_TEXT
        .split(' ')
        .enumerate()
        .map(|(i, w)| {
            let start = i as f64 * 0.5;
            json!({"word": w.trim_end_matches('.').to_lowercase(), "start": start, "end": start + 0.4,
                   "confidence": 0.99, "punctuated_word": w})
        })
        .collect();
    axum::Json(json!({
        "metadata": {"request_id": "mock-request", "model_info": {}, "duration": 2.0, "channels": 1},
        "results": {"channels": [{"alternatives": [
            {"transcript": DEEPGRAM_TEXT, "confidence": 0.99, "words": words}
        ]}]}
    }))
    .into_response()
}

fn assemblyai(
    shared: &Shared,
    method: &Method,
    path: &str,
    headers: &HeaderMap,
    body: &Bytes,
) -> Response {
    if headers.get("authorization").is_none() {
        let e = json!({"error": "Authentication error, API token missing/invalid"});
        return (StatusCode::UNAUTHORIZED, axum::Json(e)).into_response();
    }
    let host = headers
        .get("host")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("127.0.0.1");
    if method == Method::POST && path.ends_with("/v2/upload") {
        let failing = body.windows(10).any(|w| w == b"mock-error");
        let tag = if failing { "error" } else { "ok" };
        let url = format!("http://{host}/mock-cdn/upload/{}-{tag}", body.len());
        return axum::Json(json!({"upload_url": url})).into_response();
    }
    if method == Method::POST && path.ends_with("/v2/transcript") {
        let body = json_body(body);
        let Some(audio_url) = body["audio_url"].as_str() else {
            let e = json!({"error": "audio_url is required"});
            return (StatusCode::BAD_REQUEST, axum::Json(e)).into_response();
        };
        let n = shared.with(|s| s.received.len());
        let tag = if audio_url.ends_with("-error") {
            "err"
        } else {
            "ok"
        };
        return axum::Json(json!({
            "id": format!("tr-{tag}-{n}"), "status": "queued", "audio_url": audio_url,
            "speech_model": body["speech_model"], "text": null, "words": null
        }))
        .into_response();
    }
    let id = path
        .rsplit_once("/v2/transcript/")
        .map(|(_, id)| id.to_owned());
    match id {
        Some(id) if method == Method::GET => assemblyai_poll(shared, path, &id),
        _ => {
            let e = json!({"error": format!("mock: no AssemblyAI route {method} {path}")});
            (StatusCode::NOT_FOUND, axum::Json(e)).into_response()
        }
    }
}

/// `GET /v2/transcript/{id}`: `processing` on the first poll, then the outcome.
fn assemblyai_poll(shared: &Shared, path: &str, id: &str) -> Response {
    let polls = shared.with(|s| {
        s.received
            .iter()
            .filter(|r| r.method == "GET" && r.path == path)
            .count()
    });
    if polls < 2 {
        return axum::Json(json!({"id": id, "status": "processing", "text": null})).into_response();
    }
    if id.starts_with("tr-err") {
        return axum::Json(json!({"id": id, "status": "error",
            "error": "Transcoding failed. File does not appear to contain audio."}))
        .into_response();
    }
    let words: Vec<Value> = ASSEMBLYAI_TEXT
        .split(' ')
        .enumerate()
        .map(
            |(i, w)| json!({"text": w, "start": i * 500, "end": i * 500 + 400, "confidence": 0.95}),
        )
        .collect();
    axum::Json(json!({
        "id": id, "status": "completed", "text": ASSEMBLYAI_TEXT, "words": words,
        "audio_duration": 2.5, "language_code": "en_us"
    }))
    .into_response()
}
