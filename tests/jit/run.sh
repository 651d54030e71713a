#!/usr/bin/env bash
# tests/jit/run.sh — the JIT layer (tools/test jit), in node:
#   1. the golden listings' modules are valid wasm (wabt's wasm-validate, when installed)
#   2. tests/jit/smc.c (self-modifying code), tests/jit/alias.c (code changed through a
#      second mapping of its page and through write()), tests/jit/fault.c (a fault in a compiled
#      loop: the handler's registers and flags; alarm ending an endless compiled loop) and
#      tests/jit/cloops.c (the same with loops of several blocks; nested C loops) print
#      what the host prints, with --jit always, on, off, early (on, compiled after 64
#      runs) and grow (early, regions grown after 64 exits); tests/jit/grow.c (a loop
#      longer than a region) likewise; cloops and grow.c retire the same instruction
#      count (--stats) in every mode
#      tests/jit/flags.c (the flag families: shifts, imul, inc/dec, their flags read
#      right after) and tests/jit/sse.c (the SSE2 forms compiled inline) likewise
#   2b. flags.c bit-exact with the interpreter, undefined flags included
#   2c. the bounded code cache: a generated program of 300 hot loops in a small budget
#   2d. code reused by a program's next process (reuse.c; its regions chained again; a
#       program rewritten in place)
#   3. the guest corpus (tests/guest, O2 variants) and the syscall programs with
#      --jit always: every block compiled at its first run must give the
#      interpreter's (and the host's) results; then both again in mode grow (regions
#      compiled after 64 runs and grown after 64 exits)
#   4. the image's gcc driving cc1, as and ld (programs-multi's gcc-hello) with
#      GLASSBOX_JIT=always, against a native chroot: ~90,000 regions through the bounded
#      code cache (before it, V8 ran out of wasm code space and node aborted)
#   5. the host's memory: the linear memory on transparent huge pages (node_host.c)
#   6. the engine code cache (node_code_cache.{cc,js}): written by a first run, loaded by
#      the next; a damaged file ignored and written again; bytes V8 refuses; a directory
#      that cannot be made; four runs at once on an empty cache; GLASSBOX_CODE_CACHE=0
# The long runs (all of programs-multi and the pysuite subset with --jit always, ~15 min):
# tests/jit/long.sh.
# Prints "N passed, N failed" last.
#   tests/jit/run.sh [GLASSBOX_JS]     (default build-wasm/glassbox.js)
set -uo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
JS=${1:-$ROOT/build-wasm/glassbox.js}
NODE=node
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
  for w in "$tmp"/wasm/*.wasm; do n=$((n + 1)); wasm-validate --enable-tail-call "$w" >/dev/null 2>&1 || { badn=$((badn + 1)); echo "  invalid: $w"; }; done
  if [ "$n" -gt 0 ] && [ "$badn" = 0 ]; then ok "golden modules validate ($n)"; else bad "golden modules validate ($badn of $n invalid)"; fi
fi

# 2. self-modifying code (smc.c); a compiled loop that faults, its handler's view of the
#    registers and flags, and alarm interrupting an endless compiled loop (fault.c); the
#    same with loops of several blocks, and nested C loops (cloops.c); the flag families
#    with live flags (flags.c: shifts by imm and cl (count 0, masked counts), imul,
#    inc/dec (CF kept), read by jcc/setcc/adc/pushf: the host's flags where x86 defines
#    them); the SSE2 forms compiled inline (sse.c: scalar/packed arithmetic, conversions,
#    ucomis/comis with pushf and fused jcc, moves, bitwise; NaNs, infinities, denormals,
#    overflow/underflow under 12 MXCSR modes: result and MXCSR hashes). Each prints what
#    the host prints, in every mode. alias.c: code changed through a second mapping of
#    the same memfd page (a store from main, from the running block itself, from a
#    forked child) and through pwrite(): before PhysMem's code frames, every call ran the
#    stale code, interpreted or compiled. forms.c: the other inline forms (bytes with
#    ah..bh, read-modify-write memory, test with memory, byte moves, movzx/movsx, imul
#    from memory, call/ret and indirect branches) and the instructions whose store into
#    the running block's own page stops it after they retired (their flags, rsp, rip).
#    memo.c: where the probe memo (an access through a base register unchanged since an
#    access whose probe hit takes that page without a probe) must not hold: the next
#    page, a split access, an unmapped or read-only next page, a copy-on-write between
#    the two accesses, pushes across a stack page.
#    Mode `early` is `on` with regions compiled after 64 runs, so that loops in main
#    that run a few thousand times are compiled too. Regression (Dec 6 2026, "stale code
#    inlined from another page"): alias.c and smc.c printed stale results there, since a
#    region dropped by a store into a block of its own on another page (the callee a loop
#    calls, compiled into the loop's region) ran on to its stale copy; it now stops.
#    grow.c: a loop longer than a region (a switch, calls, returns), its checksum and a
#    fault inside it once its region grew. Mode `grow` is `early` with regions grown after
#    64 exits to other regions (vm/jit/jit.h "Regions that grow"): every program's loops
#    that close within a grown region run in one.
jit_args() {
  case "$1" in
    early) echo "on --jit-threshold 64" ;;
    grow) echo "on --jit-threshold 64 --jit-grow 64" ;;
    *) echo "$1" ;;
  esac
}
for prog in smc alias fault cloops flags sse forms memo grow; do
  gcc -O2 -o "$tmp/$prog" tests/jit/$prog.c && "$tmp/$prog" > "$tmp/$prog.want"
  for mode in always on off early grow; do
    if timeout 120 $NODE "$JS" run --jit $(jit_args $mode) --root / -- "$tmp/$prog" > "$tmp/$prog.$mode" 2>"$tmp/$prog.$mode.err" &&
       cmp -s "$tmp/$prog.want" "$tmp/$prog.$mode"; then
      ok "$prog --jit $mode"
    else
      bad "$prog --jit $mode"; diff "$tmp/$prog.want" "$tmp/$prog.$mode" | cut -c1-160 | head -8; head -5 "$tmp/$prog.$mode.err"
    fi
  done
done

# 2a. the instruction count compiled code keeps in a local is the interpreter's: cloops
#    (nested loops, rep movsb inside a compiled loop, a fault in a loop of three blocks)
#    retires the same number of instructions in every mode
for mode in off on always early grow; do
  timeout 120 $NODE "$JS" run --jit $(jit_args $mode) --stats --root / -- "$tmp/cloops" count > /dev/null 2>"$tmp/count.$mode"
  sed -nE 's/.*stats: ([0-9]+) instructions.*/\1/p' "$tmp/count.$mode" > "$tmp/count.$mode.n"
