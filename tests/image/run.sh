#!/usr/bin/env bash
# tests/image/run.sh — tests of the guest image pipeline (tools/mkimage).
#
# Builds the default image (a cache hit after the first run: the stage cache is
# ${GLASSBOX_CACHE:-~/.cache/glassbox}/image), then checks it: e2fsck, files read
# back with debugfs against the rootfs, chunks + manifest reassemble the exact
# image, rebuilds are deterministic, no stale byte code (.pyc), the Dockerfile subset (images/tiny), errors
# for unsupported instructions, a failing RUN leaves nothing mounted, rootfs
# tarball input. Ends with "N passed, N failed"; exit status 1 on any failure.
#
#   tests/image/run.sh            everything (first run on a fresh machine: ~2 min, then ~1 min)
#   GLASSBOX_IMAGE_DIR=DIR ...    where the default image goes (default: build/image)
set -uo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
MK="$ROOT/tools/mkimage/mkimage"
OUT=${GLASSBOX_IMAGE_DIR:-$ROOT/build/image}
WORK=$(mktemp -d /tmp/glassbox-image-test.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
PASS=0; FAIL=0

ok()   { PASS=$((PASS + 1)); echo "ok   - $1  (${SECONDS}s)"; }
bad()  { FAIL=$((FAIL + 1)); echo "FAIL - $1"; [ -n "${2:-}" ] && sed 's/^/       /' <<<"$2" | tail -n 25; }
# check NAME CMD...: a test that passes when CMD exits 0
check() { local name=$1 out; shift; if out=$("$@" 2>&1); then ok "$name"; else bad "$name" "$out"; fi; }
dcat()  { debugfs -R "cat \"$2\"" "$1" 2>/dev/null; }
jget()  { /usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))
for k in sys.argv[2].split("."): d=d[int(k)] if isinstance(d,list) else d[k]
print(d if not isinstance(d,(dict,list)) else json.dumps(d, sort_keys=True))' "$1" "$2"; }

if [ "$(id -u)" != 0 ]; then
  echo "tests/image need root (debootstrap, chroot)"; echo "0 passed, 1 failed"; exit 1
fi

# ---------------------------------------------------------------- default image
echo "# building images/default -> $OUT"
if "$MK" build images/default --out "$OUT" >"$WORK/build1.log" 2>&1; then
  ok "build images/default"
else
  bad "build images/default" "$(cat "$WORK/build1.log")"
  echo "$PASS passed, $FAIL failed"; exit 1
fi
tail -n 6 "$WORK/build1.log"
IMG="$OUT/image.ext2"
RFS=$("$MK" plan images/default --print-root 2>/dev/null)

check "e2fsck -fn on the default image" e2fsck -fn "$IMG"

# a rebuild with nothing changed is a cache hit and takes seconds
start=$(date +%s%N)
"$MK" build images/default --out "$OUT" >"$WORK/build2.log" 2>&1
rc=$?; ms=$(( ($(date +%s%N) - start) / 1000000 ))
if [ $rc = 0 ] && ! grep -q "building" "$WORK/build2.log" && [ $ms -lt 20000 ]; then
  ok "cached rebuild: every stage a cache hit, ${ms} ms"
else
  bad "cached rebuild (rc=$rc, ${ms} ms)" "$(cat "$WORK/build2.log")"
fi

check "normalise keeps valid byte code valid (restamp_pycs, a synthetic root)" \
  /usr/bin/python3 tests/image/restamp_pycs.py
check "no .pyc of the default rootfs is stale against its source (regression: 553 were)" \
  /usr/bin/python3 tests/image/pyc_fresh.py "$RFS"

check "files read back with debugfs match the rootfs (fixed list + 60-file sample)" \
  /usr/bin/python3 tests/image/readback.py "$IMG" "$RFS" --sample 60 \
    /etc/os-release /etc/passwd /etc/motd /usr/bin/gcc-12 /usr/lib/x86_64-linux-gnu/libc.so.6 \
    /usr/bin/python3.11 /usr/bin/make /usr/bin/strace /home/student/examples/hello.c \
    /home/student/examples/Makefile /home/student/.bashrc /bin /usr/bin/vi /home/student

