#!/usr/bin/env python3
"""tests/image/pyc_fresh.py ROOT — every timestamp-based .pyc in ROOT's __pycache__
directories is what Python's import accepts for its source: the mtime and size in its
header are the source's as the guest sees them (symlinks resolved inside ROOT).

Regression test for stale byte code (mkimage's timestamp clamp made every .pyc of the
image stale, so each python3 start compiled encodings, its aliases table and
sitecustomize from source again: 48 M guest instructions for `python3 -c pass` instead of
29 M). Prints the stale ones (at most 20) and exits 1 if there is any."""
import os
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../tools/mkimage"))
from mkimagelib.util import resolve_in_root  # noqa: E402


def main():
    root = os.path.abspath(sys.argv[1])
    checked, stale = 0, []
    for dp, dn, fn in os.walk(root):
        if os.path.basename(dp) != "__pycache__":
            continue
        for name in fn:
            if not name.endswith(".pyc") or name.count(".") < 2:
                continue
            guest_src = "/" + os.path.relpath(os.path.join(os.path.dirname(dp), name.split(".", 1)[0] + ".py"), root)
            try:
                st = os.stat(resolve_in_root(root, guest_src))
            except OSError:
                continue  # (no source: a sourceless module is loaded as it is)
            with open(os.path.join(dp, name), "rb") as f:
                head = f.read(16)
            if len(head) < 16:
                stale.append((guest_src, "truncated header"))
                continue
            flags, mt, size = struct.unpack("<III", head[4:16])
            if flags != 0:
                continue  # hash-based: checked (or not) by its own rule
            checked += 1
            if mt != (int(st.st_mtime) & 0xFFFFFFFF) or size != (st.st_size & 0xFFFFFFFF):
                stale.append((guest_src, "header mtime %d size %d, source %d %d" % (mt, size, int(st.st_mtime), st.st_size)))
    for src, why in stale[:20]:
        print("stale: %s (%s)" % (src, why))
    print("%d timestamp .pyc files checked, %d stale" % (checked, len(stale)))
    return 1 if stale or not checked else 0


if __name__ == "__main__":
    sys.exit(main())
