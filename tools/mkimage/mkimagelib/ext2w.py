"""A directory tree -> ext2 image writer with a stable layout across rebuilds.

mke2fs -d places inodes and blocks in traversal order, so one added package
moves everything after it and changes almost every chunk of the image. This
writer produces the same kind of image (rev 1, 4 KiB blocks, 256-byte inodes,
sparse_super, large_file, filetype, ext_attr; linear directories, indirect
block maps, no journal) and can take the layout map of a previous build of
the same lineage: files keep their inode numbers and blocks, new or grown data
goes to chunks that held nothing before, so only the chunks whose bytes must
change (new data, changed directories, inode table slots, bitmaps, the
superblock and group descriptors) differ.

Layout map (layout.json): {"version", "lineage", "image_id" (filled by the
caller), "geometry": {...}, "files": {path: [ino, [[start, len], ...]]}}, the
block runs in allocation order (data and indirect blocks interleaved).
Extended attributes are not copied (the rootfs has none; they are counted).
"""

import hashlib
import json
import os
import stat
import struct

from .util import BuildError, log

EXT2_MAGIC = 0xEF53
ROOT_INO = 2
LPF_INO = 11
FIRST_INO = 11
COMPAT_EXT_ATTR = 0x8
INCOMPAT_FILETYPE = 0x2
RO_SPARSE_SUPER = 0x1
RO_LARGE_FILE = 0x2
FT = {stat.S_IFREG: 1, stat.S_IFDIR: 2, stat.S_IFCHR: 3, stat.S_IFBLK: 4,
      stat.S_IFIFO: 5, stat.S_IFSOCK: 6, stat.S_IFLNK: 7}
LAYOUT_VERSION = 1


def has_super(g):
    if g <= 1:
        return True
    for p in (3, 5, 7):
        n = p
        while n < g:
            n *= p
        if n == g:
            return True
    return False


class Node:
    __slots__ = ("path", "host", "st", "ino", "children", "data", "blocks", "nlink", "target")

    def __init__(self, path, host, st):
        self.path, self.host, self.st = path, host, st
        self.ino = 0
        self.children = None   # dirs: [(name, Node)]
        self.blocks = []       # physical blocks in allocation order
        self.nlink = 0
        self.target = None


def scan(root):
    """Walk `root` in sorted order: list of unique inodes (Nodes), root first."""
    nodes, by_hostino = [], {}
    xattrs = 0

    def visit(path, host, st):
        nonlocal xattrs
        key = (st.st_dev, st.st_ino)
        if not stat.S_ISDIR(st.st_mode) and key in by_hostino:
            n = by_hostino[key]
            n.nlink += 1
            return n
        n = Node(path, host, st)
        n.nlink = 1
        by_hostino[key] = n
        nodes.append(n)
        try:
            if os.listxattr(host, follow_symlinks=False):
                xattrs += 1
        except OSError:
            pass
        if stat.S_ISDIR(st.st_mode):
            n.children = []
            for name in sorted(os.listdir(host), key=os.fsencode):
                if path == "/" and name == "lost+found":
                    continue
                h = os.path.join(host, name)
                c = visit((path.rstrip("/") + "/" + name), h, os.lstat(h))
                n.children.append((name, c))
        elif stat.S_ISLNK(st.st_mode):
            n.target = os.fsencode(os.readlink(host))
        return n

    visit("/", root, os.lstat(root))
    if xattrs:
        log("ext2: %d entries have extended attributes; they are not copied" % xattrs)
    return nodes