done
for mode in on always early grow; do
  if [ -s "$tmp/count.off.n" ] && cmp -s "$tmp/count.off.n" "$tmp/count.$mode.n"; then
    ok "cloops count: --jit $mode retires $(cat "$tmp/count.$mode.n") instructions, as --jit off"
  else
    bad "cloops count: --jit $mode $(cat "$tmp/count.$mode.n") instructions, --jit off $(cat "$tmp/count.off.n")"
  fi
done

# 2a'. grow.c in mode grow did grow a region (else the rows above tested nothing new):
#    --stats counts it, and the instruction count is the interpreter's
timeout 120 $NODE "$JS" run --jit $(jit_args grow) --stats --root / -- "$tmp/grow" > /dev/null 2>"$tmp/grow.stats"
timeout 120 $NODE "$JS" run --jit off --stats --root / -- "$tmp/grow" > /dev/null 2>"$tmp/grow.stats.off"
grown=$(sed -nE 's/.* ([0-9]+) jit grown.*/\1/p' "$tmp/grow.stats")
n_grow=$(sed -nE 's/.*stats: ([0-9]+) instructions.*/\1/p' "$tmp/grow.stats")
n_off=$(sed -nE 's/.*stats: ([0-9]+) instructions.*/\1/p' "$tmp/grow.stats.off")
if [ "${grown:-0}" -ge 1 ] && [ -n "$n_off" ] && [ "$n_grow" = "$n_off" ]; then
  ok "grow.c: $grown regions grown, $n_grow instructions retired, as --jit off"
