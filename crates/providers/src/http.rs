//! Upstream I/O: one prepared request sent through the pooled client of the target's proxy, with
//! its credential; an error answer read (bounded) and decoded by the adapter; whole answers read
//! with a size cap; retry hints from `Retry-After` and rate-limit reset headers; transport
//! failures described without the URL (a base URL can name an internal host or carry a key).

use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use reqwest::Method;

use crate::adapter::Adapter;
use crate::error::UpstreamError;
use crate::outbound::Clients;
use crate::target::Target;
use omniroute_formats::{ErrorInfo, ErrorKind};

/// Longest upstream error body read (the rest is not worth holding).
const MAX_ERROR_BODY: usize = 1024 * 1024;

/// Longest whole (non-streamed) answer read from an upstream: a broken or hostile upstream must
/// not fill the gateway's memory.
pub const MAX_ANSWER_BODY: usize = 64 * 1024 * 1024;

/// One HTTP request to an upstream, before its credential is added.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub method: Method,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<Vec<u8>>,
}

impl Prepared {
    /// A request to `url` with the target's fixed headers.
    pub fn new(target: &Target, method: Method, url: String) -> Self {
        Self {
            method,
            url,
            headers: target.headers.clone(),
            body: None,
        }
    }

    pub fn header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.retain(|(k, _)| !k.eq_ignore_ascii_case(name));
        self.headers.push((name.to_owned(), value.into()));
        self
    }

    pub fn body(mut self, body: Vec<u8>) -> Self {
        self.body = Some(body);
        self
    }
}

/// Who hears of the quota headers of every answer (the gateway's quota book).
pub trait QuotaSink: Sync {
    fn observe(&self, account: &str, windows: Vec<crate::quota::Window>);
}

/// One target reached through one adapter: what every adapter sends through.
#[derive(Clone, Copy)]
pub struct Upstream<'a> {
    pub clients: &'a Clients,
    pub target: &'a Target,
    pub adapter: &'a dyn Adapter,
    pub quota: Option<&'a dyn QuotaSink>,
}

impl Upstream<'_> {
    fn provider(&self) -> &str {
        &self.target.provider
    }

    /// Sends `prepared` with the target's credential. A non-2xx answer is
    /// `UpstreamError::Status` with the upstream's status and message (decoded by the adapter)
    /// and its retry hint; a redirect is refused (followed, it would carry the key elsewhere).
    pub async fn send(&self, prepared: Prepared) -> Result<reqwest::Response, UpstreamError> {
        let client = self
            .clients
            .get(self.target.proxy.as_ref())
            .map_err(|reason| UpstreamError::unreachable(self.provider(), reason))?;
        let mut builder = client.request(prepared.method, &prepared.url);
        for (name, value) in &prepared.headers {
            builder = builder.header(name, value);
        }
        if let Some((name, value)) = self
            .target
            .api_key
            .as_ref()
            .and_then(|key| self.target.auth.header(key.expose()))
        {
            builder = builder.header(name, value);
        }
        if let Some(body) = prepared.body {
            builder = builder.body(body);
        }
        let response = builder
            .send()
            .await
            .map_err(|e| transport_error(self.provider(), &e))?;
        // Most answers carry no quota headers: they are looked for only when one is there.
        if let Some(sink) = self.quota
            && response
                .headers()
                .keys()
                .any(|k| crate::quota::is_quota_header(k.as_str()))
        {
            let headers = response
                .headers()
                .iter()
                .filter_map(|(k, v)| Some((k.as_str(), v.to_str().ok()?)));
            let windows = crate::quota::from_headers(headers, now_unix_ms_i64());
            if !windows.is_empty() {
                sink.observe(&self.target.account, windows);
            }
        }
        let status = response.status();
        if status.is_success() {
            return self.within_plan(response);
        }
        if status.is_redirection() {
            return Err(UpstreamError::unreachable(
                self.provider(),
                format!(
                    "it answered with a redirect ({}), which OmniRoute does not follow; check \
                     the provider's base URL",
                    status.as_u16()
                ),
            ));
        }
        let retry_after_ms = retry_hint(response.headers());
        let body = read_limited(response, MAX_ERROR_BODY).await;
        Err(UpstreamError::Status {
            provider: self.provider().to_owned(),
            error: self
                .adapter
                .decode_error(self.target, status.as_u16(), &body),
            retry_after_ms,
        })
    }

    /// A served answer, unless it was billed past the plan's limits (Claude's extra usage) for
    /// an account that keeps to its plan: that one counts as the plan used up (a 429 until the
    /// plan resets), so the account rests and the next target serves. Dropped at the headers,
    /// a streamed answer stops before most of it is generated.
    fn within_plan(&self, response: reqwest::Response) -> Result<reqwest::Response, UpstreamError> {
        if !self.target.plan_limits_only {
            return Ok(response);
        }
        let headers = response
            .headers()
            .iter()
            .filter_map(|(k, v)| Some((k.as_str(), v.to_str().ok()?)));
        let Some(resets_at) = crate::quota::drawn_from_extra_usage(headers) else {
            return Ok(response);
        };
        let now = now_unix_ms_i64();
        Err(UpstreamError::Status {
            provider: self.provider().to_owned(),
            error: ErrorInfo::new(
                ErrorKind::RateLimited,
                "the plan's usage limit is reached and this account keeps to its plan limits \
                 (no extra usage)",
            ),
            retry_after_ms: resets_at
                .filter(|at| *at > now)
                .and_then(|at| u64::try_from(at - now).ok()),
        })
    }

    /// Sends `prepared` and reads the whole answer.
    pub async fn fetch(&self, prepared: Prepared) -> Result<Bytes, UpstreamError> {
        let response = self.send(prepared).await?;
        self.read_answer(response).await
    }

    /// An answer's bytes as they arrive; a transport failure described without the URL.
    fn body_of(&self, response: reqwest::Response) -> crate::AnswerBody {
        use futures_util::TryStreamExt;
        let provider = self.provider().to_owned();
        Box::pin(
            response
                .bytes_stream()
                .map_err(move |e| transport_error(&provider, &e).to_string()),
        )
    }

    /// A chat answer's body in the carrier format (through the adapter's `chat_answer`).
    pub fn chat_answer(&self, response: reqwest::Response, stream: bool) -> crate::AnswerBody {
        self.adapter
            .chat_answer(self.target, self.body_of(response), stream)
    }

    /// A whole body, read with the size cap.
    pub async fn read_body(&self, mut body: crate::AnswerBody) -> Result<Bytes, UpstreamError> {
        use futures_util::StreamExt;
        let mut out = Vec::new();
        while let Some(chunk) = body.next().await {
            let chunk =
                chunk.map_err(|reason| UpstreamError::unreachable(self.provider(), reason))?;
            if out.len() + chunk.len() > MAX_ANSWER_BODY {
                return Err(UpstreamError::unreachable(
                    self.provider(),
                    format!(
                        "its answer is larger than {} MB",
                        MAX_ANSWER_BODY / (1024 * 1024)
                    ),
                ));
            }
            out.extend_from_slice(&chunk);
        }
        Ok(out.into())
    }

    /// A whole answer, refused (as the upstream's failure) past `MAX_ANSWER_BODY`.
    pub async fn read_answer(&self, response: reqwest::Response) -> Result<Bytes, UpstreamError> {
        self.read_body(self.body_of(response)).await
    }
}

