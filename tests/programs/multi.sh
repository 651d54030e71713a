#!/usr/bin/env bash
# tests/programs/multi.sh — multi-process programs of the Debian image (gcc driving cc1/as/ld,
# make, objdump, python's subprocess/threading/multiprocessing/signals/sockets/fork), the
# engine vs a native chroot of the same root. Needs root (chroot, mount namespace).
#
#   tests/programs/multi.sh [ROOT] [ENGINE...]          all cases
#   MULTI_ONLY="py-alarm gcc-hello" tests/programs/multi.sh ...   only these cases
#   MULTI_NATIVE_ONLY=1 tests/programs/multi.sh          only the native side (checks the cases)
#
#   ROOT    the guest root directory (default: the default image's rootfs, from tools/mkimage)
#   ENGINE  the engine command prefix up to the guest program. Default:
#             build/glassbox run --image build/image/manifest.json --overlay @OVERLAY@ --env TERM=dumb --env HOME=/root --
#           @OVERLAY@ is replaced by a fresh overlay file per case in a temp dir (the image is
#           never written); @ROOT@ by a private hard-link copy of ROOT (for --root engines).
#
# Cases: tests/programs/multi/NAME.sh (a bash script) or NAME.py (run with python3); the
# files in tests/programs/data/NAME/ (if any) and the case itself are written into a fresh
# /tmp/gbmulti/NAME inside the guest by the generated bash script (printf, a bash builtin),
# which then runs the case there. So the same `bash -c SCRIPT` runs natively (in a chroot
# of an overlayfs over ROOT with /proc, /dev and a tmpfs /tmp: tests/lib/chroot-overlay.sh,
# nothing is written into ROOT) and in the engine, with no host files shared.
# stdout and the exit status must match. The last line is "multi: N passed, N failed".
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
ROOT=${1:-$("$top/tools/mkimage/mkimage" plan "$top/images/default" --print-root 2>/dev/null)}
shift || true
if [ -z "$ROOT" ] || [ ! -x "$ROOT/bin/sh" ]; then
  echo "multi: no guest root (build the default image first: tools/start)"; echo "multi: 0 passed, 1 failed"; exit 1
fi
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
if [ $# -gt 0 ]; then ENGINE=("$@"); else
  ENGINE=("$top/build/glassbox" run --image "${GLASSBOX_IMAGE_DIR:-$top/build/image}/manifest.json"
          --overlay @OVERLAY@ --env TERM=dumb --env HOME=/root --)
fi
if [[ " ${ENGINE[*]} " == *@ROOT@* ]]; then
  # A --root engine writes through to the host directory: give it a real copy. (A
  # hard-link copy shared inodes with the image cache: any chmod, utime or in-place write
  # of an existing file changed the cache behind mkimage's back, and the image layer's
  # determinism check failed on the next run.)
  cp -a --reflink=auto "$ROOT" "$tmp/root"
  ENGINE=("${ENGINE[@]//@ROOT@/$tmp/root}")
fi
GUEST_ENV=(PATH=/usr/local/bin:/usr/bin:/bin HOME=/root LANG=C.UTF-8 TERM=dumb PYTHONDONTWRITEBYTECODE=1)

# script NAME CASEFILE: the bash script that creates the work dir, its files, and runs the case.
script() {
  local name=$1 file=$2 f rel
  printf 'mkdir -p /tmp/gbmulti/%s && cd /tmp/gbmulti/%s || exit 99\n' "$name" "$name"
  if [ -d "$here/data/$name" ]; then
    while IFS= read -r f; do
      rel=${f#"$here/data/$name/"}
      [[ $rel == */* ]] && printf 'mkdir -p %q\n' "$(dirname "$rel")"
      # (a trailing x keeps the file's final newlines through $(...); removed in the guest)
      printf 'v=%q; printf %%s "${v%%x}" > %q\n' "$(cat "$f"; echo x)" "$rel"
    done < <(find "$here/data/$name" -type f | LC_ALL=C sort)
  fi
  case $file in
    *.py) printf 'v=%q; printf %%s "${v%%x}" > %q\n' "$(cat "$file"; echo x)" "$name.py"
          printf 'exec python3 %q\n' "$name.py";;
    *.sh) cat "$file";;
  esac
}

pass=0; fail=0
for file in "$here"/multi/*.sh "$here"/multi/*.py; do
  [ -e "$file" ] || continue
  name=$(basename "$file"); name=${name%.*}
  if [ -n "${MULTI_ONLY:-}" ] && [[ " $MULTI_ONLY " != *" $name "* ]]; then continue; fi
  script "$name" "$file" > "$tmp/$name.script"
  body=$(cat "$tmp/$name.script")
  env -i "${GUEST_ENV[@]}" "$top/tests/lib/chroot-overlay.sh" "$ROOT" -- /bin/bash -c "$body" \
    >"$tmp/$name.native" 2>"$tmp/$name.native.err" </dev/null
  nst=$?
  if [ "${MULTI_NATIVE_ONLY:-0}" = 1 ]; then
    if [ $nst = 0 ]; then pass=$((pass + 1)); echo "ok   $name (native)"; else
      fail=$((fail + 1)); echo "FAIL $name (native status $nst)"; head -20 "$tmp/$name.native.err"; fi
    [ -n "${MULTI_VERBOSE:-}" ] && sed 's/^/    /' "$tmp/$name.native"
    continue
  fi
  eng=("${ENGINE[@]//@OVERLAY@/$tmp/$name.overlay}")
  envargs=()
  for kv in "${GUEST_ENV[@]}"; do envargs+=(--env "$kv"); done
  # The engine's own --env options go before "--": insert them there.
  cmd=(); for w in "${eng[@]}"; do [ "$w" = -- ] && cmd+=("${envargs[@]}"); cmd+=("$w"); done
  [[ " ${eng[*]} " == *" -- "* ]] || cmd+=("${envargs[@]}")
  start=$SECONDS
  timeout 900 "${cmd[@]}" /bin/bash -c "$body" >"$tmp/$name.engine" 2>"$tmp/$name.engine.err" </dev/null
  est=$?
  rm -f "$tmp/$name.overlay"
  if [ $nst = $est ] && [ $nst = 0 ] && cmp -s "$tmp/$name.native" "$tmp/$name.engine"; then
    pass=$((pass + 1)); echo "ok   $name ($((SECONDS - start)) s)"
  else
    fail=$((fail + 1)); echo "FAIL $name (status native $nst, engine $est; $((SECONDS - start)) s)"
    diff "$tmp/$name.native" "$tmp/$name.engine" | head -15
    grep -v "^glassbox: unimplemented" "$tmp/$name.engine.err" | head -5
  fi
done
echo "multi: $pass passed, $fail failed"
[ $fail = 0 ]
