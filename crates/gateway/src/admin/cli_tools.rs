//! `/api/cli-tools`: the coding tools on the gateway's machine (Claude Code, Codex, Gemini CLI,
//! OpenClaw, opencode, Continue; Cline, Roo Code and Cursor by hand) — detected, previewed,
//! pointed at this gateway, restored. `omniroute-cli-tools` does the work on the files; this
//! module picks the gateway address, the model and the tool's own API key, and runs the file
//! work off the async threads.
//!
//! Each tool gets one key of its own, made on first use ("Claude Code (CLI tools)") and kept in
//! the secret store so a second Apply, `omniroute run` and a Restore-then-Apply reuse it; a key
//! deleted on the Keys page is replaced by a new one.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, header};
use omniroute_cli_tools as tools;
use omniroute_store::SecretString;
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::accounting::keys;
use crate::admin::json::OptionalJson;
use crate::error::{ApiError, ErrorCode};

/// What a preview, an apply or a launch points the tool at.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Target {
    /// `provider/model`, a combo, or `auto`; default: the active combo.
    #[serde(default)]
    pub model: Option<String>,
    /// The gateway address the tool should use; default: the one this request came to.
    #[serde(default)]
    pub base_url: Option<String>,
    /// Apply only: the `planId` of the preview the user confirmed.
    #[serde(default)]
    pub plan_id: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RestoreBody {
    /// Default: the newest snapshot.
    #[serde(default)]
    pub snapshot_id: Option<String>,
}

/// `POST …/apply`'s answer: what was written, and where the tool points now.
#[derive(Debug, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct AppliedView {
    pub applied: tools::Applied,
    pub status: Option<tools::ToolStatus>,
}

/// `POST …/restore`'s answer.
#[derive(Debug, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct RestoredView {
    pub restored: tools::Restored,
    pub status: Option<tools::ToolStatus>,
}