class Geometry:
    def __init__(self, size, block_size, inode_size, inodes_min, prev=None):
        self.bs = block_size
        self.isz = inode_size
        self.bpg = 8 * block_size
        self.blocks = size // block_size
        self.groups = (self.blocks + self.bpg - 1) // self.bpg
        per_blk = block_size // inode_size
        if prev:
            self.ipg = prev["inodes_per_group"]
            self.gdt_blocks = prev["gdt_blocks"]
        else:
            ipg = -(-inodes_min // self.groups)
            self.ipg = -(-ipg // max(per_blk, 8)) * max(per_blk, 8)
            self.gdt_blocks = -(-(self.groups * 32) // block_size)
        if -(-(self.groups * 32) // block_size) > self.gdt_blocks:
            raise BuildError("ext2: the group descriptors outgrew the previous layout")
        self.itb = self.ipg * inode_size // block_size
        if self.ipg > 8 * block_size:
            raise BuildError("ext2: %d inodes per group is more than a bitmap block holds" % self.ipg)
        self.inodes = self.ipg * self.groups

    def meta(self, g):
        """(first block, block bitmap, inode bitmap, inode table, end of metadata) of group g."""
        start = g * self.bpg
        b = start + (1 + self.gdt_blocks if has_super(g) else 0)
        return start, b, b + 1, b + 2, b + 2 + self.itb

    def group_blocks(self, g):
        return min(self.bpg, self.blocks - g * self.bpg)

    def to_json(self):
        return {"block_size": self.bs, "inode_size": self.isz, "blocks_per_group": self.bpg,
                "inodes_per_group": self.ipg, "gdt_blocks": self.gdt_blocks}


class Allocator:
    """Blocks: `used` marks this build's blocks; fresh blocks come from chunks no
    block of the previous build touched, in order, then from anything free."""

    def __init__(self, geo, chunk_blocks, old_used):
        self.geo = geo
        self.used = bytearray(geo.blocks)
        self.old_used = old_used
        self.cb = chunk_blocks
        for g in range(geo.groups):
            s, _, _, _, e = geo.meta(g)
            self.used[s:e] = b"\1" * (e - s)
        self.pos = 0
        self.fallback = False

    def start_at(self, block):
        # where fresh allocation starts (a test knob: place data past 4 GiB)
        self.pos = max(0, min(block, self.geo.blocks - 1))

    def claim(self, b):
        if 0 <= b < self.geo.blocks and not self.used[b]:
            self.used[b] = 1
            return True
        return False

    def fresh(self):
        used, n = self.used, self.geo.blocks
        while True:
            p = self.pos
            while p < n:
                if self.fallback:
                    if not used[p]:
                        break
                    p += 1
                    continue
                c0 = p - p % self.cb
                if p == c0 and self.old_used is not None and any(self.old_used[c0:c0 + self.cb]):
                    p = c0 + self.cb
                    continue
                if not used[p]:
                    break
                p += 1
            if p < n:
                self.pos = p + 1
                used[p] = 1
                return p
            if self.fallback:
                raise BuildError("ext2: the image is full (%d blocks)" % n)
            self.fallback, self.pos = True, 0


class Source:
    """Blocks for one inode: its old blocks first (where still free), then fresh ones."""

    def __init__(self, alloc, old):
        self.alloc, self.old, self.i = alloc, old, 0

    def __call__(self):
        while self.i < len(self.old):
            b = self.old[self.i]
            self.i += 1
            if self.alloc.claim(b):
                return b
        return self.alloc.fresh()


def expand_runs(runs):
    out = []
    for s, n in runs:
        out.extend(range(s, s + n))
    return out


def to_runs(blocks):
    runs = []
    for b in blocks:
        if runs and runs[-1][0] + runs[-1][1] == b:
            runs[-1][1] += 1
        else:
            runs.append([b, 1])
    return runs


def map_blocks(data_blocks, nlogical, src, bs):
    """Allocate a block map for logical blocks 0..nlogical-1 where data_blocks[l]
    is True for blocks with data (holes are False). Returns (i_block[15],
    {logical: phys}, {index phys: [u32 ...]}, allocation order)."""
    per = bs // 4
    i_block = [0] * 15
    phys, index, order = {}, {}, []

    def new_index():
        b = src()
        order.append(b)
        index[b] = [0] * per
        return b

    for l in range(nlogical):
        if not data_blocks[l]:
            continue
        if l < 12:
            b = src(); order.append(b); i_block[l] = b; phys[l] = b
            continue
        r = l - 12
        if r < per:
            path, top = [r], 12
        elif r - per < per * per:
            r -= per
            path, top = [r // per, r % per], 13
        else:
            r -= per + per * per
            path, top = [r // (per * per), (r // per) % per, r % per], 14
        if not i_block[top]:
            i_block[top] = new_index()
        tbl = index[i_block[top]]
        for k in path[:-1]:
            if not tbl[k]:
                tbl[k] = new_index()
            tbl = index[tbl[k]]
        b = src(); order.append(b); tbl[path[-1]] = b; phys[l] = b
    return i_block, phys, index, order


def dir_blocks(entries, bs):
    """entries: [(name bytes, ino, ftype)] -> list of directory blocks (bytes)."""
    blocks, cur, used = [], [], 0
    for name, ino, ft in entries:
        need = (8 + len(name) + 3) & ~3
        if used + need > bs:
            blocks.append(cur)
            cur, used = [], 0
        cur.append((name, ino, ft, need))
        used += need
    blocks.append(cur)
    out = []
    for blk in blocks:
        buf = bytearray(bs)
        off = 0
        for i, (name, ino, ft, need) in enumerate(blk):
            rec = bs - off if i == len(blk) - 1 else need
            struct.pack_into("<IHBB", buf, off, ino, rec, len(name), ft)
            buf[off + 8:off + 8 + len(name)] = name
            off += need
        out.append(bytes(buf))
    return out


def write_image(root, img, size, opts, epoch, fsuuid, chunk_size, previous=None, label="glassbox"):
    """Write `root` into a new ext2 image `img` of `size` bytes. `previous`: a layout
    map of an earlier build of the same lineage. Returns (info, layout)."""
    bs = int(opts["block_size"])
    isz = int(opts["inode_size"])
    nodes = scan(root)
    inodes_min = len(nodes) + 10 + int(opts["extra_inodes"])
    if previous:
        # the previous geometry is kept: it must hold this tree's inodes (its headroom is
        # what the first build's extra_inodes left) and group descriptors
        pg = previous["geometry"]
        groups = -(-max(size, previous["image_size"]) // bs // pg["blocks_per_group"])
        if (pg["inodes_per_group"] * groups < len(nodes) + 11
                or -(-(groups * 32) // bs) > pg["gdt_blocks"]):
            log("ext2: the previous layout has too few inodes or group descriptors for this tree; "
                "new layout (every chunk changes)")
            previous = None
        else:
            inodes_min = len(nodes) + 11
    prev_files = {}
    old_used = None
    lineage = None
    if previous:
        pg = previous["geometry"]
        if pg["block_size"] != bs or pg["inode_size"] != isz:
            raise BuildError("--previous: block or inode size differs from this recipe's")
        size = max(size, previous["image_size"])
        prev_files = previous["files"]
        fsuuid = previous["uuid"]
        lineage = previous["lineage"]
    geo = Geometry(size, bs, isz, inodes_min, previous["geometry"] if previous else None)
    # a last group too small for its own metadata: grow the image to hold it
    while geo.group_blocks(geo.groups - 1) < (geo.meta(geo.groups - 1)[4] - (geo.groups - 1) * geo.bpg) + 64:
        size += chunk_size
        geo = Geometry(size, bs, isz, inodes_min, previous["geometry"] if previous else None)
    if geo.inodes < inodes_min:
        raise BuildError("ext2: %d inodes needed, the layout has %d" % (inodes_min, geo.inodes))
    cb = max(1, chunk_size // bs)
    if previous:
        old_used = bytearray(geo.blocks)
        og = Geometry(previous["image_size"], bs, isz, 0, previous["geometry"])
        for g in range(og.groups):
            s, _, _, _, e = og.meta(g)
            old_used[s:e] = b"\1" * (e - s)
        for ino, runs in prev_files.values():
            for s, n in runs:
                old_used[s:s + n] = b"\1" * n
    alloc = Allocator(geo, cb, old_used)
    if opts.get("alloc_start_mb"):
        alloc.start_at(int(opts["alloc_start_mb"]) * (1 << 20) // bs)
    lineage = lineage or "ext2:" + fsuuid

    # inode numbers: the previous ones where the path existed, then new ones after the old maximum
    taken = set(range(1, FIRST_INO + 1))
    root_node = nodes[0]
    root_node.ino = ROOT_INO
    for n in nodes[1:]:
        p = prev_files.get(n.path)
        if p and p[0] not in taken and p[0] <= geo.inodes:
            n.ino = p[0]
            taken.add(n.ino)
    nxt = max([FIRST_INO] + [p[0] for p in prev_files.values()]) + 1
    for n in nodes[1:]:
        if not n.ino:
            while nxt in taken:
                nxt += 1
            if nxt > geo.inodes:
                nxt = FIRST_INO + 1
                while nxt in taken:
                    nxt += 1
            if nxt > geo.inodes:
                raise BuildError("ext2: out of inodes")
            n.ino = nxt
            taken.add(nxt)

    f = open(img, "wb")
    f.truncate(geo.blocks * bs)
    itable = {}   # ino -> 256 bytes
    layout_files = {}
    dirs_per_group = [0] * geo.groups

    def put_block(b, data):
        f.seek(b * bs)
        f.write(data)

    def inode_bytes(st, mode, size_, links, i_block, nblocks, mtime, uid, gid):
        buf = bytearray(isz)
        mtime &= 0xFFFFFFFF
        struct.pack_into("<HHIIIIIHHII", buf, 0, mode, uid & 0xFFFF, size_ & 0xFFFFFFFF, mtime, epoch,
                         mtime, 0, gid & 0xFFFF, links, nblocks * (bs // 512) & 0xFFFFFFFF, 0)
        struct.pack_into("<15I", buf, 40, *i_block)
        struct.pack_into("<I", buf, 108, size_ >> 32)
        struct.pack_into("<HHHH", buf, 116, (nblocks * (bs // 512)) >> 32, 0, uid >> 16, gid >> 16)
        if isz > 128:
            struct.pack_into("<H", buf, 128, 32)
            struct.pack_into("<I", buf, 144, epoch)
        return bytes(buf)

    def write_data(n, chunks_iter, nlogical, present):
        old = expand_runs(prev_files[n.path][1]) if n.path in prev_files else []
        src = Source(alloc, old)
        i_block, phys, index, order = map_blocks(present, nlogical, src, bs)
        for l, data in chunks_iter:
            put_block(phys[l], data)
        for b, tbl in index.items():
            put_block(b, struct.pack("<%dI" % len(tbl), *tbl))
        return i_block, order

    def file_blocks(host, size_):
        nlog = -(-size_ // bs)
        present = [False] * nlog
        datas = []
        with open(host, "rb") as fh:
            fd = fh.fileno()
            pos = 0
            while pos < size_:
                try:   # skip holes without reading them (a sparse 5 GiB file is quick)
                    pos = os.lseek(fd, pos, os.SEEK_DATA)
                except OSError:
                    break
                end = os.lseek(fd, pos, os.SEEK_HOLE)
                l, last = pos // bs, -(-end // bs)
                fh.seek(l * bs)
                for l in range(l, last):
                    d = fh.read(bs)
                    if not d:
                        break
                    if d.count(0) != len(d):
                        present[l] = True
                        datas.append((l, d.ljust(bs, b"\0")))
                pos = last * bs
        return nlog, present, datas

    parent = {ROOT_INO: ROOT_INO}
    for n in nodes:
        if n.children is not None:
            for _, c in n.children:
                if c.children is not None:
                    parent[c.ino] = n.ino

    for n in nodes:
        st = n.st
        mode = st.st_mode
        fmt = stat.S_IFMT(mode)
        i_block = [0] * 15
        order = []
        size_ = 0
        links = n.nlink
        if fmt == stat.S_IFDIR:
            ents = [(b".", n.ino, 2), (b"..", parent[n.ino], 2)]
            if n.ino == ROOT_INO:
                ents.append((b"lost+found", LPF_INO, 2))
            ents += [(os.fsencode(name), c.ino, FT[stat.S_IFMT(c.st.st_mode)]) for name, c in n.children]
            ents[2:] = sorted(ents[2:])
            blks = dir_blocks(ents, bs)
            subdirs = sum(1 for _, c in n.children if c.children is not None) + (n.ino == ROOT_INO)
            links = 2 + subdirs
            size_ = len(blks) * bs
            i_block, order = write_data(n, list(enumerate(blks)), len(blks), [True] * len(blks))
            dirs_per_group[(n.ino - 1) // geo.ipg] += 1
        elif fmt == stat.S_IFREG:
            size_ = st.st_size
            nlog, present, datas = file_blocks(n.host, size_)
            i_block, order = write_data(n, datas, nlog, present)
        elif fmt == stat.S_IFLNK:
            size_ = len(n.target)
            if size_ < 60:
                raw = n.target.ljust(60, b"\0")
                i_block = list(struct.unpack("<15I", raw))
            else:
                if size_ >= bs:
                    raise BuildError("symlink %s: target longer than a block" % n.path)
                i_block, order = write_data(n, [(0, n.target.ljust(bs, b"\0"))], 1, [True])
        elif fmt in (stat.S_IFCHR, stat.S_IFBLK):
            ma, mi = os.major(st.st_rdev), os.minor(st.st_rdev)
            if ma < 256 and mi < 256:
                i_block[0] = (ma << 8) | mi
            else:
                i_block[1] = (mi & 0xFF) | (ma << 8) | ((mi & ~0xFF) << 12)
        itable[n.ino] = inode_bytes(st, mode, size_, links, i_block, len(order), int(st.st_mtime),
                                    st.st_uid, st.st_gid)
        if n.ino != ROOT_INO:
            layout_files[n.path] = [n.ino, to_runs(order)]
        else:
            layout_files["/"] = [ROOT_INO, to_runs(order)]

    # lost+found: 4 blocks (16 KiB) as mke2fs makes it
    lpf = Node("/lost+found", None, None)
    lpf.path = "/lost+found"
    ents = dir_blocks([(b".", LPF_INO, 2), (b"..", ROOT_INO, 2)], bs)
    empty = bytearray(bs)
    struct.pack_into("<IH", empty, 0, 0, bs)
    blks = ents + [bytes(empty)] * 3
    i_block, order = write_data(lpf, list(enumerate(blks)), 4, [True] * 4)
    itable[LPF_INO] = inode_bytes(None, 0o40700, 4 * bs, 2, i_block, 4, epoch, 0, 0)
    layout_files["/lost+found"] = [LPF_INO, to_runs(order)]
    dirs_per_group[(LPF_INO - 1) // geo.ipg] += 1
    # inode 1 (bad blocks): empty, with times as mke2fs writes them
    bad = bytearray(isz)
    struct.pack_into("<III", bad, 8, epoch, epoch, epoch)
    if isz > 128:
        struct.pack_into("<H", bad, 128, 32)
    itable[1] = bytes(bad)

    # inode tables, bitmaps, group descriptors, superblocks
    used_inodes = set(range(1, FIRST_INO)) | set(itable)
    free_blocks_total = free_inodes_total = 0
    gdt = bytearray(geo.gdt_blocks * bs)
    for g in range(geo.groups):
        start, bb, ib, it, end = geo.meta(g)
        nblk = geo.group_blocks(g)
        bm = bytearray(bs)
        used = alloc.used[start:start + nblk]
        for i in range(nblk):
            if used[i]:
                bm[i >> 3] |= 1 << (i & 7)
        for i in range(nblk, 8 * bs):   # past the end of the last group
            bm[i >> 3] |= 1 << (i & 7)
        free_b = nblk - used.count(1)
        put_block(bb, bytes(bm))
        im = bytearray(bs)
        table = bytearray(geo.itb * bs)
        free_i = 0
        for i in range(geo.ipg):
            ino = g * geo.ipg + i + 1
            if ino in used_inodes:
                im[i >> 3] |= 1 << (i & 7)
                if ino in itable:
                    table[i * isz:(i + 1) * isz] = itable[ino]
            else:
                free_i += 1
        for i in range(geo.ipg, 8 * bs):
            im[i >> 3] |= 1 << (i & 7)
        put_block(ib, bytes(im))
        f.seek(it * bs)
        f.write(table)
        struct.pack_into("<IIIHHH", gdt, g * 32, bb, ib, it, free_b, free_i, dirs_per_group[g])
        free_blocks_total += free_b
        free_inodes_total += free_i

    uuid_bytes = bytes.fromhex(fsuuid.replace("-", ""))
    for g in range(geo.groups):
        if not has_super(g):
            continue
        sb = bytearray(1024)
        struct.pack_into("<13I", sb, 0, geo.inodes, geo.blocks, 0, free_blocks_total, free_inodes_total,
                         0, 2 if bs == 4096 else bs.bit_length() - 11, 2 if bs == 4096 else bs.bit_length() - 11,
                         geo.bpg, geo.bpg, geo.ipg, 0, epoch)
        struct.pack_into("<HhHHHHIIIIHH", sb, 52, 0, -1, EXT2_MAGIC, 1, 1, 0, epoch, 0, 0, 1, 0, 0)
        struct.pack_into("<IHH", sb, 84, FIRST_INO, isz, g)
        struct.pack_into("<III", sb, 92, COMPAT_EXT_ATTR, INCOMPAT_FILETYPE, RO_SPARSE_SUPER | RO_LARGE_FILE)
        sb[104:120] = uuid_bytes
        sb[120:136] = label.encode()[:16].ljust(16, b"\0")
        sb[236:252] = uuid_bytes            # s_hash_seed
        sb[252] = 1                         # s_def_hash_version: half_md4
        struct.pack_into("<I", sb, 256, 0x0004 | 0x0008)   # default mount opts: user_xattr, acl
        struct.pack_into("<I", sb, 264, epoch)             # s_mkfs_time
        struct.pack_into("<HH", sb, 348, 32, 32)           # min/want extra isize
        struct.pack_into("<I", sb, 352, 0x0001)            # s_flags: signed directory hash
        start = g * geo.bpg
        if g == 0:
            f.seek(1024)
        else:
            f.seek(start * bs)
        f.write(sb)
        f.seek((start + 1) * bs)
        f.write(gdt)
    f.close()

    layout = {"version": LAYOUT_VERSION, "lineage": lineage, "uuid": fsuuid,
              "image_size": geo.blocks * bs, "geometry": geo.to_json(), "files": layout_files}
    info = {"image_size": geo.blocks * bs, "inodes": geo.inodes, "entries": len(nodes),
            "uuid": fsuuid, "features": "sparse_super,large_file,filetype,ext_attr",
            "free_blocks": free_blocks_total, "lineage": lineage,
            "reused_paths": sum(1 for p in layout_files if p in prev_files) if previous else 0}
    return info, layout


def load_layout(path):
    """A layout map from a file or from a build output directory (DIR/layout.json)."""
    if os.path.isdir(path):
        path = os.path.join(path, "layout.json")
    elif os.path.basename(path) == "manifest.json":
        path = os.path.join(os.path.dirname(path), "layout.json")
    if not os.path.exists(path):
        raise BuildError("--previous: no layout map at %s (built by an older mkimage?)" % path)
    with open(path) as fh:
        m = json.load(fh)
    if m.get("version") != LAYOUT_VERSION or "files" not in m:
        raise BuildError("%s: not a layout map (version %d)" % (path, LAYOUT_VERSION))
    return m


def layout_hash(m):
    return hashlib.sha256(json.dumps(m, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
