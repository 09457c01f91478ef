//! A preview of Apply: for each file, the bytes read, the bytes that would replace them, a
//! fingerprint of what was read (Apply refuses when the file no longer matches it) and the diff.
//! Planning only reads files. What the API returns is the `Preview`, whose diffs are masked.

use std::fmt;
use std::fs;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::configure::{self, FileText};
use crate::context::Context;
use crate::error::Error;
use crate::secret::mask_secrets;
use crate::settings::Settings;
use crate::tools::{FileRole, Setup, ToolId, config_files};

/// What Apply will do to one tool's files.
pub struct Plan {
    pub(crate) tool: ToolId,
    pub(crate) files: Vec<FilePlan>,
    pub(crate) notes: Vec<String>,
    /// The key being written, masked in every diff.
    pub(crate) secret: String,
}

pub(crate) struct FilePlan {
    pub role: FileRole,
    /// Where the tool reads the file.
    pub path: PathBuf,
    /// Where the bytes are written: the file a symbolic link points to, so the link survives.
    pub target: PathBuf,
    pub before: Option<Vec<u8>>,
    pub after: Vec<u8>,
}

impl FilePlan {
    pub fn changed(&self) -> bool {
        self.before.as_deref() != Some(self.after.as_slice())
    }
}

/// The plan as the API shows it: no key in it, only masked diffs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct Preview {
    pub tool: ToolId,
    /// Names this exact plan: the same files read and the same result give the same id, so an
    /// Apply can insist on the plan the user saw.
    pub plan_id: String,
    pub changed: bool,
    pub files: Vec<FilePreview>,
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct FilePreview {
    pub path: String,
    pub role: FileRole,
    pub existed: bool,
    /// `sha256:<hex>` of the bytes read, or `absent`.
    pub fingerprint: String,
    pub changed: bool,
    /// A unified diff with every key masked; empty when nothing changes.
    pub diff: String,
}

impl Plan {
    pub fn tool(&self) -> ToolId {
        self.tool
    }

    /// Whether Apply would write anything.
    pub fn changed(&self) -> bool {
        self.files.iter().any(FilePlan::changed)
    }

    pub fn notes(&self) -> &[String] {
        &self.notes
    }

    /// The new content of the file at `path`, as Apply would write it.
    pub fn new_content(&self, path: &Path) -> Option<&[u8]> {
        self.files
            .iter()
            .find(|f| f.path == path)
            .map(|f| f.after.as_slice())
    }

    pub fn id(&self) -> String {
        let mut hash = Sha256::new();
        hash.update(self.tool.as_str());
        for file in &self.files {
            hash.update(file.path.to_string_lossy().as_bytes());
            hash.update([0]);
            hash.update(fingerprint(file.before.as_deref()));
            hash.update(Sha256::digest(&file.after));
        }
        hex(&hash.finalize()[..16])
    }

    pub fn preview(&self) -> Preview {
        let files = self
            .files
            .iter()
            .map(|f| FilePreview {
                path: f.path.display().to_string(),
                role: f.role,
                existed: f.before.is_some(),
                fingerprint: fingerprint(f.before.as_deref()),
                changed: f.changed(),
                diff: self.masked_diff(&f.path, f.before.as_deref(), &f.after),
            })
            .collect();
        Preview {
            tool: self.tool,
            plan_id: self.id(),
            changed: self.changed(),
            files,
            notes: self.notes.clone(),
        }
    }

    pub(crate) fn masked_diff(&self, path: &Path, before: Option<&[u8]>, after: &[u8]) -> String {
        mask_secrets(&unified_diff(path, before, after), &[&self.secret])
    }
}

impl fmt::Debug for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let files: Vec<(&Path, bool)> = self
            .files
            .iter()
            .map(|p| (p.path.as_path(), p.changed()))
            .collect();
        f.debug_struct("Plan")
            .field("tool", &self.tool)
            .field("files", &files)
            .field("notes", &self.notes)
            .finish()
    }
}

