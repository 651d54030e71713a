#!/usr/bin/env bash
# tests/hostile/run.sh — hostile guest programs: one small C program per way a buggy or
# malicious student program can hurt the machine (huge sizes, epoll cycles, floods of
# signals, sockets, netlink replies, xattrs, memory, fork bombs, long rep instructions).
#
#   tests/hostile/run.sh [GLASSBOX_CMD...]
#
#   GLASSBOX_CMD  the engine: build/glassbox (default) or "node ... build-wasm/glassbox.js";
#                 "run --root / --mem-limit $HOSTILE_MEM_LIMIT --" is added.
#
# Each h_*.c says in its header whether it is safe to run natively ("(native: yes)"):
#   * native: yes  the program runs natively and in the engine; stdout and exit status
#                  must be the same (Linux's answer is whatever the host said);
#   * native: no   only in the engine; the program checks the documented Linux answer
#                  itself and must print "ok" and exit 0.
# A header line "// engine-args: ..." adds engine options (e.g. --mem-limit 512M), and
# "// engine-stderr: TEXT" asks for TEXT among the engine's messages.
# In both cases the engine must end normally: its own status, no abort, no wasm trap,
# and its resident memory stays under HOSTILE_HOST_CAP_KB (a watchdog kills it past
# that: "contained" means it never gets there). Peak RSS per case (/usr/bin/time %M)
# is printed and logged. The last line is "N passed, N failed".
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
MEM_LIMIT=${HOSTILE_MEM_LIMIT:-1G}
CAP_KB=${HOSTILE_HOST_CAP_KB:-3000000}
if [ $# -eq 0 ]; then set -- "$top/build/glassbox"; fi
if [ $# -eq 1 ]; then read -r -a ENGINE <<<"$1"; else ENGINE=("$@"); fi
if [ ! -e "${ENGINE[-1]}" ] && [ ! -x "$(command -v "${ENGINE[0]}")" ]; then
  echo "hostile: no engine ${ENGINE[*]} (build first)"; echo "0 passed, 1 failed"; exit 1
fi
work=$(mktemp -d /tmp/gbhostile.XXXXXX)
trap 'rm -rf "$work"' EXIT
pass=0; fail=0
ok() { pass=$((pass + 1)); echo "ok   $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; }

# run_capped OUT ERR RSS CMD...: runs CMD with a 300 s timeout under /usr/bin/time,
# killing it if its resident memory passes CAP_KB. Returns CMD's status.
run_capped() {
  local out=$1 err=$2 rss=$3; shift 3
  /usr/bin/time -f %M -o "$rss" timeout 300 "$@" >"$out" 2>"$err" </dev/null &
  local tp=$! kb c g
  while kill -0 "$tp" 2>/dev/null; do
    for c in $(pgrep -P "$tp" 2>/dev/null); do
      for g in "$c" $(pgrep -P "$c" 2>/dev/null); do
        kb=$(awk '/^VmRSS/{print $2}' "/proc/$g/status" 2>/dev/null)
        if [ -n "$kb" ] && [ "$kb" -gt "$CAP_KB" ]; then
          echo "hostile: host memory cap hit (${kb} kB): killed" >>"$err"; kill -9 "$g" 2>/dev/null
        fi
      done
    done
    sleep 0.2
  done
  wait "$tp"
}

declare -a RSS_REPORT=()
for src in "$here"/h_*.c; do
  name=$(basename "$src" .c)
  if ! gcc -O1 -g0 -static -Wall -Wno-unused-result -I"$here" -o "$work/$name" "$src" 2>"$work/$name.cc"; then
    bad "$name (compile)"; head -5 "$work/$name.cc"; continue
  fi
  native=no
  grep -q "(native: yes)" "$src" && native=yes
  read -r -a extra <<<"$(sed -n 's|^// engine-args: *||p' "$src" | head -1)"
  cmd=()
  for w in "${ENGINE[@]}"; do cmd+=("$w"); done
  cmd+=(run --root / --mem-limit "$MEM_LIMIT" "${extra[@]}" -- "$work/$name")
  want_err=$(sed -n 's|^// engine-stderr: *||p' "$src" | head -1)
  nrss=-
  if [ $native = yes ]; then
    run_capped "$work/$name.native" "$work/$name.native.err" "$work/$name.native.rss" "$work/$name"
    nst=$?
    nrss=$(tail -n 1 "$work/$name.native.rss" 2>/dev/null)
  fi
  start=$SECONDS
  run_capped "$work/$name.engine" "$work/$name.engine.err" "$work/$name.engine.rss" "${cmd[@]}"
  est=$?
  secs=$((SECONDS - start))
  erss=$(tail -n 1 "$work/$name.engine.rss" 2>/dev/null)
  RSS_REPORT+=("$(printf '%-18s engine peak RSS %8s kB  (program natively: %s kB)  %ds' "$name" "$erss" "$nrss" "$secs")")
  why=""
  if grep -qaE "Aborted|bad_alloc|out of bounds|RuntimeError|Maximum call stack|host memory cap|terminate called|Segmentation" "$work/$name.engine.err"; then
    why="the engine did not end normally: $(grep -aE 'Aborted|bad_alloc|out of bounds|RuntimeError|Maximum call stack|host memory cap|terminate called|Segmentation' "$work/$name.engine.err" | head -2)"
  elif [ -n "$want_err" ] && ! grep -qaF "$want_err" "$work/$name.engine.err"; then
    why="the engine did not say '$want_err'"
  elif [ $native = yes ]; then
    if [ $nst != $est ] || ! cmp -s "$work/$name.native" "$work/$name.engine"; then
      why="status native $nst, engine $est"
    fi
  elif [ $est != 0 ] || [ "$(tail -n 1 "$work/$name.engine")" != ok ]; then
    why="status $est, last line '$(tail -n 1 "$work/$name.engine")'"
  fi
  if [ -z "$why" ]; then
    ok "$name (native: $native; engine peak RSS ${erss} kB, ${secs}s)"
  else
    bad "$name ($why)"
    [ $native = yes ] && diff "$work/$name.native" "$work/$name.engine" | head -20
    [ $native = no ] && head -20 "$work/$name.engine"
    grep -av "^glassbox: unimplemented" "$work/$name.engine.err" | head -5
  fi
done
echo
echo "peak resident memory per case (engine: ${ENGINE[*]}; --mem-limit $MEM_LIMIT)"
for r in "${RSS_REPORT[@]}"; do echo "  $r"; done
echo "$pass passed, $fail failed"
[ $fail = 0 ]
