#!/usr/bin/env bash
# The project's test command (README.md): static checks, then every test with
# the race detector on both stores. It needs PostgreSQL on 127.0.0.1:5432
# (trust auth, user postgres) or PORTAL_TEST_DATABASE_URL; it starts the
# local cluster if one is installed but stopped.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '==> %s\n' "$*"; }

ensure_postgres() {
  local url="${PORTAL_TEST_DATABASE_URL:-}"
  if [ -n "$url" ]; then return 0; fi
  if command -v pg_isready >/dev/null && pg_isready -q -h 127.0.0.1 -p 5432; then return 0; fi
  if command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ]; then
    say "starting the local PostgreSQL cluster"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
    for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && return 0; sleep 1; done
  fi
  cat >&2 <<'MSG'
PostgreSQL is required: the tests run on PostgreSQL and on SQLite, and never skip PostgreSQL.
None answers on 127.0.0.1:5432. Either
  - install and start one (Debian: apt-get install -y postgresql && pg_ctlcluster 15 main start),
    with trust auth for user postgres on 127.0.0.1, or
  - point PORTAL_TEST_DATABASE_URL at a server, e.g. postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable
MSG
  exit 1
}

say "go mod download"
go mod download

say "gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then echo "gofmt would change:"; echo "$unformatted"; exit 1; fi

say "generated code and go.mod are current"
if git rev-parse --git-dir >/dev/null 2>&1; then
  go generate ./...
  go mod tidy
  tools/gqlgen/upstream-patch.sh --check
  if ! git diff --quiet -- . ; then
    echo "go generate ./... or go mod tidy changed tracked files; run them and commit:" >&2
    git --no-pager diff --stat >&2
    exit 1
  fi
fi

say "go vet"
go vet ./...

say "docs/schema.graphql matches portal schema"
if ! go run . schema | diff -u docs/schema.graphql - ; then
  echo "the committed SDL is stale: run go run . schema > docs/schema.graphql and commit it" >&2
  exit 1
fi

ensure_postgres

# The six-year purge simulation (2,190 daily runs on each store) checks the
# calculus and the purge's results, not concurrency; under the race detector
# it alone takes most of the budget, so it runs once more without it below.
# Races in the purge are the business of its concurrency tests, which run
# with -race.
long='^TestSixYearsOfSubscribersPurgedEveryDay$'

say "go test -race (PostgreSQL and SQLite)"
# Race reports go to files and are printed whole at the end, so that the
# first report is not lost in the middle of a long output.
race_dir=$(mktemp -d)
status=0
GORACE="log_path=$race_dir/race ${GORACE:-}" go test -race -count=1 -timeout 30m -skip "$long" ./... || status=$?
if compgen -G "$race_dir/race.*" >/dev/null; then
  echo "data races were reported (each report in full):" >&2
  for f in "$race_dir"/race.*; do echo "--- $f" >&2; head -c 20000 "$f" >&2; done
  status=1
fi
rm -rf "$race_dir"
if [ "$status" -ne 0 ]; then exit "$status"; fi

say "the six-year purge simulation (PostgreSQL and SQLite)"
go test -count=1 -timeout 30m -run "$long" ./purge/

say "GraphQL-over-HTTP conformance (graphql-http audits)"
./scripts/conformance.sh

say "GraphQL Code Generator from the live endpoint"
./scripts/codegen-check.sh

say "GraphiQL in headless Chromium with no network"
./scripts/browser-check.sh
