"""mkimage fromdir (a directory tree -> image output, no recipe, no cache) and
mkimage diff (which chunks a client must fetch again after an update)."""

import json
import os
import shutil
import tempfile

from . import chunks, ext2, ext2w
from .util import BuildError, log


def cmd_fromdir(args, write_manifest):
    """Small images for tests: ext2 (same writer as build), chunks, manifest.json, layout.json."""
    root, out = os.path.abspath(args.dir), os.path.abspath(args.out)
    cs = args.chunk_size * 1024
    opts = {"block_size": 4096, "inode_size": 256, "extra_inodes": args.extra_inodes,
            "free_mb": args.free_mb, "alloc_start_mb": args.alloc_start_mb}
    previous = ext2w.load_layout(args.previous) if args.previous else None
    os.makedirs(out, exist_ok=True)
    img = os.path.join(out, "image.ext2")
    info, layout = ext2.make_ext2(root, img, opts, args.epoch, "fromdir:" + args.name,
                                  max(4 << 20, cs), cs, previous)
    image_id = chunks.image_hash(img)
    layout["image_id"] = image_id
    with open(os.path.join(out, "layout.json"), "w") as f:
        json.dump(layout, f, sort_keys=True, separators=(",", ":"))
    cdir = os.path.join(out, "chunks")
    if os.path.isdir(cdir):
        shutil.rmtree(cdir)
    table, stats = chunks.split(img, cdir, cs, True, 6, jobs=2)
    m = {"format": chunks.FORMAT, "version": chunks.FORMAT_VERSION, "image_id": image_id,
         "image_size": info["image_size"], "chunk_size": cs, "chunk_count": len(table),
         "chunks_dir": "chunks", "compression": "gzip",
         "fs": {"type": "ext2", "block_size": 4096, "inodes": info["inodes"], "uuid": info["uuid"],
                "features": info["features"]},
         "recipe": {"name": args.name, "kind": "directory", "hash": None, "layers": [], "rootfs_key": None},
         "identity": {"lineage": info["lineage"], "image_id": image_id,
                      "parent_image_id": previous.get("image_id") if previous else None, "layout": "layout.json"},
         "login": {"cmd": ["/bin/sh"], "cwd": "/", "env": {}, "gid": 0, "uid": 0, "user": "root"},
         "labels": {}, "stats": stats, "chunks": table}
    write_manifest(os.path.join(out, "manifest.json"), m)
    print("image    %s (%d MiB, %d chunks, %d stored)" % (image_id, info["image_size"] >> 20, len(table),
                                                          stats["stored_chunks"]))
    return 0


def _manifest(p):
    if os.path.isdir(p):
        p = os.path.join(p, "manifest.json")
    with open(p) as f:
        return json.load(f)


def chunk_diff(old, new):
    """Chunks of `new` a client holding `old` must fetch: stored chunks whose file `old` lacks."""
    have = {e["hash"] for e in old["chunks"] if e}
    stored = [e for e in new["chunks"] if e]
    fetch = [e for e in stored if e["hash"] not in have]
    return {"new_stored_chunks": len(stored), "changed_chunks": len(fetch),
            "changed_fraction": round(len(fetch) / max(1, len(stored)), 4),
            "changed_bytes": sum(e["length"] for e in {e["hash"]: e for e in fetch}.values()),
            "same_lineage": (old.get("identity") or {}).get("lineage") == (new.get("identity") or {}).get("lineage")}


def cmd_diff(args):
    d = chunk_diff(_manifest(args.old), _manifest(args.new))
    if args.json:
        print(json.dumps(d, sort_keys=True))
    else:
        print("changed  %d of %d stored chunks (%.1f %%), %d bytes to fetch; same lineage: %s"
              % (d["changed_chunks"], d["new_stored_chunks"], 100 * d["changed_fraction"], d["changed_bytes"],
                 d["same_lineage"]))
    return 0
