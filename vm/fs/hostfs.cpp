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
#endif

namespace gb {

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

class HostInode : public Inode {
 public:
  HostInode(HostFs* fs, std::shared_ptr<HostInode> parent, std::string name, std::string rel, const struct stat& st,
            int dfd)
      : fs_(fs), parent_(std::move(parent)), name_(std::move(name)), rel_(std::move(rel)),
        ino_(mix_ino(st, fs->host_dev_)), type_((uint32_t)st.st_mode & LS_IFMT), dfd_(dfd) {}
  ~HostInode() override {
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
    if (dfd_ >= 0) r = fstat(dfd_, &h);
    else if (rfd_ >= 0) r = fstat(rfd_, &h);
    else if (wfd_ >= 0) r = fstat(wfd_, &h);
    else r = fstatat(parent_->dfd_, name_.c_str(), &h, AT_SYMLINK_NOFOLLOW);
    if (r < 0) return herr();
    to_stat(h, st, fs_->dev(), fs_->host_dev_);
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
    const std::string rel = rel_.empty() ? name : rel_ + "/" + name;
    if (auto c = fs_->cached_dir(rel)) { out = c; return 0; }
    struct stat h;
    if (fstatat(dfd_, name.c_str(), &h, AT_SYMLINK_NOFOLLOW) < 0) return herr();
    int cfd = -1;
    if (S_ISDIR(h.st_mode)) {
      cfd = open_dir_at(dfd_, name.c_str());
      if (cfd < 0) return herr();
    }
    auto self = std::static_pointer_cast<HostInode>(shared_from_this());
    auto n = std::make_shared<HostInode>(fs_, self, name, rel, h, cfd);
    if (cfd >= 0) fs_->cache_dir(rel, n);
    out = n;
    return 0;
  }

  int readdir(std::vector<DirEntry>& out) override {
    if (type_ != LS_IFDIR) return -LX_ENOTDIR;
    int fd = openat(dfd_, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
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
        if (fstatat(dfd_, de->d_name, &h, AT_SYMLINK_NOFOLLOW) == 0) e.type = lx_dtype((uint32_t)h.st_mode);
      }
      out.push_back(std::move(e));
    }
    closedir(d);
    return 0;
  }

  int create(const std::string& name, uint32_t mode, InodeRef& out) override {
    if (type_ != LS_IFDIR) return -LX_ENOTDIR;
    int fd = openat(dfd_, name.c_str(), O_CREAT | O_EXCL | O_RDWR | O_NOFOLLOW | O_CLOEXEC, (mode_t)(mode & 07777));
    if (fd < 0) return herr();
    fchmod(fd, (mode_t)(mode & 07777));  // exact mode: the guest's umask is already applied
    struct stat h;
    if (fstat(fd, &h) < 0) { int e = herr(); close(fd); return e; }
    auto self = std::static_pointer_cast<HostInode>(shared_from_this());
    auto n = std::make_shared<HostInode>(fs_, self, name, rel_.empty() ? name : rel_ + "/" + name, h, -1);
    n->rfd_ = fd;
    n->wfd_ = dup(fd);
    out = n;
    return 0;
  }

  int mkdir(const std::string& name, uint32_t mode) override {
    if (type_ != LS_IFDIR) return -LX_ENOTDIR;
    if (mkdirat(dfd_, name.c_str(), (mode_t)(mode & 07777)) < 0) return herr();
    fchmodat(dfd_, name.c_str(), (mode_t)(mode & 07777), 0);
    return 0;
  }

  int unlink(const std::string& name) override {
    if (type_ != LS_IFDIR) return -LX_ENOTDIR;
    struct stat h;
    if (fstatat(dfd_, name.c_str(), &h, AT_SYMLINK_NOFOLLOW) < 0) return herr();
    if (S_ISDIR(h.st_mode)) return -LX_EISDIR;
    if (unlinkat(dfd_, name.c_str(), 0) < 0) return herr();
    return 0;
  }

  int rmdir(const std::string& name) override {
    if (type_ != LS_IFDIR) return -LX_ENOTDIR;
    struct stat h;
    if (fstatat(dfd_, name.c_str(), &h, AT_SYMLINK_NOFOLLOW) < 0) return herr();
    if (!S_ISDIR(h.st_mode)) return -LX_ENOTDIR;
    fs_->drop_cache();
    if (unlinkat(dfd_, name.c_str(), AT_REMOVEDIR) < 0) return herr();
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
#if defined(SYS_renameat2) && !defined(__EMSCRIPTEN__)
    if (flags) {
      if (syscall(SYS_renameat2, dfd_, name.c_str(), nd->dfd_, new_name.c_str(), flags) < 0) return herr();
      return 0;
    }
#else
    if (flags & LRENAME_EXCHANGE) return -LX_EINVAL;
    if (flags & LRENAME_NOREPLACE) {
      struct stat h;
      if (fstatat(nd->dfd_, new_name.c_str(), &h, AT_SYMLINK_NOFOLLOW) == 0) return -LX_EEXIST;
    }
#endif
    if (renameat(dfd_, name.c_str(), nd->dfd_, new_name.c_str()) < 0) return herr();
    return 0;
  }

