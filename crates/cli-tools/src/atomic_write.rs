//! Replacing a file so that a crash at any point leaves either the old file or the new one: the
//! bytes go to a temporary file in the same directory, are flushed to disk, get the old file's
//! permissions, and the temporary file is renamed over the old one; then the directory itself is
//! flushed so the rename survives a power cut. A failure before the rename removes the
//! temporary file and leaves the old one untouched.

use std::fs::{self, File, OpenOptions};
use std::io::{self, ErrorKind, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

/// Unix permission bits of a new config file: it holds a key.
#[cfg(unix)]
const NEW_FILE_MODE: u32 = 0o600;

/// A step that runs after the temporary file is written and flushed, right before the rename.
/// Production passes `no_fault`; tests make it fail to simulate a crash at the worst moment.
pub(crate) type BeforeRename<'a> = &'a mut dyn FnMut(&Path) -> io::Result<()>;

pub(crate) fn no_fault(_: &Path) -> io::Result<()> {
    Ok(())
}

/// The permission bits of the file at `path`, if it exists (Unix only; `None` elsewhere).
pub(crate) fn mode_of(path: &Path) -> Option<u32> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::metadata(path)
            .ok()
            .map(|m| m.permissions().mode() & 0o7777)
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        None
    }
}

/// Writes `bytes` to `path` atomically. Permissions: `mode` if given, else those of the file
/// being replaced, else owner-only for a new file. Missing parent directories are created.
pub(crate) fn write(
    path: &Path,
    bytes: &[u8],
    mode: Option<u32>,
    before_rename: BeforeRename<'_>,
) -> io::Result<()> {
    let dir = parent_of(path);
    fs::create_dir_all(&dir)?;
    let existing = fs::metadata(path).ok().map(|m| m.permissions());
    let (temp_path, mut temp) = create_temp(&dir, path)?;
    let result = (|| {
        temp.write_all(bytes)?;
        temp.sync_all()?;
        set_permissions(&temp_path, mode, existing)?;
        before_rename(&temp_path)?;
        fs::rename(&temp_path, path)
    })();
    drop(temp);
    if let Err(e) = result {
        let _ = fs::remove_file(&temp_path);
        return Err(e);
    }
    sync_dir(&dir)
}

/// Removes `path` (a file that did not exist before Apply); gone already is fine.
pub(crate) fn remove(path: &Path) -> io::Result<()> {
    match fs::remove_file(path) {
        Ok(()) => sync_dir(&parent_of(path)),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

fn parent_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// A new, exclusively created `.<name>.omniroute-<pid>-<n>.tmp` beside the target; its name
/// starts with a dot so tools scanning the directory skip it.
fn create_temp(dir: &Path, target: &Path) -> io::Result<(PathBuf, File)> {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let name = target
        .file_name()
        .map_or_else(|| "file".into(), |n| n.to_string_lossy());
    loop {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let temp_path = dir.join(format!(".{name}.omniroute-{}-{n}.tmp", std::process::id()));
        let mut options = OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(NEW_FILE_MODE);
        }
        match options.open(&temp_path) {
            Ok(file) => return Ok((temp_path, file)),
            Err(e) if e.kind() == ErrorKind::AlreadyExists => {}
            Err(e) => return Err(e),
        }
    }
}

fn set_permissions(
    temp: &Path,
    mode: Option<u32>,
    existing: Option<fs::Permissions>,
) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = mode
            .or_else(|| existing.map(|p| p.mode() & 0o7777))
            .unwrap_or(NEW_FILE_MODE);
        fs::set_permissions(temp, fs::Permissions::from_mode(mode))
    }
    #[cfg(not(unix))]
    {
        let _ = mode;
        match existing {
            Some(permissions) => fs::set_permissions(temp, permissions),
            None => Ok(()),
        }
    }
}

/// Flushes a directory's entries (a rename or removal) to disk; Windows has no such call.
fn sync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        File::open(dir)?.sync_all()
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn replaces_and_creates() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a").join("settings.json");
        write(&path, b"one", None, &mut no_fault).unwrap();
        write(&path, b"two", None, &mut no_fault).unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"two");
        assert_eq!(entries(&dir.path().join("a")), ["settings.json"]);
    }

    #[test]
    fn a_crash_before_the_rename_keeps_the_old_file_and_no_temporary_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        fs::write(&path, b"old").unwrap();
        let mut seen = None;
        let mut crash = |temp: &Path| {
            seen = Some(fs::read(temp).unwrap());
            Err(io::Error::other("simulated crash"))
        };
        assert!(write(&path, b"new", None, &mut crash).is_err());
        assert_eq!(
            seen.as_deref(),
            Some(&b"new"[..]),
            "the temporary file was complete"
        );
        assert_eq!(fs::read(&path).unwrap(), b"old");
        assert_eq!(entries(dir.path()), ["config.toml"]);
    }

    #[cfg(unix)]
    #[test]
    fn permissions_are_kept_and_new_files_are_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        fs::write(&path, b"old").unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o640)).unwrap();
        write(&path, b"new", None, &mut no_fault).unwrap();
        assert_eq!(mode_of(&path), Some(0o640));
        let fresh = dir.path().join("g");
        write(&fresh, b"x", None, &mut no_fault).unwrap();
        assert_eq!(mode_of(&fresh), Some(0o600));
        write(&fresh, b"y", Some(0o644), &mut no_fault).unwrap();
        assert_eq!(mode_of(&fresh), Some(0o644));
        remove(&fresh).unwrap();
        remove(&fresh).unwrap();
        assert!(!fresh.exists());
    }
}
