#!/usr/bin/env bash
# tests/strace/gdb.sh — gdb in batch mode inside the machine (ptrace, /proc/PID/mem and
# task/, int3 breakpoints, single-step, registers) against the same gdb on the host.
#
#   tests/strace/gdb.sh [GLASSBOX...]     default: build/glassbox (or "node … glassbox.js")
#
# The host is Debian 12 like the image, so the engine runs the host's gdb with --root /
# (the default image has no gdb: docs/ptrace.md); programs are built by the host gcc with
# -g -O0 in a temp dir. Transcripts must match after masking pids and stack addresses.
# Watchpoints: this host's CPU (a VM) never fires hardware watchpoints, so the `watch`
# case checks the engine against the transcript gdb prints on hardware that does.
# The last line is "gdb: N passed, N failed".
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
if [ $# -gt 0 ]; then read -r -a ENGINE <<<"$*"; else ENGINE=("$top/build/glassbox"); fi
if ! command -v gdb >/dev/null; then echo "gdb: no gdb on the host"; echo "gdb: 0 passed, 1 failed"; exit 1; fi
tmp=$(mktemp -d /tmp/gbgdb.XXXXXX); trap 'rm -rf "$tmp"' EXIT
pass=0; fail=0

cat > "$tmp/hello.c" <<'EOF'
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
cat > "$tmp/segv.c" <<'EOF'
#include <stdio.h>
int *ptr;
int main(void) {
  int a = 1;
  printf("before\n");
  *ptr = a;
  return 0;
}
EOF
cat > "$tmp/count.c" <<'EOF'
#include <stdio.h>
int counter = 1;
int main(void) {
  for (int i = 0; i < 3; i++) counter += 10;
  printf("counter %d\n", counter);
  return 0;
}
EOF
for p in hello segv count; do (cd "$tmp" && gcc -g -O0 -o "$p" "$p.c") || { echo "gdb: cannot compile $p"; exit 1; }; done

mask() { sed -E 's/process [0-9]+/process PID/; s/(argv(@entry)?=)0x[0-9a-f]+/\1ADDR/g'; }

# gdb_case NAME PROGRAM GDB-ARGS...: the host's transcript vs the engine's.
gdb_case() {
  local name=$1 prog=$2; shift 2
  (cd "$tmp" && env -i PATH=/usr/bin:/bin HOME=/root TERM=dumb LANG=C.UTF-8 gdb -nx -batch "$@" "./$prog" </dev/null 2>&1) | mask >"$tmp/$name.native"
  local start=$SECONDS
  timeout 600 "${ENGINE[@]}" run --root / --cwd "$tmp" --env PATH=/usr/bin:/bin --env HOME=/root --env TERM=dumb \
    --env LANG=C.UTF-8 -- /usr/bin/gdb -nx -batch "$@" "./$prog" </dev/null 2>&1 | grep -v '^glassbox: ' | mask >"$tmp/$name.engine"
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

# watch: the engine against gdb's transcript on hardware with working debug registers.
timeout 600 "${ENGINE[@]}" run --root / --cwd "$tmp" --env PATH=/usr/bin:/bin --env HOME=/root --env TERM=dumb -- \
  /usr/bin/gdb -nx -batch -ex 'break main' -ex run -ex 'watch counter' -ex continue -ex continue -ex delete -ex continue \
  ./count </dev/null 2>&1 | grep -v '^glassbox: ' | mask | grep -v 'libthread_db' >"$tmp/watch.engine"
cat > "$tmp/watch.want" <<'EOF'
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
