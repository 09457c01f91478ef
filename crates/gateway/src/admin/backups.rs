//! `/api/db-backups`: `export` (a consistent copy of the database), `exportAll` (a `.tar.gz`
//! with a copy stripped of every secret and the settings, combos, providers and API keys as
//! JSON, none with a credential) and `import` (a multipart upload, size-capped while it is read,
//! checked by the store before it replaces anything). Copies are scratch files under
//! `DATA_DIR/backups`, streamed out and removed once sent.

use std::io::Write;
use std::path::{Path, PathBuf};

use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::extract::multipart::{Multipart, MultipartError, MultipartRejection};
use axum::http::{StatusCode, header};
use axum::response::Response;
use omniroute_store::backups::{ApiKeyRecord, MAX_IMPORT_BYTES, TempFile, utc_stamp};
use omniroute_store::combos::Combo;
use omniroute_store::nodes::ProviderNode;
use omniroute_store::{StoreError, now_ms};
use serde::Serialize;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::AppState;
use crate::error::{ApiError, ErrorCode};

/// The import route's body limit: the file cap plus room for the multipart framing, so an
/// upload just over the cap still reaches the handler and gets its 413 with a message.
pub const IMPORT_BODY_LIMIT: usize = 101 * 1024 * 1024;

/// Read size when streaming a copy out.
const CHUNK: usize = 64 * 1024;

fn io_error(path: &Path) -> impl Fn(std::io::Error) -> ApiError + '_ {
    move |source| {
        ApiError::from(StoreError::Io {
            path: path.to_path_buf(),
            source,
        })
    }
}

/// Streams `file` as an attachment; the scratch file is removed once the body is dropped.
async fn attachment(file: TempFile, content_type: &str, name: &str) -> Result<Response, ApiError> {
    let handle = tokio::fs::File::open(file.path())
        .await
        .map_err(io_error(file.path()))?;
    let len = handle
        .metadata()
        .await
        .map_err(io_error(file.path()))?
        .len();
    // The scratch file is removed as soon as its last bytes are read (the handle closed first,
    // for Windows), not whenever the body happens to be dropped.
    let body = futures_util::stream::try_unfold(Some((handle, file, len)), |state| async move {
        let Some((mut handle, file, remaining)) = state else {
            return Ok::<_, std::io::Error>(None);
        };
        if remaining == 0 {
            drop(handle);
            drop(file);
            return Ok(None);
        }
        let want = usize::try_from(remaining).map_or(CHUNK, |r| r.min(CHUNK));
        let mut buf = vec![0u8; want];
        handle.read_exact(&mut buf).await?;
        let remaining = remaining.saturating_sub(u64::try_from(want).unwrap_or(u64::MAX));
        let next = if remaining == 0 {
            drop(handle);
            drop(file);
            None
        } else {
            Some((handle, file, remaining))
        };
        Ok(Some((Bytes::from(buf), next)))
    });
    Response::builder()
        .header(header::CONTENT_TYPE, content_type)
        .header(header::CONTENT_LENGTH, len)
        .header(
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{name}\""),
        )
        .header(header::CACHE_CONTROL, "no-store")
        .body(Body::from_stream(body))
        .map_err(|e| ApiError::new(ErrorCode::Internal, e.to_string()))
}

/// `GET /api/db-backups/export`
pub async fn export(State(state): State<AppState>) -> Result<Response, ApiError> {
    let copy = state.store.export_copy().await?;
    let name = format!("omniroute-{}.sqlite", utc_stamp(now_ms()));
    attachment(copy, "application/vnd.sqlite3", &name).await
}

/// A provider connection as `providers.json` shows it: no key, no secret name.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct ConnectionRecord {
    id: String,
    provider: String,
    name: String,
    auth_kind: String,
    has_credential: bool,
    base_url: Option<String>,
    priority: i64,
    enabled: bool,
    created_at: i64,
    updated_at: i64,
}

#[derive(Debug, Serialize)]
struct Providers {
    connections: Vec<ConnectionRecord>,
    nodes: Vec<ProviderNode>,
}

