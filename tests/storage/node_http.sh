#!/usr/bin/env bash
# tests/storage/node_http.sh — the engine in node (build-wasm/glassbox.js) boots the
# chunked image over HTTP: `--image http://127.0.0.1:PORT/manifest.json` goes through
# JsFetcher (vm/fs/chunked.h: a worker_threads fetcher the engine thread waits on with
# Atomics.wait). Checks: python3 runs from the image served by python's http.server;
# a server missing the chunks of python3 gives a clean failure (EIO), not a hang; a
# server that accepts but never answers times out (GLASSBOX_FETCH_TIMEOUT_MS); a 404
# manifest is refused. Never writes the image (the overlay is a temp file).
#   tests/storage/node_http.sh [GLASSBOX_JS] [IMAGE_DIR]
# Prints "ok"/"FAIL" lines and "N passed, N failed" last.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd); top=$(cd "$here/../.." && pwd)
JS=${1:-$top/build-wasm/glassbox.js}
IMAGE_DIR=${2:-$top/build/image}
NODE=(node)
pass=0; fail=0
ok() { pass=$((pass + 1)); echo "ok   $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; [ -n "${2:-}" ] && echo "$2" | head -10 | sed 's/^/     /'; }
tmp=$(mktemp -d /tmp/gbnodehttp.XXXXXX)
pids=()
finish() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; rm -rf "$tmp"; echo "$pass passed, $fail failed"; }
trap finish EXIT
if [ ! -f "$JS" ] || [ ! -f "$IMAGE_DIR/manifest.json" ]; then bad "need $JS and $IMAGE_DIR/manifest.json"; exit 1; fi
TOOL=$("$here/storage_tool.sh") || { bad "build storage_tool"; exit 1; }

# start_server DIR: python3 -m http.server on a free port; sets PORT
start_server() {
  python3 -u -m http.server 0 --bind 127.0.0.1 --directory "$1" >"$tmp/http.$2.log" 2>&1 &
  pids+=($!)
  PORT=
  for _ in $(seq 1 50); do
    PORT=$(sed -nE 's/.*port ([0-9]+).*/\1/p' "$tmp/http.$2.log" | head -n 1)
    [ -n "$PORT" ] && return 0
    sleep 0.1
  done
  return 1
}
mkdir -p "$tmp/www"
ln -s "$IMAGE_DIR" "$tmp/www/image"
# a copy of the image without the chunks that hold /usr/bin/python3.11's data
mkdir -p "$tmp/www/broken/chunks"
cp "$IMAGE_DIR/manifest.json" "$tmp/www/broken/"
"$TOOL" cat "$IMAGE_DIR/manifest.json" /usr/bin/python3 --trace 2>/dev/null | grep -a '^trace ' |
  sed -nE 's/.* data .* chunk ([0-9]+)$/\1/p' | sort -u >"$tmp/py.chunks"
python3 - "$IMAGE_DIR" "$tmp/www/broken/chunks" "$tmp/py.chunks" <<'PY'
import json, os, sys
src, dst, drop = sys.argv[1], sys.argv[2], {int(x) for x in open(sys.argv[3]).read().split()}
m = json.load(open(os.path.join(src, "manifest.json")))
cd = os.path.join(src, m.get("chunks_dir", "chunks"))
keep = {c["hash"] for i, c in enumerate(m["chunks"]) if c and i not in drop}
gone = {c["hash"] for i, c in enumerate(m["chunks"]) if c and i in drop} - keep
for h in keep:
    os.symlink(os.path.join(cd, h), os.path.join(dst, h))
print(len(gone), "chunks removed", file=sys.stderr)
PY
start_server "$tmp/www" main || { bad "http.server did not start"; exit 1; }
URL=http://127.0.0.1:$PORT

# 1. python3 from the image over HTTP
t0=$SECONDS
out=$(timeout 300 "${NODE[@]}" "$JS" run --image "$URL/image/manifest.json" --overlay "$tmp/ov1" -- \
        /usr/bin/python3 -c 'import sys; print(sys.version_info[:2], sum(range(10)))' 2>"$tmp/err1")
rc=$?
reqs=$(grep -c '"GET /image/' "$tmp/http.main.log")
if [ $rc = 0 ] && [ "$out" = "(3, 11) 45" ]; then ok "node: python3 from $URL/image/manifest.json ($reqs GETs, $((SECONDS - t0)) s)"
else bad "node: python3 over HTTP (status $rc): $out" "$(cat "$tmp/err1")"; fi

# 2. the chunks of python3 missing on the server: a clean error, not a hang
if [ -s "$tmp/py.chunks" ]; then
  t0=$SECONDS
  timeout 120 "${NODE[@]}" "$JS" run --image "$URL/broken/manifest.json" --overlay "$tmp/ov2" -- \
    /usr/bin/python3 -c 'print(1)' >"$tmp/out2" 2>"$tmp/err2"
  rc=$?
  if [ $rc != 0 ] && [ $rc != 124 ] && [ $rc -lt 128 ]; then
    ok "node: missing chunks -> status $rc in $((SECONDS - t0)) s: $(grep -v unimplemented "$tmp/err2" | head -n 1)"
  else bad "node: missing chunks gave status $rc (124 = hung)" "$(cat "$tmp/err2")"; fi
else
  bad "could not find the chunks of /usr/bin/python3"
fi

# 3. a server that accepts connections and never answers: bounded by the fetch deadline
python3 -u -c 'import socket, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(64)
print(s.getsockname()[1], flush=True); time.sleep(600)' >"$tmp/silent.port" &
pids+=($!)
for _ in $(seq 1 50); do [ -s "$tmp/silent.port" ] && break; sleep 0.1; done
SP=$(head -n 1 "$tmp/silent.port")
t0=$SECONDS
GLASSBOX_FETCH_TIMEOUT_MS=1000 timeout 60 "${NODE[@]}" "$JS" run --image "http://127.0.0.1:$SP/manifest.json" -- /bin/true \
  >/dev/null 2>"$tmp/err3"
rc=$?
if [ $rc != 0 ] && [ $rc != 124 ] && grep -qi "timed out" "$tmp/err3"; then
  ok "node: silent server -> refused after $((SECONDS - t0)) s: $(head -n 1 "$tmp/err3")"
else bad "node: silent server (status $rc, 124 = hung)" "$(cat "$tmp/err3")"; fi

# 4. no manifest at that URL
timeout 60 "${NODE[@]}" "$JS" run --image "$URL/nothing/manifest.json" -- /bin/true >/dev/null 2>"$tmp/err4"
rc=$?
if [ $rc != 0 ] && [ $rc != 124 ] && grep -q "404" "$tmp/err4"; then ok "node: 404 manifest refused: $(head -n 1 "$tmp/err4")"
else bad "node: 404 manifest (status $rc)" "$(cat "$tmp/err4")"; fi
[ $fail = 0 ]
