// vm/fs/vfs.h — the virtual file system: inodes, file systems, mounts and path
// resolution. File systems (hostfs now; ext2, /proc, /dev, tmpfs) implement Inode and
// FileSystem; the VFS does everything that is about paths.
//
// Index
//   1. Stat, DirEntry, Timespec: what inodes report (guest units, guest errno)
//   2. Inode: one file, directory, symlink or device; every operation a file system may
//      implement, with defaults that return the right errno
//   3. FileSystem: a root inode, a device number, statfs
//   4. Loc: a resolved location (inode + canonical guest path)
//   5. Vfs: mounts and path resolution
//   6. InodeBacking: FileBacking (address_space.h) over an inode, for file mmaps, and
//      file_read/file_write/file_truncate: a file's bytes as its mappings see them
//
// Conventions
//   * Errors are negative Linux errno values (LX_ENOENT ..., vm/base/lxerrno.h), never
//     host errno values: the wasm build's libc numbers errno differently.
//   * Modes, file types and open flags are the guest's (LS_IF*, LO_*, vm/base/abi.h).
//   * Inodes are reference counted (InodeRef). A file system may create a new Inode
//     object per lookup; identity is (fs(), ino()).
//   * Directory operations take a single name component (never containing '/',
//     never "." or ".."), except lookup(), which must also accept ".." (the parent inside
//     the same file system; the file system's root returns itself). The VFS handles
//     "..", mount points and symlinks itself.
//
// Path resolution (Vfs::resolve)
//   Component by component from the process root (absolute paths) or a base directory
//   (cwd or a dirfd). ".." never goes above the process root. A symlink met on the
//   way (and at the end unless nofollow) is read and its target spliced into the rest of
//   the path; absolute targets restart at the process root, so a symlink can never leave
//   it. More than 40 symlinks in one resolution gives ELOOP. The result carries the
//   canonical absolute path (no ".", "..", symlinks), which getcwd and /proc report.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "vm/base/abi.h"
#include "vm/base/lxerrno.h"
#include "vm/mem/address_space.h"

namespace gb {

// ---- 1. attributes --------------------------------------------------------------------
struct Timespec {
  int64_t sec = 0;
  int64_t nsec = 0;
};
// Special nsec values for utimens (as utimensat(2)).
constexpr int64_t kUtimeNow = (1l << 30) - 1;
constexpr int64_t kUtimeOmit = (1l << 30) - 2;

struct Stat {
  uint64_t dev = 0, ino = 0, nlink = 1;
  uint32_t mode = 0, uid = 0, gid = 0;
  uint64_t rdev = 0;
  int64_t size = 0, blksize = 4096, blocks = 0;
  Timespec atime, mtime, ctime;
};

struct DirEntry {
  std::string name;
  uint64_t ino = 0;
  uint8_t type = LDT_UNKNOWN;  // LDT_*
};

class FileSystem;
class Inode;
using InodeRef = std::shared_ptr<Inode>;
struct Loc;

// ---- 2. Inode ---------------------------------------------------------------------------
class Inode : public std::enable_shared_from_this<Inode> {
 public:
  virtual ~Inode() = default;
  virtual FileSystem* fs() const = 0;
  virtual uint64_t ino() const = 0;
  // File type bits (LS_IFMT part of the mode); constant for the inode's life.
  virtual uint32_t ftype() const = 0;
  virtual int getattr(Stat& st) = 0;

  bool is_dir() const { return ftype() == LS_IFDIR; }
  bool is_symlink() const { return ftype() == LS_IFLNK; }
  bool is_reg() const { return ftype() == LS_IFREG; }

