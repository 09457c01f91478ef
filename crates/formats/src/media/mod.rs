//! The media APIs of OpenAI's client surface — embeddings (`POST /v1/embeddings`), image
//! generation (`POST /v1/images/generations`) and transcription (`POST /v1/audio/transcriptions`)
//! — and their translation to the upstreams whose protocols differ: Gemini's
//! `batchEmbedContents`, Fireworks' FLUX text-to-image workflows, Deepgram's `/v1/listen` and
//! AssemblyAI's upload → transcript → poll API.
//!
//! Pure like the rest of the crate: typed wire structs and conversions, no I/O and no clock
//! (timestamps come in as arguments). OpenAI-compatible upstreams need no translation: their
//! bodies pass through with `model` rewritten (`crate::rewrite_model`).

pub mod embeddings;
pub mod images;
pub mod transcription;

use serde::Deserialize;

use crate::{ErrorInfo, ErrorKind};

/// Standard base64 (RFC 4648, with padding).
pub fn base64_encode(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

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
pub fn decode_error(status: u16, body: &[u8]) -> ErrorInfo {
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
    fn base64_matches_rfc_4648_vectors() {
        for (input, expected) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64_encode(input.as_bytes()), expected, "{input}");
        }
        assert_eq!(base64_encode(&[0xff, 0xfe, 0xfd]), "//79");
    }

    #[test]
    fn provider_errors_of_every_shape_keep_status_and_message() {
        let deepgram = decode_error(
            401,
            br#"{"err_code":"INVALID_AUTH","err_msg":"Invalid credentials.","request_id":"r"}"#,
        );
        assert_eq!(
            (deepgram.status, deepgram.kind, deepgram.message.as_str()),
            (401, ErrorKind::Authentication, "Invalid credentials.")
        );
        let assembly = decode_error(400, br#"{"error": "Invalid audio URL"}"#);
        assert_eq!(assembly.message, "Invalid audio URL");
        let nested = decode_error(500, br#"{"error": {"message": "boom", "code": 5}}"#);
        assert_eq!(nested.message, "boom");
        let text = decode_error(502, b"Bad Gateway");
        assert_eq!(text.message, "Bad Gateway");
        assert_eq!(decode_error(503, b"").message, "upstream answered 503");
    }
}
