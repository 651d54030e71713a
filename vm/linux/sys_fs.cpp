// vm/linux/sys_fs.cpp — file system metadata syscalls: stat family, getdents64,
// readlink, getcwd/chdir, access, mkdir/rmdir/unlink/rename/link/symlink, chmod/chown,
// utimensat, truncate, statfs, umask, mknod, chroot, sync.
#include <algorithm>

#include "vm/linux/sys_common.h"

namespace gb {

namespace {

int64_t put_stat(Task& p, const InodeRef& n, uint64_t buf) {
  Stat st;
  int e = n->getattr(st);
  if (e < 0) return e;
  lx_stat o = to_lx_stat(st);
  return p.put(buf, &o, sizeof o) ? 0 : -LX_EFAULT;
}

SYS(stat) {
  GET_PATH(path, 0);
  Loc l;
  int e = p.resolve_at(LAT_FDCWD, path, true, l);
  if (e < 0) return e;
  return put_stat(p, l.node, a[1]);
}
SYS(lstat) {
  GET_PATH(path, 0);
  Loc l;
  int e = p.resolve_at(LAT_FDCWD, path, false, l);
  if (e < 0) return e;
  return put_stat(p, l.node, a[1]);
}
SYS(fstat) {
  GET_FILE(f, 0);
  return put_stat(p, f->node, a[1]);
}

// Resolves (dirfd, path, flags) for the *at() calls that accept AT_EMPTY_PATH and
// AT_SYMLINK_NOFOLLOW.
int resolve_at_flags(Task& p, int dirfd, uint64_t path_addr, uint32_t flags, Loc& out) {
  std::string path;
  if (path_addr == 0 && (flags & LAT_EMPTY_PATH)) {
    path.clear();
  } else {
    int e = p.get_path(path_addr, path);
    if (e < 0) return e;
  }
  if (path.empty()) {
    if (!(flags & LAT_EMPTY_PATH)) return -LX_ENOENT;
    return p.resolve_at(dirfd, path, true, out, true);
  }
  return p.resolve_at(dirfd, path, !(flags & LAT_SYMLINK_NOFOLLOW), out);
}

SYS(newfstatat) {
  const uint32_t flags = (uint32_t)a[3];
  if (flags & ~(LAT_SYMLINK_NOFOLLOW | LAT_EMPTY_PATH | LAT_NO_AUTOMOUNT)) return -LX_EINVAL;
  Loc l;
  int e = resolve_at_flags(p, arg_int(a, 0), a[1], flags, l);
  if (e < 0) return e;
  return put_stat(p, l.node, a[2]);
}

SYS(statx) {
  const uint32_t flags = (uint32_t)a[2];
  if (flags & ~(LAT_SYMLINK_NOFOLLOW | LAT_EMPTY_PATH | LAT_NO_AUTOMOUNT | LAT_STATX_SYNC_TYPE)) return -LX_EINVAL;
  if ((flags & LAT_STATX_SYNC_TYPE) == LAT_STATX_SYNC_TYPE) return -LX_EINVAL;
  Loc l;
  int e = resolve_at_flags(p, arg_int(a, 0), a[1], flags, l);
  if (e < 0) return e;
  Stat st;
  e = l.node->getattr(st);
  if (e < 0) return e;
  lx_statx x;
  memset(&x, 0, sizeof x);
  x.stx_mask = LSTATX_BASIC_STATS;
  x.stx_blksize = (uint32_t)st.blksize;
  x.stx_nlink = (uint32_t)st.nlink;
  x.stx_uid = st.uid;
  x.stx_gid = st.gid;
  x.stx_mode = (uint16_t)st.mode;
  x.stx_ino = st.ino;
  x.stx_size = (uint64_t)st.size;
  x.stx_blocks = (uint64_t)st.blocks;
  x.stx_atime = {st.atime.sec, (uint32_t)st.atime.nsec, 0};
  x.stx_mtime = {st.mtime.sec, (uint32_t)st.mtime.nsec, 0};
  x.stx_ctime = {st.ctime.sec, (uint32_t)st.ctime.nsec, 0};
  x.stx_rdev_major = (uint32_t)(((st.rdev >> 8) & 0xfff) | ((st.rdev >> 32) & ~0xfffull));
  x.stx_rdev_minor = (uint32_t)((st.rdev & 0xff) | ((st.rdev >> 12) & ~0xffull));
  x.stx_dev_major = (uint32_t)(((st.dev >> 8) & 0xfff) | ((st.dev >> 32) & ~0xfffull));
  x.stx_dev_minor = (uint32_t)((st.dev & 0xff) | ((st.dev >> 12) & ~0xffull));
  return p.put(a[4], &x, sizeof x) ? 0 : -LX_EFAULT;
}

SYS(getdents64) {
  GET_FILE(f, 0);
  if (!f->node->is_dir()) return -LX_ENOTDIR;
  if (!f->dir_loaded) {
    f->dir.clear();  // rewinddir: a fresh snapshot, not a second copy
    int e = f->node->readdir(f->dir);
    if (e < 0) return e;
    f->dir_loaded = true;
  }
  const uint64_t cap = a[2];
  std::vector<uint8_t> out;
  uint64_t i = f->pos;
  while (i < f->dir.size()) {
    const DirEntry& d = f->dir[i];
    const size_t reclen = (19 + d.name.size() + 1 + 7) & ~(size_t)7;
    if (out.size() + reclen > cap) {
      if (out.empty()) return -LX_EINVAL;
      break;
    }
    const size_t o = out.size();
    out.resize(o + reclen, 0);
    const uint64_t ino = d.ino;
    const int64_t off = (int64_t)i + 1;
    const uint16_t rl = (uint16_t)reclen;
    memcpy(&out[o], &ino, 8);
    memcpy(&out[o + 8], &off, 8);
    memcpy(&out[o + 16], &rl, 2);
    out[o + 18] = d.type;
    memcpy(&out[o + 19], d.name.data(), d.name.size());
    i++;
  }
  if (!out.empty() && !p.put(a[1], out.data(), out.size())) return -LX_EFAULT;
  f->pos = i;
  return (int64_t)out.size();
}

int64_t readlink_common(Task& p, int dirfd, const std::string& path, uint64_t buf, int64_t size) {
  if (size <= 0) return -LX_EINVAL;
  Loc l;
  int e = p.resolve_at(dirfd, path, false, l, true);
  if (e < 0) return e;
  if (!l.node->is_symlink()) return -LX_EINVAL;
  std::string t;
  e = l.node->readlink(t);
  if (e < 0) return e;
  const size_t n = std::min<size_t>(t.size(), (size_t)size);
  return p.put(buf, t.data(), n) ? (int64_t)n : -LX_EFAULT;
}

SYS(readlink) {
  GET_PATH(path, 0);
  if (path.empty()) return -LX_ENOENT;
  return readlink_common(p, LAT_FDCWD, path, a[1], (int64_t)(int32_t)a[2]);
}
SYS(readlinkat) {
  GET_PATH(path, 1);
  return readlink_common(p, arg_int(a, 0), path, a[2], (int64_t)(int32_t)a[3]);
}

SYS(getcwd) {
  const std::string& s = p.cwd.path;
  if (a[1] < s.size() + 1) return -LX_ERANGE;
  return p.put(a[0], s.c_str(), s.size() + 1) ? (int64_t)s.size() + 1 : -LX_EFAULT;
}
SYS(chdir) {
  GET_PATH(path, 0);
  Loc l;
  int e = p.resolve_at(LAT_FDCWD, path, true, l);
  if (e < 0) return e;
  if (!l.node->is_dir()) return -LX_ENOTDIR;
  p.cwd = l;
  return 0;
}
SYS(fchdir) {
  GET_FILE(f, 0);
  if (!f->node->is_dir()) return -LX_ENOTDIR;
  p.cwd = Loc{f->node, f->loc.path.empty() ? "/" : f->loc.path};
  return 0;
}
SYS(chroot) {
  GET_PATH(path, 0);
  if (p.euid != 0) return -LX_EPERM;
  Loc l;
  int e = p.resolve_at(LAT_FDCWD, path, true, l);
  if (e < 0) return e;
  if (!l.node->is_dir()) return -LX_ENOTDIR;
  p.root = Loc{l.node, "/"};
  return 0;
}

// Permission check for access(2) against the real (or effective) ids.
int check_access(Task& p, const Loc& l, int mode, bool effective) {
  if (mode & ~7) return -LX_EINVAL;
  if (mode == 0) return 0;
  Stat st;
  int e = l.node->getattr(st);
  if (e < 0) return e;
  const uint32_t uid = effective ? p.euid : p.uid, gid = effective ? p.egid : p.gid;
  if (uid == 0) {
    // root: read/write always; execute if any x bit is set (or a directory)
    if ((mode & LX_OK) && !lx_isdir(st.mode) && !(st.mode & 0111)) return -LX_EACCES;
    return 0;
  }
  uint32_t bits;
  if (st.uid == uid) bits = (st.mode >> 6) & 7;
  else if (st.gid == gid) bits = (st.mode >> 3) & 7;
  else bits = st.mode & 7;
  return ((uint32_t)mode & ~bits) ? -LX_EACCES : 0;
}

SYS(access) {
  GET_PATH(path, 0);
  Loc l;
  int e = p.resolve_at(LAT_FDCWD, path, true, l);
  if (e < 0) return e;
  return check_access(p, l, arg_int(a, 1), false);
}
SYS(faccessat) {
  GET_PATH(path, 1);
  Loc l;
  int e = p.resolve_at(arg_int(a, 0), path, true, l);
  if (e < 0) return e;
  return check_access(p, l, arg_int(a, 2), false);
}
SYS(faccessat2) {
  const uint32_t flags = (uint32_t)a[3];
  if (flags & ~(LAT_SYMLINK_NOFOLLOW | LAT_EACCESS | LAT_EMPTY_PATH)) return -LX_EINVAL;
  Loc l;
  int e = resolve_at_flags(p, arg_int(a, 0), a[1], flags, l);
  if (e < 0) return e;
  return check_access(p, l, arg_int(a, 2), (flags & LAT_EACCESS) != 0);
}

// ---- namespace changes ---------------------------------------------------------------

int64_t do_mkdir(Task& p, int dirfd, const std::string& path, uint32_t mode) {
  Loc dir;
  std::string last;
  int e = p.resolve_parent_at(dirfd, path, dir, last);
  if (e < 0) return e;
  if (last.empty() || last == "." || last == "..") return -LX_EEXIST;
  InodeRef existing;
  if (dir.node->lookup(last, existing) == 0) return -LX_EEXIST;
  return dir.node->mkdir(last, (mode & 07777) & ~p.umask);
}
SYS(mkdir) {
  GET_PATH(path, 0);
  return do_mkdir(p, LAT_FDCWD, path, (uint32_t)a[1]);
}
SYS(mkdirat) {
  GET_PATH(path, 1);
  return do_mkdir(p, arg_int(a, 0), path, (uint32_t)a[2]);
}

int64_t do_rmdir(Task& p, int dirfd, const std::string& path) {
  Loc dir;
  std::string last;
  int e = p.resolve_parent_at(dirfd, path, dir, last);
  if (e < 0) return e;
  if (last.empty()) return -LX_EBUSY;
  if (last == ".") return -LX_EINVAL;
  if (last == "..") return -LX_ENOTEMPTY;
  // A mount point cannot be removed.
  Loc full;
  ResolveOpts o;
  o.follow = false;
  if (p.k.vfs.resolve(p.root, dir, last, o, full) == 0 && full.node->fs() != dir.node->fs()) return -LX_EBUSY;
  return dir.node->rmdir(last);
}
int64_t do_unlink(Task& p, int dirfd, const std::string& path) {
  Loc dir;
  std::string last;
  bool trailing = false;
  int e = p.resolve_parent_at(dirfd, path, dir, last, &trailing);
  if (e < 0) return e;
  if (last.empty() || last == "." || last == "..") return -LX_EISDIR;
  if (trailing) {
    InodeRef c;
    e = dir.node->lookup(last, c);
    if (e < 0) return e;
    return c->is_dir() ? -LX_EISDIR : -LX_ENOTDIR;
  }
  return dir.node->unlink(last);
}
SYS(rmdir) {
  GET_PATH(path, 0);
  return do_rmdir(p, LAT_FDCWD, path);
}
SYS(unlink) {
  GET_PATH(path, 0);
  return do_unlink(p, LAT_FDCWD, path);
}
SYS(unlinkat) {
  GET_PATH(path, 1);
  const uint32_t flags = (uint32_t)a[2];
  if (flags & ~LAT_REMOVEDIR) return -LX_EINVAL;
  return (flags & LAT_REMOVEDIR) ? do_rmdir(p, arg_int(a, 0), path) : do_unlink(p, arg_int(a, 0), path);
}

// A directory renamed: the cwd and root of every task under the same root that were at or
// below its old path are now at or below the new one (getcwd, /proc/PID/cwd report it).
static std::string join_path(const std::string& dir, const std::string& name) {
  return dir == "/" ? "/" + name : dir + "/" + name;
}
static void renamed_dir_paths(Task& p, const std::string& from, const std::string& to, bool exchange) {
  auto moved = [](std::string& path, const std::string& a, const std::string& b) {
    if (path.compare(0, a.size(), a) != 0 || (path.size() > a.size() && path[a.size()] != '/')) return false;
    path = b + path.substr(a.size());
    return true;
  };
  std::vector<FsInfo*> seen;
  for (Task* t : p.k.procs) {
    FsInfo* f = t->fsi.get();
    if (!f || std::find(seen.begin(), seen.end(), f) != seen.end()) continue;
    seen.push_back(f);
    if (f->root.node != p.root.node) continue;
    for (Loc* l : {&f->cwd}) {
      if (!moved(l->path, from, to) && exchange) moved(l->path, to, from);
    }
  }
}

int64_t do_rename(Task& p, int ofd, const std::string& op, int nfd, const std::string& np, uint32_t flags) {
  if (flags & ~(LRENAME_NOREPLACE | LRENAME_EXCHANGE | LRENAME_WHITEOUT)) return -LX_EINVAL;
  if (flags & LRENAME_WHITEOUT) return -LX_EINVAL;
  Loc od, nd;
  std::string ol, nl;
  int e = p.resolve_parent_at(ofd, op, od, ol);
  if (e < 0) return e;
  e = p.resolve_parent_at(nfd, np, nd, nl);
  if (e < 0) return e;
  if (ol.empty() || ol == "." || ol == ".." || nl.empty() || nl == "." || nl == "..") return -LX_EBUSY;
  if (od.node->fs() != nd.node->fs()) return -LX_EXDEV;
  InodeRef src;
  e = od.node->lookup(ol, src);
  if (e < 0) return e;
  e = od.node->rename(ol, *nd.node, nl, flags);
  if (e == 0 && src->is_dir()) renamed_dir_paths(p, join_path(od.path, ol), join_path(nd.path, nl), flags & LRENAME_EXCHANGE);
  return e;
}
SYS(rename) {
  GET_PATH(o, 0);
  GET_PATH(n, 1);
  return do_rename(p, LAT_FDCWD, o, LAT_FDCWD, n, 0);
}
SYS(renameat) {
  GET_PATH(o, 1);
  GET_PATH(n, 3);
  return do_rename(p, arg_int(a, 0), o, arg_int(a, 2), n, 0);
}
SYS(renameat2) {
  GET_PATH(o, 1);
  GET_PATH(n, 3);
  return do_rename(p, arg_int(a, 0), o, arg_int(a, 2), n, (uint32_t)a[4]);
}

int64_t do_link(Task& p, int ofd, const std::string& op, int nfd, const std::string& np, uint32_t flags) {
  if (flags & ~(LAT_SYMLINK_FOLLOW | LAT_EMPTY_PATH)) return -LX_EINVAL;
  Loc src;
  int e = p.resolve_at(ofd, op, (flags & LAT_SYMLINK_FOLLOW) != 0, src, (flags & LAT_EMPTY_PATH) != 0);
  if (e < 0) return e;
  if (src.node->is_dir()) return -LX_EPERM;
  Loc nd;
  std::string nl;
  bool trailing = false;
  e = p.resolve_parent_at(nfd, np, nd, nl, &trailing);
  if (e < 0) return e;
  if (nl.empty() || nl == "." || nl == ".." ) return -LX_EEXIST;
  if (trailing) return -LX_ENOENT;
  if (src.node->fs() != nd.node->fs()) return -LX_EXDEV;
  InodeRef existing;
  if (nd.node->lookup(nl, existing) == 0) return -LX_EEXIST;
  return nd.node->link(nl, *src.node);
}
SYS(link) {
  GET_PATH(o, 0);
  GET_PATH(n, 1);
  return do_link(p, LAT_FDCWD, o, LAT_FDCWD, n, 0);
}
SYS(linkat) {
  GET_PATH(o, 1);
  GET_PATH(n, 3);
  return do_link(p, arg_int(a, 0), o, arg_int(a, 2), n, (uint32_t)a[4]);
}

int64_t do_symlink(Task& p, const std::string& target, int nfd, const std::string& np) {
  if (target.empty()) return -LX_ENOENT;
  Loc nd;
  std::string nl;
  bool trailing = false;
  int e = p.resolve_parent_at(nfd, np, nd, nl, &trailing);
  if (e < 0) return e;
  if (nl.empty() || nl == "." || nl == "..") return -LX_EEXIST;
  InodeRef existing;
  if (nd.node->lookup(nl, existing) == 0) return -LX_EEXIST;
  if (trailing) return -LX_ENOENT;
  return nd.node->symlink(nl, target);
}
SYS(symlink) {
  GET_PATH(t, 0);
  GET_PATH(n, 1);
  return do_symlink(p, t, LAT_FDCWD, n);
}
SYS(symlinkat) {
  GET_PATH(t, 0);
  GET_PATH(n, 2);
  return do_symlink(p, t, arg_int(a, 1), n);
}

// ---- attributes ----------------------------------------------------------------------

SYS(chmod) {
  GET_PATH(path, 0);
  Loc l;
  int e = p.resolve_at(LAT_FDCWD, path, true, l);
  if (e < 0) return e;
  return l.node->chmod((uint32_t)a[1] & 07777);
}
SYS(fchmod) {
  GET_FILE(f, 0);
  return f->node->chmod((uint32_t)a[1] & 07777);
}
SYS(fchmodat) {
  GET_PATH(path, 1);
  Loc l;
  int e = p.resolve_at(arg_int(a, 0), path, true, l);
  if (e < 0) return e;
  return l.node->chmod((uint32_t)a[2] & 07777);
}

int64_t do_chown(Task& p, const Loc& l, uint64_t uid, uint64_t gid) {
  return l.node->chown((uint32_t)uid, (uint32_t)gid);
}
SYS(chown) {
  GET_PATH(path, 0);
  Loc l;
  int e = p.resolve_at(LAT_FDCWD, path, true, l);
  if (e < 0) return e;
  return do_chown(p, l, a[1], a[2]);
}
SYS(lchown) {
  GET_PATH(path, 0);
  Loc l;
  int e = p.resolve_at(LAT_FDCWD, path, false, l);
  if (e < 0) return e;
  return do_chown(p, l, a[1], a[2]);
}
SYS(fchown) {
  GET_FILE(f, 0);
  return f->node->chown((uint32_t)a[1], (uint32_t)a[2]);
}
SYS(fchownat) {
  const uint32_t flags = (uint32_t)a[4];
  if (flags & ~(LAT_SYMLINK_NOFOLLOW | LAT_EMPTY_PATH)) return -LX_EINVAL;
  Loc l;
  int e = resolve_at_flags(p, arg_int(a, 0), a[1], flags, l);
  if (e < 0) return e;
  return do_chown(p, l, a[2], a[3]);
}

int64_t do_utimens(Task& p, const Loc& l, const lx_timespec* ts) {
  Timespec t[2];
  if (!ts) {
    t[0].nsec = t[1].nsec = kUtimeNow;
  } else {
    for (int i = 0; i < 2; i++) {
      if (ts[i].tv_nsec != kUtimeNow && ts[i].tv_nsec != kUtimeOmit && (ts[i].tv_nsec < 0 || ts[i].tv_nsec >= 1000000000))
        return -LX_EINVAL;
      t[i] = {ts[i].tv_sec, ts[i].tv_nsec};
    }
  }
  return l.node->utimens(&t[0], &t[1]);
}
SYS(utimensat) {
  const uint32_t flags = (uint32_t)a[3];
  if (flags & ~(LAT_SYMLINK_NOFOLLOW | LAT_EMPTY_PATH)) return -LX_EINVAL;
  lx_timespec ts[2];
  if (a[2] && !p.get(ts, a[2], sizeof ts)) return -LX_EFAULT;
  Loc l;
  if (a[1] == 0) {  // futimens(fd)
    if (arg_int(a, 0) == LAT_FDCWD) return -LX_EFAULT;
    GET_FILE(f, 0);
    l = Loc{f->node, f->loc.path};
  } else {
    int e = resolve_at_flags(p, arg_int(a, 0), a[1], flags, l);
    if (e < 0) return e;
  }
  return do_utimens(p, l, a[2] ? ts : nullptr);
}
SYS(utimes) {
  GET_PATH(path, 0);
  Loc l;
  int e = p.resolve_at(LAT_FDCWD, path, true, l);
  if (e < 0) return e;
  if (!a[1]) return do_utimens(p, l, nullptr);
  lx_timeval tv[2];
  if (!p.get(tv, a[1], sizeof tv)) return -LX_EFAULT;
  for (const lx_timeval& t : tv)
    if (t.tv_usec < 0 || t.tv_usec >= 1000000) return -LX_EINVAL;
  lx_timespec ts[2] = {{tv[0].tv_sec, tv[0].tv_usec * 1000}, {tv[1].tv_sec, tv[1].tv_usec * 1000}};
  return do_utimens(p, l, ts);
}
SYS(utime) {
  GET_PATH(path, 0);
  Loc l;
  int e = p.resolve_at(LAT_FDCWD, path, true, l);
  if (e < 0) return e;
  if (!a[1]) return do_utimens(p, l, nullptr);
  int64_t ub[2];
  if (!p.get(ub, a[1], sizeof ub)) return -LX_EFAULT;
  lx_timespec ts[2] = {{ub[0], 0}, {ub[1], 0}};
  return do_utimens(p, l, ts);
}

SYS(truncate) {
  GET_PATH(path, 0);
  if ((int64_t)a[1] < 0) return -LX_EINVAL;
  Loc l;
  int e = p.resolve_at(LAT_FDCWD, path, true, l);
  if (e < 0) return e;
  if (l.node->is_dir()) return -LX_EISDIR;
  if (!l.node->is_reg()) return -LX_EINVAL;
  return file_truncate(p.k.phys->shared, *l.node, a[1]);
}

int64_t put_statfs(Task& p, const InodeRef& n, uint64_t buf) {
  lx_statfs s;
  int e = n->fs()->statfs(s);
  if (e < 0) return e;
  if (n->fs() == &p.k.anon) s.f_type = n->ftype() == LS_IFIFO ? 0x50495045 : 0x1cd1;
  s.f_fsid[0] = (int32_t)n->fs()->dev();
  return p.put(buf, &s, sizeof s) ? 0 : -LX_EFAULT;
}
SYS(statfs) {
  GET_PATH(path, 0);
  Loc l;
  int e = p.resolve_at(LAT_FDCWD, path, true, l);
  if (e < 0) return e;
  return put_statfs(p, l.node, a[1]);
}
SYS(fstatfs) {
  GET_FILE(f, 0);
  return put_statfs(p, f->node, a[1]);
}

SYS(umask) {
  const uint32_t old = p.umask;
  p.umask = (uint32_t)a[0] & 0777;
  return old;
}

int64_t do_mknod(Task& p, int dirfd, const std::string& path, uint32_t mode, uint64_t dev) {
  Loc dir;
  std::string last;
  int e = p.resolve_parent_at(dirfd, path, dir, last);
  if (e < 0) return e;
  if (last.empty() || last == "." || last == "..") return -LX_EEXIST;
  InodeRef existing;
  if (dir.node->lookup(last, existing) == 0) return -LX_EEXIST;
  const uint32_t type = mode & LS_IFMT;
  const uint32_t perm = (mode & 07777) & ~p.umask;
  if (type == 0 || type == LS_IFREG) {
    InodeRef n;
    return dir.node->create(last, perm, n);
  }
  if (type == LS_IFDIR) return -LX_EINVAL;
  return dir.node->mknod(last, type | perm, dev);
}
SYS(mknod) {
  GET_PATH(path, 0);
  return do_mknod(p, LAT_FDCWD, path, (uint32_t)a[1], a[2]);
}
SYS(mknodat) {
  GET_PATH(path, 1);
  return do_mknod(p, arg_int(a, 0), path, (uint32_t)a[2], a[3]);
}

// Extended attributes: the file system's (tmpfs keeps them; ext2 images here are built
// without: no attribute, empty list, EOPNOTSUPP on writes).
int xattr_target(Task& p, const uint64_t* a, bool follow, bool by_fd, Loc& l) {
  if (by_fd) {
    FileRef f = p.fds.get(arg_int(a, 0));
    if (!f) return -LX_EBADF;
    l = Loc{f->node, f->loc.path};
    return 0;
  }
  std::string path;
  int e = p.get_path(a[0], path);
  if (e < 0) return e;
  return p.resolve_at(LAT_FDCWD, path, follow, l);
}
int xattr_name(Task& p, uint64_t addr, std::string& name) {
  if (!p.mem->read_cstr(addr, name, 256)) return name.size() >= 255 ? -LX_ERANGE : -LX_EFAULT;
  if (name.empty() || name.size() > 255) return -LX_ERANGE;
  return 0;
}
// Copies `data` out for get/list: size 0 asks for the length.
int64_t xattr_out(Task& p, uint64_t buf, uint64_t size, const std::string& data) {
  if (size == 0) return (int64_t)data.size();
  if (size < data.size()) return -LX_ERANGE;
  return p.put(buf, data.data(), data.size()) ? (int64_t)data.size() : -LX_EFAULT;
}
int64_t xattr_get(Task& p, const uint64_t* a, bool follow, bool by_fd) {
  Loc l;
  std::string name, value;
  int e = xattr_target(p, a, follow, by_fd, l);
  if (e == 0) e = xattr_name(p, a[1], name);
  if (e == 0) e = l.node->getxattr(name, value);
  return e < 0 ? e : xattr_out(p, a[2], a[3], value);
}
int64_t xattr_list(Task& p, const uint64_t* a, bool follow, bool by_fd) {
  Loc l;
  int e = xattr_target(p, a, follow, by_fd, l);
  std::vector<std::string> names;
  if (e == 0) e = l.node->listxattr(names);
  if (e < 0) return e;
  std::string all;
  for (auto& n : names) { all += n; all += '\0'; }
  return xattr_out(p, a[1], a[2], all);
}
int64_t xattr_set(Task& p, const uint64_t* a, bool follow, bool by_fd) {
  Loc l;
  std::string name;
  int e = xattr_target(p, a, follow, by_fd, l);
  if (e == 0) e = xattr_name(p, a[1], name);
  if (e < 0) return e;
  if (a[4] & ~3ull) return -LX_EINVAL;
  if (a[3] > 65536) return -LX_E2BIG;
  std::string value((size_t)a[3], '\0');
  if (a[3] && !p.get(&value[0], a[2], a[3])) return -LX_EFAULT;
  return l.node->setxattr(name, value, (int)a[4]);
}
int64_t xattr_remove(Task& p, const uint64_t* a, bool follow, bool by_fd) {
  Loc l;
  std::string name;
  int e = xattr_target(p, a, follow, by_fd, l);
  if (e == 0) e = xattr_name(p, a[1], name);
  return e < 0 ? e : l.node->removexattr(name);
}
SYS(getxattr) { return xattr_get(p, a, true, false); }
SYS(lgetxattr) { return xattr_get(p, a, false, false); }
SYS(fgetxattr) { return xattr_get(p, a, true, true); }
SYS(listxattr) { return xattr_list(p, a, true, false); }
SYS(llistxattr) { return xattr_list(p, a, false, false); }
SYS(flistxattr) { return xattr_list(p, a, true, true); }
SYS(setxattr) { return xattr_set(p, a, true, false); }
SYS(lsetxattr) { return xattr_set(p, a, false, false); }
SYS(fsetxattr) { return xattr_set(p, a, true, true); }
SYS(removexattr) { return xattr_remove(p, a, true, false); }
SYS(lremovexattr) { return xattr_remove(p, a, false, false); }
SYS(fremovexattr) { return xattr_remove(p, a, true, true); }

SYS(sync) {
  for (auto& m : p.k.vfs.mounts()) m.fs->sync();
  return 0;
}
SYS(syncfs) {
  GET_FILE(f, 0);
  return f->node->fs()->sync();
}

}  // namespace

void register_sys_fs(SyscallTable& t) {
  t.add(4, "stat", sys_stat, {K(A_PATH), K(A_STAT_OUT)});
  t.add(5, "fstat", sys_fstat, {FD(), K(A_STAT_OUT)});
  t.add(6, "lstat", sys_lstat, {K(A_PATH), K(A_STAT_OUT)});
  t.add(21, "access", sys_access, {K(A_PATH), K(A_ACCESS_MODE)});
  t.add(76, "truncate", sys_truncate, {K(A_PATH), L()});
  t.add(79, "getcwd", sys_getcwd, {K(A_BUF_OUT, 1), U()});
  t.add(80, "chdir", sys_chdir, {K(A_PATH)});
  t.add(81, "fchdir", sys_fchdir, {FD()});
  t.add(82, "rename", sys_rename, {K(A_PATH), K(A_PATH)});
  t.add(83, "mkdir", sys_mkdir, {K(A_PATH), K(A_OCT)});
  t.add(84, "rmdir", sys_rmdir, {K(A_PATH)});
  t.add(86, "link", sys_link, {K(A_PATH), K(A_PATH)});
  t.add(87, "unlink", sys_unlink, {K(A_PATH)});
  t.add(88, "symlink", sys_symlink, {K(A_PATH), K(A_PATH)});
  t.add(89, "readlink", sys_readlink, {K(A_PATH), K(A_BUF_OUT, 2), U()});
  t.add(90, "chmod", sys_chmod, {K(A_PATH), K(A_OCT)});
  t.add(91, "fchmod", sys_fchmod, {FD(), K(A_OCT)});
  t.add(92, "chown", sys_chown, {K(A_PATH), I(), I()});
  t.add(93, "fchown", sys_fchown, {FD(), I(), I()});
  t.add(94, "lchown", sys_lchown, {K(A_PATH), I(), I()});
  t.add(95, "umask", sys_umask, {K(A_OCT)}, R_INT);
  t.add(132, "utime", sys_utime, {K(A_PATH), P()});
  t.add(133, "mknod", sys_mknod, {K(A_PATH), K(A_OCT), H()});
  t.add(137, "statfs", sys_statfs, {K(A_PATH), K(A_OUT_PTR)});
  t.add(138, "fstatfs", sys_fstatfs, {FD(), K(A_OUT_PTR)});
  t.add(161, "chroot", sys_chroot, {K(A_PATH)});
  t.add(162, "sync", sys_sync, {});
  t.add(217, "getdents64", sys_getdents64, {FD(), K(A_DIRENTS), U()});
  t.add(235, "utimes", sys_utimes, {K(A_PATH), P()});
  t.add(258, "mkdirat", sys_mkdirat, {K(A_DIRFD), K(A_PATH), K(A_OCT)});
  t.add(259, "mknodat", sys_mknodat, {K(A_DIRFD), K(A_PATH), K(A_OCT), H()});
  t.add(260, "fchownat", sys_fchownat, {K(A_DIRFD), K(A_PATH), I(), I(), K(A_AT_FLAGS)});
  t.add(262, "newfstatat", sys_newfstatat, {K(A_DIRFD), K(A_PATH), K(A_STAT_OUT), K(A_AT_FLAGS)});
  t.add(263, "unlinkat", sys_unlinkat, {K(A_DIRFD), K(A_PATH), K(A_AT_FLAGS)});
  t.add(264, "renameat", sys_renameat, {K(A_DIRFD), K(A_PATH), K(A_DIRFD), K(A_PATH)});
  t.add(265, "linkat", sys_linkat, {K(A_DIRFD), K(A_PATH), K(A_DIRFD), K(A_PATH), K(A_AT_FLAGS)});
  t.add(266, "symlinkat", sys_symlinkat, {K(A_PATH), K(A_DIRFD), K(A_PATH)});
  t.add(267, "readlinkat", sys_readlinkat, {K(A_DIRFD), K(A_PATH), K(A_BUF_OUT, 3), U()});
  t.add(268, "fchmodat", sys_fchmodat, {K(A_DIRFD), K(A_PATH), K(A_OCT)});
  t.add(269, "faccessat", sys_faccessat, {K(A_DIRFD), K(A_PATH), K(A_ACCESS_MODE)});
  t.add(280, "utimensat", sys_utimensat, {K(A_DIRFD), K(A_PATH), P(), K(A_AT_FLAGS)});
  t.add(188, "setxattr", sys_setxattr, {K(A_PATH), K(A_STR), P(), U(), I()});
  t.add(189, "lsetxattr", sys_lsetxattr, {K(A_PATH), K(A_STR), P(), U(), I()});
  t.add(190, "fsetxattr", sys_fsetxattr, {FD(), K(A_STR), P(), U(), I()});
  t.add(191, "getxattr", sys_getxattr, {K(A_PATH), K(A_STR), P(), U()});
  t.add(192, "lgetxattr", sys_lgetxattr, {K(A_PATH), K(A_STR), P(), U()});
  t.add(193, "fgetxattr", sys_fgetxattr, {FD(), K(A_STR), P(), U()});
  t.add(194, "listxattr", sys_listxattr, {K(A_PATH), P(), U()});
  t.add(195, "llistxattr", sys_llistxattr, {K(A_PATH), P(), U()});
  t.add(196, "flistxattr", sys_flistxattr, {FD(), P(), U()});
  t.add(197, "removexattr", sys_removexattr, {K(A_PATH), K(A_STR)});
  t.add(198, "lremovexattr", sys_lremovexattr, {K(A_PATH), K(A_STR)});
  t.add(199, "fremovexattr", sys_fremovexattr, {FD(), K(A_STR)});
  t.add(306, "syncfs", sys_syncfs, {FD()});
  t.add(316, "renameat2", sys_renameat2, {K(A_DIRFD), K(A_PATH), K(A_DIRFD), K(A_PATH), K(A_RENAME_FLAGS)});
  t.add(332, "statx", sys_statx, {K(A_DIRFD), K(A_PATH), K(A_AT_FLAGS), H(), K(A_STATX_OUT)});
  t.add(439, "faccessat2", sys_faccessat2, {K(A_DIRFD), K(A_PATH), K(A_ACCESS_MODE), K(A_AT_FLAGS)});
}

}  // namespace gb
