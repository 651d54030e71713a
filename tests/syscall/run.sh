#!/usr/bin/env bash
# tests/syscall/run.sh — syscall programs, native vs engine.
#
#   tests/syscall/run.sh [ROOT [GLASSBOX_CMD...]]
#
#   ROOT          guest root directory (default /: the host is Debian 12 amd64 too).
#                 The programs are compiled by the host gcc (static and dynamic) into
#                 ROOT/tmp and run natively (directly when ROOT is /, else in a chroot)
#                 and under the engine.
#   GLASSBOX_CMD  the engine command up to the program, e.g.
#                   build/glassbox run --root / --
#                   node build-wasm/glassbox.js run --root / --
#                 or just the glassbox executable / glassbox.js (then "run --root ROOT --"
#                 is added). Default: build/glassbox (or build-linux/glassbox).
#
#   tests/syscall/run.sh IMAGE [GLASSBOX_CMD]      (image mode)
#
#   IMAGE         a chunk manifest (…/manifest.json), a raw .ext2 image or an http:// URL:
#                 the engine boots from it (--image) with a throwaway overlay in a temp dir
#                 (the image and the image cache are never written). The programs are put
#                 into the overlay at /var/tmp/gbsyscall.PID by tests/storage/storage_tool
#                 (so they are exec'd from ext2; /tmp stays the guest's own), and the native
#                 side runs in a chroot of a hard-link copy of the image's rootfs
#                 (SYSCALL_IMAGE_ROOT, default: `tools/mkimage/mkimage plan images/default
#                 --print-root`). GLASSBOX_CMD is then only the glassbox executable or
#                 "node … glassbox.js" ("run --image IMAGE --overlay … --" is added). The
#                 containment and bad-ELF checks are about the loader and path resolution,
#                 not the root's file system: they run on a host-directory root as before.
#
# Each program prints only deterministic facts; stdout and the exit status must match.
# The last line is "N passed, N failed".
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
IMAGE=""
case "${1:-}" in
  http://*|*.json|*.ext2) IMAGE=$1; shift ;;
