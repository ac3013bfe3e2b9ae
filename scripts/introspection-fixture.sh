#!/usr/bin/env bash
# Reproduces apitest/testdata/introspection.graphql: the text of graphql-js's
# getIntrospectionQuery(), which GraphiQL, GraphQL Code Generator and most
# client tools send. Needs npm and node.
set -euo pipefail

GRAPHQL_VERSION=16.15.0

root=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
npm pack --silent "graphql@$GRAPHQL_VERSION" >/dev/null
tar -xzf graphql-*.tgz
node -e 'process.stdout.write(require("./package/index.js").getIntrospectionQuery())' >"$root/apitest/testdata/introspection.graphql"
