#!/usr/bin/python3
"""Re-cut an image into chunks of another size with tools/mkimage's own chunker, for the
chunk-size measurements (tests/storage/measure.sh).
Usage: rechunk.py IMAGE.ext2 OUTDIR CHUNK_KIB [IMAGE_ID]"""
import json
import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools", "mkimage"))
from mkimagelib import chunks  # noqa: E402


def main():
    img, out, kib = sys.argv[1], sys.argv[2], int(sys.argv[3])
    image_id = sys.argv[4] if len(sys.argv) > 4 else chunks.image_hash(img)
    cs = kib * 1024
    table, stats = chunks.split(img, os.path.join(out, "chunks"), cs, True, 6, jobs=2)
    m = {"format": chunks.FORMAT, "version": chunks.FORMAT_VERSION, "image_id": image_id,
         "image_size": os.path.getsize(img), "chunk_size": cs, "chunk_count": len(table),
         "chunks_dir": "chunks", "compression": "gzip", "stats": stats, "chunks": table}
    with open(os.path.join(out, "manifest.json"), "w") as f:
        json.dump(m, f)
    print("%s: %d chunks of %d KiB, %d stored, %d bytes stored" % (out, stats["chunks"], kib, stats["stored_chunks"],
                                                                  stats["stored_bytes"]))


if __name__ == "__main__":
    main()