image_has() {  # image_has PATH: the image has PATH
  debugfs -R "stat \"$1\"" "$IMG" 2>&1 | grep -q "Inode:"
}
t=default-contents; msg=""
grep -q '^student:x:1000:1000:.*:/home/student:/bin/bash$' <(dcat "$IMG" /etc/passwd) || msg+="no student uid 1000; "
for p in /usr/bin/gcc /usr/bin/python3 /usr/bin/make /usr/bin/nano /usr/bin/vim.tiny /usr/bin/less \
         /usr/bin/file /usr/bin/strace /usr/bin/as /usr/bin/ld /usr/lib/locale/C.utf8 \
         /home/student/examples/hello.py /home/student/examples/sum.c /etc/profile.d/glassbox.sh; do
  image_has "$p" || msg+="missing $p; "
done
for p in /usr/share/doc/gcc-12/changelog.Debian.gz /usr/share/man/man1 /var/lib/apt/lists/deb.debian.org_debian_dists_bookworm_InRelease; do
  image_has "$p" && msg+="trim left $p; "
done
image_has /usr/share/doc/gcc-12-base/copyright || msg+="trim removed licences; "
grep -q glassbox <(dcat "$IMG" /etc/hostname) || msg+="hostname; "
[ -z "$msg" ] && ok "default image contents (student, tools, examples, trimmed)" || bad "default image contents" "$msg"

t="manifest login defaults"
if [ "$(jget "$OUT/manifest.json" login.user)" = student ] && [ "$(jget "$OUT/manifest.json" login.uid)" = 1000 ] \
   && [ "$(jget "$OUT/manifest.json" login.cwd)" = /home/student ] \
   && [ "$(jget "$OUT/manifest.json" login.env.TERM)" = xterm-256color ] \
   && [ "$(jget "$OUT/manifest.json" login.env.LANG)" = C.UTF-8 ]; then ok "$t"; else bad "$t" "$(jget "$OUT/manifest.json" login)"; fi

check "manifest + chunks reassemble image.ext2 exactly (independent checker)" \
  /usr/bin/python3 tests/image/check_manifest.py "$OUT"
check "mkimage verify: assemble from chunks, hashes, cmp, e2fsck" "$MK" -q verify "$OUT" --tmp "$WORK"

# ---------------------------------------------------------------- determinism
# The same rootfs through ext2+chunks again, and the customisation+trim stages
# again from the cached debootstrap: the manifest must be byte-identical.
cp "$OUT/manifest.json" "$WORK/manifest.a"
if "$MK" build images/default --out "$WORK/det1" --force ext2 --no-raw >"$WORK/det1.log" 2>&1 \
   && grep -q "building ext2" "$WORK/det1.log" && cmp -s "$WORK/manifest.a" "$WORK/det1/manifest.json"; then
  ok "determinism: ext2 + chunks rebuilt give the same manifest"
else
  bad "determinism: ext2 + chunks rebuilt" "$(cat "$WORK/det1.log"; diff "$WORK/manifest.a" "$WORK/det1/manifest.json" | head)"
fi
if "$MK" build images/default --out "$WORK/det2" --force customise --no-raw >"$WORK/det2.log" 2>&1 \
   && grep -q "building customise" "$WORK/det2.log" && cmp -s "$WORK/manifest.a" "$WORK/det2/manifest.json"; then
  ok "determinism: customise + trim + ext2 + chunks rebuilt give the same manifest"
else
  bad "determinism: customise + trim rebuilt" "$(tail -5 "$WORK/det2.log"; diff "$WORK/manifest.a" "$WORK/det2/manifest.json" | head)"
fi

# A cached stage written into after its build (a guest run with the cache's tree as its
# root, say) is noticed by its fingerprint and built again: the image is the recipe's.
if [ -n "$RFS" ] && [ -f "$RFS/etc/debian_version" ]; then
  touch "$RFS/etc/debian_version"
  if "$MK" build images/default --out "$WORK/det3" --no-raw >"$WORK/det3.log" 2>&1 \
     && grep -q "^mkimage: changed " "$WORK/det3.log" && cmp -s "$WORK/manifest.a" "$WORK/det3/manifest.json"; then
    ok "a cached stage modified after its build is rebuilt (same manifest)"
  else
    bad "a cached stage modified after its build" "$(tail -12 "$WORK/det3.log"; diff "$WORK/manifest.a" "$WORK/det3/manifest.json" | head)"
  fi
fi