else
  bad "grow.c: ${grown:-no} regions grown, $n_grow instructions (--jit off: $n_off)"; tail -c 300 "$tmp/grow.stats"
fi

# 2b. every flag bit-exact with the interpreter's, undefined ones too (flags.c `full`:
#    on and always against off)
for mode in always on off; do
  timeout 120 $NODE "$JS" run --jit $mode --root / -- "$tmp/flags" full > "$tmp/flags-full.$mode" 2>&1
done
for mode in always on; do
  if [ -s "$tmp/flags-full.off" ] && cmp -s "$tmp/flags-full.off" "$tmp/flags-full.$mode"; then
    ok "flags full (undefined bits too): --jit $mode = --jit off"
  else
    bad "flags full (undefined bits too): --jit $mode = --jit off"; diff "$tmp/flags-full.off" "$tmp/flags-full.$mode" | head -8
  fi
done

# 2c. the bounded code cache: a generated program of 300 distinct hot loops (a function
#    each, its own constants) under --jit on and always with a small budget gives the
#    host's output, and the cache's peak stays within its budget (always: thousands of
#    regions, most evicted)
{
  echo '#include <stdint.h>'
  echo '#include <stdio.h>'
  for i in $(seq 1 300); do
    echo "__attribute__((noinline)) static uint64_t f$i(uint64_t x) { for (int k = 0; k < 30000; k++) x = x * $((2 * i + 1)) + (x >> $((i % 29 + 1))) + $i; return x; }"
  done
  echo 'int main(void) {'
  echo '  uint64_t h = 0;'
  for i in $(seq 1 300); do echo "  h = h * 31 + f$i(h + $i);"; done
  echo '  printf("%llx\n", (unsigned long long)h);'
  echo '  return 0;'
  echo '}'
} > "$tmp/loops.c"
gcc -O2 -o "$tmp/loops" "$tmp/loops.c" && "$tmp/loops" > "$tmp/loops.want"
budget=49152
for mode in on always; do
  timeout 300 $NODE "$JS" run --jit $mode --jit-cache $budget,40 --stats --root / -- "$tmp/loops" > "$tmp/loops.$mode" 2>"$tmp/loops.$mode.err"
  stats=$(grep -a "stats:" "$tmp/loops.$mode.err")
  peak=$(sed -nE 's/.*\(peak ([0-9]+) bytes;.*/\1/p' <<<"$stats")
  evicted=$(sed -nE 's/.* ([0-9]+) jit evicted.*/\1/p' <<<"$stats")
  regions=$(sed -nE 's/.* ([0-9]+) jit regions.*/\1/p' <<<"$stats")
  echo "  loops --jit $mode: ${regions:-?} regions compiled, ${evicted:-?} evicted, cache peak ${peak:-?} bytes (budget $budget, 40 regions)"
  # (on: how many loops compile depends on the adaptive threshold, so on a loaded machine
  # perhaps too few to fill the cache; always compiles every block: thousands of regions)
  if cmp -s "$tmp/loops.want" "$tmp/loops.$mode" && [ -n "$peak" ] && [ "$peak" -le "$budget" ] &&
     { [ $mode = on ] || [ "${evicted:-0}" -gt 0 ]; }; then
    ok "code cache bounded: 300 hot loops in $budget bytes, --jit $mode"
  else
    bad "code cache bounded: 300 hot loops in $budget bytes, --jit $mode"; diff "$tmp/loops.want" "$tmp/loops.$mode" | head -3; tail -3 "$tmp/loops.$mode.err"
  fi
done

