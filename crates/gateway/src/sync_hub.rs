//! The sync hub (`SYNC_HUB=true`): other devices' sealed snapshots, stored as opaque bytes under
//! `DATA_DIR/sync-hub/<group>/devices/<file>`. The hub never sees a key or a plaintext: groups
//! and files are random names, contents are ciphertext (see `omniroute-sync`).
//!
//! `GET /sync/v1/{group}/devices/` lists a group's files, `GET|PUT
//! /sync/v1/{group}/devices/{file}` reads or replaces one. Every request carries the group's
//! token (`Authorization: Bearer`, one-way from the group's key): the first write of a group
//! records the token's hash, and from then on other tokens are refused, so knowing a group id
//! is not enough to read or overwrite it. Off by default: a gateway answers 404 here unless it
//! was asked to be a hub.

use std::path::{Path, PathBuf};

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::AppState;
use crate::error::{ApiError, ErrorCode};

/// The largest object a device may store (a sealed, compressed snapshot is far smaller).
pub const MAX_OBJECT_BYTES: usize = 16 * 1024 * 1024;
/// Devices per group: more than any user has, few enough that a group cannot fill the disk.
const MAX_FILES: usize = 64;
const TOKEN_FILE: &str = ".token";

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Listing {
    pub files: Vec<ListedFile>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ListedFile {
    pub name: String,
    pub size: u64,
}

fn root(state: &AppState) -> Result<PathBuf, ApiError> {
    if !state.config.sync_hub {
        return Err(ApiError::not_found(
            "this OmniRoute is not a sync hub (start it with SYNC_HUB=true)",
        ));
    }
    Ok(state.config.data_dir.join("sync-hub"))
}

/// A group id: 32 lowercase hex digits.
fn group_dir(root: &Path, group: &str) -> Result<PathBuf, ApiError> {
    if group.len() == 32
        && group
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
    {
        Ok(root.join(group))
    } else {
        Err(ApiError::not_found("no such group"))
    }
}

/// A file name: letters, digits, `.`, `-`, `_`, not starting with a dot.
fn file_name(name: &str) -> Result<&str, ApiError> {
    let ok = (1..=100).contains(&name.len())
        && !name.starts_with('.')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'));
    if ok {
        Ok(name)
    } else {
        Err(ApiError::invalid(
            "file names are letters, digits, '.', '-' and '_'",
        ))
    }
}

fn token_hash(headers: &HeaderMap) -> Result<String, ApiError> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| ApiError::new(ErrorCode::Unauthorized, "the group's token is missing"))?;
    Ok(Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

/// Checks the token against the group's; `claim` records it for a group seen the first time.
async fn authorize(dir: &Path, headers: &HeaderMap, claim: bool) -> Result<(), ApiError> {
    let presented = token_hash(headers)?;
    let file = dir.join(TOKEN_FILE);
    match tokio::fs::read_to_string(&file).await {
        Ok(known) if constant_time_eq(known.trim().as_bytes(), presented.as_bytes()) => Ok(()),
        Ok(_) => Err(ApiError::new(
            ErrorCode::Forbidden,
            "this token is not the group's",
        )),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && claim => {
            tokio::fs::create_dir_all(dir.join("devices"))
                .await
                .map_err(io_error)?;
            write_atomically(&file, presented.as_bytes()).await
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            Err(ApiError::not_found("no such group"))
        }
        Err(e) => Err(io_error(e)),
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    use subtle::ConstantTimeEq;
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

fn io_error(e: std::io::Error) -> ApiError {
    ApiError::new(ErrorCode::Internal, format!("hub storage: {e}"))
}

/// Writes through a temporary file of its own (two devices' first writes to a new group race
/// for its token file), then renames it into place.
async fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), ApiError> {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.{n}.upload"));
    tokio::fs::write(&tmp, bytes).await.map_err(io_error)?;
    tokio::fs::rename(&tmp, path).await.map_err(io_error)
}

/// `GET /sync/v1/{group}/devices/`.
pub async fn list(
    State(state): State<AppState>,
    UrlPath(group): UrlPath<String>,
    headers: HeaderMap,
) -> Result<Json<Listing>, ApiError> {
    let dir = group_dir(&root(&state)?, &group)?;
    authorize(&dir, &headers, false).await?;
    let mut files = Vec::new();
    let mut entries = tokio::fs::read_dir(dir.join("devices"))
        .await
        .map_err(io_error)?;
    while let Some(entry) = entries.next_entry().await.map_err(io_error)? {
        let name = entry.file_name().to_string_lossy().into_owned();
        let meta = entry.metadata().await.map_err(io_error)?;
        if meta.is_file() && file_name(&name).is_ok() && !name.ends_with(".upload") {
            files.push(ListedFile {
                name,
                size: meta.len(),
            });
        }
    }
    files.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(Json(Listing { files }))
}

/// `GET /sync/v1/{group}/devices/{file}`.
pub async fn get(
    State(state): State<AppState>,
    UrlPath((group, name)): UrlPath<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let dir = group_dir(&root(&state)?, &group)?;
    authorize(&dir, &headers, false).await?;
    let path = dir.join("devices").join(file_name(&name)?);
    match tokio::fs::read(&path).await {
        Ok(bytes) => {
            Ok(([(header::CONTENT_TYPE, "application/octet-stream")], bytes).into_response())
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            Err(ApiError::not_found(format!("no file '{name}'")))
        }
        Err(e) => Err(io_error(e)),
    }
}

/// `PUT /sync/v1/{group}/devices/{file}`: replaces the file whole (readers never see half).
pub async fn put(
    State(state): State<AppState>,
    UrlPath((group, name)): UrlPath<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<StatusCode, ApiError> {
    let dir = group_dir(&root(&state)?, &group)?;
    let name = file_name(&name)?;
    if body.len() > MAX_OBJECT_BYTES {
        return Err(ApiError::new(
            ErrorCode::PayloadTooLarge,
            format!("objects are at most {MAX_OBJECT_BYTES} bytes"),
        ));
    }
    authorize(&dir, &headers, true).await?;
    let devices = dir.join("devices");
    let path = devices.join(name);
    let exists = tokio::fs::try_exists(&path).await.map_err(io_error)?;
    if !exists {
        let mut count = 0;
        let mut entries = tokio::fs::read_dir(&devices).await.map_err(io_error)?;
        while entries.next_entry().await.map_err(io_error)?.is_some() {
            count += 1;
        }
        if count >= MAX_FILES {
            return Err(ApiError::new(
                ErrorCode::Conflict,
                format!("a group holds at most {MAX_FILES} files"),
            ));
        }
    }
    write_atomically(&path, &body).await?;
    Ok(if exists {
        StatusCode::NO_CONTENT
    } else {
        StatusCode::CREATED
    })
}
