#!/usr/bin/env bash
# tests/e2e/node-only.sh — the IDE's tests that need no browser and no site build: the dev
# server with real HTTP requests (server, server-rfc) and the pure modules (unit: rings,
# frames, diagnostics, tar), after the TypeScript type check of the page and of the
# worker (esbuild strips types without checking them: a type error would otherwise
# reach no test). tools/test runs it as the `web` layer.
#
#   tests/e2e/node-only.sh                 server, server-rfc, unit, lessons-unit, share-unit, preview-unit, site-image-unit
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
[ ${#NAMES[@]} -gt 0 ] || NAMES=(server server-rfc unit lessons-unit share-unit preview-unit site-image-unit)
FILES=()
for n in "${NAMES[@]}"; do FILES+=("tests/e2e/$n.test.mjs"); done
. tests/e2e/lib/node-test.sh
node_test "$ART/web-node.tap" "${FILES[@]}"
if [ $# = 0 ]; then
  for cfg in tsconfig.json tsconfig.worker.json web/lib/tsconfig.json; do
    if npx --no-install tsc -p "$cfg" --noEmit >"$ART/typecheck-${cfg////_}.log" 2>&1; then
      echo "ok   - typecheck $cfg"; PASS=$((PASS + 1))
    else
      echo "FAIL - typecheck $cfg"; head -20 "$ART/typecheck-${cfg////_}.log"; FAIL=$((FAIL + 1))
    fi
  done
fi
echo "$PASS passed, $FAIL failed"
[ "$FAIL" = 0 ]
