#!/usr/bin/env bash
# tests/guest/run.sh — the guest corpus: every program in tests/guest/ (*.c, *.S) is
# compiled by the host gcc in several variants, run natively and under the engine, and
# stdout + exit status are compared.
#
#   tests/guest/run.sh "ENGINE CMD PREFIX" [ROOT]
#     e.g. tests/guest/run.sh "build/glassbox run --root / --"
#          tests/guest/run.sh "node build-wasm/glassbox.js run --root / --"
#
# ROOT (default /) is the guest root the engine command uses; the dynamic variants load
# their libc from it. With ROOT=/ the binaries live in a host temp dir; otherwise they go
# to ROOT/tmp/ and the native run uses `chroot ROOT` (needs root).
#
#   tests/guest/run.sh "ENGINE CMD" IMAGE      (image mode)
#     e.g. tests/guest/run.sh build/glassbox build/image/manifest.json
#          tests/guest/run.sh "node build-wasm/glassbox.js" build/image/manifest.json
#
# IMAGE (a chunk manifest …/manifest.json, a raw .ext2 or an http:// URL) makes the
# engine boot from the image: "run --image IMAGE --overlay TMP/overlay --" is added to
# ENGINE CMD (the glassbox executable or node + glassbox.js). Each compiled binary is
# put into that throwaway overlay at /var/tmp/glassbox-guest.XXXXXX by
# tests/storage/storage_tool (the image itself is never written), and the native run
# uses a chroot of a hard-link copy of the image's rootfs (GUEST_IMAGE_ROOT, default
# `tools/mkimage/mkimage plan images/default --print-root`).
#
# Variants: O0-static O0-dynamic O2-static O2-dynamic O2-static-pie, unless the source has
# a line "glassbox-guest: flags=... variants=O0,O2" (then only those -O levels, with those
# flags, e.g. -nostdlib -static for the libc-free assembly program).
#
# The native run masks CPU features glibc would otherwise use (AVX*, FMA, BMI, ...) with
# GLIBC_TUNABLES, so that both sides take glibc's baseline/SSE2 code paths (the engine
# reports baseline x86-64 + SSE2 in CPUID); libm's FMA variants could round differently.
#
# Environment: GUEST_FILTER=regex (program names), GUEST_TIMEOUT=seconds (default 300),
# GUEST_KEEP=1 (keep the temp dir), GUEST_VARIANTS="O2-static ..." (subset).
# Prints one line per case and "N passed, N failed" last; exit status 1 if any failed.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
if [ $# -lt 1 ] || [ -z "$1" ]; then
  echo "usage: $0 \"ENGINE CMD PREFIX\" [ROOT]" >&2
  echo "0 passed, 1 failed"
  exit 2
fi
read -r -a ENGINE <<<"$1"
ROOT=${2:-/}
IMAGE=""
case "$ROOT" in
  http://*|*.json|*.ext2)
    IMAGE=$ROOT
    TOP=$(cd "$HERE/../.." && pwd)
    IROOT=${GUEST_IMAGE_ROOT:-$("$TOP/tools/mkimage/mkimage" plan "$TOP/images/default" --print-root 2>/dev/null)}
    TOOL=$("$TOP/tests/storage/storage_tool.sh")
    if [ -z "$IROOT" ] || [ ! -x "$IROOT/bin/sh" ] || [ -z "$TOOL" ] || [ ! -x "$TOOL" ]; then
      echo "guest: image mode needs the image's rootfs ($IROOT) and $TOOL"; echo "0 passed, 1 failed"; exit 1
    fi
    IWORK=$(mktemp -d /tmp/glassbox-guest-image.XXXXXX)
    # a real copy, never hard links (metadata changes would reach the image cache)
    cp -a --reflink=auto "$IROOT" "$IWORK/root" || { echo "guest: cannot copy $IROOT"; echo "0 passed, 1 failed"; exit 1; }
    ROOT=$IWORK/root
    case " ${ENGINE[*]} " in
      *" run "*) ;;
      *) ENGINE+=(run --image "$IMAGE" --overlay "$IWORK/overlay" --) ;;
    esac
    ;;
esac
ROOT=${ROOT%/}
[ -z "$ROOT" ] && ROOT=/
TIMEOUT=${GUEST_TIMEOUT:-300}
FILTER=${GUEST_FILTER:-.}
ALL_VARIANTS=${GUEST_VARIANTS:-"O0-static O0-dynamic O2-static O2-dynamic O2-static-pie"}
TUNABLES=${GUEST_NATIVE_TUNABLES:-glibc.cpu.hwcaps=-AVX,-AVX2,-FMA,-FMA4,-AVX512F,-AVX512VL,-AVX512BW,-AVX512DQ,-AVX512CD,-BMI1,-BMI2,-LZCNT,-MOVBE,-POPCNT,-SSSE3,-SSE4_1,-SSE4_2,-ERMS,-FSRM,-XSAVE,-XSAVEC,-OSXSAVE,-F16C,-RTM}

