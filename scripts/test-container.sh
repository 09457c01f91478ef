#!/usr/bin/env bash
# Builds the container image from this tree and checks what a user gets from `docker run`: the
# real dashboard (not the "not built" page), served by an unprivileged user, refusing to start
# without a first password of its own. Needs a Docker engine; scripts/test.sh runs it when one
# answers.
set -euo pipefail
cd "$(dirname "$0")/.."
tag="omniroute-test:$$"
echo "==> container image (docker build)"
docker build -q -t "$tag" . >/dev/null
id=""
cleanup() {
    [ -n "$id" ] && docker rm -f "$id" >/dev/null 2>&1 || true
    docker rmi -f "$tag" >/dev/null 2>&1 || true
}
trap cleanup EXIT
if docker run --rm "$tag" >/dev/null 2>&1; then
    echo "the image started with the published first password"; exit 1
fi
id=$(docker run -d -e INITIAL_PASSWORD=container-test-pw -p 127.0.0.1::20128 "$tag")
port=$(docker port "$id" 20128/tcp | head -1 | sed 's/.*://')
for _ in $(seq 100); do
    curl -fs "http://127.0.0.1:$port/healthz" >/dev/null && break
    sleep 0.2
done
page=$(curl -fs "http://127.0.0.1:$port/")
if grep -q "dashboard is not built" <<<"$page"; then
    echo "the image serves no dashboard"; exit 1
fi
uid=$(docker exec "$id" id -u)
if [ "$uid" = 0 ]; then
    echo "the image runs as root"; exit 1
fi
echo "container: dashboard served, running as uid $uid"