# ---------------------------------------------------------------- Dockerfile subset
TINY="$WORK/tiny"
if "$MK" build images/tiny --out "$TINY" >"$WORK/tiny.log" 2>&1; then
  ok "build images/tiny (Dockerfile subset, FROM glassbox:default)"
  TI="$TINY/image.ext2"
  check "e2fsck -fn on the tiny image" e2fsck -fn "$TI"
  msg=""
  [ "$(dcat "$TI" /etc/tiny-greeting)" = "hello from tiny 3" ] || msg+="RUN+ENV: /etc/tiny-greeting='$(dcat "$TI" /etc/tiny-greeting)'; "
  cmp -s <(dcat "$TI" /opt/tiny/hello.txt) images/tiny/hello.txt || msg+="COPY file; "
  cmp -s <(dcat "$TI" /home/student/tiny-data/tiny.py) images/tiny/data/tiny.py || msg+="COPY dir; "
  debugfs -R "stat /home/student/tiny-data/notes.txt" "$TI" 2>/dev/null | grep -q "User:  1000   Group:  1000" || msg+="COPY --chown; "
  [ "$(dcat "$TI" /opt/tiny/bundle/bundle/README)" = "unpacked by ADD" ] || msg+="ADD tar; "
  [ "$(dcat "$TI" /opt/tiny/work/where.txt | tr '\n' ' ')" = "/opt/tiny/work root 3 " ] \
    || msg+="WORKDIR+exec-form RUN: '$(dcat "$TI" /opt/tiny/work/where.txt | tr '\n' ' ')'; "
  [ -n "$(dcat "$TI" /home/student/examples/hello.c)" ] || msg+="base image content; "
  [ -z "$msg" ] && ok "Dockerfile subset: RUN, ENV, COPY, COPY --chown, ADD tar, WORKDIR" || bad "Dockerfile subset" "$msg"
  M="$TINY/manifest.json"
  if [ "$(jget "$M" login.user)" = student ] && [ "$(jget "$M" login.cwd)" = /home/student ] \
     && [ "$(jget "$M" login.env.GREETING)" = "hello from tiny" ] && [ "$(jget "$M" login.env.TINY_LEVEL)" = 3 ] \
     && [ "$(jget "$M" login.env.TERM)" = xterm-256color ] \
     && [ "$(jget "$M" login.cmd)" = '["/bin/bash", "--login"]' ] \
     && [ "$(jget "$M" labels.org.glassbox.recipe 2>/dev/null || jget "$M" labels)" != "" ] \
     && [ "$(jget "$M" recipe.kind)" = dockerfile ]; then
    ok "Dockerfile subset: USER, WORKDIR, ENV, CMD into manifest.login"
  else
    bad "Dockerfile subset: manifest.login" "$(jget "$M" login)"
  fi
  check "tiny image: chunks reassemble it" /usr/bin/python3 tests/image/check_manifest.py "$TINY"
else
  bad "build images/tiny" "$(cat "$WORK/tiny.log")"
fi

# ---------------------------------------------------------------- errors
mkdf() { mkdir -p "$WORK/$1"; printf "$2" > "$WORK/$1/Dockerfile"; }
expect_error() {  # expect_error NAME DIR REGEX: mkimage build fails with exit 2 and says REGEX
  local out rc
  out=$("$MK" build "$WORK/$2" --out "$WORK/$2.out" 2>&1); rc=$?
  if [ $rc = 2 ] && grep -Eq "$3" <<<"$out"; then ok "$1"; else bad "$1 (rc=$rc)" "$out"; fi
}
mkdf unsup 'FROM glassbox:default\n# a comment\nRUN true \\\n  && true\nEXPOSE 80\n'
expect_error "unsupported instruction: clear error with its line number" unsup "Dockerfile:5: unsupported instruction EXPOSE"
mkdf unknown 'FROM debian:bookworm\nFROBNICATE x\n'
expect_error "unknown instruction: error with its line number" unknown "Dockerfile:2: unknown instruction FROBNICATE"
mkdf badfrom '\n\nFROM ubuntu:22.04\n'
expect_error "unsupported FROM image: error with its line number" badfrom "Dockerfile:3: FROM ubuntu:22.04 is not supported"
mkdf multi 'FROM debian:bookworm AS a\nFROM debian:bookworm-slim\n'
expect_error "multi-stage FROM: error" multi "Dockerfile:2: a second FROM"
mkdf copyurl 'FROM glassbox:default\nADD https://example.org/x /x\n'
expect_error "ADD from a URL: error" copyurl "Dockerfile:2: ADD from a URL is not supported"
mkdf copyout 'FROM glassbox:default\nCOPY ../../etc/passwd /x\n'
expect_error "COPY from outside the context: error" copyout "outside the build context"

