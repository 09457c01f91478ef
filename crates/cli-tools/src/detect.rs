//! Which tools are here and where they point: executables on the PATH, config and extension
//! directories, versions read from files (nothing is run), and the endpoint, model and key hint
//! their files hold now. A file that cannot be read becomes the tool's error, never a panic.

use std::fs;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::configure::{self, FileText};
use crate::context::Context;
use crate::error::Error;
use crate::plan::read_text;
use crate::secret::key_hint;
use crate::settings::{gateway_root, same_gateway};
use crate::tools::{
    FileRole, Setup, ToolId, ToolSpec, config_files, extension_roots, presence_dirs,
};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct ToolStatus {
    pub id: ToolId,
    pub name: String,
    /// Whether Apply configures it through its files (otherwise see `manual`).
    pub file_configurable: bool,
    pub installed: bool,
    /// The executable found on the PATH.
    pub executable: Option<String>,
    pub version: Option<String>,
    pub files: Vec<ConfigFileStatus>,
    /// Config, application and editor extension directories found.
    pub found_at: Vec<String>,
    /// Where its files point it now; `None` when they name no endpoint, model or key.
    pub configured: Option<Configured>,
    /// Why its files could not be read.
    pub error: Option<String>,
    pub manual: Option<ManualSetup>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct ConfigFileStatus {
    pub path: String,
    pub role: FileRole,
    pub exists: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct Configured {
    pub endpoint: Option<String>,
    pub model: Option<String>,
    /// `sk-…abcd`, never the key.
    pub key_hint: Option<String>,
    /// Whether the endpoint is this gateway.
    pub this_gateway: bool,
}

/// What to type into a tool that keeps its settings in its editor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct ManualSetup {
    /// Where the settings are (`Cursor Settings → Models → …`).
    pub place: String,
    pub provider: String,
    pub base_url: String,
}

/// The status of every known tool, for the gateway at `gateway_base_url`.
pub fn detect(ctx: &Context, gateway_base_url: &str) -> Vec<ToolStatus> {
    ToolId::ALL
        .iter()
        .map(|tool| status(ctx, *tool, gateway_base_url))
        .collect()
}

fn status(ctx: &Context, tool: ToolId, gateway_base_url: &str) -> ToolStatus {
    let spec = tool.spec();
    let executable = spec
        .executables
        .iter()
        .find_map(|name| ctx.find_executable(name));
    let extensions = extension_dirs(ctx, spec);
    let mut found_at: Vec<PathBuf> = presence_dirs(ctx, tool)
        .into_iter()
        .filter(|d| d.is_dir())
        .collect();
    found_at.extend(extensions.iter().cloned());
    let version = executable
        .as_deref()
        .and_then(|exe| executable_version(exe, spec.npm_packages))
        .or_else(|| {
            extensions
                .iter()
                .filter_map(|dir| extension_version(dir, spec))
                .max_by(|a, b| compare_versions(a, b))
        });
    let files = config_files(ctx, tool);
    let file_status = files
        .iter()
        .map(|f| ConfigFileStatus {
            path: f.path.display().to_string(),
            role: f.role,
            exists: f.path.is_file(),
        })
        .collect();
    let (configured, error) = match files_with_text(&files)
        .and_then(|texts| read_configured(tool, &texts, gateway_base_url))
    {
        Ok(configured) => (configured, None),
        Err(e) => (None, Some(e.to_string())),
    };
    let manual = match spec.setup {
        Setup::Manual { place } => Some(ManualSetup {
            place: place.to_owned(),
            provider: "OpenAI Compatible".to_owned(),
            base_url: format!("{}/v1", gateway_root(gateway_base_url)),
        }),
        Setup::Files => None,
    };
    ToolStatus {
        id: tool,
        name: spec.name.to_owned(),
        file_configurable: matches!(spec.setup, Setup::Files),
        installed: executable.is_some() || !found_at.is_empty(),
        executable: executable.map(|p| p.display().to_string()),
        version,
        files: file_status,
        found_at: found_at.iter().map(|p| p.display().to_string()).collect(),
        configured,
        error,
        manual,
    }
}

fn files_with_text(files: &[crate::tools::ConfigFile]) -> Result<Vec<FileText>, Error> {
    files
        .iter()
        .map(|f| Ok((f.clone(), read_text(&f.path)?)))
        .collect()
}

fn read_configured(
    tool: ToolId,
    files: &[FileText],
    gateway_base_url: &str,
) -> Result<Option<Configured>, Error> {
    let found = configure::read_back(tool, files)?;
    if found == configure::ReadBack::default() {
        return Ok(None);
    }
    let this_gateway = found
        .endpoint
        .as_deref()
        .is_some_and(|endpoint| same_gateway(endpoint, gateway_base_url));
    Ok(Some(Configured {
        endpoint: found.endpoint,
        model: found.model,
        key_hint: found.key.as_deref().map(key_hint),
        this_gateway,
    }))
}

/// Extension directories (`publisher.name-1.2.3`) of the tool in every editor.
fn extension_dirs(ctx: &Context, spec: &ToolSpec) -> Vec<PathBuf> {
    if spec.extensions.is_empty() {
        return Vec::new();
    }
    let mut found: Vec<PathBuf> = extension_roots(ctx)
        .iter()
        .filter_map(|root| fs::read_dir(root).ok())
        .flatten()
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| {
            path.is_dir()
                && path
                    .file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|name| {
                        spec.extensions
                            .iter()
                            .any(|prefix| name.to_ascii_lowercase().starts_with(prefix))
                    })
        })
        .collect();
    found.sort();
    found
}

fn extension_version(dir: &Path, spec: &ToolSpec) -> Option<String> {
    let name = dir.file_name()?.to_str()?.to_ascii_lowercase();
    let rest = spec
        .extensions
        .iter()
        .find_map(|prefix| name.strip_prefix(prefix))?;
    // `1.2.3` or `1.2.3-linux-x64`
    let version = rest.split('-').next()?;
    version
        .starts_with(|c: char| c.is_ascii_digit())
        .then(|| version.to_owned())
}

/// The version of an npm-installed executable (from the `package.json` of its package, found
/// from the file the executable links to), or of a native install whose file is named by its
/// version (Claude Code's `versions/2.1.3`).
fn executable_version(executable: &Path, packages: &[&str]) -> Option<String> {
    let real = fs::canonicalize(executable).ok()?;
    let file_name = real.file_name()?.to_str()?;
    if file_name.split('.').count() >= 2
        && file_name
            .split('.')
            .all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()))
    {
        return Some(file_name.to_owned());
    }
    real.ancestors().skip(1).take(4).find_map(|dir| {
        let manifest: serde_json::Value =
            serde_json::from_slice(&fs::read(dir.join("package.json")).ok()?).ok()?;
        let name = manifest.get("name")?.as_str()?;
        packages
            .contains(&name)
            .then(|| manifest.get("version")?.as_str().map(str::to_owned))?
    })
}

fn compare_versions(a: &str, b: &str) -> std::cmp::Ordering {
    let parts = |v: &str| {
        v.split('.')
            .map(|p| p.parse::<u64>().unwrap_or(0))
            .collect::<Vec<_>>()
    };
    parts(a).cmp(&parts(b))
}
