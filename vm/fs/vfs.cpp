// vm/fs/vfs.cpp — inode defaults, mounts and path resolution (see vfs.h).
#include "vm/fs/vfs.h"

#include <cstring>

namespace gb {

// ---- Inode defaults ---------------------------------------------------------------------

int64_t Inode::read(uint64_t off, void* buf, uint64_t n, uint32_t oflags) {
  return is_dir() ? -LX_EISDIR : -LX_EINVAL;
}
int64_t Inode::write(uint64_t off, const void* buf, uint64_t n, uint32_t oflags) {
  return is_dir() ? -LX_EISDIR : -LX_EINVAL;
}
int Inode::truncate(uint64_t size) { return is_dir() ? -LX_EISDIR : -LX_EINVAL; }

int64_t Inode::readable_bytes(uint64_t off) {
  if (!is_reg()) return -LX_ENOTTY;
  Stat st;
  const int r = getattr(st);
  if (r < 0) return r;
  return st.size > (int64_t)off ? st.size - (int64_t)off : 0;
}

std::shared_ptr<FileBacking> Inode::backing(const std::string& name) {
  if (!is_reg()) return nullptr;
  return std::make_shared<InodeBacking>(shared_from_this(), name);
}

int FileSystem::statfs(lx_statfs& out) {
  memset(&out, 0, sizeof out);
  out.f_bsize = 4096;
  out.f_frsize = 4096;
  out.f_namelen = 255;
  return 0;
}

int64_t InodeBacking::read_page(uint64_t off, uint8_t* dst, SharedPageCache& cache) {
  memset(dst, 0, PAGE);
  uint64_t want = PAGE;
  if (limit_) {
    if (off >= limit_) want = 0;
    else if (limit_ - off < want) want = limit_ - off;
  }
  uint64_t got = 0;
  while (got < want) {  // a private copy sees shared stores
    const int64_t r = file_read(cache, *node_, off + got, dst + got, want - got, 0);
    if (r <= 0) break;
    got += (uint64_t)r;
  }
  if (limit_ && want < PAGE) {
    // A clipped page: the mapping itself is valid even if the file bytes end here.
    Stat st;
    if (node_->getattr(st) == 0 && (uint64_t)st.size > off) return got ? (int64_t)got : 1;
  }
  return (int64_t)got;
}

int64_t file_read(SharedPageCache& cache, Inode& n, uint64_t off, void* buf, uint64_t len, uint32_t oflags) {
  const int64_t r = n.read(off, buf, len, oflags);
  if (r > 0 && !n.is_stream()) cache.read(n.page_key(), off, buf, (uint64_t)r);
  return r;
}

int64_t file_write(SharedPageCache& cache, Inode& n, uint64_t off, const void* buf, uint64_t len, uint32_t oflags) {
  const int64_t r = n.write(off, buf, len, oflags);
  if (r > 0 && !n.is_stream()) cache.written(n.page_key(), off, buf, (uint64_t)r);
  return r;
}

int file_truncate(SharedPageCache& cache, Inode& n, uint64_t size) {
  const int e = n.truncate(size);
  if (e == 0) cache.truncated(n.page_key(), size);
  return e;
}

int InodeBacking::write_page(uint64_t off, const uint8_t* src) {
  Stat st;
  int e = node_->getattr(st);
  if (e < 0) return e;
  if ((uint64_t)st.size <= off) return 0;  // the file shrank: the page is past its end
  const uint64_t n = std::min<uint64_t>(PAGE, (uint64_t)st.size - off);
  uint64_t done = 0;
  while (done < n) {
    const int64_t r = node_->write(off + done, src + done, n - done, 0);
    if (r < 0) return (int)r;
    if (r == 0) return -LX_EIO;
    done += (uint64_t)r;
  }
  return 0;
}

// ---- Vfs --------------------------------------------------------------------------------

static bool same_inode(const InodeRef& a, const InodeRef& b) {
  return a && b && a->fs() == b->fs() && a->ino() == b->ino();
}

Vfs::Vfs(std::shared_ptr<FileSystem> rootfs) : rootfs_(std::move(rootfs)) { root_ = rootfs_->root(); }

Loc Vfs::root() const { return Loc{root_, "/"}; }

std::string Vfs::dirname(const std::string& path) {
  const size_t k = path.rfind('/');
  if (k == std::string::npos || k == 0) return "/";
  return path.substr(0, k);
}

int Vfs::mount(const std::string& path, std::shared_ptr<FileSystem> fs) {
  Loc at;
  const Loc r = root();
  ResolveOpts o;
  o.must_dir = true;
  int e = resolve(r, r, path, o, at);
  if (e < 0) return e;
  MountRec m;
  m.fs = fs;
  m.root = fs->root();
  m.path = at.path;
  mounts_[{at.node->fs(), at.node->ino()}] = m;
  return 0;
}

std::vector<Vfs::MountInfo> Vfs::mounts() const {
  std::vector<MountInfo> v;
  v.push_back({"/", rootfs_.get()});
  for (auto& [k, m] : mounts_) v.push_back({m.path, m.fs.get()});
  return v;
}

InodeRef Vfs::cross_mount(InodeRef n) const {
  for (int guard = 0; guard < 16 && !mounts_.empty(); guard++) {
    auto it = mounts_.find({n->fs(), n->ino()});
    if (it == mounts_.end()) break;
    n = it->second.root;
  }
  return n;
}

int Vfs::resolve(const Loc& root, const Loc& base, const std::string& path, const ResolveOpts& opts, Loc& out) {
  return walk(root, base, path, opts, false, out, nullptr, nullptr);
}

int Vfs::resolve_parent(const Loc& root, const Loc& base, const std::string& path, Loc& dir, std::string& last,
                        bool* trailing_slash) {
  ResolveOpts o;
  return walk(root, base, path, o, true, dir, &last, trailing_slash);
}

int Vfs::walk(const Loc& root, const Loc& base, const std::string& path, const ResolveOpts& opts, bool parent_only,
              Loc& out, std::string* last, bool* trailing_slash) {
  if (path.size() >= kPathMax) return -LX_ENAMETOOLONG;
  if (path.empty()) {
    if (!opts.allow_empty) return -LX_ENOENT;
    if (parent_only) return -LX_ENOENT;
    out = base;
    return 0;
  }
  // Pending components, next one at the back.
  std::vector<std::string> todo;
  auto push_path = [&todo](const std::string& p) {
    size_t end = p.size();
    while (end > 0) {
      size_t start = p.rfind('/', end - 1);
      start = (start == std::string::npos) ? 0 : start + 1;
      if (end > start) todo.push_back(p.substr(start, end - start));
      if (start == 0) break;
      end = start - 1;
    }
  };
  const bool slash_end = path.size() > 1 && path.back() == '/';
  if (trailing_slash) *trailing_slash = slash_end;
  bool must_dir = opts.must_dir || slash_end;
  bool follow_last = opts.follow || slash_end;

  Loc cur = path[0] == '/' ? root : base;
  if (!cur.node) return -LX_ENOENT;
  std::vector<Loc> stack;  // ancestors of cur visited in this walk
  int links = 0;
  push_path(path);
  if (todo.empty()) {  // "/" or "///"
    if (parent_only) { out = cur; if (last) last->clear(); return 0; }
    out = cur;
    return 0;
  }
  while (!todo.empty()) {
    std::string name = std::move(todo.back());
    todo.pop_back();
    const bool is_last = todo.empty();
    if (name.size() > 255) return -LX_ENAMETOOLONG;
    if (!cur.node->is_dir()) return -LX_ENOTDIR;
    if (parent_only && is_last) {
      out = cur;
      if (last) *last = name;
      return 0;
    }
    if (name == ".") continue;
    if (name == "..") {
      if (same_inode(cur.node, root.node)) continue;
      if (!stack.empty()) {
        cur = std::move(stack.back());
        stack.pop_back();
        continue;
      }
      // At the root of a mounted file system: the parent is the mount point's parent,
      // whose canonical path is known.
      {
        bool handled = false;
        for (auto& [key, m] : mounts_) {
          if (!same_inode(m.root, cur.node)) continue;
          const Loc vr = Vfs::root();
          Loc p;
          ResolveOpts o;
          int e = walk(vr, vr, dirname(m.path), o, false, p, nullptr, nullptr);
          if (e < 0) return e;
          cur = p;
          handled = true;
          break;
        }
        if (handled) continue;
      }
      InodeRef n = cur.node;
      InodeRef parent;
      lookups++;
      int e = n->lookup("..", parent);
      if (e < 0) return e;
      cur = Loc{cross_mount(parent), dirname(cur.path)};
      continue;
    }
    InodeRef child;
    lookups++;
    int e = cur.node->lookup(name, child);
    if (e < 0) return e;
    child = cross_mount(child);
    if (child->is_symlink() && (!is_last || follow_last)) {
      if (++links > kMaxSymlinks) return -LX_ELOOP;
      symlinks_followed++;
      Loc magic;
      if (child->magic_follow(magic)) {
        stack.clear();
        cur = magic;
        continue;
      }
      std::string target;
      e = child->readlink(target);
      if (e < 0) return e;
      if (target.empty()) return -LX_ENOENT;
      if (target.size() >= kPathMax) return -LX_ENAMETOOLONG;
      if (target[0] == '/') {
        cur = root;
        stack.clear();
      }
      // A symlink in the last position whose target ends in '/' keeps must_dir semantics.
      push_path(target);
      continue;
    }
    stack.push_back(cur);
    cur = Loc{child, join(cur.path, name)};
  }
  if (parent_only) {
    // The path ended in "." or "..", or a symlink expanded to nothing further: report
    // the directory itself with an empty last component.
    out = cur;
    if (last) last->clear();
    return 0;
  }
  if (must_dir && !cur.node->is_dir()) return -LX_ENOTDIR;
  out = cur;
  return 0;
}

}  // namespace gb