/// Works out what Apply would write to point `tool` at the gateway. Reads the tool's files and
/// nothing else; a file that is not valid in its format is an error, never overwritten.
pub fn plan(ctx: &Context, tool: ToolId, settings: &Settings) -> Result<Plan, Error> {
    if let Setup::Manual { place } = tool.spec().setup {
        let instructions = format!(
            "in {place} choose the provider \"OpenAI Compatible\" with base URL {}, your OmniRoute API key and the model {}",
            settings.gateway_v1(),
            settings.model
        );
        return Err(Error::NotFileConfigurable { tool, instructions });
    }
    settings.validate()?;
    let mut texts: Vec<FileText> = Vec::new();
    let mut targets = Vec::new();
    for file in config_files(ctx, tool) {
        let target = write_target(&file.path)?;
        let text = read_text(&target)?;
        targets.push(target);
        texts.push((file, text));
    }
    if tool == ToolId::Continue
        && let [(yaml, None), (json, Some(_))] = texts.as_slice()
    {
        return Err(Error::Unsupported {
            path: json.path.clone(),
            reason: format!(
                "Continue reads this file while {} does not exist, and would read only the new one; \
                 move its settings to config.yaml first",
                yaml.path.display()
            ),
        });
    }
    let mut files = Vec::new();
    for ((file, text), target) in texts.iter().zip(targets) {
        if let Some(after) = configure::new_text(tool, file, text.as_deref(), settings)? {
            files.push(FilePlan {
                role: file.role,
                path: file.path.clone(),
                target,
                before: text.clone().map(String::into_bytes),
                after: after.into_bytes(),
            });
        }
    }
    let notes = configure::notes(tool, ctx, settings, &texts);
    Ok(Plan {
        tool,
        files,
        notes,
        secret: settings.api_key.expose().to_owned(),
    })
}

/// The path to write for `path`: itself, or the file a symbolic link leads to.
pub(crate) fn write_target(path: &Path) -> Result<PathBuf, Error> {
    let unsupported = |reason: &str| Error::Unsupported {
        path: path.to_path_buf(),
        reason: reason.to_owned(),
    };
    match fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_symlink() => fs::canonicalize(path)
            .map_err(|_| unsupported("it is a symbolic link to a file that does not exist")),
        Ok(meta) if !meta.is_file() => Err(unsupported("it is not a regular file")),
        _ => Ok(path.to_path_buf()),
    }
}

/// The file's bytes, `None` when it does not exist.
pub(crate) fn read_bytes(path: &Path) -> Result<Option<Vec<u8>>, Error> {
    match fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
        Err(source) => Err(Error::Read {
            path: path.to_path_buf(),
            source,
        }),
    }
}

pub(crate) fn read_text(path: &Path) -> Result<Option<String>, Error> {
    read_bytes(path)?
        .map(|bytes| {
            String::from_utf8(bytes).map_err(|_| Error::Unsupported {
                path: path.to_path_buf(),
                reason: "it is not UTF-8 text".to_owned(),
            })
        })
        .transpose()
}

/// `sha256:<hex>` of the bytes, or `absent`.
pub(crate) fn fingerprint(bytes: Option<&[u8]>) -> String {
    match bytes {
        Some(bytes) => format!("sha256:{}", hex(&Sha256::digest(bytes))),
        None => "absent".to_owned(),
    }
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A unified diff (3 lines of context) of `before` (`None`: absent) and `after`; empty when equal.
pub(crate) fn unified_diff(path: &Path, before: Option<&[u8]>, after: &[u8]) -> String {
    if before == Some(after) {
        return String::new();
    }
    let old = String::from_utf8_lossy(before.unwrap_or_default());
    let new = String::from_utf8_lossy(after);
    let name = path.display().to_string();
    let old_name = if before.is_some() {
        name.as_str()
    } else {
        "/dev/null"
    };
    similar::TextDiff::from_lines(old.as_ref(), new.as_ref())
        .unified_diff()
        .context_radius(3)
        .header(old_name, &name)
        .to_string()
}
