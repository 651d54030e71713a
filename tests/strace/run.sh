#!/usr/bin/env bash
# tests/strace/run.sh — the image's real strace inside the machine (ptrace, vm/linux/ptrace.cpp)
# against the same strace natively in a chroot of the image, outputs compared after masking
# (tests/strace/mask.sed: addresses, pids, times, random bytes and names, vDSO calls, rseq).
#
#   tests/strace/run.sh [ROOT [GLASSBOX]]
#
#   ROOT      the image's rootfs (default: `tools/mkimage/mkimage plan images/default --print-root`)
#   GLASSBOX  the engine binary (default build/glassbox), or "node … glassbox.js"; it boots
#             build/image/manifest.json (GLASSBOX_IMAGE_DIR) with a throwaway overlay.
#
# Cases: `strace PROG` on static syscall-suite programs (t_pipe, t_signal) (compiled by the host gcc, put into
# the overlay at /var/tmp/gbstrace; natively bound there), `strace -f -ff` on `gcc hello.c`, on `make` and on a
# program with two threads
# (one output file per process, printed in pid order: no interleaving to compare; small
# anonymous mmaps dropped: ld.so's allocator sizes follow the CPU's glibc-hwcaps level), and
# `strace -c` on a python one-liner (call and error counts per syscall; times dropped, and
# brk: with the host's ASLR the heap's alignment varies the number of brk calls).
# Needs root (chroot, mount namespace). The last line is "strace: N passed, N failed".
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
ROOT=${1:-$("$top/tools/mkimage/mkimage" plan "$top/images/default" --print-root 2>/dev/null)}
shift || true
if [ $# -gt 0 ]; then read -r -a BASECMD <<<"$*"; else BASECMD=("$top/build/glassbox"); fi
IMAGE=${GLASSBOX_IMAGE_DIR:-$top/build/image}/manifest.json
TOOL=$("$top/tests/storage/storage_tool.sh")
if [ -z "$ROOT" ] || [ ! -x "$ROOT/usr/bin/strace" ] || [ ! -f "$IMAGE" ] || [ ! -x "$TOOL" ]; then
  echo "strace: needs the default image with strace ($ROOT, $IMAGE) and $TOOL"; echo "strace: 0 passed, 1 failed"; exit 1
fi
tmp=$(mktemp -d /tmp/gbstrace-test.XXXXXX)
[ -n "${STRACE_KEEP:-}" ] && echo "strace: keeping $tmp" || trap 'rm -rf "$tmp"' EXIT
pass=0; fail=0

progs=(t_pipe t_signal)  # (t_task, t_ptrace: where the host's parallel children land among the calls is timing)
mkdir -p "$tmp/gbstrace"
for t in "${progs[@]}"; do
  gcc -static -O1 -g0 -Wall -Wno-unused-result -I"$top/tests/syscall" -o "$tmp/gbstrace/$t" "$top/tests/syscall/$t.c" \
    || { echo "FAIL compile $t"; fail=$((fail + 1)); }
done
printf '#include <stdio.h>\nint main(void) { puts("hello"); return 0; }\n' > "$tmp/gbstrace/hello.c"
# two threads, one after the other (their order is then the same on both sides)
cat > "$tmp/gbstrace/threads.c" <<'EOF'
#include <pthread.h>
#include <unistd.h>
static void *work(void *a) { write(1, a, 9); return 0; }
int main(void) {
  pthread_t t;
  pthread_create(&t, 0, work, "thread 1\n"); pthread_join(t, 0);
  pthread_create(&t, 0, work, "thread 2\n"); pthread_join(t, 0);
  write(1, "main end\n", 9);
  return 0;
}
EOF
gcc -static -O1 -pthread -o "$tmp/gbstrace/threads" "$tmp/gbstrace/threads.c" || { echo "FAIL compile threads"; fail=$((fail + 1)); }
printf 'hello: hello.o\n\tgcc -o hello hello.o\nhello.o: hello.c\n\tgcc -c hello.c\n' > "$tmp/gbstrace/Makefile"
"$TOOL" put "$IMAGE" /var/tmp "$tmp/gbstrace" --overlay "$tmp/base.overlay" >"$tmp/put.log" 2>&1 \
  || { echo "strace: cannot put the programs into an overlay"; cat "$tmp/put.log"; echo "strace: 0 passed, 1 failed"; exit 1; }

GUEST_ENV=(PATH=/usr/local/bin:/usr/bin:/bin HOME=/root LANG=C.UTF-8 TERM=dumb PYTHONDONTWRITEBYTECODE=1)
envargs=(); for kv in "${GUEST_ENV[@]}"; do envargs+=(--env "$kv"); done

# clean_exec CMD...: CMD with SIGPIPE, SIGXFSZ, SIGHUP, SIGINT and SIGQUIT at their default
# actions and fds 0-2 only. (SIGHUP: under nohup the native side inherited it ignored while
# the engine's `timeout` wrapper handled it, which exec resets: gcc's rt_sigaction(SIGHUP)
# differed. SIGINT and SIGQUIT likewise when the suite runs in the background, `cmd &`,
# which starts them ignored: gcc's and python's first rt_sigaction(SIGINT) differed.)
clean_exec() {
  python3 -c 'import os, signal, sys
for s in (signal.SIGPIPE, signal.SIGXFSZ, signal.SIGHUP, signal.SIGINT, signal.SIGQUIT): signal.signal(s, signal.SIG_DFL)
os.closerange(3, 65536); os.execvp(sys.argv[1], sys.argv[1:])' "$@"
}

# run_case NAME SCRIPT [FILTER]: the script's stdout natively and in the engine, masked
# (and passed through FILTER, a sed -E script, if given), must be equal.
run_case() {
  local name=$1 script=$2 filter=${3:-}
  # Both sides start as a shell would start them: SIGPIPE and SIGXFSZ at their default
  # actions (python, used here to close the fds above 2 the caller may have left open,
  # ignores both and exec keeps them ignored; the engine's CLIs pass their caller's
  # ignored signals on to the guest, as execve does), and fds 0-2 only.
  clean_exec env -i "${GUEST_ENV[@]}" \
    "$top/tests/lib/chroot-overlay.sh" "$ROOT" --bind "$tmp/gbstrace:/var/tmp/gbstrace" -- \
    /bin/bash -c "$script" >"$tmp/$name.native.raw" 2>"$tmp/$name.native.err" </dev/null
  local nst=$?
  cp "$tmp/base.overlay" "$tmp/$name.overlay"
  local start=$SECONDS
  clean_exec timeout 600 "${BASECMD[@]}" run --image "$IMAGE" --overlay "$tmp/$name.overlay" "${envargs[@]}" -- /bin/bash -c "$script" \
    >"$tmp/$name.engine.raw" 2>"$tmp/$name.engine.err" </dev/null
  local est=$?
  rm -f "$tmp/$name.overlay"
  for side in native engine; do
    sed -E -f "$here/mask.sed" "$tmp/$name.$side.raw" | { if [ -n "$filter" ]; then sed -E "$filter"; else cat; fi; } >"$tmp/$name.$side"
  done
  if [ $nst = $est ] && [ -s "$tmp/$name.native" ] && cmp -s "$tmp/$name.native" "$tmp/$name.engine"; then
    pass=$((pass + 1)); echo "ok   $name ($(wc -l <"$tmp/$name.native") lines, $((SECONDS - start)) s)"
  else
    fail=$((fail + 1)); echo "FAIL $name (status native $nst, engine $est)"
    diff "$tmp/$name.native" "$tmp/$name.engine" | head -20
    grep -v "^glassbox: unimplemented" "$tmp/$name.engine.err" | head -5
  fi
}

for t in "${progs[@]}"; do
  run_case "strace-$t" "cd /tmp && strace /var/tmp/gbstrace/$t 2>&1 >/dev/null"
done
# -f on gcc: cc1, as, collect2 and ld under vfork + execve; one file per process.
run_case strace-f-gcc 'ulimit -n 1024 && cd /tmp && cp /var/tmp/gbstrace/hello.c . && strace -f -ff -o /tmp/tr gcc -o hello hello.c &&
  for f in $(ls /tmp/tr.* | sort -t. -k2 -n); do echo "== process"; cat "$f"; done && ./hello' \
  '/^mmap\(NULL, [0-9]+, PROT_READ\|PROT_WRITE, MAP_PRIVATE\|MAP_ANONYMOUS, -1, 0\)/d; s/^sysinfo\(.*/sysinfo(...)/'
# -f on a threaded program: one file per thread, in tid order.
run_case strace-f-threads 'cd /tmp && strace -f -ff -e trace=write,exit,exit_group -o /tmp/th /var/tmp/gbstrace/threads >/dev/null &&
  for f in $(ls /tmp/th.* | sort -t. -k2 -n); do echo "== thread"; cat "$f"; done'
# -f on make: make, its two gcc drivers and what they run (process calls only).
run_case strace-f-make 'ulimit -n 1024 && mkdir /tmp/mk && cd /tmp/mk && cp /var/tmp/gbstrace/hello.c /var/tmp/gbstrace/Makefile . &&
  strace -f -ff -e trace=execve,vfork,clone,clone3,wait4,exit_group -o /tmp/mk.tr make -s &&
  for f in $(ls /tmp/mk.tr.* | sort -t. -k2 -n); do echo "== process"; cat "$f"; done && ./hello'
# -c: the table without its time columns.
# (PYTHONPYCACHEPREFIX: an empty cache, so both sides read the same sources: whether a
# .pyc in the rootfs or the image is current depends on what ran there before.)
run_case strace-c-python 'PYTHONPYCACHEPREFIX=/tmp/nopyc strace -c -o /tmp/c.txt python3 -c "print(sum(range(100)))" &&
  awk '"'"'$1 ~ /^[0-9.]+$/ && NF >= 5 && $NF !~ /^(total|brk|rseq|clock_gettime|clock_getres|gettimeofday|time|getcpu)$/ {
    print $NF, $4, (NF == 6 ? $5 : 0) }'"'"' /tmp/c.txt | sort'

echo "strace: $pass passed, $fail failed"
[ $fail = 0 ]