  int symlink(const std::string& name, const std::string& target) override {
    if (type_ != LS_IFDIR) return -LX_ENOTDIR;
#ifdef __EMSCRIPTEN__
    // emcc 3.1.6's symlinkat passes pointers where it wants strings: use the full path.
    if (::symlink(target.c_str(), host_path(name).c_str()) < 0) return herr();
#else
    if (symlinkat(target.c_str(), dfd_, name.c_str()) < 0) return herr();
#endif
    return 0;
  }

  int link(const std::string& name, Inode& target) override {
    if (type_ != LS_IFDIR) return -LX_ENOTDIR;
    auto* t = dynamic_cast<HostInode*>(&target);
    if (!t || t->fs_ != fs_) return -LX_EXDEV;
    if (t->type_ == LS_IFDIR || !t->parent_) return -LX_EPERM;
#ifdef __EMSCRIPTEN__
    // emcc 3.1.6's linkat always fails (EMLINK): ask node.
    const int r = gb_js_link(t->parent_->host_path(t->name_).c_str(), host_path(name).c_str());
    if (r) return -r;
#else
    if (linkat(t->parent_->dfd_, t->name_.c_str(), dfd_, name.c_str(), 0) < 0) return herr();
#endif
    return 0;
  }

  int readlink(std::string& out) override {
    if (type_ != LS_IFLNK) return -LX_EINVAL;
    char buf[4097];
    ssize_t n = readlinkat(parent_->dfd_, name_.c_str(), buf, sizeof buf - 1);
    if (n < 0) return herr();
    out.assign(buf, (size_t)n);
    return 0;
  }

  int chmod(uint32_t mode) override {
    if (type_ == LS_IFLNK) return -LX_EOPNOTSUPP;
    int r;
    if (dfd_ >= 0) r = fchmod(dfd_, (mode_t)(mode & 07777));
    else if (rfd_ >= 0) r = fchmod(rfd_, (mode_t)(mode & 07777));
    else r = fchmodat(parent_->dfd_, name_.c_str(), (mode_t)(mode & 07777), 0);
    return r < 0 ? herr() : 0;
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
    const std::string path = parent_ ? parent_->host_path(name_) : host_path(".");
    const int e2 = gb_js_utimes(path.c_str(), ts[0].tv_sec + ts[0].tv_nsec / 1e9, ts[1].tv_sec + ts[1].tv_nsec / 1e9,
                                parent_ ? 1 : 0);
    return -e2;
#else
    int r;
    if (!parent_) r = futimens(dfd_, ts);
    else r = utimensat(parent_->dfd_, name_.c_str(), ts, AT_SYMLINK_NOFOLLOW);
    return r < 0 ? herr() : 0;
#endif
  }

 private:
  // Host path of a child of this directory (wasm only: node's API wants paths; every
  // component was checked by the VFS walk, none is a symlink).
  std::string host_path(const std::string& child) const {
    std::string p = fs_->dir_;
    if (!rel_.empty()) p += "/" + rel_;
    return p + "/" + child;
  }
  int ensure_rfd() {
    if (rfd_ >= 0) return 0;
    if (!parent_) return -LX_EISDIR;
    rfd_ = openat(parent_->dfd_, name_.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    return rfd_ < 0 ? herr() : 0;
  }
  int ensure_wfd() {
    if (wfd_ >= 0) return 0;
    if (!parent_) return -LX_EISDIR;
    wfd_ = openat(parent_->dfd_, name_.c_str(), O_WRONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    return wfd_ < 0 ? herr() : 0;
  }

  HostFs* fs_;
  std::shared_ptr<HostInode> parent_;
  std::string name_, rel_;
  uint64_t ino_;
  uint32_t type_;
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
  fs->dev_ = 0x801;  // looks like /dev/sda1 to the guest
  fs->host_dev_ = (uint64_t)h.st_dev;
  fs->root_ = std::make_shared<HostInode>(fs.get(), nullptr, "", "", h, fd);
  return fs;
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
