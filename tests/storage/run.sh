#!/usr/bin/env bash
# tests/storage/run.sh — the storage suite: block devices, chunked images (local
# directory and HTTP), the overlay, ext2 read/write (e2fsck), the VFS adapter, the fuzzer.
# Builds its own binaries in build-storage/st (tests/storage/CMakeLists.txt), so it does
# not depend on the rest of the engine linking. Prints "N passed, N failed" last.
#
# Environment:
#   GB_IMAGE_DIR=DIR        a tools/mkimage output directory (default: build/image if present)
#   GB_STORAGE_STRESS=N     random ext2 operations per write-test variant (default 3000)
#   GB_FUZZ_CASES=N         fuzzer cases (default 2000)
#   GB_STORAGE_ASAN=1       also build with -fsanitize=address,undefined and run the
#                           unit tests + 300 fuzz cases under it (slow: minutes)
#   GB_STORAGE_WASM=1       also build the storage tests with em++ (-fwasm-exceptions) and
#                           run them in node (the ext2-over-chunks test uses GB_IMAGE_DIR)
#   JOBS=N                  build parallelism (default 2)
set -uo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
JOBS=${JOBS:-2}
B=$ROOT/build-storage/st
PASS=0
FAIL=0
ok() { PASS=$((PASS + 1)); echo "ok   $*"; }
bad() { FAIL=$((FAIL + 1)); echo "FAIL $*"; }
finish() {
  [ -n "${HTTP_PID:-}" ] && kill "$HTTP_PID" 2>/dev/null
  [ -n "${WORK:-}" ] && rm -rf "$WORK"
  echo "$PASS passed, $FAIL failed"
  [ "$FAIL" = 0 ]
  exit $?
}
trap finish EXIT

# doctest summary line -> counts
count_doctest() {
  local line p f
  line=$(grep -aE 'test cases: *[0-9]+ \| *[0-9]+ passed \| *[0-9]+ failed' "$1" | tail -n 1)
  if [ -z "$line" ]; then bad "$2 (no doctest summary: crashed?)"; return; fi
  p=$(sed -E 's/.*\| *([0-9]+) passed \| *([0-9]+) failed.*/\1/' <<<"$line")
  f=$(sed -E 's/.*\| *([0-9]+) passed \| *([0-9]+) failed.*/\2/' <<<"$line")
  PASS=$((PASS + p)); FAIL=$((FAIL + f))
  echo "     $2: $p passed, $f failed"
}

echo "=== build (build-storage/st)"
if ! { cmake -S tests/storage -B "$B" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null &&
       cmake --build "$B" -j"$JOBS" >"$ROOT/build-storage/build.log" 2>&1; }; then
  tail -n 40 "$ROOT/build-storage/build.log"
  bad "build"
  exit 1
fi
ok "build"

WORK=$(mktemp -d /tmp/gbstorage-run.XXXXXX)
IMAGE_DIR=${GB_IMAGE_DIR:-}
[ -z "$IMAGE_DIR" ] && [ -f "$ROOT/build/image/manifest.json" ] && IMAGE_DIR=$ROOT/build/image

# a local HTTP server (python3 -m http.server on 127.0.0.1, a free port) over WORK/www
mkdir -p "$WORK/www"
[ -n "$IMAGE_DIR" ] && ln -s "$IMAGE_DIR" "$WORK/www/image"
python3 -u -m http.server 0 --bind 127.0.0.1 --directory "$WORK/www" >"$WORK/http.log" 2>&1 &
HTTP_PID=$!
PORT=
for _ in $(seq 1 50); do
  PORT=$(sed -nE 's/.*port ([0-9]+).*/\1/p' "$WORK/http.log" | head -n 1)
  [ -n "$PORT" ] && break
  sleep 0.1
done
if [ -z "$PORT" ]; then bad "http.server did not start"; exit 1; fi
URL=http://127.0.0.1:$PORT
echo "=== http.server at $URL (pid $HTTP_PID)"

echo "=== unit tests (doctest: tests/unit/test_ext2*.cpp, test_blockdev*.cpp)"
if [ -n "$IMAGE_DIR" ]; then
  GB_IMAGE_DIR=$IMAGE_DIR GB_TEST_HTTP_URL=$URL/image/manifest.json "$B/storage_tests" >"$WORK/unit.log" 2>&1
else
  "$B/storage_tests" >"$WORK/unit.log" 2>&1
fi
grep -aE "ERROR|FATAL|MESSAGE" -A3 "$WORK/unit.log" | grep -v "^--$" | head -n 40
count_doctest "$WORK/unit.log" "storage_tests"

echo "=== chunking round trip: mke2fs image -> mkimage chunker -> directory and HTTP -> ext2 walk"
mkdir -p "$WORK/tree/d"
for i in $(seq 1 40); do head -c $((i * 3000)) /dev/urandom >"$WORK/tree/d/r$i"; seq 1 $((i * 500)) >"$WORK/tree/t$i"; done
if /usr/sbin/mke2fs -q -F -t ext2 -b 4096 -O none,sparse_super,large_file,filetype,ext_attr -d "$WORK/tree" \
     "$WORK/small.ext2" 16M >/dev/null 2>&1 &&
   python3 tests/storage/rechunk.py "$WORK/small.ext2" "$WORK/www/small" 64 >/dev/null; then
  raw=$("$B/storage_tool" walk "$WORK/small.ext2" 2>&1 | head -n 1)
  for src in "$WORK/www/small" "$WORK/www/small/manifest.json" "$URL/small/manifest.json" "$URL/small/"; do
    got=$("$B/storage_tool" walk "$src" 2>&1 | head -n 1)
    if [ "$got" = "$raw" ] && "$B/storage_tool" export "$src" "$WORK/exported.img" &&
       cmp -s "$WORK/exported.img" "$WORK/small.ext2"; then
      ok "round trip via $src ($got)"
    else
      bad "round trip via $src: '$got' vs '$raw'"
    fi
  done
  # a missing chunk on the server: EIO, not a hang
  cp -r "$WORK/www/small" "$WORK/www/broken"
  rm -f "$(ls -S "$WORK/www/broken/chunks/"* | head -n 1)"
  if timeout 60 "$B/storage_tool" walk "$URL/broken/" >"$WORK/broken.log" 2>&1; then
    bad "walk over a missing chunk should report errors"
  else
    grep -q "errors" "$WORK/broken.log" && ok "missing chunk over HTTP -> EIO ($(head -n 1 "$WORK/broken.log"))" ||
      bad "missing chunk: $(cat "$WORK/broken.log")"
  fi
