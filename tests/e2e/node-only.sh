#!/usr/bin/env bash
# tests/e2e/node-only.sh — the IDE's tests that need no browser and no site build: the dev
# server with real HTTP requests (server, server-rfc) and the pure modules (unit: rings,
# frames, diagnostics, tar). tools/test runs it as the `web` layer (a few seconds).
#
#   tests/e2e/node-only.sh                 server, server-rfc, unit
#   tests/e2e/node-only.sh server-rfc      only the named files (tests/e2e/NAME.test.mjs)
#
# Ends with one line: "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
ART=$ROOT/build/test-artifacts
mkdir -p "$ART"
if [ ! -d node_modules/esbuild ]; then
  echo "web: installing node packages (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error >"$ART/npm.log" 2>&1 || { echo "web: npm ci failed (see $ART/npm.log)"; echo "0 passed, 1 failed"; exit 1; }
fi
NAMES=("$@")
[ ${#NAMES[@]} -gt 0 ] || NAMES=(server server-rfc unit)
FILES=()
for n in "${NAMES[@]}"; do FILES+=("tests/e2e/$n.test.mjs"); done
. tests/e2e/lib/node-test.sh
node_test "$ART/web-node.tap" "${FILES[@]}"
echo "$PASS passed, $FAIL failed"
[ "$FAIL" = 0 ]
