#!/usr/bin/env bash
# Checks what a user gets from the container image: the real dashboard (not the "not built"
# page), served by an unprivileged user, and no start with the published first password.
# With a Docker engine: builds the image from this tree and runs it. Without one: the image's
# stages through the same script (scripts/image-stage.sh; the dashboard was built by the test
# command already, with the same commands) and the runtime as the image has it — the binary
# copied out, a private data directory owned by an unprivileged user (nobody), the image's
# environment.
set -euo pipefail
cd "$(dirname "$0")/.."

fail() { echo "container: $*" >&2; exit 1; }

if command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; then
    echo "==> container image (docker build)"
    tag="omniroute-test:$$"
    docker build -q -t "$tag" . >/dev/null
    id=""
    cleanup() {
        if [ -n "$id" ]; then docker rm -f "$id" >/dev/null 2>&1 || true; fi
        docker rmi -f "$tag" >/dev/null 2>&1 || true
    }
    trap cleanup EXIT
    if docker run --rm "$tag" >/dev/null 2>&1; then
        fail "the image started with the published first password"
    fi
    id=$(docker run -d -e INITIAL_PASSWORD=container-test-pw -p 127.0.0.1::20128 "$tag")
    port=$(docker port "$id" 20128/tcp | head -1 | sed 's/.*://')
    uid_of() { docker exec "$id" id -u; }
else
    echo "==> container image stages without a Docker engine (scripts/image-stage.sh), run as nobody"
    PROFILE=dev scripts/image-stage.sh build
    root=$(mktemp -d)
    pid=""
    cleanup() {
        if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
        rm -rf "$root"
    }
    trap cleanup EXIT
    install -m 0755 "${CARGO_TARGET_DIR:-target}/debug/omniroute" "$root/omniroute"
    mkdir -m 0700 "$root/data"
    chown nobody "$root/data"
    chmod 0755 "$root"
    # The image's environment and user; extra NAME=value arguments are added to it. `exec` so
    # that, started in the background, the process is the gateway itself.
    serve_as_image() {
        exec env -i PATH=/usr/bin:/bin HOME="$root/data" OMNIROUTE_CONTAINER=1 DATA_DIR="$root/data" \
            PORT=0 "$@" setpriv --reuid=nobody --regid=nogroup --clear-groups "$root/omniroute" serve
    }
    # Started with the published first password, it must exit at once, with a reason.
    (serve_as_image) >"$root/refused.log" 2>&1 &
    refused=$!
    for _ in $(seq 100); do
        kill -0 "$refused" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$refused" 2>/dev/null; then
        kill "$refused"
        fail "it started with the published first password"
    fi
    if wait "$refused"; then
        fail "it exited 0 with the published first password"
    fi
    grep -q INITIAL_PASSWORD "$root/refused.log" || fail "the refusal does not say why: $(cat "$root/refused.log")"
    (serve_as_image INITIAL_PASSWORD=container-test-pw) >"$root/out.log" 2>"$root/err.log" &
    pid=$!
    for _ in $(seq 100); do
        grep -q "listening on" "$root/out.log" 2>/dev/null && break
        sleep 0.1
    done
    port=$(sed -n 's/.*listening on .*:\([0-9]*\).*/\1/p' "$root/out.log" | head -1)
    [ -n "$port" ] || fail "it did not start: $(cat "$root/err.log")"
    uid_of() { awk '/^Uid:/ {print $2}' "/proc/$pid/status"; }
fi

for _ in $(seq 100); do
    curl -fs "http://127.0.0.1:$port/healthz" >/dev/null && break
    sleep 0.2
done
page=$(curl -fs "http://127.0.0.1:$port/")
if grep -q "dashboard is not built" <<<"$page"; then
    fail "no dashboard is served"
fi
grep -q "<script" <<<"$page" || fail "the page at / is not the dashboard"
uid=$(uid_of)
[ "$uid" != 0 ] || fail "it runs as root"
echo "container: dashboard served, running as uid $uid"
