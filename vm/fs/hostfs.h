// vm/fs/hostfs.h — a guest file system backed by a host directory (development and
// tests, until the ext2 image is the root; also works in node through NODERAWFS).
//
// Containment (openat2 RESOLVE_IN_ROOT semantics, natively and in node):
//   * The VFS resolves every guest path itself, one component at a time (symlinks read
//     and spliced in, absolute targets restart at the guest root, ".." at the root stays
//     there, ELOOP after 40 links, vfs.h). This file system is only ever asked for one
//     name inside one directory inode, and never follows a host symlink (O_NOFOLLOW,
//     AT_SYMLINK_NOFOLLOW, lstat).
//   * Native: every directory inode holds a host directory fd; every host call is
//     relative to one (openat(dir_fd, name, O_NOFOLLOW) ...). A directory renamed
//     anywhere, even by the host, stays the same directory.
//   * Node (NODERAWFS): a "directory fd" is only a saved path string, so a held
//     directory renamed away and replaced by a symlink would send the next openat to
//     the host. There every host call is made on an absolute path built from the inode's
//     parent chain (kept current across renames done through the engine) and checked
//     just before use: lstat of that path must be a directory with the inode's recorded
//     host dev/ino, else ENOENT. A host path is therefore only used when it names the
//     very directory the engine found inside the root. (Renames done by the host itself
//     while the engine runs are out of scope: they fail with ENOENT, never escape; a
//     host racing between the check and the call is not defended against.)
//   * Renames, unlinks and rmdirs done through the engine update the live inodes that
//     named the entry (HostLive): a held directory or file keeps working at its new
//     place; one that was replaced or removed answers ENOENT for name-based operations.
//   * link(): both ends are inodes found inside the root (a guest cannot name anything
//     else), and the host call never follows a symlink.
//   * setuid/setgid bits are never set on the host: chmod, create and mkdir send
//     mode & ~(S_ISUID|S_ISGID) to the host and keep the two bits in memory for the
//     life of the HostFs (stat shows them; the engine never honours them at execve).
//     The sticky bit goes to the host as given. mknod is refused (EPERM).
//   * Host device nodes, FIFOs and sockets inside the root cannot be opened (EACCES):
//     the guest gets its own /dev.
//
// Writes go to the host directory (create, mkdir, unlink, rename, symlink, link,
// truncate, chmod, utimens); chown succeeds without doing anything.
#pragma once
#include <list>
#include <unordered_map>

#include "vm/fs/vfs.h"

namespace gb {

class HostInode;
struct HostLive;

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
  // setuid/setgid bits the guest asked for, kept off the host (by guest inode number).
  uint32_t special_bits(uint64_t ino) const;
  void set_special_bits(uint64_t ino, uint32_t bits);

 private:
  HostFs() = default;
  std::string dir_;        // the root (node: canonical absolute path)
  uint64_t host_dev_ = 0;  // st_dev of the host directory
  std::shared_ptr<HostLive> live_;  // every live HostInode, for rename tracking
  std::unordered_map<uint64_t, uint32_t> special_;  // ino -> S_ISUID|S_ISGID (virtual)
  std::shared_ptr<HostInode> root_;
  static constexpr size_t kCacheMax = 256;
  std::list<std::pair<std::string, std::shared_ptr<HostInode>>> lru_;
  std::unordered_map<std::string, decltype(lru_)::iterator> cache_;
  std::unordered_map<uint64_t, std::weak_ptr<char>> page_keys_;
  size_t page_keys_sweep_at_ = 4096;  // forget dead identities when the map reaches this
  friend class HostInode;
};

}  // namespace gb
