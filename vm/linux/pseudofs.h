// vm/linux/pseudofs.h — small in-memory file systems whose contents are computed:
// /dev (devfs.cpp) and /proc (procfs.cpp). Read-only namespaces; files are generated
// on every read; directories may list their children dynamically (/proc/self/fd).
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "vm/fs/vfs.h"

namespace gb {

class Kernel;

class PseudoFs : public FileSystem {
 public:
  PseudoFs(const char* type, uint64_t dev);
  InodeRef root() override;
  const char* type_name() const override { return type_; }
  int statfs(lx_statfs& out) override;
  uint64_t alloc_ino() { return next_ino_++; }
  Timespec created;
  std::shared_ptr<class PseudoDir> root_dir;
  int64_t magic = 0x9fa0;  // statfs f_type (PROC_SUPER_MAGIC by default)

 private:
  const char* type_;
  uint64_t next_ino_ = 1;
};

class PseudoNode : public Inode {
 public:
  PseudoNode(PseudoFs* fs, uint64_t ino, uint32_t mode) : fs_(fs), ino_(ino), mode_(mode) {}
  FileSystem* fs() const override { return fs_; }
  uint64_t ino() const override { return ino_; }
  uint32_t ftype() const override { return mode_ & LS_IFMT; }
  int getattr(Stat& st) override;
  int chmod(uint32_t) override { return -LX_EPERM; }
  int chown(uint32_t, uint32_t) override { return -LX_EPERM; }
  int utimens(const Timespec*, const Timespec*) override { return 0; }
  uint64_t rdev = 0;

 protected:
  PseudoFs* fs_;
  uint64_t ino_;
  uint32_t mode_;
};

using PseudoList = std::vector<std::pair<std::string, InodeRef>>;

class PseudoDir : public PseudoNode {
 public:
  PseudoDir(PseudoFs* fs, uint64_t ino, uint32_t perm, std::weak_ptr<Inode> parent)
      : PseudoNode(fs, ino, LS_IFDIR | perm), parent_(std::move(parent)) {}
  void add(const std::string& name, InodeRef n) { fixed_.emplace_back(name, std::move(n)); }
  // Children computed on each lookup/readdir (in addition to the fixed ones).
  std::function<void(PseudoList&)> dynamic;
  int lookup(const std::string& name, InodeRef& out) override;
  int readdir(std::vector<DirEntry>& out) override;
  int on_open(uint32_t flags) override { return (flags & LO_ACCMODE) != LO_RDONLY ? -LX_EISDIR : 0; }

 private:
  PseudoList children();
  std::weak_ptr<Inode> parent_;
  PseudoList fixed_;
};

// A file whose content is generated on each read.
class PseudoFile : public PseudoNode {
 public:
  PseudoFile(PseudoFs* fs, uint64_t ino, uint32_t perm, std::function<std::string()> gen)
      : PseudoNode(fs, ino, LS_IFREG | perm), gen_(std::move(gen)) {}
  int64_t read(uint64_t off, void* buf, uint64_t n, uint32_t oflags) override;
  int64_t write(uint64_t, const void*, uint64_t, uint32_t) override { return -LX_EACCES; }
  int truncate(uint64_t) override { return -LX_EACCES; }
  int on_open(uint32_t flags) override { return (flags & LO_ACCMODE) != LO_RDONLY ? -LX_EACCES : 0; }
  std::shared_ptr<FileBacking> backing(const std::string&) override { return nullptr; }

 private:
  std::function<std::string()> gen_;
};

// A symlink with a computed target; optionally "magic" (see Inode::magic_follow).
class PseudoLink : public PseudoNode {
 public:
  PseudoLink(PseudoFs* fs, uint64_t ino, std::function<std::string()> target, std::function<bool(Loc&)> magic = nullptr)
      : PseudoNode(fs, ino, LS_IFLNK | 0777), target_(std::move(target)), magic_(std::move(magic)) {}
  int readlink(std::string& out) override { out = target_(); return 0; }
  bool magic_follow(Loc& out) override { return magic_ && magic_(out); }

 private:
  std::function<std::string()> target_;
  std::function<bool(Loc&)> magic_;
};

// A character device with read/write callbacks.
class CharDev : public PseudoNode {
 public:
  using ReadFn = std::function<int64_t(void*, uint64_t)>;
  using WriteFn = std::function<int64_t(const void*, uint64_t)>;
  CharDev(PseudoFs* fs, uint64_t ino, uint32_t perm, uint32_t major, uint32_t minor, ReadFn r, WriteFn w)
      : PseudoNode(fs, ino, LS_IFCHR | perm), r_(std::move(r)), w_(std::move(w)) {
    rdev = ((uint64_t)major << 8) | minor;
  }
  bool is_stream() const override { return true; }
  int64_t seek(int64_t, int) override { return 0; }
  int64_t read(uint64_t, void* buf, uint64_t n, uint32_t) override { return r_(buf, n); }
  int64_t write(uint64_t, const void* buf, uint64_t n, uint32_t) override { return w_(buf, n); }
  int truncate(uint64_t) override { return 0; }
  int64_t readable_bytes(uint64_t) override { return 0; }
  std::shared_ptr<FileBacking> backing(const std::string&) override { return nullptr; }

 private:
  ReadFn r_;
  WriteFn w_;
};

// A node that forwards everything to another inode chosen when it is opened (/dev/tty).
std::shared_ptr<PseudoFs> make_devfs(Kernel& k);
std::shared_ptr<PseudoFs> make_procfs(Kernel& k);

}  // namespace gb
