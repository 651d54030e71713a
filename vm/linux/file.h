// vm/linux/file.h — open file descriptions, the per-process fd table, pipes and the
// host's stdin/stdout/stderr as guest files.
//
// Index
//   1. OpenFile: an open file description (position, status flags), shared by dup'd fds
//   2. FdTable: fd -> OpenFile + close-on-exec flag
//   3. Waits (one machine's wait generation, host-fd and deadline notes) and AnonFs
//      (the file system of its inodes that have no name: pipes, sockets, host stdio)
//   4. Pipes: make_pipe() -> read end, write end
//   5. Host stdio: host_stream(fd) -> an inode passing reads/writes/ioctls to a host fd
#pragma once
#include <deque>
#include <memory>
#include <set>
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

// Opens a description on an inode: calls on_open, applies O_TRUNC (through the
// machine's page cache). Returns 0 or -errno.
int open_inode(SharedPageCache& cache, const Loc& loc, uint32_t flags, FileRef& out);

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

// ---- 3. Waits and AnonFs ------------------------------------------------------------
// Blocking (docs/processes.md): an operation that cannot complete now returns kBlock
// (from Inode::read/write and from syscall handlers). The dispatcher parks the task and
// re-executes the whole syscall after its machine's Waits::wake() was called, a deadline
// passed or a signal arrived. Call wake() after every state change that may let a
// parked call finish (data or space in a pipe, a close, an exit, a futex wake ...).
constexpr int64_t kBlock = -100000;

// One machine's blocking bookkeeping (the Kernel owns it; objects that can wake a
// parked task hold a reference through their AnonFs or Devpts).
class Waits {
 public:
  // Something changed: every parked task of this machine is retried.
  void wake() { gen_++; }
  uint64_t generation() const { return gen_; }
  // An inode that returned kBlock while waiting for a host fd (the CLI's stdin) notes it
  // here; the dispatcher moves the notes to the parked task for Kernel::idle_wait.
  void note_host_wait(int fd, short events) { host_waits_.push_back({fd, events}); }
  void take_host_waits(std::vector<std::pair<int, short>>& out);
  // An inode that returned kBlock (or not-ready from poll) until a time notes the
  // monotonic deadline here (timerfd); the dispatcher makes it the parked task's wake_at.
  void note_deadline(uint64_t mono_ns) { if (!deadline_ || mono_ns < deadline_) deadline_ = mono_ns; }
  uint64_t take_deadline() { const uint64_t d = deadline_; deadline_ = 0; return d; }
  // A call completed: notes made on its way are moot.
  void forget_notes() { host_waits_.clear(); deadline_ = 0; }

 private:
  uint64_t gen_ = 1;
  std::vector<std::pair<int, short>> host_waits_;
  uint64_t deadline_ = 0;
};

// The file system of one machine's inodes that have no name (pipes, sockets, eventfds,
// host stdio): their st_dev, inode numbers, and the machine's Waits they wake.
class AnonFs : public FileSystem {
 public:
  explicit AnonFs(Waits& w) : waits(w) { dev_ = 0xc; }
  AnonFs(const AnonFs&) = delete;
  InodeRef root() override { return nullptr; }
  const char* type_name() const override { return "anon"; }
  uint64_t next_ino() { return ++ino_; }
  Waits& waits;
  // The host terminal's foreground process group as this machine's guest sees it
  // (TIOCGPGRP/TIOCSPGRP on host stdio, file.cpp).
  int32_t host_fg_pgrp = 1;
  // Every live epoll instance of this machine (sys_event.cpp: the nesting check walks
  // up from an epoll to those watching it).
  std::set<Inode*> epolls;
 private:
  uint64_t ino_ = 10000;
};

// ---- 4. pipes -------------------------------------------------------------------------
void make_pipe(AnonFs& fs, InodeRef& read_end, InodeRef& write_end);
bool is_guest_pipe(const Inode& n);
// F_GETPIPE_SZ (want 0) / F_SETPIPE_SZ: the pipe's capacity in bytes, or -errno.
int64_t pipe_capacity(Inode& n, uint64_t want);

// ---- 5. host stdio --------------------------------------------------------------------
// An inode over host fd 0, 1 or 2: reads, writes, seeks, fstat, and the terminal ioctls
// (TCGETS, TCSETS*, TIOCGWINSZ, TIOCGPGRP, FIONREAD) pass through to the host.
InodeRef host_stream(AnonFs& fs, int host_fd);
// /dev/tty: the host terminal (reads from host fd 0, writes to host fd 1), or nullptr
// (ENXIO) when the host has no terminal.
InodeRef host_tty(AnonFs& fs);
bool host_isatty(int host_fd);
// The host fd a host stream reads from (for poll), or -1 for other inodes.
int host_fd_of(const Inode& n);
// Restores the terminal modes saved at startup (the guest may have set raw mode).
// Process-wide, not per machine: a process has one host terminal, and what must be
// restored is its modes from before any guest changed them.
void host_restore_terminal();

}  // namespace gb
