// vm/fs/ext2_vfs.cpp — see ext2_vfs.h.
#include "vm/fs/ext2_vfs.h"

#include <unistd.h>

#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>

#include "vm/base/host_env.h"
#include "vm/fs/chunked.h"


namespace gb {

namespace {
uint64_t encode_dev(uint32_t major, uint32_t minor) {  // glibc's makedev
  return (uint64_t(major & 0xfffff000u) << 32) | (uint64_t(major & 0xfffu) << 8) |
         (uint64_t(minor & 0xffffff00u) << 12) | uint64_t(minor & 0xffu);
}
void decode_dev(uint64_t dev, uint32_t* major, uint32_t* minor) {
  *major = uint32_t(((dev >> 32) & 0xfffff000u) | ((dev >> 8) & 0xfffu));
  *minor = uint32_t(((dev >> 12) & 0xffffff00u) | (dev & 0xffu));
}
}  // namespace

// ---------------------------------------------------------------- Ext2Inode

class Ext2Inode : public Inode {
 public:
  Ext2Inode(std::shared_ptr<Ext2Fs> fs, uint32_t ino, uint32_t ftype) : fs_(std::move(fs)), ino_(ino), ftype_(ftype) {
    fs_->ext2().ref(ino_);
  }
  ~Ext2Inode() override {
    fs_->ext2().unref(ino_);
    auto it = fs_->cache_.find(ino_);
    if (it != fs_->cache_.end() && it->second.expired()) fs_->cache_.erase(it);
  }
  FileSystem* fs() const override { return fs_.get(); }
  uint64_t ino() const override { return ino_; }
  uint32_t ftype() const override { return ftype_; }
  fs::Ext2& e() { return fs_->ext2(); }

  int getattr(Stat& st) override {
    fs::Ext2Stat s;
    int rc = e().stat(ino_, &s);
    if (rc) return rc;
    st = Stat();
    st.dev = fs_->dev();
    st.ino = ino_;
    st.nlink = s.nlink;
    st.mode = s.mode;
    st.uid = s.uid;
    st.gid = s.gid;
    st.rdev = encode_dev(s.rdev_major, s.rdev_minor);
    st.size = int64_t(s.size);
    st.blksize = s.blksize;
    st.blocks = int64_t(s.blocks);
    st.atime.sec = s.atime;
    st.mtime.sec = s.mtime;
    st.ctime.sec = s.ctime;
    return 0;
  }

  int64_t read(uint64_t off, void* buf, uint64_t n, uint32_t) override {
    if (is_dir()) return -LX_EISDIR;
    if (!is_reg()) return -LX_EINVAL;
    return e().read(ino_, off, buf, n);
  }
  int64_t write(uint64_t off, const void* buf, uint64_t n, uint32_t) override {
    if (is_dir()) return -LX_EISDIR;
    if (!is_reg()) return -LX_EINVAL;
    return e().write(ino_, off, buf, n);
  }
  int truncate(uint64_t size) override {
    if (is_dir()) return -LX_EISDIR;
    if (!is_reg()) return -LX_EINVAL;
    return e().truncate(ino_, size);
  }
  int fsync() override { return fs_->sync(); }

  std::shared_ptr<FileBacking> backing(const std::string& name) override {
    if (!is_reg()) return nullptr;
    if (fs_->options().exec_prefetch) e().prefetch_file(ino_);  // exec / mmap: fetch it all in one batch
    return Inode::backing(name);
  }

  int lookup(const std::string& name, InodeRef& out) override {
    if (!is_dir()) return -LX_ENOTDIR;
    uint32_t child = 0;
    int rc = e().lookup(ino_, name, &child);
    if (rc) return rc;
    int err = 0;
    out = fs_->inode(child, &err);
    return out ? 0 : err;
  }