# FROM debian:bookworm(-slim) plans a minbase debootstrap (+ the -slim trim); planned, not built here
mkdf slim 'FROM debian:bookworm-slim\nRUN true\n'
mkdf plain 'FROM docker.io/library/debian:12\nRUN true\n'
if out=$("$MK" plan "$WORK/slim" 2>&1) && grep -q "rootfs .*debootstrap bookworm minbase" <<<"$out" \
   && grep -q "trim .*-slim" <<<"$out" && grep -q "^todo   run\|^cached run" <<<"$out" \
   && out2=$("$MK" plan "$WORK/plain" 2>&1) && ! grep -q -- "-slim" <<<"$out2" && grep -q "trim .*apt lists" <<<"$out2" \
   && [ "$(head -1 <<<"$out" | awk '{print $3}')" = "$(head -1 <<<"$out2" | awk '{print $3}')" ]; then
  ok "FROM debian:bookworm-slim / debian:12: minbase debootstrap (+ trim), same base stage"
else
  bad "FROM debian:bookworm-slim plan" "$out"$'\n'"${out2:-}"
fi

# a failing RUN: clear error, nothing left mounted, no half-built stage
mkdf runfail 'FROM glassbox:default\nUSER root\nRUN echo about to fail && false\n'
CACHE=$("$MK" cache path)
expect_error "failing RUN: error names the line" runfail "RUN \(line 3\) failed with exit status 1"
if grep -q "$CACHE" /proc/self/mounts; then bad "failing RUN: nothing left mounted" "$(grep "$CACHE" /proc/self/mounts)"
else ok "failing RUN: nothing left mounted under the cache"; fi
if [ -z "$(ls -A "$CACHE/tmp")" ]; then ok "failing RUN: no half-built stage left"; else bad "failing RUN: leftovers" "$(ls "$CACHE/tmp")"; fi

# ---------------------------------------------------------------- rootfs tarball input
/usr/bin/python3 - "$WORK/rootfs.tar" <<'EOF'
import io, sys, tarfile
with tarfile.open(sys.argv[1], "w") as t:
    def add(name, kind=tarfile.REGTYPE, data=b"", mode=0o644, uid=0, gid=0, link=""):
        ti = tarfile.TarInfo(name); ti.type = kind; ti.mode = mode; ti.uid = uid; ti.gid = gid
        ti.mtime = 1600000000; ti.linkname = link; ti.size = len(data) if kind == tarfile.REGTYPE else 0
        t.addfile(ti, io.BytesIO(data) if kind == tarfile.REGTYPE else None)
    add("./", tarfile.DIRTYPE, mode=0o755)
    for d in ("etc", "usr", "usr/bin", "home", "home/alice", "tmp"):
        add("./" + d, tarfile.DIRTYPE, mode=0o1777 if d == "tmp" else 0o755, uid=1000 if d == "home/alice" else 0,
            gid=1000 if d == "home/alice" else 0)
    add("./etc/passwd", data=b"root:x:0:0:root:/root:/bin/sh\nalice:x:1000:1000::/home/alice:/bin/sh\n")
    add("./etc/group", data=b"root:x:0:\nalice:x:1000:\n")
    add("./usr/bin/tool", data=b"#!/bin/sh\necho tool\n" * 1000, mode=0o755)
    add("./usr/bin/tool2", tarfile.LNKTYPE, link="./usr/bin/tool")
    add("./bin", tarfile.SYMTYPE, link="usr/bin")
    add("./home/alice/notes", data=b"alice's notes\n", mode=0o600, uid=1000, gid=1000)
    add("./.dockerenv")
