#!/usr/bin/python3
"""Read files back out of an ext2 image with debugfs and compare them with the
rootfs directory the image was built from: contents, mode, owner, symlink
targets. Usage: readback.py IMAGE ROOTFS [--sample N] [PATH...]

Prints one line per mismatch and a last line "checked N, mismatched M"; exits 1
on any mismatch. The sample is deterministic (every k-th regular file of the
sorted tree) so a failure reproduces."""

import hashlib
import os
import re
import stat
import subprocess
import sys


def debugfs(img, req):
    r = subprocess.run(["debugfs", "-R", req, img], capture_output=True)
    return r.stdout, r.stderr.decode(errors="replace")


def stat_of(img, path):
    out, _ = debugfs(img, 'stat "%s"' % path)
    text = out.decode(errors="replace")
    m = re.search(r"Type: (\S+)\s+Mode:\s+(\d+)", text)
    u = re.search(r"User:\s+(\d+)\s+Group:\s+(\d+)", text)
    if not m or not u:
        return None
    link = re.search(r'Fast link dest: "(.*)"', text)
    return {"type": m.group(1), "mode": int(m.group(2), 8), "uid": int(u.group(1)), "gid": int(u.group(2)),
            "link": link.group(1) if link else None}


def main():
    args = sys.argv[1:]
    sample = 40
    if "--sample" in args:
        i = args.index("--sample")
        sample = int(args[i + 1])
        del args[i:i + 2]
    img, root, paths = args[0], args[1], args[2:]
    files = []
    for dp, dn, fn in os.walk(root):
        dn.sort()
        for n in sorted(fn):
            p = os.path.join(dp, n)
            if os.path.isfile(p) and not os.path.islink(p):
                files.append("/" + os.path.relpath(p, root))
    files.sort()
    if sample and files:
        step = max(1, len(files) // sample)
        paths = paths + files[::step][:sample]
    bad = 0
    for p in paths:
        host = os.path.join(root, p.lstrip("/"))
        st = os.lstat(host)
        s = stat_of(img, p)
        if s is None:
            print("MISSING %s" % p)
            bad += 1
            continue
        problems = []
        if s["mode"] != stat.S_IMODE(st.st_mode):
            problems.append("mode %o != %o" % (s["mode"], stat.S_IMODE(st.st_mode)))
        if (s["uid"], s["gid"]) != (st.st_uid, st.st_gid):
            problems.append("owner %d:%d != %d:%d" % (s["uid"], s["gid"], st.st_uid, st.st_gid))
        if stat.S_ISLNK(st.st_mode):
            target = os.readlink(host)
            if s["type"] != "symlink":
                problems.append("type %s, expected symlink" % s["type"])
            elif s["link"] is not None and s["link"] != target:
                problems.append("link %r != %r" % (s["link"], target))
        elif stat.S_ISREG(st.st_mode):
            data, err = debugfs(img, 'cat "%s"' % p)
            with open(host, "rb") as f:
                want = f.read()
            if hashlib.sha256(data).digest() != hashlib.sha256(want).digest():
                problems.append("content differs (%d bytes read, %d expected)" % (len(data), len(want)))
        elif stat.S_ISDIR(st.st_mode) and s["type"] != "directory":
            problems.append("type %s, expected directory" % s["type"])
        if problems:
            bad += 1
            print("MISMATCH %s: %s" % (p, "; ".join(problems)))
    print("checked %d, mismatched %d" % (len(paths), bad))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
