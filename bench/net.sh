#!/usr/bin/env bash
# bench/net.sh — networking figures (docs/networking.md), all on loopback:
#   1. a 50 MB download through the relay: curl in the engine (native and node builds,
#      default image) vs the host's curl straight to the server, MB/s
#   2. connect latency the relay adds, and the relay's memory with 100 concurrent
#      streams (bench/net_relay.mjs)
#   bench/net.sh [IMAGE_MANIFEST]
set -uo pipefail
cd "$(dirname "$0")/.."
IMAGE=${1:-build/image/manifest.json}
W=$(mktemp -d /tmp/gb-netbench.XXXXXX)
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill $p 2>/dev/null; done; rm -rf "$W"' EXIT
head -c 50000000 /dev/urandom > "$W/big"
# a static server with a deep accept queue (python's http.server has 5: 100 streams at once overflow it)
node -e 'const fs=require("fs"),d=process.argv[1];require("http").createServer((q,r)=>{const f=d+"/"+q.url.replace(/[^a-z]/g,"");fs.stat(f,(e,s)=>{if(e){r.writeHead(404);return r.end();}r.writeHead(200,{"content-length":s.size});fs.createReadStream(f).pipe(r);});}).listen(0,"127.0.0.1",function(){console.log("port "+this.address().port)})' "$W" > "$W/http.log" 2>&1 & PIDS+=($!)
for _ in $(seq 50); do HTTP=$(sed -n 's/^port \([0-9]*\).*/\1/p' "$W/http.log" | head -1); [ -n "$HTTP" ] && break; sleep 0.1; done
echo "127.0.0.1 web.test" > "$W/hosts"
node web/relay/relay.mjs --port 0 --allow 127.0.0.1 --hosts "$W/hosts" --max-streams 200 --quiet > "$W/relay.log" 2>&1 & RELAY_PID=$!; PIDS+=($RELAY_PID)
for _ in $(seq 50); do URL=$(sed -n 's/^relay listening on \(ws:[^ ]*\).*/\1/p' "$W/relay.log"); [ -n "$URL" ] && break; sleep 0.1; done
mbs() { awk -v b="$1" 'BEGIN { printf "%.1f MB/s", b / 1e6 }'; }
echo "== 50 MB over HTTP on loopback (relay $URL)"
echo "host curl, direct:           $(mbs "$(curl -s -o /dev/null -w '%{speed_download}' "http://127.0.0.1:$HTTP/big")")"
S=$(build/glassbox run --image "$IMAGE" --relay "$URL" -- /usr/bin/curl -s -o /dev/null -w '%{speed_download}' "http://web.test:$HTTP/big")
echo "engine (native) curl, relay: $(mbs "$S")"
S=$(node build-wasm/glassbox.js run --image "$IMAGE" --relay "$URL" -- /usr/bin/curl -s -o /dev/null -w '%{speed_download}' "http://web.test:$HTTP/big")
echo "engine (node) curl, relay:   $(mbs "$S")"
echo "== the relay alone"
node bench/net_relay.mjs "$URL" "$RELAY_PID" web.test "$HTTP" "$W/big"
