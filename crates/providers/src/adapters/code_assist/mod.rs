//! Gemini Code Assist (`cloudcode-pa.googleapis.com/v1internal`), the API behind the Gemini
//! CLI's Google sign-in: the wire code. Generation is the Gemini API inside an
//! envelope — requests go as `{model, project, request: <Gemini request>}` and answers (whole or
//! each SSE event) come as `{response: <Gemini response>, traceId}` — so the Gemini format does the
//! translation and this module only wraps and unwraps, keeping the inner JSON byte for byte.
//! `onboarding` decides how a signed-in account gets its project and `setup` does it (the one
//! part with I/O); `quota` reads its quotas; `adapter` is the chat adapter.

mod adapter;
pub mod onboarding;
pub mod quota;
pub mod setup;

use omniroute_formats::{FormatError, parse_json, to_json};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

pub use adapter::{ADAPTER, CodeAssist};
pub use onboarding::{
    ClientMetadata, CompanionProject, IneligibleTier, LoadCodeAssistRequest,
    LoadCodeAssistResponse, OnboardUserRequest, OnboardUserResponse, OnboardingStep, Operation,
    UserTier, next_onboarding_step,
};
pub use quota::{QuotaBucket, RetrieveUserQuotaRequest, RetrieveUserQuotaResponse, decode_quota};

/// The API version segment of every path.
pub const API_VERSION: &str = "v1internal";
/// The production endpoint (the catalog may override it).
pub const DEFAULT_BASE: &str = "https://cloudcode-pa.googleapis.com";

/// `{base}/v1internal:{method}` (`loadCodeAssist`, `onboardUser`, `retrieveUserQuota`…).
/// A base that already ends in `/v1internal` is accepted too.
pub fn method_url(base: &str, method: &str) -> String {
    format!("{}:{method}", versioned(base))
}

/// The generation URL: `:generateContent`, or `:streamGenerateContent?alt=sse` when streaming.
pub fn generate_url(base: &str, stream: bool) -> String {
    if stream {
        format!("{}?alt=sse", method_url(base, "streamGenerateContent"))
    } else {
        method_url(base, "generateContent")
    }
}

/// `GET` URL of a long-running operation (`onboardUser` answers with one): `{base}/v1internal/{name}`.
pub fn operation_url(base: &str, name: &str) -> String {
    format!("{}/{}", versioned(base), name.trim_start_matches('/'))
}

fn versioned(base: &str) -> String {
    let base = base.trim_end_matches('/');
    let root = base.strip_suffix(API_VERSION).unwrap_or(base);
    format!("{}/{API_VERSION}", root.trim_end_matches('/'))
}

/// The generation request envelope.
#[derive(Debug, Serialize, Deserialize)]
pub struct GenerateRequest<'a> {
    pub model: &'a str,
    pub project: &'a str,
    /// The Gemini `generateContent` request, untouched.
    #[serde(borrow)]
    pub request: &'a RawValue,
}

/// The generation answer envelope (also each streamed event's data).
#[derive(Debug, Deserialize)]
pub struct GenerateResponse<'a> {
    /// The Gemini `GenerateContentResponse`, untouched.
    #[serde(borrow, default)]
    pub response: Option<&'a RawValue>,
    #[serde(default, rename = "traceId")]
    pub trace_id: Option<String>,
}

/// Puts a Gemini request body (e.g. `encode_request(Format::Gemini, …)`) in the envelope for
/// `model` and `project`; the body is embedded byte for byte.
pub fn wrap_request(
    gemini_body: &[u8],
    model: &str,
    project: &str,
) -> Result<Vec<u8>, FormatError> {
    let request: &RawValue = parse_json(gemini_body)?;
    Ok(to_json(&GenerateRequest {
        model,
        project,
        request,
    }))
}

/// The Gemini response inside an answer body. A body without `response` (an `{"error": …}`
/// envelope, which Gemini's own decoders read) is returned as it is.
pub fn unwrap_response(body: &[u8]) -> Result<Vec<u8>, FormatError> {
    let envelope: GenerateResponse<'_> = parse_json(body)?;
    Ok(match envelope.response {
        Some(inner) => inner.get().as_bytes().to_vec(),
        None => body.to_vec(),
    })
}

/// `unwrap_response` for one SSE event's `data`. Empty data and `[DONE]` pass through.
pub fn unwrap_sse_data(data: &str) -> Result<String, FormatError> {
    let trimmed = data.trim();
    if trimmed.is_empty() || trimmed == "[DONE]" {
        return Ok(data.to_owned());
    }
    let envelope: GenerateResponse<'_> = parse_json(trimmed.as_bytes())?;
    Ok(match envelope.response {
        Some(inner) => inner.get().to_owned(),
        None => trimmed.to_owned(),
    })
}

#[cfg(test)]
mod tests;