# 2d. code kept from one process of a program for the next (vm/linux/code_pool.h):
#    reuse.c runs children of itself one after another, each putting different bytes, the
#    same bytes without PROT_EXEC, or a store of its own at an address where the previous
#    child ran (and compiled) code; each must print what the host prints, in every mode,
#    with some blocks reused and those pages rejected. Then a program rewritten in place
#    with the same size and mtime (the same pool key): the second run prints the new
#    program's output, its changed page rejected.
gcc -O2 -o "$tmp/reuse" tests/jit/reuse.c && "$tmp/reuse" > "$tmp/reuse.want"
for mode in always on off; do
  timeout 120 $NODE "$JS" run --jit $mode --stats --root / -- "$tmp/reuse" > "$tmp/reuse.$mode" 2>"$tmp/reuse.$mode.err"
  reused=$(sed -nE 's/.* ([0-9]+) blocks reused.*/\1/p' "$tmp/reuse.$mode.err")
  rejected=$(sed -nE 's/.* ([0-9]+) code pages rejected.*/\1/p' "$tmp/reuse.$mode.err")
  if cmp -s "$tmp/reuse.want" "$tmp/reuse.$mode" && [ "${reused:-0}" -gt 1000 ] && [ "${rejected:-0}" -ge 5 ]; then
    ok "reuse --jit $mode ($reused blocks reused, $rejected pages rejected)"
  else
    bad "reuse --jit $mode (${reused:-?} blocks reused, ${rejected:-?} pages rejected; want > 1000, >= 5)"
    diff "$tmp/reuse.want" "$tmp/reuse.$mode" | head -8; grep -v stats: "$tmp/reuse.$mode.err" | head -5
  fi
done
# A program's next process chains the regions it inherits, once their pages are checked
# (jit.h "Chained regions"): grow.c twice chains about twice as often as once. (Before
# Dec 7 the second process chained nothing: 1.4 M exits went through the run loop.)
c1=$(timeout 120 $NODE "$JS" run --jit on --stats --root / -- "$tmp/grow" 2>&1 >/dev/null | sed -nE 's/.* ([0-9]+) jit chained.*/\1/p')
c2=$(timeout 120 $NODE "$JS" run --jit on --stats --root / -- /bin/sh -c "$tmp/grow >/dev/null; $tmp/grow" 2>&1 >/dev/null |
  sed -nE 's/.* ([0-9]+) jit chained.*/\1/p')
if [ "${c1:-0}" -gt 100000 ] && [ "${c2:-0}" -gt $((c1 * 3 / 2)) ]; then
  ok "reuse: the next process of grow.c chains its inherited regions ($c1 chained exits in one run, $c2 in two)"
else
  bad "reuse: the next process of grow.c chains its inherited regions (${c1:-?} chained exits in one run, ${c2:-?} in two)"
fi
for k in 1111 2222; do
  printf '#include <stdio.h>\nint main(void) { volatile int x = %s; printf("%%d\\n", x * 3); return 0; }\n' $k > "$tmp/k$k.c"
  gcc -O2 -o "$tmp/k$k" "$tmp/k$k.c"
done
rewrite="cp $tmp/k1111 $tmp/kp && touch -d '2020-01-02 03:04:05' $tmp/kp && $tmp/kp && $tmp/kp && cat $tmp/k2222 > $tmp/kp && touch -d '2020-01-02 03:04:05' $tmp/kp && $tmp/kp"
if [ "$(stat -c %s "$tmp/k1111")" = "$(stat -c %s "$tmp/k2222")" ]; then
  for mode in always on; do
    out=$(timeout 120 $NODE "$JS" run --jit $mode --stats --root / -- /bin/sh -c "$rewrite" 2>"$tmp/rewrite.err" | tr '\n' ' ')
    rejected=$(sed -nE 's/.* ([0-9]+) code pages rejected.*/\1/p' "$tmp/rewrite.err")
    if [ "$out" = "3333 3333 6666 " ] && [ "${rejected:-0}" -ge 1 ]; then
      ok "reuse: a program rewritten in place (same size, inode and mtime) runs its new code, --jit $mode"
    else
      bad "reuse: a program rewritten in place, --jit $mode: printed '$out', ${rejected:-?} pages rejected"
    fi
  done
fi

