// vm/fs/hostfs.h — a guest file system backed by a host directory (development and
// tests, until the ext2 image is the root; also works in node through NODERAWFS).
//
// Containment: the VFS resolves every guest path itself (symlinks included), and this
// file system only ever touches the host through directory file descriptors: the root
// directory is opened once, every other directory is opened with
// openat(parent_fd, name, O_DIRECTORY | O_NOFOLLOW), and files with
// openat(dir_fd, name, O_NOFOLLOW). No host path string outside the root is ever built
// and no host symlink is ever followed, so neither "..", nor a symlink, nor a race can
// leave the root. Host device nodes, FIFOs and sockets inside the root cannot be
// opened (EACCES): the guest gets its own /dev.
//
// Writes go to the host directory (create, mkdir, unlink, rename, symlink, link,
// truncate, chmod, utimens); chown succeeds without doing anything.
#pragma once
#include <list>
#include <unordered_map>

#include "vm/fs/vfs.h"

namespace gb {

class HostInode;

class HostFs : public FileSystem {
 public:
  // Opens `dir` as the root. Returns nullptr (and sets err) if it is not a directory.
  static std::shared_ptr<HostFs> open(const std::string& dir, std::string& err);
  ~HostFs() override;
  InodeRef root() override;
  const char* type_name() const override { return "hostfs"; }
  int statfs(lx_statfs& out) override;
  const std::string& host_dir() const { return dir_; }

  // A small cache of directory inodes by canonical relative path, so that resolving
  // /usr/lib/... does not reopen /usr each time. Dropped on any namespace change.
  std::shared_ptr<HostInode> cached_dir(const std::string& rel);
  void cache_dir(const std::string& rel, const std::shared_ptr<HostInode>& n);
  void drop_cache();
  // One page-cache identity per host file (Inode::page_key), shared by its HostInodes.
  std::shared_ptr<char> page_key(uint64_t ino);

 private:
  HostFs() = default;
  std::string dir_;
  uint64_t host_dev_ = 0;  // st_dev of the host directory
  std::shared_ptr<HostInode> root_;
  static constexpr size_t kCacheMax = 256;
  std::list<std::pair<std::string, std::shared_ptr<HostInode>>> lru_;
  std::unordered_map<std::string, decltype(lru_)::iterator> cache_;
  std::unordered_map<uint64_t, std::weak_ptr<char>> page_keys_;
  size_t page_keys_sweep_at_ = 4096;  // forget dead identities when the map reaches this
  friend class HostInode;
};

}  // namespace gb
