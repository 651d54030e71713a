#!/usr/bin/env bash
# tests/programs/run.sh — real Debian programs: the engine vs a native chroot of the same
# root. Usage: tests/programs/run.sh [ROOT] [ENGINE...]
#   ROOT    the guest root directory (default: the default image's rootfs from tools/mkimage)
#   ENGINE  the engine command prefix up to the guest program (default: build/glassbox run --root ROOT --);
#           write @ROOT@ for the guest root (the suite runs in a private hard-link copy of ROOT)
# Each case in cases.txt runs directly both ways ("@FILE" feeds input/FILE on stdin); stdout and
# exit status must match.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
ROOT=${1:-$("$top/tools/mkimage/mkimage" plan "$top/images/default" --print-root 2>/dev/null)}
shift || true
if [ -z "$ROOT" ] || [ ! -x "$ROOT/bin/sh" ]; then
  echo "programs: no guest root (build the default image first: tools/start)"; echo "0 passed, 1 failed"; exit 1
fi
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
# Never run in the image cache's rootfs itself: a program run as root there (python writing
# __pycache__) would change the cache behind mkimage's back. A real copy: a hard-link one
# shares inodes, so a chmod, utime or in-place write of an existing file still reached the
# cache (the image layer's determinism check caught it on the next run).
cp -a --reflink=auto "$ROOT" "$tmp/root" && ROOT="$tmp/root"
# ENGINE args may name the root as @ROOT@ (replaced by the private copy).
if [ $# -gt 0 ]; then ENGINE=("${@//@ROOT@/$ROOT}"); else ENGINE=("$top/build/glassbox" run --root "$ROOT" --env TERM=dumb --env HOME=/root --); fi
pass=0; fail=0; n=0
while IFS= read -r line; do
  case "$line" in ''|'#'*) continue;; esac
  if [[ $line == %hostfs* ]]; then
    [ "${PROGRAMS_IMAGE:-0}" = 1 ] && continue
    line=${line#%hostfs }
  fi
  n=$((n + 1))
  input=/dev/null
  if [[ $line == @* ]]; then input="$here/input/${line%% *}"; input=${input/\/@/\/}; line=${line#* }; fi
  eval "argv=($line)"
  env -i PATH=/usr/local/bin:/usr/bin:/bin HOME=/root LANG=C.UTF-8 TERM=dumb /usr/sbin/chroot "$ROOT" "${argv[@]}" >"$tmp/native.$n" 2>"$tmp/native.err.$n" <"$input"
  nst=$?
  timeout 600 "${ENGINE[@]}" "${argv[@]}" >"$tmp/engine.$n" 2>"$tmp/engine.err.$n" <"$input"
  est=$?
  if [ $nst = $est ] && cmp -s "$tmp/native.$n" "$tmp/engine.$n"; then
    pass=$((pass + 1)); echo "ok   $n: $line"
  else
    fail=$((fail + 1)); echo "FAIL $n: $line (status native $nst, engine $est)"
    diff "$tmp/native.$n" "$tmp/engine.$n" | head -10
    head -5 "$tmp/engine.err.$n"
  fi
done < "$here/cases.txt"
echo "programs: $pass passed, $fail failed"
[ $fail = 0 ]