  int readdir(std::vector<DirEntry>& out) override {
    if (!is_dir()) return -LX_ENOTDIR;
    std::vector<fs::Ext2DirEntry> ents;
    int rc = e().readdir(ino_, 0, [&](const fs::Ext2DirEntry& d) {
      ents.push_back(d);
      return true;
    });
    if (rc) return rc;
    for (auto& d : ents) {
      DirEntry de;
      de.name = d.name;
      de.ino = d.ino;
      de.type = d.type;
      if (de.type == LDT_UNKNOWN) {  // no filetype feature: ask the inode
        fs::Ext2Stat s;
        if (e().stat(d.ino, &s) == 0) de.type = lx_dtype(s.mode);
      }
      out.push_back(std::move(de));
    }
    return 0;
  }

  int create(const std::string& name, uint32_t mode, InodeRef& out) override {
    if (!is_dir()) return -LX_ENOTDIR;
    uint32_t uid, gid, child = 0;
    fs_->creds(&uid, &gid);
    int rc = e().create(ino_, name, mode & 07777, uid, gid, &child);
    if (rc) return rc;
    int err = 0;
    out = fs_->inode(child, &err);
    return out ? 0 : err;
  }
  int mkdir(const std::string& name, uint32_t mode) override {
    if (!is_dir()) return -LX_ENOTDIR;
    uint32_t uid, gid, child;
    fs_->creds(&uid, &gid);
    // a setgid directory passes its group and the bit on (as Linux does)
    fs::Ext2Stat ps;
    if (e().stat(ino_, &ps) == 0 && (ps.mode & 02000)) {
      gid = ps.gid;
      mode |= 02000;
    }
    return e().mkdir(ino_, name, mode & 07777, uid, gid, &child);
  }
  int mknod(const std::string& name, uint32_t mode, uint64_t dev) override {
    if (!is_dir()) return -LX_ENOTDIR;
    uint32_t uid, gid, child, ma, mi;
    fs_->creds(&uid, &gid);
    decode_dev(dev, &ma, &mi);
    return e().mknod(ino_, name, mode, ma, mi, uid, gid, &child);
  }
  int unlink(const std::string& name) override {
    if (!is_dir()) return -LX_ENOTDIR;
    return e().unlink(ino_, name);
  }
  int rmdir(const std::string& name) override {
    if (!is_dir()) return -LX_ENOTDIR;
    return e().rmdir(ino_, name);
  }
  int rename(const std::string& name, Inode& new_dir, const std::string& new_name, uint32_t flags) override {
    if (!is_dir()) return -LX_ENOTDIR;
    if (new_dir.fs() != fs()) return -LX_EXDEV;
    if (flags & ~uint32_t(LRENAME_NOREPLACE)) return -LX_EINVAL;  // ext2 has no exchange/whiteout
    uint32_t nd = uint32_t(new_dir.ino());
    if (flags & LRENAME_NOREPLACE) {
      uint32_t x;
      int rc = e().lookup(nd, new_name, &x);
      if (rc == 0) return -LX_EEXIST;
      if (rc != -LX_ENOENT) return rc;
    }
    return e().rename(ino_, name, nd, new_name);
  }
  int symlink(const std::string& name, const std::string& target) override {
    if (!is_dir()) return -LX_ENOTDIR;
    uint32_t uid, gid, child;
    fs_->creds(&uid, &gid);
    return e().symlink(ino_, name, target, uid, gid, &child);
  }
  int link(const std::string& name, Inode& target) override {
    if (!is_dir()) return -LX_ENOTDIR;
    if (target.fs() != fs()) return -LX_EXDEV;
    return e().link(ino_, name, uint32_t(target.ino()));
  }
  int readlink(std::string& out) override {
    if (!is_symlink()) return -LX_EINVAL;
    return e().readlink(ino_, &out);
  }
  int chmod(uint32_t mode) override { return e().chmod(ino_, mode & 07777); }
  int chown(uint32_t uid, uint32_t gid) override {
    return e().chown(ino_, uid == 0xFFFFFFFFu ? -1 : int64_t(uid), gid == 0xFFFFFFFFu ? -1 : int64_t(gid));
  }
  int utimens(const Timespec* atime, const Timespec* mtime) override {
    auto pick = [&](const Timespec* t) -> int64_t {
      if (!t || t->nsec == kUtimeOmit) return -1;
      if (t->nsec == kUtimeNow) return fs_->now();
      return t->sec < 0 ? 0 : t->sec;
    };
    return e().utimes(ino_, pick(atime), pick(mtime));
  }

