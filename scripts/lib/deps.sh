# Shared by scripts/serve.sh and scripts/test.sh: installs what building and testing OmniRoute
# needs when it is missing, on Debian/Ubuntu. Sourced, not run.

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"
    elif command -v sudo >/dev/null 2>&1; then sudo "$@"
    else echo "need root (or sudo) to run: $*" >&2; return 1
    fi
}

# apt_ensure PKG... : installs the packages that are not installed yet.
apt_ensure() {
    local missing=()
    for pkg in "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    echo "==> installing system packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    as_root apt-get install -y --no-install-recommends "${missing[@]}" \
        || { as_root apt-get update && as_root apt-get install -y --no-install-recommends "${missing[@]}"; }
}

ensure_build_deps() {
    apt_ensure ca-certificates curl build-essential pkg-config libdbus-1-dev
    if ! command -v cargo >/dev/null 2>&1; then
        if [ -x "$HOME/.cargo/bin/cargo" ]; then
            export PATH="$HOME/.cargo/bin:$PATH"
        else
            echo "==> installing the Rust toolchain with rustup"
            curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal
            export PATH="$HOME/.cargo/bin:$PATH"
        fi
    fi
}

# The desktop app (src-tauri): WebKitGTK, GTK and the tray library it links against.
ensure_desktop_build_deps() {
    apt_ensure libwebkit2gtk-4.1-dev libgtk-3-dev libayatana-appindicator3-dev librsvg2-dev \
        libsoup-3.0-dev libjavascriptcoregtk-4.1-dev libssl-dev file xdg-utils
}

ensure_test_deps() {
    ensure_build_deps
    ensure_desktop_build_deps
    # The desktop app's GUI tests: a virtual X display, a StatusNotifier tray host, a
    # notification service (dunst) for the quota notifications, X tools for screenshots, keys
    # and the clipboard.
    apt_ensure xvfb xauth imagemagick xdotool xclip dbus-user-session dunst \
        haskell-status-notifier-item-utils haskell-gtk-sni-tray-utils
    # A D-Bus session with an unlocked gnome-keyring runs the OS-keychain tests headless.
    apt_ensure dbus dbus-x11 gnome-keyring python3 python3-venv
    # A real WebDAV server (rclone serve webdav) for the cloud sync tests.
    apt_ensure rclone
    # Real PostgreSQL and Redis servers, and nginx as the load balancer, for the scale-out
    # tests: each test starts its own on loopback in a temporary directory, never these
    # packages' own services.
    apt_ensure postgresql redis-server nginx
    # Node.js 20+ runs the real coding CLIs (Claude Code, Codex, Gemini CLI) in the tests;
    # Debian's Chromium runs the dashboard's browser tests (driven by playwright-core).
    ensure_node
    apt_ensure chromium
    rustup component add clippy rustfmt >/dev/null 2>&1 || true
    if ! cargo nextest --version >/dev/null 2>&1; then
        echo "==> installing cargo-nextest"
        cargo install cargo-nextest --locked
    fi
}

# Node.js and npm for the dashboard build (Debian's nodejs when missing).
ensure_node() {
    if ! command -v npm >/dev/null 2>&1; then
        apt_ensure nodejs npm
    fi
}

# build_ui: installs the dashboard's npm packages from its lockfile (when they changed) and
# builds ui/dist, which the gateway embeds at compile time.
build_ui() {
    ensure_node
    if [ ! -d ui/node_modules ] || [ ui/package-lock.json -nt ui/node_modules/.package-lock.json ]; then
        echo "==> npm ci (dashboard)"
        npm ci --prefix ui --no-audit --no-fund --loglevel=error
    fi
    echo "==> building the dashboard (ui/dist)"
    npm run --prefix ui --silent build -- --logLevel warn
}
