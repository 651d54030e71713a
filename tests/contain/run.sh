#!/usr/bin/env bash
# tests/contain/run.sh — containment of a host-directory guest root (issue 10, item 2).
#
#   tests/contain/run.sh [native|node|reference ...]     (default: native node reference)
#
# For each engine a fresh temp tree T holds T/root (the guest root, --root) and
# T/outside (a sentinel: secret.txt starting "SECRET", nested files, a symlink, odd
# modes). T/root holds decoys at the sentinel's absolute path. tests/contain/contain.c
# (static) runs as the guest with that path as argv[1] and tries to escape: held
# directories renamed and replaced by host symlinks (the node NODERAWFS escape), the cwd
# likewise, removed directories, RENAME_EXCHANGE, ".." chains, absolute and relative
# symlinks, /proc/self/root and /proc/self/fd, symlink loops and the 40-link limit,
# hard links, renames/mkdir/truncate/utimes through host-pointing symlinks, setuid and
# setgid bits. Each case prints "ok" or "FAIL"; then the host checks:
#   * T/outside and T itself byte-for-byte unchanged: names, types, modes, sizes, mtimes,
#     ctimes, symlink targets and SHA-256 of contents, hashed before and after;
#   * nothing under T/root has a setuid/setgid bit or is a device node or FIFO;
#   * the guest never read "SECRET" (contain.c fails if any read returns it).
# "reference" runs the same program natively in a chroot of a fresh tree (as root, with
# a private /proc): every case must pass there too, which proves the expectations are
# Linux's. Skipped (not failed) when chroot/unshare are not permitted.
# Last line: "N passed, N failed".
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
NODE=${NODE:-node}
modes=("$@")
[ ${#modes[@]} -eq 0 ] && modes=(native node reference)
P=0; F=0
ok() { echo "ok $1"; P=$((P + 1)); }
bad() { echo "FAIL $1"; F=$((F + 1)); }

work=$(mktemp -d /tmp/gbcontain.XXXXXX)
trap 'rm -rf "$work"' EXIT
if ! gcc -O1 -static -Wall -Wno-unused-result -o "$work/contain" "$here/contain.c" 2>"$work/cc.log"; then
  cat "$work/cc.log"; echo "0 passed, 1 failed"; exit 1
fi

# make_tree T: a fresh root and sentinel.
make_tree() {
  local T=$1 O=$1/outside
  mkdir -p "$T/root/bin" "$T/root/proc" "$T/root/dev" "$T/root/tmp" "$O/sub/deeper" "$O/private"
  cp "$work/contain" "$T/root/bin/contain"
  printf 'SECRET-%s\n' "$RANDOM$RANDOM" >"$O/secret.txt"
  printf 'SECRET-nested\n' >"$O/sub/deeper/file.txt"
  printf 'SECRET-private\n' >"$O/private/key"
  chmod 0600 "$O/private/key"; chmod 0700 "$O/private"; chmod 0751 "$O/sub"
  ln -s secret.txt "$O/link-to-secret"
  touch -d '2001-02-03 04:05:06' "$O/secret.txt" "$O/sub/deeper/file.txt"
  mkdir -p "$T/root$O"
  printf 'decoy\n' >"$T/root$O/secret.txt"
}

# fingerprint T: everything about T and T/outside except T/root's inside.
fingerprint() {
  local T=$1
  (cd "$T/outside" && find . -printf '%p %y %m %s %T@ %C@ %l\n' | LC_ALL=C sort
   cd "$T/outside" && find . -type f -exec sha256sum {} + | LC_ALL=C sort
   stat -c '%n %f %Y %Z' "$T" "$T/outside"
   ls -a "$T")
}

for mode in "${modes[@]}"; do
  T="$work/$mode"
  make_tree "$T"
  before=$(fingerprint "$T")
  out="$work/$mode.out"
  case $mode in
    native)
      G=${GLASSBOX:-$top/build/glassbox}; [ -x "$G" ] || { bad "$mode: $G missing"; continue; }
      timeout 300 "$G" run --quiet --root "$T/root" -- /bin/contain "$T/outside" >"$out" 2>"$out.err" </dev/null
      rc=$? ;;
    node)
      [ -f "$top/build-wasm/glassbox.js" ] || { bad "$mode: build-wasm/glassbox.js missing"; continue; }
      timeout 300 $NODE "$top/build-wasm/glassbox.js" run --quiet --root "$T/root" -- /bin/contain "$T/outside" >"$out" 2>"$out.err" </dev/null
      rc=$? ;;
    reference)
      if ! unshare --mount --pid --fork --mount-proc="$T/root/proc" true 2>/dev/null; then
        echo "(reference: chroot with a private /proc not permitted here: skipped)"; continue
      fi
      unshare --mount --pid --fork --mount-proc="$T/root/proc" chroot "$T/root" /bin/contain "$T/outside" >"$out" 2>"$out.err" </dev/null
      rc=$? ;;
    *) echo "unknown mode $mode"; F=$((F + 1)); continue ;;
  esac
  sed "s/^/  [$mode] /" "$out"
  p=$(grep -c '^ok ' "$out"); f=$(grep -c '^FAIL ' "$out")
  P=$((P + p)); F=$((F + f))
  if ! grep -q '^contain: [0-9]* passed, 0 failed' "$out" || [ "$rc" != 0 ]; then
    bad "$mode: guest run (status $rc)"; head -5 "$out.err"
  else
    ok "$mode: guest run ends normally with status 0"
  fi
  after=$(fingerprint "$T")
  if [ "$before" = "$after" ]; then ok "$mode: host outside the root unchanged (names, modes, times, contents)"
  else bad "$mode: host outside the root changed"; diff <(echo "$before") <(echo "$after") | head -10; fi
  if [ "$mode" != reference ]; then
    special=$(find "$T/root" \( -perm /6000 -o -type b -o -type c -o -type p \) -printf '%p %m %y\n' 2>/dev/null)
    if [ -z "$special" ]; then ok "$mode: no setuid/setgid bits or device nodes on the host"
    else bad "$mode: host got setuid/setgid bits or nodes"; echo "$special" | head -5; fi
  fi
done
echo "$P passed, $F failed"
[ "$F" = 0 ]
