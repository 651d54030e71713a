// vm/linux/file.h — open file descriptions, the per-process fd table, pipes and the
// host's stdin/stdout/stderr as guest files.
//
// Index
//   1. OpenFile: an open file description (position, status flags), shared by dup'd fds
//   2. FdTable: fd -> OpenFile + close-on-exec flag
//   3. AnonFs: the file system of inodes that have no name (pipes, host stdio)
//   4. Pipes: make_pipe() -> read end, write end
//   5. Host stdio: host_stream(fd) -> an inode passing reads/writes/ioctls to a host fd
#pragma once
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "vm/fs/vfs.h"

namespace gb {

// ---- 1. OpenFile ----------------------------------------------------------------------
struct OpenFile {
  InodeRef node;
  Loc loc;           // where it was opened (path for /proc/self/fd and dirfd-relative lookups)
  uint32_t flags = 0;  // LO_ACCMODE bits + status flags (LO_APPEND, LO_NONBLOCK ...)
  uint64_t pos = 0;
  // getdents64 snapshot: taken when reading starts at position 0.
  std::vector<DirEntry> dir;
  bool dir_loaded = false;
  bool counted = true;  // on_open was called (on_close is due)

  OpenFile(InodeRef n, Loc l, uint32_t f) : node(std::move(n)), loc(std::move(l)), flags(f) {}
  ~OpenFile() { if (node && counted) node->on_close(flags); }
  bool readable() const { return (flags & LO_ACCMODE) != LO_WRONLY && !(flags & LO_PATH); }
  bool writable() const { return (flags & LO_ACCMODE) != LO_RDONLY && !(flags & LO_PATH); }
  // A description for the trace and /proc/self/fd: the path, or "pipe:[ino]".
  std::string describe() const;
};
using FileRef = std::shared_ptr<OpenFile>;

// Opens a description on an inode: calls on_open, applies O_TRUNC. Returns 0 or -errno.
int open_inode(const Loc& loc, uint32_t flags, FileRef& out);

// ---- 2. FdTable -----------------------------------------------------------------------
class FdTable {
 public:
  static constexpr int kDefaultMax = 1024;
  int max_fds = kDefaultMax;  // RLIMIT_NOFILE

  FileRef get(int fd) const {
    if (fd < 0 || (size_t)fd >= fds_.size()) return nullptr;
    return fds_[(size_t)fd].file;
  }
  // Lowest free fd >= min, or -EMFILE.
  int alloc(FileRef f, bool cloexec, int min = 0);
  // Puts f at exactly fd (closing what was there). -EBADF if fd out of range.
  int install(int fd, FileRef f, bool cloexec);
  int close(int fd);
  bool cloexec(int fd) const { return get(fd) && fds_[(size_t)fd].cloexec; }
  void set_cloexec(int fd, bool v) { if (get(fd)) fds_[(size_t)fd].cloexec = v; }
  void close_on_exec();
  void close_all();
  // Open fds in increasing order.
  std::vector<int> list() const;
  size_t size() const { return fds_.size(); }

 private:
  struct Entry {
    FileRef file;
    bool cloexec = false;
  };
  std::vector<Entry> fds_;
};

// ---- 3. AnonFs ------------------------------------------------------------------------
class AnonFs : public FileSystem {
 public:
  static AnonFs& get();
  InodeRef root() override { return nullptr; }
  const char* type_name() const override { return "anon"; }
  uint64_t next_ino() { return ++ino_; }
 private:
  AnonFs() { dev_ = 0xc; }
  uint64_t ino_ = 10000;
};

// ---- 4. pipes -------------------------------------------------------------------------
// Blocking (docs/processes.md): an operation that cannot complete now returns kBlock
// (from Inode::read/write and from syscall handlers). The dispatcher parks the task and
// re-executes the whole syscall after wake_waiters() was called, a deadline passed or a
// signal arrived. Call wake_waiters() after every state change that may let a parked
// call finish (data or space in a pipe, a close, an exit, a futex wake ...).
constexpr int64_t kBlock = -100000;
void wake_waiters();
uint64_t wait_generation();
// An inode that returned kBlock while waiting for a host fd (the CLI's stdin) notes it
// here; the dispatcher moves the notes to the parked task for Kernel::idle_wait.
void note_host_wait(int fd, short events);
void take_host_waits(std::vector<std::pair<int, short>>& out);
// An inode that returned kBlock (or not-ready from poll) until a time notes the
// monotonic deadline here (timerfd); the dispatcher makes it the parked task's wake_at.
void note_deadline(uint64_t mono_ns);
uint64_t take_deadline();
void make_pipe(InodeRef& read_end, InodeRef& write_end);
bool is_guest_pipe(const Inode& n);
// F_GETPIPE_SZ (want 0) / F_SETPIPE_SZ: the pipe's capacity in bytes, or -errno.
int64_t pipe_capacity(Inode& n, uint64_t want);

// ---- 5. host stdio --------------------------------------------------------------------
// An inode over host fd 0, 1 or 2: reads, writes, seeks, fstat, and the terminal ioctls
// (TCGETS, TCSETS*, TIOCGWINSZ, TIOCGPGRP, FIONREAD) pass through to the host.
InodeRef host_stream(int host_fd);
// /dev/tty: the host terminal (reads from host fd 0, writes to host fd 1), or nullptr
// (ENXIO) when the host has no terminal.
InodeRef host_tty();
bool host_isatty(int host_fd);
// The host fd a host stream reads from (for poll), or -1 for other inodes.
int host_fd_of(const Inode& n);
// Restores the terminal modes saved at startup (the guest may have set raw mode).
void host_restore_terminal();

}  // namespace gb
