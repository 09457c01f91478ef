//! The subscription providers' own protocols, for the mock: Gemini Code Assist (`v1internal`:
//! `loadCodeAssist`, `onboardUser`, and generation with the Gemini body in an envelope, each
//! answer and streamed event wrapped in `{response, traceId}`) and Kiro
//! (`generateAssistantResponse`, answered as an AWS event stream: CRC-checked binary frames
//! with text deltas, tool-use fragments and token counts).

use axum::body::Bytes;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use omniroute_providers::adapters::kiro::Frame;
use serde_json::{Value, json};

use super::{Script, Shared, gemini};

/// The project the mock's Code Assist assigns at onboarding.
pub const PROJECT: &str = "mock-project-1";

/// Answers a Code Assist or Kiro request, when `path` is one.
pub(super) fn answer(shared: &Shared, path: &str, body: &Value) -> Option<Response> {
    if let Some(usage) = usage(path) {
        return Some(axum::Json(usage).into_response());
    }
    if let Some(method) = path.split("v1internal:").nth(1) {
        return Some(code_assist(shared, method, body));
    }
    if path.ends_with("/generateAssistantResponse") {
        return Some(kiro(shared, body));
    }
    None
}

/// The providers' usage endpoints, each in its own shape: one window at 61 % used (resetting
/// an hour from now) and another exhausted (resetting tomorrow) where the provider has two.
fn usage(path: &str) -> Option<Value> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (hour, day) = (now + 3600, now + 86_400);
    let iso = |secs: u64| {
        let days = secs / 86_400;
        let (y, m, d) =
            omniroute_providers::quota::civil_from_days(i64::try_from(days).unwrap_or(0));
        let t = secs % 86_400;
        format!(
            "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.000000+00:00",
            t / 3600,
            t / 60 % 60,
            t % 60
        )
    };
    Some(if path.ends_with("/api/oauth/usage") {
        json!({"five_hour": {"utilization": 61.0, "resets_at": iso(hour)},
               "seven_day": {"utilization": 100.0, "resets_at": iso(day)},
               "seven_day_opus": null, "extra_usage": {"is_enabled": false}})
    } else if path.ends_with("/wham/usage") {
        json!({"plan_type": "plus", "rate_limit": {"allowed": true, "limit_reached": true,
            "primary_window": {"used_percent": 61, "limit_window_seconds": 18000, "reset_at": hour},
            "secondary_window": {"used_percent": 100, "limit_window_seconds": 604800, "reset_at": day}}})
    } else if path.ends_with("/copilot_internal/user") {
        json!({"copilot_plan": "individual", "quota_reset_date": iso(day).get(..10),
               "quota_snapshots": {"premium_interactions": {"entitlement": 300, "remaining": 117,
                   "percent_remaining": 39.0, "unlimited": false}}})
    } else if path.ends_with("v1internal:retrieveUserQuota") {
        json!({"buckets": [{"modelId": "gemini-2.5-pro", "tokenType": "REQUESTS",
                            "remainingFraction": 0.39, "resetTime": iso(hour)}]})
    } else if path.ends_with("/getUsageLimits") {
        json!({"usageBreakdownList": [{"resourceType": "AGENTIC_REQUEST", "currentUsage": 61,
               "usageLimit": 100, "nextDateReset": day as f64}]})
    } else {
        return None;
    })
}

fn code_assist(shared: &Shared, method: &str, body: &Value) -> Response {
    match method {
        "loadCodeAssist" => axum::Json(json!({
            "allowedTiers": [{"id": "free-tier", "name": "Gemini Code Assist for individuals", "isDefault": true}],
        }))
        .into_response(),
        "onboardUser" => axum::Json(json!({
            "name": "operations/onboard-1",
            "done": true,
            "response": {"cloudaicompanionProject": {"id": PROJECT, "name": "Mock project"}},
        }))
        .into_response(),
        "generateContent" | "streamGenerateContent" => {
            let model = body["model"].as_str().unwrap_or("gemini-mock").to_owned();
            if body["project"] != PROJECT || !body["request"].is_object() {
                let error = gemini::error(400, "mock: not a Code Assist envelope with its project");
                return (StatusCode::BAD_REQUEST, axum::Json(error)).into_response();
            }
            let script = shared.take_script(&model);
            if let Some(status) = script.fault.status {
                let code = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
                return (code, axum::Json(gemini::error(status, "mock Code Assist error"))).into_response();
            }
            if method == "generateContent" {
                let inner = gemini::body(&script.reply, &model);
                return axum::Json(json!({"response": inner, "traceId": "trace-1"})).into_response();
            }
            let frames: String = gemini::events(&script.reply, &model)
                .into_iter()
                .map(|e| format!("data: {{\"response\": {}, \"traceId\": \"trace-1\"}}\r\n\r\n", e.data))
                .collect();
            ([("content-type", "text/event-stream")], frames).into_response()
        }
        other => (StatusCode::NOT_FOUND, format!("mock: no Code Assist method {other}")).into_response(),
    }
}

fn event(kind: &str, payload: Value) -> Vec<u8> {
    Frame::event(kind, payload.to_string())
        .encode()
        .unwrap_or_default()
}

fn kiro(shared: &Shared, body: &Value) -> Response {
    let model = body
        .pointer("/conversationState/currentMessage/userInputMessage/modelId")
        .and_then(Value::as_str)
        .unwrap_or("kiro-mock")
        .to_owned();
    let script: Script = shared.take_script(&model);
    if let Some(status) = script.fault.status {
        let code = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let error = json!({"__type": "com.amazon.aws.codewhisperer#ThrottlingException", "message": "mock Kiro error"});
        return (code, axum::Json(error)).into_response();
    }
    let reply = &script.reply;
    let mut frames: Vec<Vec<u8>> = reply
        .fragments(&reply.text)
        .into_iter()
        .map(|text| event("assistantResponseEvent", json!({"content": text})))
        .collect();
    for call in &reply.tool_calls {
        let fragments = reply.fragments(&call.arguments);
        for (i, fragment) in fragments.iter().enumerate() {
            frames.push(event(
                "toolUseEvent",
                json!({"toolUseId": call.id, "name": call.name, "input": fragment, "stop": i + 1 == fragments.len()}),
            ));
        }
    }
    frames.push(event(
        "messageMetadataEvent",
        json!({"usage": {"inputTokens": reply.usage.input, "outputTokens": reply.usage.output}}),
    ));
    // Frames split at odd places, as a network would.
    let bytes: Vec<u8> = frames.concat();
    let chunks: Vec<Result<Bytes, std::io::Error>> = bytes
        .chunks(7)
        .map(|c| Ok(Bytes::copy_from_slice(c)))
        .collect();
    Response::builder()
        .header("content-type", "application/vnd.amazon.eventstream")
        .body(axum::body::Body::from_stream(futures_util::stream::iter(
            chunks,
        )))
        .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}
