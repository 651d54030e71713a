"""rootfs directory -> ext2 image (written by ext2w), byte for byte reproducible; e2fsck; geometry."""

import os
import struct
import uuid as uuidlib

from . import ext2w
from .util import BuildError, log, run, tree_size

# Features of the image. Kept small on purpose so the engine's ext2 driver has
# less to get right: no journal (ext2), no resize inode, no htree directory
# index (directories are linear lists; the biggest, /usr/bin, has ~1k entries).
DEFAULT_FEATURES = "sparse_super,large_file,filetype,ext_attr"


def image_uuid(seed):
    """A fixed UUID derived from the stage key: mke2fs would pick a random one."""
    import hashlib
    return str(uuidlib.UUID(bytes=hashlib.sha256(("glassbox-ext2:" + seed).encode()).digest()[:16], version=4))


def plan_size(root, opts, align):
    data, blocks, entries = tree_size(root)
    inodes = entries + int(opts["extra_inodes"])
    inodes = (inodes + 1023) // 1024 * 1024
    # data blocks + ~1% for indirect blocks and directories + inode tables +
    # bitmaps/backup superblocks, then the free space the recipe asks for
    need = int(blocks * 1.03) + inodes * int(opts["inode_size"]) + (16 << 20)
    size = need + int(opts["free_mb"]) * (1 << 20)
    size = (size + align - 1) // align * align
    return size, inodes, data, entries


def make_ext2(root, img, opts, epoch, seed, align=4 << 20, chunk_size=262144, previous=None):
    """Write the ext2 image of `root` (ext2w: our own writer, stable layout across
    rebuilds when `previous`, a layout map, is given). Returns (info, layout map)."""
    size, inodes, data, entries = plan_size(root, opts, align)
    fsuuid = image_uuid(seed)
    if os.path.exists(img):
        os.unlink(img)
    log("ext2: %d entries, %d MiB of file data, image %d MiB%s"
        % (entries, data >> 20, size >> 20, ", layout of the previous build kept" if previous else ""))
    info, layout = ext2w.write_image(root, img, size, opts, epoch, fsuuid, max(chunk_size, 4096),
                                     previous, opts.get("label", "glassbox"))
    info["file_data_bytes"] = data
    fsck(img)
    return info, layout


def fsck(img):
    r = run(["e2fsck", "-fn", img], check=False, capture=True)
    if r.returncode != 0:
        raise BuildError("e2fsck -fn %s failed (exit %d):\n%s%s" % (img, r.returncode, r.stdout[-3000:], r.stderr[-2000:]))
    return r.stdout


class Geometry:
    def __init__(self, f):
        f.seek(1024)
        sb = f.read(1024)
        (self.inodes_count, self.blocks_count, _, _, _, self.first_data_block, log_bs, _,
         self.blocks_per_group, _, self.inodes_per_group) = struct.unpack_from("<11I", sb, 0)
        magic = struct.unpack_from("<H", sb, 56)[0]
        if magic != 0xEF53:
            raise BuildError("not an ext2 image (magic %#x)" % magic)
        self.rev = struct.unpack_from("<I", sb, 76)[0]
        self.inode_size = struct.unpack_from("<H", sb, 88)[0] if self.rev >= 1 else 128
        self.incompat = struct.unpack_from("<I", sb, 96)[0]
        self.desc_size = 32
        if self.incompat & 0x80:  # 64bit
            self.desc_size = struct.unpack_from("<H", sb, 254)[0] or 32
        self.block_size = 1024 << log_bs
        self.groups = (self.blocks_count - self.first_data_block + self.blocks_per_group - 1) // self.blocks_per_group
        f.seek((self.first_data_block + 1) * self.block_size)
        gdt = f.read(self.groups * self.desc_size)
        self.desc = []
        for g in range(self.groups):
            bb, ib, it = struct.unpack_from("<3I", gdt, g * self.desc_size)
            self.desc.append((bb, ib, it))
