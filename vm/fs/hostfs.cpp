// vm/fs/hostfs.cpp — HostFs: a host directory as a guest file system (see hostfs.h).
#include "vm/fs/hostfs.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#ifdef __EMSCRIPTEN__
#include <emscripten.h>
// Returns 0 or a Linux errno.
EM_JS(int, gb_js_link, (const char* from, const char* to), {
  try { require('fs').linkSync(UTF8ToString(from), UTF8ToString(to)); return 0; }
  catch (e) {
    var m = {EEXIST: 17, ENOENT: 2, EPERM: 1, EACCES: 13, EXDEV: 18, ENOSPC: 28, EMLINK: 31, ENOTDIR: 20, EROFS: 30};
    return m[e.code] || 5;
  }
});
// emcc 3.1.6's utimensat hands milliseconds to node's fs.utimesSync, which takes seconds
// (times end up clamped to 2^31-1). Call node directly with seconds. A double of seconds
// carries about a quarter of a microsecond near today's dates: finer than that cannot
// cross node's API. Returns 0 or a Linux errno.
EM_JS(int, gb_js_utimes, (const char* path, double at, double mt, int nofollow), {
  try {
    var fs = require('fs');
    (nofollow && fs.lutimesSync ? fs.lutimesSync : fs.utimesSync)(UTF8ToString(path), at, mt);
    return 0;
  } catch (e) {
    var m = {ENOENT: 2, EPERM: 1, EACCES: 13, ENOTDIR: 20, EROFS: 30, ELOOP: 40};
    return m[e.code] || 5;
  }
});
// The root's canonical absolute path: node resolves relative paths against its own cwd,
// and the per-call check compares one lstat of the full path, so no symlink may remain
// in it. Writes at most `cap` bytes; returns the length or -1.
EM_JS(int, gb_js_realpath, (const char* path, char* out, int cap), {
  try {
    var r = require('fs').realpathSync(UTF8ToString(path));
    if (lengthBytesUTF8(r) + 1 > cap) return -1;
    stringToUTF8(r, out, cap);
    return lengthBytesUTF8(r);
  } catch (e) { return -1; }
});
// emcc 3.1.6's fstat is a stat of the path the fd was opened with (it follows symlinks),
// so after a rename it describes whatever now has that name, possibly outside the root.
// Ask node about the real host fd instead. Returns 0 or a Linux errno; o[16] gets dev,
// ino, mode, nlink, uid, gid, rdev, size, blksize, blocks and (sec, nsec) of a/m/ctime.
EM_JS(int, gb_js_hostfs_fstat, (int fd, double* o), {
  try {
    var s = FS.getStream(fd);
    if (!s) return 9;
    var st = require('fs').fstatSync(s.nfd, {bigint: true});
    var v = [st.dev, st.ino, st.mode, st.nlink, st.uid, st.gid, st.rdev, st.size, st.blksize, st.blocks];
    for (var i = 0; i < 10; i++) HEAPF64[(o >> 3) + i] = Number(v[i]);
    var t = [st.atimeNs, st.mtimeNs, st.ctimeNs];
    for (var j = 0; j < 3; j++) {
      HEAPF64[(o >> 3) + 10 + 2 * j] = Number(t[j] / BigInt(1000000000));
      HEAPF64[(o >> 3) + 11 + 2 * j] = Number(t[j] % BigInt(1000000000));
    }
    return 0;
  } catch (e) {
    var m = {ENOENT: 2, EBADF: 9, EACCES: 13, EIO: 5};
    return m[e.code] || 5;
  }
});
#endif

