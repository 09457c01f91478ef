#!/usr/bin/env bash
# The container image's stages as one script, so the image and a machine without a Docker engine
# build the same way: the Dockerfile runs each stage with it, and scripts/test-container.sh runs
# the same stages here when no engine answers.
#   ui       the dashboard (ui/dist), which the gateway embeds at compile time
#   build    the omniroute binary (PROFILE=release unless set)
#   user     the unprivileged user and the data directory the image runs with
set -euo pipefail
cd "$(dirname "$0")/.."
case "${1:-}" in
    ui)
        npm ci --prefix ui --no-audit --no-fund --loglevel=error
        npm run --prefix ui --silent build -- --logLevel warn
        ;;
    build)
        cargo build --locked --profile "${PROFILE:-release}" -p omniroute
        ;;
    user)
        useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin omniroute
        mkdir -p /app/data
        chown omniroute:omniroute /app/data
        chmod 0700 /app/data
        ;;
    *)
        echo "usage: $0 ui|build|user" >&2
        exit 2
        ;;
esac
