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
