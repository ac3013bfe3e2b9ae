#!/bin/sh
# PostGraphile 4 on the load database, the reference server of
# `portal loadtest compare --postgraphile-url` (BENCHMARKS.md). Not part of
# the portal: no auth, no decryption, no masking; development machines only.
#
#   scripts/postgraphile/start.sh [DATABASE_URL] [PORT]
#
# Installs the locked packages (package-lock.json) on first use, then serves
# the public schema on 127.0.0.1:PORT/graphql (default 18095) until stopped.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
db=${1:-${PORTAL_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/portal_load}}
port=${2:-18095}
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "postgraphile: Node.js and npm are needed (Debian: apt-get install -y nodejs npm)" >&2
  exit 1
fi
cd "$here"
[ -d node_modules/postgraphile ] || npm ci --no-audit --no-fund >/dev/null
# Only the URL's connection part: PostGraphile passes unknown parameters
# (such as the portal's statement_timeout=0) to PostgreSQL as options.
exec node node_modules/.bin/postgraphile -c "${db%%\?*}" --host 127.0.0.1 --port "$port" \
  --schema public --disable-graphiql --disable-query-log
