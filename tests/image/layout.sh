#!/usr/bin/env bash
# tests/image/layout.sh — stable layout across rebuilds and large images (issue 16, items 2-3).
#
# Small directory trees, not Debian, so it runs in seconds (plus ~1 min for the 5 GiB image):
#  - tree A, and tree B = A + an added "package" (files sorted first and last, a grown file):
#    `mkimage fromdir B --previous A` changes few chunks (asserted < 25 % of the stored chunks,
#    and fewer than a fresh build of B); e2fsck -fn passes on all; the build is deterministic;
#    the native engine reads the same file from A and from B;
#  - a 5 GiB sparse image with its data placed past 4 GiB (a file of 4.5 GiB, bytes at 4.25 GiB):
#    read by the native engine and, when build-wasm/glassbox.js exists, by the node engine, both
#    through the chunk manifest; the engine's storage counters show no zero chunk was fetched.
# Needs root only for nothing; run by tests/image/run.sh. Ends with "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
MK="$ROOT/tools/mkimage/mkimage"
GB="$ROOT/build/glassbox"
W=$(mktemp -d /tmp/glassbox-layout-test.XXXXXX)
trap 'rm -rf "$W"' EXIT
PASS=0; FAIL=0
ok()  { PASS=$((PASS + 1)); echo "ok   - $1"; }
bad() { FAIL=$((FAIL + 1)); echo "FAIL - $1"; [ -n "${2:-}" ] && sed 's/^/       /' <<<"$2" | tail -n 20; }
jq1() { /usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"; }

gcc -static -O2 -o "$W/readat" tests/image/layout/readat.c || { bad "gcc -static readat"; echo "$PASS passed, $FAIL failed"; exit 1; }

# ---------------------------------------------------------------- trees A and B
/usr/bin/python3 - "$W" <<'PY'
import os, random, shutil, sys
w = sys.argv[1]
r = random.Random(16)
a = os.path.join(w, "A")
for d in ("bin", "etc", "proc", "dev", "tmp", "usr/lib", "usr/share/data", "home/student"):
    os.makedirs(os.path.join(a, d))
shutil.copy(os.path.join(w, "readat"), os.path.join(a, "bin/readat"))
for i in range(400):   # ~16 MiB of incompressible files in a few directories
    d = ("usr/lib", "usr/share/data", "etc")[i % 3]
    with open(os.path.join(a, d, "f%03d" % i), "wb") as f:
        f.write(r.randbytes(r.randrange(1000, 80000)))
with open(os.path.join(a, "etc/list"), "w") as f:
    f.write("".join("line %d\n" % i for i in range(500)))
os.symlink("../../etc/list", os.path.join(a, "home/student/list"))
for p, _, fs in os.walk(a):
    for n in fs + [p]:
        os.utime(os.path.join(p, n) if n != p else p, (1747699200, 1747699200), follow_symlinks=False)
b = os.path.join(w, "B")
shutil.copytree(a, b, symlinks=True)
os.makedirs(os.path.join(b, "aaa-pkg"))           # sorted before everything
for i in range(20):
    with open(os.path.join(b, "aaa-pkg", "p%02d" % i), "wb") as f:
        f.write(r.randbytes(50000))
with open(os.path.join(b, "usr/lib", "aaa-lib.so"), "wb") as f:   # first in an existing directory
    f.write(r.randbytes(300000))
with open(os.path.join(b, "etc/list"), "a") as f:                  # a grown file
    f.write("".join("more %d\n" % i for i in range(2000)))
PY

fromdir() { "$MK" -q fromdir "$@" --name layout-test --free-mb 32 >"$W/log" 2>&1 || { cat "$W/log"; return 1; }; }
if fromdir "$W/A" --out "$W/oA" && fromdir "$W/B" --out "$W/oB" --previous "$W/oA" \
   && fromdir "$W/B" --out "$W/oB2" --previous "$W/oA/layout.json" && fromdir "$W/B" --out "$W/oC"; then
  ok "mkimage fromdir: A, B --previous A (twice), B fresh"
else
  bad "mkimage fromdir" "$(cat "$W/log")"; echo "$PASS passed, $FAIL failed"; exit 1
fi
msg=""
for o in oA oB oC; do e2fsck -fn "$W/$o/image.ext2" >"$W/fsck" 2>&1 || msg+="$o: $(tail -5 "$W/fsck"); "; done
[ -z "$msg" ] && ok "e2fsck -fn passes on A, B (kept layout) and B (fresh)" || bad "e2fsck" "$msg"
[ "$(jq1 "$W/oB/manifest.json" image_id)" = "$(jq1 "$W/oB2/manifest.json" image_id)" ] \
  && ok "build with --previous is deterministic" || bad "build with --previous is deterministic"

kept=$("$MK" diff "$W/oA" "$W/oB" --json); fresh=$("$MK" diff "$W/oA" "$W/oC" --json)
echo "#  kept layout: $kept"; echo "#  fresh:       $fresh"
if /usr/bin/python3 -c 'import json,sys; k=json.loads(sys.argv[1]); f=json.loads(sys.argv[2])
assert k["same_lineage"], k
assert k["changed_fraction"] < 0.25, k
assert k["changed_chunks"] < f["changed_chunks"], (k, f)' "$kept" "$fresh"; then
  ok "adding files changes few chunks with --previous (and fewer than a fresh layout)"
else
  bad "changed chunks with --previous" "$kept / $fresh"
fi
/usr/bin/python3 -c 'import json,sys; i=json.load(open(sys.argv[1]))["identity"]; a=json.load(open(sys.argv[2]))
assert i["parent_image_id"] == a["image_id"] and i["lineage"] == a["identity"]["lineage"], i' \
  "$W/oB/manifest.json" "$W/oA/manifest.json" && ok "manifest identity: lineage kept, parent_image_id" \
  || bad "manifest identity"

if [ -x "$GB" ]; then
  want=$(sha256sum <"$W/A/usr/lib/f000" | cut -d' ' -f1); msg=""
  for o in oA oB; do
    got=$("$GB" run --image "$W/$o/manifest.json" -- /bin/readat /usr/lib/f000 0 1000000 2>/dev/null | sha256sum | cut -d' ' -f1)
    [ "$got" = "$want" ] || msg+="$o: $got; "
  done
  got=$("$GB" run --image "$W/oB/manifest.json" -- /bin/readat /home/student/list 0 100000000 2>/dev/null | sha256sum | cut -d' ' -f1)
  [ "$got" = "$(sha256sum <"$W/B/etc/list" | cut -d' ' -f1)" ] || msg+="grown file in B; "
  [ -z "$msg" ] && ok "native engine reads the same file from A and B, and B's grown file" || bad "engine reads" "$msg"
else
  bad "build/glassbox missing (tools/build native)"
fi

# ---------------------------------------------------------------- > 4 GiB
mkdir -p "$W/L/bin" "$W/L/proc" "$W/L/dev" "$W/L/tmp"
cp "$W/readat" "$W/L/bin/"
truncate -s 4608M "$W/L/big"
printf 'MARKER-past-4GiB' | dd of="$W/L/big" bs=1 seek=$((4352 << 20)) conv=notrunc status=none
if "$MK" -q fromdir "$W/L" --out "$W/oL" --free-mb 256 --alloc-start-mb 4400 >"$W/log" 2>&1 \
   && e2fsck -fn "$W/oL/image.ext2" >>"$W/log" 2>&1; then
  ok "5 GiB sparse image, data past 4 GiB: built, e2fsck -fn passes ($(jq1 "$W/oL/manifest.json" image_size) bytes)"
else
  bad "5 GiB image" "$(cat "$W/log")"
fi
rm -f "$W/oL/image.ext2"   # the engines read the chunks only
STORED=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["stats"]["stored_chunks"])' "$W/oL/manifest.json")
check_read() {  # check_read NAME CMD...: reads the marker, fetched no zero chunk
  local name=$1 out; shift
  out=$(GLASSBOX_STORAGE_STATS=1 "$@" run --image "${IMAGE_URL:-$W/oL/manifest.json}" -- /bin/readat /big $((4352 << 20)) 16 2>&1 | cut -c1-300)
  if grep -q '^MARKER-past-4GiB' <<<"$out" && grep -q 'zero_chunk_reads [0-9]* ' <<<"$out" \
     && [ "$(grep -o 'chunks_fetched [0-9]*' <<<"$out" | cut -d' ' -f2)" -le "$STORED" ]; then
    ok "$name reads the file past 4 GiB through the chunk manifest ($(grep -o 'chunks_fetched [0-9]*' <<<"$out"))"
  else
    bad "$name reads past 4 GiB" "$out"
  fi
}
[ -x "$GB" ] && check_read "native engine" "$GB"
if [ -f build-wasm/glassbox.js ]; then   # over HTTP, as in the browser: python3 -m http.server
  python3 -u -m http.server 0 --bind 127.0.0.1 --directory "$W/oL" >"$W/http.log" 2>&1 &
  HTTP_PID=$!; trap 'kill $HTTP_PID 2>/dev/null; rm -rf "$W"' EXIT
  PORT=; for _ in $(seq 1 50); do PORT=$(sed -nE 's/.*port ([0-9]+).*/\1/p' "$W/http.log" | head -n 1); [ -n "$PORT" ] && break; sleep 0.1; done
  IMAGE_URL="http://127.0.0.1:$PORT/manifest.json" check_read "node engine (wasm32) over HTTP" \
    node build-wasm/glassbox.js
else
  echo "#  skipped: node engine (no build-wasm/glassbox.js; tools/build wasm)"
fi
echo "$PASS passed, $FAIL failed"
[ $FAIL = 0 ]
