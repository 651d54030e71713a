#!/usr/bin/env bash
# tests/asan.sh — the native engine built with AddressSanitizer + UndefinedBehaviorSanitizer
# (tools/build asan -> build-asan/glassbox; -fno-sanitize-recover, halt_on_error=1: the
# first report aborts the engine, so the suite that ran it fails) over a CI-sized slice:
#   * the syscall programs (tests/syscall/run.sh, native vs engine),
#   * the guest corpus (tests/guest/run.sh),
#   * the syscall fuzzer's CI run (tests/fuzz/syscall_fuzz.sh --native-only),
#   * the containment cases (tests/contain/run.sh native),
#   * tests/hostile/run.sh build-asan/glassbox, if it exists.
#   tests/asan.sh          the CI slice
#   tests/asan.sh --full   also the long fuzzer run (1,000,000 calls) and the image suites
# Leak detection is off (the engine frees its world at exit, not each allocation); any
# other report fails. Last line: "N passed, N failed" (sum of the sub-suites).
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
full=0; [ "${1:-}" = --full ] && full=1
JOBS=${JOBS:-2} tools/build asan || { echo "0 passed, 1 failed"; exit 1; }
A=$ROOT/build-asan/glassbox
export ASAN_OPTIONS=halt_on_error=1:detect_leaks=0:abort_on_error=0:exitcode=86
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1:exitcode=86
LOG=$(mktemp -d /tmp/gbasan.XXXXXX)
trap 'rm -rf "$LOG"' EXIT
P=0; F=0
sub() {  # sub NAME CMD...: runs a suite, adds its "N passed, N failed"
  local name=$1; shift
  echo "=== asan $name"
  "$@" >"$LOG/$name.log" 2>&1
  local rc=$? line p f
  line=$(grep -aE '^([A-Za-z-]+: )?[0-9]+ passed, [0-9]+ failed' "$LOG/$name.log" | tail -n 1)
  if [ -n "$line" ]; then
    p=$(sed -E 's/^([A-Za-z-]+: )?([0-9]+) passed.*/\2/' <<<"$line"); f=$(sed -E 's/.* ([0-9]+) failed.*/\1/' <<<"$line")
  else p=0; f=1; fi
  [ "$rc" != 0 ] && [ "$f" = 0 ] && f=1
  local san
  san=$(grep -acE 'ERROR: AddressSanitizer|runtime error:|UndefinedBehaviorSanitizer' "$LOG/$name.log")
  echo "$name: $p passed, $f failed, sanitizer reports in its log: $san"
  [ "$f" != 0 ] && grep -aE -A12 'FAIL|bad|ERROR|runtime error' "$LOG/$name.log" | head -40  # with the diff after a FAIL
  P=$((P + p)); F=$((F + f))
}
sub syscall tests/syscall/run.sh / "$A" run --root / --
sub guest tests/guest/run.sh "$A run --root / --"
sub fuzz env GLASSBOX="$A" tests/fuzz/syscall_fuzz.sh --native-only
sub contain env GLASSBOX="$A" tests/contain/run.sh native
# ASan roughly doubles resident memory: the hostile watchdog cap is raised accordingly.
[ -x tests/hostile/run.sh ] && sub hostile env HOSTILE_HOST_CAP_KB=${HOSTILE_HOST_CAP_KB:-6000000} tests/hostile/run.sh "$A"
if [ $full = 1 ]; then
  sub fuzz-long env GLASSBOX="$A" tests/fuzz/syscall_fuzz.sh --long --native-only
  IMAGE_DIR=${GLASSBOX_IMAGE_DIR:-$ROOT/build/image}
  [ -f "$IMAGE_DIR/manifest.json" ] && sub syscall-image tests/syscall/run.sh "$IMAGE_DIR/manifest.json" "$A"
fi
echo "$P passed, $F failed"
[ $F = 0 ]
