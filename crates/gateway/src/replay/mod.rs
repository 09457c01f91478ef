//! Answers served again instead of calling upstream: the response cache (identical
//! deterministic requests) and idempotency (a retried request within seconds).

pub mod cache;
pub mod idempotency;

use axum::body::{Body, Bytes};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::Response;

/// A finished answer, kept to be sent again.
#[derive(Debug, Clone)]
pub struct Captured {
    pub status: StatusCode,
    /// The headers worth repeating (content type, route, cache state).
    pub headers: Vec<(HeaderName, HeaderValue)>,
    pub body: Bytes,
}

/// Headers of an answer that a replay repeats.
const KEPT: &[&str] = &["content-type", "x-omniroute-route", "x-omniroute-cache"];

impl Captured {
    pub fn new(status: StatusCode, headers: &axum::http::HeaderMap, body: Bytes) -> Self {
        let headers = KEPT
            .iter()
            .filter_map(|name| {
                let value = headers.get(*name)?;
                Some((HeaderName::from_static(name), value.clone()))
            })
            .collect();
        Self {
            status,
            headers,
            body,
        }
    }

    pub fn size(&self) -> usize {
        self.body.len()
            + self
                .headers
                .iter()
                .map(|(n, v)| n.as_str().len() + v.len())
                .sum::<usize>()
    }

    /// The answer as bytes, for the other instances: status, header count, (name length,
    /// name, value length, value)…, body; big-endian.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.size() + 16);
        out.extend_from_slice(&self.status.as_u16().to_be_bytes());
        let count = u16::try_from(self.headers.len()).unwrap_or(u16::MAX);
        out.extend_from_slice(&count.to_be_bytes());
        for (name, value) in self.headers.iter().take(usize::from(count)) {
            for part in [name.as_str().as_bytes(), value.as_bytes()] {
                let len = u32::try_from(part.len()).unwrap_or(0);
                out.extend_from_slice(&len.to_be_bytes());
                out.extend_from_slice(&part[..len as usize]);
            }
        }
        out.extend_from_slice(&self.body);
        out
    }

    /// The answer `encode` wrote; `None` for anything else.
    pub fn decode(bytes: &[u8]) -> Option<Self> {
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
        Some(Self {
            status,
            headers,
            body: Bytes::copy_from_slice(rest),
        })
    }

    /// The answer again, with `extra` headers added.
    pub fn response(&self, extra: &[(&'static str, &'static str)]) -> Response {
        let mut response = Response::new(Body::from(self.body.clone()));
        *response.status_mut() = self.status;
        let headers = response.headers_mut();
        for (name, value) in &self.headers {
            headers.insert(name.clone(), value.clone());
        }
        for (name, value) in extra {
            headers.insert(*name, HeaderValue::from_static(value));
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let bytes = answer.encode();
        let back = Captured::decode(&bytes).unwrap();
        assert_eq!(
            (back.status, &back.headers, &back.body),
            (answer.status, &answer.headers, &answer.body)
        );
        for cut in 0..bytes.len() - 10 {
            assert!(Captured::decode(&bytes[..cut]).is_none(), "cut at {cut}");
        }
        assert!(Captured::decode(b"\x00\x00\x00\x00").is_none());
    }
}
