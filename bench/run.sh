#!/usr/bin/env bash
# Builds OmniRoute in release mode and runs the benchmarks, printing markdown tables.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/deps.sh
ensure_build_deps
apt_ensure python3
cargo build --release --locked -p omniroute
echo "## Cold start and idle memory ($(nproc) cores, $(uname -m))"
python3 bench/cold_start.py target/release/omniroute "${COLD_START_RUNS:-20}"
echo
echo "## Translation (criterion, crates/formats/benches/translate.rs)"
cargo bench --locked -p omniroute-formats --bench translate >/dev/null
python3 bench/translation_table.py target/criterion