  // ---- open / data ----
  // Called when a file description is opened on / closed from this inode (flags: LO_*).
  // May refuse (e.g. -ENXIO for a tty without a terminal, -EACCES for host devices).
  virtual int on_open(uint32_t flags) { return 0; }
  virtual void on_close(uint32_t flags) {}
  // Regular files and devices. `off` is ignored by stream inodes. `oflags` are the open
  // file description's flags (LO_NONBLOCK matters for streams). Returns bytes or -errno.
  virtual int64_t read(uint64_t off, void* buf, uint64_t n, uint32_t oflags = 0);
  virtual int64_t write(uint64_t off, const void* buf, uint64_t n, uint32_t oflags = 0);
  virtual int truncate(uint64_t size);
  virtual int fsync() { return 0; }
  // Streams (pipes, terminals, most character devices) have no file position; host
  // pass-through streams may implement seek() themselves (returns the new offset).
  virtual bool is_stream() const { return false; }
  virtual int64_t seek(int64_t off, int whence) { return -LX_ESPIPE; }
  // Readiness for poll(2): returns the subset of LPOLL* events that are ready.
  virtual uint32_t poll(uint32_t events) { return events & (LPOLLIN | LPOLLOUT | LPOLLRDNORM | LPOLLWRNORM); }
  // Device-specific ioctl; `arg` is a guest pointer or value, `mem` the caller's memory.
  virtual int64_t ioctl(uint32_t req, uint64_t arg, AddressSpace& mem) { return -LX_ENOTTY; }
  // Bytes available to read without blocking (FIONREAD), or -errno.
  virtual int64_t readable_bytes(uint64_t off);
  // What file mmaps read pages from (nullptr: this inode cannot be mapped -> ENODEV).
  virtual std::shared_ptr<FileBacking> backing(const std::string& name);
  // The file's identity in the MAP_SHARED page cache (address_space.h, section 5): the
  // same for every Inode object of one file, for as long as one of them lives. A file
  // system that makes a new object per lookup (hostfs) overrides it.
  virtual const void* page_key() const { return this; }
  // How long a blocking read (send = false) or write may wait before it fails with
  // EAGAIN: SO_RCVTIMEO / SO_SNDTIMEO on sockets. 0: no bound.
  virtual uint64_t wait_timeout_ns(bool send) const { return 0; }

  // ---- directories ----
  virtual int lookup(const std::string& name, InodeRef& out) { return is_dir() ? -LX_ENOENT : -LX_ENOTDIR; }
  // All entries, including "." and "..".
  virtual int readdir(std::vector<DirEntry>& out) { return -LX_ENOTDIR; }
  // Create a regular file (-EEXIST if the name exists).
  virtual int create(const std::string& name, uint32_t mode, InodeRef& out) { return dir_op_default(); }
  virtual int mkdir(const std::string& name, uint32_t mode) { return dir_op_default(); }
  virtual int mknod(const std::string& name, uint32_t mode, uint64_t dev) { return is_dir() ? -LX_EPERM : -LX_ENOTDIR; }
  virtual int unlink(const std::string& name) { return dir_op_default(); }
  virtual int rmdir(const std::string& name) { return dir_op_default(); }
  // Rename `name` in this directory to `new_name` in `new_dir` (same file system, else
  // -EXDEV). flags: LRENAME_NOREPLACE / LRENAME_EXCHANGE.
  virtual int rename(const std::string& name, Inode& new_dir, const std::string& new_name, uint32_t flags) { return dir_op_default(); }
  virtual int symlink(const std::string& name, const std::string& target) { return dir_op_default(); }
  virtual int link(const std::string& name, Inode& target) { return dir_op_default(); }

  // ---- symlinks ----
  virtual int readlink(std::string& out) { return -LX_EINVAL; }
  // "Magic" links (/proc/self/fd/N, /proc/self/exe): following them yields this location
  // directly instead of re-resolving the text readlink returns. Return false if not magic.
  virtual bool magic_follow(Loc& out) { return false; }

  // ---- attributes ----
  virtual int chmod(uint32_t mode) { return -LX_EPERM; }
  virtual int chown(uint32_t uid, uint32_t gid) { return -LX_EPERM; }
  // nullptr: leave unchanged; nsec may be kUtimeNow / kUtimeOmit.
  virtual int utimens(const Timespec* atime, const Timespec* mtime) { return -LX_EPERM; }
  // Extended attributes. File systems that keep none answer like ext2 built without
  // them: no attribute to read, an empty list, writes not supported.
  virtual int getxattr(const std::string& name, std::string& value) { return -LX_ENODATA; }
  virtual int setxattr(const std::string& name, const std::string& value, int flags) { return -LX_EOPNOTSUPP; }
  virtual int listxattr(std::vector<std::string>& names) { return 0; }
  virtual int removexattr(const std::string& name) { return -LX_ENODATA; }