namespace gb {

namespace {
// fstat of a host fd that describes the open file itself (see gb_js_hostfs_fstat).
int host_fstat(int fd, struct stat* h) {
#ifdef __EMSCRIPTEN__
  double o[16];
  const int e = gb_js_hostfs_fstat(fd, o);
  if (e) { errno = EBADF; return -1; }
  memset(h, 0, sizeof *h);
  h->st_dev = (dev_t)o[0];
  h->st_ino = (ino_t)o[1];
  h->st_mode = (mode_t)o[2];
  h->st_nlink = (nlink_t)o[3];
  h->st_uid = (uid_t)o[4];
  h->st_gid = (gid_t)o[5];
  h->st_rdev = (dev_t)o[6];
  h->st_size = (off_t)o[7];
  h->st_blksize = (blksize_t)o[8];
  h->st_blocks = (blkcnt_t)o[9];
  h->st_atim.tv_sec = (time_t)o[10]; h->st_atim.tv_nsec = (long)o[11];
  h->st_mtim.tv_sec = (time_t)o[12]; h->st_mtim.tv_nsec = (long)o[13];
  h->st_ctim.tv_sec = (time_t)o[14]; h->st_ctim.tv_nsec = (long)o[15];
  return 0;
#else
  return fstat(fd, h);
#endif
}
}  // namespace

// ---- live inodes (rename tracking, see hostfs.h) ---------------------------------------
// Every HostInode registers itself by host inode number; renames, unlinks and rmdirs done
// through the engine find the live inodes that named the entry and move or detach them.
struct HostLive {
  std::unordered_multimap<uint64_t, HostInode*> by_ino;
};

namespace {

int herr() { return neg_host_errno(); }

// Inode numbers are unique per host device only: files on other host devices below the
// root (when the root is a host's "/") get their device mixed into the number, so that
// (fs, ino) identifies an inode (mount points depend on it).
uint64_t mix_ino(const struct stat& h, uint64_t root_dev) {
  if ((uint64_t)h.st_dev == root_dev) return (uint64_t)h.st_ino;
  return (uint64_t)h.st_ino ^ ((uint64_t)h.st_dev * 0x9e3779b97f4a7c15ull << 20);
}

void to_stat(const struct stat& h, Stat& s, uint64_t dev, uint64_t root_dev) {
  s.dev = dev;
  s.ino = mix_ino(h, root_dev);
  s.nlink = (uint64_t)h.st_nlink;
  // File type bits are the same on every POSIX host (S_IFMT = 0170000).
  s.mode = (uint32_t)h.st_mode;
  s.uid = (uint32_t)h.st_uid;
  s.gid = (uint32_t)h.st_gid;
  s.rdev = (uint64_t)h.st_rdev;
  s.size = (int64_t)h.st_size;
  s.blksize = h.st_blksize ? (int64_t)h.st_blksize : 4096;
  s.blocks = (int64_t)h.st_blocks;
  s.atime = {(int64_t)h.st_atim.tv_sec, (int64_t)h.st_atim.tv_nsec};
  s.mtime = {(int64_t)h.st_mtim.tv_sec, (int64_t)h.st_mtim.tv_nsec};
  s.ctime = {(int64_t)h.st_ctim.tv_sec, (int64_t)h.st_ctim.tv_nsec};
}

int open_dir_at(int dfd, const char* name) {
  int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
#if defined(O_PATH) && !defined(__EMSCRIPTEN__)
  // A directory we may search but not list (mode 0111): O_PATH is enough for *at calls.
  if (fd < 0 && errno == EACCES) fd = openat(dfd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
#endif
  return fd;
}

}  // namespace

// Where one host call acts: natively a directory fd and a name; in node AT_FDCWD and an
// absolute path that was checked just before (HostInode::at).
struct HostAt {
  int fd = -1;
  std::string name;
  const char* c() const { return name.c_str(); }
};

constexpr uint32_t kSpecialBits = 06000;  // S_ISUID | S_ISGID: never set on the host

class HostInode : public Inode {
 public:
  HostInode(HostFs* fs, std::shared_ptr<HostInode> parent, std::string name, const struct stat& st, int dfd)
      : fs_(fs), live_(fs->live_), parent_(std::move(parent)), name_(std::move(name)),
        ino_(mix_ino(st, fs->host_dev_)), hino_((uint64_t)st.st_ino), hdev_((uint64_t)st.st_dev),
        type_((uint32_t)st.st_mode & LS_IFMT), dfd_(dfd) {
    live_->by_ino.emplace(hino_, this);
  }
  ~HostInode() override {
    auto r = live_->by_ino.equal_range(hino_);
    for (auto it = r.first; it != r.second; ++it)
      if (it->second == this) { live_->by_ino.erase(it); break; }
    if (dfd_ >= 0) close(dfd_);
    if (rfd_ >= 0) close(rfd_);
    if (wfd_ >= 0) close(wfd_);
  }

