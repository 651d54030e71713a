#!/usr/bin/env bash
# tests/jit/long.sh — the JIT's long runs (not in the README's test command: ~15 min on two
# cores), in node with GLASSBOX_JIT=always, so every block is compiled at its first run:
#   * every case of programs-multi (gcc, make, objdump, python subprocess/threading/
#     multiprocessing/signals/sockets/fork) against a native chroot of the image;
#   * the pysuite subset of tools/test (test_string test_list test_select test_struct)
#     against native python in the same chroot.
# The CI slice (tests/jit/run.sh) has the guest corpus, the syscall programs and gcc-hello.
#   tests/jit/long.sh [GLASSBOX_JS]     (default build-wasm/glassbox.js)
# Prints "N passed, N failed" last.
set -uo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
JS=${1:-$ROOT/build-wasm/glassbox.js}
IMAGE=${GLASSBOX_IMAGE_DIR:-$ROOT/build/image}/manifest.json
[ -f "$IMAGE" ] || { echo "no image at $IMAGE (tools/start builds it)"; echo "0 passed, 1 failed"; exit 1; }
export GLASSBOX_JIT=always
P=0; F=0
sum() { grep -aE '^([A-Za-z-]+: )?[0-9]+ passed, [0-9]+ failed' "$1" | tail -n 1 | sed -E 's/^([A-Za-z-]+: )?([0-9]+) passed, ([0-9]+) failed.*/\2 \3/'; }
log=$(mktemp)
trap 'rm -f "$log"' EXIT
tests/programs/multi.sh "" node "$JS" run --image "$IMAGE" --overlay @OVERLAY@ \
  --env TERM=dumb --env HOME=/root -- 2>&1 | grep -v "Mark-Compact\|Scavenge" | tee "$log"
read -r p f <<<"$(sum "$log")"; P=$((P + ${p:-0})); F=$((F + ${f:-1}))
tests/pysuite/run.sh --node test_string test_list test_select test_struct 2>&1 | tee "$log"
read -r p f <<<"$(sum "$log")"; P=$((P + ${p:-0})); F=$((F + ${f:-1}))
echo "$P passed, $F failed"
[ "$F" = 0 ]
