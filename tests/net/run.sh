#!/usr/bin/env bash
# tests/net/run.sh — outbound networking (docs/networking.md), everything on this machine's
# loopback: host servers (tests/net/servers.py), our relay (web/relay/relay.mjs) with
# --allow 127.0.0.1 and a hosts file mapping the test names to 127.0.0.1, the same relay
# with its default policy, and wisp-js's server as the second implementation. The guest
# is the default image; curl, urllib, git clone (dumb HTTP), pip install from a simple
# index, UDP echo, refused/silent/blocked errnos, thousands of connections, a flood.
#
#   tests/net/run.sh [node|native] [IMAGE_MANIFEST]     (node: build-wasm/glassbox.js)
# Ends with "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
KIND=${1:-node}
IMAGE=${2:-$ROOT/build/image/manifest.json}
if [ "$KIND" = node ]; then ENGINE=(node "$ROOT/build-wasm/glassbox.js"); else ENGINE=("$ROOT/build/glassbox"); fi
[ -f "$IMAGE" ] || { echo "no image at $IMAGE (tools/mkimage/mkimage build images/default --out build/image)"; echo "0 passed, 1 failed"; exit 1; }
WORK=$(mktemp -d /tmp/gb-net.XXXXXX)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT
PASS=0; FAIL=0
ok() { echo "ok $1"; PASS=$((PASS + 1)); }
bad() { echo "FAIL $1"; FAIL=$((FAIL + 1)); }

python3 tests/net/servers.py "$WORK/www" "$WORK/ports.json" & PIDS+=($!)
for _ in $(seq 100); do [ -f "$WORK/ports.json" ] && break; sleep 0.1; done
port() { python3 -c "import json,sys; print(json.load(open('$WORK/ports.json'))['$1'])"; }
HTTP=$(port http); UDP=$(port udp); SINK=$(port sink); SILENT=$(port silent); CLOSED=$(port closed)
printf '127.0.0.1 web.test sink.test\n' > "$WORK/hosts"

# start_relay NAME CMD...: runs a relay, sets URL_<NAME> from its "relay listening on" line
start_relay() {
  local name=$1; shift
  "$@" > "$WORK/$name.log" 2>&1 & PIDS+=($!)
  local url=""
  for _ in $(seq 100); do
    url=$(sed -n 's/^relay listening on \(ws:[^ ]*\).*/\1/p' "$WORK/$name.log" | head -n1)
    [ -n "$url" ] && break; sleep 0.1
  done
  [ -n "$url" ] || { cat "$WORK/$name.log"; bad "relay $name starts"; }
  printf -v "URL_$name" '%s' "$url"
}
start_relay ours node web/relay/relay.mjs --port 0 --allow 127.0.0.1 --hosts "$WORK/hosts" --connect-timeout 1500 --max-streams 64
start_relay strict node web/relay/relay.mjs --port 0 --hosts "$WORK/hosts"
start_relay wispjs node tests/net/wispjs_relay.mjs "$WORK/hosts"
start_relay small node web/relay/relay.mjs --port 0 --allow 127.0.0.1 --hosts "$WORK/hosts" --max-bytes 8M --max-streams 32

# guest RELAY CMD...: runs CMD in the machine (stdin passes through), output in $OUT
guest() {
  local relay=$1; shift
  OUT=$(GLASSBOX_NET_TIMEOUT_MS=5000 timeout 600 "${ENGINE[@]}" run --image "$IMAGE" --overlay "$WORK/overlay-$RANDOM" \
        --relay "$relay" --env HOME=/root --env TERM=dumb --cwd /tmp -- "$@" 2>&1)
}
# checks: counts the guest's "ok"/"FAIL" lines
checks() {
  local label=$1 line
  echo "$OUT" | grep -v '^\(ok\|FAIL\) ' | sed 's/^/  | /' | head -20
  while IFS= read -r line; do
    case "$line" in
      "ok "*) ok "$label: ${line#ok }" ;;
      "FAIL "*) bad "$label: ${line#FAIL }" ;;
    esac
  done <<<"$OUT"
}
expect() {  # expect LABEL WANT: $OUT must contain WANT
  if grep -qF -- "$2" <<<"$OUT"; then ok "$1"; else bad "$1"; echo "$OUT" | tail -5 | sed 's/^/  | /'; fi
}

for R in ours wispjs; do
  eval "U=\$URL_$R"
  [ -n "$U" ] || continue
  guest "$U" /usr/bin/curl -sS "http://web.test:$HTTP/hello.txt"
  expect "$R: curl by name" "hello from the host"
  silent=$SILENT; [ $R = wispjs ] && silent=0   # wisp-js has no connect timeout of its own
  guest "$U" /usr/bin/python3 - basic "$HTTP" "$UDP" "$CLOSED" "$silent" < tests/net/guest_checks.py
  checks "$R"
  guest "$U" /bin/sh -c "git clone -q http://web.test:$HTTP/repo.git /tmp/r && cat /tmp/r/README"
  expect "$R: git clone over dumb HTTP" "cloned over dumb http"
done
guest "$URL_ours" /bin/sh -c "python3 -m pip install -q --disable-pip-version-check --no-cache-dir --index-url http://web.test:$HTTP/simple/ --trusted-host web.test --target /tmp/site tinypkg && PYTHONPATH=/tmp/site python3 -c 'import tinypkg; print(tinypkg.GREETING)'"
expect "ours: pip install from a simple index" "tinypkg works"

guest "$URL_strict" /usr/bin/python3 - blocked "$HTTP" < tests/net/guest_checks.py
checks "default policy"
guest "$URL_strict" /usr/bin/curl -sS "http://web.test:$HTTP/hello.txt"
expect "default policy: curl fails to connect" "Failed to connect to web.test"

# node without the npm package ws (the engine copied where no node_modules is found): the
# relay cannot be used; the engine says so once on stderr and the guest gets ENETUNREACH.
if [ "$KIND" = node ]; then
  mkdir -p "$WORK/nows" && cp "$ROOT/build-wasm/glassbox.js" "$ROOT/build-wasm/glassbox.wasm" "$WORK/nows/"
  OUT=$(cd "$WORK/nows" && timeout 300 node "$WORK/nows/glassbox.js" run --image "$IMAGE" --overlay "$WORK/overlay-nows" \
        --relay "$URL_ours" --env HOME=/root --cwd /tmp -- /usr/bin/curl -sS "http://web.test:$HTTP/hello.txt" 2>&1)
  expect "node without ws: the reason is said" "cannot be used: npm package ws not found"
  expect "node without ws: the guest sees no network" "Failed to connect to web.test"
fi

# Abuse: thousands of connections and a flood, while another client keeps being served.
node tests/net/probe.mjs "$URL_small" web.test "$HTTP" "$WORK/stop" > "$WORK/probe.log" 2>&1 & PROBE=$!
guest "$URL_small" /usr/bin/python3 - many "$HTTP" 3000 32 < tests/net/guest_checks.py
checks "abuse"
guest "$URL_small" /usr/bin/python3 - flood "$SINK" 64 < tests/net/guest_checks.py
checks "abuse"
touch "$WORK/stop"
wait $PROBE; rc=$?
if [ $rc = 0 ]; then ok "abuse: another client kept being served ($(tail -1 "$WORK/probe.log"))"; else bad "abuse: another client kept being served"; cat "$WORK/probe.log"; fi

echo "$PASS passed, $FAIL failed"
[ "$FAIL" = 0 ]
