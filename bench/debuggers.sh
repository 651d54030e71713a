#!/usr/bin/env bash
# bench/debuggers.sh — what strace and gdb cost inside the machine (issue 14's figures),
# median of N runs (default 5), runs interleaved so a shared machine's load drifts over
# every column alike:
#
#   gcc          gcc hello.c, natively in a chroot of the image and in the engine
#   strace -f    strace -f -o /dev/null gcc hello.c, the same two ways
#   gdb batch    gdb -batch: break main, run, next, bt, continue on a -g hello (host gcc)
#
# Engines: build/glassbox (native build) and, with --node, build-wasm/glassbox.js in node.
# Both boot build/image with a throwaway overlay holding the test files (tests/storage's
# tool puts them in). Prints seconds and the engine/native ratios. Needs root (chroot).
#
#   bench/debuggers.sh [--runs N] [--node]
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
RUNS=5; NODE=0
while [ $# -gt 0 ]; do case $1 in --runs) RUNS=$2; shift 2 ;; --node) NODE=1; shift ;; *) echo "usage: $0 [--runs N] [--node]"; exit 2 ;; esac; done
ROOT=$("$top/tools/mkimage/mkimage" plan "$top/images/default" --print-root 2>/dev/null)
IMAGE=${GLASSBOX_IMAGE_DIR:-$top/build/image}/manifest.json
TOOL=$("$top/tests/storage/storage_tool.sh")
[ -x "$ROOT/usr/bin/gdb" ] && [ -f "$IMAGE" ] || { echo "needs the default image (tools/mkimage/mkimage build images/default --out build/image)"; exit 1; }
tmp=$(mktemp -d /tmp/gbbench-dbg.XXXXXX); trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/gbb"
printf '#include <stdio.h>\nint main(void) {\n  int x = 6 * 7;\n  printf("hello %%d\\n", x);\n  return 0;\n}\n' > "$tmp/gbb/hello.c"
gcc -g -O0 -o "$tmp/gbb/hello_g" "$tmp/gbb/hello.c"
"$TOOL" put "$IMAGE" /var/tmp "$tmp/gbb" --overlay "$tmp/base.overlay" >/dev/null 2>&1 || { echo "cannot build the overlay"; exit 1; }

declare -A CMDS=(
  [gcc]='cd /tmp && gcc -o h /var/tmp/gbb/hello.c'
  [strace]='cd /tmp && strace -f -o /dev/null gcc -o h /var/tmp/gbb/hello.c'
  [gdb]='cd /var/tmp/gbb && gdb -nx -batch -ex "break main" -ex run -ex next -ex bt -ex continue ./hello_g'
)
ROWS=(gcc strace gdb)
COLS=(native engine); [ $NODE = 1 ] && COLS+=(node)
ENV=(PATH=/usr/local/bin:/usr/bin:/bin HOME=/root LANG=C.UTF-8 TERM=dumb)
envargs=(); for kv in "${ENV[@]}"; do envargs+=(--env "$kv"); done

run_one() {  # COL ROW -> seconds on stdout
  local col=$1 cmd=${CMDS[$2]} t0 t1
  cp "$tmp/base.overlay" "$tmp/run.overlay"
  t0=$(date +%s%N)
  case $col in
    native) env -i "${ENV[@]}" "$top/tests/lib/chroot-overlay.sh" "$ROOT" --bind "$tmp/gbb:/var/tmp/gbb" -- /bin/bash -c "$cmd" >/dev/null 2>&1 ;;
    engine) "$top/build/glassbox" run --image "$IMAGE" --overlay "$tmp/run.overlay" "${envargs[@]}" -- /bin/bash -c "$cmd" >/dev/null 2>&1 ;;
    node) node "$top/build-wasm/glassbox.js" run --image "$IMAGE" --overlay "$tmp/run.overlay" "${envargs[@]}" -- /bin/bash -c "$cmd" >/dev/null 2>&1 ;;
  esac
  t1=$(date +%s%N)
  awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1e9 }'
}

declare -A T
for ((i = 0; i < RUNS; i++)); do
  for row in "${ROWS[@]}"; do for col in "${COLS[@]}"; do T[$row,$col]+="$(run_one "$col" "$row") "; done; done
done
median() { tr ' ' '\n' | grep . | sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
printf '%-8s' row; for col in "${COLS[@]}"; do printf '%12s' "$col"; done; for col in "${COLS[@]:1}"; do printf '%14s' "$col/native"; done; echo
for row in "${ROWS[@]}"; do
  printf '%-8s' "$row"
  declare -A M=()
  for col in "${COLS[@]}"; do M[$col]=$(echo "${T[$row,$col]}" | median); printf '%11.2fs' "${M[$col]}"; done
  for col in "${COLS[@]:1}"; do printf '%13.1fx' "$(awk -v a="${M[$col]}" -v b="${M[native]}" 'BEGIN { print a / b }')"; done
  echo
done
echo "(median of $RUNS; the strace row's cost of tracing is strace/gcc in each column)"
