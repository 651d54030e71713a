// vm/fs/tmpfs.cpp — the memory file system (see tmpfs.h for the design).
//
// Index
//   1. TmpState: limits, counters, clock and credentials shared by the nodes
//   2. TmpNode: one inode (regular file pages, directory map, symlink target)
//   3. directory operations (create ... rename)
//   4. TmpFs, make_tmpfs
#include "vm/fs/tmpfs.h"

#include <time.h>

#include <algorithm>
#include <cstring>
#include <map>

namespace gb {

// ---- 1. shared state ----------------------------------------------------------------------
struct TmpState {
  TmpfsOptions opt;
  FileSystem* owner = nullptr;  // cleared when the TmpFs goes
  uint64_t pages = 0, inodes = 0, next_ino = 2;
  uint64_t xattr_bytes = 0;  // extended attributes count against max_bytes with the data
  TmpfsCredsFn creds;
  TmpfsClockFn clock;

  Timespec now() const {
    if (clock) return clock();
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return {int64_t(ts.tv_sec), int64_t(ts.tv_nsec)};
  }
  void who(uint32_t* uid, uint32_t* gid) const {
    *uid = 0;
    *gid = 0;
    if (creds) creds(uid, gid);
  }
  uint64_t max_pages() const { return opt.max_bytes / TmpFs::kPage; }
  // Whether `pages_more` data pages and `xattr_more` attribute bytes still fit.
  bool fits(uint64_t pages_more, uint64_t xattr_more) const {
    return (pages + pages_more) * TmpFs::kPage + xattr_bytes + xattr_more <= opt.max_bytes;
  }
};

namespace {
constexpr size_t kNameMax = 255;
constexpr size_t kSymlinkMax = 4095;
constexpr int64_t kBogoDirent = 20;  // Linux tmpfs counts 20 bytes per entry in a dir's size

bool before_eq(const Timespec& a, const Timespec& b) { return a.sec < b.sec || (a.sec == b.sec && a.nsec <= b.nsec); }
}  // namespace

// ---- 2. TmpNode ------------------------------------------------------------------------
class TmpNode : public Inode {
 public:
  TmpNode(std::shared_ptr<TmpState> st, uint32_t mode, uint32_t uid, uint32_t gid)
      : st_(std::move(st)), ino_(st_->next_ino++), mode_(mode), uid_(uid), gid_(gid) {
    st_->inodes++;
    atime_ = mtime_ = ctime_ = st_->now();
    nlink_ = is_dir() ? 2 : 1;
  }
  std::map<std::string, std::string> xattrs_;
  ~TmpNode() override {
    st_->inodes--;
    st_->pages -= pages_.size();
    for (auto& [k, v] : xattrs_) st_->xattr_bytes -= xattr_cost(k, v);
  }
  // What one attribute costs the file system (name, value and a header, as Linux's
  // simple_xattr): counted against max_bytes, so xattrs cannot grow without bound.
  static uint64_t xattr_cost(const std::string& name, const std::string& value) {
    return 32 + name.size() + 1 + value.size();
  }

  FileSystem* fs() const override { return st_->owner; }
  uint64_t ino() const override { return ino_; }

