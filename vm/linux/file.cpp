// vm/linux/file.cpp — open file descriptions, fd tables, pipes and host stdio (file.h).
#include "vm/linux/file.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#ifdef __EMSCRIPTEN__
#include <emscripten.h>
#endif

namespace gb {

// ---- OpenFile -----------------------------------------------------------------------

std::string OpenFile::describe() const {
  if (!loc.path.empty()) return loc.path;
  if (node && node->ftype() == LS_IFIFO) return "pipe:[" + std::to_string(node->ino()) + "]";
  if (node && node->ftype() == LS_IFSOCK) return "socket:[" + std::to_string(node->ino()) + "]";
  if (node) return "anon_inode:[" + std::to_string(node->ino()) + "]";
  return "?";
}

int open_inode(SharedPageCache& cache, const Loc& loc, uint32_t flags, FileRef& out) {
  InodeRef n = loc.node;
  if (!(flags & LO_PATH)) {
    int e = n->on_open(flags);
    if (e < 0) return e;
  }
  out = std::make_shared<OpenFile>(n, loc, flags & ~LO_NOCTTY);  // a terminal's business, not F_GETFL's
  out->counted = !(flags & LO_PATH);  // O_PATH descriptions never called on_open
  if ((flags & LO_TRUNC) && n->is_reg() && (flags & LO_ACCMODE) != LO_RDONLY) {
    int e = file_truncate(cache, *n, 0);
    if (e < 0) return e;
  }
  return 0;
}

// ---- FdTable ------------------------------------------------------------------------

int FdTable::alloc(FileRef f, bool cloexec, int min) {
  if (min < 0) return -LX_EINVAL;
  for (int fd = min; fd < max_fds; fd++) {
    if ((size_t)fd >= fds_.size()) fds_.resize((size_t)fd + 1);
    if (!fds_[(size_t)fd].file) {
      fds_[(size_t)fd] = Entry{std::move(f), cloexec};
      return fd;
    }
  }
  return min >= max_fds ? -LX_EINVAL : -LX_EMFILE;
}

int FdTable::install(int fd, FileRef f, bool cloexec) {
  if (fd < 0 || fd >= max_fds) return -LX_EBADF;
  if ((size_t)fd >= fds_.size()) fds_.resize((size_t)fd + 1);
  Entry old = std::move(fds_[(size_t)fd]);
  fds_[(size_t)fd] = Entry{std::move(f), cloexec};
  return fd;  // `old` is released here, after the new entry is in place
}

int FdTable::close(int fd) {
  if (!get(fd)) return -LX_EBADF;
  Entry old = std::move(fds_[(size_t)fd]);
  fds_[(size_t)fd] = Entry{};
  while (!fds_.empty() && !fds_.back().file) fds_.pop_back();
  return 0;
}

void FdTable::close_on_exec() {
  for (size_t i = 0; i < fds_.size(); i++)
    if (fds_[i].file && fds_[i].cloexec) fds_[i] = Entry{};
  while (!fds_.empty() && !fds_.back().file) fds_.pop_back();
}

std::vector<int> FdTable::list() const {
  std::vector<int> v;
  for (size_t i = 0; i < fds_.size(); i++)
    if (fds_[i].file) v.push_back((int)i);
  return v;
}

void Waits::take_host_waits(std::vector<std::pair<int, short>>& out) {
  out.insert(out.end(), host_waits_.begin(), host_waits_.end());
  host_waits_.clear();
}

// ---- pipes ----------------------------------------------------------------------------

namespace {

constexpr size_t kPipeBuf = 4096;  // PIPE_BUF

struct PipeBuf {
  static constexpr size_t kDefaultCap = 65536, kMaxCap = 1048576;  // /proc/sys/fs/pipe-max-size
  size_t cap = kDefaultCap;  // F_SETPIPE_SZ
  std::deque<uint8_t> data;
  int readers = 0, writers = 0;
  uint64_t ino = 0;
  Timespec created;
};

class PipeEnd : public Inode {
 public:
  PipeEnd(AnonFs& fs, std::shared_ptr<PipeBuf> b, bool w) : fs_(fs), buf_(std::move(b)), write_end_(w) {}
  FileSystem* fs() const override { return &fs_; }
  uint64_t ino() const override { return buf_->ino; }
  uint32_t ftype() const override { return LS_IFIFO; }
  int getattr(Stat& st) override {
    st = Stat{};
    st.dev = fs_.dev();
    st.ino = buf_->ino;
    st.mode = LS_IFIFO | 0600;
    st.nlink = 1;
    st.uid = 0;
    st.gid = 0;
    st.blksize = 4096;
    st.atime = st.mtime = st.ctime = buf_->created;
    return 0;
  }
  int on_open(uint32_t flags) override {
    (write_end_ ? buf_->writers : buf_->readers)++;
    return 0;
  }
  void on_close(uint32_t flags) override {
    (write_end_ ? buf_->writers : buf_->readers)--;
    fs_.waits.wake();  // readers see EOF, writers EPIPE
  }
  bool is_stream() const override { return true; }
  int64_t read(uint64_t, void* out, uint64_t n, uint32_t oflags) override {
    if (write_end_) return -LX_EBADF;
    if (n == 0) return 0;
    if (buf_->data.empty()) {
      if (buf_->writers == 0) return 0;
      if (oflags & LO_NONBLOCK) return -LX_EAGAIN;
      return kBlock;
    }
    const size_t k = n < buf_->data.size() ? (size_t)n : buf_->data.size();
    std::copy(buf_->data.begin(), buf_->data.begin() + (long)k, (uint8_t*)out);
    buf_->data.erase(buf_->data.begin(), buf_->data.begin() + (long)k);
    fs_.waits.wake();
    return (int64_t)k;
  }
  int64_t write(uint64_t, const void* in, uint64_t n, uint32_t oflags) override {
    if (!write_end_) return -LX_EBADF;
    if (buf_->readers == 0) return -LX_EPIPE;
    if (n == 0) return 0;
    const size_t space = buf_->cap > buf_->data.size() ? buf_->cap - buf_->data.size() : 0;
    // Up to PIPE_BUF bytes go in whole or not at all; larger writes may be split.
    if (space == 0 || (n <= kPipeBuf && space < n)) {
      if (oflags & LO_NONBLOCK) return -LX_EAGAIN;
      return kBlock;
    }
    const size_t k = n < space ? (size_t)n : space;
    buf_->data.insert(buf_->data.end(), (const uint8_t*)in, (const uint8_t*)in + k);
    fs_.waits.wake();
    return (int64_t)k;
  }
  uint32_t poll(uint32_t events) override {
    uint32_t r = 0;
    if (write_end_) {
      if (buf_->readers == 0) r |= LPOLLERR;
      else if (buf_->data.size() < buf_->cap) r |= events & (LPOLLOUT | LPOLLWRNORM);
    } else {
      if (!buf_->data.empty()) r |= events & (LPOLLIN | LPOLLRDNORM);
      if (buf_->writers == 0) r |= LPOLLHUP;
    }
    return r;
  }
  int64_t readable_bytes(uint64_t) override { return write_end_ ? 0 : (int64_t)buf_->data.size(); }
  std::shared_ptr<FileBacking> backing(const std::string&) override { return nullptr; }
  PipeBuf& buf() { return *buf_; }
  AnonFs& anon() const { return fs_; }

