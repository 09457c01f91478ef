//! Errors of the management API (`/api`): `{"error": {"code", "message"}}` with a code the
//! dashboard matches on. Each variant of a crate's error type maps to exactly one code here.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// Machine-readable error codes shared with the dashboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// 400: the request body or a parameter is malformed.
    InvalidRequest,
    /// 401: a session is required and none (or an invalid one) was presented, or a wrong
    /// password.
    Unauthorized,
    /// 403: refused by access control (IP lists, Host or Origin checks).
    Forbidden,
    /// 404: no such resource or path.
    NotFound,
    /// 405: the path exists but not with this method.
    MethodNotAllowed,
    /// 409: a unique name or prefix is already taken.
    Conflict,
    /// 413: the body is larger than allowed.
    PayloadTooLarge,
    /// 415: the body is not JSON.
    UnsupportedMediaType,
    /// 429: too many attempts (login lockout); `Retry-After` says for how long.
    TooManyRequests,
    /// 500: a fault of ours; the message says what failed.
    Internal,
    /// 503: a dependency (the database) is unavailable.
    Unavailable,
}

impl ErrorCode {
    pub fn status(self) -> StatusCode {
        match self {
            Self::InvalidRequest => StatusCode::BAD_REQUEST,
            Self::Unauthorized => StatusCode::UNAUTHORIZED,
            Self::Forbidden => StatusCode::FORBIDDEN,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::Conflict => StatusCode::CONFLICT,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
            Self::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            Self::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidRequest, message)
    }
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::NotFound, message)
    }
}

#[derive(Serialize)]
struct Body<'a> {
    error: Detail<'a>,
}

#[derive(Serialize)]
struct Detail<'a> {
    code: ErrorCode,
    message: &'a str,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = Body {
            error: Detail {
                code: self.code,
                message: &self.message,
            },
        };
        (self.code.status(), Json(body)).into_response()
    }
}

impl From<omniroute_store::StoreError> for ApiError {
    fn from(e: omniroute_store::StoreError) -> Self {
        use omniroute_store::StoreError as E;
        let code = match &e {
            E::Conflict(_) => ErrorCode::Conflict,
            E::InvalidBackup(_) => ErrorCode::InvalidRequest,
            E::NotFound(_) => ErrorCode::NotFound,
            E::Open { .. } | E::Database(_) => ErrorCode::Unavailable,
            E::NewerSchema { .. }
            | E::Migrate { .. }
            | E::Corrupt { .. }
            | E::Secret(_)
            | E::Url(_)
            | E::Io { .. } => ErrorCode::Internal,
        };
        tracing::error!(error = %e, "store error");
        Self::new(code, e.to_string())
    }
}
