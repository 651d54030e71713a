"""Measure what a chunk size costs: which chunks a cold workload touches.

Runs a workload (default: compile and run hello.c, then python3 -c pass) under
strace in a throw-away copy of an image's rootfs, collects every file and
directory it opened or executed, maps them to image blocks with debugfs (data,
indirect and directory blocks, plus the inode-table blocks of their inodes),
and for each candidate chunk size reports the chunks a cold start must fetch:
their count (requests) and bytes, raw and gzip-compressed.

Upper bound: a file counts as read whole (an mmap'ed library is not, but
readahead reads around each access anyway).
"""

import gzip
import json
import os
import re
import shutil
import subprocess
import tempfile

from . import rootfs as rootfs_mod
from .ext2 import Geometry
from .util import BuildError, log, run

DEFAULT_WORKLOAD = ("cd /tmp && printf '#include <stdio.h>\\nint main(void){puts(\"hi\");return 0;}\\n' > h.c"
                    " && gcc -O2 h.c -o h && ./h && python3 -c pass")
SIZES_KIB = [64, 128, 256, 512, 1024]


def _trace(root, workload, user):
    tmp = tempfile.mkdtemp(prefix="chunkstat.")
    try:
        work = os.path.join(tmp, "root")
        log("copying the rootfs to run the workload in a throw-away copy")
        run(["cp", "-a", root, work])
        tracef = os.path.join(tmp, "trace")
        uid, gid, home, name, _ = rootfs_mod.resolve_user(work, user)
        with rootfs_mod.chroot_env(work):
            cmd = ["strace", "-f", "-z", "-qq", "-s", "4096", "-e", "trace=openat,open,execve",
                   "-o", tracef, shutil.which("chroot") or "/usr/sbin/chroot", "--userspec=%d:%d" % (uid, gid), work,
                   "/bin/sh", "-c", workload]
            r = subprocess.run(cmd, env={"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": home,
                                         "LANG": "C.UTF-8"}, stdin=subprocess.DEVNULL,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            if r.returncode != 0:
                raise BuildError("workload failed:\n" + r.stdout[-2000:])
        paths = set()
        with open(tracef) as f:
            for line in f:
                m = re.search(r'(?:openat\(AT_FDCWD, |open\(|execve\()"([^"]+)"', line)
                if m and m.group(1).startswith("/"):
                    paths.add(m.group(1))
        # resolve symlinks inside the copy, as the guest would; drop what the workload created
        files = set()
        for p in paths:
            if p.startswith(("/proc", "/dev", "/sys", "/tmp")):
                continue
            hp = rootfs_mod.resolve_in_root(root, p)
            if os.path.exists(hp):
                rel = "/" + os.path.relpath(hp, root)
                files.add(rel)
                parts = rel.strip("/").split("/")
                for i in range(len(parts)):
                    files.add("/" + "/".join(parts[:i]))
        return sorted(files)
    finally:
        subprocess.run(["rm", "-rf", "--one-file-system", tmp])


def _blocks(img, paths):
    """{path: (inode, [blocks])} from one debugfs run."""
    script = "".join('stat "%s"\n' % p for p in paths)
    r = subprocess.run(["debugfs", "-f", "-", img], input=script, capture_output=True, text=True)
    out = {}
    cur = None
    blocks_next = False
    for line in r.stdout.splitlines():
        m = re.match(r'debugfs:\s+stat "(.*)"', line)
        if m:
            cur = m.group(1)
            out[cur] = [None, []]
            blocks_next = False
            continue
        if cur is None:
            continue
        m = re.match(r"Inode: (\d+)", line)
        if m:
            out[cur][0] = int(m.group(1))
        if line.startswith(("BLOCKS:", "TOTAL:")):
            blocks_next = line.startswith("BLOCKS:")
            continue
        if blocks_next:
            for a, b in re.findall(r":(\d+)(?:-(\d+))?", line):
                a = int(a)
                out[cur][1].extend(range(a, int(b) + 1 if b else a + 1))
    return out


def measure(img, root, workload=DEFAULT_WORKLOAD, user="root", sizes_kib=SIZES_KIB):
    paths = _trace(root, workload, user)
    info = _blocks(img, paths)
    with open(img, "rb") as f:
        geo = Geometry(f)
    bs = geo.block_size
    blocks = set(range(0, 2))  # superblock and group descriptors
    file_bytes = 0
    for p, (ino, bl) in info.items():
        blocks.update(bl)
        hp = os.path.join(root, p.lstrip("/"))
        if os.path.isfile(hp):
            file_bytes += os.path.getsize(hp)
        if ino:
            g, idx = divmod(ino - 1, geo.inodes_per_group)
            blocks.add(geo.desc[g][2] + idx * geo.inode_size // bs)
    rows = []
    with open(img, "rb") as f:
        for kib in sizes_kib:
            cs = kib * 1024
            touched = sorted({b * bs // cs for b in blocks})
            raw = 0
            gz = 0
            for c in touched:
                f.seek(c * cs)
                data = f.read(cs)
                if data.count(0) == len(data):
                    continue
                raw += len(data)
                gz += min(len(data), len(gzip.compress(data, 6, mtime=0)))
            rows.append({"chunk_kib": kib, "chunks": len(touched), "raw_bytes": raw, "gz_bytes": gz})
    return {"workload": workload, "files": len(paths), "file_bytes": file_bytes,
            "blocks": len(blocks), "block_bytes": len(blocks) * bs, "sizes": rows}


def cmd_chunkstat(args, cache_path):
    out = os.path.abspath(args.outdir)
    with open(os.path.join(out, "manifest.json")) as f:
        m = json.load(f)
    root = os.path.join(cache_path, "stages", m["recipe"]["rootfs_key"], "root")
    if not os.path.isdir(root):
        raise BuildError("the rootfs of %s is not in the cache %s" % (out, cache_path))
    img = os.path.join(out, "image.ext2")
    res = measure(img, root, args.workload or DEFAULT_WORKLOAD, args.user or m["login"]["user"])
    print("workload: %s" % res["workload"])
    print("files and directories opened: %d, %.1f MiB of file data, %d blocks (%.1f MiB) incl. metadata"
          % (res["files"], res["file_bytes"] / 2**20, res["blocks"], res["block_bytes"] / 2**20))
    print("%9s %8s %12s %12s" % ("chunk", "fetches", "raw MiB", "gzip MiB"))
    for r in res["sizes"]:
        print("%6d KiB %8d %12.1f %12.1f" % (r["chunk_kib"], r["chunks"], r["raw_bytes"] / 2**20, r["gz_bytes"] / 2**20))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(res, f, indent=1)
    return 0
