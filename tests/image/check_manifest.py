#!/usr/bin/python3
"""Independent check of an mkimage output directory (does not use mkimage's code):
manifest.json schema, chunk file names = sha256 of their bytes, the chunks and
zero entries reassemble image.ext2 exactly, and image_id = sha256 of the image.
Usage: check_manifest.py OUTDIR"""

import gzip
import hashlib
import json
import os
import sys


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def main():
    out = sys.argv[1]
    with open(os.path.join(out, "manifest.json")) as f:
        m = json.load(f)
    for k, t in (("format", str), ("version", int), ("image_id", str), ("image_size", int), ("chunk_size", int),
                 ("chunk_count", int), ("chunks_dir", str), ("chunks", list), ("login", dict), ("recipe", dict),
                 ("fs", dict), ("stats", dict)):
        if not isinstance(m.get(k), t):
            fail("manifest key %s missing or not %s" % (k, t.__name__))
    if m["format"] != "glassbox-image" or m["version"] != 1:
        fail("format/version %s/%s" % (m["format"], m["version"]))
    cs, size = m["chunk_size"], m["image_size"]
    if cs & (cs - 1) or not 4096 <= cs <= 4 << 20:
        fail("chunk size %d" % cs)
    if size % cs:
        fail("image size %d is not a multiple of the chunk size %d" % (size, cs))
    if m["chunk_count"] != len(m["chunks"]) or len(m["chunks"]) * cs != size:
        fail("chunk count %d / %d entries for %d bytes" % (m["chunk_count"], len(m["chunks"]), size))
    for k in ("user", "uid", "gid", "cwd", "cmd", "env"):
        if k not in m["login"]:
            fail("login.%s missing" % k)
    if not m["recipe"].get("hash", "").startswith("sha256:"):
        fail("recipe.hash")
    cdir = os.path.join(out, m["chunks_dir"])
    names = set(os.listdir(cdir))
    used = set()
    whole = hashlib.sha256()
    zero = 0
    with open(os.path.join(out, "image.ext2"), "rb") as img:
        if os.fstat(img.fileno()).st_size != size:
            fail("image.ext2 is %d bytes, manifest says %d" % (os.fstat(img.fileno()).st_size, size))
        for i, e in enumerate(m["chunks"]):
            raw = img.read(cs)
            whole.update(raw)
            if e is None:
                zero += 1
                if raw.count(0) != cs:
                    fail("chunk %d is listed as zero but the image has data there" % i)
                continue
            if set(e) != {"hash", "length", "gz"}:
                fail("chunk %d entry keys %s" % (i, sorted(e)))
            with open(os.path.join(cdir, e["hash"]), "rb") as f:
                stored = f.read()
            used.add(e["hash"])
            if hashlib.sha256(stored).hexdigest() != e["hash"]:
                fail("chunk file %s: name is not the sha256 of its bytes" % e["hash"])
            if len(stored) != e["length"]:
                fail("chunk %d: length %d != %d" % (i, len(stored), e["length"]))
            data = gzip.decompress(stored) if e["gz"] else stored
            if data != raw:
                fail("chunk %d does not match the image" % i)
            if raw.count(0) == cs:
                fail("chunk %d is all zero but stored" % i)
    if "sha256:" + whole.hexdigest() != m["image_id"]:
        fail("image_id %s is not the sha256 of the image" % m["image_id"])
    if names != used:
        fail("chunks/ has %d files, the manifest uses %d" % (len(names), len(used)))
    print("ok: %d chunks, %d zero, %d files, image %s" % (len(m["chunks"]), zero, len(used), m["image_id"][:19]))


if __name__ == "__main__":
    main()
