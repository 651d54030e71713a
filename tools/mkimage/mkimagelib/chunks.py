"""ext2 image -> content-addressed chunk files + the chunk table of manifest.json."""

import concurrent.futures
import gzip
import hashlib
import json
import os

from .util import BuildError

FORMAT = "glassbox-image"
FORMAT_VERSION = 1

# a gzip chunk is kept only if it saves at least this fraction; otherwise the raw bytes are stored
MIN_SAVING = 0.10


def _gzip(data, level):
    # gzip.compress with mtime=0 writes a fixed header (no name, mtime 0, OS 255):
    # the same bytes in give the same bytes out, so identical chunks share a file
    return gzip.compress(data, compresslevel=level, mtime=0)


def _one(args):
    img, outdir, index, offset, size, use_gzip, level = args
    with open(img, "rb") as f:
        try:   # a hole in a sparse image: a zero chunk, not read
            if os.lseek(f.fileno(), offset, os.SEEK_DATA) >= offset + size:
                return index, None, size, 0
        except OSError:   # ENXIO: no data after offset
            return index, None, size, 0
        f.seek(offset)
        data = f.read(size)
    if len(data) != size:
        raise BuildError("short read at %d in %s" % (offset, img))
    if data.count(0) == size:
        return index, None, size, 0
    stored = data
    gz = False
    if use_gzip:
        c = _gzip(data, level)
        if len(c) <= len(data) * (1 - MIN_SAVING):
            stored, gz = c, True
    h = hashlib.sha256(stored).hexdigest()
    path = os.path.join(outdir, h)
    if not os.path.exists(path):
        tmp = path + ".tmp%d" % os.getpid()
        with open(tmp, "wb") as f:
            f.write(stored)
        os.chmod(tmp, 0o444)
        os.replace(tmp, path)
    return index, {"hash": h, "length": len(stored), "gz": gz}, size, len(stored)


def split(img, outdir, chunk_size, use_gzip=True, level=9, jobs=None):
    """Write the chunks of `img` into `outdir`; return (table, stats)."""
    size = os.path.getsize(img)
    os.makedirs(outdir, exist_ok=True)
    n = (size + chunk_size - 1) // chunk_size
    work = [(img, outdir, i, i * chunk_size, min(chunk_size, size - i * chunk_size), use_gzip, level)
            for i in range(n)]
    table = [None] * n
    stats = {"chunks": n, "zero_chunks": 0, "stored_chunks": 0, "unique_files": 0,
             "gz_chunks": 0, "raw_bytes": 0, "stored_bytes": 0}
    jobs = jobs or os.cpu_count() or 1
    with concurrent.futures.ProcessPoolExecutor(max_workers=jobs) as ex:
        for index, entry, raw, stored in ex.map(_one, work, chunksize=16):
            table[index] = entry
            if entry is None:
                stats["zero_chunks"] += 1
                continue
            stats["stored_chunks"] += 1
            stats["raw_bytes"] += raw
            stats["gz_chunks"] += entry["gz"]
    uniq = {}
    for e in table:
        if e:
            uniq[e["hash"]] = e["length"]
    stats["unique_files"] = len(uniq)
    stats["stored_bytes"] = sum(uniq.values())
    return table, stats


def assemble(manifest_path, out_path, chunks_dir=None, verify=True):
    """Rebuild the raw image from manifest.json + chunks/ (what the engine does
    lazily, chunk by chunk). Checks every chunk hash and the image id."""
    with open(manifest_path) as f:
        m = json.load(f)
    if m.get("format") != FORMAT or m.get("version") != FORMAT_VERSION:
        raise BuildError("%s: not a %s v%d manifest" % (manifest_path, FORMAT, FORMAT_VERSION))
    chunks_dir = chunks_dir or os.path.join(os.path.dirname(os.path.abspath(manifest_path)), m["chunks_dir"])
    cs = m["chunk_size"]
    size = m["image_size"]
    if len(m["chunks"]) != (size + cs - 1) // cs:
        raise BuildError("manifest: %d chunks for an image of %d bytes in %d-byte chunks"
                         % (len(m["chunks"]), size, cs))
    whole = hashlib.sha256()
    zero = bytes(cs)
    with open(out_path, "wb") as out:
        for i, e in enumerate(m["chunks"]):
            length = min(cs, size - i * cs)
            if e is None:
                data = zero[:length]
            else:
                with open(os.path.join(chunks_dir, e["hash"]), "rb") as f:
                    stored = f.read()
                if len(stored) != e["length"]:
                    raise BuildError("chunk %d: file has %d bytes, manifest says %d" % (i, len(stored), e["length"]))
                if verify and hashlib.sha256(stored).hexdigest() != e["hash"]:
                    raise BuildError("chunk %d: content does not match its hash %s" % (i, e["hash"]))
                data = gzip.decompress(stored) if e["gz"] else stored
                if len(data) != length:
                    raise BuildError("chunk %d: %d bytes after decompression, expected %d" % (i, len(data), length))
            whole.update(data)
            if e is None:
                out.seek(length, 1)  # leave a hole: the assembled image stays sparse
            else:
                out.write(data)
        out.truncate(size)
    got = "sha256:" + whole.hexdigest()
    if got != m["image_id"]:
        raise BuildError("assembled image is %s, manifest image_id is %s" % (got, m["image_id"]))
    return m


def image_hash(img):
    h = hashlib.sha256()
    with open(img, "rb") as f:
        while True:
            b = f.read(1 << 22)
            if not b:
                break
            h.update(b)
    return "sha256:" + h.hexdigest()
