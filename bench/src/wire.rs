//! The bytes both tools exchange: request bodies the load generator sends, the canned answers
//! the mock serves (built once at start-up, so serving costs a reference count), and the small
//! byte scans each side needs (is this a streaming request; how many tokens arrived).

use bytes::Bytes;
use serde_json::{Value, json};

/// The two wire formats the benchmark speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Api {
    /// OpenAI Chat Completions (`/v1/chat/completions`).
    OpenAi,
    /// Anthropic Messages (`/v1/messages`).
    Anthropic,
}

impl Api {
    /// `openai` or `anthropic`.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "openai" => Some(Self::OpenAi),
            "anthropic" => Some(Self::Anthropic),
            _ => None,
        }
    }

    /// Which format a request path speaks, from its last segments.
    pub fn of_path(path: &str) -> Option<Self> {
        if path.ends_with("/chat/completions") {
            Some(Self::OpenAi)
        } else if path.ends_with("/messages") {
            Some(Self::Anthropic)
        } else {
            None
        }
    }
}

/// The text of every answer, and of each streamed token.
const ANSWER: &str = "The quick brown fox jumps over the lazy dog. ";
/// Streamed tokens cycle through these (LiteLLM aborts a stream that repeats one chunk 100
/// times, taking it for a looping model).
const TOKENS: [&str; 8] = [
    "tok a ", "tok b ", "tok c ", "tok d ", "tok e ", "tok f ", "tok g ", "tok h ",
];
const CREATED: u64 = 1_700_000_000;

fn sse(out: &mut Vec<u8>, event: Option<&str>, data: &Value) {
    if let Some(name) = event {
        out.extend_from_slice(b"event: ");
        out.extend_from_slice(name.as_bytes());
        out.push(b'\n');
    }
    out.extend_from_slice(b"data: ");
    out.extend_from_slice(data.to_string().as_bytes());
    out.extend_from_slice(b"\n\n");
}

/// One format's answers, whole and streamed.
#[derive(Debug, Clone)]
pub struct Canned {
    /// The non-streaming response body (about 1 KB).
    pub json: Bytes,
    /// Stream events before the first token.
    pub preamble: Bytes,
    /// Token stream events, used in turn.
    pub chunks: Vec<Bytes>,
    /// Stream events after the last token.
    pub tail: Bytes,
}

impl Canned {
    pub fn new(api: Api) -> Self {
        let text = ANSWER.repeat(20);
        match api {
            Api::OpenAi => Self::openai(&text),
            Api::Anthropic => Self::anthropic(&text),
        }
    }

    fn openai(text: &str) -> Self {
        let usage = json!({"prompt_tokens": 250, "completion_tokens": 200, "total_tokens": 450});
        let json = json!({
            "id": "chatcmpl-bench", "object": "chat.completion", "created": CREATED, "model": "m-1",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                         "logprobs": null, "finish_reason": "stop"}],
            "usage": usage,
        });
        let chunk = |delta: Value, finish: Value| {
            json!({"id": "chatcmpl-bench", "object": "chat.completion.chunk", "created": CREATED,
                   "model": "m-1",
                   "choices": [{"index": 0, "delta": delta, "logprobs": null, "finish_reason": finish}]})
        };
        let mut preamble = Vec::new();
        sse(
            &mut preamble,
            None,
            &chunk(json!({"role": "assistant", "content": ""}), Value::Null),
        );
        let chunks = TOKENS
            .iter()
            .map(|t| {
                let mut token = Vec::new();
                sse(&mut token, None, &chunk(json!({"content": t}), Value::Null));
                Bytes::from(token)
            })
            .collect();
        let mut tail = Vec::new();
        sse(&mut tail, None, &chunk(json!({}), json!("stop")));
        let usage_chunk = json!({"id": "chatcmpl-bench", "object": "chat.completion.chunk",
                                 "created": CREATED, "model": "m-1", "choices": [], "usage": usage});
        sse(&mut tail, None, &usage_chunk);
        tail.extend_from_slice(b"data: [DONE]\n\n");
        Self {
            json: Bytes::from(json.to_string()),
            preamble: Bytes::from(preamble),
            chunks,
            tail: Bytes::from(tail),
        }
    }

    fn anthropic(text: &str) -> Self {
        let json = json!({
            "id": "msg_bench", "type": "message", "role": "assistant", "model": "m-1",
            "content": [{"type": "text", "text": text}],
            "stop_reason": "end_turn", "stop_sequence": null,
            "usage": {"input_tokens": 250, "output_tokens": 200},
        });
        let mut preamble = Vec::new();
        sse(
            &mut preamble,
            Some("message_start"),
            &json!({"type": "message_start", "message": {
                "id": "msg_bench", "type": "message", "role": "assistant", "model": "m-1",
                "content": [], "stop_reason": null, "stop_sequence": null,
                "usage": {"input_tokens": 250, "output_tokens": 1}}}),
        );
        sse(
            &mut preamble,
            Some("content_block_start"),
            &json!({"type": "content_block_start", "index": 0,
                    "content_block": {"type": "text", "text": ""}}),
        );
        let chunks = TOKENS
            .iter()
            .map(|t| {
                let mut token = Vec::new();
                sse(
                    &mut token,
                    Some("content_block_delta"),
                    &json!({"type": "content_block_delta", "index": 0,
                            "delta": {"type": "text_delta", "text": t}}),
                );
                Bytes::from(token)
            })
            .collect();
        let mut tail = Vec::new();
        sse(
            &mut tail,
            Some("content_block_stop"),
            &json!({"type": "content_block_stop", "index": 0}),
        );
        sse(
            &mut tail,
            Some("message_delta"),
            &json!({"type": "message_delta",
                    "delta": {"stop_reason": "end_turn", "stop_sequence": null},
                    "usage": {"output_tokens": 200}}),
        );
        sse(
            &mut tail,
            Some("message_stop"),
            &json!({"type": "message_stop"}),
        );
        Self {
            json: Bytes::from(json.to_string()),
            preamble: Bytes::from(preamble),
            chunks,
            tail: Bytes::from(tail),
        }
    }
}

