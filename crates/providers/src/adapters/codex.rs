//! ChatGPT's Codex backend (`chatgpt.com/backend-api/codex/responses`), reached with a Codex
//! sign-in: the Responses API with the backend's rules — every answer streamed (a client that
//! wants a whole answer gets the stream collected by the gateway), nothing stored, `instructions`
//! always present, encrypted reasoning included so multi-turn reasoning survives `store: false`,
//! and the sampling parameters the backend refuses left out. Its "usage limit reached" 429
//! becomes a rate-limit error that says when the limit resets.

use omniroute_formats::{ErrorInfo, ErrorKind, Format, FormatError};
use reqwest::Method;
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::Wire;
use crate::adapter::{Adapter, ChatBody};
use crate::error::UpstreamError;
use crate::http::Prepared;
use crate::target::{Operation, Target};

pub struct Codex;

pub static ADAPTER: Codex = Codex;

/// Parameters the backend answers 400 "Unsupported parameter" to.
const REFUSED: &[&str] = &["max_output_tokens", "temperature", "top_p"];
const ENCRYPTED_REASONING: &str = "reasoning.encrypted_content";

/// The Responses body as the backend wants it. The top-level object is edited key by key; the
/// values (input items, tools) pass through as the client or the translation wrote them.
pub fn shape_body(body: &[u8]) -> Result<Vec<u8>, FormatError> {
    let mut object: Map<String, Value> = omniroute_formats::parse_json(body)?;
    for key in REFUSED {
        object.remove(*key);
    }
    object.insert("stream".into(), Value::Bool(true));
    object.insert("store".into(), Value::Bool(false));
    object
        .entry("instructions")
        .or_insert_with(|| Value::String(String::new()));
    let include = object
        .entry("include")
        .or_insert_with(|| Value::Array(Vec::new()));
    if let Value::Array(items) = include
        && !items
            .iter()
            .any(|i| i.as_str() == Some(ENCRYPTED_REASONING))
    {
        items.push(Value::String(ENCRYPTED_REASONING.into()));
    }
    Ok(omniroute_formats::to_json(&object))
}

impl Adapter for Codex {
    fn name(&self) -> &'static str {
        "codex"
    }

    fn serves(&self, operation: Operation, target: &Target) -> bool {
        operation == Operation::Chat && target.wire == Wire::Codex
    }

    fn prepare_chat(&self, target: &Target, chat: ChatBody<'_>) -> Result<Prepared, UpstreamError> {
        let body = shape_body(&chat.body).map_err(UpstreamError::Request)?;
        let url = format!("{}/responses", target.base_url.trim_end_matches('/'));
        Ok(Prepared::new(target, Method::POST, url)
            .header("content-type", "application/json")
            .header("accept", "text/event-stream")
            .body(body))
    }

    fn decode_error(&self, _: &Target, status: u16, body: &[u8]) -> ErrorInfo {
        usage_limit(body)
            .unwrap_or_else(|| omniroute_formats::decode_error(Format::Responses, status, body))
    }

    fn always_streams(&self, _: &Target) -> bool {
        true
    }
}

#[derive(Deserialize)]
struct LimitBody {
    error: LimitError,
}

#[derive(Deserialize)]
struct LimitError {
    #[serde(rename = "type", default)]
    kind: Option<String>,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    resets_in_seconds: Option<u64>,
    #[serde(default)]
    resets_at: Option<i64>,
}

/// Codex's `usage_limit_reached`: the plan's window is used up until `resets_at`.
fn usage_limit(body: &[u8]) -> Option<ErrorInfo> {
    let parsed: LimitBody = serde_json::from_slice(body).ok()?;
    let error = parsed.error;
    if error.kind.as_deref() != Some("usage_limit_reached") {
        return None;
    }
    let when = match (error.resets_in_seconds, error.resets_at) {
        (Some(secs), _) => format!("; it resets in {} min", secs.div_ceil(60)),
        (None, Some(at)) => format!("; it resets at Unix time {at}"),
        (None, None) => String::new(),
    };
    let message = error
        .message
        .unwrap_or_else(|| "the Codex usage limit is reached".into());
    Some(ErrorInfo::new(
        ErrorKind::RateLimited,
        format!("{message} (usage_limit_reached{when})"),
    ))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests")]
mod tests {
    use super::*;

    #[test]
    fn the_body_streams_unstored_with_instructions_and_encrypted_reasoning() {
        let body = br#"{"model":"gpt-5","input":"hi","max_output_tokens":5,"temperature":0.2,"stream":false,"extra":{"kept":true}}"#;
        let shaped: Value = serde_json::from_slice(&shape_body(body).unwrap()).unwrap();
        assert_eq!(shaped["stream"], true);
        assert_eq!(shaped["store"], false);
        assert_eq!(shaped["instructions"], "");
        assert_eq!(shaped["include"][0], ENCRYPTED_REASONING);
        assert!(shaped.get("max_output_tokens").is_none() && shaped.get("temperature").is_none());
        assert_eq!(shaped["extra"]["kept"], true);
        // Existing instructions and includes are kept, the include not repeated.
        let body = br#"{"instructions":"be brief","include":["reasoning.encrypted_content","x"]}"#;
        let shaped: Value = serde_json::from_slice(&shape_body(body).unwrap()).unwrap();
        assert_eq!(shaped["instructions"], "be brief");
        assert_eq!(shaped["include"].as_array().unwrap().len(), 2);
        assert!(shape_body(b"[1]").is_err());
    }

    #[test]
    fn a_used_up_plan_is_a_rate_limit_that_says_when_it_resets() {
        let body = br#"{"error":{"type":"usage_limit_reached","message":"The usage limit has been reached","plan_type":"plus","resets_in_seconds":3599}}"#;
        let info = usage_limit(body).unwrap();
        assert_eq!(info.kind, ErrorKind::RateLimited);
        assert!(
            info.message.contains("resets in 60 min"),
            "{}",
            info.message
        );
        assert!(usage_limit(br#"{"error":{"type":"invalid_request_error"}}"#).is_none());
    }
}
