//! Shared by the integration tests: a temporary home with fixtures in it, and the full
//! plan → apply → detect → restore cycle with its checks.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests"
)]

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};

use omniroute_cli_tools::{
    ApiKey, Applied, Context, Os, Settings, SnapshotReason, ToolId, apply, detect, key_hint, plan,
    restore, snapshots,
};

pub const KEY: &str = "sk-omni-test-0123456789abcdef";
pub const GATEWAY: &str = "http://127.0.0.1:20128";
pub const MODEL: &str = "up-x/m-1";

pub fn settings(model: &str) -> Settings {
    Settings::new(format!("{GATEWAY}/v1/"), ApiKey::new(KEY), model)
}

pub fn fixture(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("fixtures")
        .join(name);
    fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A temporary home directory and a context pointing at it (no PATH, no variables).
pub struct Home {
    pub dir: tempfile::TempDir,
    pub ctx: Context,
    pub snapshots: PathBuf,
}

impl Home {
    pub fn new() -> Self {
        Self::with_env(&[])
    }

    pub fn with_env(vars: &[(&str, &str)]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let env: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        let ctx = Context {
            home: dir.path().to_path_buf(),
            env,
            path_dirs: Vec::new(),
            os: Os::Linux,
        };
        let snapshots = dir.path().join("omniroute-data").join("snapshots");
        Self {
            dir,
            ctx,
            snapshots,
        }
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    pub fn put(&self, rel: &str, bytes: &[u8]) {
        let path = self.path(rel);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, bytes).unwrap();
    }

    pub fn put_fixture(&self, rel: &str, name: &str) {
        self.put(rel, &fixture(name));
    }

    pub fn read(&self, rel: &str) -> Option<Vec<u8>> {
        fs::read(self.path(rel)).ok()
    }

    pub fn text(&self, rel: &str) -> String {
        String::from_utf8(self.read(rel).unwrap()).unwrap()
    }

    /// Every file name in the directory of `rel` (to spot leftover temporary files).
    pub fn siblings(&self, rel: &str) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(self.path(rel).parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }
}

/// The `-` and `+` lines of a unified diff, without their marker and line ending.
pub fn changed_lines(diff: &str) -> (Vec<String>, Vec<String>) {
    let (mut removed, mut added) = (Vec::new(), Vec::new());
    for line in diff
        .lines()
        .filter(|l| !l.starts_with("---") && !l.starts_with("+++"))
    {
        let text = line[1..].trim_end_matches('\r').to_owned();
        match line.as_bytes().first() {
            Some(b'-') => removed.push(text),
            Some(b'+') => added.push(text),
            _ => {}
        }
    }
    (removed, added)
}

/// `longer` is `shorter` with one comma put in.
fn comma_added(shorter: &str, longer: &str) -> bool {
    longer.len() == shorter.len() + 1
        && (0..=shorter.len()).any(|i| {
            shorter.is_char_boundary(i)
                && longer.get(..i) == shorter.get(..i)
                && longer.get(i..=i) == Some(",")
                && longer.get(i + 1..) == shorter.get(i..)
        })
}

/// Every changed line carries one of the intended keys, is structure (brackets, a blank line),
/// or is an untouched line that gained the comma before a new member or the line break a file
/// without a final newline needs before anything is appended.
pub fn assert_only_intended(diff: &str, intended: &[&str]) {
    let (removed, added) = changed_lines(diff);
    let is_intended = |line: &str| intended.iter().any(|key| line.contains(key));
    let is_structure = |line: &str| ["", "{", "}", "},", "[", "]", "],"].contains(&line.trim());
    for line in &removed {
        assert!(
            is_intended(line) || added.iter().any(|a| a == line || comma_added(line, a)),
            "an unrelated line was removed: {line:?}\n{diff}"
        );
    }
    for line in &added {
        assert!(
            is_intended(line)
                || is_structure(line)
                || removed.iter().any(|r| r == line || comma_added(r, line)),
            "an unrelated line was added: {line:?}\n{diff}"
        );
    }
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    fs::metadata(path).unwrap().permissions().mode() & 0o7777
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
}

/// Plan, apply, plan again, detect, restore, undo the restore — checking at each step that only
/// the intended lines changed, the key shows nowhere it should not, permissions survive, and
/// the restore gives back the very bytes.
pub fn full_cycle(home: &Home, tool: ToolId, files: &[&str], intended: &[&str]) -> Applied {
    let originals: Vec<Option<Vec<u8>>> = files.iter().map(|f| home.read(f)).collect();
    #[cfg(unix)]
    for (file, original) in files.iter().zip(&originals) {
        if original.is_some() {
            set_mode(&home.path(file), 0o640);
        }
    }

    let planned = plan(&home.ctx, tool, &settings(MODEL)).unwrap();
    let preview = planned.preview();
    assert!(preview.changed, "{preview:?}");
    assert!(!format!("{planned:?}").contains(KEY));
    assert!(
        !serde_json::to_string(&preview).unwrap().contains(KEY),
        "the preview leaks the key"
    );
    for file in &preview.files {
        assert_only_intended(&file.diff, intended);
    }

    let applied = apply(&planned, &home.snapshots).unwrap();
    let written: Vec<Vec<u8>> = files
        .iter()
        .map(|f| {
            let bytes = home.read(f).unwrap();
            assert_eq!(
                Some(bytes.as_slice()),
                planned.new_content(&home.path(f)),
                "{f} holds what was previewed"
            );
            assert!(
                home.siblings(f).iter().all(|n| !n.ends_with(".tmp")),
                "a temporary file was left beside {f}"
            );
            bytes
        })
        .collect();
    #[cfg(unix)]
    for (file, original) in files.iter().zip(&originals) {
        let expected = if original.is_some() { 0o640 } else { 0o600 };
        assert_eq!(mode(&home.path(file)), expected, "permissions of {file}");
    }

    let again = plan(&home.ctx, tool, &settings(MODEL)).unwrap();
    assert!(
        !again.changed(),
        "applying twice changes more: {:?}",
        again.preview()
    );

    let status = detect(&home.ctx, GATEWAY)
        .into_iter()
        .find(|s| s.id == tool)
        .unwrap();
    assert_eq!(status.error, None);
    assert!(status.installed);
    let configured = status.configured.unwrap();
    assert!(configured.this_gateway, "{configured:?}");
    assert_eq!(configured.model.as_deref(), Some(MODEL));
    assert_eq!(configured.key_hint, Some(key_hint(KEY)));

    let snapshot = applied.snapshot_id.clone().unwrap();
    let restored = restore(&home.ctx, &home.snapshots, tool, &snapshot).unwrap();
    for (file, original) in files.iter().zip(&originals) {
        assert_eq!(&home.read(file), original, "{file} is back byte for byte");
        let dir = home.path(file).parent().unwrap().to_path_buf();
        if original.is_none() && dir != home.dir.path() {
            let others = std::fs::read_dir(&dir).map(|d| d.count()).unwrap_or(0);
            assert!(
                others > 0 || !dir.exists(),
                "the directory made for {file} is gone"
            );
        }
    }
    #[cfg(unix)]
    for (file, original) in files.iter().zip(&originals) {
        if original.is_some() {
            assert_eq!(
                mode(&home.path(file)),
                0o640,
                "permissions of {file} after the restore"
            );
        }
    }
    let listed = snapshots(&home.snapshots, tool).unwrap();
    assert_eq!(
        listed.iter().map(|s| s.reason).collect::<Vec<_>>(),
        [SnapshotReason::Restore, SnapshotReason::Apply]
    );
    assert_eq!(listed[0].id, restored.undo_snapshot_id);

    restore(&home.ctx, &home.snapshots, tool, &restored.undo_snapshot_id).unwrap();
    for (file, bytes) in files.iter().zip(&written) {
        assert_eq!(
            home.read(file).as_ref(),
            Some(bytes),
            "undoing the restore brings back {file}"
        );
    }
    applied
}