 private:
  AnonFs& fs_;
  std::shared_ptr<PipeBuf> buf_;
  bool write_end_;
};

}  // namespace

void make_pipe(AnonFs& fs, InodeRef& read_end, InodeRef& write_end) {
  auto b = std::make_shared<PipeBuf>();
  b->ino = fs.next_ino();
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  b->created = {(int64_t)ts.tv_sec, (int64_t)ts.tv_nsec};
  read_end = std::make_shared<PipeEnd>(fs, b, false);
  write_end = std::make_shared<PipeEnd>(fs, b, true);
}

bool is_guest_pipe(const Inode& n) { return dynamic_cast<const PipeEnd*>(&n) != nullptr; }

int64_t pipe_capacity(Inode& n, uint64_t want) {
  auto* e = dynamic_cast<PipeEnd*>(&n);
  if (!e) return -LX_EBADF;
  PipeBuf& b = e->buf();
  if (want) {
    if (want > PipeBuf::kMaxCap) return -LX_EPERM;
    size_t cap = 4096;
    while (cap < want) cap <<= 1;  // a power of two, at least a page
    if (cap < b.data.size()) return -LX_EBUSY;
    b.cap = cap;
    e->anon().waits.wake();
  }
  return (int64_t)b.cap;
}

// ---- host stdio -----------------------------------------------------------------------

#ifdef __EMSCRIPTEN__
// Node: the standard streams are node's; ask node about them directly.
// Node's tty module loads net and streams (~5 ms of every start), so it is asked only
// about character devices other than /dev/null: a pipe, a file or /dev/null (the bench's
// and the tests' stdio) is no terminal.
EM_JS(int, gb_js_isatty, (int fd), {
  try {
    var fs = require('fs');
    var s = fs.fstatSync(fd);
    if (!s.isCharacterDevice()) return 0;
    try { if (s.rdev === fs.statSync('/dev/null').rdev) return 0; } catch (e) {}
    return require('tty').isatty(fd) ? 1 : 0;
  } catch (e) { return 0; }
});
// out: mode size ino nlink uid gid rdev blksize blocks atimeMs mtimeMs ctimeMs
EM_JS(int, gb_js_fstat, (int fd, double* out), {
  try {
    var s = require('fs').fstatSync(fd);
    var v = [s.mode, s.size, s.ino, s.nlink, s.uid, s.gid, s.rdev, s.blksize || 4096, s.blocks || 0,
             s.atimeMs, s.mtimeMs, s.ctimeMs];
    for (var i = 0; i < v.length; i++) HEAPF64[(out >> 3) + i] = v[i];
    return 0;
  } catch (e) { return -1; }
});
EM_JS(int, gb_js_winsize, (int fd), {
  try {
    var s = fd == 0 ? process.stdout : (fd == 2 ? process.stderr : process.stdout);
    if (!s || !s.isTTY) return 0;
    return (s.rows << 16) | s.columns;
  } catch (e) { return 0; }
});
#endif

bool host_isatty(int fd) {
#ifdef __EMSCRIPTEN__
  return gb_js_isatty(fd) != 0;
#else
  return isatty(fd) != 0;
#endif
}

namespace {

// The host terminal's modes before the guest changed them (restored at exit), and in
// node the modes the guest set. Process-wide on purpose: a process has one host
// terminal, whichever machine drives it.
struct SavedTerm {
  bool saved = false;
  int fd = -1;
#ifndef __EMSCRIPTEN__
  struct termios t;
#endif
};
SavedTerm g_saved;

#ifdef __EMSCRIPTEN__
// A terminal's modes in node: we cannot change node's tty from here, so remember what
// the guest set and report it back (a cooked terminal by default).
lx_termios g_js_termios = [] {
  lx_termios t;
  memset(&t, 0, sizeof t);
  t.c_iflag = 0x500;         // ICRNL | IXON
  t.c_oflag = 0x5;           // OPOST | ONLCR
  t.c_cflag = 0xbf;          // B38400 | CS8 | CREAD
  t.c_lflag = 0x8a3b;        // ISIG ICANON ECHO ECHOE ECHOK ECHOCTL ECHOKE IEXTEN
  const uint8_t cc[19] = {3, 28, 127, 21, 4, 0, 1, 0, 17, 19, 26, 0, 18, 15, 23, 22, 0, 0, 0};
  memcpy(t.c_cc, cc, sizeof cc);
  return t;
}();
#endif

void host_stat(int hfd, Stat& st, uint64_t ino_fallback) {
  st = Stat{};
#ifdef __EMSCRIPTEN__
  double v[12];
  if (gb_js_fstat(hfd, v) == 0) {
    st.mode = (uint32_t)v[0];
    st.size = (int64_t)v[1];
    st.ino = (uint64_t)v[2];
    st.nlink = (uint64_t)v[3];
    st.uid = (uint32_t)v[4];
    st.gid = (uint32_t)v[5];
    st.rdev = (uint64_t)v[6];
    st.blksize = (int64_t)v[7];
    st.blocks = (int64_t)v[8];
    auto ms = [](double m) { return Timespec{(int64_t)(m / 1000), (int64_t)((m - 1000.0 * (int64_t)(m / 1000)) * 1e6)}; };
    st.atime = ms(v[9]);
    st.mtime = ms(v[10]);
    st.ctime = ms(v[11]);
  } else {
    st.mode = LS_IFCHR | 0620;
    st.ino = ino_fallback;
  }
  if (gb_js_isatty(hfd)) { st.mode = LS_IFCHR | 0620; st.rdev = (136u << 8) | 0; }
#else
  struct stat h;
  if (fstat(hfd, &h) == 0) {
    st.dev = (uint64_t)h.st_dev;
    st.ino = (uint64_t)h.st_ino;
    st.nlink = (uint64_t)h.st_nlink;
    st.mode = (uint32_t)h.st_mode;
    st.uid = (uint32_t)h.st_uid;
    st.gid = (uint32_t)h.st_gid;
    st.rdev = (uint64_t)h.st_rdev;
    st.size = (int64_t)h.st_size;
    st.blksize = (int64_t)h.st_blksize;
    st.blocks = (int64_t)h.st_blocks;
    st.atime = {(int64_t)h.st_atim.tv_sec, (int64_t)h.st_atim.tv_nsec};
    st.mtime = {(int64_t)h.st_mtim.tv_sec, (int64_t)h.st_mtim.tv_nsec};
    st.ctime = {(int64_t)h.st_ctim.tv_sec, (int64_t)h.st_ctim.tv_nsec};
  } else {
    st.mode = LS_IFCHR | 0620;
    st.ino = ino_fallback;
  }
#endif
}

void short_sleep() {
  struct timespec ts = {0, 2000000};
  nanosleep(&ts, nullptr);
}

class HostStream : public Inode {
 public:
  // rfd: host fd for reads, wfd: for writes (the same for stdin/stdout/stderr).
  HostStream(AnonFs& fs, int rfd, int wfd, bool tty_node) : fs_(fs), rfd_(rfd), wfd_(wfd), tty_node_(tty_node) {
    ino_ = fs_.next_ino();
    Stat st;
    host_stat(wfd_ >= 0 ? wfd_ : rfd_, st, ino_);
    type_ = tty_node ? LS_IFCHR : (st.mode & LS_IFMT);
    if (!type_) type_ = LS_IFCHR;
  }
  FileSystem* fs() const override { return &fs_; }
  uint64_t ino() const override { return ino_; }
  uint32_t ftype() const override { return type_; }
  int getattr(Stat& st) override {
    host_stat(wfd_ >= 0 ? wfd_ : rfd_, st, ino_);
    if (tty_node_) { st.mode = LS_IFCHR | 0666; st.rdev = (5u << 8) | 0; }
    return 0;
  }
  bool is_stream() const override { return true; }
  int rfd() const { return rfd_; }
  int64_t read(uint64_t, void* buf, uint64_t n, uint32_t oflags) override {
    if (rfd_ < 0) return -LX_EBADF;
#ifndef __EMSCRIPTEN__
    // Not readable yet (a terminal or a pipe): park the task, never the whole engine.
    struct pollfd pf = {rfd_, POLLIN, 0};
    if (n && ::poll(&pf, 1, 0) == 0) {
      if (oflags & LO_NONBLOCK) return -LX_EAGAIN;
      fs_.waits.note_host_wait(rfd_, POLLIN);
      return kBlock;
    }
#endif
    for (;;) {
      ssize_t r = ::read(rfd_, buf, n);
      if (r >= 0) return r;
      if (errno == EINTR) continue;
      if (errno == EAGAIN && !(oflags & LO_NONBLOCK)) { short_sleep(); continue; }
      return neg_host_errno();
    }
  }
  int64_t write(uint64_t, const void* buf, uint64_t n, uint32_t oflags) override {
    if (wfd_ < 0) return -LX_EBADF;
    uint64_t done = 0;
    while (done < n) {
      ssize_t r = ::write(wfd_, (const uint8_t*)buf + done, n - done);
      if (r > 0) { done += (uint64_t)r; continue; }
      if (r < 0 && errno == EINTR) continue;
      if (r < 0 && errno == EAGAIN) {
        if (oflags & LO_NONBLOCK) return done ? (int64_t)done : -LX_EAGAIN;
        short_sleep();
        continue;
      }
      if (done) return (int64_t)done;
      return r < 0 ? neg_host_errno() : 0;
    }
    return (int64_t)done;
  }
  int64_t seek(int64_t off, int whence) override {
#ifdef __EMSCRIPTEN__
    return -LX_ESPIPE;
#else
    const int fd = wfd_ >= 0 ? wfd_ : rfd_;
    int w = whence == 0 ? SEEK_SET : whence == 1 ? SEEK_CUR : whence == 2 ? SEEK_END : -1;
    if (w < 0) return -LX_EINVAL;
    off_t r = lseek(fd, (off_t)off, w);
    return r < 0 ? neg_host_errno() : (int64_t)r;
#endif
  }
  uint32_t poll(uint32_t events) override {
#ifndef __EMSCRIPTEN__
    struct pollfd p = {rfd_ >= 0 && (events & (LPOLLIN | LPOLLRDNORM)) ? rfd_ : wfd_, 0, 0};
    if (events & (LPOLLIN | LPOLLRDNORM)) p.events |= POLLIN;
    if (events & (LPOLLOUT | LPOLLWRNORM)) p.events |= POLLOUT;
    if (::poll(&p, 1, 0) >= 0) {
      uint32_t r = 0;
      if (p.revents & POLLIN) r |= events & (LPOLLIN | LPOLLRDNORM);
      if (p.revents & POLLOUT) r |= events & (LPOLLOUT | LPOLLWRNORM);
      if (p.revents & POLLHUP) r |= LPOLLHUP;
      if (p.revents & POLLERR) r |= LPOLLERR;
      return r;
    }
#endif
    return events & (LPOLLIN | LPOLLOUT | LPOLLRDNORM | LPOLLWRNORM);
  }
  int64_t readable_bytes(uint64_t) override {
#ifndef __EMSCRIPTEN__
    int n = 0;
    if (rfd_ >= 0 && ::ioctl(rfd_, FIONREAD, &n) == 0) return n;
    if (type_ == LS_IFREG && rfd_ >= 0) {
      struct stat h;
      off_t cur = lseek(rfd_, 0, SEEK_CUR);
      if (cur >= 0 && fstat(rfd_, &h) == 0) return h.st_size > cur ? h.st_size - cur : 0;
    }
#endif
    return 0;
  }
  int64_t ioctl(uint32_t req, uint64_t arg, AddressSpace& mem) override;
  std::shared_ptr<FileBacking> backing(const std::string&) override { return nullptr; }