#[derive(Debug, Serialize)]
struct Combos {
    combos: Vec<Combo>,
    #[serde(rename = "fallbackChains")]
    fallback_chains: std::collections::BTreeMap<String, Vec<String>>,
}

#[derive(Debug, Serialize)]
struct ApiKeys {
    keys: Vec<ApiKeyRecord>,
}

fn to_json<T: Serialize>(name: &str, value: &T) -> Result<(String, Vec<u8>), ApiError> {
    serde_json::to_vec_pretty(value)
        .map(|bytes| (name.to_owned(), bytes))
        .map_err(|e| ApiError::new(ErrorCode::Internal, format!("cannot write {name}: {e}")))
}

/// `GET /api/db-backups/exportAll`
pub async fn export_all(State(state): State<AppState>) -> Result<Response, ApiError> {
    let store = &state.store;
    let connections = store
        .connections()
        .await?
        .into_iter()
        .map(|c| ConnectionRecord {
            has_credential: c.secret_name.is_some(),
            id: c.id,
            provider: c.provider,
            name: c.name,
            auth_kind: c.auth_kind,
            base_url: c.base_url,
            priority: c.priority,
            enabled: c.enabled,
            created_at: c.created_at,
            updated_at: c.updated_at,
        })
        .collect();
    let documents = vec![
        to_json("settings.json", &store.shareable_settings().await?)?,
        to_json(
            "combos.json",
            &Combos {
                combos: store.combos().await?,
                fallback_chains: store.fallback_chains().await?.into_iter().collect(),
            },
        )?,
        to_json(
            "providers.json",
            &Providers {
                connections,
                nodes: store.nodes().await?,
            },
        )?,
        to_json(
            "api-keys.json",
            &ApiKeys {
                keys: store.api_key_records().await?,
            },
        )?,
    ];
    let database = store.export_redacted_copy().await?;
    let archive = store.temp_file("export-all", "tar.gz")?;
    let (db_path, archive_path) = (database.path().to_path_buf(), archive.path().to_path_buf());
    tokio::task::spawn_blocking(move || write_archive(&archive_path, &db_path, &documents))
        .await
        .map_err(|e| ApiError::new(ErrorCode::Internal, format!("archive task failed: {e}")))?
        .map_err(io_error(archive.path()))?;
    drop(database);
    let name = format!("omniroute-backup-{}.tar.gz", utc_stamp(now_ms()));
    attachment(archive, "application/gzip", &name).await
}

/// Writes `omniroute.sqlite` and the JSON documents into a gzip'd tar at `archive`.
fn write_archive(
    archive: &Path,
    database: &Path,
    documents: &[(String, Vec<u8>)],
) -> std::io::Result<()> {
    let out = std::fs::File::create(archive)?;
    omniroute_store::restrict_to_owner(archive);
    let gzip = flate2::write::GzEncoder::new(out, flate2::Compression::default());
    let mut tar = tar::Builder::new(gzip);
    let mtime = u64::try_from(now_ms() / 1000).unwrap_or(0);
    let mut db = std::fs::File::open(database)?;
    let mut header = tar::Header::new_gnu();
    header.set_size(db.metadata()?.len());
    header.set_mode(0o600);
    header.set_mtime(mtime);
    header.set_cksum();
    tar.append_data(&mut header, "omniroute.sqlite", &mut db)?;
    for (name, bytes) in documents {
        let mut header = tar::Header::new_gnu();
        header.set_size(u64::try_from(bytes.len()).unwrap_or(u64::MAX));
        header.set_mode(0o600);
        header.set_mtime(mtime);
        header.set_cksum();
        tar.append_data(&mut header, name, bytes.as_slice())?;
    }
    let mut out = tar.into_inner()?.finish()?;
    out.flush()?;
    out.sync_all()
}

fn multipart_error(e: MultipartError) -> ApiError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        too_large()
    } else {
        ApiError::invalid(format!("malformed multipart upload: {}", e.body_text()))
    }
}

