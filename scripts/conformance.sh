#!/usr/bin/env bash
# GraphQL-over-HTTP conformance: serve the portal on a free loopback port with
# a throw-away embedded store and run the graphql-http audits against it.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "conformance: Node.js and npm are needed for the graphql-http audits (Debian: apt-get install -y nodejs npm)" >&2
  exit 1
fi
work=$(mktemp -d)
trap 'kill "${pid:-}" 2>/dev/null || true; rm -rf "$work"' EXIT
go build -o "$work/portal" .
(cd "$work" && npm init -y >/dev/null && npm install --silent --no-audit --no-fund graphql-http@1.22.4 graphql@16.11.0 >/dev/null)
cp scripts/graphql-http-audit.mjs "$work/"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null || echo 18181)
PORTAL_ADDR="127.0.0.1:$port" PORTAL_SQLITE_PATH="$work/portal.db" PORTAL_PURGE_INTERVAL=0 PORTAL_LOG_LEVEL=warn \
  "$work/portal" serve >"$work/server.log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do
  curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break
  sleep 0.2
done
(cd "$work" && timeout 120 node graphql-http-audit.mjs "http://127.0.0.1:$port/graphql")