/// A request body of about `prompt_bytes` bytes of user text.
/// A chat request of about `prompt_bytes`, with `temperature` when given (0 makes it cacheable).
pub fn request_body(
    api: Api,
    model: &str,
    prompt_bytes: usize,
    stream: bool,
    temperature: Option<f64>,
) -> Bytes {
    let word = "lorem ipsum ";
    let mut prompt = word.repeat(prompt_bytes / word.len() + 1);
    prompt.truncate(prompt_bytes);
    let mut body = match api {
        Api::OpenAi => json!({
            "model": model, "stream": stream, "max_tokens": 256,
            "messages": [{"role": "user", "content": prompt}],
        }),
        Api::Anthropic => json!({
            "model": model, "stream": stream, "max_tokens": 256,
            "messages": [{"role": "user", "content": prompt}],
        }),
    };
    if let Some(t) = temperature {
        body["temperature"] = json!(t);
    }
    Bytes::from(body.to_string())
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Whether a JSON request body asks for a stream (`"stream": true` anywhere at top level; the
/// benchmark's prompts never contain that text).
pub fn wants_stream(body: &[u8]) -> bool {
    let mut rest = body;
    while let Some(at) = find(rest, b"\"stream\"") {
        rest = &rest[at + 8..];
        let value = rest
            .iter()
            .position(|b| !matches!(b, b' ' | b'\n' | b'\r' | b'\t' | b':'))
            .map_or(&[][..], |i| &rest[i..]);
        if rest.first().is_some_and(|b| matches!(b, b' ' | b':')) {
            return value.starts_with(b"true");
        }
    }
    false
}

/// Counts token events in a stream as its bytes arrive, across chunk boundaries.
#[derive(Debug)]
pub struct TokenCounter {
    marker: &'static [u8],
    carry: Vec<u8>,
}

impl TokenCounter {
    pub fn new(api: Api) -> Self {
        let marker: &'static [u8] = match api {
            Api::OpenAi => b"\"delta\":{\"content\":\"tok",
            Api::Anthropic => b"event: content_block_delta",
        };
        Self {
            marker,
            carry: Vec::new(),
        }
    }

    /// The number of token events that complete in `chunk`.
    pub fn push(&mut self, chunk: &[u8]) -> usize {
        self.carry.extend_from_slice(chunk);
        let mut count = 0;
        let mut start = 0;
        while let Some(at) = find(&self.carry[start..], self.marker) {
            count += 1;
            start += at + self.marker.len();
        }
        let keep_from = self
            .carry
            .len()
            .saturating_sub(self.marker.len() - 1)
            .max(start);
        self.carry.drain(..keep_from);
        count
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_stream_flag() {
        assert!(wants_stream(br#"{"model":"m","stream":true}"#));
        assert!(wants_stream(br#"{"stream" : true, "x": 1}"#));
        assert!(!wants_stream(br#"{"model":"m","stream":false}"#));
        assert!(!wants_stream(br#"{"model":"m"}"#));
        assert!(wants_stream(br#"{"stream_options":{},"stream":true}"#));
    }

    #[test]
    fn request_body_has_the_asked_size() {
        let body = request_body(Api::OpenAi, "p/m", 50 * 1024, false, None);
        assert!(body.len() > 50 * 1024 && body.len() < 51 * 1024);
        let v: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["model"], "p/m");
    }

    #[test]
    fn counts_tokens_split_across_chunks() {
        for api in [Api::OpenAi, Api::Anthropic] {
            let canned = Canned::new(api);
            let mut stream = canned.preamble.to_vec();
            for i in 0..5 {
                stream.extend_from_slice(&canned.chunks[i % canned.chunks.len()]);
            }
            stream.extend_from_slice(&canned.tail);
            for split in [1, 7, 64, stream.len()] {
                let mut counter = TokenCounter::new(api);
                let total: usize = stream.chunks(split).map(|c| counter.push(c)).sum();
                assert_eq!(total, 5, "{api:?} split {split}");
            }
        }
    }

    #[test]
    fn canned_bodies_are_json() {
        for api in [Api::OpenAi, Api::Anthropic] {
            let canned = Canned::new(api);
            let _: Value = serde_json::from_slice(&canned.json).unwrap();
        }
    }
}