if [ "$ROOT" = / ]; then
  WORK=$(mktemp -d /tmp/glassbox-guest.XXXXXX)
  GUEST_DIR=$WORK
elif [ -n "$IMAGE" ]; then  # not /tmp: the image's /tmp may be a memory fs
  WORK=$(mktemp -d "$ROOT/var/tmp/glassbox-guest.XXXXXX")
  GUEST_DIR=/var/tmp/$(basename "$WORK")
else
  mkdir -p "$ROOT/tmp"
  WORK=$(mktemp -d "$ROOT/tmp/glassbox-guest.XXXXXX")
  GUEST_DIR=/tmp/$(basename "$WORK")
fi
cleanup() {
  if [ "${GUEST_KEEP:-0}" = 1 ]; then echo "kept $WORK"; else rm -rf "$WORK"; fi
  if [ -n "$IMAGE" ]; then [ "${GUEST_KEEP:-0}" = 1 ] && echo "kept $IWORK" || rm -rf "$IWORK"; fi
}
trap cleanup EXIT

pass=0
fail=0
CHROOT=$(command -v chroot || echo /usr/sbin/chroot)   # not in the env -i PATH below
# run_native BIN: prints stdout to $WORK/native.out, returns the exit status.
run_native() {
  local bin=$1
  if [ "$ROOT" = / ]; then
    env -i PATH=/usr/bin:/bin LC_ALL=C GLIBC_TUNABLES="$TUNABLES" timeout "$TIMEOUT" "$WORK/$bin" </dev/null >"$WORK/native.out" 2>"$WORK/native.err"
  else
    env -i PATH=/usr/bin:/bin LC_ALL=C GLIBC_TUNABLES="$TUNABLES" timeout "$TIMEOUT" "$CHROOT" "$ROOT" "$GUEST_DIR/$bin" </dev/null >"$WORK/native.out" 2>"$WORK/native.err"
  fi
}
run_engine() {
  local bin=$1
  if [ -n "$IMAGE" ] && ! "$TOOL" put "$IMAGE" "$GUEST_DIR" "$WORK/$bin" --overlay "$IWORK/overlay" >"$WORK/engine.err" 2>&1; then
    echo "(storage_tool put failed)" >"$WORK/engine.out"
    return 125
  fi
  env LC_ALL=C timeout "$TIMEOUT" "${ENGINE[@]}" "$GUEST_DIR/$bin" </dev/null >"$WORK/engine.out" 2>"$WORK/engine.err"
}

for src in "$HERE"/*.c "$HERE"/*.S; do
  [ -e "$src" ] || continue
  name=$(basename "$src")
  name=${name%.*}
  [[ $name =~ $FILTER ]] || continue
  meta=$(grep -m1 -o 'glassbox-guest:.*' "$src" || true)
  flags=""
  variants=$ALL_VARIANTS
  if [ -n "$meta" ]; then
    flags=$(sed -n 's/.*flags=\(.*\) variants=.*/\1/p' <<<"$meta")
    levels=$(sed -n 's/.*variants=\([A-Za-z0-9,]*\).*/\1/p' <<<"$meta")
    variants=""
    for l in ${levels//,/ }; do variants+="$l-custom "; done
  fi
  for v in $variants; do
    opt=${v%%-*}
    link=${v#*-}
    case $link in
      static) lflags="-static" ;;
      dynamic) lflags="" ;;
      static-pie) lflags="-static-pie -fPIE" ;;
      custom) lflags="$flags" ;;
    esac
    bin="$name.$v"
    # shellcheck disable=SC2086
    if ! gcc -$opt -w $lflags -o "$WORK/$bin" "$src" -lm 2>"$WORK/cc.err"; then
      echo "FAIL $name $v (does not compile: $(head -c 300 "$WORK/cc.err"))"
      fail=$((fail + 1))
      continue
    fi
    run_native "$bin"
    nrc=$?
    run_engine "$bin"
    erc=$?
    if [ "$nrc" = "$erc" ] && cmp -s "$WORK/native.out" "$WORK/engine.out"; then
      echo "PASS $name $v"
      pass=$((pass + 1))
    else
      why=""
      [ "$nrc" != "$erc" ] && why="exit status native $nrc, engine $erc"
      [ "$erc" = 124 ] && why="engine timed out after ${TIMEOUT}s"
      cmp -s "$WORK/native.out" "$WORK/engine.out" || why="${why:+$why; }stdout differs"
      echo "FAIL $name $v ($why)"
      diff "$WORK/native.out" "$WORK/engine.out" | head -n 12 | sed 's/^/    /'
      if [ -s "$WORK/engine.err" ]; then
        echo "    engine stderr:"
        head -n 6 "$WORK/engine.err" | sed 's/^/      /'
      fi
      fail=$((fail + 1))
    fi
  done
done
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
