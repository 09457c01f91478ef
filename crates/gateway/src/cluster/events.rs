//! What instances tell each other through Redis, and the byte form of a kept answer. Pure.

use axum::http::{HeaderName, HeaderValue, StatusCode};
use bytes::Bytes;
use omniroute_routing::cooldown::Reason;
use serde::{Deserialize, Serialize};

use crate::replay::Captured;

/// One change another instance must apply to its own live state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum Event {
    /// Configuration changed in the database: read it again.
    Reload,
    /// A provider's breaker opened for `ms`.
    #[serde(rename_all = "camelCase")]
    BreakerOpen { provider: String, ms: u64 },
    /// An account, or one model on it, rests for `ms`.
    #[serde(rename_all = "camelCase")]
    Rest {
        connection: String,
        model: Option<String>,
        ms: u64,
        reason: Reason,
    },
    /// "Reset all": every breaker and rest ends.
    ResetHealth,
    /// Every account's rest on one model ends (a force-unlock).
    #[serde(rename_all = "camelCase")]
    ClearModel { model: String },
    /// A dashboard session was ended (logout) before its expiry (Unix s).
    #[serde(rename_all = "camelCase")]
    Revoke { jti: String, exp: i64 },
    /// A key spent `cost` US dollars at `at_ms`.
    #[serde(rename_all = "camelCase")]
    Spend { key: String, cost: f64, at_ms: i64 },
}

/// An event with the instance that sent it (which ignores its own).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Envelope {
    pub from: String,
    #[serde(flatten)]
    pub event: Event,
}

/// `status, header count, (name length, name, value length, value)…, body`, big-endian.
pub fn encode_answer(answer: &Captured) -> Vec<u8> {
    let mut out = Vec::with_capacity(answer.size() + 16);
    out.extend_from_slice(&answer.status.as_u16().to_be_bytes());
    let count = u16::try_from(answer.headers.len()).unwrap_or(u16::MAX);
    out.extend_from_slice(&count.to_be_bytes());
    for (name, value) in answer.headers.iter().take(usize::from(count)) {
        for part in [name.as_str().as_bytes(), value.as_bytes()] {
            let len = u32::try_from(part.len()).unwrap_or(0);
            out.extend_from_slice(&len.to_be_bytes());
            out.extend_from_slice(&part[..len as usize]);
        }
    }
    out.extend_from_slice(&answer.body);
    out
}

/// The answer `encode_answer` wrote; `None` for anything else.
pub fn decode_answer(bytes: &[u8]) -> Option<Captured> {
    fn take<'a>(bytes: &mut &'a [u8], n: usize) -> Option<&'a [u8]> {
        if bytes.len() < n {
            return None;
        }
        let (head, rest) = bytes.split_at(n);
        *bytes = rest;
        Some(head)
    }
    let mut rest = bytes;
    let status = u16::from_be_bytes(take(&mut rest, 2)?.try_into().ok()?);
    let status = StatusCode::from_u16(status).ok()?;
    let count = u16::from_be_bytes(take(&mut rest, 2)?.try_into().ok()?);
    let mut headers = Vec::with_capacity(usize::from(count));
    for _ in 0..count {
        let mut part = || -> Option<&[u8]> {
            let len = u32::from_be_bytes(take(&mut rest, 4)?.try_into().ok()?);
            take(&mut rest, usize::try_from(len).ok()?)
        };
        let name = HeaderName::from_bytes(part()?).ok()?;
        let value = HeaderValue::from_bytes(part()?).ok()?;
        headers.push((name, value));
    }
    Some(Captured {
        status,
        headers,
        body: Bytes::copy_from_slice(rest),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_travel_as_tagged_json() {
        let e = Envelope {
            from: "a1".into(),
            event: Event::Rest {
                connection: "c".into(),
                model: Some("openai/gpt".into()),
                ms: 1500,
                reason: Reason::RateLimited,
            },
        };
        let json = serde_json::to_string(&e).unwrap();
        assert_eq!(
            json,
            r#"{"from":"a1","kind":"rest","connection":"c","model":"openai/gpt","ms":1500,"reason":"rate_limited"}"#
        );
        assert_eq!(serde_json::from_str::<Envelope>(&json).unwrap(), e);
        assert!(serde_json::from_str::<Envelope>(r#"{"from":"a","kind":"nope"}"#).is_err());
    }

    #[test]
    fn answers_round_trip_and_garbage_is_refused() {
        let answer = Captured {
            status: StatusCode::CREATED,
            headers: vec![(
                HeaderName::from_static("content-type"),
                HeaderValue::from_static("application/json"),
            )],
            body: Bytes::from_static(b"{\"id\":1}\x00\xff"),
        };
        let bytes = encode_answer(&answer);
        let back = decode_answer(&bytes).unwrap();
        assert_eq!(
            (back.status, &back.headers, &back.body),
            (answer.status, &answer.headers, &answer.body)
        );
        for cut in 0..bytes.len() - 10 {
            assert!(decode_answer(&bytes[..cut]).is_none(), "cut at {cut}");
        }
        assert!(decode_answer(b"\x00\x00\x00\x00").is_none());
    }
}
