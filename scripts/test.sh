#!/usr/bin/env bash
# Runs OmniRoute's whole test suite: formatting and lints, unit and end-to-end tests (the real
# binary against mock upstreams on 127.0.0.1, the OS keychain under a private D-Bus session).
# Installs what it needs when missing. Nothing here reaches the internet.
set -euo pipefail
cd "$(dirname "$0")/.."
# A test run builds once from scratch in CI: incremental caches would only double the disk it needs.
export CARGO_INCREMENTAL=0
. scripts/lib/deps.sh
ensure_test_deps
# The dashboard first: the gateway embeds ui/dist when it is compiled.
build_ui
echo "==> dashboard unit tests (vitest) and type check"
npm run --prefix ui --silent test
npm run --prefix ui --silent check

echo "==> cargo fmt --check"
cargo fmt --all -- --check
echo "==> cargo clippy"
cargo clippy --locked --workspace --all-targets -- -D warnings

# A private keyring: never the developer's own, never left behind.
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
export XDG_DATA_HOME="$scratch/data" XDG_RUNTIME_DIR="$scratch/run" OMNIROUTE_REQUIRE_KEYCHAIN=1
mkdir -p "$XDG_DATA_HOME" "$XDG_RUNTIME_DIR"
chmod 700 "$XDG_RUNTIME_DIR"

echo "==> cargo nextest (workspace)"
dbus-run-session -- bash -c '
    printf "omniroute-test" | gnome-keyring-daemon --unlock --components=secrets >/dev/null
    cargo nextest run --locked --workspace --no-fail-fast
'
echo "==> the storage suite again on PostgreSQL (a server of its own, from Debian's package)"
cargo build --locked -p omniroute-e2e --bin with-services
dbus-run-session -- bash -c '
    printf "omniroute-test" | gnome-keyring-daemon --unlock --components=secrets >/dev/null
    "${CARGO_TARGET_DIR:-target}/debug/with-services" cargo nextest run --locked -p omniroute-store --no-fail-fast
'
echo "==> official SDKs (Python: openai, anthropic, google-genai) and coding CLIs against the gateway"
if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c "import openai, anthropic, google.genai, pytest, Xlib" 2>/dev/null; then
    python3 -m venv .venv
    .venv/bin/pip install --quiet --upgrade pip
    .venv/bin/pip install --quiet -r tests/python/requirements.txt
fi
cargo build --locked -p omniroute -p omniroute-e2e -p omniroute-desktop --bins
echo "==> the real coding CLIs (npm: Claude Code, Codex, Gemini CLI)"
if ! npm ci --prefix tests/cli --no-audit --no-fund >/tmp/omniroute-npm-ci.log 2>&1; then
    cat /tmp/omniroute-npm-ci.log
    exit 1
fi
(cd tests/python && ../../.venv/bin/python -m pytest -q -p no:cacheprovider)
echo "==> dashboard in a real browser (Debian chromium, playwright-core); screenshots in ui/e2e/out/"
npm run --prefix ui --silent e2e
echo "==> desktop app under Xvfb with a tray host (screenshots in tests/out/desktop/), and its .deb"
npm ci --prefix src-tauri --no-audit --no-fund --loglevel=error
xvfb-run -a -s "-screen 0 1280x800x24" dbus-run-session -- bash -c '
    printf "omniroute-test" | gnome-keyring-daemon --unlock --components=secrets >/dev/null
    .venv/bin/python -m pytest -q -s -p no:cacheprovider tests/desktop
'
# The container image: built and run with a Docker engine, else its stages and runtime without.
./scripts/test-container.sh
echo "==> all tests passed"