EOF
if "$MK" build "$WORK/rootfs.tar" --out "$WORK/tarout" >"$WORK/tar.log" 2>&1; then
  TI="$WORK/tarout/image.ext2"; msg=""
  e2fsck -fn "$TI" >/dev/null 2>&1 || msg+="e2fsck; "
  [ "$(dcat "$TI" /home/alice/notes)" = "alice's notes" ] || msg+="file; "
  debugfs -R "stat /home/alice/notes" "$TI" 2>/dev/null | grep -q "Mode:  0600" || msg+="mode; "
  debugfs -R "stat /home/alice/notes" "$TI" 2>/dev/null | grep -q "User:  1000" || msg+="owner; "
  debugfs -R "stat /usr/bin/tool2" "$TI" 2>/dev/null | grep -q "Links: 2" || msg+="hard link; "
  debugfs -R "stat /bin" "$TI" 2>/dev/null | grep -q 'Fast link dest: "usr/bin"' || msg+="symlink; "
  debugfs -R "stat /tmp" "$TI" 2>/dev/null | grep -q "Mode:  01777" || msg+="sticky; "
  debugfs -R "stat /.dockerenv" "$TI" 2>&1 | grep -q "Inode:" && msg+=".dockerenv kept; "
  [ "$(jget "$WORK/tarout/manifest.json" recipe.kind)" = tarball ] || msg+="recipe.kind; "
  /usr/bin/python3 tests/image/check_manifest.py "$WORK/tarout" >/dev/null || msg+="chunks; "
  [ -z "$msg" ] && ok "rootfs tarball (docker export) input: modes, owners, links" || bad "rootfs tarball input" "$msg"
else
  bad "rootfs tarball input: build" "$(cat "$WORK/tar.log")"
fi
# a Dockerfile on top of a tarball (no shell in it, so no RUN): COPY, ENV, USER, WORKDIR
mkdir -p "$WORK/ontar"; cp "$WORK/rootfs.tar" "$WORK/ontar/"; echo "copied" > "$WORK/ontar/f.txt"
printf 'FROM ./rootfs.tar\nENV A=1 B="two words"\nCOPY f.txt /etc/\nUSER alice\nWORKDIR /home/alice/work\nENTRYPOINT ["/usr/bin/tool"]\nCMD ["--help"]\n' > "$WORK/ontar/Dockerfile"
if "$MK" build "$WORK/ontar" --out "$WORK/ontar.out" >"$WORK/ontar.log" 2>&1; then
  M="$WORK/ontar.out/manifest.json"; TI="$WORK/ontar.out/image.ext2"; msg=""
  [ "$(dcat "$TI" /etc/f.txt)" = copied ] || msg+="COPY; "
  debugfs -R "stat /home/alice/work" "$TI" 2>/dev/null | grep -q "User:  1000" || msg+="WORKDIR owner; "
  [ "$(jget "$M" login.cmd)" = '["/usr/bin/tool", "--help"]' ] || msg+="cmd $(jget "$M" login.cmd); "
  [ "$(jget "$M" login.env.B)" = "two words" ] || msg+="env; "
  [ "$(jget "$M" login.uid)" = 1000 ] && [ "$(jget "$M" login.cwd)" = /home/alice/work ] || msg+="user/cwd; "
  [ -z "$msg" ] && ok "Dockerfile on a tarball: COPY, ENV, USER, WORKDIR, ENTRYPOINT+CMD" || bad "Dockerfile on a tarball" "$msg"
else
  bad "Dockerfile on a tarball: build" "$(cat "$WORK/ontar.log")"
fi

# recipe.toml mistakes are named, not ignored
mkdir -p "$WORK/badtoml"; printf 'name = "x"\nbogus = 1\n' > "$WORK/badtoml/recipe.toml"
expect_error "recipe.toml: unknown key is an error" badtoml "unknown key 'bogus'"
out=$("$MK" plan images/default --layer nosuch 2>&1); rc=$?
if [ $rc = 2 ] && grep -q "no layer 'nosuch' (have: testsuite)" <<<"$out"; then ok "unknown --layer is an error"; else bad "unknown --layer (rc=$rc)" "$out"; fi

# stable layout across rebuilds (--previous) and images over 4 GiB: small trees, own counts
echo "# tests/image/layout.sh"
out=$(tests/image/layout.sh 2>&1); echo "$out" | sed 's/^/  /'
lp=$(tail -n 1 <<<"$out" | sed -nE 's/^([0-9]+) passed, ([0-9]+) failed$/\1 \2/p')
if [ -n "$lp" ]; then PASS=$((PASS + ${lp% *})); FAIL=$((FAIL + ${lp#* })); else bad "tests/image/layout.sh" "$out"; fi

echo "$PASS passed, $FAIL failed"
[ "$FAIL" = 0 ]
