// vm/linux/tty.h — terminals: pseudo-terminal pairs (/dev/ptmx, /dev/pts/N) with a
// line discipline that behaves like Linux's n_tty, and the console the CLI and the
// browser worker drive from the host side.
//
// Index
//   1. ABI: termios flag bits, c_cc indices, ioctl numbers (x86-64 values)
//   2. TtyHost: what the tty needs from the kernel (caller's ids, signals, clock);
//      Devpts: one machine's pty pairs, its TtyHost and its Waits
//   3. Tty: one pty pair — the host API (master_write/master_read/set_winsize), the
//      guest-side operations the master and slave inodes call, job control, hangup
//   4. Inodes and devpts: ptmx_node() (a fresh master per lookup), pts_list() (the
//      /dev/pts directory entries), open_console()
//
// Design notes
//   * A Tty is the pair. The slave is an Inode (/dev/pts/N) owned by the Tty while the
//     master side is open; the master is either a guest fd (an inode made by opening
//     /dev/ptmx) or the host (CLI / browser) through master_write/master_read. The
//     master side holds the pair alive; when the last master reference goes away the
//     slave is hung up: slave reads return 0, writes -EIO, SIGHUP (+SIGCONT) goes to
//     the session leader and SIGHUP to the foreground process group, and /dev/pts/N
//     disappears. When every slave fd is closed (after at least one open), master
//     reads return the remaining output and then -EIO, and poll reports POLLHUP.
//   * Line discipline (n_tty): input bytes go through the input flags (ISTRIP, INLCR,
//     IGNCR, ICRNL, IUCLC), IXON flow control, ISIG signal characters, then either
//     the canonical line editor (ERASE, KILL, WERASE, LNEXT, REPRINT, EOF, EOL, EOL2;
//     completed lines are kept separately from the line being edited) or the raw
//     queue; echoes and slave output go through output processing (OPOST: ONLCR,
//     OCRNL, ONOCR, ONLRET, OLCUC, XTABS) into one output queue that the master reads.
//     The output column is tracked for tab erasure.
//   * Blocking follows docs/processes.md: an operation that cannot complete returns
//     kBlock (or -EAGAIN with O_NONBLOCK) and changes nothing; every state change
//     that may let a parked call finish calls its machine's Waits::wake() (file.h).
//   * Job control: a background process group reading its controlling tty gets
//     SIGTTIN (the call returns kBlock after the signal is queued, so the task stops
//     or is interrupted; -EIO when SIGTTIN is ignored/blocked or the group is
//     orphaned); writing with TOSTOP, or changing modes (TCSETS*, TIOCSPGRP, TCFLSH,
//     TCXONC) gets SIGTTOU unless it is ignored/blocked.
//   * VMIN/VTIME (non-canonical reads): VMIN>0,VTIME=0 waits for VMIN bytes (or n if
//     smaller); VMIN=0,VTIME=0 never waits; VMIN=0,VTIME>0 waits for one byte or the
//     call's deadline (TtyHost::call_deadline_ns); VMIN>0,VTIME>0 waits for the first
//     byte, then for VMIN bytes or VTIME since the last byte arrived (an inter-byte
//     timer computed from the arrival time, re-armed with TtyHost::wake_at_ns).
//   * The tty never touches the Task class: everything about processes goes
//     through TtyHost. Without a host (unit tests of the host API, tools) the caller is
//     treated as the foreground and signals are dropped.
#pragma once
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "vm/fs/vfs.h"

