//! Same-format streams are relayed byte for byte. When such a stream breaks, the client still
//! needs a proper error in that stream's own grammar: `PassthroughTail` watches the relayed
//! events and writes an error event that continues them (for Responses, the next
//! `sequence_number`; the other formats accept an error event at any point).

use serde::Deserialize;
use serde_json::json;

use crate::ir::ErrorInfo;
use crate::sse::{SseEvent, write_event};
use crate::{Format, anthropic, gemini, openai_chat, responses};

#[derive(Debug)]
pub struct PassthroughTail {
    format: Format,
    last_sequence: Option<u64>,
}

#[derive(Deserialize)]
struct Sequenced {
    sequence_number: Option<u64>,
}

impl PassthroughTail {
    pub fn new(format: Format) -> Self {
        Self {
            format,
            last_sequence: None,
        }
    }

    /// Notes one relayed upstream event.
    pub fn observe(&mut self, event: &SseEvent) {
        if self.format == Format::Responses {
            if let Ok(Sequenced {
                sequence_number: Some(n),
            }) = serde_json::from_str::<Sequenced>(&event.data)
            {
                self.last_sequence = Some(n);
            }
        }
    }

    /// The error event that ends the relayed stream.
    pub fn error(&self, error: &ErrorInfo) -> Vec<u8> {
        let mut out = Vec::new();
        let body = |bytes: Vec<u8>| String::from_utf8_lossy(&bytes).into_owned();
        match self.format {
            Format::OpenAiChat => {
                write_event(&mut out, None, &body(openai_chat::encode_error(error)))
            }
            Format::Anthropic => write_event(
                &mut out,
                Some("error"),
                &body(anthropic::encode_error(error)),
            ),
            Format::Gemini => write_event(&mut out, None, &body(gemini::encode_error(error))),
            Format::Responses => {
                let sequence_number = self.last_sequence.map_or(0, |n| n + 1);
                let code =
                    serde_json::from_slice::<serde_json::Value>(&responses::encode_error(error))
                        .ok()
                        .and_then(|v| v.pointer("/error/code").cloned())
                        .unwrap_or(serde_json::Value::Null);
                let failed = json!({
                    "type": "response.failed",
                    "sequence_number": sequence_number,
                    "response": {"object": "response", "status": "failed", "output": [],
                                 "error": {"code": code, "message": error.message}}
                });
                write_event(&mut out, Some("response.failed"), &failed.to_string());
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::ErrorKind;

    #[test]
    fn responses_tail_continues_the_sequence() {
        let mut tail = PassthroughTail::new(Format::Responses);
        for n in 0..3 {
            tail.observe(&SseEvent {
                event: None,
                data: format!("{{\"type\":\"x\",\"sequence_number\":{n}}}"),
            });
        }
        let out = String::from_utf8(tail.error(&ErrorInfo::new(ErrorKind::Server, "cut"))).unwrap();
        assert!(out.starts_with("event: response.failed\n"));
        assert!(out.contains("\"sequence_number\":3"));
        let anthropic = String::from_utf8(
            PassthroughTail::new(Format::Anthropic)
                .error(&ErrorInfo::new(ErrorKind::Overloaded, "busy")),
        )
        .unwrap();
        assert!(anthropic.starts_with("event: error\ndata: {\"type\":\"error\""));
    }
}
