//! Embeds the dashboard (`ui/dist`, built by `npm run build` in `ui/`) into the binary: one
//! generated table of paths, content types and `include_bytes!`. Without a built dashboard the
//! table holds a page saying how to build it, so `cargo build` works on its own.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            walk(&path, out);
        } else {
            out.push(path);
        }
    }
}

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default());
    let dist = manifest.join("../../ui/dist");
    println!("cargo:rerun-if-changed={}", dist.display());
    let mut files = Vec::new();
    walk(&dist, &mut files);
    files.sort();
    let mut table = String::from("pub static ASSETS: &[(&str, &str, &[u8])] = &[\n");
    let has_index = files
        .iter()
        .any(|f| f.file_name().is_some_and(|n| n == "index.html"));
    if has_index {
        for file in &files {
            let Ok(relative) = file.strip_prefix(&dist) else {
                continue;
            };
            let url = format!("/{}", relative.to_string_lossy().replace('\\', "/"));
            let _ = writeln!(
                table,
                "    ({url:?}, {:?}, include_bytes!({:?})),",
                content_type(file),
                file.display().to_string()
            );
        }
    } else {
        table.push_str(
            "    (\"/index.html\", \"text/html; charset=utf-8\", b\"<!doctype html><title>OmniRoute</title>\
             <p>The dashboard is not built into this binary. Build it with <code>npm ci --prefix ui \
             &amp;&amp; npm run build --prefix ui</code>, then rebuild OmniRoute (./scripts/serve.sh does \
             both). The API works regardless.</p>\"),\n",
        );
    }
    table.push_str("];\n");
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap_or_default()).join("ui_assets.rs");
    if let Err(e) = std::fs::write(&out, table) {
        println!("cargo:warning=cannot write {}: {e}", out.display());
    }
}
