//! Apply and Restore failing part-way: a simulated crash right before a rename (after the
//! temporary file is complete) must leave every file as it was and no temporary file behind.

use std::collections::HashMap;
use std::fs;
use std::io;
use std::path::Path;

use super::*;
use crate::{ApiKey, Context, Os, Settings, plan};

struct Home {
    dir: tempfile::TempDir,
    ctx: Context,
}

impl Home {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let ctx = Context {
            home: dir.path().to_path_buf(),
            env: HashMap::new(),
            path_dirs: Vec::new(),
            os: Os::Linux,
        };
        Self { dir, ctx }
    }

    fn put(&self, rel: &str, text: &str) {
        let path = self.dir.path().join(rel);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    }

    fn read(&self, rel: &str) -> Option<String> {
        fs::read_to_string(self.dir.path().join(rel)).ok()
    }

    fn snapshots(&self) -> std::path::PathBuf {
        self.dir.path().join("snapshots")
    }

    fn temporary_files(&self, dir: &str) -> Vec<String> {
        fs::read_dir(self.dir.path().join(dir))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".tmp"))
            .collect()
    }
}

fn settings() -> Settings {
    Settings::new(
        "http://127.0.0.1:20128",
        ApiKey::new("sk-omni-test-0123456789abcdef"),
        "m-1",
    )
}

/// Fails the `nth` rename (1-based) as a crash would.
fn crash_at(nth: usize) -> impl FnMut(&Path) -> io::Result<()> {
    let mut seen = 0;
    move |temp: &Path| {
        seen += 1;
        assert!(
            temp.exists(),
            "the temporary file is written before the rename"
        );
        if seen == nth {
            Err(io::Error::other("simulated crash"))
        } else {
            Ok(())
        }
    }
}

const GEMINI_SETTINGS: &str = ".gemini/settings.json";
const GEMINI_ENV: &str = ".gemini/.env";

#[test]
fn a_crash_on_the_second_file_puts_the_first_back() {
    let home = Home::new();
    home.put(
        GEMINI_SETTINGS,
        "{\n  // mine\n  \"ui\": {\"theme\": \"GitHub\"}\n}\n",
    );
    home.put(GEMINI_ENV, "DEBUG=1\n");
    let planned = plan(&home.ctx, ToolId::GeminiCli, &settings()).unwrap();
    let err = apply_with(&planned, &home.snapshots(), &mut crash_at(2)).unwrap_err();
    assert!(
        matches!(
            err,
            Error::Write {
                rolled_back: true,
                snapshot_id: Some(_),
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("every file is as it was"), "{err}");
    assert_eq!(
        home.read(GEMINI_SETTINGS).unwrap(),
        "{\n  // mine\n  \"ui\": {\"theme\": \"GitHub\"}\n}\n"
    );
    assert_eq!(home.read(GEMINI_ENV).unwrap(), "DEBUG=1\n");
    assert!(home.temporary_files(".gemini").is_empty());
}

#[test]
fn a_crash_on_the_only_file_leaves_it_intact() {
    let home = Home::new();
    home.put(".claude/settings.json", "{\"hooks\": {}}");
    let planned = plan(&home.ctx, ToolId::ClaudeCode, &settings()).unwrap();
    assert!(apply_with(&planned, &home.snapshots(), &mut crash_at(1)).is_err());
    assert_eq!(
        home.read(".claude/settings.json").unwrap(),
        "{\"hooks\": {}}"
    );
    assert!(home.temporary_files(".claude").is_empty());
    // Nothing half-done blocks the next attempt.
    apply(&planned, &home.snapshots()).unwrap();
    assert!(
        home.read(".claude/settings.json")
            .unwrap()
            .contains("ANTHROPIC_AUTH_TOKEN")
    );
}

#[test]
fn a_crash_while_creating_a_file_leaves_none() {
    let home = Home::new();
    let planned = plan(&home.ctx, ToolId::Codex, &settings()).unwrap();
    assert!(apply_with(&planned, &home.snapshots(), &mut crash_at(1)).is_err());
    assert_eq!(home.read(".codex/config.toml"), None);
    assert!(home.temporary_files(".codex").is_empty());
}

#[test]
fn a_crash_during_a_restore_keeps_the_current_files() {
    let home = Home::new();
    home.put(GEMINI_ENV, "A=1\n");
    let planned = plan(&home.ctx, ToolId::GeminiCli, &settings()).unwrap();
    let applied = apply(&planned, &home.snapshots()).unwrap();
    let written = (home.read(GEMINI_SETTINGS), home.read(GEMINI_ENV));
    let snapshot = applied.snapshot_id.unwrap();
    // The restore first deletes settings.json (it did not exist), then crashes renaming the
    // .env: the deleted file comes back.
    let err = restore_with(
        &home.ctx,
        &home.snapshots(),
        ToolId::GeminiCli,
        &snapshot,
        &mut crash_at(1),
    )
    .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Write {
                rolled_back: true,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!((home.read(GEMINI_SETTINGS), home.read(GEMINI_ENV)), written);
    assert!(home.temporary_files(".gemini").is_empty());
    restore(&home.ctx, &home.snapshots(), ToolId::GeminiCli, &snapshot).unwrap();
    assert_eq!(
        (home.read(GEMINI_SETTINGS), home.read(GEMINI_ENV)),
        (None, Some("A=1\n".to_owned()))
    );
}