 protected:
  int dir_op_default() const { return is_dir() ? -LX_EROFS : -LX_ENOTDIR; }
};

// ---- 3. FileSystem ------------------------------------------------------------------
class FileSystem {
 public:
  virtual ~FileSystem() = default;
  virtual InodeRef root() = 0;
  virtual const char* type_name() const = 0;  // "hostfs", "ext2", "proc", "devfs"
  virtual uint64_t dev() const { return dev_; }
  virtual int statfs(lx_statfs& out);
  // Writes everything buffered to stable storage (sync(2), syncfs(2)). Returns -errno.
  virtual int sync() { return 0; }
  uint64_t dev_ = 0;  // st_dev of every inode (set by the file system; Vfs::mount fills 0)
};

// ---- 4. Loc ----------------------------------------------------------------------------
// A resolved location: the inode and its canonical absolute guest path.
struct Loc {
  InodeRef node;
  std::string path;  // "/" or "/a/b" (no trailing slash)
  explicit operator bool() const { return (bool)node; }
};

// ---- 5. Vfs ---------------------------------------------------------------------------
struct ResolveOpts {
  bool follow = true;      // follow a symlink in the last component
  bool must_dir = false;   // the result must be a directory (also implied by a trailing '/')
  bool allow_empty = false;  // "" resolves to the base (AT_EMPTY_PATH)
};

class Vfs {
 public:
  static constexpr int kMaxSymlinks = 40;
  static constexpr size_t kPathMax = 4096;

  explicit Vfs(std::shared_ptr<FileSystem> rootfs);
  Loc root() const;

  // Mounts `fs` over the directory at `path` (resolved from the VFS root; created by the
  // caller if needed). Returns 0 or -errno.
  int mount(const std::string& path, std::shared_ptr<FileSystem> fs);
  struct MountInfo { std::string path; FileSystem* fs; };
  std::vector<MountInfo> mounts() const;

  // Resolves `path` against `base` (used for relative paths) inside `root` (absolute
  // paths and absolute symlinks start there; ".." stops there).
  int resolve(const Loc& root, const Loc& base, const std::string& path, const ResolveOpts& opts, Loc& out);
  // Resolves everything but the last component: `dir` is the parent directory and
  // `last` the final name ("." / ".." / "" possible for paths like "/", "a/.", "a/..";
  // callers reject those with the errno their syscall uses). A trailing slash sets
  // `trailing_slash`.
  int resolve_parent(const Loc& root, const Loc& base, const std::string& path, Loc& dir, std::string& last,
                     bool* trailing_slash = nullptr);
  // Path of a child location.
  static std::string join(const std::string& dir, const std::string& name) {
    return dir == "/" ? "/" + name : dir + "/" + name;
  }
  static std::string dirname(const std::string& path);

  // Statistics for the inspector/stats output.
  uint64_t lookups = 0, symlinks_followed = 0;

 private:
  struct MountRec {
    std::shared_ptr<FileSystem> fs;
    InodeRef root;
    std::string path;
  };
  std::shared_ptr<FileSystem> rootfs_;
  InodeRef root_;
  // (fs, ino) of a mount point -> what is mounted there
  std::map<std::pair<FileSystem*, uint64_t>, MountRec> mounts_;
  InodeRef cross_mount(InodeRef n) const;
  int walk(const Loc& root, const Loc& base, const std::string& path, const ResolveOpts& opts, bool parent_only,
           Loc& out, std::string* last, bool* trailing_slash);
};

// ---- 6. mmap backing -------------------------------------------------------------------
// Reading, writing and truncating a file's bytes through the machine's MAP_SHARED page
// cache (address_space.h, section 4), so that a file and its shared mappings agree: the
// syscalls use these instead of Inode::read/write/truncate for positioned file I/O.
// Streams (pipes, terminals, sockets) go straight to the inode.
int64_t file_read(SharedPageCache& cache, Inode& n, uint64_t off, void* buf, uint64_t len, uint32_t oflags);
int64_t file_write(SharedPageCache& cache, Inode& n, uint64_t off, const void* buf, uint64_t len, uint32_t oflags);
int file_truncate(SharedPageCache& cache, Inode& n, uint64_t size);

// Reads pages through Inode::read. `limit` (if nonzero) zeroes bytes at file offsets
// >= limit, which is how the ELF loader maps the partial page before .bss.
class InodeBacking : public FileBacking {
 public:
  InodeBacking(InodeRef node, std::string name, uint64_t limit = 0)
      : node_(std::move(node)), name_(std::move(name)), limit_(limit) {}
  int64_t read_page(uint64_t off, uint8_t* dst, SharedPageCache& cache) override;
  std::string name() const override { return name_; }
  const InodeRef& node() const { return node_; }
  const void* share_key() const override { return node_->page_key(); }
  bool writes_back() const override { return limit_ == 0; }
  int write_page(uint64_t off, const uint8_t* src) override;
 private:
  InodeRef node_;
  std::string name_;
  uint64_t limit_;
};

}  // namespace gb