 private:
  std::shared_ptr<Ext2Fs> fs_;
  uint32_t ino_;
  uint32_t ftype_;
};

// ---------------------------------------------------------------- Ext2Fs

std::shared_ptr<Ext2Fs> Ext2Fs::mount(std::unique_ptr<fs::BlockDevice> dev, const Ext2FsOptions& opt,
                                      std::string& err) {
  std::shared_ptr<Ext2Fs> f(new Ext2Fs());
  f->opt_ = opt;
  f->overlay_ = dynamic_cast<fs::OverlayDevice*>(dev.get());
  f->dev_ = std::move(dev);
  fs::Ext2Options eo;
  eo.read_only = opt.read_only;
  eo.cache_blocks = opt.meta_cache_blocks;
  eo.readahead = opt.readahead;
  std::weak_ptr<Ext2Fs> weak = f;
  eo.now = [weak]() -> int64_t {
    auto s = weak.lock();
    return s ? s->now() : int64_t(::time(nullptr));
  };
  if (fs::Ext2::mount(f->dev_.get(), eo, &f->ext2_, &err) != 0) return nullptr;
  return f;
}


std::shared_ptr<Ext2Fs> Ext2Fs::open(const std::string& image, const Ext2FsOptions& opt_in, std::string& err) {
  // measurement knobs (see the header)
  Ext2FsOptions opt = opt_in;
  if (const char* ra = host_getenv("GLASSBOX_READAHEAD")) {
    const std::string v = ra;
    if (v == "0" || v == "none") {
      opt.readahead = fs::Ext2Readahead::None;
      opt.exec_prefetch = false;
    } else if (v == "seq" || v == "1") {
      opt.readahead = fs::Ext2Readahead::Sequential;
    } else if (v == "whole") {
      opt.readahead = fs::Ext2Readahead::WholeFile;
    }
  }
  if (const char* st = host_getenv("GLASSBOX_STORAGE_STATS")) opt.print_stats = st[0] && st[0] != '0';
  std::unique_ptr<fs::BlockDevice> base;
  std::string id;
  bool raw = image.size() > 5 && image.compare(image.size() - 5, 5, ".ext2") == 0;
  if (!raw && image.compare(0, 7, "http://") != 0) {
    // a plain file that is not a manifest is taken as a raw image too
    fs::FileDevice* probe = nullptr;
    if (fs::FileDevice::open(image, false, &probe, nullptr) == 0) {
      std::unique_ptr<fs::FileDevice> p(probe);
      uint8_t magic[2] = {0, 0};
      if (p->size() > 1080 && p->read(1024 + 56, magic, 2) == 0 && magic[0] == 0x53 && magic[1] == 0xEF) raw = true;
    }
  }
  uint32_t block = 4096;
  if (raw) {
    fs::FileDevice* fd = nullptr;
    if (fs::FileDevice::open(image, false, &fd, &err) != 0) return nullptr;
    base.reset(fd);
  } else {
    fs::ChunkedOptions co;
    co.cache_bytes = opt.chunk_cache_mb << 20;
    std::unique_ptr<fs::ChunkedDevice> c;
    if (fs::ChunkedDevice::open(image, co, &c, &err) != 0) return nullptr;
    id = c->manifest().image_id;
    if (c->manifest().fs_block_size) block = c->manifest().fs_block_size;
    base = std::move(c);
  }
  // the overlay's block is the file system's block (read from the superblock)
  uint8_t sb[1024];
  if (base->read(1024, sb, sizeof sb) == 0 && sb[56] == 0x53 && sb[57] == 0xEF) {
    uint32_t lg = uint32_t(sb[24]) | uint32_t(sb[25]) << 8 | uint32_t(sb[26]) << 16 | uint32_t(sb[27]) << 24;
    if (lg <= 6) block = 1024u << lg;
  }
  std::unique_ptr<fs::OverlayDevice> ov;
  if (opt.overlay.empty()) {
    ov = fs::OverlayDevice::memory(std::move(base), block);
  } else if (fs::OverlayDevice::open_file(std::move(base), opt.overlay, id, block, &ov, &err) != 0) {
    return nullptr;
  }
  return mount(std::move(ov), opt, err);
}

Ext2Fs::~Ext2Fs() {
  if (ext2_ && !ext2_->read_only()) ext2_->sync();
  if (ext2_ && opt_.print_stats) {
    const std::string line = "glassbox: " + stats_line() + "\n";
    (void)!::write(2, line.data(), line.size());
  }
}

std::string Ext2Fs::stats_line() const {
  const fs::DeviceStats d = dev_->stats();
  const fs::Ext2::Counters c = ext2_->counters();
  const char* ra = opt_.readahead == fs::Ext2Readahead::None ? "none"
                   : opt_.readahead == fs::Ext2Readahead::WholeFile ? "whole" : "seq";
  char b[512];
  snprintf(b, sizeof b,
           "storage: chunks_fetched %" PRIu64 " bytes_fetched %" PRIu64 " round_trips %" PRIu64
           " prefetched_chunks %" PRIu64 " prefetch_unused %" PRIu64 " cache_hits %" PRIu64 " zero_chunk_reads %" PRIu64
           " fetch_errors %" PRIu64 " meta_reads %" PRIu64 " data_reads %" PRIu64 " overlay_blocks %" PRIu64
           " readahead %s%s",
           d.chunks_fetched, d.bytes_fetched, d.fetch_batches, d.prefetched_chunks, d.prefetch_unused, d.cache_hits,
           d.zero_chunk_reads, d.fetch_errors, c.meta_reads, c.data_reads, d.overlay_blocks, ra,
           opt_.exec_prefetch ? "+exec" : "");
  return b;
}

void Ext2Fs::creds(uint32_t* uid, uint32_t* gid) const {
  *uid = 0;
  *gid = 0;
  if (creds_) creds_(uid, gid);
}

int64_t Ext2Fs::now() const { return clock_ ? clock_() : int64_t(::time(nullptr)); }

int Ext2Fs::sync() { return ext2_->sync(); }

std::shared_ptr<Ext2Inode> Ext2Fs::inode(uint32_t ino, int* err) {
  auto it = cache_.find(ino);
  if (it != cache_.end())
    if (auto live = it->second.lock()) return live;
  fs::Ext2Stat st;
  int rc = ext2_->stat(ino, &st);
  if (rc) {
    if (err) *err = rc;
    return nullptr;
  }
  if (st.mode == 0 || (st.nlink == 0 && ino != fs::Ext2::kRootIno)) {
    if (err) *err = -LX_EIO;  // a directory entry naming a free inode: corrupt
    return nullptr;
  }
  auto n = std::make_shared<Ext2Inode>(shared_from_this(), ino, st.mode & LS_IFMT);
  cache_[ino] = n;
  return n;
}

InodeRef Ext2Fs::root() { return inode(fs::Ext2::kRootIno); }

int Ext2Fs::statfs(lx_statfs& out) {
  fs::Ext2StatFs s;
  ext2_->statfs(&s);
  memset(&out, 0, sizeof out);
  out.f_type = 0xEF53;
  out.f_bsize = s.block_size;
  out.f_frsize = s.block_size;
  out.f_blocks = s.blocks;
  out.f_bfree = s.free_blocks;
  out.f_bavail = s.avail_blocks;
  out.f_files = s.inodes;
  out.f_ffree = s.free_inodes;
  out.f_namelen = s.name_max;
  return 0;
}

}  // namespace gb