else
  bad "could not build the small chunked image"
fi

if [ -n "$IMAGE_DIR" ]; then
  echo "=== the real image over HTTP: walk every file ($IMAGE_DIR)"
  if out=$(timeout 600 "$B/storage_tool" walk "$URL/image/" 2>&1); then
    ok "walk of the default image over HTTP: $(echo "$out" | head -n 1)"
    echo "     $(echo "$out" | tail -n 1)"
  else
    bad "walk of the default image over HTTP: $out"
  fi
fi

echo "=== fuzzer (${GB_FUZZ_CASES:-2000} cases)"
if "$B/fuzz_ext2" --cases "${GB_FUZZ_CASES:-2000}" --seed 1 >"$WORK/fuzz.log" 2>&1; then
  ok "$(grep '^fuzz:' "$WORK/fuzz.log")"
else
  bad "fuzzer: $(tail -n 5 "$WORK/fuzz.log")"
fi

if [ "${GB_STORAGE_ASAN:-0}" = 1 ]; then
  echo "=== address + undefined behaviour sanitizers"
  A=$ROOT/build-storage/asan
  if cmake -S tests/storage -B "$A" -DGB_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null &&
     cmake --build "$A" -j"$JOBS" >"$WORK/asan-build.log" 2>&1; then
    GB_STORAGE_STRESS=1000 "$A/storage_tests" >"$WORK/asan-unit.log" 2>&1
    count_doctest "$WORK/asan-unit.log" "storage_tests (asan)"
    if "$A/fuzz_ext2" --cases 300 --seed 3 >"$WORK/asan-fuzz.log" 2>&1; then
      ok "asan $(grep '^fuzz:' "$WORK/asan-fuzz.log")"
    else
      bad "asan fuzzer: $(tail -n 20 "$WORK/asan-fuzz.log")"
    fi
  else
    bad "asan build"
  fi
fi

if [ "${GB_STORAGE_WASM:-0}" = 1 ]; then
  echo "=== wasm (em++ -fwasm-exceptions, node)"
  W=$ROOT/build-storage/wasm
  mkdir -p "$W/inc" "$W/deflate"
  ln -sfn /usr/include/doctest "$W/inc/doctest"
  ln -sfn /usr/include/nlohmann "$W/inc/nlohmann"
  # libdeflate as cmake/deps.cmake builds it (its C sources from tools/setup's cache)
  LD=${GLASSBOX_CACHE:-$HOME/.cache/glassbox}/deps/libdeflate
  DEFLATE_OBJS=
  for c in deflate_decompress gzip_decompress crc32 utils; do
    NODE_PATH=${NODE_PATH:-/usr/share/nodejs} emcc -O2 -w -fwasm-exceptions -I"$LD" -c "$LD/lib/$c.c" -o "$W/deflate/$c.o" &&
      DEFLATE_OBJS="$DEFLATE_OBJS $W/deflate/$c.o"
  done
  SRC="tests/unit/main.cpp $(ls tests/unit/test_ext2.cpp tests/unit/test_ext2_write.cpp tests/unit/test_blockdev*.cpp)
       vm/fs/json.cpp vm/fs/inflate.cpp vm/fs/chunked_sha256.cpp vm/fs/blockdev.cpp vm/fs/chunked.cpp
       vm/fs/overlay.cpp vm/fs/ext2.cpp vm/fs/ext2_file.cpp vm/fs/ext2_dir.cpp vm/base/lxerrno.cpp"
  # .cjs: the repository's package.json declares ES modules, emcc 3.1.6 emits CommonJS
  if NODE_PATH=${NODE_PATH:-/usr/share/nodejs} em++ -std=c++17 -O1 -fwasm-exceptions -I. -I"$W/inc" -I"$LD" $SRC $DEFLATE_OBJS \
       -sALLOW_MEMORY_GROWTH=1 -sNODERAWFS=1 -sENVIRONMENT=node -sEXIT_RUNTIME=1 --pre-js tools/cli/node_load.js -o "$W/storage_tests.cjs" \
       >"$WORK/wasm-build.log" 2>&1; then
    if [ -n "$IMAGE_DIR" ]; then
      GB_IMAGE_DIR=$IMAGE_DIR node "$W/storage_tests.cjs" --no-colors >"$WORK/wasm.log" 2>&1
    else
      node "$W/storage_tests.cjs" --no-colors >"$WORK/wasm.log" 2>&1
    fi
    grep -aE "ERROR|FATAL" -A3 "$WORK/wasm.log" | head -n 20
    count_doctest "$WORK/wasm.log" "storage_tests (wasm, node)"
  else
    tail -n 20 "$WORK/wasm-build.log"
    bad "wasm build"
  fi
fi