# 3. the guest corpus and the syscall programs, every block compiled (always); then the
#    same in mode grow: regions compiled after 64 runs, in the middle of the programs'
#    loops, and grown after 64 exits (the modes where the stale-code bug of Dec 6 hid)
summary() { grep -aE '^([A-Za-z-]+: )?[0-9]+ passed, [0-9]+ failed' "$1" | tail -n 1 | sed -E 's/^([A-Za-z-]+: )?([0-9]+) passed, ([0-9]+) failed.*/\2 \3/'; }
for mode in always grow; do
  flags="--jit $(jit_args $mode)"
  # (word splitting of $flags is wanted: it is the mode's flags)
  # shellcheck disable=SC2086
  GUEST_VARIANTS=${JIT_GUEST_VARIANTS:-"O2-static O2-dynamic"} \
    tests/guest/run.sh "$NODE $JS run $flags --root / --" > "$tmp/guest.$mode.log" 2>&1
  read -r gp gf <<<"$(summary "$tmp/guest.$mode.log")"
  grep -a "FAIL" "$tmp/guest.$mode.log" | head -10
  if [ -n "${gp:-}" ] && [ "$gf" = 0 ] && [ "$gp" -gt 0 ]; then ok "guest corpus, $flags ($gp cases)"; else bad "guest corpus, $flags (${gp:-?} passed, ${gf:-?} failed)"; fi
  # shellcheck disable=SC2086
  tests/syscall/run.sh / $NODE "$JS" run $flags --root / -- > "$tmp/syscall.$mode.log" 2>&1
  read -r sp sf <<<"$(summary "$tmp/syscall.$mode.log")"
  grep -a "FAIL" "$tmp/syscall.$mode.log" | head -10
  if [ -n "${sp:-}" ] && [ "$sf" = 0 ] && [ "$sp" -gt 0 ]; then ok "syscall programs, $flags ($sp cases)"; else bad "syscall programs, $flags (${sp:-?} passed, ${sf:-?} failed)"; fi
done

# 4. gcc in the image, every block compiled
IMAGE=${GLASSBOX_IMAGE_DIR:-$ROOT/build/image}/manifest.json
if [ -f "$IMAGE" ]; then
  GLASSBOX_JIT=always MULTI_ONLY=gcc-hello tests/programs/multi.sh "" $NODE "$JS" run --image "$IMAGE" --overlay @OVERLAY@ \
    --env TERM=dumb --env HOME=/root -- > "$tmp/multi.log" 2>&1
  read -r mp mf <<<"$(summary "$tmp/multi.log")"
  grep -a "^FAIL" -A4 "$tmp/multi.log" | head -10
  if [ "${mp:-0}" = 1 ] && [ "$mf" = 0 ]; then ok "gcc hello in the image, --jit always"; else bad "gcc hello in the image, --jit always"; fi
fi

# 5. the host's memory (tools/cli/node_host.c): the node CLI's linear memory gets
#    transparent huge pages where the kernel offers them ("madvise" or "always"), the
#    guest's output is the same with and without, and GLASSBOX_HOST_TUNING=0 turns it off.
#    While the guest sleeps, the node process's own smaps must show huge pages, unless
#    the kernel had none free (its thp_fault_fallback counter grew).
thp=$(cat /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null || true)
if [ ! -f "$(dirname "$JS")/glassbox_host.node" ]; then
  bad "host tuning: $(dirname "$JS")/glassbox_host.node was not built"