  // Extended attributes: user.* on files and directories, trusted.* and security.* on
  // anything (as Linux's tmpfs); 64 KiB per value.
  static bool xattr_ns_ok(const std::string& n) {
    return n.rfind("user.", 0) == 0 || n.rfind("trusted.", 0) == 0 || n.rfind("security.", 0) == 0;
  }
  int getxattr(const std::string& name, std::string& value) override {
    if (!xattr_ns_ok(name)) return -LX_EOPNOTSUPP;
    auto it = xattrs_.find(name);
    if (it == xattrs_.end()) return -LX_ENODATA;
    value = it->second;
    return 0;
  }
  int setxattr(const std::string& name, const std::string& value, int flags) override {
    if (!xattr_ns_ok(name)) return -LX_EOPNOTSUPP;
    if (name.rfind("user.", 0) == 0 && !is_reg() && !is_dir()) return -LX_EPERM;
    if (value.size() > 65536) return -LX_E2BIG;
    const bool exists = xattrs_.count(name) != 0;
    if ((flags & 1) && exists) return -LX_EEXIST;    // XATTR_CREATE
    if ((flags & 2) && !exists) return -LX_ENODATA;  // XATTR_REPLACE
    const uint64_t old = exists ? xattr_cost(name, xattrs_[name]) : 0, cost = xattr_cost(name, value);
    if (cost > old && !st_->fits(0, cost - old)) return -LX_ENOSPC;
    st_->xattr_bytes = st_->xattr_bytes - old + cost;
    xattrs_[name] = value;
    ctime_ = st_->now();
    return 0;
  }
  int listxattr(std::vector<std::string>& names) override {
    for (auto& [k, v] : xattrs_) names.push_back(k);
    return 0;
  }
  int removexattr(const std::string& name) override {
    if (!xattr_ns_ok(name)) return -LX_EOPNOTSUPP;
    auto it = xattrs_.find(name);
    if (it == xattrs_.end()) return -LX_ENODATA;
    st_->xattr_bytes -= xattr_cost(it->first, it->second);
    xattrs_.erase(it);
    ctime_ = st_->now();
    return 0;
  }
  uint32_t ftype() const override { return mode_ & LS_IFMT; }

  int getattr(Stat& s) override {
    s = Stat();
    s.dev = st_->opt.dev;
    s.ino = ino_;
    s.nlink = nlink_;
    s.mode = mode_;
    s.uid = uid_;
    s.gid = gid_;
    s.rdev = rdev_;
    if (is_reg()) s.size = int64_t(size_);
    else if (is_dir()) s.size = kBogoDirent * int64_t(kids_.size() + 2);
    else if (is_symlink()) s.size = int64_t(target_.size());
    s.blksize = int64_t(TmpFs::kPage);
    s.blocks = int64_t(pages_.size() * (TmpFs::kPage / 512));
    s.atime = atime_;
    s.mtime = mtime_;
    s.ctime = ctime_;
    return 0;
  }

  // ---- data ----
  int64_t read(uint64_t off, void* buf, uint64_t n, uint32_t) override {
    if (is_dir()) return -LX_EISDIR;
    if (!is_reg()) return -LX_EINVAL;
    touch_atime();
    if (off >= size_) return 0;
    n = std::min(n, size_ - off);
    uint8_t* out = static_cast<uint8_t*>(buf);
    uint64_t done = 0;
    while (done < n) {
      const uint64_t pos = off + done, pg = pos / TmpFs::kPage, in = pos % TmpFs::kPage;
      const uint64_t k = std::min(n - done, TmpFs::kPage - in);
      auto it = pages_.find(pg);
      if (it == pages_.end()) memset(out + done, 0, k);
      else memcpy(out + done, it->second.get() + in, k);
      done += k;
    }
    return int64_t(n);
  }

  int64_t write(uint64_t off, const void* buf, uint64_t n, uint32_t) override {
    if (is_dir()) return -LX_EISDIR;
    if (!is_reg()) return -LX_EINVAL;
    if (n == 0) return 0;
    if (off >= TmpFs::kMaxFileSize) return -LX_EFBIG;
    n = std::min(n, TmpFs::kMaxFileSize - off);
    const uint8_t* in = static_cast<const uint8_t*>(buf);
    uint64_t done = 0;
    while (done < n) {
      const uint64_t pos = off + done, pg = pos / TmpFs::kPage, at = pos % TmpFs::kPage;
      const uint64_t k = std::min(n - done, TmpFs::kPage - at);
      uint8_t* page = page_for_write(pg);
      if (!page) break;  // ENOSPC: a partial write, or the error if nothing was written
      memcpy(page + at, in + done, k);
      done += k;
    }
    if (done == 0) return -LX_ENOSPC;
    size_ = std::max(size_, off + done);
    mtime_ = ctime_ = st_->now();
    return int64_t(done);
  }