namespace gb {

class Tty;
class Waits;

// ---- 1. ABI ---------------------------------------------------------------------------
// c_iflag
enum : uint32_t {
  LT_IGNBRK = 01, LT_BRKINT = 02, LT_IGNPAR = 04, LT_PARMRK = 010, LT_INPCK = 020, LT_ISTRIP = 040,
  LT_INLCR = 0100, LT_IGNCR = 0200, LT_ICRNL = 0400, LT_IUCLC = 01000, LT_IXON = 02000, LT_IXANY = 04000,
  LT_IXOFF = 010000, LT_IMAXBEL = 020000, LT_IUTF8 = 040000,
};
// c_oflag
enum : uint32_t {
  LT_OPOST = 01, LT_OLCUC = 02, LT_ONLCR = 04, LT_OCRNL = 010, LT_ONOCR = 020, LT_ONLRET = 040,
  LT_TABDLY = 014000, LT_XTABS = 014000,
};
// c_cflag
enum : uint32_t { LT_B38400 = 017, LT_CS8 = 060, LT_CREAD = 0200, LT_HUPCL = 02000, LT_CLOCAL = 04000 };
// c_lflag
enum : uint32_t {
  LT_ISIG = 01, LT_ICANON = 02, LT_XCASE = 04, LT_ECHO = 010, LT_ECHOE = 020, LT_ECHOK = 040,
  LT_ECHONL = 0100, LT_NOFLSH = 0200, LT_TOSTOP = 0400, LT_ECHOCTL = 01000, LT_ECHOPRT = 02000,
  LT_ECHOKE = 04000, LT_FLUSHO = 010000, LT_PENDIN = 040000, LT_IEXTEN = 0100000, LT_EXTPROC = 0200000,
};
// c_cc indices
enum : int {
  LT_VINTR = 0, LT_VQUIT = 1, LT_VERASE = 2, LT_VKILL = 3, LT_VEOF = 4, LT_VTIME = 5, LT_VMIN = 6,
  LT_VSWTC = 7, LT_VSTART = 8, LT_VSTOP = 9, LT_VSUSP = 10, LT_VEOL = 11, LT_VREPRINT = 12,
  LT_VDISCARD = 13, LT_VWERASE = 14, LT_VLNEXT = 15, LT_VEOL2 = 16,
};
// ioctl requests
enum : uint32_t {
  LT_TCGETS = 0x5401, LT_TCSETS = 0x5402, LT_TCSETSW = 0x5403, LT_TCSETSF = 0x5404,
  LT_TCSBRK = 0x5409, LT_TCXONC = 0x540a, LT_TCFLSH = 0x540b, LT_TIOCEXCL = 0x540c, LT_TIOCNXCL = 0x540d,
  LT_TIOCSCTTY = 0x540e, LT_TIOCGPGRP = 0x540f, LT_TIOCSPGRP = 0x5410, LT_TIOCOUTQ = 0x5411,
  LT_TIOCSTI = 0x5412, LT_TIOCGWINSZ = 0x5413, LT_TIOCSWINSZ = 0x5414, LT_FIONREAD = 0x541b,
  LT_TIOCPKT = 0x5420, LT_TIOCNOTTY = 0x5422, LT_TIOCGETD = 0x5424, LT_TIOCSETD = 0x5423,
  LT_TCSBRKP = 0x5425, LT_TIOCGSID = 0x5429, LT_TCGETS2 = 0x802c542a, LT_TCSETS2 = 0x402c542b,
  LT_TCSETSW2 = 0x402c542c, LT_TCSETSF2 = 0x402c542d, LT_TIOCGPTN = 0x80045430,
  LT_TIOCSPTLCK = 0x40045431, LT_TIOCGDEV = 0x80045432, LT_TIOCSIG = 0x40045436,
  LT_TIOCVHANGUP = 0x5437, LT_TIOCGPKT = 0x80045438, LT_TIOCGPTLCK = 0x80045439,
  // TIOCGPTPEER returns a new fd, which an inode cannot make: sys_ioctl handles it on a
  // master fd (tty_of(node) && node is not the slave) by open_inode on slave_node() with
  // the flags in arg (-EIO while locked) and fds.alloc.
  LT_TIOCGPTPEER = 0x5441,
};
// tcflush / tcflow arguments
enum : int { LT_TCIFLUSH = 0, LT_TCOFLUSH = 1, LT_TCIOFLUSH = 2 };
enum : int { LT_TCOOFF = 0, LT_TCOON = 1, LT_TCIOFF = 2, LT_TCION = 3 };

// The pty major numbers (st_rdev): slaves are 136:N, /dev/ptmx is 5:2, /dev/tty 5:0.
constexpr uint32_t kPtsMajor = 136;

// The termios a new pty slave starts with (Linux's tty_std_termios).
lx_termios default_termios();

// ---- 2. TtyHost -----------------------------------------------------------------------
// Implemented by the kernel; "caller" is the task whose syscall is running (for
// operations that come from the host side — master_write from the CLI — no caller
// method is used except through signal_pgrp / signal_process).
struct TtyHost {
  virtual ~TtyHost() = default;
  virtual int caller_pid() = 0;    // thread-group id
  virtual int caller_pgid() = 0;
  virtual int caller_sid() = 0;
  virtual bool caller_is_session_leader() { return caller_pid() == caller_sid(); }
  // The caller's controlling terminal (nullptr: none).
  virtual std::shared_ptr<Tty> caller_ctty() = 0;
  // Makes `t` the caller's controlling terminal (nullptr: drops it). Like Linux's
  // signal->tty it belongs to the process and is inherited by fork.
  virtual void set_caller_ctty(std::shared_ptr<Tty> t) = 0;
  // Every process of session `sid` whose controlling terminal is `t` loses it.
  virtual void clear_session_ctty(int sid, const Tty* t) = 0;
  // Queue a signal to every process of a group / to one process (no-op if none).
  virtual void signal_pgrp(int pgrp, int sig) = 0;
  virtual void signal_process(int pid, int sig) = 0;
  // The session of process group `pgrp`'s members, 0 if there is no such group
  // (TIOCSPGRP: -ESRCH / -EPERM).
  virtual int session_of_pgrp(int pgrp) = 0;
  // POSIX orphaned process group: no member has a parent in another group of the same
  // session (a background read then fails with EIO instead of stopping).
  virtual bool pgrp_is_orphaned(int pgrp) = 0;
  // The calling thread ignores or blocks `sig`.
  virtual bool caller_ignores_or_blocks(int sig) = 0;
  // CAP_SYS_ADMIN (TIOCSCTTY with arg 1 steals a terminal). Root in the VM.
  virtual bool caller_is_admin() { return true; }
  // Monotonic clock (ns).
  virtual uint64_t now_ns() = 0;
  // The absolute deadline of the running syscall for a relative timeout: computed on
  // the first entry, the same value on re-executions (Task::deadline_for); it also
  // arranges for the parked task to be retried then (p.wake_at).
  virtual uint64_t call_deadline_ns(uint64_t rel_ns) = 0;
  // Retry the parked task at `abs_ns` at the latest (p.wake_at).
  virtual void wake_at_ns(uint64_t abs_ns) = 0;
};

// One machine's pty pairs (the Kernel owns one): the /dev/pts index table, the kernel's
// TtyHost and the Waits its ttys wake. Outlives every Tty made from it.
class Devpts {
 public:
  explicit Devpts(Waits& w, TtyHost* h = nullptr) : waits(w), host(h) {}
  Devpts(const Devpts&) = delete;
  Waits& waits;
  TtyHost* host;  // nullptr: none — no job control, no signals
 private:
  friend class Tty;
  friend std::vector<std::pair<std::string, InodeRef>> pts_list(Devpts& pts);
  int alloc_index(const std::shared_ptr<Tty>& t);
  void release_index(int index, const Tty* t);
  std::vector<std::weak_ptr<Tty>> ptys_;  // index -> pair (while its master side is open)
};

// ---- 3. Tty ---------------------------------------------------------------------------
class Tty : public std::enable_shared_from_this<Tty> {
 public:
  static constexpr size_t kInputMax = 4096;    // N_TTY_BUF_SIZE: readable input
  static constexpr size_t kOutputMax = 16384;  // slave output not yet read by the master

