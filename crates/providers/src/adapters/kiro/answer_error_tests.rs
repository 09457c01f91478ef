//! Kiro answers that fail: exception frames, broken streams, error bodies, and a fuzz test.

use omniroute_formats::ir::{ErrorKind, StopReason, StreamEvent};
use serde_json::json;

use super::super::eventstream::Frame;
use super::tests::{bytes, decode, decoder, delta, event, start, text, tool_answer};
use super::*;

fn error_of(events: &[StreamEvent]) -> &ErrorInfo {
    match events.last() {
        Some(StreamEvent::Error(e)) => e,
        other => panic!("expected an error, got {other:?}"),
    }
}

#[test]
fn exception_frames_become_errors_and_end_the_stream() {
    for (name, kind, status) in [
        ("ThrottlingException", ErrorKind::RateLimited, 429),
        ("ValidationException", ErrorKind::InvalidRequest, 400),
        ("AccessDeniedException", ErrorKind::PermissionDenied, 403),
        ("InternalServerException", ErrorKind::Server, 500),
        ("SomethingNewException", ErrorKind::Server, 500),
    ] {
        let frames = [
            event("assistantResponseEvent", json!({"content": "a"})),
            Frame::exception(name, br#"{"message":"slow down"}"#.to_vec()),
            event("assistantResponseEvent", json!({"content": "ignored"})),
        ];
        let (events, complete) = decode(&bytes(&frames));
        assert_eq!(events.len(), 3, "{name}: {events:?}");
        let error = error_of(&events);
        assert_eq!((error.kind, error.status), (kind, status), "{name}");
        assert_eq!(error.message, format!("{name}: slow down"));
        assert!(!complete);
    }
    let (events, _) = decode(&bytes(&[Frame::error("InternalError", "boom")]));
    assert_eq!(events.len(), 1, "an error needs no Start");
    assert_eq!(error_of(&events).message, "InternalError: boom");
    let quota = Frame::exception(
        "ServiceQuotaExceededException",
        br#"{"message":"limit","reason":"MONTHLY_REQUEST_COUNT"}"#.to_vec(),
    );
    assert_eq!(
        error_of(&decode(&bytes(&[quota])).0).kind,
        ErrorKind::RateLimited
    );
}

#[test]
fn content_length_exceeded_is_a_max_tokens_stop() {
    let frames = [
        event("assistantResponseEvent", json!({"content": "long"})),
        Frame::exception(
            "ContentLengthExceededException",
            br#"{"message":"too long"}"#.to_vec(),
        ),
    ];
    let (events, complete) = decode(&bytes(&frames));
    assert_eq!(
        events,
        vec![
            start(),
            text("long"),
            StreamEvent::Stop(StopReason::MaxTokens)
        ]
    );
    assert!(complete);
}

#[test]
fn broken_streams_become_errors() {
    let body = bytes(&tool_answer());
    // A corrupt checksum: the frames before it still count.
    let mut corrupt = body.clone();
    let last = corrupt.len() - 1;
    corrupt[last] ^= 1;
    let (events, complete) = decode(&corrupt);
    assert!(error_of(&events).message.contains("checksum"));
    assert_eq!(error_of(&events).status, 502);
    assert!(events.contains(&delta(1, "{}")));
    assert!(!complete);
    // Cut inside a frame.
    let (events, complete) = decode(&body[..body.len() - 5]);
    assert!(error_of(&events).message.contains("middle of an event"));
    assert!(!complete);
    // Nothing at all.
    let (events, complete) = decode(b"");
    assert_eq!(events.len(), 1);
    assert!(
        error_of(&events)
            .message
            .contains("before sending any event")
    );
    assert!(!complete);
    // A payload that is not the JSON its event type promises.
    let (events, _) = decode(
        &Frame::event("toolUseEvent", b"{not json".to_vec())
            .encode()
            .unwrap(),
    );
    assert!(error_of(&events).message.contains("toolUseEvent"));
}

#[test]
fn error_bodies() {
    let cases: [(u16, &str, ErrorKind, u16, &str); 7] = [
        (
            400,
            r#"{"__type":"com.amazon.aws.codewhisperer#ValidationException","message":"Improperly formed request."}"#,
            ErrorKind::InvalidRequest,
            400,
            "ValidationException: Improperly formed request.",
        ),
        (
            429,
            r#"{"__type":"ThrottlingException:http://internal","Message":"Rate exceeded"}"#,
            ErrorKind::RateLimited,
            429,
            "ThrottlingException: Rate exceeded",
        ),
        (
            402,
            r#"{"message":"You have reached the limit.","reason":"MONTHLY_REQUEST_COUNT"}"#,
            ErrorKind::RateLimited,
            402,
            "You have reached the limit.",
        ),
        (
            403,
            r#"{"message":"The bearer token included in the request is invalid."}"#,
            ErrorKind::Authentication,
            403,
            "The bearer token included in the request is invalid.",
        ),
        (
            403,
            r#"{"__type":"AccessDeniedException","message":"no"}"#,
            ErrorKind::PermissionDenied,
            403,
            "AccessDeniedException: no",
        ),
        (
            503,
            "upstream down",
            ErrorKind::Unavailable,
            503,
            "upstream down",
        ),
        (
            500,
            "",
            ErrorKind::Server,
            500,
            "upstream answered with status 500",
        ),
    ];
    for (status, body, kind, want_status, message) in cases {
        let info = decode_error(status, body.as_bytes());
        assert_eq!((info.kind, info.status), (kind, want_status), "{body}");
        assert_eq!(info.message, message);
    }
    assert_eq!(decode_error(0, b"{}").status, 500);
}

/// A tiny deterministic generator for the fuzz test (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// The IR stream grammar: `Start` first (unless the stream fails at once), at most one `Stop`,
/// nothing after `Stop` or `Error`.
fn assert_grammar(events: &[StreamEvent]) {
    for (i, e) in events.iter().enumerate() {
        let terminal = matches!(e, StreamEvent::Stop(_) | StreamEvent::Error(_));
        assert!(!terminal || i == events.len() - 1, "{events:?}");
        if matches!(e, StreamEvent::Start { .. }) {
            assert_eq!(i, 0, "{events:?}");
        }
    }
    if let Some(first) = events.first() {
        assert!(matches!(
            first,
            StreamEvent::Start { .. } | StreamEvent::Error(_)
        ));
    }
}

#[test]
fn fuzz_random_bytes_and_mutations_never_panic() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let valid = bytes(&tool_answer());
    for round in 0..3000 {
        let body: Vec<u8> = if round % 3 == 0 {
            (0..rng.below(200)).map(|_| rng.next() as u8).collect()
        } else {
            let mut body = valid.clone();
            for _ in 0..=rng.below(4) {
                let at = rng.below(body.len());
                match rng.below(4) {
                    0 => body[at] ^= 1 << rng.below(8),
                    1 => body.insert(at, rng.next() as u8),
                    2 => {
                        body.remove(at);
                    }
                    _ => body.truncate(at),
                }
                if body.is_empty() {
                    break;
                }
            }
            body
        };
        let mut d = decoder().with_context_window(1000);
        let mut out = Vec::new();
        let mut rest = &body[..];
        while !rest.is_empty() {
            let (piece, tail) = rest.split_at(1 + rng.below(rest.len().min(64)));
            d.push(piece, &mut out);
            rest = tail;
        }
        d.finish(&mut out);
        assert_grammar(&out);
        assert!(matches!(
            out.last(),
            Some(StreamEvent::Stop(_) | StreamEvent::Error(_))
        ));
    }
}