  int truncate(uint64_t size) override {
    if (is_dir()) return -LX_EISDIR;
    if (!is_reg()) return -LX_EINVAL;
    if (size > TmpFs::kMaxFileSize) return -LX_EFBIG;
    if (size < size_) {
      const uint64_t keep = (size + TmpFs::kPage - 1) / TmpFs::kPage;  // pages [0, keep) stay
      for (auto it = pages_.lower_bound(keep); it != pages_.end();) {
        it = pages_.erase(it);
        st_->pages--;
      }
      if (size % TmpFs::kPage) {  // the old bytes past the new end must read as zero later
        auto it = pages_.find(size / TmpFs::kPage);
        if (it != pages_.end()) memset(it->second.get() + size % TmpFs::kPage, 0, TmpFs::kPage - size % TmpFs::kPage);
      }
    }
    size_ = size;
    mtime_ = ctime_ = st_->now();
    return 0;
  }

  // ---- directories ----
  int lookup(const std::string& name, InodeRef& out) override {
    if (!is_dir()) return -LX_ENOTDIR;
    if (name == ".") {
      out = shared_from_this();
      return 0;
    }
    if (name == "..") {
      auto p = parent_.lock();
      out = p ? InodeRef(p) : shared_from_this();
      return 0;
    }
    auto it = kids_.find(name);
    if (it == kids_.end()) return name.size() > kNameMax ? -LX_ENAMETOOLONG : -LX_ENOENT;
    out = it->second;
    return 0;
  }

  int readdir(std::vector<DirEntry>& out) override {
    if (!is_dir()) return -LX_ENOTDIR;
    if (nlink_ == 0) return -LX_ENOENT;  // removed (someone's cwd): getdents fails as on Linux
    auto p = parent_.lock();
    out.push_back({".", ino_, LDT_DIR});
    out.push_back({"..", p ? p->ino_ : ino_, LDT_DIR});
    for (auto& [name, n] : kids_) out.push_back({name, n->ino_, lx_dtype(n->mode_)});
    touch_atime();
    return 0;
  }

