#!/usr/bin/env bash
# Reproduces httpapi/graphiql/: the GraphiQL explorer and the React it runs
# on, as built and published on the npm registry, with their licences, so
# that the development server's explorer at / works without internet.
# Nothing in the directory is written by hand; run this script to update
# it (change the versions below), then commit the result.
#
# Needs npm (only `npm pack`, which downloads a package's tarball) and
# sha256sum.
set -euo pipefail

GRAPHIQL_VERSION=3.8.3 # the last major with a browser (UMD) build
REACT_VERSION=18.3.1   # React 19 no longer ships UMD builds

root=$(cd "$(dirname "$0")/.." && pwd)
dest="$root/httpapi/graphiql"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cd "$tmp"
npm pack --silent "graphiql@$GRAPHIQL_VERSION" "react@$REACT_VERSION" "react-dom@$REACT_VERSION" >/dev/null
mkdir graphiql react react-dom
tar -xzf "graphiql-$GRAPHIQL_VERSION.tgz" -C graphiql
tar -xzf "react-$REACT_VERSION.tgz" -C react
tar -xzf "react-dom-$REACT_VERSION.tgz" -C react-dom

rm -rf "$dest"
mkdir -p "$dest"
cp graphiql/package/graphiql.min.js graphiql/package/graphiql.min.css "$dest/"
cp graphiql/package/LICENSE "$dest/graphiql.LICENSE"
cp react/package/umd/react.production.min.js "$dest/"
cp react/package/LICENSE "$dest/react.LICENSE"
cp react-dom/package/umd/react-dom.production.min.js "$dest/"
cp react-dom/package/LICENSE "$dest/react-dom.LICENSE"
cat >"$dest/VERSIONS" <<VERSIONS
graphiql $GRAPHIQL_VERSION
react $REACT_VERSION
react-dom $REACT_VERSION
VERSIONS
(cd "$dest" && sha256sum -- *.js *.css *.LICENSE VERSIONS >SHA256SUMS)
echo "vendored into $dest:"
cat "$dest/VERSIONS"