else
  out_on=$($NODE "$JS" run --stats --root / -- /bin/echo tuned 2>"$tmp/host.on")
  out_off=$(GLASSBOX_HOST_TUNING=0 $NODE "$JS" run --stats --root / -- /bin/echo tuned 2>"$tmp/host.off")
  case "$thp" in *"[never]"*|"") want="(4 KiB pages)" ;; *) want="(huge pages)" ;; esac
  if [ "$out_on" = tuned ] && [ "$out_off" = tuned ] && grep -qF "linear memory $want" "$tmp/host.on" &&
     grep -qF "linear memory (4 KiB pages)" "$tmp/host.off"; then
    ok "host tuning: --stats says $want, and 4 KiB pages with GLASSBOX_HOST_TUNING=0"
  else
    bad "host tuning: stats ($(grep -o 'linear memory[^,]*' "$tmp/host.on" "$tmp/host.off" | tr '\n' ' '), output '$out_on' '$out_off')"
  fi
  # without the addon (a host with no C compiler or node headers) the CLI runs as before
  mkdir -p "$tmp/noaddon" && cp "$JS" "${JS%.js}.wasm" "$tmp/noaddon/"
  out_none=$($NODE "$tmp/noaddon/$(basename "$JS")" run --stats --root / -- /bin/echo tuned 2>"$tmp/host.none")
  if [ "$out_none" = tuned ] && grep -qF "linear memory (4 KiB pages)" "$tmp/host.none"; then ok "host tuning: without the addon the CLI runs on 4 KiB pages"
  else bad "host tuning: without the addon: '$out_none' $(grep -o 'linear memory[^,]*' "$tmp/host.none")"; fi
  if [ "$want" = "(huge pages)" ]; then
    fb0=$(awk '/^thp_fault_fallback /{print $2}' /proc/vmstat)
    # a guest that touches 64 MiB and then sleeps: python3 is not on every host, dd is.
    # Polled (a loaded machine may take seconds to start node), ended once seen.
    $NODE "$JS" run --root / -- /bin/sh -c 'dd if=/dev/zero of=/dev/null bs=64M count=1 2>/dev/null; sleep 60' &
    pid=$!
    huge=0
    for _ in $(seq 1 150); do
      sleep 0.2
      kill -0 "$pid" 2>/dev/null || break
      huge=$(awk '/^AnonHugePages:/{print $2}' "/proc/$pid/smaps_rollup" 2>/dev/null || echo 0)
      [ "${huge:-0}" -gt 0 ] && break
    done
    kill "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    fb1=$(awk '/^thp_fault_fallback /{print $2}' /proc/vmstat)
    if [ "${huge:-0}" -gt 0 ]; then ok "host tuning: the engine's memory is on huge pages (${huge} KiB)"
    elif [ "${fb1:-0}" != "${fb0:-0}" ]; then ok "host tuning: huge pages advised, the kernel had none free (thp_fault_fallback grew)"
    else bad "host tuning: no huge pages under the engine's memory (AnonHugePages ${huge:-?} KiB)"; fi
  fi
fi

# 6. the engine code cache (tools/cli/node_code_cache.{cc,js}): V8's code for the engine's
#    module, kept from one run to the next. Each case checks the guest's output (the cache
#    must never change what the guest does) and what --stats says of the cache.
if [ ! -f "$(dirname "$JS")/glassbox_code_cache.node" ]; then
  bad "code cache: $(dirname "$JS")/glassbox_code_cache.node was not built"
