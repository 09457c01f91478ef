//! Errors of the client-facing API, rendered in the client's own format with the right status.

use axum::http::HeaderValue;
use axum::response::Response;
use omniroute_formats::{ErrorInfo, ErrorKind, Format, FormatError};

#[derive(Debug, thiserror::Error)]
pub enum ProxyError {
    /// 400: the request body cannot be understood.
    #[error("{0}")]
    BadRequest(FormatError),
    /// 400: a request that parses but cannot be served as asked.
    #[error("{0}")]
    Invalid(String),
    /// 404: no combo, alias or `prefix/model` matches.
    #[error(
        "model '{0}' not found: use provider/model (e.g. openai/gpt-4o) with a connected provider; GET /v1/models lists what is routable"
    )]
    UnknownModel(String),
    /// 404: no such path on the client-facing API.
    #[error("no route for {0}")]
    NoRoute(String),
    /// 404: the provider exists but no enabled connection serves it.
    #[error("no enabled connection for provider '{0}': add one with POST /api/providers")]
    NoConnection(String),
    /// 413: the body exceeds the limit.
    #[error("request body is larger than {limit_mb} MB")]
    TooLarge { limit_mb: usize },
    /// The upstream answered with an error; its status and message are kept.
    #[error("{provider}: {}", .error.message)]
    Upstream {
        provider: String,
        error: ErrorInfo,
        retry_after_ms: Option<u64>,
    },
    /// 429: every account that could serve is at its local rate limit and its queue is full.
    #[error("rate limited by OmniRoute: every account is at its request limit; retry in {} s", .retry_after_ms.div_ceil(1000))]
    Throttled { retry_after_ms: u64 },
    /// 401: `REQUIRE_API_KEY` is on and the request has no valid key.
    #[error("{0}")]
    Unauthorized(String),
    /// 403: the caller's address or Host is refused by access control.
    #[error("{0}")]
    Forbidden(String),
    /// 429: the caller's API key is over one of its budgets.
    #[error("{message}")]
    OverBudget {
        message: String,
        retry_after_ms: u64,
    },
    /// 503: every target of a request failed; each reason is listed.
    #[error("{0}")]
    AllFailed(String),
    /// 502: the upstream could not be reached or sent something unreadable.
    #[error("{provider} is unreachable: {reason}")]
    Unreachable { provider: String, reason: String },
    /// 504: the upstream did not answer in time.
    #[error("{provider} did not answer in time")]
    Timeout { provider: String },
    /// 500/503: a fault of ours (database, secrets).
    #[error("{0}")]
    Internal(String),
    /// 503: the gateway is serving as many requests as it takes at once.
    #[error("OmniRoute is serving its maximum of {0} requests at once; retry in a second")]
    Busy(usize),
}

impl ProxyError {
    /// The status the upstream answered, when this is an upstream's error answer.
    pub fn upstream_status(&self) -> Option<u16> {
        match self {
            Self::Upstream { error, .. } => Some(error.status),
            _ => None,
        }
    }

    pub fn to_error_info(&self) -> ErrorInfo {
        let message = self.to_string();
        match self {
            Self::BadRequest(e) => e.to_error_info(),
            Self::Invalid(_) => ErrorInfo::invalid(message),
            Self::UnknownModel(_) | Self::NoConnection(_) => {
                ErrorInfo::new(ErrorKind::NotFound, message).with_param("model")
            }
            Self::NoRoute(_) => ErrorInfo::new(ErrorKind::NotFound, message),
            Self::TooLarge { .. } => ErrorInfo::new(ErrorKind::RequestTooLarge, message),
            Self::Upstream { error, .. } => ErrorInfo {
                message,
                ..error.clone()
            },
            Self::AllFailed(_) => ErrorInfo::new(ErrorKind::Unavailable, message),
            Self::Unauthorized(_) => ErrorInfo::new(ErrorKind::Authentication, message),
            Self::Forbidden(_) => ErrorInfo::new(ErrorKind::PermissionDenied, message),
            Self::OverBudget { .. } => ErrorInfo::new(ErrorKind::RateLimited, message),
            Self::Throttled { .. } => ErrorInfo::new(ErrorKind::RateLimited, message),
            Self::Unreachable { .. } => ErrorInfo {
                status: 502,
                ..ErrorInfo::new(ErrorKind::Unavailable, message)
            },
            Self::Timeout { .. } => ErrorInfo::new(ErrorKind::Timeout, message),
            Self::Internal(_) => ErrorInfo::new(ErrorKind::Server, message),
            Self::Busy(_) => ErrorInfo::new(ErrorKind::Unavailable, message),
        }
    }

    /// The response a client of `format` gets for this error.
    pub fn into_response_for(self, format: Format) -> Response {
        let mut response = error_response(format, &self.to_error_info());
        let retry_after_ms = match self {
            Self::Throttled { retry_after_ms } | Self::OverBudget { retry_after_ms, .. } => {
                Some(retry_after_ms)
            }
            Self::Busy(_) => Some(1000),
            _ => None,
        };
        if let Some(ms) = retry_after_ms {
            if let Ok(value) = HeaderValue::from_str(&ms.div_ceil(1000).max(1).to_string()) {
                response.headers_mut().insert("retry-after", value);
            }
        }
        response
    }
}

pub use crate::client_api::error_response;

impl From<omniroute_store::StoreError> for ProxyError {
    fn from(e: omniroute_store::StoreError) -> Self {
        tracing::error!(error = %e, "store error on the request path");
        Self::Internal(e.to_string())
    }
}

impl From<omniroute_store::SecretError> for ProxyError {
    fn from(e: omniroute_store::SecretError) -> Self {
        tracing::error!(error = %e, "secret store error on the request path");
        Self::Internal(format!("cannot read the connection's credential: {e}"))
    }
}

impl From<omniroute_providers::UpstreamError> for ProxyError {
    fn from(e: omniroute_providers::UpstreamError) -> Self {
        use omniroute_providers::UpstreamError as E;
        match e {
            E::Request(e) => Self::BadRequest(e),
            unsupported @ E::Unsupported { .. } => Self::Invalid(unsupported.to_string()),
            E::Status {
                provider,
                error,
                retry_after_ms,
            } => Self::Upstream {
                provider,
                error,
                retry_after_ms,
            },
            E::Unreachable { provider, reason } => Self::Unreachable { provider, reason },
            E::Timeout { provider } => Self::Timeout { provider },
        }
    }
}
