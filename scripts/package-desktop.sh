#!/usr/bin/env bash
# Builds the desktop app's Linux installers, a .deb and an .rpm, in release mode:
#   target/release/bundle/deb/OmniRoute_<version>_amd64.deb
#   target/release/bundle/rpm/OmniRoute-<version>-1.x86_64.rpm
# Installs what it needs when missing. macOS, Windows and AppImage builds, and signed update
# artifacts, come from the release workflow (.github/workflows/release.yml); see installers/.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/deps.sh
ensure_build_deps
ensure_desktop_build_deps
build_ui
npm ci --prefix src-tauri --no-audit --no-fund --loglevel=error
cd src-tauri
npx --no-install tauri build --bundles deb,rpm "$@"
ls -l ../target/release/bundle/deb/*.deb ../target/release/bundle/rpm/*.rpm
