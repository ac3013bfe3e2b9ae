#!/usr/bin/env bash
# The development explorer in a real browser with no network: headless
# Chromium (Debian's, installed here with apt-get when missing) loads /,
# shows the schema's root types and Query's fields in the Docs pane, and
# runs the prefilled `me` query with the prefilled demo token
# (scripts/browser/check.mjs, Playwright's playwright-core locked in
# scripts/browser/package-lock.json, no browser download).
#
# No network: the portal and Chromium run in a network namespace of their
# own with only the loopback interface (unshare, as root); Chromium also
# resolves no name but 127.0.0.1, and the check fails if the page asks for
# any other host. Where no namespace can be made it says so and runs with
# those two alone.
#
#   scripts/browser-check.sh            # CHROMIUM=/path/to/chromium to use another
#   BROWSER_CHECK_SCREENSHOT=shot.png scripts/browser-check.sh
set -euo pipefail
cd "$(dirname "$0")/.."
say() { printf 'browser-check: %s\n' "$*"; }
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  say "Node.js and npm are needed (Debian: apt-get install -y nodejs npm)" >&2
  exit 1
fi
export CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
if [ ! -x "$CHROMIUM" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    say "installing Debian's chromium"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  fi
  if [ ! -x "$CHROMIUM" ]; then
    say "no Chromium at $CHROMIUM and none could be installed (Debian: apt-get install -y chromium; or set CHROMIUM)" >&2
    exit 1
  fi
fi
here=scripts/browser
# npm ci again only when the lockfile changed since the last install.
if ! cmp -s "$here/package-lock.json" "$here/node_modules/.installed-lock.json"; then
  (cd "$here" && npm ci --no-audit --no-fund --loglevel=error >/dev/null && cp package-lock.json node_modules/.installed-lock.json)
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go build -o "$work/portal" .
if [ "$(id -u)" = 0 ] && command -v unshare >/dev/null && command -v ip >/dev/null && unshare --net true 2>/dev/null; then
  say "in a network namespace with only the loopback interface"
  unshare --net bash -c 'ip link set lo up && exec "$0" "$1"' "$here/serve-and-check.sh" "$work"
else
  say "cannot make a network namespace here (needs root, unshare and ip): the network stays, Chromium's host rules and the page's request interception alone keep it off"
  "$here/serve-and-check.sh" "$work"
fi
if [ -n "${BROWSER_CHECK_SCREENSHOT:-}" ]; then cp "$work/graphiql.png" "$BROWSER_CHECK_SCREENSHOT"; fi
