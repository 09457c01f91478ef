//! Tauri's build step: embeds `tauri.conf.json`, the icons and the permissions manifest.

fn main() {
    tauri_build::build();
}