  FileSystem* fs() const override { return fs_; }
  uint64_t ino() const override { return ino_; }
  uint32_t ftype() const override { return type_; }
  const void* page_key() const override {
    if (!page_key_) page_key_ = fs_->page_key(ino_);
    return page_key_.get();
  }

  int getattr(Stat& st) override {
    struct stat h;
    int r;
    if (dfd_ >= 0) r = host_fstat(dfd_, &h);
    else if (rfd_ >= 0) r = host_fstat(rfd_, &h);
    else if (wfd_ >= 0) r = host_fstat(wfd_, &h);
    else {
      HostAt a;
      if (int e = parent_at(a); e < 0) return e;
      r = fstatat(a.fd, a.c(), &h, AT_SYMLINK_NOFOLLOW);
    }
    if (r < 0) return herr();
    to_stat(h, st, fs_->dev(), fs_->host_dev_);
    st.mode |= fs_->special_bits(ino_);
    return 0;
  }

  int on_open(uint32_t flags) override {
    if (type_ == LS_IFDIR) return 0;
    if (type_ != LS_IFREG) return -LX_EACCES;  // host devices, FIFOs, sockets stay closed
    const uint32_t acc = flags & LO_ACCMODE;
    if (acc == LO_RDONLY || acc == LO_RDWR) {
      int e = ensure_rfd();
      if (e < 0) return e;
    }
    if (acc == LO_WRONLY || acc == LO_RDWR) {
      int e = ensure_wfd();
      if (e < 0) return e;
    }
    return 0;
  }

  int64_t read(uint64_t off, void* buf, uint64_t n, uint32_t oflags) override {
    if (type_ == LS_IFDIR) return -LX_EISDIR;
    if (type_ != LS_IFREG) return -LX_EINVAL;
    int e = ensure_rfd();
    if (e < 0) return e;
    ssize_t r = pread(rfd_, buf, n, (off_t)off);
    return r < 0 ? herr() : r;
  }

  int64_t write(uint64_t off, const void* buf, uint64_t n, uint32_t oflags) override {
    if (type_ == LS_IFDIR) return -LX_EISDIR;
    if (type_ != LS_IFREG) return -LX_EINVAL;
    int e = ensure_wfd();
    if (e < 0) return e;
    ssize_t r = pwrite(wfd_, buf, n, (off_t)off);
    return r < 0 ? herr() : r;
  }

  int truncate(uint64_t size) override {
    if (type_ == LS_IFDIR) return -LX_EISDIR;
    if (type_ != LS_IFREG) return -LX_EINVAL;
    int e = ensure_wfd();
    if (e < 0) return e;
    return ftruncate(wfd_, (off_t)size) < 0 ? herr() : 0;
  }

  int fsync() override {
    if (wfd_ >= 0 && ::fsync(wfd_) < 0) return herr();
    return 0;
  }

  // ---- directories ----
  int lookup(const std::string& name, InodeRef& out) override {
    if (type_ != LS_IFDIR) return -LX_ENOTDIR;
    if (name == "..") {
      out = parent_ ? std::static_pointer_cast<Inode>(parent_) : shared_from_this();
      return 0;
    }
    if (name == ".") { out = shared_from_this(); return 0; }
    std::string rel;
    const bool cacheable = rel_path(rel) == 0;
    if (cacheable) {
      rel = rel.empty() ? name : rel + "/" + name;
      if (auto c = fs_->cached_dir(rel)) { out = c; return 0; }
    }
    HostAt a;
    if (int e = at(name, a); e < 0) return e;
    struct stat h;
    if (fstatat(a.fd, a.c(), &h, AT_SYMLINK_NOFOLLOW) < 0) return herr();
    int cfd = -1;
    if (S_ISDIR(h.st_mode)) {
      cfd = open_dir_at(a.fd, a.c());
      if (cfd < 0) return herr();
      // The directory opened must be the one just looked at (a host race): else ENOENT.
      struct stat o;
      if (host_fstat(cfd, &o) < 0 || o.st_ino != h.st_ino || o.st_dev != h.st_dev) { close(cfd); return -LX_ENOENT; }
    }
    auto self = std::static_pointer_cast<HostInode>(shared_from_this());
    auto n = std::make_shared<HostInode>(fs_, self, name, h, cfd);
    if (cfd >= 0 && cacheable) fs_->cache_dir(rel, n);
    out = n;
    return 0;
  }

