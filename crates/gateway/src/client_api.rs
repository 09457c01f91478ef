//! The client API's paths, once: every path a coding tool or SDK calls, the wire format its
//! clients speak, and what it does. Routing (`routes.rs` builds the client routes from this
//! table), access control (which paths sessions and the `Origin` check leave alone) and caller
//! identification (which format a refusal is written in) all read it; no other list of client
//! paths exists (an architecture test checks). Also here: an error in a client format, which the
//! floors below the client plane (access, admission) answer in.

use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use omniroute_formats::{ErrorInfo, ErrorKind, Format};

/// What a client path does; `routes.rs` binds each to its handler.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    /// A conversation turn in the path's format.
    Chat,
    /// `POST …/messages/count_tokens`.
    CountTokens,
    /// `GET …/models` (OpenAI's list).
    Models,
    Embeddings,
    Images,
    Transcriptions,
    /// `/v1/providers/{provider}/chat/completions`: the provider pinned.
    ProviderChat,
    ProviderEmbeddings,
    ProviderImages,
    /// `GET /v1beta/models` (Gemini's list).
    GeminiModels,
    /// `POST …/models/{model}:{action}` (Gemini's generateContent, streamGenerateContent,
    /// countTokens).
    GeminiAction,
}

pub struct ClientPath {
    /// The axum path (`{name}` and `{*rest}` captures).
    pub path: &'static str,
    pub method: Method,
    /// The format its clients speak; errors on this path are written in it.
    pub format: Format,
    pub endpoint: Endpoint,
    /// Also served without `/v1` (Codex) and with it doubled (a base URL ending in `/v1` that
    /// the client extends with `/v1/…`).
    pub prefixed: bool,
}

const fn route(
    path: &'static str,
    method: Method,
    format: Format,
    endpoint: Endpoint,
    prefixed: bool,
) -> ClientPath {
    ClientPath {
        path,
        method,
        format,
        endpoint,
        prefixed,
    }
}

/// Every path of the client API.
pub const PATHS: &[ClientPath] = &[
    route(
        "/v1/chat/completions",
        Method::POST,
        Format::OpenAiChat,
        Endpoint::Chat,
        true,
    ),
    route(
        "/v1/messages",
        Method::POST,
        Format::Anthropic,
        Endpoint::Chat,
        true,
    ),
    route(
        "/v1/messages/count_tokens",
        Method::POST,
        Format::Anthropic,
        Endpoint::CountTokens,
        true,
    ),
    route(
        "/v1/responses",
        Method::POST,
        Format::Responses,
        Endpoint::Chat,
        true,
    ),
    route(
        "/v1/models",
        Method::GET,
        Format::OpenAiChat,
        Endpoint::Models,
        true,
    ),
    route(
        "/v1/embeddings",
        Method::POST,
        Format::OpenAiChat,
        Endpoint::Embeddings,
        true,
    ),
    route(
        "/v1/images/generations",
        Method::POST,
        Format::OpenAiChat,
        Endpoint::Images,
        true,
    ),
    route(
        "/v1/audio/transcriptions",
        Method::POST,
        Format::OpenAiChat,
        Endpoint::Transcriptions,
        true,
    ),
    route(
        "/v1/providers/{provider}/chat/completions",
        Method::POST,
        Format::OpenAiChat,
        Endpoint::ProviderChat,
        false,
    ),
    route(
        "/v1/providers/{provider}/embeddings",
        Method::POST,
        Format::OpenAiChat,
        Endpoint::ProviderEmbeddings,
        false,
    ),
    route(
        "/v1/providers/{provider}/images/generations",
        Method::POST,
        Format::OpenAiChat,
        Endpoint::ProviderImages,
        false,
    ),
    route(
        "/v1beta/models",
        Method::GET,
        Format::Gemini,
        Endpoint::GeminiModels,
        false,
    ),
    route(
        "/v1beta/models/{*rest}",
        Method::POST,
        Format::Gemini,
        Endpoint::GeminiAction,
        false,
    ),
    route(
        "/v1/models/{*rest}",
        Method::POST,
        Format::Gemini,
        Endpoint::GeminiAction,
        false,
    ),
];

/// The ways a prefixed path is also served: as written, without `/v1`, with `/v1` doubled.
pub fn variants(entry: &ClientPath) -> Vec<String> {
    match entry.path.strip_prefix("/v1") {
        Some(rest) if entry.prefixed => vec![
            entry.path.to_owned(),
            rest.to_owned(),
            format!("/v1{}", entry.path),
        ],
        _ => vec![entry.path.to_owned()],
    }
}

/// Whether the concrete `path` matches the axum `pattern`.
fn matches(pattern: &str, path: &str) -> bool {
    let mut pattern = pattern.split('/');
    let mut path = path.split('/');
    loop {
        match (pattern.next(), path.next()) {
            (Some(p), Some(_)) if p.starts_with("{*") => return true,
            (Some(p), Some(s)) if p.starts_with('{') => {
                if s.is_empty() {
                    return false;
                }
            }
            (Some(p), Some(s)) if p == s => {}
            (None, None) => return true,
            _ => return false,
        }
    }
}