esac
if [ -n "$IMAGE" ]; then
  # ---- image mode: set up ROOT (a private copy of the rootfs) and the engine command ----
  IROOT=${SYSCALL_IMAGE_ROOT:-$("$top/tools/mkimage/mkimage" plan "$top/images/default" --print-root 2>/dev/null)}
  TOOL=$("$top/tests/storage/storage_tool.sh")
  if [ -z "$IROOT" ] || [ ! -x "$IROOT/bin/sh" ] || [ -z "$TOOL" ] || [ ! -x "$TOOL" ]; then
    echo "syscall: image mode needs the image's rootfs ($IROOT) and $TOOL (tests/storage/run.sh builds it)"
    echo "0 passed, 1 failed"; exit 1
  fi
  IWORK=$(mktemp -d /tmp/gbsyscall-image.XXXXXX)
  # a real copy, never hard links: tests chmod/utime/write files, which must not reach the cache
  cp -a --reflink=auto "$IROOT" "$IWORK/root" || { echo "syscall: cannot copy $IROOT"; echo "0 passed, 1 failed"; exit 1; }
  if [ $# -eq 0 ]; then
    for c in "$top/build/glassbox" "$top/build-linux/glassbox"; do [ -x "$c" ] && { set -- "$c"; break; }; done
  fi
  [ $# -eq 1 ] && read -r -a BASECMD <<<"$1" || BASECMD=("$@")
  [ ${#BASECMD[@]} -gt 0 ] || { echo "syscall: no glassbox binary (build first)"; echo "0 passed, 1 failed"; exit 1; }
  set -- "$IWORK/root" "${BASECMD[@]}" run --image "$IMAGE" --overlay "$IWORK/overlay" --
fi
ROOT=${1:-/}
ROOT=${ROOT%/}
[ -z "$ROOT" ] && ROOT=/
shift || true
if [ $# -eq 0 ]; then
  bin=""
  for c in "$top/build/glassbox" "$top/build-linux/glassbox"; do [ -x "$c" ] && { bin=$c; break; }; done
  if [ -z "$bin" ]; then echo "syscall: no glassbox binary (build first)"; echo "0 passed, 1 failed"; exit 1; fi
  set -- "$bin"
fi
if [ $# -eq 1 ]; then
  # a bare command: split it (it may be "node ... glassbox.js")
  read -r -a ENGINE <<<"$1"
else
  ENGINE=("$@")
fi
case " ${ENGINE[*]} " in
  *" run "*) ;;
  *) ENGINE+=(run --root "$ROOT" --) ;;
esac

gdir=/tmp/gbsyscall.$$
[ -n "$IMAGE" ] && gdir=/var/tmp/gbsyscall.$$   # the image's /tmp may be a memory fs
hdir=$ROOT$gdir
[ "$ROOT" = / ] && hdir=$gdir
mkdir -p "$hdir" || { echo "syscall: cannot create $hdir"; echo "0 passed, 1 failed"; exit 1; }
trap 'rm -rf "$hdir"' EXIT
[ -n "$IMAGE" ] && trap 'rm -rf "$hdir" "$IWORK"' EXIT

pass=0; fail=0
ok() { pass=$((pass + 1)); echo "ok   $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; }

CHROOT=$(command -v chroot || echo /usr/sbin/chroot)
# The native chroot gets /proc and /dev like the engine's guest, in a private mount
# namespace when possible (nothing stays mounted afterwards).
USE_NS=0
if [ "$ROOT" != / ] && unshare --mount --fork true 2>/dev/null; then USE_NS=1; fi
native() {  # native GUEST_PATH ARGS...
  if [ "$ROOT" = / ]; then
    env -i PATH=/usr/local/bin:/usr/bin:/bin HOME=/root LANG=C.UTF-8 TERM=dumb "$@"
  elif [ $USE_NS = 1 ]; then
    env -i PATH=/usr/local/bin:/usr/bin:/bin HOME=/root LANG=C.UTF-8 TERM=dumb unshare --mount --fork \
      sh -c 'mount -t proc proc "$1/proc" && mount --rbind /dev "$1/dev" && r=$1 && shift && exec "$0" "$r" "$@"' \
      "$CHROOT" "$ROOT" "$@"
  else
    env -i PATH=/usr/local/bin:/usr/bin:/bin HOME=/root LANG=C.UTF-8 TERM=dumb "$CHROOT" "$ROOT" "$@"
  fi
}

progs=()
for src in "$here"/t_*.c; do
  name=$(basename "$src" .c)
  for kind in static dynamic; do
    flags="-O1 -g0 -Wall -Wno-unused-result"
    [ $kind = static ] && flags="$flags -static"
    if gcc $flags -I"$here" -o "$hdir/$name.$kind" "$src" 2>"$hdir/$name.$kind.cc.log"; then
      progs+=("$name.$kind")
    else
      bad "$name.$kind (compile)"; head -5 "$hdir/$name.$kind.cc.log"
    fi
  done
done

# The libc-free program (initial stack, auxv, raw syscalls).
if gcc -O1 -static -nostdlib -ffreestanding -fno-builtin -fno-stack-protector -mgeneral-regs-only \
      -o "$hdir/f_raw" "$here/f_raw.c" 2>"$hdir/f_raw.cc.log"; then
  progs+=(f_raw)
else
  bad "f_raw (compile)"; head -5 "$hdir/f_raw.cc.log"
fi

if [ -n "$IMAGE" ]; then
  # The programs go into the image through a private overlay (never into the image).
  if ! "$TOOL" put "$IMAGE" "$(dirname "$gdir")" "$hdir" --overlay "$IWORK/overlay" >"$IWORK/put.log" 2>&1; then
    bad "put the programs into the image overlay"; head -5 "$IWORK/put.log"
  fi
fi

for prog in "${progs[@]}"; do
  args=()
  [ "$prog" = f_raw ] && args=(one "two words")
  native "$gdir/$prog" "${args[@]}" >"$hdir/$prog.native" 2>"$hdir/$prog.native.err" </dev/null
  nst=$?
  timeout 300 "${ENGINE[@]}" "$gdir/$prog" "${args[@]}" >"$hdir/$prog.engine" 2>"$hdir/$prog.engine.err" </dev/null
  est=$?
  if [ $nst = $est ] && cmp -s "$hdir/$prog.native" "$hdir/$prog.engine"; then
    ok "$prog"
  else
    bad "$prog (status native $nst, engine $est)"
    diff "$hdir/$prog.native" "$hdir/$prog.engine" | head -20
    grep -v "^glassbox: unimplemented" "$hdir/$prog.engine.err" | head -5
  fi
done

# --strace prints strace-style lines from the trace stream.
if [ -f "$hdir/t_fileio.static" ]; then
  STRACE=()
  for w in "${ENGINE[@]}"; do STRACE+=("$w"); [ "$w" = run ] && STRACE+=(--strace); done
  "${STRACE[@]}" "$gdir/t_fileio.static" >/dev/null 2>"$hdir/strace.err" </dev/null
  want=('openat(AT_FDCWD, "f", O_RDONLY) = -1 ENOENT (No such file or directory)'
        'openat(AT_FDCWD, "f", O_RDWR|O_CREAT|O_EXCL, 0644) = 3'
        'write(3, "hello world\n", 12) = 12'
        'lseek(3, -100, SEEK_SET) = -1 EINVAL (Invalid argument)'
        'openat(AT_FDCWD, "dir", O_RDONLY|O_DIRECTORY) = 4'  # no mode: O_DIRECTORY is not O_TMPFILE (was ", 0")
        'exit_group(0) = ?'
        '+++ exited with 0 +++')
  missing=0
  for w in "${want[@]}"; do
    grep -qxF "$w" "$hdir/strace.err" || { echo "  strace: missing line: $w"; missing=1; }
  done
  if [ $missing = 0 ]; then ok "strace format"; else bad "strace format"; head -5 "$hdir/strace.err"; fi
fi

# Containment: a private guest root with symlinks that try to leave it. A marker file
# outside the root must stay unreachable; the same names inside the root resolve there.
if gcc -O1 -static -nostdlib -ffreestanding -fno-builtin -fno-stack-protector -mgeneral-regs-only \
      -o "$hdir/f_paths" "$here/f_paths.c" 2>"$hdir/f_paths.cc.log"; then
  croot=$(mktemp -d /tmp/gbroot.XXXXXX)
  outside="$croot.outside"
  mkdir -p "$outside" "$croot/bin" "$croot/proc" "$croot/dev" "$croot$outside"
  echo "OUTSIDE" >"$outside/marker"
  echo "inside" >"$croot$outside/marker"
  cp "$hdir/f_paths" "$croot/bin/f_paths"
  ln -s "../../../../../../../../../..$outside" "$croot/up"
  ln -s "$outside" "$croot/abs"
  ln -s / "$croot/rootlink"
  ln -s "loop" "$croot/loop"
  mkdir -p "$croot/d/e"
  ln -s "../../.." "$croot/d/e/dots"
  RENGINE=()
  skip=0
  for w in "${ENGINE[@]}"; do
    if [ $skip = 1 ]; then RENGINE+=("$croot"); skip=0; continue; fi
    RENGINE+=("$w"); [ "$w" = --root ] && skip=1
  done
  [ -n "$IMAGE" ] && RENGINE=("${BASECMD[@]}" run --root "$croot" --)
  "${RENGINE[@]}" /bin/f_paths "/..$outside/marker" "/../../..$outside/marker" "up/marker" "abs/marker" \
    "rootlink/..$outside/marker" "d/e/dots/..$outside/marker" "/d/e/dots/d/e/dots/../..$outside/marker" \
    "/proc/self/root/..$outside/marker" "/proc/self/cwd/../..$outside/marker" "/loop" \
    >"$hdir/paths.out" 2>"$hdir/paths.err" </dev/null
  cat >"$hdir/paths.want" <<EOW
/..$outside/marker: stat=0 open=0 first-line=inside
/../../..$outside/marker: stat=0 open=0 first-line=inside
up/marker: stat=0 open=0 first-line=inside
abs/marker: stat=0 open=0 first-line=inside
rootlink/..$outside/marker: stat=0 open=0 first-line=inside
d/e/dots/..$outside/marker: stat=0 open=0 first-line=inside
/d/e/dots/d/e/dots/../..$outside/marker: stat=0 open=0 first-line=inside
/proc/self/root/..$outside/marker: stat=0 open=0 first-line=inside
/proc/self/cwd/../..$outside/marker: stat=0 open=0 first-line=inside
/loop: stat=-40 open=-40
cwd after chdir(/../../..): /
EOW
  if cmp -s "$hdir/paths.want" "$hdir/paths.out" && ! grep -q OUTSIDE "$hdir/paths.out"; then
    ok "containment (symlinks and .. stay inside the root)"
  else
    bad "containment"; diff "$hdir/paths.want" "$hdir/paths.out" | head -20; head -3 "$hdir/paths.err"
  fi
  rm -rf "$croot" "$outside"
else
  bad "f_paths (compile)"; head -5 "$hdir/f_paths.cc.log"
fi

# Malformed executables: refused with ENOEXEC (status 126), never an engine crash.
if [ -f "$hdir/f_raw" ] && command -v python3 >/dev/null; then
  mkdir -p "$hdir/badelf"
  if [ -z "$IMAGE" ]; then
    python3 "$here/badelf.py" "$hdir/badelf" "$gdir/badelf" "$hdir/f_raw" "${ENGINE[@]}" >"$hdir/badelf.log" 2>&1
  else  # the bad files are written one by one while the engine runs: a host-directory root
    python3 "$here/badelf.py" "$hdir/badelf" "/badelf" "$hdir/f_raw" "${BASECMD[@]}" run --root "$hdir" -- >"$hdir/badelf.log" 2>&1
  fi
  line=$(tail -n 1 "$hdir/badelf.log")
  if [[ "$line" =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed ]] && [ "${BASH_REMATCH[2]}" = 0 ]; then
    ok "bad ELF files (${BASH_REMATCH[1]} cases)"
  else
    bad "bad ELF files"; grep FAIL "$hdir/badelf.log" | head -10
  fi
fi

echo "$pass passed, $fail failed"
[ $fail = 0 ]
