// vm/linux/pseudofs.cpp — the generic pseudo file system nodes and /dev (see pseudofs.h).
#include "vm/linux/pseudofs.h"
#include "vm/linux/file.h"
#include "vm/linux/entropy.h"
#include "vm/linux/kernel.h"
#include "vm/linux/tty.h"

#include <time.h>
#include <unistd.h>
#include <cstring>

namespace gb {

// ---- generic nodes ------------------------------------------------------------------

PseudoFs::PseudoFs(const char* type, uint64_t dev) : type_(type) {
  dev_ = dev;
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  created = {(int64_t)ts.tv_sec, (int64_t)ts.tv_nsec};
}

InodeRef PseudoFs::root() { return root_dir; }

int PseudoFs::statfs(lx_statfs& out) {
  FileSystem::statfs(out);
  out.f_type = magic;
  return 0;
}

int PseudoNode::getattr(Stat& st) {
  st = Stat{};
  st.dev = fs_->dev();
  st.ino = ino_;
  st.mode = mode_;
  st.nlink = (mode_ & LS_IFMT) == LS_IFDIR ? 2 : 1;
  st.rdev = rdev;
  st.blksize = 1024;
  st.atime = st.mtime = st.ctime = fs_->created;
  return 0;
}

PseudoList PseudoDir::children() {
  PseudoList v = fixed_;
  if (dynamic) dynamic(v);
  return v;
}

int PseudoDir::lookup(const std::string& name, InodeRef& out) {
  if (name == ".") { out = shared_from_this(); return 0; }
  if (name == "..") {
    auto p = parent_.lock();
    out = p ? p : shared_from_this();
    return 0;
  }
  for (auto& [n, node] : fixed_)
    if (n == name) { out = node; return 0; }
  if (dynamic) {
    PseudoList v;
    dynamic(v);
    for (auto& [n, node] : v)
      if (n == name) { out = node; return 0; }
  }
  return -LX_ENOENT;
}

int PseudoDir::readdir(std::vector<DirEntry>& out) {
  out.clear();
  out.push_back({".", ino_, LDT_DIR});
  auto p = parent_.lock();
  out.push_back({"..", p ? p->ino() : ino_, LDT_DIR});
  for (auto& [n, node] : children()) out.push_back({n, node->ino(), lx_dtype(node->ftype())});
  return 0;
}

int64_t PseudoFile::read(uint64_t off, void* buf, uint64_t n, uint32_t) {
  const std::string s = gen_();
  if (off >= s.size()) return 0;
  const uint64_t k = std::min<uint64_t>(n, s.size() - off);
  memcpy(buf, s.data() + off, k);
  return (int64_t)k;
}

// ---- /dev ----------------------------------------------------------------------------

namespace {

// /dev/tty when the host has no terminal.
class NoTty : public PseudoNode {
 public:
  using PseudoNode::PseudoNode;
  int on_open(uint32_t) override { return -LX_ENXIO; }
};

}  // namespace

std::shared_ptr<PseudoFs> make_devfs(Kernel& k) {
  auto fs = std::make_shared<PseudoFs>("devtmpfs", 5);
  fs->magic = 0x1021994;  // TMPFS_MAGIC
  PseudoFs* f = fs.get();
  auto root = std::make_shared<PseudoDir>(f, f->alloc_ino(), 0755, std::weak_ptr<Inode>());
  fs->root_dir = root;

  auto dev = [&](const char* name, uint32_t perm, uint32_t major, uint32_t minor, CharDev::ReadFn r, CharDev::WriteFn w) {
    root->add(name, std::make_shared<CharDev>(f, f->alloc_ino(), perm, major, minor, std::move(r), std::move(w)));
  };
  auto sink = [](const void*, uint64_t n) -> int64_t { return (int64_t)n; };
  dev("null", 0666, 1, 3, [](void*, uint64_t) -> int64_t { return 0; }, sink);
  dev("zero", 0666, 1, 5, [](void* b, uint64_t n) -> int64_t { memset(b, 0, n); return (int64_t)n; }, sink);
  dev("full", 0666, 1, 7, [](void* b, uint64_t n) -> int64_t { memset(b, 0, n); return (int64_t)n; },
      [](const void*, uint64_t) -> int64_t { return -LX_ENOSPC; });
  dev("random", 0666, 1, 8, [](void* b, uint64_t n) -> int64_t { fill_random(b, n); return (int64_t)n; }, sink);
  dev("urandom", 0666, 1, 9, [](void* b, uint64_t n) -> int64_t { fill_random(b, n); return (int64_t)n; }, sink);

  // /dev/tty: the caller's controlling terminal (a pty, vm/linux/tty.h), else the host
  // terminal; chosen when looked up. /dev/ptmx: a fresh master inode per lookup (a new
  // pair is allocated when it is opened).
  const uint64_t tty_ino = f->alloc_ino();
  const uint64_t ptmx_ino = f->alloc_ino();
  std::weak_ptr<PseudoDir> wroot = root;
  Kernel* kp = &k;
  root->dynamic = [kp, f, tty_ino, ptmx_ino](PseudoList& v) {
    v.emplace_back("ptmx", ptmx_node(*kp->devpts, f, ptmx_ino));
    InodeRef t = caller_ctty_node(*kp->devpts);
    if (!t) t = host_tty(kp->anon);
    if (!t) {
      auto n = std::make_shared<NoTty>(f, tty_ino, LS_IFCHR | 0666);
      n->rdev = (5u << 8) | 0;
      t = n;
    }
    v.emplace_back("tty", t);
  };
  auto link = [&](const char* name, std::string target) {
    root->add(name, std::make_shared<PseudoLink>(f, f->alloc_ino(), [target] { return target; }));
  };
  link("stdin", "/proc/self/fd/0");
  link("stdout", "/proc/self/fd/1");
  link("stderr", "/proc/self/fd/2");
  link("fd", "/proc/self/fd");
  // /dev/pts: one entry per pty pair whose master is open (and its own ptmx).
  auto pts = std::make_shared<PseudoDir>(f, f->alloc_ino(), 0755, wroot);
  pts->dynamic = [kp, f, ptmx_ino](PseudoList& v) {
    v.emplace_back("ptmx", ptmx_node(*kp->devpts, f, ptmx_ino));
    for (auto& e : pts_list(*kp->devpts)) v.push_back(std::move(e));
  };
  root->add("pts", pts);
  root->add("shm", std::make_shared<PseudoDir>(f, f->alloc_ino(), 01777, wroot));
  return fs;
}

}  // namespace gb