fn too_large() -> ApiError {
    ApiError::new(
        ErrorCode::PayloadTooLarge,
        format!(
            "the database file is larger than the {} MB an import accepts",
            MAX_IMPORT_BYTES / (1024 * 1024)
        ),
    )
}

/// Writes the upload's first file field to `dest`; `Ok(false)` if it went over the cap.
async fn receive(multipart: &mut Multipart, dest: &Path) -> Result<bool, ApiError> {
    loop {
        let Some(mut field) = multipart.next_field().await.map_err(multipart_error)? else {
            return Err(ApiError::invalid(
                "no file in the upload: send the database as a multipart/form-data file field",
            ));
        };
        if field.file_name().is_none() {
            // A plain form value: skip it (the body limit bounds what is read).
            while field.chunk().await.map_err(multipart_error)?.is_some() {}
            continue;
        }
        let mut out = tokio::fs::File::create(dest)
            .await
            .map_err(io_error(dest))?;
        omniroute_store::restrict_to_owner(dest);
        let mut size: u64 = 0;
        while let Some(chunk) = field.chunk().await.map_err(multipart_error)? {
            size += u64::try_from(chunk.len()).unwrap_or(u64::MAX);
            if size > MAX_IMPORT_BYTES {
                // Read, without keeping, what is left (bounded by the route's body limit), so
                // the client, still sending, gets the 413 rather than a reset connection.
                while let Ok(Some(_)) = field.chunk().await {}
                return Ok(false);
            }
            out.write_all(&chunk).await.map_err(io_error(dest))?;
        }
        out.flush().await.map_err(io_error(dest))?;
        return Ok(true);
    }
}

#[derive(Debug, Serialize)]
pub struct ImportResponse {
    pub imported: bool,
    pub tables: std::collections::BTreeMap<String, i64>,
    pub backup: PathBuf,
}

/// `POST /api/db-backups/import`
pub async fn import(
    State(state): State<AppState>,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Json<ImportResponse>, ApiError> {
    let mut multipart = multipart.map_err(|e| {
        ApiError::invalid(format!(
            "send the database as multipart/form-data: {}",
            e.body_text()
        ))
    })?;
    let upload = state.store.temp_file("import", "sqlite")?;
    let complete = receive(&mut multipart, upload.path()).await?;
    // Whatever else the form holds is read and dropped, so the connection stays usable.
    while let Ok(Some(mut field)) = multipart.next_field().await {
        while let Ok(Some(_)) = field.chunk().await {}
    }
    if !complete {
        return Err(too_large());
    }
    let report = state.store.import_backup(upload.path()).await?;
    drop(upload);
    tracing::info!(backup = %report.backup.display(), "database imported");
    if let Err(e) = state.reload().await {
        // Typically credentials sealed with another installation's secret.key: put the
        // previous data back rather than run with data the request path cannot load.
        state.store.restore_backup(&report.backup).await.map_err(|undo| {
            ApiError::new(
                ErrorCode::Internal,
                format!(
                    "the imported data could not be loaded ({}) and undoing the import failed ({undo}); \
                     the previous database is saved at {}",
                    e,
                    report.backup.display()
                ),
            )
        })?;
        state.reload().await?;
        return Err(ApiError::invalid(format!(
            "the imported data could not be loaded ({}); the import was undone. A backup from \
             another installation also needs that installation's secret.key in DATA_DIR",
            e
        )));
    }
    // The password stays this installation's: an imported database (another installation's,
    // or a crafted one) never decides who can sign in here.
    let current = serde_json::to_value(state.access.password())
        .map_err(|e| ApiError::new(ErrorCode::Internal, e.to_string()))?;
    state
        .store
        .put_settings_sections(&[(crate::access::password::SECTION, &current)])
        .await?;
    // What was derived from the old data in memory goes.
    state.spend.clear();
    state.cache.clear();
    Ok(Json(ImportResponse {
        imported: true,
        tables: report.tables,
        backup: report.backup,
    }))
}