  int create(const std::string& name, uint32_t mode, InodeRef& out) override {
    std::shared_ptr<TmpNode> n;
    int rc = add_node(name, LS_IFREG | (mode & 07777), &n);
    if (rc) return rc;
    out = n;
    return 0;
  }
  int mkdir(const std::string& name, uint32_t mode) override {
    std::shared_ptr<TmpNode> n;
    int rc = add_node(name, LS_IFDIR | (mode & 07777), &n);
    if (rc == 0) nlink_++;
    return rc;
  }
  int mknod(const std::string& name, uint32_t mode, uint64_t dev) override {
    uint32_t t = mode & LS_IFMT;
    if (t == 0) t = LS_IFREG;
    if (t != LS_IFREG && t != LS_IFCHR && t != LS_IFBLK && t != LS_IFIFO && t != LS_IFSOCK)
      return is_dir() ? -LX_EINVAL : -LX_ENOTDIR;
    std::shared_ptr<TmpNode> n;
    int rc = add_node(name, t | (mode & 07777), &n);
    if (rc == 0 && (t == LS_IFCHR || t == LS_IFBLK)) n->rdev_ = dev;
    return rc;
  }
  int symlink(const std::string& name, const std::string& target) override {
    if (is_dir() && target.empty()) return -LX_ENOENT;
    if (target.size() > kSymlinkMax) return -LX_ENAMETOOLONG;
    std::shared_ptr<TmpNode> n;
    int rc = add_node(name, LS_IFLNK | 0777, &n);
    if (rc == 0) n->target_ = target;
    return rc;
  }
  int link(const std::string& name, Inode& target) override {
    int rc = check_new_name(name);
    if (rc) return rc;
    auto* t = dynamic_cast<TmpNode*>(&target);
    if (!t || t->st_ != st_) return -LX_EXDEV;
    if (t->is_dir()) return -LX_EPERM;
    if (t->nlink_ == 0) return -LX_ENOENT;
    kids_[name] = std::static_pointer_cast<TmpNode>(t->shared_from_this());
    t->nlink_++;
    t->ctime_ = dir_changed();
    return 0;
  }
  int unlink(const std::string& name) override {
    if (!is_dir()) return -LX_ENOTDIR;
    auto it = kids_.find(name);
    if (it == kids_.end()) return -LX_ENOENT;
    if (it->second->is_dir()) return -LX_EISDIR;
    auto n = it->second;
    kids_.erase(it);
    n->nlink_--;
    n->ctime_ = dir_changed();
    return 0;
  }
  int rmdir(const std::string& name) override {
    if (!is_dir()) return -LX_ENOTDIR;
    auto it = kids_.find(name);
    if (it == kids_.end()) return -LX_ENOENT;
    auto n = it->second;
    if (!n->is_dir()) return -LX_ENOTDIR;
    if (!n->kids_.empty()) return -LX_ENOTEMPTY;
    kids_.erase(it);
    n->nlink_ = 0;
    nlink_--;
    n->ctime_ = dir_changed();
    return 0;
  }
  int rename(const std::string& name, Inode& new_dir, const std::string& new_name, uint32_t flags) override;

  // ---- symlinks, attributes ----
  int readlink(std::string& out) override {
    if (!is_symlink()) return -LX_EINVAL;
    out = target_;
    return 0;
  }
  int chmod(uint32_t mode) override {
    mode_ = (mode_ & LS_IFMT) | (mode & 07777);
    ctime_ = st_->now();
    return 0;
  }
  int chown(uint32_t uid, uint32_t gid) override {
    if (uid != 0xFFFFFFFFu) uid_ = uid;
    if (gid != 0xFFFFFFFFu) gid_ = gid;
    if (!is_dir()) {  // Linux drops setuid, and setgid when it means "group-executable"
      mode_ &= ~uint32_t(04000);
      if (mode_ & 010) mode_ &= ~uint32_t(02000);
    }
    ctime_ = st_->now();
    return 0;
  }
  int utimens(const Timespec* atime, const Timespec* mtime) override {
    const Timespec now = st_->now();
    auto set = [&](Timespec& dst, const Timespec* t) {
      if (!t || t->nsec == kUtimeOmit) return;  // nullptr: unchanged (vfs.h)
      else if (t->nsec == kUtimeNow) dst = now;
      else dst = *t;
    };
    set(atime_, atime);
    set(mtime_, mtime);
    ctime_ = now;
    return 0;
  }

 private:
  friend class TmpFs;
  std::shared_ptr<TmpState> st_;
  uint64_t ino_;
  uint32_t mode_, uid_, gid_;
  uint64_t rdev_ = 0;
  uint64_t nlink_;
  Timespec atime_, mtime_, ctime_;
  // regular files
  uint64_t size_ = 0;
  std::map<uint64_t, std::unique_ptr<uint8_t[]>> pages_;
  // directories
  std::map<std::string, std::shared_ptr<TmpNode>> kids_;
  std::weak_ptr<TmpNode> parent_;
  // symlinks
  std::string target_;