  int readdir(std::vector<DirEntry>& out) override {
    if (type_ != LS_IFDIR) return -LX_ENOTDIR;
    HostAt a;
    if (int e = at(".", a); e < 0) return e;
    int fd = openat(a.fd, a.c(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return herr();
    DIR* d = fdopendir(fd);
    if (!d) { int e = herr(); close(fd); return e; }
    out.clear();
    errno = 0;
    while (struct dirent* de = ::readdir(d)) {
      DirEntry e;
      e.name = de->d_name;
      e.ino = (uint64_t)de->d_ino;
      e.type = (uint8_t)de->d_type;  // DT_* values are the same on every POSIX host
      if (e.name == ".") e.ino = ino_;
      else if (e.name == "..") e.ino = parent_ ? parent_->ino_ : ino_;
      if (e.type == LDT_UNKNOWN) {
        struct stat h;
        HostAt c;
        if (at(e.name, c) == 0 && fstatat(c.fd, c.c(), &h, AT_SYMLINK_NOFOLLOW) == 0) e.type = lx_dtype((uint32_t)h.st_mode);
      }
      out.push_back(std::move(e));
    }
    closedir(d);
    return 0;
  }

  int create(const std::string& name, uint32_t mode, InodeRef& out) override {
    if (type_ != LS_IFDIR) return -LX_ENOTDIR;
    HostAt a;
    if (int e = at(name, a); e < 0) return e;
    const mode_t hmode = (mode_t)(mode & 07777 & ~kSpecialBits);
    int fd = openat(a.fd, a.c(), O_CREAT | O_EXCL | O_RDWR | O_NOFOLLOW | O_CLOEXEC, hmode);
    if (fd < 0) return herr();
    fchmod(fd, hmode);  // exact mode: the guest's umask is already applied
    struct stat h;
    if (host_fstat(fd, &h) < 0) { int e = herr(); close(fd); return e; }
    auto self = std::static_pointer_cast<HostInode>(shared_from_this());
    auto n = std::make_shared<HostInode>(fs_, self, name, h, -1);
    fs_->set_special_bits(n->ino_, mode & kSpecialBits);
    n->rfd_ = fd;
    n->wfd_ = dup(fd);
    out = n;
    return 0;
  }

  int mkdir(const std::string& name, uint32_t mode) override {
    if (type_ != LS_IFDIR) return -LX_ENOTDIR;
    HostAt a;
    if (int e = at(name, a); e < 0) return e;
    const mode_t hmode = (mode_t)(mode & 07777 & ~kSpecialBits);
    if (mkdirat(a.fd, a.c(), hmode) < 0) return herr();
    fchmodat(a.fd, a.c(), hmode, 0);  // also drops a setgid bit inherited on the host
    struct stat h;
    // As Linux: mkdir ignores setuid/setgid in the mode; a directory made in a setgid
    // directory is setgid (here: the virtual bit of the parent).
    if (fstatat(a.fd, a.c(), &h, AT_SYMLINK_NOFOLLOW) == 0)
      fs_->set_special_bits(mix_ino(h, fs_->host_dev_), fs_->special_bits(ino_) & 02000u);
    return 0;
  }

  int unlink(const std::string& name) override {
    if (type_ != LS_IFDIR) return -LX_ENOTDIR;
    HostAt a;
    if (int e = at(name, a); e < 0) return e;
    struct stat h;
    if (fstatat(a.fd, a.c(), &h, AT_SYMLINK_NOFOLLOW) < 0) return herr();
    if (S_ISDIR(h.st_mode)) return -LX_EISDIR;
    if (unlinkat(a.fd, a.c(), 0) < 0) return herr();
    for (HostInode* n : named(name, h)) n->detached_ = true;
    return 0;
  }

  int rmdir(const std::string& name) override {
    if (type_ != LS_IFDIR) return -LX_ENOTDIR;
    HostAt a;
    if (int e = at(name, a); e < 0) return e;
    struct stat h;
    if (fstatat(a.fd, a.c(), &h, AT_SYMLINK_NOFOLLOW) < 0) return herr();
    if (!S_ISDIR(h.st_mode)) return -LX_ENOTDIR;
    fs_->drop_cache();
    if (unlinkat(a.fd, a.c(), AT_REMOVEDIR) < 0) return herr();
    for (HostInode* n : named(name, h)) n->detached_ = true;
    return 0;
  }

  int rename(const std::string& name, Inode& new_dir, const std::string& new_name, uint32_t flags) override {
    if (type_ != LS_IFDIR) return -LX_ENOTDIR;
    auto* nd = dynamic_cast<HostInode*>(&new_dir);
    if (!nd || nd->fs_ != fs_) return -LX_EXDEV;
    if (nd->type_ != LS_IFDIR) return -LX_ENOTDIR;
    fs_->drop_cache();
    if (flags & ~(LRENAME_NOREPLACE | LRENAME_EXCHANGE)) return -LX_EINVAL;
    if ((flags & LRENAME_NOREPLACE) && (flags & LRENAME_EXCHANGE)) return -LX_EINVAL;
    HostAt from, to;
    if (int e = at(name, from); e < 0) return e;
    if (int e = nd->at(new_name, to); e < 0) return e;
    // What each name denotes before the rename, to move the live inodes after it.
    struct stat hs, hd;
    if (fstatat(from.fd, from.c(), &hs, AT_SYMLINK_NOFOLLOW) < 0) return herr();
    const bool had_dst = fstatat(to.fd, to.c(), &hd, AT_SYMLINK_NOFOLLOW) == 0;
#if defined(SYS_renameat2) && !defined(__EMSCRIPTEN__)
    if (flags) {
      if (syscall(SYS_renameat2, from.fd, from.c(), to.fd, to.c(), flags) < 0) return herr();
      track_rename(name, hs, *nd, new_name, had_dst ? &hd : nullptr, flags);
      return 0;
    }
#else
    if (flags & LRENAME_EXCHANGE) return -LX_EINVAL;
    if ((flags & LRENAME_NOREPLACE) && had_dst) return -LX_EEXIST;
#endif
    if (renameat(from.fd, from.c(), to.fd, to.c()) < 0) return herr();
    track_rename(name, hs, *nd, new_name, had_dst ? &hd : nullptr, 0);
    return 0;
  }

  int symlink(const std::string& name, const std::string& target) override {
    if (type_ != LS_IFDIR) return -LX_ENOTDIR;
    HostAt a;
    if (int e = at(name, a); e < 0) return e;
#ifdef __EMSCRIPTEN__
    // emcc 3.1.6's symlinkat passes pointers where it wants strings: use the full path.
    if (::symlink(target.c_str(), a.c()) < 0) return herr();
#else
    if (symlinkat(target.c_str(), a.fd, a.c()) < 0) return herr();
#endif
    return 0;
  }

  int link(const std::string& name, Inode& target) override {
    if (type_ != LS_IFDIR) return -LX_ENOTDIR;
    auto* t = dynamic_cast<HostInode*>(&target);
    if (!t || t->fs_ != fs_) return -LX_EXDEV;
    if (t->type_ == LS_IFDIR || !t->parent_) return -LX_EPERM;
    // Both ends are inodes inside the root; the source must still be what its name denotes.
    HostAt from, to;
    if (int e = t->parent_at(from); e < 0) return e;
    if (int e = at(name, to); e < 0) return e;
    struct stat h;
    if (fstatat(from.fd, from.c(), &h, AT_SYMLINK_NOFOLLOW) < 0) return herr();
    if ((uint64_t)h.st_ino != t->hino_ || (uint64_t)h.st_dev != t->hdev_) return -LX_ENOENT;
#ifdef __EMSCRIPTEN__
    // emcc 3.1.6's linkat always fails (EMLINK): ask node.
    const int r = gb_js_link(from.c(), to.c());
    if (r) return -r;
#else
    if (linkat(from.fd, from.c(), to.fd, to.c(), 0) < 0) return herr();
#endif
    return 0;
  }

  int readlink(std::string& out) override {
    if (type_ != LS_IFLNK) return -LX_EINVAL;
    HostAt a;
    if (int e = parent_at(a); e < 0) return e;
    char buf[4097];
    ssize_t n = readlinkat(a.fd, a.c(), buf, sizeof buf - 1);
    if (n < 0) return herr();
    out.assign(buf, (size_t)n);
    return 0;
  }

  int chmod(uint32_t mode) override {
    if (type_ == LS_IFLNK) return -LX_EOPNOTSUPP;
    const mode_t hmode = (mode_t)(mode & 07777 & ~kSpecialBits);
    int r;
    if (dfd_ >= 0) r = fchmod(dfd_, hmode);
    else if (rfd_ >= 0) r = fchmod(rfd_, hmode);
    else {
      HostAt a;
      if (int e = parent_at(a); e < 0) return e;
      r = fchmodat(a.fd, a.c(), hmode, 0);
    }
    if (r < 0) return herr();
    fs_->set_special_bits(ino_, mode & kSpecialBits);
    return 0;
  }

  int chown(uint32_t uid, uint32_t gid) override { return 0; }  // no-op on the host directory

  int utimens(const Timespec* atime, const Timespec* mtime) override {
    Stat cur;
    int e = getattr(cur);
    if (e < 0) return e;
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    struct timespec ts[2];
    const Timespec* in[2] = {atime, mtime};
    const Timespec old[2] = {cur.atime, cur.mtime};
    for (int i = 0; i < 2; i++) {
      if (!in[i] || in[i]->nsec == kUtimeOmit) { ts[i].tv_sec = old[i].sec; ts[i].tv_nsec = old[i].nsec; }
      else if (in[i]->nsec == kUtimeNow) ts[i] = now;
      else { ts[i].tv_sec = (time_t)in[i]->sec; ts[i].tv_nsec = (long)in[i]->nsec; }
    }
#ifdef __EMSCRIPTEN__
    HostAt a;
    if (int e1 = parent_ ? parent_at(a) : at(".", a); e1 < 0) return e1;
    const int e2 = gb_js_utimes(a.c(), ts[0].tv_sec + ts[0].tv_nsec / 1e9, ts[1].tv_sec + ts[1].tv_nsec / 1e9,
                                parent_ ? 1 : 0);
    return -e2;
#else
    int r;
    if (!parent_) r = futimens(dfd_, ts);
    else {
      HostAt a;
      if (int e1 = parent_at(a); e1 < 0) return e1;
      r = utimensat(a.fd, a.c(), ts, AT_SYMLINK_NOFOLLOW);
    }
    return r < 0 ? herr() : 0;
#endif
  }

 private:
  // ---- where host calls act (containment, see hostfs.h) ----
  // This directory's path relative to the root, from the parent chain (kept current by
  // track_rename). ENOENT if it or a parent was removed or replaced.
  int rel_path(std::string& out) const {
    out.clear();
    std::vector<const HostInode*> chain;
    for (const HostInode* n = this; n->parent_; n = n->parent_.get()) {
      if (n->detached_) return -LX_ENOENT;
      chain.push_back(n);
    }
    for (size_t i = chain.size(); i-- > 0;) {
      if (!out.empty()) out += '/';
      out += chain[i]->name_;
    }
    return 0;
  }

  // Where a host call on `child` of this directory acts. Native: this directory's fd.
  // Node: the checked absolute path of this directory (lstat must show a directory with
  // this inode's host dev/ino) joined with child ("." is the directory itself).
  int at(const std::string& child, HostAt& a) const {
#ifndef __EMSCRIPTEN__
    if (dfd_ < 0) return -LX_ENOTDIR;
    a.fd = dfd_;
    a.name = child;
    return 0;
#else
    std::string rel;
    if (int e = rel_path(rel); e < 0) return e;
    std::string p = fs_->dir_ == "/" ? "" : fs_->dir_;
    if (!rel.empty()) p += "/" + rel;
    if (p.empty()) p = "/";
    struct stat h;
    if (lstat(p.c_str(), &h) < 0) return herr();
    if (!S_ISDIR(h.st_mode) || (uint64_t)h.st_ino != hino_ || (uint64_t)h.st_dev != hdev_) return -LX_ENOENT;
    a.fd = AT_FDCWD;
    a.name = child == "." ? p : p + "/" + child;
    return 0;
#endif
  }

  // Where a host call on this inode by name acts (its parent directory and its name).
  int parent_at(HostAt& a) const {
    if (!parent_) return at(".", a);
    if (detached_) return -LX_ENOENT;
    return parent_->at(name_, a);
  }

  // The live inodes that denote `name` in this directory (host inode h).
  std::vector<HostInode*> named(const std::string& name, const struct stat& h) const {
    std::vector<HostInode*> v;
    auto r = live_->by_ino.equal_range((uint64_t)h.st_ino);
    for (auto it = r.first; it != r.second; ++it) {
      HostInode* n = it->second;
      if (n->hdev_ != (uint64_t)h.st_dev || n->detached_ || !n->parent_ || n->name_ != name) continue;
      if (n->parent_->hino_ != hino_ || n->parent_->hdev_ != hdev_) continue;
      v.push_back(n);
    }
    return v;
  }

  // After a rename done through the engine: the live inodes that named the source now
  // name the destination; those that named a replaced destination are detached (or,
  // for RENAME_EXCHANGE, name the source).
  void track_rename(const std::string& name, const struct stat& hs, HostInode& nd, const std::string& new_name,
                    const struct stat* hd, uint32_t flags) {
    if (hd && hd->st_ino == hs.st_ino && hd->st_dev == hs.st_dev) return;  // two links to one file: no-op
    auto self = std::static_pointer_cast<HostInode>(shared_from_this());
    auto nds = std::static_pointer_cast<HostInode>(nd.shared_from_this());
    const std::vector<HostInode*> src = named(name, hs);
    const std::vector<HostInode*> dst = hd ? nd.named(new_name, *hd) : std::vector<HostInode*>{};
    for (HostInode* n : src) { n->parent_ = nds; n->name_ = new_name; }
    for (HostInode* n : dst) {
      if (flags & LRENAME_EXCHANGE) { n->parent_ = self; n->name_ = name; }
      else n->detached_ = true;
    }
  }

  int ensure_rfd() {
    if (rfd_ >= 0) return 0;
    if (!parent_) return -LX_EISDIR;
    HostAt a;
    if (int e = parent_at(a); e < 0) return e;
    rfd_ = openat(a.fd, a.c(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (rfd_ < 0) return herr();
    return check_fd(rfd_);
  }
  int ensure_wfd() {
    if (wfd_ >= 0) return 0;
    if (!parent_) return -LX_EISDIR;
    HostAt a;
    if (int e = parent_at(a); e < 0) return e;
    wfd_ = openat(a.fd, a.c(), O_WRONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (wfd_ < 0) return herr();
    return check_fd(wfd_);
  }
  // A file opened by name must be this inode (else the name was reused: ENOENT).
  int check_fd(int& fd) {
    struct stat h;
    if (host_fstat(fd, &h) == 0 && (uint64_t)h.st_ino == hino_ && (uint64_t)h.st_dev == hdev_) return 0;
    close(fd);
    fd = -1;
    return -LX_ENOENT;
  }

  HostFs* fs_;
  std::shared_ptr<HostLive> live_;
  std::shared_ptr<HostInode> parent_;  // kept current by track_rename
  std::string name_;                   // ditto
  uint64_t ino_;                       // the guest's inode number (mix_ino)
  uint64_t hino_, hdev_;               // the host's, checked before a host path is used
  uint32_t type_;
  bool detached_ = false;   // removed or replaced through the engine: no longer has a name
  int dfd_ = -1;            // directories: an fd on the directory
  int rfd_ = -1, wfd_ = -1; // regular files, opened on first use
  mutable std::shared_ptr<char> page_key_;  // see page_key()
  friend class HostFs;
};

std::shared_ptr<HostFs> HostFs::open(const std::string& dir, std::string& err) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    err = dir + ": " + strerror(errno);
    return nullptr;
  }
  struct stat h;
  if (fstat(fd, &h) < 0 || !S_ISDIR(h.st_mode)) {
    err = dir + ": not a directory";
    close(fd);
    return nullptr;
  }
  std::shared_ptr<HostFs> fs(new HostFs());
  fs->dir_ = dir;
#ifdef __EMSCRIPTEN__
  {
    char buf[4096];
    const int n = gb_js_realpath(dir.c_str(), buf, (int)sizeof buf);
    if (n <= 0) {
      err = dir + ": cannot resolve";
      close(fd);
      return nullptr;
    }
    fs->dir_.assign(buf, (size_t)n);
  }
#endif
  fs->dev_ = 0x801;  // looks like /dev/sda1 to the guest
  fs->host_dev_ = (uint64_t)h.st_dev;
  fs->live_ = std::make_shared<HostLive>();
  fs->root_ = std::make_shared<HostInode>(fs.get(), nullptr, "", h, fd);
  return fs;
}

uint32_t HostFs::special_bits(uint64_t ino) const {
  auto it = special_.find(ino);
  return it == special_.end() ? 0 : it->second;
}

void HostFs::set_special_bits(uint64_t ino, uint32_t bits) {
  if (bits) special_[ino] = bits;
  else special_.erase(ino);
}

HostFs::~HostFs() {
  lru_.clear();
  cache_.clear();
}

InodeRef HostFs::root() { return root_; }

int HostFs::statfs(lx_statfs& out) {
  FileSystem::statfs(out);
  out.f_type = 0xEF53;  // EXT2/3/4 magic: what the guest will see once the root is ext2
  struct statfs h;
  if (fstatfs(root_->dfd_, &h) == 0) {
    out.f_bsize = (int64_t)h.f_bsize;
    out.f_frsize = h.f_frsize ? (int64_t)h.f_frsize : (int64_t)h.f_bsize;
    out.f_blocks = (uint64_t)h.f_blocks;
    out.f_bfree = (uint64_t)h.f_bfree;
    out.f_bavail = (uint64_t)h.f_bavail;
    out.f_files = (uint64_t)h.f_files;
    out.f_ffree = (uint64_t)h.f_ffree;
    out.f_namelen = h.f_namelen ? (int64_t)h.f_namelen : 255;
  }
  return 0;
}

std::shared_ptr<char> HostFs::page_key(uint64_t ino) {
  auto& w = page_keys_[ino];
  auto k = w.lock();
  if (!k) {
    k = std::make_shared<char>(0);
    w = k;
    if (page_keys_.size() >= page_keys_sweep_at_) {  // forget the identities nobody holds
      for (auto it = page_keys_.begin(); it != page_keys_.end();) it = it->second.expired() ? page_keys_.erase(it) : std::next(it);
      page_keys_sweep_at_ = std::max<size_t>(4096, 2 * page_keys_.size());  // amortised: no sweep per insert
    }
  }
  return k;
}

std::shared_ptr<HostInode> HostFs::cached_dir(const std::string& rel) {
  auto it = cache_.find(rel);
  if (it == cache_.end()) return nullptr;
  lru_.splice(lru_.begin(), lru_, it->second);
  return it->second->second;
}

void HostFs::cache_dir(const std::string& rel, const std::shared_ptr<HostInode>& n) {
  auto it = cache_.find(rel);
  if (it != cache_.end()) {
    it->second->second = n;
    lru_.splice(lru_.begin(), lru_, it->second);
    return;
  }
  lru_.emplace_front(rel, n);
  cache_[rel] = lru_.begin();
  if (lru_.size() > kCacheMax) {
    cache_.erase(lru_.back().first);
    lru_.pop_back();
  }
}

void HostFs::drop_cache() {
  cache_.clear();
  lru_.clear();
}

}  // namespace gb
