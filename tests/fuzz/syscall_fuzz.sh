#!/usr/bin/env bash
# tests/fuzz/syscall_fuzz.sh — runs tests/fuzz/syscall_fuzz.c (a static guest program)
# under the engine in a private temp root, and checks the engine: it must exit normally
# with the guest's status (0) and print the fuzzer's summary; under a sanitizer build
# (GLASSBOX=build-asan/glassbox) stderr must hold no sanitizer report.
#
#   tests/fuzz/syscall_fuzz.sh                 CI run: native 20000 calls (seed 1), node 3000 (seed 2)
#   tests/fuzz/syscall_fuzz.sh --long          long run: native 1,000,000 calls over 10 seeds, node 100,000
#   tests/fuzz/syscall_fuzz.sh --seed S --calls N [--native-only|--node-only]
#   tests/fuzz/syscall_fuzz.sh --replay S B    one batch of seed S, every call printed (stderr)
#
# Environment: GLASSBOX (native engine, default build/glassbox), GLASSBOX_JS (default
# build-wasm/glassbox.js), NODE. A report line per run: "fuzz-ENGINE: calls=N seeds=...
# engine crashes=N sanitizer reports=N"; last line "N passed, N failed".
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
GLASSBOX=${GLASSBOX:-$top/build/glassbox}
GLASSBOX_JS=${GLASSBOX_JS:-$top/build-wasm/glassbox.js}
NODE=${NODE:-node}
native_seeds=(1); native_calls=20000; node_seeds=(2); node_calls=3000; do_native=1; do_node=1; replay=""
while [ $# -gt 0 ]; do
  case $1 in
    --long) native_seeds=(1 2 3 4 5 6 7 8 9 10); native_calls=100000; node_seeds=(11 12 13 14); node_calls=25000 ;;
    --seed) native_seeds=("$2"); node_seeds=("$2"); shift ;;
    --calls) native_calls=$2; node_calls=$2; shift ;;
    --native-only) do_node=0 ;;
    --node-only) do_native=0 ;;
    --replay) replay="$2 $3"; shift 2 ;;
    *) echo "usage: $0 [--long] [--seed S] [--calls N] [--native-only|--node-only] [--replay S B]"; exit 2 ;;
  esac
  shift
done
work=$(mktemp -d /tmp/gbfuzz.XXXXXX)
trap 'rm -rf "$work"' EXIT
if ! gcc -O1 -static -Wall -Wno-unused-result -o "$work/syscall_fuzz" "$here/syscall_fuzz.c" 2>"$work/cc.log"; then
  cat "$work/cc.log"; echo "0 passed, 1 failed"; exit 1
fi
P=0; F=0

# run ENGINE_NAME SEED CALLS CMD...: one fuzz run in a fresh root; sets R_CALLS, R_CRASH, R_SAN.
run_one() {
  local name=$1 seed=$2 calls=$3; shift 3
  local root="$work/root.$name.$seed"
  rm -rf "$root"; mkdir -p "$root/bin" "$root/tmp" "$root/proc" "$root/dev"
  cp "$work/syscall_fuzz" "$root/bin/"
  local out="$work/$name.$seed.out" err="$work/$name.$seed.err"
  ASAN_OPTIONS=${ASAN_OPTIONS:-halt_on_error=1:detect_leaks=0} UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1} \
    timeout 1800 "$@" run --quiet --root "$root" -- /bin/syscall_fuzz --seed "$seed" --calls "$calls" >"$out" 2>"$err" </dev/null
  local rc=$?
  R_CALLS=$(grep -a '^fuzz: calls=' "$out" | sed -E 's/^fuzz: calls=([0-9]+).*/\1/')
  R_SAN=$(grep -acE 'ERROR: AddressSanitizer|runtime error:|ERROR: LeakSanitizer|UndefinedBehaviorSanitizer' "$err")
  R_CRASH=0
  if [ "$rc" != 0 ] || [ -z "$R_CALLS" ]; then
    R_CRASH=1
    echo "  $name seed $seed: engine status $rc (replay: $0 --replay $seed BATCH; last batches below)"
    grep -a "batch\|fuzz:" "$out" | tail -3; grep -av unimplemented "$err" | tail -8
  fi
  rm -rf "$root"
}

if [ -n "$replay" ]; then
  set -- $replay
  root="$work/replay"; mkdir -p "$root/bin" "$root/tmp" "$root/proc" "$root/dev"; cp "$work/syscall_fuzz" "$root/bin/"
  "$GLASSBOX" run --root "$root" -- /bin/syscall_fuzz --seed "$1" --only-batch "$2" --verbose
  exit $?
fi

# engine NAME CALLS SEEDS... -- CMD...
engine() {
  local name=$1 calls=$2; shift 2
  local seeds=(); while [ "$1" != -- ]; do seeds+=("$1"); shift; done; shift
  local total=0 crashes=0 san=0 start=$SECONDS
  for s in "${seeds[@]}"; do
    run_one "$name" "$s" "$calls" "$@"
    total=$((total + ${R_CALLS:-0})); crashes=$((crashes + R_CRASH)); san=$((san + R_SAN))
  done
  echo "fuzz-$name: calls=$total seeds=${seeds[*]} engine crashes=$crashes sanitizer reports=$san ($((SECONDS - start))s)"
  if [ $crashes = 0 ] && [ $san = 0 ] && [ $total -gt 0 ]; then P=$((P + 1)); else F=$((F + 1)); fi
}

nname=$(basename "$(dirname "$GLASSBOX")"); [ "$nname" = build ] && nname=native
[ $do_native = 1 ] && engine "$nname" "$native_calls" "${native_seeds[@]}" -- "$GLASSBOX"
if [ $do_node = 1 ]; then
  if [ -f "$GLASSBOX_JS" ]; then engine node "$node_calls" "${node_seeds[@]}" -- $NODE "$GLASSBOX_JS"
  else echo "fuzz-node: $GLASSBOX_JS missing"; F=$((F + 1)); fi
fi
echo "$P passed, $F failed"
[ $F = 0 ]
