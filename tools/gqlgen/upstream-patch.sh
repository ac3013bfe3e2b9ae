#!/usr/bin/env bash
# Writes tools/gqlgen/templates/upstream.patch: the difference between
# gqlgen's own templates and the copies in tools/gqlgen/templates, as a patch
# to gqlgen's repository (git apply, or patch -p1, at its root). With
# --check, fails instead when the committed patch is not current.
set -euo pipefail
cd "$(dirname "$0")"
version=$(sed -n 's/^const upstreamVersion = "\(.*\)"$/\1/p' main.go)
upstream=$(go list -m -f '{{.Dir}}' "github.com/99designs/gqlgen@$version")
out=$(mktemp)
trap 'rm -f "$out"' EXIT
for f in field.gotpl object.gotpl type.gotpl; do
  diff -u --label "a/codegen/$f" --label "b/codegen/$f" "$upstream/codegen/$f" "templates/$f" >>"$out" || [ $? -eq 1 ]
done
if [ "${1:-}" = --check ]; then
  if ! cmp -s "$out" templates/upstream.patch; then
    echo "tools/gqlgen/templates/upstream.patch is stale: run tools/gqlgen/upstream-patch.sh and commit it" >&2
    exit 1
  fi
else
  cp "$out" templates/upstream.patch
fi
