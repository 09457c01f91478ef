//! What Apply and Restore refuse to do: overwrite a file someone else changed since the
//! preview, break a symbolic link, write tools configured in their editor, or follow a snapshot
//! outside the tool's own files.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests"
)]

mod common;

use std::fs;

use common::{Home, KEY, MODEL, full_cycle, settings};
use omniroute_cli_tools::{
    Error, ToolId, apply, apply_previewed, env_for, plan, restore, snapshots,
};

const CLAUDE: &str = ".claude/settings.json";

#[test]
fn a_file_changed_after_the_preview_is_left_as_the_other_writer_left_it() {
    let home = Home::new();
    home.put_fixture(CLAUDE, "claude-code/hooks-2space.json");
    let planned = plan(&home.ctx, ToolId::ClaudeCode, &settings(MODEL)).unwrap();
    let other = "{\n  \"model\": \"sonnet\",\n  \"env\": {\"ANTHROPIC_AUTH_TOKEN\": \"sk-someone-else-99999999\"}\n}\n";
    home.put(CLAUDE, other.as_bytes());
    let err = apply(&planned, &home.snapshots).unwrap_err();
    let Error::ChangedSincePlan { diff, .. } = &err else {
        panic!("{err:?}")
    };
    assert!(diff.contains("+  \"model\": \"sonnet\","), "{diff}");
    assert!(
        !diff.contains("sk-someone-else-99999999"),
        "the diff is masked: {diff}"
    );
    assert_eq!(home.text(CLAUDE), other);
    assert!(
        snapshots(&home.snapshots, ToolId::ClaudeCode)
            .unwrap()
            .is_empty(),
        "nothing was snapshotted or written"
    );
}

#[test]
fn a_file_created_after_the_preview_is_not_overwritten() {
    let home = Home::new();
    let planned = plan(&home.ctx, ToolId::Codex, &settings(MODEL)).unwrap();
    home.put(".codex/config.toml", b"model = \"mine\"\n");
    assert!(matches!(
        apply(&planned, &home.snapshots),
        Err(Error::ChangedSincePlan { .. })
    ));
    assert_eq!(home.text(".codex/config.toml"), "model = \"mine\"\n");
}

#[test]
fn the_plan_id_names_what_was_read_and_what_would_be_written() {
    let home = Home::new();
    home.put(CLAUDE, b"{}");
    let first = plan(&home.ctx, ToolId::ClaudeCode, &settings(MODEL))
        .unwrap()
        .preview();
    assert_eq!(
        plan(&home.ctx, ToolId::ClaudeCode, &settings(MODEL))
            .unwrap()
            .preview()
            .plan_id,
        first.plan_id
    );
    assert_ne!(
        plan(&home.ctx, ToolId::ClaudeCode, &settings("other"))
            .unwrap()
            .preview()
            .plan_id,
        first.plan_id
    );
    home.put(CLAUDE, b"{ }");
    let changed = plan(&home.ctx, ToolId::ClaudeCode, &settings(MODEL))
        .unwrap()
        .preview();
    assert_ne!(changed.plan_id, first.plan_id);
    assert_ne!(changed.files[0].fingerprint, first.files[0].fingerprint);
    assert!(first.files[0].fingerprint.starts_with("sha256:"));
}