else
  # The guest: a static loop of ~80 M instructions, long enough (~0.5 s interpreted) for V8
  # to recompile some of the engine with TurboFan, which is what a cache holds (V8
  # serializes nothing before that). Its root is a directory of its own: a guest root that
  # holds the cache directory (as `--root /` does) turns the cache off (the last case).
  ccroot="$tmp/ccroot"
  mkdir -p "$ccroot/proc" "$ccroot/dev/shm"
  printf '%s\n' '#include <stdio.h>' \
    'int main(void) { volatile unsigned x = 0; for (unsigned i = 0; i < 20000000; i++) x += i * i; puts("cached"); return 0; }' |
    gcc -static -O2 -x c - -o "$ccroot/spin"
  cc_run() {  # cc_run DIR LOG [ENV...]: one guest run with the cache in DIR; prints its output
    local dir=$1 log=$2; shift 2
    env GLASSBOX_CACHE="$dir" "$@" $NODE "$JS" run --stats --jit off --root "$ccroot" -- /spin 2>"$log"
  }
  cc_state() { grep -o 'engine code cache [^,]*' "$1" | head -1; }
  # the file's check, as node_code_cache.js makes it: magic, hash of the rest, the rest
  cc_tool() {  # cc_tool check|damage|garbage FILE
    $NODE -e '
      const fs = require("fs"), a = require(process.argv[1]);
      const [mode, file] = process.argv.slice(2), raw = fs.readFileSync(file), body = Buffer.from(raw.subarray(24));
      if (mode === "check") process.exit(raw.toString("latin1", 0, 8) === "GBCODE01" && raw.toString("latin1", 8, 24) === a.hash(body) ? 0 : 1);
      if (mode === "damage") { for (let i = body.length >> 2; i < body.length; i += 97) body[i] ^= 0x5a; fs.writeFileSync(file, Buffer.concat([raw.subarray(0, 24), body])); }
      if (mode === "garbage") { body.fill(7); fs.writeFileSync(file, Buffer.concat([Buffer.from("GBCODE01" + a.hash(body), "latin1"), body])); }
    ' "$(dirname "$JS")/glassbox_code_cache.node" "$@"
  }
  d="$tmp/codecache"
  o1=$(cc_run "$d" "$tmp/cc.1"); f=$(ls "$d"/engine-code/engine-*.v8code 2>/dev/null | head -1)
  o2=$(cc_run "$d" "$tmp/cc.2")
  if [ "$o1" = cached ] && [ "$o2" = cached ] && [ -n "$f" ] && cc_tool check "$f" &&
     [ "$(cc_state "$tmp/cc.1")" = "engine code cache none yet" ] && cc_state "$tmp/cc.2" | grep -q "KiB loaded$"; then
    ok "code cache: a first run writes $(basename "$f"), the next loads it ($(cc_state "$tmp/cc.2" | sed 's/engine code cache //'))"
  else
    bad "code cache: first and second run: '$o1' '$o2', $(cc_state "$tmp/cc.1") / $(cc_state "$tmp/cc.2"), file '${f:-none}'"
  fi
  # a node given options of its own (here a V8 heap flag, as `node --cpu-prof` or
  # NODE_OPTIONS would be) keeps a file of its own: before, V8 refused the plain runs'
  # file under the other flags and the run then wrote its smaller cache over it
  # (regression: a profiling run on Dec 7 left a 254 KiB file where 1.2 MB had been)
  if [ -n "$f" ]; then
    cp "$f" "$tmp/cc.before"
    o9=$(env GLASSBOX_CACHE="$d" $NODE --max-semi-space-size=16 "$JS" run --stats --jit off --root "$ccroot" -- /spin 2>"$tmp/cc.9")
    f9=$(ls "$d"/engine-code/engine-*-o*.v8code 2>/dev/null | head -1)
    if [ "$o9" = cached ] && cmp -s "$f" "$tmp/cc.before" && [ -n "$f9" ] && cc_tool check "$f9" &&
       [ "$(cc_state "$tmp/cc.9")" = "engine code cache none yet" ]; then
      ok "code cache: a node with options of its own writes $(basename "$f9"), the plain file untouched"
    else bad "code cache: node options: '$o9', $(cc_state "$tmp/cc.9"), plain file $(cmp -s "$f" "$tmp/cc.before" && echo kept || echo changed), own file '${f9:-none}'"; fi
    rm -f "$f9"
  fi
  # a run that makes no new TurboFan code does not serialize the module at exit (V8's
  # caching callback says when it does: addon.new_code()); GB_JIT_DEBUG says which it did
  d4="$tmp/codecache4"; seen=""; quiet=""
  for i in 1 2 3 4 5 6; do
    o=$(cc_run "$d4" "$tmp/cc.q$i" GB_JIT_DEBUG=1)
    [ "$o" = cached ] || { seen="$seen output '$o';"; break; }
    seen="$seen $(grep -o 'code cache: [a-z].*' "$tmp/cc.q$i" | sed 's/ in [0-9]* ms//; s/[0-9]* KiB/N KiB/g');"
    if grep -q 'code cache: no new TurboFan code since [0-9]* KiB were loaded: not serialized' "$tmp/cc.q$i"; then quiet=$i; break; fi
  done
  if [ -n "$quiet" ] && [ "$quiet" -ge 2 ] && grep -q 'code cache: serialized [0-9]* KiB in [0-9]* ms: written' "$tmp/cc.q1" &&
     f4=$(ls "$d4"/engine-code/engine-*.v8code) && cc_tool check "$f4"; then
    ok "code cache: run $quiet made no new TurboFan code and did not serialize (first run: written)"
  else bad "code cache: runs without new code still serialize:$seen"; fi
  if [ -n "$f" ]; then
    # damaged on disk: not offered to V8 (which would trust it), written again at exit
    cc_tool damage "$f"
    o3=$(cc_run "$d" "$tmp/cc.3")
    if [ "$o3" = cached ] && [ "$(cc_state "$tmp/cc.3")" = "engine code cache damaged (not offered to V8)" ] && cc_tool check "$f"; then
      ok "code cache: a damaged file is ignored and written again"
    else bad "code cache: damaged file: '$o3', $(cc_state "$tmp/cc.3")"; fi
    # bytes that pass our check but are not V8's: V8 refuses them and compiles the module
    cc_tool garbage "$f"
    o4=$(cc_run "$d" "$tmp/cc.4")
    o5=$(cc_run "$d" "$tmp/cc.5")
    if [ "$o4" = cached ] && cc_state "$tmp/cc.4" | grep -q "refused by V8" && cc_state "$tmp/cc.5" | grep -q "KiB loaded$"; then
      ok "code cache: bytes V8 refuses are compiled past and replaced"
    else bad "code cache: refused bytes: '$o4', $(cc_state "$tmp/cc.4") / $(cc_state "$tmp/cc.5")"; fi
  fi
  # a directory that cannot be made (its parent is a file): the run is unaffected
  : > "$tmp/notadir"
  o6=$(cc_run "$tmp/notadir/cache" "$tmp/cc.6")
  if [ "$o6" = cached ] && [ "$(cc_state "$tmp/cc.6")" = "engine code cache none yet" ] && [ ! -s "$tmp/notadir" ]; then
    ok "code cache: a cache directory that cannot be made costs nothing"
  else bad "code cache: unmakeable directory: '$o6', $(cc_state "$tmp/cc.6")"; fi
  # four runs at once on an empty cache: all run, one whole file is left, no temporaries
  d2="$tmp/codecache2"; pids=""
  for i in 1 2 3 4; do cc_run "$d2" "$tmp/cc.p$i" > "$tmp/cc.p$i.out" & pids="$pids $!"; done
  wait $pids
  f2=$(ls "$d2"/engine-code/engine-*.v8code 2>/dev/null | head -1)
  if [ "$(cat "$tmp"/cc.p[1-4].out | sort -u)" = cached ] && [ "$(ls "$d2/engine-code" | wc -l)" = 1 ] && [ -n "$f2" ] && cc_tool check "$f2"; then
    ok "code cache: four runs at once leave one whole file"
  else bad "code cache: four at once: $(cat "$tmp"/cc.p[1-4].out | tr '\n' ' '), files: $(ls "$d2/engine-code" | tr '\n' ' ')"; fi
  # a guest root that holds the cache directory (the guest could write code the next run
  # would execute): no cache, and the guest's own writes there are only files
  o8=$(GLASSBOX_CACHE="$ccroot/cache" $NODE "$JS" run --stats --jit off --root "$ccroot" -- /spin 2>"$tmp/cc.8")
  if [ "$o8" = cached ] && cc_state "$tmp/cc.8" | grep -q "off (the cache directory is inside the guest root" && [ ! -e "$ccroot/cache" ]; then
    ok "code cache: off when the guest root holds the cache directory"
  else bad "code cache: guest root holding the cache: '$o8', $(cc_state "$tmp/cc.8")"; fi
  d3="$tmp/codecache3"
  o7=$(cc_run "$d3" "$tmp/cc.7" GLASSBOX_CODE_CACHE=0)
  if [ "$o7" = cached ] && [ ! -e "$d3" ] && cc_state "$tmp/cc.7" | grep -q "off (GLASSBOX_CODE_CACHE=0)"; then
    ok "code cache: GLASSBOX_CODE_CACHE=0 neither reads nor writes"
  else bad "code cache: GLASSBOX_CODE_CACHE=0: '$o7', $(cc_state "$tmp/cc.7"), $(ls "$d3" 2>&1)"; fi
fi

echo "$P passed, $F failed"
[ "$F" = 0 ]
