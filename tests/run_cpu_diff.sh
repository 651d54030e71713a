#!/usr/bin/env bash
# tests/run_cpu_diff.sh — the CPU differential test: the engine's interpreter against the
# host CPU, instruction by instruction, with the ptrace single-step comparator
# (tests/tools/singlestep.cpp):
#   mode A  every program of the guest corpus (tests/guest/*.c, *.S), compiled static at
#           -O0 and -O2, from its first instruction (up to CPU_DIFF_MAX instructions each);
#   mode B  CPU_DIFF_COUNT random instructions (default 1,000,000) from a fixed seed;
#           the first CPU_DIFF_REPLAY of them (default 200,000; 0 = none) are recorded as
#           segments with the host's states (singlestep --record) and replayed in node
#           with the JIT compiling every block at its first run (build-wasm/jit_replay.js,
#           tests/jit/replay.cpp): the cpu-diff streams against compiled code.
# Each run is one case; prints the instructions compared and "N passed, N failed" last.
#
# Environment: BUILD_DIR (default build), SINGLESTEP (path of the tool),
#   CPU_DIFF_MAX (per program, default 300000; 0 = run each program to its end),
#   CPU_DIFF_COUNT (default 1000000), CPU_DIFF_SEED (default 20240601),
#   CPU_DIFF_FILTER (regex on program names), CPU_DIFF_SKIP_A=1 / CPU_DIFF_SKIP_B=1.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SS=${SINGLESTEP:-$ROOT/${BUILD_DIR:-build}/singlestep}
MAX=${CPU_DIFF_MAX:-300000}
COUNT=${CPU_DIFF_COUNT:-1000000}
SEED=${CPU_DIFF_SEED:-20240601}
FILTER=${CPU_DIFF_FILTER:-.}

if [ ! -x "$SS" ]; then
  echo "run_cpu_diff: $SS not found (build the native tools first: tools/build native)"
  echo "0 passed, 1 failed"
  exit 1
fi
WORK=$(mktemp -d /tmp/glassbox-cpudiff.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

pass=0
fail=0
total=0
# run_case NAME CMD...: one comparator run; counts it and the instructions it compared.
run_case() {
  local name=$1; shift
  local start=$SECONDS
  "$@" >"$WORK/out" 2>&1
  local rc=$?
  local n
  n=$(grep -aoE '[0-9]+ instructions compared' "$WORK/out" | tail -n 1 | grep -oE '^[0-9]+')
  if [ -n "$n" ]; then
    total=$((total + n))
  else
    n=$(grep -aoE '[0-9]+ instructions replayed' "$WORK/out" | tail -n 1 | grep -oE '^[0-9]+')
  fi
  n=${n:-0}
  if [ $rc = 0 ]; then
    printf 'PASS %-28s %10d instructions  (%ds)\n' "$name" "$n" $((SECONDS - start))
    pass=$((pass + 1))
  else
    printf 'FAIL %-28s %10d instructions  (%ds, exit %d)\n' "$name" "$n" $((SECONDS - start)) $rc
    grep -av '^ *[0-9]* *(bad)' "$WORK/out" | head -n 40 | sed 's/^/    /'
    fail=$((fail + 1))
  fi
}

if [ "${CPU_DIFF_SKIP_A:-0}" != 1 ]; then
  for src in "$ROOT"/tests/guest/*.c "$ROOT"/tests/guest/*.S; do
    [ -e "$src" ] || continue
    name=$(basename "$src")
    name=${name%.*}
    [[ $name =~ $FILTER ]] || continue
    meta=$(grep -m1 -o 'glassbox-guest:.*' "$src" || true)
    if [ -n "$meta" ]; then
      flags=$(sed -n 's/.*flags=\(.*\) variants=.*/\1/p' <<<"$meta")
      levels=$(sed -n 's/.*variants=\([A-Za-z0-9,]*\).*/\1/p' <<<"$meta")
    else
      flags="-static"
      levels="O0,O2"
    fi
    for opt in ${levels//,/ }; do
      bin="$WORK/$name.$opt"
      # shellcheck disable=SC2086
      if ! gcc -$opt -w $flags -o "$bin" "$src" -lm 2>"$WORK/cc.err"; then
        echo "FAIL $name -$opt (does not compile: $(head -c 300 "$WORK/cc.err"))"
        fail=$((fail + 1))
        continue
      fi
      run_case "$name -$opt" "$SS" --quiet-child --max "$MAX" -- "$bin"
    done
  done
fi

if [ "${CPU_DIFF_SKIP_B:-0}" != 1 ]; then
  REPLAY=${CPU_DIFF_REPLAY:-200000}
  REPLAY_JS=${JIT_REPLAY_JS:-$ROOT/build-wasm/jit_replay.js}
  if [ "$REPLAY" != 0 ] && [ -f "$REPLAY_JS" ]; then
    run_case "random seed $SEED" "$SS" --random --seed "$SEED" --count "$COUNT" --record "$WORK/random.rec" --record-max "$REPLAY"
    run_case "random seed $SEED, --jit always" node "$REPLAY_JS" --jit always "$WORK/random.rec"
    rm -f "$WORK/random.rec"
  else
    run_case "random seed $SEED" "$SS" --random --seed "$SEED" --count "$COUNT"
  fi
fi

echo "cpu-diff: $total instructions compared"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
