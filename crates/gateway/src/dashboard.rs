//! The dashboard's built files, embedded at compile time (see `build.rs`), served at `/` and
//! `/assets/…`. Hashed assets are cached for good; `index.html` is always revalidated.

use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

include!(concat!(env!("OUT_DIR"), "/ui_assets.rs"));

/// Where the page may load from: only this gateway (inline styles are Svelte's own).
const CSP: &str = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; \
                   connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'";

fn asset_response(path: &str, immutable: bool) -> Option<Response> {
    let (_, content_type, bytes) = ASSETS.iter().find(|(p, _, _)| *p == path)?;
    let mut response = (StatusCode::OK, *bytes).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(if immutable {
            "public, max-age=31536000, immutable"
        } else {
            "no-cache"
        }),
    );
    headers.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    if !immutable {
        headers.insert("content-security-policy", HeaderValue::from_static(CSP));
        headers.insert("x-frame-options", HeaderValue::from_static("DENY"));
    }
    Some(response)
}

pub async fn index() -> Response {
    asset_response("/index.html", false)
        .unwrap_or_else(|| (StatusCode::NOT_FOUND, "dashboard missing").into_response())
}

pub async fn asset(Path(path): Path<String>) -> Response {
    match asset_response(&format!("/assets/{path}"), true) {
        Some(response) => response,
        None => crate::error::ApiError::not_found(format!("no dashboard file /assets/{path}"))
            .into_response(),
    }
}
