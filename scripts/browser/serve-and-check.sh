#!/usr/bin/env bash
# Inside scripts/browser-check.sh (in a network namespace of its own where
# one can be made): serve the portal built at WORK/portal on a free
# loopback port with a throw-away embedded store, then drive Chromium
# through / (check.mjs).
#
#   serve-and-check.sh WORK
set -euo pipefail
work=$1
here=$(cd "$(dirname "$0")" && pwd)
trap 'kill "${pid:-}" 2>/dev/null || true' EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null || echo 18183)
PORTAL_ADDR="127.0.0.1:$port" PORTAL_SQLITE_PATH="$work/portal.db" PORTAL_PURGE_INTERVAL=0 PORTAL_TRANSMIT_INTERVAL=0 PORTAL_LOG_LEVEL=warn \
  "$work/portal" serve >"$work/server.log" 2>&1 &
pid=$!
for _ in $(seq 1 150); do
  if curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1; then
    node "$here/check.mjs" "http://127.0.0.1:$port" "$work/graphiql.png"
    exit
  fi
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.2
done
echo "browser-check: the portal did not become ready; its log:" >&2
cat "$work/server.log" >&2
exit 1
