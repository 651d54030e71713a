// vm/fs/tmpfs.h — a memory file system (the guest's /tmp, like Linux's tmpfs): files,
// directories, symlinks, hard links, device nodes/FIFOs, rename (with NOREPLACE and
// EXCHANGE), permissions and owners, nanosecond timestamps, statfs. Nothing is ever
// written anywhere: the contents vanish with the session, as /tmp does on a reboot.
//
// Index
//   1. TmpfsOptions: size and inode limits, the device number
//   2. TmpFs: the FileSystem (make_tmpfs() is what Kernel::mount_standard calls)
//
// Design notes
//   * Every inode is a TmpNode (tmpfs.cpp), owned by the names that refer to it (the
//     directory maps) and by whoever holds an InodeRef (open files, cwd, mmaps): an
//     unlinked file stays readable and writable while it is open, and its memory goes
//     with the last reference. Directories hold their children strongly and their parent
//     weakly ("..").
//   * File data is a map of 4 KiB pages: holes cost nothing and read as zeros, only the
//     pages written are allocated (st_blocks counts them), truncate frees whole pages
//     past the end and zeroes the tail of the last one.
//   * Limits: `max_bytes` of data pages (ENOSPC, partial writes as Linux does) and
//     `max_inodes`. statfs reports them (f_type TMPFS_MAGIC).
//   * Nodes share a small state object (limits, counters, clock, credentials) with the
//     TmpFs, not the TmpFs itself: no reference cycle, and an inode that outlives its
//     file system at shutdown is still safe to destroy.
//   * Permission checks are the kernel's (as for ext2); the file system stores mode,
//     uid and gid. New inodes get the credentials from set_creds (the current task's
//     fsuid/fsgid), the group and the setgid bit of a setgid parent directory; chown of
//     a non-directory clears setuid (and setgid when group-executable), as Linux does.
//   * Timestamps: mtime+ctime on data changes, ctime on attribute and link changes, the
//     parent's mtime+ctime on namespace changes; atime on reads with relatime rules.
#pragma once
#include <functional>
#include <memory>

#include "vm/fs/vfs.h"

namespace gb {

// ---- 1. options -------------------------------------------------------------------------
struct TmpfsOptions {
  uint64_t max_bytes = 512ull << 20;  // file data (whole 4 KiB pages)
  uint64_t max_inodes = 1u << 20;
  uint32_t root_mode = 01777;         // like /tmp
  uint64_t dev = 0x1a;                // st_dev (0:26, an anonymous device as on Linux)
};

using TmpfsCredsFn = std::function<void(uint32_t* uid, uint32_t* gid)>;
using TmpfsClockFn = std::function<Timespec()>;

struct TmpState;

// ---- 2. TmpFs ---------------------------------------------------------------------------
class TmpFs : public FileSystem {
 public:
  static std::shared_ptr<TmpFs> create(const TmpfsOptions& opt = TmpfsOptions());
  ~TmpFs() override;
  InodeRef root() override;
  const char* type_name() const override { return "tmpfs"; }
  int statfs(lx_statfs& out) override;

  // Owner of new inodes (default root:root): the kernel passes the current task's.
  void set_creds(TmpfsCredsFn fn);
  // Current time (default: the host's CLOCK_REALTIME).
  void set_clock(TmpfsClockFn fn);

  uint64_t bytes_used() const;   // data pages * 4096
  uint64_t inodes_used() const;  // live inodes, including unlinked open ones

  static constexpr uint64_t kPage = 4096;
  static constexpr uint64_t kMaxFileSize = 1ull << 43;  // 8 TiB, like ext4's limit
  static constexpr uint64_t kMagic = 0x01021994;        // TMPFS_MAGIC

 private:
  TmpFs() = default;
  std::shared_ptr<TmpState> st_;
  InodeRef root_;
};

// The guest's /tmp. `creds` gives the owner of new files (nullptr: root).
std::shared_ptr<FileSystem> make_tmpfs(TmpfsCredsFn creds = nullptr);

}  // namespace gb
