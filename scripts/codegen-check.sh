#!/usr/bin/env bash
# GraphQL Code Generator against the live endpoint: serve the portal on a
# free loopback port with a throw-away embedded store, generate TypeScript
# types for the schema and for two operations a subscriber's app sends
# (scripts/codegen/operations.graphql: the home screen's `me`, filing a
# dispute) by the standard introspection query, type-check a client
# written against them (scripts/codegen/client.ts) with tsc, and send the
# operations as the demo subscriber to check the answers have the typed
# shape. The npm packages are those of scripts/codegen/package-lock.json.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "codegen-check: Node.js and npm are needed (Debian: apt-get install -y nodejs npm)" >&2
  exit 1
fi
here=scripts/codegen
work=$(mktemp -d)
trap 'kill "${pid:-}" 2>/dev/null || true; rm -rf "$work"' EXIT
go build -o "$work/portal" .
# npm ci again only when the lockfile changed since the last install.
if ! cmp -s "$here/package-lock.json" "$here/node_modules/.installed-lock.json"; then
  (cd "$here" && npm ci --no-audit --no-fund --loglevel=error >/dev/null && cp package-lock.json node_modules/.installed-lock.json)
fi
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null || echo 18182)
export PORTAL_ADDR="127.0.0.1:$port" PORTAL_SQLITE_PATH="$work/portal.db" PORTAL_PURGE_INTERVAL=0 PORTAL_TRANSMIT_INTERVAL=0 PORTAL_LOG_LEVEL=warn
"$work/portal" serve >"$work/server.log" 2>&1 &
pid=$!
ready=
for _ in $(seq 1 150); do
  if curl -fsS "http://$PORTAL_ADDR/readyz" >/dev/null 2>&1; then ready=1; break; fi
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.2
done
if [ -z "$ready" ]; then
  echo "codegen-check: the portal did not become ready; its log:" >&2
  cat "$work/server.log" >&2
  exit 1
fi
token=$("$work/portal" token --demo active)
cd "$here"
rm -rf generated
# Its progress is printed only when it fails.
if ! PORTAL_GRAPHQL_URL="http://$PORTAL_ADDR/graphql" node node_modules/.bin/graphql-codegen --config codegen.yml >"$work/codegen.log" 2>&1; then
  echo "codegen-check: GraphQL Code Generator failed:" >&2
  cat "$work/codegen.log" >&2
  exit 1
fi
node node_modules/.bin/tsc -p .
echo "codegen-check: generated/schema.ts ($(wc -l <generated/schema.ts) lines) and generated/operations.ts ($(wc -l <generated/operations.ts) lines) type-check with client.ts"
node run.mjs "http://$PORTAL_ADDR/graphql" "$token"
