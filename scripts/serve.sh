#!/usr/bin/env bash
# Builds OmniRoute (release) and starts the headless gateway with its dashboard on
# http://localhost:20128, storing everything in ~/.omniroute (SQLite). Installs what the build
# needs when missing. Arguments are passed to `omniroute serve` (e.g. --port 8080).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/deps.sh
ensure_build_deps
build_ui
cargo build --release --locked -p omniroute
exec target/release/omniroute serve "$@"
