//! Tests of the Responses format: requests, responses and errors, streams, round trips and
//! garbage input.

mod encode;
mod namespace;
mod request;
mod response;
mod stream;

/// Parses a written stream into `(event name, data)` pairs.
pub(super) fn parse_sse(bytes: &[u8]) -> Vec<(String, serde_json::Value)> {
    let mut parser = crate::sse::SseParser::new();
    let mut events = Vec::new();
    parser.push(bytes, &mut events);
    parser.finish(&mut events);
    events
        .into_iter()
        .map(|e| {
            (
                e.event.unwrap_or_default(),
                serde_json::from_str(&e.data).unwrap(),
            )
        })
        .collect()
}
