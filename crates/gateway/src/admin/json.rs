//! A JSON body extractor whose rejections are `ApiError`s naming what is wrong. The body is read
//! as JSON whatever its `Content-Type`: the guide's `curl -d '{…}'` examples send
//! `application/x-www-form-urlencoded`, and refusing them would only annoy.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use serde::de::DeserializeOwned;

use crate::error::{ApiError, ErrorCode};

/// Largest management request body (imports have their own route and limit).
const MAX_BODY: usize = 2 * 1024 * 1024;

pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, _state: &S) -> Result<Self, Self::Rejection> {
        let bytes: Bytes = axum::body::to_bytes(req.into_body(), MAX_BODY)
            .await
            .map_err(|_| {
                ApiError::new(
                    ErrorCode::PayloadTooLarge,
                    "request body is larger than 2 MB",
                )
            })?;
        parse(&bytes).map(ApiJson)
    }
}

/// A JSON body as `T`, or an error naming the path of what is wrong.
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if inner.is_syntax() || inner.is_eof() {
            ApiError::invalid(format!("malformed JSON: {inner}"))
        } else if path == "." {
            ApiError::invalid(format!("invalid body: {inner}"))
        } else {
            ApiError::invalid(format!("invalid body: {path}: {inner}"))
        }
    })
}

/// A JSON body that may be absent: an empty body is `T::default()`.
pub struct OptionalJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Default> FromRequest<S> for OptionalJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = Bytes::from_request(req, state).await.map_err(|_| {
            ApiError::new(
                ErrorCode::PayloadTooLarge,
                "request body is larger than 2 MB",
            )
        })?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(Self(T::default()));
        }
        parse(&bytes).map(OptionalJson)
    }
}

/// A query-string extractor whose rejections are `ApiError`s (`?limit=abc` names the problem
/// in the API's error format instead of a plain-text 400).
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> axum::extract::FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _state: &S,
    ) -> Result<Self, Self::Rejection> {
        axum::extract::Query::try_from_uri(&parts.uri)
            .map(|axum::extract::Query(q)| ApiQuery(q))
            .map_err(|e| ApiError::invalid(format!("invalid query: {}", e.body_text())))
    }
}
