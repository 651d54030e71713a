// vm/fs/ext2.cpp — mount, superblock and group descriptors, the metadata cache, inodes,
// block and inode allocation, sync. Files: ext2_file.cpp; directories: ext2_dir.cpp.
#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <ctime>

#include "vm/fs/ext2_impl.h"

namespace gb::fs {

using namespace e2;

const char* ext2_read_kind_name(Ext2ReadKind k) {
  switch (k) {
    case Ext2ReadKind::Data: return "data";
    case Ext2ReadKind::Inode: return "inode";
    case Ext2ReadKind::Bitmap: return "bitmap";
    case Ext2ReadKind::Indirect: return "indirect";
    case Ext2ReadKind::Dir: return "dir";
    case Ext2ReadKind::Super: return "super";
    case Ext2ReadKind::Xattr: return "xattr";
    case Ext2ReadKind::Symlink: return "symlink";
  }
  return "?";
}

namespace e2 {
uint8_t mode_to_ft(uint32_t mode) {
  switch (mode & S_IFMT_) {
    case S_IFREG_: return FT_REG;
    case S_IFDIR_: return FT_DIR;
    case S_IFCHR_: return FT_CHR;
    case S_IFBLK_: return FT_BLK;
    case S_IFIFO_: return FT_FIFO;
    case S_IFSOCK_: return FT_SOCK;
    case S_IFLNK_: return FT_LNK;
  }
  return FT_UNKNOWN;
}
uint8_t ft_to_dt(uint8_t ft) {
  static const uint8_t m[8] = {EXT2_DT_UNKNOWN, EXT2_DT_REG,  EXT2_DT_DIR,  EXT2_DT_CHR,
                               EXT2_DT_BLK,     EXT2_DT_FIFO, EXT2_DT_SOCK, EXT2_DT_LNK};
  return ft < 8 ? m[ft] : EXT2_DT_UNKNOWN;
}
}  // namespace e2

namespace {

struct FeatureName {
  uint32_t bit;
  const char* name;
};
const FeatureName kCompat[] = {{0x1, "dir_prealloc"},    {0x2, "imagic_inodes"}, {0x4, "has_journal"},
                               {0x8, "ext_attr"},        {0x10, "resize_inode"}, {0x20, "dir_index"},
                               {0x40, "lazy_bg"},        {0x80, "exclude_inode"}, {0x100, "exclude_bitmap"},
                               {0x200, "sparse_super2"}, {0x400, "fast_commit"}, {0x800, "stable_inodes"},
                               {0x1000, "orphan_file"}};
const FeatureName kIncompat[] = {{0x1, "compression"}, {0x2, "filetype"},    {0x4, "needs_recovery"},
                                 {0x8, "journal_dev"},  {0x10, "meta_bg"},    {0x40, "extent"},
                                 {0x80, "64bit"},       {0x100, "mmp"},       {0x200, "flex_bg"},
                                 {0x400, "ea_inode"},   {0x1000, "dirdata"},  {0x2000, "metadata_csum_seed"},
                                 {0x4000, "large_dir"}, {0x8000, "inline_data"}, {0x10000, "encrypt"},
                                 {0x20000, "casefold"}};
const FeatureName kRoCompat[] = {{0x1, "sparse_super"},  {0x2, "large_file"},    {0x4, "btree_dir"},
                                 {0x8, "huge_file"},     {0x10, "uninit_bg"},    {0x20, "dir_nlink"},
                                 {0x40, "extra_isize"},  {0x80, "snapshot"},     {0x100, "quota"},
                                 {0x200, "bigalloc"},    {0x400, "metadata_csum"}, {0x800, "replica"},
                                 {0x1000, "read-only"},  {0x2000, "project"},    {0x4000, "shared_blocks"},
                                 {0x8000, "verity"},     {0x10000, "orphan_present"}};

template <size_t N>
std::string names(const FeatureName (&tab)[N], uint32_t bits) {
  std::string s;
  for (const auto& f : tab) {
    if (!(bits & f.bit)) continue;
    if (!s.empty()) s += ",";
    s += f.name;
    bits &= ~f.bit;
  }
  for (int b = 0; b < 32; b++) {
    if (!(bits & (1u << b))) continue;
    if (!s.empty()) s += ",";
    char tmp[32];
    snprintf(tmp, sizeof tmp, "unknown(0x%x)", 1u << b);
    s += tmp;
  }
  return s;
}

bool is_power_of(uint32_t n, uint32_t b) {
  while (n > 1 && n % b == 0) n /= b;
  return n == 1;
}

}  // namespace

// ---------------------------------------------------------------- basics

int64_t Ext2::Impl::now() const { return opt.now ? opt.now() : int64_t(::time(nullptr)); }

void Ext2::Impl::corrupt(const std::string& what) {
  last_error = "ext2: corrupt metadata: " + what;
  ctr.corruptions++;
  throw Error{LX_EIO};
}

void Ext2::Impl::check_block(uint64_t b, const char* what) {
  if (!valid_block(b)) corrupt(std::string(what) + " points to block " + std::to_string(b) + " (outside 1.." +
                               std::to_string(blocks_count) + ")");
}

void Ext2::Impl::check_ino(uint32_t ino) {
  if (ino == 0 || ino > inodes_count) corrupt("inode number " + std::to_string(ino) + " out of range");
}

bool Ext2::Impl::group_has_super(uint32_t g) const {
  if (!(ro_compat & RO_COMPAT_SPARSE_SUPER)) return true;
  if (g <= 1) return true;
  return is_power_of(g, 3) || is_power_of(g, 5) || is_power_of(g, 7);
}

bool Ext2::Impl::is_group_metadata(uint32_t blk) const {
  if (blk < first_data_block || blk >= blocks_count) return true;
  uint32_t g = (blk - first_data_block) / bpg;
  uint32_t base = first_data_block + g * bpg;
  if (group_has_super(g)) {
    uint32_t reserved = (compat & COMPAT_RESIZE_INODE) ? get16(sb + 206) : 0;
    if (blk < base + 1 + gdt_blocks + reserved) return true;
  }
  const Group& gr = groups[g];
  if (blk == gr.block_bitmap || blk == gr.inode_bitmap) return true;
  if (blk >= gr.inode_table && blk < gr.inode_table + inode_table_blocks) return true;
  return false;
}

uint32_t Ext2::Impl::inode_group_goal(uint32_t ino) const {
  uint32_t g = (ino - 1) / ipg;
  if (g >= ngroups) g = 0;
  const Group& gr = groups[g];
  // just past the group's inode table (where mke2fs starts its data)
  uint32_t goal = gr.inode_table + inode_table_blocks;
  return valid_block(goal) ? goal : first_data_block;
}

// ---------------------------------------------------------------- buffer cache

Ext2::Impl::Ref Ext2::Impl::bread(uint32_t blk, Ext2ReadKind kind, uint32_t ino, uint64_t lblk) {
  if (blk >= blocks_count) corrupt("read of block " + std::to_string(blk) + " past the end");
  auto it = bufs.find(blk);
  if (it != bufs.end()) {
    Buf* b = it->second.get();
    lru.splice(lru.begin(), lru, b->lru);
    ctr.meta_hits++;
    return Ref(b);
  }
  std::unique_ptr<Buf> b(new Buf());
  b->blk = blk;
  b->kind = kind;
  b->ino = ino;
  b->data.resize(bs);
  ReadInfo ri;
  int rc = dev->read(uint64_t(blk) * bs, b->data.data(), bs, &ri);
  if (rc) {
    last_error = "ext2: device read of block " + std::to_string(blk) + " failed: " + errno_message(-rc);
    fail(LX_EIO);
  }
  ctr.meta_reads++;
  if (trace) {
    Ext2TraceEvent ev;
    ev.ino = ino;
    ev.kind = kind;
    ev.source = ri.source;
    ev.lblk = lblk;
    ev.pblk = blk;
    ev.bytes_fetched = ri.bytes_fetched;
    ev.chunk = ri.chunk;
    emit(ev);
  }
  Buf* raw = b.get();
  lru.push_front(raw);
  raw->lru = lru.begin();
  bufs.emplace(blk, std::move(b));
  trim_cache();
  return Ref(raw);
}

Ext2::Impl::Ref Ext2::Impl::bnew(uint32_t blk, Ext2ReadKind kind, uint32_t ino) {
  auto it = bufs.find(blk);
  Buf* b;
  if (it != bufs.end()) {
    b = it->second.get();
    lru.splice(lru.begin(), lru, b->lru);
    std::fill(b->data.begin(), b->data.end(), 0);
  } else {
    std::unique_ptr<Buf> nb(new Buf());
    nb->blk = blk;
    nb->data.assign(bs, 0);
    b = nb.get();
    lru.push_front(b);
    b->lru = lru.begin();
    bufs.emplace(blk, std::move(nb));
  }
  b->kind = kind;  // (what its write-back's trace event names)
  b->ino = ino;
  b->dirty = true;
  Ref r(b);
  trim_cache();
  return r;
}

void Ext2::Impl::bforget(uint32_t blk) {
  auto it = bufs.find(blk);
  if (it == bufs.end()) return;
  Buf* b = it->second.get();
  if (b->pins) {  // still in use by the running call: keep it, but never write it
    b->dirty = false;
    return;
  }
  lru.erase(b->lru);
  bufs.erase(it);
}

int Ext2::Impl::write_back(Buf* b) {
  if (!b->dirty) return 0;
  int rc = dev->write(uint64_t(b->blk) * bs, b->data.data(), bs);
  if (rc) {
    last_error = "ext2: device write of block " + std::to_string(b->blk) + " failed: " + errno_message(-rc);
    return rc;
  }
  b->dirty = false;
  emit_write(b->kind, b->ino, 0, b->blk, 1);
  return 0;
}

void Ext2::Impl::trim_cache() {
  if (bufs.size() <= opt.cache_blocks) return;
  auto it = lru.end();
  while (bufs.size() > opt.cache_blocks && it != lru.begin()) {
    --it;
    Buf* b = *it;
    if (b->pins) continue;
    if (b->dirty && write_back(b)) fail(LX_EIO);
    auto victim = it;
    ++it;  // stays valid: erase only invalidates `victim`
    lru.erase(victim);
    bufs.erase(b->blk);
  }
}

// ---------------------------------------------------------------- inodes

void Ext2::Impl::read_inode(uint32_t ino, Inode* in) {
  check_ino(ino);
  uint32_t g = (ino - 1) / ipg, idx = (ino - 1) % ipg;
  uint64_t off = uint64_t(idx) * inode_size;
  uint32_t blk = groups[g].inode_table + uint32_t(off / bs);
  Ref r = bread(blk, Ext2ReadKind::Inode, ino);
  const uint8_t* p = r.data() + off % bs;
  *in = Inode();
  in->ino = ino;
  in->mode = get16(p);
  in->uid = get16(p + 2) | uint32_t(get16(p + 120)) << 16;
  in->size = get32(p + 4);
  in->atime = int32_t(get32(p + 8));
  in->ctime = int32_t(get32(p + 12));
  in->mtime = int32_t(get32(p + 16));
  in->dtime = get32(p + 20);
  in->gid = get16(p + 24) | uint32_t(get16(p + 122)) << 16;
  in->links = get16(p + 26);
  in->blocks = get32(p + 28);
  in->flags = get32(p + 32);
  for (int i = 0; i < 15; i++) in->block[i] = get32(p + 40 + 4 * i);
  in->generation = get32(p + 100);
  in->file_acl = get32(p + 104);
  if (!is_dir(in->mode)) in->size |= uint64_t(get32(p + 108)) << 32;
}

void Ext2::Impl::write_inode(const Inode& in) {
  need_rw();
  check_ino(in.ino);
  uint32_t g = (in.ino - 1) / ipg, idx = (in.ino - 1) % ipg;
  uint64_t off = uint64_t(idx) * inode_size;
  uint32_t blk = groups[g].inode_table + uint32_t(off / bs);
  Ref r = bread(blk, Ext2ReadKind::Inode, in.ino);
  uint8_t* p = r.data() + off % bs;
  put16(p, in.mode);
  put16(p + 2, in.uid & 0xFFFF);
  put32(p + 4, uint32_t(in.size));
  put32(p + 8, uint32_t(in.atime));
  put32(p + 12, uint32_t(in.ctime));
  put32(p + 16, uint32_t(in.mtime));
  put32(p + 20, in.dtime);
  put16(p + 24, in.gid & 0xFFFF);
  put16(p + 26, in.links);
  put32(p + 28, in.blocks);
  put32(p + 32, in.flags);
  for (int i = 0; i < 15; i++) put32(p + 40 + 4 * i, in.block[i]);
  put32(p + 100, in.generation);
  put32(p + 104, in.file_acl);
  put32(p + 108, is_dir(in.mode) ? 0 : uint32_t(in.size >> 32));
  put16(p + 120, in.uid >> 16);
  put16(p + 122, in.gid >> 16);
  r.dirty();
  if (!is_dir(in.mode) && in.size >= (uint64_t(1) << 31) && !(ro_compat & RO_COMPAT_LARGE_FILE) && rev >= 1) {
    ro_compat |= RO_COMPAT_LARGE_FILE;
    sb_dirty = true;
  }
}

// ---------------------------------------------------------------- allocation

namespace {
// first zero bit in [from, to) of a bitmap, or -1
int64_t find_zero(const uint8_t* bm, uint32_t from, uint32_t to) {
  uint32_t i = from;
  while (i < to && (i & 7)) {
    if (!(bm[i >> 3] & (1 << (i & 7)))) return i;
    i++;
  }
  while (i + 8 <= to) {
    if (bm[i >> 3] != 0xFF) {
      for (int k = 0; k < 8; k++)
        if (!(bm[i >> 3] & (1 << k))) return i + k;
    }
    i += 8;
  }
  while (i < to) {
    if (!(bm[i >> 3] & (1 << (i & 7)))) return i;
    i++;
  }
  return -1;
}
}  // namespace

uint32_t Ext2::Impl::alloc_block(uint32_t goal) {
  need_rw();
  if (!valid_block(goal)) goal = first_data_block;
  uint32_t g0 = (goal - first_data_block) / bpg;
  for (uint32_t i = 0; i <= ngroups; i++) {
    uint32_t g = (g0 + i) % ngroups;
    Group& gr = groups[g];
    if (gr.free_blocks == 0) continue;
    uint32_t base = first_data_block + g * bpg;
    uint32_t nbits = std::min<uint64_t>(bpg, uint64_t(blocks_count) - base);
    uint32_t start = (i == 0) ? (goal - first_data_block) % bpg : 0;
    if (start >= nbits) start = 0;
    Ref bm = bread(gr.block_bitmap, Ext2ReadKind::Bitmap);
    int64_t bit = find_zero(bm.data(), start, nbits);
    if (bit < 0 && start) bit = find_zero(bm.data(), 0, start);
    if (bit < 0) continue;  // the count was stale: try the next group
    uint32_t blk = base + uint32_t(bit);
    if (is_group_metadata(blk)) corrupt("the block bitmap of group " + std::to_string(g) + " marks metadata free");
    bm.data()[bit >> 3] |= uint8_t(1 << (bit & 7));
    bm.dirty();
    gr.free_blocks--;
    gdt_dirty[g * 32 / bs] = true;
    if (free_blocks) free_blocks--;
    sb_dirty = true;
    ctr.blocks_allocated++;
    bforget(blk);
    return blk;
  }
  fail(LX_ENOSPC);
}

void Ext2::Impl::free_block(uint32_t blk) {
  if (!valid_block(blk) || is_group_metadata(blk)) {
    ctr.corruptions++;  // a bad pointer: never free metadata
    return;
  }
  uint32_t g = (blk - first_data_block) / bpg, bit = (blk - first_data_block) % bpg;
  Group& gr = groups[g];
  Ref bm = bread(gr.block_bitmap, Ext2ReadKind::Bitmap);
  uint8_t& byte = bm.data()[bit >> 3];
  bforget(blk);
  if (!(byte & (1 << (bit & 7)))) {
    ctr.corruptions++;  // already free (cross-linked block): keep the counts honest
    return;
  }
  byte &= uint8_t(~(1 << (bit & 7)));
  bm.dirty();
  gr.free_blocks++;
  gdt_dirty[g * 32 / bs] = true;
  free_blocks++;
  sb_dirty = true;
  ctr.blocks_freed++;
}

uint32_t Ext2::Impl::alloc_inode(uint32_t dir_ino, bool dir) {
  need_rw();
  uint32_t pg = dir_ino ? (dir_ino - 1) / ipg : 0;
  if (pg >= ngroups) pg = 0;
  std::vector<uint32_t> order;
  if (dir) {
    // spread directories: groups with at least the average of free inodes, most free blocks first
    uint64_t total = 0;
    for (auto& g : groups) total += g.free_inodes;
    uint64_t avg = total / ngroups;
    std::vector<uint32_t> good;
    for (uint32_t g = 0; g < ngroups; g++)
      if (groups[g].free_inodes && groups[g].free_inodes >= avg) good.push_back(g);
    std::stable_sort(good.begin(), good.end(),
                     [&](uint32_t a, uint32_t b) { return groups[a].free_blocks > groups[b].free_blocks; });
    order = good;
  } else {
    // the parent's group, then quadratic probing, like Linux
    order.push_back(pg);
    for (uint32_t i = 1; i < ngroups; i <<= 1) order.push_back((pg + i) % ngroups);
  }
  for (uint32_t i = 0; i < ngroups; i++) order.push_back((pg + i) % ngroups);
  for (uint32_t g : order) {
    Group& gr = groups[g];
    if (gr.free_inodes == 0) continue;
    Ref bm = bread(gr.inode_bitmap, Ext2ReadKind::Bitmap);
    uint32_t from = 0;
    if (g == 0 && first_ino > 1) from = first_ino - 1;
    if (from >= ipg) continue;
    int64_t bit = find_zero(bm.data(), from, ipg);
    if (bit < 0) continue;
    uint32_t ino = g * ipg + uint32_t(bit) + 1;
    if (ino > inodes_count) continue;
    bm.data()[bit >> 3] |= uint8_t(1 << (bit & 7));
    bm.dirty();
    gr.free_inodes--;
    if (dir) gr.used_dirs++;
    gdt_dirty[g * 32 / bs] = true;
    if (free_inodes) free_inodes--;
    sb_dirty = true;
    ctr.inodes_allocated++;
    return ino;
  }
  fail(LX_ENOSPC);
}

void Ext2::Impl::free_inode(uint32_t ino, bool was_dir) {
  check_ino(ino);
  uint32_t g = (ino - 1) / ipg, bit = (ino - 1) % ipg;
  Group& gr = groups[g];
  Ref bm = bread(gr.inode_bitmap, Ext2ReadKind::Bitmap);
  uint8_t& byte = bm.data()[bit >> 3];
  if (!(byte & (1 << (bit & 7)))) {
    ctr.corruptions++;
    return;
  }
  byte &= uint8_t(~(1 << (bit & 7)));
  bm.dirty();
  gr.free_inodes++;
  if (was_dir && gr.used_dirs) gr.used_dirs--;
  gdt_dirty[g * 32 / bs] = true;
  free_inodes++;
  sb_dirty = true;
  ctr.inodes_freed++;
}

// Extended attribute block: header magic 0xEA020000, h_refcount at offset 4.
void Ext2::Impl::release_xattr(uint32_t blk) {
  if (!blk) return;
  if (!valid_block(blk)) {
    ctr.corruptions++;
    return;
  }
  Ref r = bread(blk, Ext2ReadKind::Xattr);
  if (get32(r.data()) != 0xEA020000) {
    ctr.corruptions++;
    return;
  }
  uint32_t refc = get32(r.data() + 4);
  if (refc > 1) {
    put32(r.data() + 4, refc - 1);
    r.dirty();
    return;
  }
  free_block(blk);
}

// ---------------------------------------------------------------- mount

Ext2::Ext2(std::unique_ptr<Impl> impl) : p_(std::move(impl)) {}
Ext2::~Ext2() = default;

int Ext2::mount(BlockDevice* dev, const Ext2Options& opt, std::unique_ptr<Ext2>* out, std::string* err) {
  auto refuse = [&](int code, const std::string& m) {
    if (err) *err = "ext2: " + m;
    return -code;
  };
  std::unique_ptr<Impl> p(new Impl());
  p->dev = dev;
  p->opt = opt;
  if (p->opt.cache_blocks < 64) p->opt.cache_blocks = 64;
  if (dev->size() < 2048) return refuse(LX_EINVAL, "device too small for ext2");
  int rc = dev->read(1024, p->sb, 1024);
  if (rc) return refuse(LX_EIO, std::string("cannot read the superblock: ") + errno_message(-rc));
  const uint8_t* s = p->sb;
  if (get16(s + 56) != 0xEF53) return refuse(LX_EINVAL, "not an ext2 file system (bad magic)");
  p->rev = get32(s + 76);
  if (p->rev > 1) return refuse(LX_EINVAL, "unsupported revision " + std::to_string(p->rev));
  p->log_bs = get32(s + 24);
  if (p->log_bs > 6) return refuse(LX_EINVAL, "unsupported block size (log " + std::to_string(p->log_bs) + ")");
  p->bs = 1024u << p->log_bs;
  p->inodes_count = get32(s + 0);
  p->blocks_count = get32(s + 4);
  p->r_blocks = get32(s + 8);
  p->free_blocks = get32(s + 12);
  p->free_inodes = get32(s + 16);
  p->first_data_block = get32(s + 20);
  p->bpg = get32(s + 32);
  p->ipg = get32(s + 40);
  if (p->rev >= 1) {
    p->first_ino = get32(s + 84);
    p->inode_size = get16(s + 88);
    p->compat = get32(s + 92);
    p->incompat = get32(s + 96);
    p->ro_compat = get32(s + 100);
  }
  uint32_t bad_in = p->incompat & ~SUPPORTED_INCOMPAT;
  if (bad_in) return refuse(LX_EINVAL, "unsupported incompatible features: " + names(kIncompat, bad_in));
  uint32_t bad_ro = p->ro_compat & ~SUPPORTED_RO_COMPAT;
  p->ro = opt.read_only || !dev->writable();
  if (bad_ro && !p->ro)
    return refuse(LX_EINVAL, "unsupported read-only-compatible features: " + names(kRoCompat, bad_ro) +
                              " (mount read-only to read it)");
  // geometry
  uint32_t bs = p->bs;
  if (p->first_data_block != (bs == 1024 ? 1u : 0u))
    return refuse(LX_EINVAL, "first data block " + std::to_string(p->first_data_block) + " is wrong for " +
                              std::to_string(bs) + "-byte blocks");
  if (p->bpg < 8 || p->bpg > 8 * bs || p->bpg % 8)
    return refuse(LX_EINVAL, "bad blocks per group " + std::to_string(p->bpg));
  if (p->ipg < 1 || p->ipg > 8 * bs) return refuse(LX_EINVAL, "bad inodes per group " + std::to_string(p->ipg));
  if (p->inode_size < 128 || p->inode_size > bs || (p->inode_size & (p->inode_size - 1)))
    return refuse(LX_EINVAL, "bad inode size " + std::to_string(p->inode_size));
  if (p->blocks_count <= p->first_data_block + 1) return refuse(LX_EINVAL, "block count too small");
  if (uint64_t(p->blocks_count) * bs > dev->size())
    return refuse(LX_EINVAL, "the image is truncated: " + std::to_string(p->blocks_count) + " blocks of " +
                              std::to_string(bs) + " bytes do not fit in " + std::to_string(dev->size()) + " bytes");
  p->ngroups = (p->blocks_count - p->first_data_block + p->bpg - 1) / p->bpg;
  if (uint64_t(p->ngroups) * p->ipg != p->inodes_count)
    return refuse(LX_EINVAL, "inode count " + std::to_string(p->inodes_count) + " != groups x inodes per group");
  if (p->first_ino < 11 && p->rev >= 1) return refuse(LX_EINVAL, "bad first inode " + std::to_string(p->first_ino));
  if (p->first_ino >= p->inodes_count) return refuse(LX_EINVAL, "first inode past the inode count");
  p->inode_table_blocks = uint32_t((uint64_t(p->ipg) * p->inode_size + bs - 1) / bs);
  p->addr_per_block = bs / 4;
  uint64_t a = p->addr_per_block;
  p->max_lblk = 12 + a + a * a + a * a * a;
  p->gdt_block = p->first_data_block + 1;
  p->gdt_blocks = uint32_t((uint64_t(p->ngroups) * 32 + bs - 1) / bs);
  if (p->gdt_block + p->gdt_blocks > p->blocks_count) return refuse(LX_EINVAL, "group descriptors past the end");
  p->gdt_raw.resize(size_t(p->gdt_blocks) * bs);
  rc = dev->read(uint64_t(p->gdt_block) * bs, p->gdt_raw.data(), p->gdt_raw.size());
  if (rc) return refuse(LX_EIO, std::string("cannot read the group descriptors: ") + errno_message(-rc));
  p->gdt_dirty.assign(p->gdt_blocks, false);
  p->groups.resize(p->ngroups);
  uint64_t sum_free_blocks = 0, sum_free_inodes = 0;
  for (uint32_t g = 0; g < p->ngroups; g++) {
    const uint8_t* d = p->gdt_raw.data() + size_t(g) * 32;
    Impl::Group& gr = p->groups[g];
    gr.block_bitmap = get32(d);
    gr.inode_bitmap = get32(d + 4);
    gr.inode_table = get32(d + 8);
    gr.free_blocks = get16(d + 12);
    gr.free_inodes = get16(d + 14);
    gr.used_dirs = get16(d + 16);
    std::string at = "group " + std::to_string(g) + ": ";
    if (!p->valid_block(gr.block_bitmap) || !p->valid_block(gr.inode_bitmap))
      return refuse(LX_EINVAL, at + "bitmap block out of range");
    if (!p->valid_block(gr.inode_table) || uint64_t(gr.inode_table) + p->inode_table_blocks > p->blocks_count)
      return refuse(LX_EINVAL, at + "inode table out of range");
    if (gr.inode_table <= p->gdt_block && p->gdt_block < gr.inode_table + p->inode_table_blocks)
      return refuse(LX_EINVAL, at + "inode table overlaps the group descriptors");
    uint32_t gblocks = std::min<uint64_t>(p->bpg, uint64_t(p->blocks_count) - p->first_data_block - uint64_t(g) * p->bpg);
    if (gr.free_blocks > gblocks || gr.free_inodes > p->ipg || gr.used_dirs > p->ipg)
      return refuse(LX_EINVAL, at + "free counts out of range");
    sum_free_blocks += gr.free_blocks;
    sum_free_inodes += gr.free_inodes;
  }
  // the superblock's counts are only a summary: the groups' are authoritative
  p->free_blocks = uint32_t(sum_free_blocks);
  p->free_inodes = uint32_t(sum_free_inodes);
  p->generation = uint32_t(p->now()) * 2654435761u;
  std::unique_ptr<Ext2> fs(new Ext2(std::move(p)));
  // the root must be a directory
  Ext2Stat st;
  int r = fs->stat(kRootIno, &st);
  if (r) return refuse(LX_EIO, "cannot read the root inode: " + fs->p_->last_error);
  if (!is_dir(st.mode)) return refuse(LX_EIO, "the root inode is not a directory");
  *out = std::move(fs);
  return 0;
}

// ---------------------------------------------------------------- sync

int Ext2::sync() {
  Impl* p = p_.get();
  if (p->ro) return 0;
  return guard(p, [&]() -> int {
    std::vector<Impl::Buf*> dirty;
    for (auto& kv : p->bufs)
      if (kv.second->dirty) dirty.push_back(kv.second.get());
    std::sort(dirty.begin(), dirty.end(), [](Impl::Buf* a, Impl::Buf* b) { return a->blk < b->blk; });
    for (Impl::Buf* b : dirty)
      if (p->write_back(b)) return -LX_EIO;
    for (uint32_t g = 0; g < p->ngroups; g++) {
      uint8_t* d = p->gdt_raw.data() + size_t(g) * 32;
      const Impl::Group& gr = p->groups[g];
      if (get16(d + 12) != gr.free_blocks || get16(d + 14) != gr.free_inodes || get16(d + 16) != gr.used_dirs) {
        put16(d + 12, gr.free_blocks);
        put16(d + 14, gr.free_inodes);
        put16(d + 16, gr.used_dirs);
        p->gdt_dirty[size_t(g) * 32 / p->bs] = true;
      }
    }
    for (uint32_t i = 0; i < p->gdt_blocks; i++) {
      if (!p->gdt_dirty[i]) continue;
      int rc = p->dev->write(uint64_t(p->gdt_block + i) * p->bs, p->gdt_raw.data() + size_t(i) * p->bs, p->bs);
      if (rc) return rc;
      p->gdt_dirty[i] = false;
      p->emit_write(Ext2ReadKind::Super, 0, 0, p->gdt_block + i, 1);
    }
    if (p->sb_dirty) {
      put32(p->sb + 12, p->free_blocks);
      put32(p->sb + 16, p->free_inodes);
      put32(p->sb + 48, uint32_t(p->now()));
      if (p->rev >= 1) put32(p->sb + 100, p->ro_compat);
      int rc = p->dev->write(1024, p->sb, 1024);
      if (rc) return rc;
      p->sb_dirty = false;
      p->emit_write(Ext2ReadKind::Super, 0, 0, 1024 / p->bs, 1);
    }
    return p->dev->flush();
  });
}

// ---------------------------------------------------------------- small public calls

bool Ext2::read_only() const { return p_->ro; }
uint32_t Ext2::block_size() const { return p_->bs; }
BlockDevice* Ext2::device() { return p_->dev; }
void Ext2::set_trace(Ext2TraceFn fn) { p_->trace = std::move(fn); }
void Ext2::set_readahead(Ext2Readahead r) {
  p_->opt.readahead = r;
  p_->ra.clear();
}
Ext2::Counters Ext2::counters() const { return p_->ctr; }
std::string Ext2::last_error() const { return p_->last_error; }

std::string Ext2::features() const {
  std::string s = names(kCompat, p_->compat);
  std::string i = names(kIncompat, p_->incompat), r = names(kRoCompat, p_->ro_compat);
  if (!i.empty()) s += (s.empty() ? "" : ",") + i;
  if (!r.empty()) s += (s.empty() ? "" : ",") + r;
  return s;
}

std::string Ext2::volume_name() const {
  if (p_->rev < 1) return "";
  const char* v = reinterpret_cast<const char*>(p_->sb + 120);
  return std::string(v, strnlen(v, 16));
}

int Ext2::stat(uint32_t ino, Ext2Stat* st) {
  Impl* p = p_.get();
  return guard(p, [&]() -> int {
    Impl::Inode in;
    p->read_inode(ino, &in);
    *st = Ext2Stat();
    st->ino = ino;
    st->mode = in.mode;
    st->nlink = in.links;
    st->uid = in.uid;
    st->gid = in.gid;
    st->size = in.size;
    st->blocks = in.blocks;
    st->blksize = p->bs;
    st->atime = in.atime;
    st->mtime = in.mtime;
    st->ctime = in.ctime;
    st->generation = in.generation;
    st->flags = in.flags;
    uint32_t t = in.mode & S_IFMT_;
    if (t == S_IFCHR_ || t == S_IFBLK_) {
      if (in.block[0]) {  // old encoding: major 8 bits, minor 8 bits
        st->rdev_major = (in.block[0] >> 8) & 0xFF;
        st->rdev_minor = in.block[0] & 0xFF;
      } else {  // new encoding (Linux new_encode_dev)
        uint32_t d = in.block[1];
        st->rdev_major = (d & 0xFFF00) >> 8;
        st->rdev_minor = (d & 0xFF) | ((d >> 12) & 0xFFF00);
      }
    }
    return 0;
  });
}

int Ext2::statfs(Ext2StatFs* st) {
  Impl* p = p_.get();
  st->block_size = p->bs;
  st->blocks = p->blocks_count - p->first_data_block;
  st->free_blocks = p->free_blocks;
  st->avail_blocks = p->free_blocks > p->r_blocks ? p->free_blocks - p->r_blocks : 0;
  st->inodes = p->inodes_count;
  st->free_inodes = p->free_inodes;
  st->name_max = kNameMax;
  return 0;
}

void Ext2::ref(uint32_t ino) { p_->refs[ino]++; }

void Ext2::unref(uint32_t ino) {
  Impl* p = p_.get();
  auto it = p->refs.find(ino);
  if (it == p->refs.end()) return;
  if (--it->second > 0) return;
  p->refs.erase(it);
  p->ra.erase(ino);
  if (p->ro) return;
  guard(p, [&]() -> int {
    Impl::Inode in;
    p->read_inode(ino, &in);
    if (in.links == 0 && in.dtime == 0 && in.mode) p->release_inode(in);
    return 0;
  });
}

int Ext2::chmod(uint32_t ino, uint32_t mode) {
  Impl* p = p_.get();
  return guard(p, [&]() -> int {
    p->need_rw();
    Impl::Inode in;
    p->read_inode(ino, &in);
    in.mode = (in.mode & S_IFMT_) | (mode & 07777);
    in.ctime = p->now();
    p->write_inode(in);
    return 0;
  });
}

int Ext2::chown(uint32_t ino, int64_t uid, int64_t gid) {
  Impl* p = p_.get();
  return guard(p, [&]() -> int {
    p->need_rw();
    Impl::Inode in;
    p->read_inode(ino, &in);
    if (uid >= 0) in.uid = uint32_t(uid);
    if (gid >= 0) in.gid = uint32_t(gid);
    in.ctime = p->now();
    p->write_inode(in);
    return 0;
  });
}

int Ext2::utimes(uint32_t ino, int64_t atime, int64_t mtime) {
  Impl* p = p_.get();
  return guard(p, [&]() -> int {
    p->need_rw();
    Impl::Inode in;
    p->read_inode(ino, &in);
    if (atime >= 0) in.atime = atime;
    if (mtime >= 0) in.mtime = mtime;
    in.ctime = p->now();
    p->write_inode(in);
    return 0;
  });
}

}  // namespace gb::fs