/// `GET /api/cli-tools`.
pub async fn list(
    State(_state): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<Vec<tools::ToolStatus>>, ApiError> {
    let base = gateway_address(&headers, None);
    blocking(move || Ok(tools::detect(&context()?, &base))).await
}

/// `POST /api/cli-tools/{tool}/preview`: the exact change Apply would make, with masked diffs.
pub async fn preview(
    State(state): State<AppState>,
    Path(tool): Path<String>,
    headers: HeaderMap,
    OptionalJson(body): OptionalJson<Target>,
) -> Result<Json<tools::Preview>, ApiError> {
    let tool = tool_id(&tool)?;
    let settings = settings_for(&state, tool, &headers, body).await?;
    blocking(move || Ok(tools::plan(&context()?, tool, &settings.0)?.preview())).await
}

/// `POST /api/cli-tools/{tool}/apply`: plans again and writes, provided the files are still
/// those previewed (`planId`), after a snapshot.
pub async fn apply(
    State(state): State<AppState>,
    Path(tool): Path<String>,
    headers: HeaderMap,
    OptionalJson(body): OptionalJson<Target>,
) -> Result<Json<AppliedView>, ApiError> {
    let tool = tool_id(&tool)?;
    let plan_id = body.plan_id.clone();
    let (settings, base) = settings_for(&state, tool, &headers, body).await?;
    let snapshots = snapshots_dir(&state);
    blocking(move || {
        let ctx = context()?;
        let plan = tools::plan(&ctx, tool, &settings)?;
        let applied = match plan_id {
            Some(id) => tools::apply_previewed(&plan, &id, &snapshots)?,
            None => tools::apply(&plan, &snapshots)?,
        };
        tracing::info!(target: "omniroute::audit", tool = tool.as_str(), files = ?applied.files, "tool configured");
        Ok(AppliedView {
            applied,
            status: status_of(&ctx, tool, &base),
        })
    })
    .await
}

/// `POST /api/cli-tools/{tool}/restore`: a snapshot back, byte for byte (itself undoable).
pub async fn restore(
    State(state): State<AppState>,
    Path(tool): Path<String>,
    headers: HeaderMap,
    OptionalJson(body): OptionalJson<RestoreBody>,
) -> Result<Json<RestoredView>, ApiError> {
    let tool = tool_id(&tool)?;
    let base = gateway_address(&headers, None);
    let snapshots = snapshots_dir(&state);
    let wanted = body.snapshot_id;
    blocking(move || {
        let ctx = context()?;
        let id = match wanted {
            Some(id) => id,
            None => tools::snapshots(&snapshots, tool)?
                .into_iter()
                .next()
                .map(|s| s.id)
                .ok_or_else(|| {
                    ApiError::not_found(format!("{} has no snapshot to restore", tool.as_str()))
                })?,
        };
        let restored = tools::restore(&ctx, &snapshots, tool, &id)?;
        tracing::info!(target: "omniroute::audit", tool = tool.as_str(), snapshot = %id, "tool configuration restored");
        Ok(RestoredView {
            restored,
            status: status_of(&ctx, tool, &base),
        })
    })
    .await
}

/// `GET /api/cli-tools/{tool}/snapshots`: newest first.
pub async fn snapshots(
    State(state): State<AppState>,
    Path(tool): Path<String>,
) -> Result<Json<Vec<tools::SnapshotInfo>>, ApiError> {
    let tool = tool_id(&tool)?;
    let dir = snapshots_dir(&state);
    blocking(move || Ok(tools::snapshots(&dir, tool)?)).await
}

/// `POST /api/cli-tools/{tool}/launch`: the variables and arguments that point the tool at the
/// gateway for one run, key included (`omniroute run` and `omniroute env` use it; nothing is
/// written).
pub async fn launch(
    State(state): State<AppState>,
    Path(tool): Path<String>,
    headers: HeaderMap,
    OptionalJson(body): OptionalJson<Target>,
) -> Result<Json<tools::Launch>, ApiError> {
    let tool = tool_id(&tool)?;
    let (settings, _) = settings_for(&state, tool, &headers, body).await?;
    Ok(Json(tools::env_for(tool, &settings)?))
}

fn tool_id(name: &str) -> Result<tools::ToolId, ApiError> {
    name.parse::<tools::ToolId>()
        .map_err(|_| ApiError::not_found(format!("no tool '{name}'")))
}

fn context() -> Result<tools::Context, ApiError> {
    tools::Context::from_process().ok_or_else(|| {
        ApiError::new(
            ErrorCode::Internal,
            "the gateway's user has no home directory, so no tool configuration can be found",
        )
    })
}

fn snapshots_dir(state: &AppState) -> std::path::PathBuf {
    state.config.data_dir.join("cli-tools")
}

fn status_of(ctx: &tools::Context, tool: tools::ToolId, base: &str) -> Option<tools::ToolStatus> {
    tools::detect(ctx, base).into_iter().find(|s| s.id == tool)
}

/// The address tools on this machine use to reach the gateway: the one the dashboard (or the
/// CLI) reached it at. `localhost` becomes `127.0.0.1`: Node resolves `localhost` to `::1`
/// first, which a gateway listening on IPv4 does not answer.
fn gateway_address(headers: &HeaderMap, explicit: Option<&str>) -> String {
    if let Some(url) = explicit.map(str::trim).filter(|u| !u.is_empty()) {
        return tools::gateway_root(url);
    }
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1:20128");
    let host = match host.strip_prefix("localhost") {
        Some(port) if port.is_empty() || port.starts_with(':') => format!("127.0.0.1{port}"),
        _ => host.to_owned(),
    };
    format!("http://{host}")
}

/// The settings a tool is pointed with, and the gateway address in them.
async fn settings_for(
    state: &AppState,
    tool: tools::ToolId,
    headers: &HeaderMap,
    body: Target,
) -> Result<(tools::Settings, String), ApiError> {
    let base = gateway_address(headers, body.base_url.as_deref());
    let model = match body
        .model
        .map(|m| m.trim().to_owned())
        .filter(|m| !m.is_empty())
    {
        Some(model) => model,
        None => state
            .registry
            .snapshot()
            .active_combo
            .clone()
            .ok_or_else(|| {
                ApiError::invalid("choose a model or combo (no combo is active to default to)")
            })?,
    };
    let key = tool_key(state, tool).await?;
    Ok((
        tools::Settings::new(base.clone(), tools::ApiKey::new(key.expose()), model),
        base,
    ))
}

/// The tool's own API key: the stored one while it is still a valid key, else a new one.
async fn tool_key(state: &AppState, tool: tools::ToolId) -> Result<SecretString, ApiError> {
    let secret_name = format!("cli-tool/{}/api_key", tool.as_str());
    let secret =
        |e: omniroute_store::SecretError| ApiError::from(omniroute_store::StoreError::from(e));
    let pepper = state.config.api_key_secret.expose().as_bytes();
    if let Some(key) = state.secrets.get(&secret_name).await.map_err(secret)? {
        let hash = keys::hash(pepper, key.expose());
        let known = state.store.api_key_hashes().await?;
        if known.iter().any(|k| k.key_hash == hash) {
            return Ok(key);
        }
    }
    let key = keys::generate()
        .map_err(|e| ApiError::new(ErrorCode::Internal, format!("no randomness for a key: {e}")))?;
    let name = format!("{} (CLI tools)", tool.display_name());
    state
        .store
        .create_api_key(&name, &keys::hash(pepper, &key), &keys::hint(&key))
        .await?;
    let key = SecretString::new(key);
    state
        .secrets
        .put(&secret_name, &key)
        .await
        .map_err(secret)?;
    state.reload().await?;
    Ok(key)
}

/// Runs file work on the blocking pool.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<Json<T>, ApiError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| ApiError::new(ErrorCode::Internal, format!("the file task failed: {e}")))?
        .map(Json)
}

impl From<tools::Error> for ApiError {
    fn from(e: tools::Error) -> Self {
        use tools::Error as E;
        let code = match &e {
            E::UnknownTool(_) | E::SnapshotNotFound { .. } => ErrorCode::NotFound,
            E::NotFileConfigurable { .. }
            | E::NoLaunch { .. }
            | E::InvalidSettings(_)
            | E::Malformed { .. }
            | E::Unsupported { .. }
            | E::SnapshotInvalid { .. } => ErrorCode::InvalidRequest,
            E::ChangedSincePlan { .. } | E::PreviewOutdated => ErrorCode::Conflict,
            E::Read { .. } | E::Write { .. } | E::Snapshot { .. } => ErrorCode::Internal,
        };
        match &e {
            // The user sees how the file differs from what was previewed (keys masked).
            E::ChangedSincePlan { diff, .. } => Self::new(code, format!("{e}\n{diff}")),
            _ => Self::new(code, e.to_string()),
        }
    }
}