  // A new pair with the lowest free index; the host holds the master side (call
  // close_master() to hang up). Registered in /dev/pts until the master closes.
  static std::shared_ptr<Tty> create(Devpts& pts);
  ~Tty();

  int index() const { return index_; }
  std::string name() const { return "/dev/pts/" + std::to_string(index_); }
  // The /dev/pts/N inode (nullptr once the master side has closed and released it).
  InodeRef slave_node() const { return slave_; }

  // ---- host API (CLI, browser worker): the master side without a guest fd ----
  // Keyboard input: processed by the line discipline (echo, signals, editing).
  // Returns the number of bytes accepted (less than n when the input queue is full).
  size_t master_write(const void* buf, size_t n);
  size_t master_write(const std::string& s) { return master_write(s.data(), s.size()); }
  // Screen output: up to n bytes of what the slave wrote (after OPOST) and echoes.
  size_t master_read(void* buf, size_t n);
  std::string master_read_all();
  size_t output_pending() const { return out_.size(); }
  // Text from the machine itself (Kernel::alert), written to the output as the guest's
  // own output would be (OPOST: "\n" becomes "\r\n" by default), never blocking.
  void kernel_print(const std::string& s);
  // Sets the window size; a change sends SIGWINCH to the foreground process group.
  void set_winsize(uint16_t rows, uint16_t cols, uint16_t xpixel = 0, uint16_t ypixel = 0);
  lx_winsize winsize() const { return ws_; }
  // Drops the host's master reference (hangs up the slave if nothing else holds it).
  void close_master();
  // Slave fds currently open / ever opened, master references.
  int slave_opens() const { return slave_opens_; }
  bool hung_up() const { return hung_up_; }

  // ---- state ----
  lx_termios termios() const { return tio_; }
  void set_termios(const lx_termios& t);
  int fg_pgrp() const { return pgrp_; }
  int session() const { return session_; }
  // Readable input bytes (FIONREAD on the slave): complete lines in canonical mode.
  size_t input_available() const;

  // ---- kernel hooks ----
  // Makes this the controlling terminal of session `sid` with foreground group `pgrp`
  // (the console and the first process; the kernel records the ctty on its side).
  void attach_session(int sid, int pgrp) { session_ = sid; pgrp_ = pgrp; }
  // The session leader `sid` exits while this is its controlling terminal: SIGHUP and
  // SIGCONT to the foreground group, the terminal loses its session (Linux's
  // disassociate_ctty on exit).
  void session_leader_exited(int sid);

