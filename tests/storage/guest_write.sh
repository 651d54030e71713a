#!/usr/bin/env bash
# tests/storage/guest_write.sh — the guest writes through the engine's ext2 driver:
# python3 inside the default image (run by `glassbox run --image IMAGE --overlay FILE`)
# creates, appends, renames, truncates and deletes thousands of files and directories;
# then (1) base image + overlay, exported to a raw image, must pass `e2fsck -fn`, and
# (2) a second engine run on the same overlay must see exactly the tree the first run
# left (same digest), and (3) the base image itself is unchanged.
#   tests/storage/guest_write.sh [IMAGE_DIR] [OPS]   (default build/image, 3000 operations)
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd); top=$(cd "$here/../.." && pwd)
IMG=${1:-$top/build/image}/image.ext2
OPS=${2:-3000}
GB="$top/build/glassbox"
TOOL="$top/build-storage/st/storage_tool"
[ -x "$TOOL" ] || cmake --build "$top/build-storage/st" --target storage_tool >/dev/null 2>&1 || true
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
pass=0; fail=0
ok() { pass=$((pass + 1)); echo "ok   - $1"; }
bad() { fail=$((fail + 1)); echo "FAIL - $1"; [ -n "${2:-}" ] && echo "$2" | head -20 | sed 's/^/       /'; }
if [ ! -f "$IMG" ] || [ ! -x "$TOOL" ]; then echo "guest-write: need $IMG and $TOOL"; echo "0 passed, 1 failed"; exit 1; fi
before=$(sha256sum < "$IMG")
cp "$here/guest_stress.py" "$tmp/"
run() { "$GB" run --image "$IMG" --overlay "$tmp/overlay" --env PYTHONDONTWRITEBYTECODE=1 -- /usr/bin/python3 -c "$(cat "$tmp/guest_stress.py")" "$@"; }
if d1=$(run write "$OPS" 2>"$tmp/err1"); then ok "guest python: $OPS file operations ($d1)"; else bad "guest write run" "$(cat "$tmp/err1")"; fi
if "$TOOL" export "$IMG" "$tmp/merged.ext2" --overlay "$tmp/overlay" >"$tmp/exp.log" 2>&1; then
  if e2fsck -fn "$tmp/merged.ext2" >"$tmp/fsck.log" 2>&1; then ok "base + overlay passes e2fsck -fn"
  else bad "e2fsck -fn on base + overlay" "$(cat "$tmp/fsck.log")"; fi
else bad "export base + overlay" "$(cat "$tmp/exp.log")"; fi
if d2=$(run verify 2>"$tmp/err2"); then
  [ "$d1" = "$d2" ] && ok "second run sees every change ($d2)" || bad "second run digest" "first:  $d1
second: $d2"
else bad "guest verify run" "$(cat "$tmp/err2")"; fi
[ "$before" = "$(sha256sum < "$IMG")" ] && ok "base image unchanged" || bad "base image was modified"
echo "guest-write: $pass passed, $fail failed"
[ $fail = 0 ]
