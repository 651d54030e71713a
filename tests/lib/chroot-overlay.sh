#!/usr/bin/env bash
# tests/lib/chroot-overlay.sh — run a command natively in a chroot of a guest root without
# ever writing into that root (it is usually the cached image rootfs in ~/.cache/glassbox,
# which must stay byte-identical for mkimage's stage keys).
#
#   tests/lib/chroot-overlay.sh ROOT [--bind HOSTDIR:GUESTDIR]... -- CMD [ARGS...]
#
# In a private mount namespace (unshare -m, so nothing stays mounted and no other process
# sees it): an overlayfs with ROOT as the read-only lower layer and a throw-away upper layer
# in a temp dir is the chroot; it gets /proc, a minimal /dev like the engine's (null, zero,
# full, random, urandom, tty and the host's /dev/pts bound in, ptmx -> pts/ptmx, fd/stdin/stdout/stderr
# links, a private tmpfs /dev/shm), a tmpfs on /tmp, and the --bind directories (GUESTDIR is created in the upper
# layer). Everything the command writes lands in the upper layer and is deleted at the end.
# The caller sets the environment (e.g. env -i ... before this script, or inside CMD).
# Needs root. The exit status is the command's.
set -uo pipefail
ROOT=${1:?usage: chroot-overlay.sh ROOT [--bind HOST:GUEST]... -- CMD...}
shift
binds=()
while [ $# -gt 0 ]; do
  case "$1" in
    --bind) binds+=("$2"); shift 2;;
    --) shift; break;;
    *) break;;
  esac
done
[ $# -gt 0 ] || { echo "chroot-overlay: no command" >&2; exit 2; }
[ -x "$ROOT/bin/sh" ] || { echo "chroot-overlay: $ROOT is not a root directory" >&2; exit 2; }
work=$(mktemp -d "${TMPDIR:-/tmp}/gb-chroot.XXXXXX")
cleanup() { rm -rf "$work"; }
trap cleanup EXIT
trap 'exit 143' TERM
trap 'exit 130' INT
mkdir -p "$work/upper" "$work/work" "$work/merged"
# The bind list travels as one newline-separated argument.
blist=$(printf '%s\n' "${binds[@]+"${binds[@]}"}")
unshare --mount --fork --propagation private /bin/sh -c '
  set -e
  w=$1; r=$2; blist=$3; shift 3
  m=$w/merged
  mount -t overlay gb-overlay -o "lowerdir=$r,upperdir=$w/upper,workdir=$w/work" "$m"
  mount -t proc proc "$m/proc"
  # A minimal /dev like the engine'"'"'s (not the host'"'"'s whole /dev: no vsock, kvm, disks).
  mount -t tmpfs -o mode=0755 gb-dev "$m/dev"
  for d in null zero full random urandom tty; do
    [ -e "/dev/$d" ] || continue
    : > "$m/dev/$d"; mount --bind "/dev/$d" "$m/dev/$d"
  done
  mkdir -p "$m/dev/pts" "$m/dev/shm"
  mount --bind /dev/pts "$m/dev/pts"
  ln -s pts/ptmx "$m/dev/ptmx"   # (a bind of the /dev/ptmx node would not find this devpts)
  mount -t tmpfs -o mode=1777 gb-shm "$m/dev/shm"
  ln -s /proc/self/fd "$m/dev/fd"
  ln -s /proc/self/fd/0 "$m/dev/stdin"; ln -s /proc/self/fd/1 "$m/dev/stdout"; ln -s /proc/self/fd/2 "$m/dev/stderr"
  mount -t tmpfs -o mode=1777 tmpfs "$m/tmp"
  if [ -n "$blist" ]; then
    printf "%s\n" "$blist" | while IFS=: read -r h g; do
      [ -n "$h" ] || continue
      mkdir -p "$m$g"; mount --bind "$h" "$m$g"
    done
  fi
  exec /usr/sbin/chroot "$m" "$@"
' chroot-overlay "$work" "$ROOT" "$blist" "$@"