  // ---- guest side (the inodes call these) ----
  int64_t slave_read(void* buf, uint64_t n, uint32_t oflags);
  int64_t slave_write(const void* buf, uint64_t n, uint32_t oflags);
  uint32_t slave_poll(uint32_t events);
  int64_t master_read_op(void* buf, uint64_t n, uint32_t oflags);
  int64_t master_write_op(const void* buf, uint64_t n, uint32_t oflags);
  uint32_t master_poll(uint32_t events);
  int64_t ioctl(bool master, uint32_t req, uint64_t arg, AddressSpace& mem);
  int slave_opened(uint32_t flags);
  void slave_closed();
  void master_ref();
  void master_unref();

 private:
  explicit Tty(Devpts& pts) : pts_(pts) {}
  static std::shared_ptr<Tty> create_pair(Devpts& pts, bool host_master);

  // input side (line discipline)
  void receive_char(uint8_t c);
  bool receive_special(uint8_t c);  // signals / flow control; true if consumed
  void canon_char(uint8_t c);
  void erase(uint8_t c);
  void reprint();
  void finish_line(const std::string& terminator);
  void signal_char(int sig, uint8_t c);
  void flush_input();
  bool input_full() const;
  // output side
  void echo_char(uint8_t c);
  void echo_raw(uint8_t c);
  void out_char(uint8_t c);                 // through OPOST
  void out_str(const std::string& s) { for (uint8_t c : s) out_char(c); }
  size_t out_room() const { return out_.size() >= kOutputMax ? 0 : kOutputMax - out_.size(); }
  int column_of(const std::string& text) const;
  // job control
  int64_t job_check(int sig);  // 0, -EIO or kBlock (signal queued)
  bool caller_owns_ctty();
  // ioctl pieces
  int64_t ioctl_tcsets(uint32_t req, uint64_t arg, AddressSpace& mem, size_t size);
  int64_t ioctl_sctty(uint64_t arg);
  int64_t ioctl_notty();
  int64_t ioctl_spgrp(uint64_t arg, AddressSpace& mem);
  int64_t ioctl_flush(int how);
  int64_t ioctl_flow(int how);
  void hangup();
  void send_pgrp(int pgrp, int sig);
  bool canon() const { return tio_.c_lflag & LT_ICANON; }
  bool lflag(uint32_t f) const { return tio_.c_lflag & f; }
  bool iflag(uint32_t f) const { return tio_.c_iflag & f; }
  bool is_cc(uint8_t c, int idx) const { return tio_.c_cc[idx] != 0 && c == tio_.c_cc[idx]; }

  Devpts& pts_;
  int index_ = -1;
  lx_termios tio_{};
  lx_winsize ws_{};
  // canonical input: completed lines ("" = an EOF at the start of a line) and the
  // line being edited; raw input: readable bytes.
  std::deque<std::string> lines_;
  std::string edit_;
  std::string raw_;
  uint64_t last_input_ns_ = 0;  // arrival of the newest input byte (VTIME timer)
  bool lnext_ = false;          // the next character is literal (VLNEXT)
  int canon_col_ = 0;           // output column where the edited line started
  int col_ = 0;                 // output column
  std::string out_;             // output for the master (screen)
  bool stopped_ = false;        // IXON ^S
  bool locked_ = true;          // TIOCSPTLCK (a new /dev/ptmx pair starts locked)
  bool hung_up_ = false;
  int master_refs_ = 0;
  int slave_opens_ = 0;
  bool slave_ever_opened_ = false;
  int session_ = 0, pgrp_ = 0;
  InodeRef slave_;  // strong while the master side is open
  size_t lines_bytes_ = 0;  // bytes in lines_
  friend class PtyMaster;
};

// ---- 4. inodes, devpts, console -------------------------------------------------------
// A fresh /dev/ptmx inode: opening it allocates a new pair (locked, like Linux).
// Call it on every lookup of "ptmx" (devfs and /dev/pts/ptmx).
InodeRef ptmx_node(Devpts& pts, FileSystem* fs, uint64_t ino);
// The /dev/pts entries: {"0", slave inode}, ... for every pair whose master is open.
std::vector<std::pair<std::string, InodeRef>> pts_list(Devpts& pts);
// The controlling terminal of the caller (via TtyHost) as an inode, or nullptr.
InodeRef caller_ctty_node(Devpts& pts);
// The console for the first process: a new pair (normally /dev/pts/0) driven by the
// host, unlocked, with IUTF8 set and the given window size. Open the slave node for
// guest fds 0/1/2 with open_inode (so it counts as opened) and make it the first
// process's controlling terminal (its session and foreground group).
std::shared_ptr<Tty> open_console(Devpts& pts, uint16_t rows = 24, uint16_t cols = 80);
// The Tty behind an inode (a slave or a master), or nullptr.
std::shared_ptr<Tty> tty_of(const InodeRef& n);

}  // namespace gb
