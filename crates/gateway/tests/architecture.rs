//! The layering of ARCHITECTURE.md, checked on the source: the client plane (`proxy`) and the
//! management plane (`admin`) never import each other; no import cycle runs between the
//! gateway's top-level modules (each file or folder under `src/`); the client API's paths are
//! listed once (`client_api.rs`); the desktop shell reaches the gateway through `control`, not
//! its handlers or its store.
//!
//! `state` is left out of the cycle check: `AppState` is the handle every floor is given, not a
//! floor of its own.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests"
)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out.sort();
    out
}

/// A file's code without its test module and without comment lines.
fn code(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    let text = text.split("#[cfg(test)]").next().unwrap_or_default();
    text.lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The top-level module a file belongs to (`proxy/route.rs` → `proxy`).
fn top(src: &Path, file: &Path) -> String {
    let relative = file.strip_prefix(src).unwrap();
    let first = relative.components().next().unwrap().as_os_str();
    first.to_string_lossy().trim_end_matches(".rs").to_owned()
}

fn ident(text: &str) -> &str {
    let end = text
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(text.len());
    &text[..end]
}

/// Which top-level module each name `lib.rs` re-exports lives in (`AppState` → `state`).
fn reexports(src: &Path) -> BTreeMap<String, String> {
    let lib = std::fs::read_to_string(src.join("lib.rs")).unwrap();
    let mut out = BTreeMap::new();
    for item in lib.split(';') {
        let Some(rest) = item.trim().strip_prefix("pub use ") else {
            continue;
        };
        let module = ident(rest).to_owned();
        let names = rest[module.len()..].trim_start_matches("::");
        for name in names
            .trim_matches(|c| c == '{' || c == '}')
            .split(',')
            .map(str::trim)
            .filter(|n| !n.is_empty())
        {
            out.insert(name.to_owned(), module.clone());
        }
    }
    out
}

/// Top-level module → the top-level modules its code names through `crate::`.
fn imports(src: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let names = reexports(src);
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in rust_files(src) {
        let from = top(src, &file);
        if from == "lib" {
            continue;
        }
        let code = code(&file);
        let mut used = BTreeSet::new();
        for (i, _) in code.match_indices("crate::") {
            let rest = &code[i + "crate::".len()..];
            if let Some(group) = rest.strip_prefix('{') {
                // `use crate::{a, b::c, D}`: the first name of each path.
                let group = &group[..group.find('}').unwrap_or(group.len())];
                used.extend(group.split(',').map(|p| ident(p.trim()).to_owned()));
            } else {
                used.insert(ident(rest).to_owned());
            }
        }
        let entry = graph.entry(from.clone()).or_default();
        for name in used {
            let module = names.get(&name).cloned().unwrap_or(name);
            if !module.is_empty() && module != from {
                entry.insert(module);
            }
        }
    }
    graph
}

/// A cycle through `graph` (ignoring `skip`), if there is one.
fn cycle(graph: &BTreeMap<String, BTreeSet<String>>, skip: &str) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        skip: &str,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(start) = path.iter().position(|n| n == node) {
            let mut found = path[start..].to_vec();
            found.push(node.to_owned());
            return Some(found);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_owned());
        for next in graph.get(node).into_iter().flatten() {
            if next == skip {
                continue;
            }
            if let Some(found) = visit(next, graph, skip, path, done) {
                return Some(found);
            }
        }
        path.pop();
        done.insert(node.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    for node in graph.keys().filter(|n| *n != skip) {
        if let Some(found) = visit(node, graph, skip, &mut Vec::new(), &mut done) {
            return Some(found);
        }
    }
    None
}

#[test]
fn the_planes_never_import_each_other() {
    let graph = imports(&src());
    assert!(graph["proxy"].contains("registry"), "the scan sees imports");
    for (from, to) in [("proxy", "admin"), ("admin", "proxy")] {
        assert!(
            !graph[from].contains(to),
            "{from} imports {to}: {:?}",
            graph[from]
        );
    }
}

#[test]
fn no_import_cycle_crosses_a_folder() {
    let graph = imports(&src());
    if let Some(found) = cycle(&graph, "state") {
        panic!("import cycle: {}", found.join(" → "));
    }
    // The check finds a cycle when there is one.
    let mut broken = graph.clone();
    broken
        .get_mut("settings")
        .unwrap()
        .insert("proxy".to_owned());
    assert!(cycle(&broken, "state").is_some());
}

#[test]
fn client_paths_are_listed_once() {
    const PATH_ENDINGS: [&str; 8] = [
        "/chat/completions\"",
        "/messages\"",
        "/messages/count_tokens\"",
        "/responses\"",
        "/embeddings\"",
        "/images/generations\"",
        "/audio/transcriptions\"",
        "/models\"",
    ];
    let src = src();
    let mut found = Vec::new();
    for file in rust_files(&src) {
        if file.ends_with("client_api.rs") {
            continue;
        }
        let text = std::fs::read_to_string(&file).unwrap();
        for (n, line) in text.lines().enumerate() {
            // A full URL (`https://api.openai.com/v1/models`) is another server's path.
            let client =
                PATH_ENDINGS.iter().any(|p| line.contains(p)) || line.contains("\"/v1beta/models");
            if client && !line.contains("://") {
                found.push(format!("{}:{}: {}", file.display(), n + 1, line.trim()));
            }
        }
    }
    assert!(
        found.is_empty(),
        "client paths outside client_api.rs:\n{}",
        found.join("\n")
    );
    let table = std::fs::read_to_string(src.join("client_api.rs")).unwrap();
    assert!(
        table.contains("\"/v1/chat/completions\""),
        "the scan matches"
    );
}

#[test]
fn the_desktop_shell_goes_through_control() {
    let shell = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../src-tauri/src");
    let mut found = Vec::new();
    for file in rust_files(&shell) {
        let text = code(&file);
        for needle in ["omniroute_gateway::admin", "state.store", "state.registry"] {
            if text.contains(needle) {
                found.push(format!("{}: {needle}", file.display()));
            }
        }
    }
    assert!(found.is_empty(), "{}", found.join("\n"));
}
