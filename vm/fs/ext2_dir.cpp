// vm/fs/ext2_dir.cpp — ext2 directories (linear entries, with or without the filetype
// feature) and the namespace calls: lookup, readdir, create, mknod, mkdir, symlink,
// link, unlink, rmdir, rename.
#include <algorithm>
#include <cerrno>

#include "vm/fs/ext2_impl.h"

namespace gb::fs {

using namespace e2;

namespace {
constexpr uint32_t kNone = UINT32_MAX;
inline uint32_t round4(uint32_t n) { return (n + 3) & ~3u; }
}  // namespace

// rec_len: 65536 does not fit in 16 bits (64 KiB blocks store it as 0 or 65535)
static uint32_t rec_len_get(const uint8_t* e, uint32_t bs) {
  uint32_t r = get16(e + 4);
  if (bs >= 65536 && (r == 0 || r == 65535)) return 65536;
  return r;
}
static void rec_len_put(uint8_t* e, uint32_t len) { put16(e + 4, len >= 65536 ? 65535 : len); }

void Ext2::Impl::check_name(std::string_view name) const {
  if (name.empty()) fail(LX_ENOENT);
  if (name.size() > kNameMax) fail(LX_ENAMETOOLONG);
  if (name.find('/') != std::string_view::npos || name.find('\0') != std::string_view::npos) fail(LX_EINVAL);
}

uint64_t Ext2::Impl::dir_blocks(const Inode& dir) {
  if (dir.size % bs) corrupt("directory " + std::to_string(dir.ino) + " has a size that is not whole blocks");
  uint64_t n = dir.size / bs;
  if (n > blocks_count) corrupt("directory " + std::to_string(dir.ino) + " is larger than the file system");
  return n;
}

void Ext2::Impl::check_dir_block(const uint8_t* b, uint32_t ino, uint64_t lblk) {
  uint32_t off = 0;
  while (off < bs) {
    if (off + 8 > bs) corrupt("directory " + std::to_string(ino) + " block " + std::to_string(lblk) + ": entry header crosses the block");
    const uint8_t* e = b + off;
    uint32_t rl = rec_len_get(e, bs);
    uint32_t nl = name_len_of(e);
    if (rl < 8 || (rl & 3) || off + rl > bs || 8 + nl > rl)
      corrupt("directory " + std::to_string(ino) + " block " + std::to_string(lblk) + ": bad entry at offset " +
              std::to_string(off) + " (rec_len " + std::to_string(rl) + ", name_len " + std::to_string(nl) + ")");
    uint32_t child = get32(e);
    if (child > inodes_count)
      corrupt("directory " + std::to_string(ino) + ": entry names inode " + std::to_string(child));
    off += rl;
  }
}

Ext2::Impl::Ref Ext2::Impl::dir_block(const Inode& dir, uint64_t lblk, uint32_t* pblk) {
  uint32_t pb = bmap(dir, lblk);
  if (!pb) corrupt("directory " + std::to_string(dir.ino) + " has a hole at block " + std::to_string(lblk));
  Ref r = bread(pb, Ext2ReadKind::Dir, dir.ino, lblk);
  check_dir_block(r.data(), dir.ino, lblk);
  if (pblk) *pblk = pb;
  return r;
}

bool Ext2::Impl::find_entry(const Inode& dir, std::string_view name, Slot* slot) {
  uint64_t n = dir_blocks(dir);
  for (uint64_t l = 0; l < n; l++) {
    uint32_t pb;
    Ref r = dir_block(dir, l, &pb);
    const uint8_t* b = r.data();
    uint32_t off = 0, prev = kNone;
    while (off < bs) {
      const uint8_t* e = b + off;
      uint32_t rl = rec_len_get(e, bs);
      uint32_t ino = get32(e);
      uint32_t nl = name_len_of(e);
      if (ino && nl == name.size() && std::memcmp(e + 8, name.data(), nl) == 0) {
        slot->lblk = l;
        slot->pblk = pb;
        slot->off = off;
        slot->prev = prev;
        slot->ino = ino;
        slot->ft = (incompat & INCOMPAT_FILETYPE) ? e[7] : 0;
        return true;
      }
      prev = off;
      off += rl;
    }
  }
  return false;
}

void Ext2::Impl::dir_modified(Inode& dir) {
  dir.mtime = dir.ctime = now();
  dir.flags &= ~FL_INDEX;  // we keep no hash index: the tree would be stale
  write_inode(dir);
}

void Ext2::Impl::add_entry(Inode& dir, std::string_view name, uint32_t ino, uint32_t mode) {
  need_rw();
  uint32_t need = 8 + round4(uint32_t(name.size()));
  bool ftype = incompat & INCOMPAT_FILETYPE;
  auto fill = [&](uint8_t* e, uint32_t rl) {
    put32(e, ino);
    rec_len_put(e, rl);
    if (ftype) {
      e[6] = uint8_t(name.size());
      e[7] = mode_to_ft(mode);
    } else {
      put16(e + 6, uint32_t(name.size()));
    }
    std::memcpy(e + 8, name.data(), name.size());
    for (uint32_t k = 8 + uint32_t(name.size()); k < need; k++) e[k] = 0;
  };
  uint64_t n = dir_blocks(dir);
  uint32_t last_pb = 0;
  for (uint64_t l = 0; l < n; l++) {
    Ref r = dir_block(dir, l, &last_pb);
    uint8_t* b = r.data();
    uint32_t off = 0;
    while (off < bs) {
      uint8_t* e = b + off;
      uint32_t rl = rec_len_get(e, bs);
      if (get32(e) == 0) {
        if (rl >= need) {
          fill(e, rl);
          r.dirty();
          dir_modified(dir);
          return;
        }
      } else {
        uint32_t used = 8 + round4(name_len_of(e));
        if (rl >= used + need) {
          rec_len_put(e, used);
          fill(e + used, rl - used);
          r.dirty();
          dir_modified(dir);
          return;
        }
      }
      off += rl;
    }
  }
  // no room: a new block at the end
  if (n >= max_lblk) fail(LX_ENOSPC);
  bool fresh = false;
  uint32_t goal = last_pb ? last_pb + 1 : inode_group_goal(dir.ino);
  uint32_t pb = bmap_alloc(dir, n, goal, &fresh);
  Ref r = bnew(pb, Ext2ReadKind::Dir, dir.ino);
  fill(r.data(), bs);
  r.dirty();
  dir.size += bs;
  dir_modified(dir);
}

void Ext2::Impl::remove_entry(Inode& dir, const Slot& s) {
  need_rw();
  Ref r = bread(s.pblk, Ext2ReadKind::Dir, dir.ino, s.lblk);
  check_dir_block(r.data(), dir.ino, s.lblk);
  uint8_t* b = r.data();
  if (s.prev != kNone) {
    uint8_t* pe = b + s.prev;
    rec_len_put(pe, rec_len_get(pe, bs) + rec_len_get(b + s.off, bs));
  } else {
    put32(b + s.off, 0);
  }
  r.dirty();
  dir_modified(dir);
}

void Ext2::Impl::set_entry_ino(Inode& dir, const Slot& s, uint32_t ino, uint32_t mode) {
  need_rw();
  Ref r = bread(s.pblk, Ext2ReadKind::Dir, dir.ino, s.lblk);
  check_dir_block(r.data(), dir.ino, s.lblk);
  uint8_t* e = r.data() + s.off;
  put32(e, ino);
  if (incompat & INCOMPAT_FILETYPE) e[7] = mode_to_ft(mode);
  r.dirty();
}

bool Ext2::Impl::dir_empty(const Inode& dir) {
  uint64_t n = dir_blocks(dir);
  for (uint64_t l = 0; l < n; l++) {
    Ref r = dir_block(dir, l, nullptr);
    const uint8_t* b = r.data();
    uint32_t off = 0;
    while (off < bs) {
      const uint8_t* e = b + off;
      uint32_t nl = name_len_of(e);
      if (get32(e)) {
        bool dot = (nl == 1 && e[8] == '.') || (nl == 2 && e[8] == '.' && e[9] == '.');
        if (!dot) return false;
      }
      off += rec_len_get(e, bs);
    }
  }
  return true;
}

uint32_t Ext2::Impl::new_inode(uint32_t dir, uint32_t mode, uint32_t uid, uint32_t gid, Inode* out) {
  uint32_t ino = alloc_inode(dir, is_dir(mode));
  // start from a clean slot: zero every byte of the on-disk inode
  uint32_t g = (ino - 1) / ipg, idx = (ino - 1) % ipg;
  uint64_t off = uint64_t(idx) * inode_size;
  {
    Ref r = bread(groups[g].inode_table + uint32_t(off / bs), Ext2ReadKind::Inode, ino);
    uint8_t* p = r.data() + off % bs;
    std::memset(p, 0, inode_size);
    if (inode_size >= 160) put16(p + 128, 32);  // i_extra_isize, as mke2fs writes it
    r.dirty();
  }
  Inode in;
  in.ino = ino;
  in.mode = mode;
  in.uid = uid;
  in.gid = gid;
  in.atime = in.ctime = in.mtime = now();
  in.generation = ++generation;
  in.links = 0;
  write_inode(in);
  *out = in;
  return ino;
}

void Ext2::Impl::drop_link(Inode& in) {
  if (in.links) in.links--;
  in.ctime = now();
  auto it = refs.find(in.ino);
  if (in.links == 0 && (it == refs.end() || it->second <= 0)) release_inode(in);
  else write_inode(in);
}

// ---------------------------------------------------------------- public

int Ext2::lookup(uint32_t dir, std::string_view name, uint32_t* ino) {
  Impl* p = p_.get();
  return guard(p, [&]() -> int {
    if (name.empty()) return -LX_ENOENT;
    if (name.size() > kNameMax) return -LX_ENAMETOOLONG;
    Impl::Inode d;
    p->read_inode(dir, &d);
    if (!is_dir(d.mode)) return -LX_ENOTDIR;
    Impl::Slot s;
    if (!p->find_entry(d, name, &s)) return -LX_ENOENT;
    *ino = s.ino;
    return 0;
  });
}

int Ext2::readdir(uint32_t dir, uint64_t pos, const std::function<bool(const Ext2DirEntry&)>& fn) {
  Impl* p = p_.get();
  return guard(p, [&]() -> int {
    Impl::Inode d;
    p->read_inode(dir, &d);
    if (!is_dir(d.mode)) return -LX_ENOTDIR;
    uint64_t n = p->dir_blocks(d);
    const uint32_t bs = p->bs;
    for (uint64_t l = pos / bs; l < n; l++) {
      Impl::Ref r = p->dir_block(d, l, nullptr);
      const uint8_t* b = r.data();
      uint32_t off = 0;
      while (off < bs) {
        const uint8_t* e = b + off;
        uint32_t rl = rec_len_get(e, bs);
        uint64_t here = l * bs + off;
        if (here >= pos && get32(e)) {
          Ext2DirEntry de;
          uint32_t nl = p->name_len_of(e);
          de.name.assign(reinterpret_cast<const char*>(e + 8), nl);
          de.ino = get32(e);
          de.type = (p->incompat & INCOMPAT_FILETYPE) ? ft_to_dt(e[7]) : EXT2_DT_UNKNOWN;
          de.next = here + rl;
          if (!fn(de)) return 0;
        }
        off += rl;
      }
    }
    return 0;
  });
}

int Ext2::mknod(uint32_t dir, std::string_view name, uint32_t mode, uint32_t major, uint32_t minor, uint32_t uid,
                uint32_t gid, uint32_t* ino) {
  Impl* p = p_.get();
  return guard(p, [&]() -> int {
    p->need_rw();
    p->check_name(name);
    uint32_t type = mode & S_IFMT_;
    if (type == 0) type = S_IFREG_;
    if (type != S_IFREG_ && type != S_IFCHR_ && type != S_IFBLK_ && type != S_IFIFO_ && type != S_IFSOCK_)
      return -LX_EINVAL;
    Impl::Inode d;
    p->read_inode(dir, &d);
    if (!is_dir(d.mode)) return -LX_ENOTDIR;
    if (d.links == 0) return -LX_ENOENT;
    Impl::Slot s;
    if (p->find_entry(d, name, &s)) return -LX_EEXIST;
    Impl::Inode in;
    uint32_t n = p->new_inode(dir, type | (mode & 07777), uid, gid, &in);
    in.links = 1;
    if (type == S_IFCHR_ || type == S_IFBLK_) {
      if (major < 256 && minor < 256) in.block[0] = (major << 8) | minor;
      else in.block[1] = (minor & 0xFF) | ((major & 0xFFF) << 8) | ((minor & ~0xFFu) << 12);
    }
    p->write_inode(in);
    try {
      p->add_entry(d, name, n, in.mode);
    } catch (const Error&) {
      p->release_inode(in);  // undo: nothing refers to it
      throw;
    }
    if (ino) *ino = n;
    return 0;
  });
}

int Ext2::create(uint32_t dir, std::string_view name, uint32_t mode, uint32_t uid, uint32_t gid, uint32_t* ino) {
  return mknod(dir, name, S_IFREG_ | (mode & 07777), 0, 0, uid, gid, ino);
}

int Ext2::mkdir(uint32_t dir, std::string_view name, uint32_t mode, uint32_t uid, uint32_t gid, uint32_t* ino) {
  Impl* p = p_.get();
  return guard(p, [&]() -> int {
    p->need_rw();
    p->check_name(name);
    Impl::Inode d;
    p->read_inode(dir, &d);
    if (!is_dir(d.mode)) return -LX_ENOTDIR;
    if (d.links == 0) return -LX_ENOENT;
    if (d.links >= kLinkMax) return -LX_EMLINK;
    Impl::Slot s;
    if (p->find_entry(d, name, &s)) return -LX_EEXIST;
    Impl::Inode c;
    uint32_t n = p->new_inode(dir, S_IFDIR_ | (mode & 07777), uid, gid, &c);
    try {
      bool fresh;
      uint32_t pb = p->bmap_alloc(c, 0, p->inode_group_goal(n), &fresh);
      Impl::Ref r = p->bnew(pb, Ext2ReadKind::Dir, n);
      uint8_t* b = r.data();
      bool ft = p->incompat & INCOMPAT_FILETYPE;
      put32(b, n);
      rec_len_put(b, 12);
      if (ft) {
        b[6] = 1;
        b[7] = FT_DIR;
      } else {
        put16(b + 6, 1);
      }
      b[8] = '.';
      uint8_t* e = b + 12;
      put32(e, dir);
      rec_len_put(e, p->bs - 12);
      if (ft) {
        e[6] = 2;
        e[7] = FT_DIR;
      } else {
        put16(e + 6, 2);
      }
      e[8] = e[9] = '.';
      r.dirty();
      c.size = p->bs;
      c.links = 2;
      p->write_inode(c);
      p->add_entry(d, name, n, c.mode);
    } catch (const Error&) {
      c.links = 0;
      p->release_inode(c);
      throw;
    }
    d.links++;
    p->write_inode(d);
    if (ino) *ino = n;
    return 0;
  });
}

int Ext2::symlink(uint32_t dir, std::string_view name, std::string_view target, uint32_t uid, uint32_t gid,
                  uint32_t* ino) {
  Impl* p = p_.get();
  return guard(p, [&]() -> int {
    p->need_rw();
    p->check_name(name);
    if (target.empty()) return -LX_ENOENT;
    if (target.size() >= p->bs || target.size() > 4095) return -LX_ENAMETOOLONG;
    Impl::Inode d;
    p->read_inode(dir, &d);
    if (!is_dir(d.mode)) return -LX_ENOTDIR;
    if (d.links == 0) return -LX_ENOENT;
    Impl::Slot s;
    if (p->find_entry(d, name, &s)) return -LX_EEXIST;
    Impl::Inode in;
    uint32_t n = p->new_inode(dir, S_IFLNK_ | 0777, uid, gid, &in);
    in.links = 1;
    try {
      if (target.size() < 60) {  // fast symlink: the target lives in i_block
        for (size_t k = 0; k < target.size(); k++)
          in.block[k / 4] |= uint32_t(uint8_t(target[k])) << (8 * (k % 4));
        in.size = target.size();
        p->write_inode(in);
      } else {
        p->do_write(in, 0, reinterpret_cast<const uint8_t*>(target.data()), target.size());
        if (in.size != target.size()) Impl::fail(LX_ENOSPC);
      }
      p->add_entry(d, name, n, in.mode);
    } catch (const Error&) {
      p->release_inode(in);
      throw;
    }
    if (ino) *ino = n;
    return 0;
  });
}

int Ext2::link(uint32_t dir, std::string_view name, uint32_t ino) {
  Impl* p = p_.get();
  return guard(p, [&]() -> int {
    p->need_rw();
    p->check_name(name);
    Impl::Inode d, in;
    p->read_inode(dir, &d);
    if (!is_dir(d.mode)) return -LX_ENOTDIR;
    if (d.links == 0) return -LX_ENOENT;
    p->read_inode(ino, &in);
    if (is_dir(in.mode)) return -LX_EPERM;
    if (in.links == 0) return -LX_ENOENT;
    if (in.links >= kLinkMax) return -LX_EMLINK;
    Impl::Slot s;
    if (p->find_entry(d, name, &s)) return -LX_EEXIST;
    p->add_entry(d, name, ino, in.mode);
    in.links++;
    in.ctime = p->now();
    p->write_inode(in);
    return 0;
  });
}

int Ext2::unlink(uint32_t dir, std::string_view name) {
  Impl* p = p_.get();
  return guard(p, [&]() -> int {
    p->need_rw();
    p->check_name(name);
    Impl::Inode d;
    p->read_inode(dir, &d);
    if (!is_dir(d.mode)) return -LX_ENOTDIR;
    Impl::Slot s;
    if (!p->find_entry(d, name, &s)) return -LX_ENOENT;
    Impl::Inode v;
    p->read_inode(s.ino, &v);
    if (is_dir(v.mode)) return -LX_EISDIR;
    p->remove_entry(d, s);
    p->drop_link(v);
    return 0;
  });
}

int Ext2::rmdir(uint32_t dir, std::string_view name) {
  Impl* p = p_.get();
  return guard(p, [&]() -> int {
    p->need_rw();
    p->check_name(name);
    if (name == ".") return -LX_EINVAL;
    if (name == "..") return -LX_ENOTEMPTY;
    Impl::Inode d;
    p->read_inode(dir, &d);
    if (!is_dir(d.mode)) return -LX_ENOTDIR;
    Impl::Slot s;
    if (!p->find_entry(d, name, &s)) return -LX_ENOENT;
    Impl::Inode v;
    p->read_inode(s.ino, &v);
    if (!is_dir(v.mode)) return -LX_ENOTDIR;
    if (s.ino == Ext2::kRootIno) return -LX_EBUSY;
    if (!p->dir_empty(v)) return -LX_ENOTEMPTY;
    p->remove_entry(d, s);
    if (d.links > 2) d.links--;  // the victim's ".."
    p->write_inode(d);
    v.links = 0;
    v.ctime = p->now();
    auto it = p->refs.find(v.ino);
    if (it == p->refs.end() || it->second <= 0) p->release_inode(v);
    else p->write_inode(v);  // still open: freed at the last unref
    return 0;
  });
}

int Ext2::rename(uint32_t olddir, std::string_view oldname, uint32_t newdir, std::string_view newname) {
  Impl* p = p_.get();
  return guard(p, [&]() -> int {
    p->need_rw();
    p->check_name(oldname);
    p->check_name(newname);
    if (oldname == "." || oldname == ".." || newname == "." || newname == "..") return -LX_EINVAL;
    Impl::Inode od, nd_store;
    p->read_inode(olddir, &od);
    if (!is_dir(od.mode)) return -LX_ENOTDIR;
    bool same = olddir == newdir;
    if (!same) p->read_inode(newdir, &nd_store);
    Impl::Inode& nd = same ? od : nd_store;
    if (!is_dir(nd.mode)) return -LX_ENOTDIR;
    if (nd.links == 0) return -LX_ENOENT;
    Impl::Slot src;
    if (!p->find_entry(od, oldname, &src)) return -LX_ENOENT;
    Impl::Inode s;
    p->read_inode(src.ino, &s);
    bool sdir = is_dir(s.mode);
    Impl::Slot dst;
    bool exists = p->find_entry(nd, newname, &dst);
    if (exists && dst.ino == src.ino) return 0;  // the same file: nothing to do
    if (sdir && !same) {
      // the target directory must not be inside the one we move
      uint32_t cur = newdir;
      for (uint32_t steps = 0; cur != Ext2::kRootIno; steps++) {
        if (cur == src.ino) return -LX_EINVAL;
        if (steps > 65536) p->corrupt("directory loop above inode " + std::to_string(newdir));
        Impl::Inode ci;
        p->read_inode(cur, &ci);
        Impl::Slot up;
        if (!is_dir(ci.mode) || !p->find_entry(ci, "..", &up)) p->corrupt("directory without '..'");
        if (up.ino == cur) break;
        cur = up.ino;
      }
      if (cur == src.ino) return -LX_EINVAL;
    }
    Impl::Inode v;
    if (exists) {
      p->read_inode(dst.ino, &v);
      if (sdir && !is_dir(v.mode)) return -LX_ENOTDIR;
      if (!sdir && is_dir(v.mode)) return -LX_EISDIR;
      if (sdir && !p->dir_empty(v)) return -LX_ENOTEMPTY;
    } else if (sdir && !same && nd.links >= kLinkMax) {
      return -LX_EMLINK;
    }
    // 1. the new name
    if (exists) {
      p->set_entry_ino(nd, dst, src.ino, s.mode);
      p->dir_modified(nd);
    } else {
      p->add_entry(nd, newname, src.ino, s.mode);
    }
    // 2. the old name (found again: adding may have reshaped the block)
    Impl::Slot again;
    if (!p->find_entry(od, oldname, &again) || again.ino != src.ino) p->corrupt("rename lost the source entry");
    p->remove_entry(od, again);
    // 3. a moved directory's ".." and the link counts
    if (sdir && !same) {
      Impl::Slot up;
      if (!p->find_entry(s, "..", &up)) p->corrupt("directory " + std::to_string(s.ino) + " has no '..'");
      p->set_entry_ino(s, up, newdir, S_IFDIR_);
      if (od.links > 2) od.links--;
      nd.links++;
    }
    if (exists && is_dir(v.mode)) {
      if (nd.links > 2) nd.links--;
      v.links = 0;
      v.ctime = p->now();
      auto it = p->refs.find(v.ino);
      if (it == p->refs.end() || it->second <= 0) p->release_inode(v);
      else p->write_inode(v);
    } else if (exists) {
      p->drop_link(v);
    }
    s.ctime = p->now();
    p->write_inode(s);
    p->dir_modified(od);
    if (!same) p->dir_modified(nd);
    return 0;
  });
}

}  // namespace gb::fs
