#!/usr/bin/env bash
# tests/jit/run.sh — the JIT layer (tools/test jit), in node:
#   1. the golden listings' modules are valid wasm (wabt's wasm-validate, when installed)
#   2. tests/jit/smc.c (self-modifying code) and tests/jit/fault.c (a fault in a compiled
#      loop: the handler's registers and flags; alarm ending an endless compiled loop)
#      print what the host prints, with --jit always, on and off
#   3. the guest corpus (tests/guest, O2 variants) and the syscall programs with
#      GLASSBOX_JIT=always: every block compiled at its first run must give the
#      interpreter's (and the host's) results
# Prints "N passed, N failed" last.
#   tests/jit/run.sh [GLASSBOX_JS]     (default build-wasm/glassbox.js)
set -uo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
JS=${1:-$ROOT/build-wasm/glassbox.js}
NODE="node --no-experimental-fetch"
P=0; F=0
ok() { echo "ok   $1"; P=$((P + 1)); }
bad() { echo "FAIL $1"; F=$((F + 1)); }
tmp=$(mktemp -d /tmp/glassbox-jit.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

# 1. modules of the golden cases validate
if command -v wasm-validate >/dev/null && [ -x build/unit_tests ]; then
  mkdir -p "$tmp/wasm"
  GB_JIT_WASM_DIR=$tmp/wasm build/unit_tests -tc="jit: golden*" >/dev/null 2>&1
  n=0; badn=0
  for w in "$tmp"/wasm/*.wasm; do n=$((n + 1)); wasm-validate "$w" >/dev/null 2>&1 || { badn=$((badn + 1)); echo "  invalid: $w"; }; done
  if [ "$n" -gt 0 ] && [ "$badn" = 0 ]; then ok "golden modules validate ($n)"; else bad "golden modules validate ($badn of $n invalid)"; fi
fi

# 2. self-modifying code (smc.c); a compiled loop that faults, its handler's view of the
#    registers and flags, and alarm interrupting an endless compiled loop (fault.c)
for prog in smc fault; do
  gcc -O2 -o "$tmp/$prog" tests/jit/$prog.c && "$tmp/$prog" > "$tmp/$prog.want"
  for mode in always on off; do
    if timeout 120 $NODE "$JS" run --jit $mode --root / -- "$tmp/$prog" > "$tmp/$prog.$mode" 2>"$tmp/$prog.$mode.err" &&
       cmp -s "$tmp/$prog.want" "$tmp/$prog.$mode"; then
      ok "$prog --jit $mode"
    else
      bad "$prog --jit $mode"; diff "$tmp/$prog.want" "$tmp/$prog.$mode" | head -5; head -5 "$tmp/$prog.$mode.err"
    fi
  done
done

# 3. the guest corpus and the syscall programs, every block compiled
summary() { grep -aE '^([A-Za-z-]+: )?[0-9]+ passed, [0-9]+ failed' "$1" | tail -n 1 | sed -E 's/^([A-Za-z-]+: )?([0-9]+) passed, ([0-9]+) failed.*/\2 \3/'; }
GLASSBOX_JIT=always GUEST_VARIANTS=${JIT_GUEST_VARIANTS:-"O2-static O2-dynamic"} \
  tests/guest/run.sh "$NODE $JS run --root / --" > "$tmp/guest.log" 2>&1
read -r gp gf <<<"$(summary "$tmp/guest.log")"
grep -a "FAIL" "$tmp/guest.log" | head -10
if [ -n "${gp:-}" ] && [ "$gf" = 0 ] && [ "$gp" -gt 0 ]; then ok "guest corpus, --jit always ($gp cases)"; else bad "guest corpus, --jit always (${gp:-?} passed, ${gf:-?} failed)"; fi
GLASSBOX_JIT=always tests/syscall/run.sh / $NODE "$JS" run --root / -- > "$tmp/syscall.log" 2>&1
read -r sp sf <<<"$(summary "$tmp/syscall.log")"
grep -a "FAIL" "$tmp/syscall.log" | head -10
if [ -n "${sp:-}" ] && [ "$sf" = 0 ] && [ "$sp" -gt 0 ]; then ok "syscall programs, --jit always ($sp cases)"; else bad "syscall programs, --jit always (${sp:-?} passed, ${sf:-?} failed)"; fi

echo "$P passed, $F failed"
[ "$F" = 0 ]