async fn read_limited(mut response: reqwest::Response, limit: usize) -> Vec<u8> {
    let mut out = Vec::new();
    while let Ok(Some(chunk)) = response.chunk().await {
        let room = limit.saturating_sub(out.len());
        out.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if out.len() >= limit {
            break;
        }
    }
    out
}

/// A failed upstream call as the client hears of it: a timeout, or what broke — never where.
pub fn transport_error(provider: &str, e: &reqwest::Error) -> UpstreamError {
    if e.is_timeout() {
        return UpstreamError::Timeout {
            provider: provider.to_owned(),
        };
    }
    // reqwest's Display hides the cause ("error sending request"); the source says what broke.
    let mut reason = strip_url(&e.to_string());
    let mut source = std::error::Error::source(e);
    while let Some(inner) = source {
        reason = format!("{reason}: {}", strip_url(&inner.to_string()));
        source = inner.source();
    }
    UpstreamError::unreachable(provider, reason)
}

/// reqwest's messages without the ` for url (…)` they carry.
fn strip_url(message: &str) -> String {
    match message.find(" for url (") {
        Some(start) => {
            let rest = &message[start..];
            let end = rest.find(')').map_or(message.len(), |e| start + e + 1);
            format!("{}{}", &message[..start], &message[end..])
        }
        None => message.to_owned(),
    }
}

/// How long the upstream asked us to wait: `Retry-After` (seconds), or OpenAI's
/// `x-ratelimit-reset-*` durations (`1s`, `250ms`, `6m0s`).
pub fn retry_hint(headers: &reqwest::header::HeaderMap) -> Option<u64> {
    if let Some(ms) = headers
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| omniroute_routing::cooldown::hint_ms(v, now_unix_ms()))
    {
        return Some(ms);
    }
    [
        "x-ratelimit-reset-requests",
        "x-ratelimit-reset-tokens",
        "x-ratelimit-reset",
    ]
    .iter()
    .filter_map(|name| {
        headers
            .get(*name)
            .and_then(|v| v.to_str().ok())
            .and_then(go_duration_ms)
    })
    .max()
}

fn now_unix_ms_i64() -> i64 {
    i64::try_from(now_unix_ms()).unwrap_or(i64::MAX)
}

fn now_unix_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(0))
}

/// `6m0s`, `1.5s`, `250ms` → milliseconds.
pub(crate) fn go_duration_ms(text: &str) -> Option<u64> {
    let mut total = 0.0;
    let mut number = String::new();
    let mut chars = text.trim().chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_ascii_digit() || c == '.' {
            number.push(c);
            continue;
        }
        let value: f64 = number.parse().ok()?;
        number.clear();
        total += match c {
            'h' => value * 3_600_000.0,
            'm' if chars.peek() == Some(&'s') => {
                chars.next();
                value
            }
            'm' => value * 60_000.0,
            's' => value * 1_000.0,
            _ => return None,
        };
    }
    if !number.is_empty() {
        total += number.parse::<f64>().ok()? * 1_000.0;
    }
    Some(total.ceil() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_errors_do_not_name_the_upstream_url() {
        assert_eq!(
            strip_url(
                "error sending request for url (http://10.1.2.3:8080/v1/chat/completions?key=AIza)"
            ),
            "error sending request"
        );
        assert_eq!(strip_url("connection refused"), "connection refused");
        assert_eq!(
            strip_url("error decoding response body for url (http://x/y): eof"),
            "error decoding response body: eof"
        );
    }

    #[test]
    fn retry_hints_in_every_spelling() {
        assert_eq!(go_duration_ms("6m0s"), Some(360_000));
        assert_eq!(go_duration_ms("250ms"), Some(250));
        assert_eq!(go_duration_ms("1.5s"), Some(1500));
        assert_eq!(go_duration_ms("2"), Some(2000));
        assert_eq!(go_duration_ms("x"), None);
    }
}
