//! The JSON the gateway will serve: camelCase fields, no key, and TypeScript declarations that
//! ts-rs can produce for the dashboard.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests"
)]

mod common;

use common::{Home, KEY, MODEL, settings};
use omniroute_cli_tools::{
    Applied, ConfigFileStatus, Configured, FilePreview, FileRole, Launch, ManualSetup, Preview,
    Restored, SnapshotFile, SnapshotInfo, SnapshotReason, ToolId, ToolStatus, apply, plan,
    snapshots,
};
use ts_rs::{Config, TS};

#[test]
fn declarations_exist_for_every_api_type() {
    let cfg = Config::new().with_large_int("number");
    let decls = [
        ToolId::decl(&cfg),
        FileRole::decl(&cfg),
        ToolStatus::decl(&cfg),
        ConfigFileStatus::decl(&cfg),
        Configured::decl(&cfg),
        ManualSetup::decl(&cfg),
        Preview::decl(&cfg),
        FilePreview::decl(&cfg),
        Applied::decl(&cfg),
        Restored::decl(&cfg),
        SnapshotInfo::decl(&cfg),
        SnapshotFile::decl(&cfg),
        SnapshotReason::decl(&cfg),
        Launch::decl(&cfg),
    ]
    .join("\n");
    for field in [
        "fileConfigurable",
        "keyHint",
        "thisGateway",
        "planId",
        "snapshotId",
        "undoSnapshotId",
        "timeMs: number",
        "argsPrefix",
    ] {
        assert!(decls.contains(field), "{field} missing in\n{decls}");
    }
    assert!(decls.contains("\"claude-code\" | \"codex\""), "{decls}");
    assert!(
        !decls.contains("secret"),
        "the launch's key is not part of its type"
    );
}

#[test]
fn serialized_results_hold_no_key() {
    let home = Home::new();
    let planned = plan(&home.ctx, ToolId::GeminiCli, &settings(MODEL)).unwrap();
    let preview = serde_json::to_string(&planned.preview()).unwrap();
    let applied = serde_json::to_string(&apply(&planned, &home.snapshots).unwrap()).unwrap();
    let listed =
        serde_json::to_string(&snapshots(&home.snapshots, ToolId::GeminiCli).unwrap()).unwrap();
    let detected =
        serde_json::to_string(&omniroute_cli_tools::detect(&home.ctx, common::GATEWAY)).unwrap();
    for json in [&preview, &applied, &listed, &detected] {
        assert!(!json.contains(KEY), "{json}");
    }
    assert!(detected.contains("\"keyHint\":\"sk-…cdef\""), "{detected}");
}