  uint8_t* page_for_write(uint64_t pg) {
    auto it = pages_.find(pg);
    if (it != pages_.end()) return it->second.get();
    if (!st_->fits(1, 0)) return nullptr;
    std::unique_ptr<uint8_t[]> p(new uint8_t[TmpFs::kPage]());
    uint8_t* raw = p.get();
    pages_.emplace(pg, std::move(p));
    st_->pages++;
    return raw;
  }
  // relatime: only when the last access is older than the last change, or a day old.
  void touch_atime() {
    const Timespec now = st_->now();
    if (before_eq(atime_, mtime_) || before_eq(atime_, ctime_) || now.sec - atime_.sec >= 86400) atime_ = now;
  }
  // This directory's entries changed: mtime + ctime now; returns the time.
  Timespec dir_changed() {
    mtime_ = ctime_ = st_->now();
    return mtime_;
  }
  int check_new_name(const std::string& name) const {
    if (!is_dir()) return -LX_ENOTDIR;
    if (nlink_ == 0) return -LX_ENOENT;  // the directory was removed
    if (name.size() > kNameMax) return -LX_ENAMETOOLONG;
    if (name.empty() || name == "." || name == ".." || name.find('/') != std::string::npos) return -LX_EINVAL;
    if (kids_.count(name)) return -LX_EEXIST;
    return 0;
  }
  int add_node(const std::string& name, uint32_t mode, std::shared_ptr<TmpNode>* out) {
    int rc = check_new_name(name);
    if (rc) return rc;
    if (st_->inodes >= st_->opt.max_inodes) return -LX_ENOSPC;
    uint32_t uid, gid;
    st_->who(&uid, &gid);
    if (mode_ & 02000) {  // setgid directory: the group (and for directories the bit) is inherited
      gid = gid_;
      if ((mode & LS_IFMT) == LS_IFDIR) mode |= 02000;
    }
    auto n = std::make_shared<TmpNode>(st_, mode, uid, gid);
    if (n->is_dir()) n->parent_ = std::static_pointer_cast<TmpNode>(shared_from_this());
    kids_[name] = n;
    dir_changed();
    *out = n;
    return 0;
  }
  // Is this directory `d` or inside it?
  bool within(const TmpNode* d) const {
    for (const TmpNode* p = this; p;) {
      if (p == d) return true;
      auto up = p->parent_.lock();
      if (!up || up.get() == p) break;
      p = up.get();
    }
    return false;
  }
};

// ---- 3. rename --------------------------------------------------------------------------
int TmpNode::rename(const std::string& name, Inode& new_dir, const std::string& new_name, uint32_t flags) {
  if (!is_dir()) return -LX_ENOTDIR;
  auto* nd = dynamic_cast<TmpNode*>(&new_dir);
  if (!nd || nd->st_ != st_) return -LX_EXDEV;
  if (!nd->is_dir()) return -LX_ENOTDIR;
  if (flags & ~uint32_t(LRENAME_NOREPLACE | LRENAME_EXCHANGE)) return -LX_EINVAL;
  if ((flags & LRENAME_NOREPLACE) && (flags & LRENAME_EXCHANGE)) return -LX_EINVAL;
  if (new_name.size() > kNameMax) return -LX_ENAMETOOLONG;
  auto it = kids_.find(name);
  if (it == kids_.end()) return -LX_ENOENT;
  std::shared_ptr<TmpNode> src = it->second;
  if (nd->nlink_ == 0) return -LX_ENOENT;
  auto dt = nd->kids_.find(new_name);
  std::shared_ptr<TmpNode> dst = dt == nd->kids_.end() ? nullptr : dt->second;
  if (flags & LRENAME_EXCHANGE) {
    if (!dst) return -LX_ENOENT;
    if (dst == src) return 0;
    if (src->is_dir() && nd->within(src.get())) return -LX_EINVAL;
    if (dst->is_dir() && within(dst.get())) return -LX_EINVAL;
    it->second = dst;
    dt->second = src;
    if (this != nd) {
      auto self = std::static_pointer_cast<TmpNode>(shared_from_this());
      auto other = std::static_pointer_cast<TmpNode>(nd->shared_from_this());
      if (src->is_dir()) {
        src->parent_ = other;
        nlink_--;
        nd->nlink_++;
      }
      if (dst->is_dir()) {
        dst->parent_ = self;
        nd->nlink_--;
        nlink_++;
      }
    }
    const Timespec now = dir_changed();
    nd->mtime_ = nd->ctime_ = now;
    src->ctime_ = dst->ctime_ = now;
    return 0;
  }
  if (dst && (flags & LRENAME_NOREPLACE)) return -LX_EEXIST;  // checked first, as Linux does
  if (dst == src) return 0;  // two names of one inode (or the same name): nothing to do
  if (src->is_dir() && nd->within(src.get())) return -LX_EINVAL;  // into its own subtree
  if (dst) {
    if (src->is_dir() && !dst->is_dir()) return -LX_ENOTDIR;
    if (!src->is_dir() && dst->is_dir()) return -LX_EISDIR;
    if (dst->is_dir() && !dst->kids_.empty()) return -LX_ENOTEMPTY;
  } else if (new_name.empty() || new_name == "." || new_name == ".." || new_name.find('/') != std::string::npos) {
    return -LX_EINVAL;
  }
  const Timespec now = st_->now();
  if (dst) {
    if (dst->is_dir()) {
      dst->nlink_ = 0;
      nd->nlink_--;
    } else {
      dst->nlink_--;
    }
    dst->ctime_ = now;
  }
  kids_.erase(it);  // `it` is not `dt` (different inodes)
  nd->kids_[new_name] = src;
  if (src->is_dir() && this != nd) {
    src->parent_ = std::static_pointer_cast<TmpNode>(nd->shared_from_this());
    nlink_--;
    nd->nlink_++;
  }
  mtime_ = ctime_ = now;
  nd->mtime_ = nd->ctime_ = now;
  src->ctime_ = now;
  return 0;
}

// ---- 4. TmpFs ---------------------------------------------------------------------------
std::shared_ptr<TmpFs> TmpFs::create(const TmpfsOptions& opt) {
  std::shared_ptr<TmpFs> fs(new TmpFs());
  fs->st_ = std::make_shared<TmpState>();
  fs->st_->opt = opt;
  fs->st_->owner = fs.get();
  fs->st_->next_ino = 1;  // the root is inode 1 (Linux tmpfs numbers from 1 as well)
  fs->dev_ = opt.dev;
  fs->root_ = std::make_shared<TmpNode>(fs->st_, LS_IFDIR | (opt.root_mode & 07777), 0, 0);
  return fs;
}

TmpFs::~TmpFs() {
  if (st_) st_->owner = nullptr;
}

InodeRef TmpFs::root() { return root_; }

int TmpFs::statfs(lx_statfs& out) {
  memset(&out, 0, sizeof out);
  out.f_type = int64_t(kMagic);
  out.f_bsize = int64_t(kPage);
  out.f_frsize = int64_t(kPage);
  out.f_blocks = st_->max_pages();
  out.f_bfree = out.f_bavail = st_->max_pages() - std::min(st_->pages, st_->max_pages());
  out.f_files = st_->opt.max_inodes;
  out.f_ffree = st_->opt.max_inodes - std::min(st_->inodes, st_->opt.max_inodes);
  out.f_namelen = int64_t(kNameMax);
  out.f_fsid[0] = int32_t(st_->opt.dev);
  return 0;
}

void TmpFs::set_creds(TmpfsCredsFn fn) { st_->creds = std::move(fn); }
void TmpFs::set_clock(TmpfsClockFn fn) { st_->clock = std::move(fn); }
uint64_t TmpFs::bytes_used() const { return st_->pages * kPage; }
uint64_t TmpFs::inodes_used() const { return st_->inodes; }

std::shared_ptr<FileSystem> make_tmpfs(TmpfsCredsFn creds) {
  auto fs = TmpFs::create();
  if (creds) fs->set_creds(std::move(creds));
  return fs;
}

}  // namespace gb