#[cfg(unix)]
#[test]
fn a_symbolic_link_to_dotfiles_stays_a_link() {
    let home = Home::new();
    home.put(
        "dotfiles/claude/settings.json",
        b"{\n  \"statusLine\": {\"type\": \"command\", \"command\": \"x\"}\n}\n",
    );
    fs::create_dir_all(home.path(".claude")).unwrap();
    std::os::unix::fs::symlink(
        home.path("dotfiles/claude/settings.json"),
        home.path(CLAUDE),
    )
    .unwrap();
    full_cycle(
        &home,
        ToolId::ClaudeCode,
        &[CLAUDE],
        &["\"env\"", "\"ANTHROPIC_", MODEL],
    );
    assert!(
        fs::symlink_metadata(home.path(CLAUDE))
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert!(
        home.text("dotfiles/claude/settings.json")
            .contains("ANTHROPIC_BASE_URL"),
        "the link's target holds the change"
    );
}

#[test]
fn editor_tools_are_not_written() {
    let home = Home::new();
    for tool in [ToolId::Cline, ToolId::RooCode, ToolId::Cursor] {
        let err = plan(&home.ctx, tool, &settings(MODEL)).unwrap_err();
        assert!(matches!(err, Error::NotFileConfigurable { .. }), "{err:?}");
        let message = err.to_string();
        assert!(
            message.contains("OpenAI Compatible") && message.contains("http://127.0.0.1:20128/v1"),
            "{message}"
        );
        assert!(!message.contains(KEY));
        assert!(matches!(
            env_for(tool, &settings(MODEL)),
            Err(Error::NoLaunch { .. })
        ));
    }
}

#[test]
fn snapshots_outside_the_tools_files_are_refused() {
    let home = Home::new();
    home.put(CLAUDE, b"{}");
    let planned = plan(&home.ctx, ToolId::ClaudeCode, &settings(MODEL)).unwrap();
    let id = apply(&planned, &home.snapshots)
        .unwrap()
        .snapshot_id
        .unwrap();
    for bad in ["../claude-code", "nope", ""] {
        assert!(
            matches!(
                restore(&home.ctx, &home.snapshots, ToolId::ClaudeCode, bad),
                Err(Error::SnapshotNotFound { .. })
            ),
            "{bad}"
        );
    }
    // A snapshot of one tool is not restored as another.
    assert!(restore(&home.ctx, &home.snapshots, ToolId::Codex, &id).is_err());
    // A manifest edited to point elsewhere is refused.
    let manifest = home
        .snapshots
        .join("claude-code")
        .join(&id)
        .join("manifest.json");
    let text = fs::read_to_string(&manifest).unwrap();
    fs::write(&manifest, text.replace(".claude/settings.json", ".bashrc")).unwrap();
    let err = restore(&home.ctx, &home.snapshots, ToolId::ClaudeCode, &id).unwrap_err();
    assert!(matches!(err, Error::SnapshotInvalid { .. }), "{err:?}");
    assert!(home.read(".bashrc").is_none());
}

#[test]
fn nothing_to_change_writes_nothing() {
    let home = Home::new();
    let planned = plan(&home.ctx, ToolId::ClaudeCode, &settings(MODEL)).unwrap();
    apply(&planned, &home.snapshots).unwrap();
    let again = plan(&home.ctx, ToolId::ClaudeCode, &settings(MODEL)).unwrap();
    let applied = apply(&again, &home.snapshots).unwrap();
    assert_eq!((applied.snapshot_id, applied.files.len()), (None, 0));
    assert_eq!(
        snapshots(&home.snapshots, ToolId::ClaudeCode)
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn apply_previewed_insists_on_the_plan_the_user_saw() {
    let home = Home::new();
    home.put(CLAUDE, b"{}");
    let seen = plan(&home.ctx, ToolId::ClaudeCode, &settings(MODEL))
        .unwrap()
        .preview()
        .plan_id;
    home.put(CLAUDE, b"{\"model\": \"opus\"}");
    let now = plan(&home.ctx, ToolId::ClaudeCode, &settings(MODEL)).unwrap();
    assert!(matches!(
        apply_previewed(&now, &seen, &home.snapshots),
        Err(Error::PreviewOutdated)
    ));
    assert_eq!(home.text(CLAUDE), "{\"model\": \"opus\"}");
    let confirmed = now.preview().plan_id;
    apply_previewed(&now, &confirmed, &home.snapshots).unwrap();
    assert!(home.text(CLAUDE).contains("ANTHROPIC_BASE_URL"));
}
