#!/usr/bin/env bash
# Builds OmniRoute and the bench tools in release mode, runs the benchmarks, prints markdown
# tables and writes them into docs/benchmarks.md (generated blocks only; the text around them is
# kept). Placement: the gateway (and LiteLLM) on core 1, load generator and mock on core 0.
#
# Environment: BENCH_SECONDS (10, per measurement), STEADY_SECONDS (600, the steady-load run),
# RATES, MORE_RATES, LITELLM_RATES (see bench/scenarios.py), COLD_START_RUNS (20),
# LITELLM=0 (skip LiteLLM), TRANSLATION=0 (skip the criterion translation benchmark),
# FEATURES=0 (skip the cost of access and accounting), SCALE=0 (skip the scale-out run:
# SQLite vs PostgreSQL + Redis vs two gateways behind nginx; SCALE_RATES), BEFORE_REV (the revision that cost is
# measured against; default the last one without it; empty: this build only), DESKTOP=0 (skip
# the desktop app), DESKTOP_RUNS (5), DESKTOP_OVERLOAD_RATES (2000,5000,10000; empty: skip the
# overload), WRITE_DOCS=0 (print only).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/deps.sh
ensure_build_deps
apt_ensure python3 util-linux
# CARGO may wrap cargo, e.g. CARGO="flock /tmp/cargo.lock cargo" on a shared machine.
${CARGO:-cargo} build --release --locked -p omniroute -p omniroute-bench
TARGET="${CARGO_TARGET_DIR:-target}/release"
OUT=bench/out
mkdir -p "$OUT"
ulimit -n 65536 2>/dev/null || true
if [ "$(nproc)" -lt 2 ]; then
    echo "bench: needs 2 cores for the placement (gateway on core 1, load on core 0)" >&2
    exit 2
fi

# LiteLLM's proxy, in a virtualenv of its own (git-ignored).
LITELLM_BIN=""
if [ "${LITELLM:-1}" != 0 ]; then
    if [ ! -x bench/.venv/bin/litellm ]; then
        echo "==> installing litellm[proxy] into bench/.venv"
        if ! { python3 -m venv bench/.venv && bench/.venv/bin/pip install -q 'litellm[proxy]'; } \
            >"$OUT/litellm-install.log" 2>&1; then
            echo "bench: LiteLLM could not be installed (see $OUT/litellm-install.log); measuring OmniRoute alone" >&2
            tail -5 "$OUT/litellm-install.log" >&2
        fi
    fi
    [ -x bench/.venv/bin/litellm ] && LITELLM_BIN=bench/.venv/bin/litellm
fi

machine() {
    local cpu
    cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
    echo "Measured $(date -u +%Y-%m-%d) on: $(nproc) cores ($cpu), $(free -g | awk '/Mem:/{print $2}') GiB," \
        "$(. /etc/os-release && echo "$PRETTY_NAME"), Linux $(uname -r), $(rustc --version | cut -d' ' -f1-2)," \
        "release build${LITELLM_BIN:+, LiteLLM $(bench/.venv/bin/pip show litellm 2>/dev/null | awk '/^Version/{print $2}') on Python $(bench/.venv/bin/python --version | cut -d' ' -f2)}." \
        "Steady-load run: ${STEADY_SECONDS:-600} s."
}

{
    machine
    echo
    echo "### Cold start and idle memory (OmniRoute)"
    echo
    python3 bench/cold_start.py "$TARGET/omniroute" "${COLD_START_RUNS:-20}"
    echo
    taskset -c 0 python3 bench/scenarios.py "$TARGET" "$OUT/results.json" "$LITELLM_BIN"
} | tee "$OUT/results.md"

# The cost of access and accounting, against the revision before them (built from git).
if [ "${FEATURES:-1}" != 0 ]; then
    BEFORE_REV=${BEFORE_REV-ceb4766}
    BEFORE_BIN=""
    if [ -n "$BEFORE_REV" ] && git rev-parse -q --verify "$BEFORE_REV^{commit}" >/dev/null; then
        src="$OUT/before-src"
        rm -rf "$src" && mkdir -p "$src"
        git archive "$BEFORE_REV" | tar -x -C "$src"
        echo "==> building $BEFORE_REV for the before/after comparison"
        before_target="$(realpath -m "${CARGO_TARGET_DIR:-target}")/before"
        (cd "$src" && CARGO_TARGET_DIR="$before_target" ${CARGO:-cargo} build --release --locked -p omniroute)
        BEFORE_BIN="$before_target/release/omniroute"
    fi
    echo
    taskset -c 0 python3 bench/features.py "$TARGET" "$OUT/features.json" "$BEFORE_BIN" | tee "$OUT/features.md"
fi

# One gateway on SQLite, one on PostgreSQL + Redis, two behind nginx: servers of its own.
if [ "${SCALE:-1}" != 0 ]; then
    apt_ensure postgresql redis-server nginx
    echo
    taskset -c 0 python3 bench/scale_out.py "$TARGET" "$OUT/scale.json" | tee "$OUT/scale.md"
fi

if [ "${TRANSLATION:-1}" != 0 ]; then
    echo
    ${CARGO:-cargo} bench --locked -p omniroute-formats --bench translate >/dev/null
    python3 bench/translation_table.py "${CARGO_TARGET_DIR:-target}/criterion" | tee "$OUT/translation.md"
fi

# The desktop app: start-up, memory with the window open and closed, idle CPU, package size.
if [ "${DESKTOP:-1}" != 0 ]; then
    ensure_desktop_build_deps
    apt_ensure xvfb xauth xdotool dbus-x11 python3-xlib haskell-status-notifier-item-utils \
        haskell-gtk-sni-tray-utils imagemagick
    ${CARGO:-cargo} build --release --locked -p omniroute-desktop
    echo
    # Debian's python3, which has python3-xlib (closing the window as a window manager would).
    xvfb-run -a -s "-screen 0 1280x800x24" dbus-run-session -- \
        /usr/bin/python3 bench/desktop.py "$TARGET/omniroute-desktop" "$OUT/desktop.md" "${DESKTOP_RUNS:-5}"
fi

if [ "${WRITE_DOCS:-1}" != 0 ]; then
    python3 bench/update_docs.py results docs/benchmarks.md <"$OUT/results.md"
    if [ -f "$OUT/features.md" ] && [ "${FEATURES:-1}" != 0 ]; then
        python3 bench/update_docs.py features docs/benchmarks.md <"$OUT/features.md"
    fi
    if [ -f "$OUT/scale.md" ] && [ "${SCALE:-1}" != 0 ]; then
        python3 bench/update_docs.py scale docs/benchmarks.md <"$OUT/scale.md"
    fi
    if [ -f "$OUT/desktop.md" ] && [ "${DESKTOP:-1}" != 0 ]; then
        python3 bench/update_docs.py desktop docs/benchmarks.md <"$OUT/desktop.md"
    fi
    if [ -f "$OUT/translation.md" ] && [ "${TRANSLATION:-1}" != 0 ]; then
        python3 bench/update_docs.py translation docs/benchmarks.md <"$OUT/translation.md"
    fi
    echo "==> docs/benchmarks.md updated"
fi
