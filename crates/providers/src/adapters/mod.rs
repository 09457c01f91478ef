//! One module per protocol that differs from the wire it rides on (`standard` serves the four
//! chat APIs and OpenAI-compatible media); the helpers they share.

pub mod assemblyai;
pub mod code_assist;
pub mod codex;
pub mod deepgram;
pub mod fireworks_images;
pub mod gemini_embeddings;
pub mod kiro;
mod reframe;
pub mod standard;
pub mod vendor_error;

use std::time::{SystemTime, UNIX_EPOCH};

use omniroute_formats::media::transcription::{ResponseFormat, Transcript, encode_response};

use crate::adapter::{MediaAnswer, MediaCall};
use crate::error::UpstreamError;
use crate::target::Target;

fn unsupported(target: &Target, call: &MediaCall) -> UpstreamError {
    crate::adapter::unsupported(target, call.operation())
}

/// `{root}` of an API whose paths carry their own version (`/v1beta/…`, `/v1/listen`, `/v2/…`).
fn root(base: &str, versions: &[&str]) -> String {
    let mut root = base.trim_end_matches('/');
    for v in versions {
        root = root.trim_end_matches(v);
    }
    root.trim_end_matches('/').to_owned()
}

/// Percent-encodes a query value (unreserved characters stay).
fn encode_query(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// A transcript in the shape the client asked for.
fn transcript_answer(transcript: &Transcript, format: ResponseFormat) -> MediaAnswer {
    let (content_type, body) = encode_response(transcript, format);
    MediaAnswer {
        content_type: content_type.to_owned(),
        body: body.into(),
        usage: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roots_and_queries() {
        assert_eq!(root("https://h/v1beta/", &["/v1beta", "/v1"]), "https://h");
        assert_eq!(root("https://h/v2", &["/v2"]), "https://h");
        assert_eq!(encode_query("a b&c=d/é"), "a%20b%26c%3Dd%2F%C3%A9");
    }
}
