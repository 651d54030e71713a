#!/usr/bin/env bash
# tests/e2e/run.sh — the IDE's tests: node unit tests (ring, frames, diagnostics, tar, dev
# server) and headless-Chromium tests against the dev server (layout, themes, panes,
# shortcuts, markers, ring stress page<->worker, service worker on a header-less host).
#
#   tests/e2e/run.sh                 everything
#   tests/e2e/run.sh unit server     only tests/e2e/{unit,server}.test.mjs
#
# Installs what is missing (Debian's chromium, node_modules), builds the site, starts the
# dev server on a free port, runs `node --test`, saves screenshots and logs to
# build/test-artifacts/, and ends with one line: "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
ART=$ROOT/build/test-artifacts
mkdir -p "$ART"

fail_setup() { echo "e2e: $1"; echo "0 passed, 1 failed"; exit 1; }

SUDO=""
[ "$(id -u)" = 0 ] || SUDO=sudo
if [ ! -x /usr/bin/chromium ]; then
  echo "e2e: installing Debian's chromium"
  $SUDO apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null \
    || fail_setup "could not install chromium"
fi
if [ ! -x /usr/bin/firefox-esr ]; then
  echo "e2e: installing Debian's firefox-esr"
  $SUDO apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq firefox-esr >/dev/null \
    || fail_setup "could not install firefox-esr"
fi
if [ ! -x /usr/bin/Xvfb ]; then
  # Firefox renders the inspector's WebGL2 on a virtual display (tests/e2e/firefox.test.mjs)
  echo "e2e: installing Debian's xvfb"
  $SUDO apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq xvfb >/dev/null \
    || fail_setup "could not install xvfb"
fi
command -v node >/dev/null || { DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq nodejs npm >/dev/null || fail_setup "no node"; }
command -v npm >/dev/null || { DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq npm >/dev/null || fail_setup "no npm"; }
if [ ! -d node_modules/playwright-core ] || [ ! -d node_modules/puppeteer-core ] || [ ! -d node_modules/esbuild ] || [ ! -d node_modules/monaco-editor ] || [ ! -d node_modules/@xterm/xterm ]; then
  echo "e2e: installing node packages (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error >"$ART/npm.log" 2>&1 || fail_setup "npm ci failed (see $ART/npm.log)"
fi

node web/build.mjs --quiet >"$ART/build.log" 2>&1 || { cat "$ART/build.log"; fail_setup "site build failed"; }

# the dev server on a free port
node web/server.mjs --port 0 >"$ART/server.log" 2>&1 &
SERVER_PID=$!
trap 'kill $SERVER_PID 2>/dev/null' EXIT
URL=""
for _ in $(seq 1 100); do
  URL=$(sed -n 's/^Glassbox IDE: \(http[^ ]*\).*/\1/p' "$ART/server.log" | head -n 1)
  [ -n "$URL" ] && break
  kill -0 $SERVER_PID 2>/dev/null || break
  sleep 0.1
done
[ -n "$URL" ] || { cat "$ART/server.log"; fail_setup "the dev server did not start"; }
echo "e2e: dev server at $URL"
export GLASSBOX_URL=$URL

FILES=()
if [ $# -gt 0 ]; then
  for n in "$@"; do FILES+=("tests/e2e/$n.test.mjs"); done
else
  FILES=(tests/e2e/*.test.mjs)
fi

. tests/e2e/lib/node-test.sh
node_test "$ART/e2e.tap" "${FILES[@]}"
echo "e2e: screenshots and logs in ${ART#$ROOT/}/ ($SKIPPED skipped)"
echo "$PASS passed, $FAIL failed"
[ "$FAIL" = 0 ]
