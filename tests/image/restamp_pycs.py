#!/usr/bin/env python3
"""tests/image/restamp_pycs.py — mkimage's normalise() keeps valid byte code valid.

A synthetic root (no image needed): sources with mtimes after the epoch and their .pyc
files compiled by py_compile, then rootfs.normalise(root, epoch). Checks: a .pyc that
matched its source now carries the clamped mtime; one that was already stale (its source
edited after compiling) stays stale; a source reached through an absolute symlink is
resolved inside the root (Debian's sitecustomize.py -> /etc/python3.11/...); a hash-based
.pyc is left as it is; and Python's own loader accepts the restamped file (importing it
with the root on sys.path under PYTHONDONTWRITEBYTECODE compiles nothing)."""
import importlib.util
import os
import py_compile
import struct
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../tools/mkimage"))
from mkimagelib import rootfs  # noqa: E402

EPOCH = 1747699200
LATER = EPOCH + 400 * 86400  # a package built after the epoch


def header(pyc):
    with open(pyc, "rb") as f:
        return struct.unpack("<III", f.read(16)[4:16])


def main():
    fails = []
    with tempfile.TemporaryDirectory() as root:
        lib = os.path.join(root, "usr/lib/py")
        os.makedirs(lib)
        os.makedirs(os.path.join(root, "etc/py"))

        def src(path, text):
            with open(path, "w") as f:
                f.write(text)
            os.utime(path, (LATER, LATER))

        src(os.path.join(lib, "good.py"), "X = 1\n")
        src(os.path.join(lib, "edited.py"), "Y = 1\n")
        src(os.path.join(lib, "hashed.py"), "Z = 1\n")
        src(os.path.join(root, "etc/py/custom.py"), "C = 1\n")
        os.symlink("/etc/py/custom.py", os.path.join(lib, "custom.py"))
        pycs = {}
        for name in ("good", "edited", "custom"):
            # (custom: compiled from the link's target, as py3compile in the guest sees it)
            real = os.path.join(root, "etc/py/custom.py") if name == "custom" else os.path.join(lib, name + ".py")
            pycs[name] = py_compile.compile(real, cfile=importlib.util.cache_from_source(os.path.join(lib, name + ".py")),
                                            doraise=True, invalidation_mode=py_compile.PycInvalidationMode.TIMESTAMP)
        pycs["hashed"] = py_compile.compile(os.path.join(lib, "hashed.py"), doraise=True,
                                            invalidation_mode=py_compile.PycInvalidationMode.CHECKED_HASH)
        os.utime(os.path.join(lib, "edited.py"), (LATER + 60, LATER + 60))  # edited after compiling
        hashed_before = open(pycs["hashed"], "rb").read()

        rootfs.normalise(root, EPOCH)

        def expect(what, got, want):
            if got != want:
                fails.append("%s: got %r, want %r" % (what, got, want))

        expect("valid .pyc: header mtime", header(pycs["good"])[1], EPOCH)
        expect("valid .pyc: source mtime", int(os.stat(os.path.join(lib, "good.py")).st_mtime), EPOCH)
        expect("stale .pyc stays stale: header mtime", header(pycs["edited"])[1], LATER)
        expect("source behind an absolute symlink: header mtime", header(pycs["custom"])[1], EPOCH)
        expect("hash-based .pyc untouched", open(pycs["hashed"], "rb").read(), hashed_before)
        expect("normalise again restamps nothing", rootfs.restamp_pycs(root, EPOCH * 1_000_000_000), 0)

        # Python's loader agrees: with byte-code writing off, a verbose import of good
        # reads the .pyc ("matches") and compiles no source.
        env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1", PYTHONPATH=lib)
        out = subprocess.run([sys.executable, "-v", "-c", "import good"], env=env, capture_output=True, text=True)
        matched = any("matches" in l and "good.py" in l for l in out.stderr.splitlines())
        compiled = any("code object from" in l and l.rstrip().rstrip("'").endswith("good.py") for l in out.stderr.splitlines())
        expect("python3 -v: good.pyc matches its source", matched, True)
        expect("python3 -v: good.py not compiled", compiled, False)

    for f in fails:
        print("FAIL:", f)
    print("restamp_pycs: %d checks failed" % len(fails))
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