/// The table entry serving `path`, whatever its prefix. Gemini's actions share `/v1/models/…`
/// with OpenAI's model paths and always name their action after a colon.
pub fn entry(path: &str) -> Option<&'static ClientPath> {
    let action = path
        .rsplit('/')
        .next()
        .is_some_and(|last| last.contains(':'));
    PATHS
        .iter()
        .filter(|e| e.endpoint != Endpoint::GeminiAction || action)
        .find(|e| variants(e).iter().any(|v| matches(v, path)))
}

/// Which format a client of `path` speaks: its entry's, else (an unknown path under a client
/// prefix) the format of the entry it extends (`/v1/messages/batches` → Anthropic), Gemini's
/// under `/v1beta`, OpenAI's under `/v1`.
pub fn format_of(path: &str) -> Option<Format> {
    if let Some(entry) = entry(path) {
        return Some(entry.format);
    }
    let extended = PATHS
        .iter()
        .flat_map(|e| variants(e).into_iter().map(move |v| (v, e.format)))
        .filter(|(v, _)| !v.contains('{') && !v.is_empty())
        .filter(|(v, _)| path.starts_with(v.as_str()) && path[v.len()..].starts_with('/'))
        .max_by_key(|(v, _)| v.len());
    if let Some((_, format)) = extended {
        return Some(format);
    }
    if path == "/v1beta" || path.starts_with("/v1beta/") {
        Some(Format::Gemini)
    } else if path == "/v1" || path.starts_with("/v1/") {
        Some(Format::OpenAiChat)
    } else {
        None
    }
}

/// Paths of the client API (and the probes next to it), which sessions and the `Origin` check
/// leave alone.
pub fn is_client_path(path: &str) -> bool {
    format_of(path).is_some() || path == "/healthz" || path == "/metrics"
}

/// `GET` of a model list (OpenAI's or Gemini's), which `requireApiKeyForModels` guards.
pub fn is_model_list(method: &Method, path: &str) -> bool {
    method == Method::GET
        && entry(path)
            .is_some_and(|e| matches!(e.endpoint, Endpoint::Models | Endpoint::GeminiModels))
}

/// An error as a client of `format` expects it, with `error.status`.
pub fn error_response(format: Format, error: &ErrorInfo) -> Response {
    let status = StatusCode::from_u16(error.status).unwrap_or(StatusCode::BAD_GATEWAY);
    let body = omniroute_formats::encode_error(format, error);
    let mut response = (status, body).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// A refusal on a client path in its client's format (`None` for other paths), with
/// `Retry-After` when given.
pub fn refusal(
    path: &str,
    kind: ErrorKind,
    message: &str,
    retry_after_secs: Option<u64>,
) -> Option<Response> {
    let format = format_of(path)?;
    let mut response = error_response(format, &ErrorInfo::new(kind, message));
    if let Some(secs) = retry_after_secs
        && let Ok(value) = HeaderValue::from_str(&secs.max(1).to_string())
    {
        response.headers_mut().insert("retry-after", value);
    }
    Some(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_spelling_of_a_client_path_finds_its_format() {
        for (path, format) in [
            ("/v1/chat/completions", Format::OpenAiChat),
            ("/chat/completions", Format::OpenAiChat),
            ("/v1/v1/messages", Format::Anthropic),
            ("/messages/count_tokens", Format::Anthropic),
            ("/responses", Format::Responses),
            (
                "/v1beta/models/gemini-2.5-pro:generateContent",
                Format::Gemini,
            ),
            ("/v1/models/gemini/x:streamGenerateContent", Format::Gemini),
            ("/v1/providers/groq/chat/completions", Format::OpenAiChat),
            ("/v1/messages/batches", Format::Anthropic),
            ("/v1/unknown", Format::OpenAiChat),
            ("/v1beta/files", Format::Gemini),
            ("/v1/models/gpt-4o", Format::OpenAiChat),
        ] {
            assert_eq!(format_of(path), Some(format), "{path}");
        }
        for other in [
            "/api/combos",
            "/",
            "/v1x",
            "/modelsx",
            "/dashboard",
            "/assets/a.js",
        ] {
            assert_eq!(format_of(other), None, "{other}");
            assert!(!is_client_path(other), "{other}");
        }
        assert!(is_client_path("/healthz") && is_client_path("/models"));
    }

    #[test]
    fn model_lists_are_gets_of_the_list_paths() {
        for path in ["/v1/models", "/models", "/v1/v1/models", "/v1beta/models"] {
            assert!(is_model_list(&Method::GET, path), "{path}");
        }
        assert!(!is_model_list(&Method::POST, "/v1/models"));
        assert!(!is_model_list(&Method::GET, "/v1/chat/completions"));
    }
}