 private:
  AnonFs& fs_;
  int rfd_, wfd_;
  bool tty_node_;
  uint64_t ino_;
  uint32_t type_;
};

}  // namespace

int host_fd_of(const Inode& n) {
  auto* h = dynamic_cast<const HostStream*>(&n);
  return h ? h->rfd() : -1;
}

namespace {

constexpr uint32_t kTCGETS = 0x5401, kTCSETS = 0x5402, kTCSETSW = 0x5403, kTCSETSF = 0x5404,
                   kTIOCGPGRP = 0x540f, kTIOCSPGRP = 0x5410, kTIOCGWINSZ = 0x5413, kTIOCSWINSZ = 0x5414,
                   kFIONREAD = 0x541b, kTIOCSCTTY = 0x540e, kTIOCNOTTY = 0x5422, kFIONBIO = 0x5421,
                   kTIOCGSID = 0x5429, kTCFLSH = 0x540b, kTCXONC = 0x540a, kTIOCOUTQ = 0x5411;

// The host terminal's foreground process group as the guest sees it (TIOCGPGRP,
// AnonFs::host_fg_pgrp, one per machine): the first task's group until a shell gives
// the terminal to a job. Keeping what TIOCSPGRP set matters: bash -l compares it with
// its own group and stops itself (SIGTTIN, with nobody to continue it) when they
// differ. The host's own groups are never touched.

int64_t HostStream::ioctl(uint32_t req, uint64_t arg, AddressSpace& mem) {
  const int fd = rfd_ >= 0 ? rfd_ : wfd_;
  if (req == kFIONREAD) {
    int32_t n = (int32_t)readable_bytes(0);
    return mem.copy_out(arg, &n, 4) ? 0 : -LX_EFAULT;
  }
  if (req == kFIONBIO) return 0;
  const bool tty = host_isatty(fd) || (tty_node_ && host_isatty(0));
  if (!tty) return -LX_ENOTTY;
  switch (req) {
    case kTCGETS: {
      lx_termios t;
#ifdef __EMSCRIPTEN__
      t = g_js_termios;
#else
      if (::ioctl(fd, TCGETS, &t) < 0) return neg_host_errno();
#endif
      return mem.copy_out(arg, &t, sizeof t) ? 0 : -LX_EFAULT;
    }
    case kTCSETS: case kTCSETSW: case kTCSETSF: {
      lx_termios t;
      if (!mem.copy_in(&t, arg, sizeof t)) return -LX_EFAULT;
#ifdef __EMSCRIPTEN__
      g_js_termios = t;
      return 0;
#else
      if (!g_saved.saved) {
        if (tcgetattr(fd, &g_saved.t) == 0) { g_saved.saved = true; g_saved.fd = fd; }
      }
      const unsigned long hreq = req == kTCSETS ? TCSETS : req == kTCSETSW ? TCSETSW : TCSETSF;
      if (::ioctl(fd, hreq, &t) < 0) return neg_host_errno();
      return 0;
#endif
    }
    case kTIOCGWINSZ: {
      lx_winsize w = {24, 80, 0, 0};
#ifdef __EMSCRIPTEN__
      int v = gb_js_winsize(fd);
      if (v) { w.ws_row = (uint16_t)(v >> 16); w.ws_col = (uint16_t)(v & 0xffff); }
#else
      struct winsize hw;
      if (::ioctl(fd, TIOCGWINSZ, &hw) == 0) { w.ws_row = hw.ws_row; w.ws_col = hw.ws_col; w.ws_xpixel = hw.ws_xpixel; w.ws_ypixel = hw.ws_ypixel; }
#endif
      return mem.copy_out(arg, &w, sizeof w) ? 0 : -LX_EFAULT;
    }
    case kTIOCSWINSZ: return 0;
    case kTIOCGPGRP: return mem.copy_out(arg, &fs_.host_fg_pgrp, 4) ? 0 : -LX_EFAULT;
    case kTIOCGSID: {
      int32_t sid = 1;  // the first task's session (sched.cpp: pgid = sid = 1)
      return mem.copy_out(arg, &sid, 4) ? 0 : -LX_EFAULT;
    }
    case kTIOCSPGRP: {
      int32_t pg;
      if (!mem.copy_in(&pg, arg, 4)) return -LX_EFAULT;
      if (pg <= 0) return -LX_EINVAL;
      fs_.host_fg_pgrp = pg;
      return 0;
    }
    case kTIOCSCTTY: case kTIOCNOTTY: case kTCFLSH: case kTCXONC: return 0;
    case kTIOCOUTQ: {
      int32_t z = 0;
      return mem.copy_out(arg, &z, 4) ? 0 : -LX_EFAULT;
    }
    default: return -LX_ENOTTY;
  }
}

}  // namespace

InodeRef host_stream(AnonFs& fs, int host_fd) { return std::make_shared<HostStream>(fs, host_fd, host_fd, false); }

InodeRef host_tty(AnonFs& fs) {
  if (!host_isatty(0)) return nullptr;
  return std::make_shared<HostStream>(fs, 0, host_isatty(1) ? 1 : (host_isatty(2) ? 2 : 0), true);
}

void host_restore_terminal() {
#ifndef __EMSCRIPTEN__
  if (g_saved.saved) tcsetattr(g_saved.fd, TCSANOW, &g_saved.t);
#endif
}

}  // namespace gb
