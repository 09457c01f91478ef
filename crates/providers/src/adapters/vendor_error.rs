//! Error bodies of the APIs that are none of the four chat formats: Deepgram
//! (`{err_code, err_msg}`), AssemblyAI (`{error: "…"}`), Fireworks and Gemini
//! (`{error: {message}}`), or a plain `{message}` / `{detail}`.

use omniroute_formats::{ErrorInfo, ErrorKind};
use serde::Deserialize;

/// An error body of the non-OpenAI media upstreams: Deepgram (`{err_code, err_msg}`),
/// AssemblyAI (`{error: "…"}`), Fireworks and Gemini (`{error: {message}}`), or a plain
/// `{message}` / `{detail}`.
#[derive(Debug, Default, Deserialize)]
struct ProviderErrorBody {
    #[serde(default)]
    err_msg: Option<String>,
    #[serde(default)]
    error: Option<ErrorField>,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    detail: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum ErrorField {
    Text(String),
    Object {
        #[serde(default)]
        message: Option<String>,
    },
}

/// An upstream media API's error (any of the shapes above, or any text) as an `ErrorInfo`
/// keeping the upstream's status.
pub fn decode(status: u16, body: &[u8]) -> ErrorInfo {
    let mut info = ErrorInfo::new(ErrorKind::from_status(status), String::new());
    info.status = status;
    let parsed = serde_json::from_slice::<ProviderErrorBody>(body).unwrap_or_default();
    let message = parsed
        .err_msg
        .or(match parsed.error {
            Some(ErrorField::Text(text)) => Some(text),
            Some(ErrorField::Object { message }) => message,
            None => None,
        })
        .or(parsed.message)
        .or(parsed.detail);
    info.message = match message {
        Some(m) if !m.is_empty() => m,
        _ => {
            let text = String::from_utf8_lossy(body);
            let text = text.trim();
            if text.is_empty() {
                format!("upstream answered {status}")
            } else {
                text.chars().take(500).collect()
            }
        }
    };
    info
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provider_errors_of_every_shape_keep_status_and_message() {
        let deepgram = decode(
            401,
            br#"{"err_code":"INVALID_AUTH","err_msg":"Invalid credentials.","request_id":"r"}"#,
        );
        assert_eq!(
            (deepgram.status, deepgram.kind, deepgram.message.as_str()),
            (401, ErrorKind::Authentication, "Invalid credentials.")
        );
        let assembly = decode(400, br#"{"error": "Invalid audio URL"}"#);
        assert_eq!(assembly.message, "Invalid audio URL");
        let nested = decode(500, br#"{"error": {"message": "boom", "code": 5}}"#);
        assert_eq!(nested.message, "boom");
        let text = decode(502, b"Bad Gateway");
        assert_eq!(text.message, "Bad Gateway");
        assert_eq!(decode(503, b"").message, "upstream answered 503");
    }
}
