//! What can go wrong talking to an upstream, as the gateway needs to tell it apart: the request
//! could not be sent as asked, the provider does not serve the operation, the upstream answered
//! an error (its status and message kept), could not be reached, or did not answer in time.

use omniroute_formats::{ErrorInfo, FormatError};

#[derive(Debug, thiserror::Error)]
pub enum UpstreamError {
    /// The request cannot go to this upstream as asked (the client's fault: a `400`).
    #[error("{0}")]
    Request(FormatError),
    /// The provider has no API for this operation.
    #[error("provider '{provider}' does not serve {what} through OmniRoute")]
    Unsupported {
        provider: String,
        what: &'static str,
    },
    /// The upstream answered with an error.
    #[error("{provider}: {}", .error.message)]
    Status {
        provider: String,
        error: ErrorInfo,
        /// How long the upstream asked us to wait (`Retry-After`, rate-limit reset headers).
        retry_after_ms: Option<u64>,
    },
    /// No answer could be read: connection refused, reset, TLS, a redirect, an unreadable or
    /// oversized body.
    #[error("{provider} is unreachable: {reason}")]
    Unreachable { provider: String, reason: String },
    #[error("{provider} did not answer in time")]
    Timeout { provider: String },
}

impl UpstreamError {
    pub(crate) fn unreachable(provider: &str, reason: impl Into<String>) -> Self {
        Self::Unreachable {
            provider: provider.to_owned(),
            reason: reason.into(),
        }
    }

    /// An answer that does not parse as the upstream's format.
    pub fn invalid_answer(provider: &str, error: &FormatError) -> Self {
        Self::unreachable(provider, format!("it sent an invalid response ({error})"))
    }

    /// A failure the upstream reported inside a successful answer (a failed transcription, a
    /// filtered image), with the status the client should see.
    pub fn reported(provider: &str, error: ErrorInfo) -> Self {
        Self::Status {
            provider: provider.to_owned(),
            error,
            retry_after_ms: None,
        }
    }
}
