// vm/fs/ext2_file.cpp — ext2 block maps (direct, indirect, double, triple), file reads
// and writes, truncate, symlink targets, read-ahead.
#include <algorithm>
#include <cerrno>

#include "vm/fs/ext2_impl.h"

namespace gb::fs {

using namespace e2;

namespace {
bool fast_symlink(const Ext2::Impl* p, const Ext2::Impl::Inode& in) {
  uint32_t ea = in.file_acl ? p->bs / 512 : 0;
  return is_lnk(in.mode) && in.blocks <= ea;
}
// inode types whose i_block holds block numbers
bool has_block_map(const Ext2::Impl* p, const Ext2::Impl::Inode& in) {
  if (is_reg(in.mode) || is_dir(in.mode)) return true;
  if (is_lnk(in.mode)) return !fast_symlink(p, in);
  return false;
}
}  // namespace

uint64_t Ext2::Impl::max_file_size() const {
  uint64_t by_map = max_lblk * bs;
  uint64_t by_blocks = (uint64_t(1) << 41) - bs;  // i_blocks counts 512-byte units in 32 bits
  uint64_t m = std::min(by_map, by_blocks);
  if (rev < 1) m = std::min<uint64_t>(m, 0x7FFFFFFF);
  return m;
}

// ---------------------------------------------------------------- block maps

uint32_t Ext2::Impl::bmap(const Inode& in, uint64_t lblk) {
  const uint64_t a = addr_per_block;
  auto valid = [&](uint32_t b) {
    if (b && !valid_block(b))
      corrupt("inode " + std::to_string(in.ino) + " maps block " + std::to_string(lblk) + " to " + std::to_string(b));
    return b;
  };
  if (lblk < 12) return valid(in.block[lblk]);
  uint64_t rel = lblk - 12;
  int level;
  uint32_t root;
  if (rel < a) {
    level = 1;
    root = in.block[12];
  } else if ((rel -= a) < a * a) {
    level = 2;
    root = in.block[13];
  } else if ((rel -= a * a) < a * a * a) {
    level = 3;
    root = in.block[14];
  } else {
    return 0;  // beyond what the map can address: a hole
  }
  uint32_t cur = valid(root);
  uint64_t span = 1;
  for (int d = 1; d < level; d++) span *= a;
  while (level-- > 0) {
    if (!cur) return 0;
    Ref r = bread(cur, Ext2ReadKind::Indirect, in.ino, lblk);
    uint64_t idx = rel / span;
    rel %= span;
    span /= a;
    cur = valid(get32(r.data() + 4 * idx));
  }
  return cur;
}

uint32_t Ext2::Impl::bmap_alloc(Inode& in, uint64_t lblk, uint32_t goal, bool* fresh) {
  *fresh = false;
  const uint64_t a = addr_per_block;
  const uint32_t per = bs / 512;
  if (lblk >= max_lblk) fail(LX_EFBIG);
  auto take = [&](bool indirect) -> uint32_t {
    if (in.blocks > 0xFFFFFFFFu - per) fail(LX_EFBIG);
    uint32_t b = alloc_block(goal);
    in.blocks += per;
    goal = b + 1;
    if (indirect) bnew(b, Ext2ReadKind::Indirect, in.ino);
    return b;
  };
  if (lblk < 12) {
    uint32_t b = in.block[lblk];
    if (b) {
      check_block(b, "a direct block pointer");
      return b;
    }
    b = take(false);
    in.block[lblk] = b;
    *fresh = true;
    return b;
  }
  uint64_t rel = lblk - 12;
  int level;
  if (rel < a) level = 1;
  else if ((rel -= a) < a * a) level = 2;
  else {
    rel -= a * a;
    level = 3;
  }
  uint32_t& root = in.block[11 + level];
  if (!root) root = take(true);
  check_block(root, "an indirect block pointer");
  uint32_t cur = root;
  uint64_t span = 1;
  for (int d = 1; d < level; d++) span *= a;
  for (int d = level; d > 0; d--) {
    Ref r = bread(cur, Ext2ReadKind::Indirect, in.ino, lblk);
    uint64_t idx = rel / span;
    rel %= span;
    span /= a;
    uint32_t next = get32(r.data() + 4 * idx);
    if (!next) {
      next = take(d > 1);
      put32(r.data() + 4 * idx, next);
      r.dirty();
      if (d == 1) *fresh = true;
    } else {
      check_block(next, "an indirect block entry");
    }
    cur = next;
  }
  return cur;
}

// Frees the entries of indirect block `blk` (at `level`, mapping logical blocks from
// `base`) that map blocks >= first. True when the whole block is now unused.
bool Ext2::Impl::free_tree(uint32_t blk, int level, uint64_t base, uint64_t first, Inode& in) {
  const uint64_t a = addr_per_block;
  const uint32_t per = bs / 512;
  uint64_t child_span = 1;
  for (int d = 1; d < level; d++) child_span *= a;
  Ref r = bread(blk, Ext2ReadKind::Indirect, in.ino, base);
  bool changed = false;
  for (uint64_t i = 0; i < a; i++) {
    uint64_t cb = base + i * child_span;
    if (cb + child_span <= first) continue;
    uint32_t c = get32(r.data() + 4 * i);
    if (!c) continue;
    bool drop = true;
    if (!valid_block(c)) {
      ctr.corruptions++;  // a bad pointer: forget it, free nothing
    } else if (level == 1) {
      free_block(c);
      in.blocks = in.blocks >= per ? in.blocks - per : 0;
    } else if (free_tree(c, level - 1, cb, first, in)) {
      free_block(c);
      in.blocks = in.blocks >= per ? in.blocks - per : 0;
    } else {
      drop = false;
    }
    if (drop) {
      put32(r.data() + 4 * i, 0);
      changed = true;
    }
  }
  if (changed) r.dirty();
  return first <= base;
}

void Ext2::Impl::free_blocks_from(Inode& in, uint64_t first) {
  const uint64_t a = addr_per_block;
  const uint32_t per = bs / 512;
  for (uint64_t i = first; i < 12; i++) {
    if (!in.block[i]) continue;
    if (valid_block(in.block[i])) {
      free_block(in.block[i]);
      in.blocks = in.blocks >= per ? in.blocks - per : 0;
    } else {
      ctr.corruptions++;
    }
    in.block[i] = 0;
  }
  uint64_t base = 12, span = a;
  for (int level = 1; level <= 3; level++, base += span, span *= a) {
    uint32_t& root = in.block[11 + level];
    if (!root || first >= base + span) continue;
    if (!valid_block(root)) {
      ctr.corruptions++;
      root = 0;
      continue;
    }
    if (free_tree(root, level, base, first, in)) {
      free_block(root);
      in.blocks = in.blocks >= per ? in.blocks - per : 0;
      root = 0;
    }
  }
}

void Ext2::Impl::zero_tail(Inode& in, uint64_t size) {
  uint32_t in_block = uint32_t(size % bs);
  if (!in_block) return;
  uint32_t p = bmap(in, size / bs);
  if (!p) return;
  std::vector<uint8_t> z(bs - in_block, 0);
  int rc = dev->write(uint64_t(p) * bs + in_block, z.data(), z.size());
  if (rc) {
    last_error = "ext2: device write failed";
    fail(LX_EIO);
  }
  emit_write(Ext2ReadKind::Data, in.ino, size / bs, p, 1);
}

// ---------------------------------------------------------------- read-ahead

void Ext2::Impl::prefetch_lblks(Inode& in, uint64_t from, uint64_t count) {
  uint64_t limit = std::max<uint64_t>(1, opt.max_prefetch_bytes / bs);
  count = std::min(count, limit);
  std::vector<BlockDevice::Range> ranges;
  uint64_t bytes = 0;
  try {
    for (uint64_t l = from; l < from + count; l++) {
      uint32_t pb = bmap(in, l);
      if (!pb) continue;
      uint64_t off = uint64_t(pb) * bs;
      if (!ranges.empty() && ranges.back().off + ranges.back().len == off) ranges.back().len += bs;
      else ranges.push_back({off, bs});
      bytes += bs;
    }
  } catch (const Error&) {
    // a bad map further on: the read that gets there reports it
  }
  if (ranges.empty()) return;
  ctr.prefetches++;
  ctr.prefetch_bytes += bytes;
  dev->prefetch(ranges);
}

void Ext2::Impl::readahead(Inode& in, uint64_t first, uint64_t count) {
  if (opt.readahead == Ext2Readahead::None) return;
  uint64_t nblocks = (in.size + bs - 1) / bs;
  if (ra.size() > 4096) ra.clear();
  RaState& s = ra[in.ino];
  if (opt.readahead == Ext2Readahead::WholeFile && !s.whole) {
    s.whole = true;
    prefetch_lblks(in, 0, nblocks);
    s.ahead = std::max(s.ahead, std::min(nblocks, opt.max_prefetch_bytes / bs));
  }
  uint64_t end = first + count;
  bool sequential = first == s.next || (first < s.next && end > s.next);
  if (!sequential) {
    // random access: nothing ahead, start over at this position
    s.window = 0;
    s.next = end;
    return;
  }
  uint64_t maxw = std::max<uint64_t>(1, opt.max_prefetch_bytes / bs);
  uint64_t initw = std::max<uint64_t>(1, (128u << 10) / bs);
  s.window = s.window ? std::min(maxw, s.window * 2) : std::min(maxw, std::max(initw, count * 2));
  uint64_t want_end = std::min(nblocks, end + s.window);
  uint64_t from = std::max(s.ahead, end);
  // fetch again only when the reader has used up half of what is ahead of it
  if (from < want_end && (s.ahead <= end || s.ahead - end < s.window / 2)) {
    prefetch_lblks(in, from, want_end - from);
    s.ahead = want_end;
  }
  s.next = end;
}

// ---------------------------------------------------------------- read / write

int64_t Ext2::Impl::do_read(Inode& in, uint64_t off, uint8_t* buf, uint64_t len, Ext2ReadKind kind) {
  if (off >= in.size || len == 0) return 0;
  len = std::min(len, in.size - off);
  uint64_t end = off + len;
  uint64_t first = off / bs, last = (end - 1) / bs;
  if (kind == Ext2ReadKind::Data) readahead(in, first, last - first + 1);
  uint64_t pos = off;
  uint64_t lblk = first;
  uint32_t pblk = bmap(in, lblk);
  while (pos < end) {
    // extend the run while the next block continues it (or both are holes)
    uint64_t n = 1;
    uint32_t next_p = 0;
    while (lblk + n <= last) {
      next_p = bmap(in, lblk + n);
      bool cont = pblk ? next_p == pblk + n : next_p == 0;
      if (!cont) break;
      n++;
    }
    uint64_t run_end = std::min(end, (lblk + n) * bs);
    uint8_t* dst = buf + (pos - off);
    size_t m = size_t(run_end - pos);
    Ext2TraceEvent ev;
    ev.ino = in.ino;
    ev.kind = kind;
    ev.lblk = lblk;
    ev.pblk = pblk;
    ev.nblocks = uint32_t(n);
    if (!pblk) {
      std::memset(dst, 0, m);
      ev.source = ReadSource::Zero;
      ctr.hole_blocks += n;
    } else {
      if (uint64_t(pblk) + n > blocks_count) corrupt("data run past the end");
      ReadInfo ri;
      int rc = dev->read(uint64_t(pblk) * bs + (pos - lblk * bs), dst, m, &ri);
      if (rc) {
        last_error = "ext2: device read failed at block " + std::to_string(pblk) + ": " + errno_message(-rc);
        fail(LX_EIO);
      }
      ev.source = ri.source;
      ev.bytes_fetched = ri.bytes_fetched;
      ev.chunk = ri.chunk;
      ctr.data_reads++;
      ctr.data_blocks += n;
    }
    emit(ev);
    pos = run_end;
    lblk += n;
    pblk = next_p;
  }
  return int64_t(len);
}

int64_t Ext2::Impl::do_write(Inode& in, uint64_t off, const uint8_t* buf, uint64_t len) {
  need_rw();
  if (len == 0) return 0;
  uint64_t maxs = max_file_size();
  if (off >= maxs) fail(LX_EFBIG);
  if (len > maxs - off) len = maxs - off;
  uint32_t goal = 0;
  if (off / bs > 0) {
    uint32_t pb = bmap(in, off / bs - 1);
    if (pb) goal = pb + 1;
  }
  if (!goal) goal = inode_group_goal(in.ino);
  uint64_t done = 0;
  int err = 0;
  std::vector<uint8_t> tmp;
  uint64_t run_lblk = 0, run_pb = 0;  // the blocks written, as runs (one trace event each)
  uint32_t run_n = 0;
  try {
    while (done < len) {
      uint64_t pos = off + done;
      uint64_t lblk = pos / bs;
      uint32_t inner = uint32_t(pos % bs);
      uint64_t n = std::min<uint64_t>(bs - inner, len - done);
      bool fresh = false;
      uint32_t pb = bmap_alloc(in, lblk, goal, &fresh);
      int rc;
      if (fresh && n < bs) {  // a new block only partly written: the rest reads as zero
        tmp.assign(bs, 0);
        std::memcpy(tmp.data() + inner, buf + done, size_t(n));
        rc = dev->write(uint64_t(pb) * bs, tmp.data(), bs);
      } else {
        rc = dev->write(uint64_t(pb) * bs + inner, buf + done, size_t(n));
      }
      if (rc) {
        last_error = "ext2: device write failed at block " + std::to_string(pb) + ": " + errno_message(-rc);
        fail(LX_EIO);
      }
      if (run_n && pb == run_pb + run_n && lblk == run_lblk + run_n) {
        run_n++;
      } else {
        if (run_n) emit_write(Ext2ReadKind::Data, in.ino, run_lblk, run_pb, run_n);
        run_lblk = lblk, run_pb = pb, run_n = 1;
      }
      goal = pb + 1;
      done += n;
    }
  } catch (const Error& e) {
    err = e.code;
  }
  if (run_n) emit_write(Ext2ReadKind::Data, in.ino, run_lblk, run_pb, run_n);
  // blocks may have been allocated even when the write stopped early: record them
  if (off + done > in.size) in.size = off + done;
  if (done) in.mtime = in.ctime = now();
  write_inode(in);
  if (done == 0 && err) fail(err);
  if (done == 0 && len == 0) fail(LX_EFBIG);
  return int64_t(done);
}

void Ext2::Impl::do_truncate(Inode& in, uint64_t size) {
  need_rw();
  if (size > max_file_size()) fail(LX_EFBIG);
  if (size < in.size) {
    free_blocks_from(in, (size + bs - 1) / bs);
    zero_tail(in, size);
  } else if (size > in.size) {
    zero_tail(in, in.size);
  }
  in.size = size;
  in.mtime = in.ctime = now();
  write_inode(in);
}

void Ext2::Impl::release_inode(Inode& in) {
  need_rw();
  bool dir = is_dir(in.mode);
  if (has_block_map(this, in)) free_blocks_from(in, 0);
  release_xattr(in.file_acl);
  in.file_acl = 0;
  in.size = 0;
  in.blocks = 0;
  in.links = 0;
  in.dtime = uint32_t(now());
  if (!in.dtime) in.dtime = 1;
  write_inode(in);
  free_inode(in.ino, dir);
  ra.erase(in.ino);
}

// ---------------------------------------------------------------- public

int64_t Ext2::read(uint32_t ino, uint64_t off, void* buf, uint64_t len) {
  Impl* p = p_.get();
  return guard(p, [&]() -> int64_t {
    Impl::Inode in;
    p->read_inode(ino, &in);
    if (is_dir(in.mode)) return -LX_EISDIR;
    if (!is_reg(in.mode)) return -LX_EINVAL;
    return p->do_read(in, off, static_cast<uint8_t*>(buf), len, Ext2ReadKind::Data);
  });
}

int64_t Ext2::write(uint32_t ino, uint64_t off, const void* buf, uint64_t len) {
  Impl* p = p_.get();
  return guard(p, [&]() -> int64_t {
    p->need_rw();
    Impl::Inode in;
    p->read_inode(ino, &in);
    if (is_dir(in.mode)) return -LX_EISDIR;
    if (!is_reg(in.mode)) return -LX_EINVAL;
    return p->do_write(in, off, static_cast<const uint8_t*>(buf), len);
  });
}

int Ext2::truncate(uint32_t ino, uint64_t size) {
  Impl* p = p_.get();
  return guard(p, [&]() -> int {
    p->need_rw();
    Impl::Inode in;
    p->read_inode(ino, &in);
    if (is_dir(in.mode)) return -LX_EISDIR;
    if (!is_reg(in.mode)) return -LX_EINVAL;
    p->do_truncate(in, size);
    return 0;
  });
}

int Ext2::readlink(uint32_t ino, std::string* target) {
  Impl* p = p_.get();
  return guard(p, [&]() -> int {
    Impl::Inode in;
    p->read_inode(ino, &in);
    if (!is_lnk(in.mode)) return -LX_EINVAL;
    if (fast_symlink(p, in)) {
      if (in.size >= 60) p->corrupt("fast symlink " + std::to_string(ino) + " longer than 59 bytes");
      target->resize(size_t(in.size));
      for (size_t k = 0; k < in.size; k++) (*target)[k] = char((in.block[k / 4] >> (8 * (k % 4))) & 0xFF);
      return 0;
    }
    if (in.size == 0 || in.size >= p->bs || in.size > 4095)
      p->corrupt("symlink " + std::to_string(ino) + " has size " + std::to_string(in.size));
    std::string t(size_t(in.size), '\0');
    int64_t n = p->do_read(in, 0, reinterpret_cast<uint8_t*>(&t[0]), in.size, Ext2ReadKind::Symlink);
    if (n != int64_t(in.size)) return -LX_EIO;
    *target = std::move(t);
    return 0;
  });
}

int Ext2::prefetch_file(uint32_t ino) {
  Impl* p = p_.get();
  return guard(p, [&]() -> int {
    Impl::Inode in;
    p->read_inode(ino, &in);
    if (!is_reg(in.mode)) return 0;
    uint64_t nblocks = (in.size + p->bs - 1) / p->bs;
    p->prefetch_lblks(in, 0, nblocks);
    Impl::RaState& s = p->ra[ino];
    s.whole = true;
    s.ahead = std::max(s.ahead, std::min(nblocks, p->opt.max_prefetch_bytes / p->bs));
    return 0;
  });
}

}  // namespace gb::fs
