"""Small helpers shared by the mkimage stages (standard library only)."""

import hashlib
import json
import os
import shutil
import stat
import subprocess
import sys
import time

VERBOSE = 1


class BuildError(Exception):
    """An error the user can act on; printed without a traceback."""


def log(msg, level=1):
    if VERBOSE >= level:
        print("mkimage: " + msg, file=sys.stderr, flush=True)


def canon(obj):
    """Canonical JSON text, used for hashing stage descriptions."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def sha256_bytes(data):
    return hashlib.sha256(data).hexdigest()


def sha256_text(text):
    return sha256_bytes(text.encode("utf-8"))


def sha256_file(path, bufsize=1 << 20):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while True:
            b = f.read(bufsize)
            if not b:
                break
            h.update(b)
    return h.hexdigest()


def hash_tree(path, exclude=()):
    """Hash of a host directory (names, types, exec bit, contents, link targets).

    Timestamps and owners are deliberately left out: a git checkout sets them
    to whatever, and the build normalises them anyway.
    """
    h = hashlib.sha256()
    if os.path.isfile(path):
        st = os.stat(path)
        h.update(b"F" + (b"x" if st.st_mode & 0o111 else b"-"))
        h.update(sha256_file(path).encode())
        return h.hexdigest()
    for dirpath, dirnames, filenames in os.walk(path):
        dirnames.sort()
        rel_dir = os.path.relpath(dirpath, path)
        for name in sorted(filenames + [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]):
            rel = os.path.normpath(os.path.join(rel_dir, name))
            if rel in exclude:
                continue
            full = os.path.join(dirpath, name)
            st = os.lstat(full)
            h.update(rel.encode() + b"\0")
            if stat.S_ISLNK(st.st_mode):
                h.update(b"L" + os.readlink(full).encode() + b"\0")
            elif stat.S_ISREG(st.st_mode):
                h.update(b"F" + (b"x" if st.st_mode & 0o111 else b"-"))
                h.update(sha256_file(full).encode() + b"\0")
            else:
                h.update(b"?%o\0" % stat.S_IFMT(st.st_mode))
        for d in dirnames:
            h.update(os.path.normpath(os.path.join(rel_dir, d)).encode() + b"/\0")
    return h.hexdigest()


def run(cmd, check=True, env=None, capture=False, **kw):
    log("$ " + " ".join(cmd), 2)
    try:
        r = subprocess.run(cmd, env=env, text=True,
                           stdout=subprocess.PIPE if capture else None,
                           stderr=subprocess.PIPE if capture else None, **kw)
    except FileNotFoundError:
        raise BuildError("command not found: %s" % cmd[0])
    if check and r.returncode != 0:
        detail = ""
        if capture:
            detail = "\n" + (r.stderr or "")[-4000:]
        raise BuildError("command failed (exit %d): %s%s" % (r.returncode, " ".join(cmd), detail))
    return r


def mounts_under(path):
    """Mount points at or below path (from /proc/self/mounts)."""
    path = os.path.realpath(path)
    out = []
    with open("/proc/self/mounts") as f:
        for line in f:
            mp = line.split()[1].encode().decode("unicode_escape")
            if mp == path or mp.startswith(path.rstrip("/") + "/"):
                out.append(mp)
    return out


def rmtree_safe(path):
    """Remove a stage directory, never crossing into a mount (e.g. a /proc left mounted)."""
    if not os.path.lexists(path):
        return
    for mp in sorted(mounts_under(path), key=len, reverse=True):
        log("unmounting leftover mount %s" % mp)
        if subprocess.run(["umount", mp]).returncode != 0:
            subprocess.run(["umount", "-l", mp])
    if mounts_under(path):
        raise BuildError("refusing to remove %s: something is still mounted below it" % path)
    subprocess.run(["rm", "-rf", "--one-file-system", path], check=True)


def copy_tree(src, dst):
    """Full copy of a rootfs (owners, modes, hard links, xattrs, device nodes)."""
    run(["cp", "-a", "--", src, dst])


def resolve_in_root(root, path, follow_last=True):
    """Host path of guest path `path` inside `root`, following symlinks as the
    guest would (absolute links are relative to root; never escapes root)."""
    parts = [p for p in path.split("/") if p not in ("", ".")]
    resolved = []
    hops = 0
    while parts:
        p = parts.pop(0)
        if p == "..":
            if resolved:
                resolved.pop()
            continue
        cand = os.path.join(root, *resolved, p)
        if os.path.islink(cand) and (parts or follow_last):
            hops += 1
            if hops > 40:
                raise BuildError("too many symlinks resolving %s" % path)
            target = os.readlink(cand)
            if target.startswith("/"):
                resolved = []
            parts = [q for q in target.split("/") if q not in ("", ".")] + parts
            continue
        resolved.append(p)
    return os.path.join(root, *resolved)


def fmt_bytes(n):
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(n) < 1024 or unit == "GiB":
            return ("%d %s" % (n, unit)) if unit == "B" else ("%.1f %s" % (n, unit))
        n /= 1024.0


def tree_size(root):
    """(bytes of regular file data, allocated bytes in 4 KiB blocks, entries), hard links once."""
    seen = set()
    data = 0
    blocks = 0
    entries = 0
    for dirpath, dirnames, filenames in os.walk(root):
        entries += 1
        blocks += 4096
        for name in filenames + [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]:
            st = os.lstat(os.path.join(dirpath, name))
            if st.st_nlink > 1:
                if (st.st_dev, st.st_ino) in seen:
                    continue
                seen.add((st.st_dev, st.st_ino))
            entries += 1
            if stat.S_ISREG(st.st_mode):
                data += st.st_size
                blocks += (st.st_size + 4095) // 4096 * 4096
    return data, blocks, entries


def tree_fingerprint(root):
    """A hash of the tree's metadata: every entry's path, type and mode, owner, size,
    mtime (ns) and symlink target, in sorted order (the top directory's own times left
    out). A stage root is normalised (every mtime clamped to the epoch), so a write,
    create, delete or chmod made in it later changes this; st_nlink and ctime are left
    out, so a `cp -al` copy of the tree does not."""
    h = hashlib.sha256()
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        rel = os.path.relpath(dirpath, root)
        st = os.lstat(dirpath)
        h.update(("D %s %o %d %d %d\n" % (rel, st.st_mode, st.st_uid, st.st_gid,
                                            st.st_mtime_ns if rel != "." else 0)).encode("utf-8", "surrogateescape"))
        for name in sorted(filenames + [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]):
            p = os.path.join(dirpath, name)
            st = os.lstat(p)
            link = os.readlink(p) if stat.S_ISLNK(st.st_mode) else ""
            h.update(("F %s %o %d %d %d %d %s\n" % (os.path.join(rel, name), st.st_mode, st.st_uid, st.st_gid,
                                                     st.st_size, st.st_mtime_ns, link)).encode("utf-8", "surrogateescape"))
    return h.hexdigest()


class Timer:
    def __init__(self):
        self.t0 = time.monotonic()

    def __call__(self):
        return time.monotonic() - self.t0


def which_all(names):
    return [n for n in names if shutil.which(n) is None and not os.path.exists("/usr/sbin/" + n)
            and not os.path.exists("/sbin/" + n)]
