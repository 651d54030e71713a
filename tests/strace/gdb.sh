#!/usr/bin/env bash
# tests/strace/gdb.sh — the image's gdb in batch mode inside the machine (ptrace,
# /proc/PID/mem and task/, int3 breakpoints, single-step, registers, threads) against the
# same gdb natively in a chroot of the image.
#
#   tests/strace/gdb.sh [ROOT [GLASSBOX...]]
#
#   ROOT      the image's rootfs (default: `tools/mkimage/mkimage plan images/default --print-root`)
#   GLASSBOX  the engine (default build/glassbox), or "node … glassbox.js"; it boots
#             build/image/manifest.json (GLASSBOX_IMAGE_DIR) with a throwaway overlay.
#
# Programs are built by the host gcc (Debian 12, as the image) with -g -O0, put into the
# overlay at /var/tmp/gbgdb (natively bound there). Transcripts must match after masking
# pids, thread ids and addresses that depend on the stack or on thread stacks.
# Watchpoints: this host's CPU (a VM) never fires hardware watchpoints, so the `watch`
# case checks the engine against the transcript gdb prints on hardware that does.
# Needs root (chroot). The last line is "gdb: N passed, N failed".
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
ROOT=${1:-$("$top/tools/mkimage/mkimage" plan "$top/images/default" --print-root 2>/dev/null)}
shift || true
if [ $# -gt 0 ]; then read -r -a ENGINE <<<"$*"; else ENGINE=("$top/build/glassbox"); fi
IMAGE=${GLASSBOX_IMAGE_DIR:-$top/build/image}/manifest.json
TOOL=$("$top/tests/storage/storage_tool.sh")
if [ -z "$ROOT" ] || [ ! -x "$ROOT/usr/bin/gdb" ] || [ ! -f "$IMAGE" ] || [ ! -x "$TOOL" ]; then
  echo "gdb: needs the default image with gdb ($ROOT, $IMAGE) and $TOOL"; echo "gdb: 0 passed, 1 failed"; exit 1
fi
tmp=$(mktemp -d /tmp/gbgdb.XXXXXX)
[ -n "${GDB_KEEP:-}" ] && echo "gdb: keeping $tmp" || trap 'rm -rf "$tmp"' EXIT
pass=0; fail=0
src=$tmp/gbgdb; mkdir -p "$src"

cat > "$src/hello.c" <<'EOF'
#include <stdio.h>
struct point { int x, y; };
int square(int v) { int r = v * v; return r; }
int main(void) {
  struct point p = {3, 4};
  int s = square(p.x) + square(p.y);
  printf("hello %d\n", s);
  return 0;
}
EOF
cat > "$src/segv.c" <<'EOF'
#include <stdio.h>
int *ptr;
int main(void) {
  int a = 1;
  printf("before\n");
  *ptr = a;
  return 0;
}
EOF
cat > "$src/count.c" <<'EOF'
#include <stdio.h>
int counter = 1;
int main(void) {
  for (int i = 0; i < 3; i++) counter += 10;
  printf("counter %d\n", counter);
  return 0;
}
EOF
cat > "$src/threads.c" <<'EOF'
#include <pthread.h>
#include <stdio.h>
static pthread_barrier_t b;
static void *work(void *a) { pthread_barrier_wait(&b); pthread_barrier_wait(&b); return a; }
void stop_here(void) {}
int main(void) {
  pthread_t t[2];
  pthread_barrier_init(&b, 0, 3);
  for (int i = 0; i < 2; i++) pthread_create(&t[i], 0, work, 0);
  pthread_barrier_wait(&b);
  stop_here();
  pthread_barrier_wait(&b);
  for (int i = 0; i < 2; i++) pthread_join(t[i], 0);
  puts("done");
  return 0;
}
EOF
for p in hello segv count threads; do (cd "$src" && gcc -g -O0 -pthread -o "$p" "$p.c") || { echo "gdb: cannot compile $p"; exit 1; }; done
"$TOOL" put "$IMAGE" /var/tmp "$src" --overlay "$tmp/base.overlay" >"$tmp/put.log" 2>&1 \
  || { echo "gdb: cannot put the programs into an overlay"; cat "$tmp/put.log"; echo "gdb: 0 passed, 1 failed"; exit 1; }

# Masked: pids and thread ids; argv and thread-stack addresses (ASLR natively, a fixed
# layout in the engine); the "Target Id" column's padding, which follows their width;
# code addresses inside shared libraries (natively the vDSO sits above them, and the
# engine has none, so even with gdb's ASLR off libc loads 40 KiB higher in the engine).
# Thread exits are dropped: whether gdb reports one before or after the program's
# buffered output reaches the pipe is timing.
# (A worker thread's caller frame in gdb-threads: `work` returns from its first or its second
# pthread_barrier_wait, both on line 4, as the host's scheduler decides: its pc is masked.)
mask() {
  sed -E 's/process [0-9]+/process PID/; s/LWP [0-9]+/LWP N/g; s/(argv(@entry)?=)0x[0-9a-f]+/\1ADDR/g;
          s/^(#[1-9][0-9]* +)0x[0-9a-f]+ in work /\1ADDR in work /;
          s/Thread 0x[0-9a-f]+/Thread ADDR/g; s/0x00007fff[0-9a-f]{8} in /LIBADDR in /g; s/  +/ /g' | grep -v -E '^\[Thread ADDR \(LWP N\) exited\]$'
}
# Both sides start as a shell would start them (SIGPIPE, SIGXFSZ at their defaults; fds 0-2).
clean_exec() {
  python3 -c 'import os, signal, sys
for s in (signal.SIGPIPE, signal.SIGXFSZ, signal.SIGHUP): signal.signal(s, signal.SIG_DFL)
os.closerange(3, 65536); os.execvp(sys.argv[1], sys.argv[1:])' "$@"
}
GUEST_ENV=(PATH=/usr/bin:/bin HOME=/root TERM=dumb LANG=C.UTF-8)
envargs=(); for kv in "${GUEST_ENV[@]}"; do envargs+=(--env "$kv"); done

# engine_gdb PROGRAM GDB-ARGS...: the image's gdb in the engine, its transcript on stdout.
engine_gdb() {
  local prog=$1; shift
  cp "$tmp/base.overlay" "$tmp/run.overlay"
  clean_exec timeout 600 "${ENGINE[@]}" run --image "$IMAGE" --overlay "$tmp/run.overlay" --cwd /var/tmp/gbgdb "${envargs[@]}" -- \
    /usr/bin/gdb -nx -batch "$@" "./$prog" </dev/null 2>&1 | grep -v '^glassbox: '
  rm -f "$tmp/run.overlay"
}

# gdb_case NAME PROGRAM GDB-ARGS...: the transcript in a chroot of the image vs the engine's.
gdb_case() {
  local name=$1 prog=$2; shift 2
  local cmd; cmd="cd /var/tmp/gbgdb && exec gdb -nx -batch $(printf '%q ' "$@") ./$prog"
  clean_exec env -i "${GUEST_ENV[@]}" "$top/tests/lib/chroot-overlay.sh" "$ROOT" --bind "$src:/var/tmp/gbgdb" -- \
    /bin/sh -c "$cmd" </dev/null 2>&1 | mask >"$tmp/$name.native"
  local start=$SECONDS
  engine_gdb "$prog" "$@" | mask >"$tmp/$name.engine"
  if [ -s "$tmp/$name.native" ] && cmp -s "$tmp/$name.native" "$tmp/$name.engine"; then
    pass=$((pass + 1)); echo "ok   $name ($(wc -l <"$tmp/$name.native") lines, $((SECONDS - start)) s)"
  else
    fail=$((fail + 1)); echo "FAIL $name"; diff "$tmp/$name.native" "$tmp/$name.engine" | head -20
  fi
}

gdb_case gdb-break-main hello -ex 'break main' -ex run -ex bt -ex 'info registers rip' -ex continue
gdb_case gdb-step-print hello -ex 'break square' -ex run -ex next -ex 'print v' -ex 'print r' -ex finish \
  -ex 'print p' -ex 'print p.x + p.y' -ex 'x/4i $pc' -ex continue -ex step -ex bt -ex 'info frame' -ex continue -ex continue
gdb_case gdb-segv segv -ex run -ex bt -ex 'print ptr' -ex 'info registers rip'
gdb_case gdb-threads threads -ex 'break stop_here' -ex run -ex 'info threads' -ex 'thread 2' -ex bt -ex continue

# watch: the engine against gdb's transcript on hardware with working debug registers.
engine_gdb count -ex 'break main' -ex run -ex 'watch counter' -ex continue -ex continue -ex delete -ex continue |
  mask | grep -v 'libthread_db' >"$tmp/watch.engine"
mask >"$tmp/watch.want" <<'EOF'
Breakpoint 1 at 0x1141: file count.c, line 4.

Breakpoint 1, main () at count.c:4
4	  for (int i = 0; i < 3; i++) counter += 10;
Hardware watchpoint 2: counter

Hardware watchpoint 2: counter

Old value = 1
New value = 11
0x0000555555555159 in main () at count.c:4
4	  for (int i = 0; i < 3; i++) counter += 10;

Hardware watchpoint 2: counter

Old value = 11
New value = 21
0x0000555555555159 in main () at count.c:4
4	  for (int i = 0; i < 3; i++) counter += 10;
counter 31
[Inferior 1 (process PID) exited normally]
EOF
if cmp -s "$tmp/watch.want" "$tmp/watch.engine"; then pass=$((pass + 1)); echo "ok   gdb-watch"; else
  fail=$((fail + 1)); echo "FAIL gdb-watch"; diff "$tmp/watch.want" "$tmp/watch.engine" | head -20; fi
echo "gdb: $pass passed, $fail failed"
[ $fail = 0 ]
