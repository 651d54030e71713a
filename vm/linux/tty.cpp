// vm/linux/tty.cpp — pseudo-terminal pairs and their line discipline (see tty.h).
//
// Index
//   1. defaults, Devpts (a machine's TtyHost pointer and pts index table)
//   2. inodes: PtySlave (/dev/pts/N), PtyMaster (/dev/ptmx)
//   3. Tty life: create, master/slave references, hangup, session exit
//   4. input: the line discipline (special characters, canonical editing, raw queue)
//   5. output: OPOST processing and echo
//   6. reads, writes and poll of both sides
//   7. job control
//   8. ioctl
//   9. devpts listing, /dev/tty, the console
//
// Notes on Linux behaviour this follows (n_tty.c / tty_jobctrl.c / pty.c):
//   * The characters of c_cc are ignored when 0 (_POSIX_VDISABLE).
//   * ^C/^\/^Z: the input is flushed (unless NOFLSH), the signal goes to the
//     foreground group, and the character is echoed as ^C when ECHO is on. Output
//     already written is not discarded (a pty's flush_buffer does not drop it).
//   * EOF (^D) ends the line without being stored; at the start of a line the read
//     returns 0. A canonical read returns at most one line.
//   * Erase of a tab moves back to where the tab started (computed from the column
//     where the line began); with IUTF8 a multibyte character is erased as one.
//   * Job-control ioctls (TCSETS*, TIOCSPGRP ...) act on the pair whichever side the
//     fd is, like Linux's tty_pair_get_tty; TIOCGPGRP/TIOCGSID on the slave need the
//     slave to be the caller's controlling terminal.
#include "vm/linux/tty.h"

#include <time.h>

#include <algorithm>
#include <cctype>
#include <cstring>

#include "vm/linux/file.h"

namespace gb {

// ---- 1. defaults, host, index table ---------------------------------------------------

lx_termios default_termios() {
  lx_termios t;
  memset(&t, 0, sizeof t);
  t.c_iflag = LT_ICRNL | LT_IXON;
  t.c_oflag = LT_OPOST | LT_ONLCR;
  t.c_cflag = LT_B38400 | LT_CS8 | LT_CREAD | LT_HUPCL;
  t.c_lflag = LT_ISIG | LT_ICANON | LT_ECHO | LT_ECHOE | LT_ECHOK | LT_ECHOCTL | LT_ECHOKE | LT_IEXTEN;
  const uint8_t cc[17] = {3, 28, 127, 21, 4, 0, 1, 0, 17, 19, 26, 0, 18, 15, 23, 22, 0};
  memcpy(t.c_cc, cc, sizeof cc);
  return t;
}

namespace {

constexpr uint64_t kDeciNs = 100000000ull;  // VTIME unit: 0.1 s

bool is_ctrl(uint8_t c) { return c < 32 || c == 127 || (c >= 0x80 && c < 0xa0); }
// Linux's new_encode_dev for st_rdev.
uint64_t encode_dev(uint32_t major, uint32_t minor) {
  return (minor & 0xff) | ((uint64_t)major << 8) | ((uint64_t)(minor & ~0xffu) << 12);
}
Timespec now_realtime() {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return {(int64_t)ts.tv_sec, (int64_t)ts.tv_nsec};
}

// The file system slave inodes report (Linux's devpts has its own st_dev). Immutable,
// so one for the process: it only gives the slaves their st_dev.
class DevptsFs : public FileSystem {
 public:
  static DevptsFs& get() { static DevptsFs fs; return fs; }
  InodeRef root() override { return nullptr; }
  const char* type_name() const override { return "devpts"; }
 private:
  DevptsFs() { dev_ = 0x18; }
};

}  // namespace

int Devpts::alloc_index(const std::shared_ptr<Tty>& t) {
  for (size_t i = 0; i < ptys_.size(); i++)
    if (ptys_[i].expired()) { ptys_[i] = t; return (int)i; }
  ptys_.push_back(t);
  return (int)ptys_.size() - 1;
}

void Devpts::release_index(int index, const Tty* t) {
  if (index < 0 || (size_t)index >= ptys_.size()) return;
  auto cur = ptys_[(size_t)index].lock();
  if (!cur || cur.get() == t) ptys_[(size_t)index].reset();
}

// ---- 2. inodes ------------------------------------------------------------------------

class PtySlave : public Inode {
 public:
  explicit PtySlave(std::shared_ptr<Tty> t) : tty_(std::move(t)), created_(now_realtime()) {}
  FileSystem* fs() const override { return &DevptsFs::get(); }
  uint64_t ino() const override { return (uint64_t)tty_->index() + 3; }
  uint32_t ftype() const override { return LS_IFCHR; }
  int getattr(Stat& st) override {
    st = Stat{};
    st.dev = DevptsFs::get().dev();
    st.ino = ino();
    st.mode = LS_IFCHR | 0620;
    st.gid = 5;  // tty
    st.rdev = encode_dev(kPtsMajor, (uint32_t)tty_->index());
    st.blksize = 1024;
    st.atime = st.mtime = st.ctime = created_;
    return 0;
  }
  int chmod(uint32_t) override { return 0; }
  int chown(uint32_t, uint32_t) override { return 0; }
  int utimens(const Timespec*, const Timespec*) override { return 0; }
  int on_open(uint32_t flags) override { return tty_->slave_opened(flags); }
  void on_close(uint32_t) override { tty_->slave_closed(); }
  bool is_stream() const override { return true; }
  int64_t read(uint64_t, void* buf, uint64_t n, uint32_t oflags) override { return tty_->slave_read(buf, n, oflags); }
  int64_t write(uint64_t, const void* buf, uint64_t n, uint32_t oflags) override {
    return tty_->slave_write(buf, n, oflags);
  }
  uint32_t poll(uint32_t events) override { return tty_->slave_poll(events); }
  int64_t ioctl(uint32_t req, uint64_t arg, AddressSpace& mem) override { return tty_->ioctl(false, req, arg, mem); }
  int64_t readable_bytes(uint64_t) override { return (int64_t)tty_->input_available(); }
  std::shared_ptr<FileBacking> backing(const std::string&) override { return nullptr; }
  const std::shared_ptr<Tty>& tty() const { return tty_; }

 private:
  std::shared_ptr<Tty> tty_;
  Timespec created_;
};

// A /dev/ptmx inode: made fresh on each lookup, it gets its pair when first opened.
class PtyMaster : public Inode {
 public:
  PtyMaster(Devpts& pts, FileSystem* fs, uint64_t ino) : pts_(pts), fs_(fs), ino_(ino) {}
  FileSystem* fs() const override { return fs_; }
  uint64_t ino() const override { return ino_; }
  uint32_t ftype() const override { return LS_IFCHR; }
  int getattr(Stat& st) override {
    st = Stat{};
    st.dev = fs_ ? fs_->dev() : 0;
    st.ino = ino_;
    st.mode = LS_IFCHR | 0666;
    st.gid = 5;
    st.rdev = encode_dev(5, 2);
    st.blksize = 1024;
    return 0;
  }
  int chmod(uint32_t) override { return 0; }
  int chown(uint32_t, uint32_t) override { return 0; }
  int utimens(const Timespec*, const Timespec*) override { return 0; }
  int on_open(uint32_t) override {
    if (!tty_) tty_ = Tty::create_pair(pts_, false);
    tty_->master_ref();
    return 0;
  }
  void on_close(uint32_t) override {
    if (tty_) tty_->master_unref();
  }
  bool is_stream() const override { return true; }
  int64_t read(uint64_t, void* buf, uint64_t n, uint32_t oflags) override {
    return tty_ ? tty_->master_read_op(buf, n, oflags) : -LX_EIO;
  }
  int64_t write(uint64_t, const void* buf, uint64_t n, uint32_t oflags) override {
    return tty_ ? tty_->master_write_op(buf, n, oflags) : -LX_EIO;
  }
  uint32_t poll(uint32_t events) override { return tty_ ? tty_->master_poll(events) : LPOLLERR; }
  int64_t ioctl(uint32_t req, uint64_t arg, AddressSpace& mem) override {
    return tty_ ? tty_->ioctl(true, req, arg, mem) : -LX_ENOTTY;
  }
  int64_t readable_bytes(uint64_t) override { return tty_ ? (int64_t)tty_->output_pending() : 0; }
  std::shared_ptr<FileBacking> backing(const std::string&) override { return nullptr; }
  const std::shared_ptr<Tty>& tty() const { return tty_; }

 private:
  Devpts& pts_;
  FileSystem* fs_;
  uint64_t ino_;
  std::shared_ptr<Tty> tty_;
};

// ---- 3. life --------------------------------------------------------------------------

std::shared_ptr<Tty> Tty::create_pair(Devpts& pts, bool host_master) {
  std::shared_ptr<Tty> t(new Tty(pts));
  t->index_ = pts.alloc_index(t);
  t->tio_ = default_termios();
  t->slave_ = std::make_shared<PtySlave>(t);
  t->master_refs_ = host_master ? 1 : 0;
  t->locked_ = !host_master;  // /dev/ptmx pairs start locked (unlockpt clears it)
  return t;
}

std::shared_ptr<Tty> Tty::create(Devpts& pts) { return create_pair(pts, true); }

Tty::~Tty() { pts_.release_index(index_, this); }

void Tty::master_ref() { master_refs_++; }

void Tty::master_unref() {
  if (master_refs_ > 0 && --master_refs_ == 0) hangup();
}

void Tty::close_master() { master_unref(); }

int Tty::slave_opened(uint32_t flags) {
  if (hung_up_ || locked_) return -LX_EIO;
  slave_opens_++;
  slave_ever_opened_ = true;
  // A session leader without a terminal acquires this one (not for O_NOCTTY).
  TtyHost* h = pts_.host;
  if (h && !(flags & LO_NOCTTY) && session_ == 0 && h->caller_is_session_leader() && !h->caller_ctty()) {
    session_ = h->caller_sid();
    pgrp_ = h->caller_pgid();
    h->set_caller_ctty(shared_from_this());
  }
  pts_.waits.wake();
  return 0;
}

void Tty::slave_closed() {
  if (slave_opens_ > 0) slave_opens_--;
  if (slave_opens_ == 0) pts_.waits.wake();  // the master now sees EIO / POLLHUP
}

// The master side is gone: the slave is hung up (reads 0, writes EIO), the session
// leader gets SIGHUP and SIGCONT, the foreground group SIGHUP; /dev/pts/N disappears.
void Tty::hangup() {
  if (hung_up_) return;
  hung_up_ = true;
  pts_.release_index(index_, this);
  const int sid = session_, pg = pgrp_;
  session_ = pgrp_ = 0;
  if (pts_.host && sid) {
    pts_.host->clear_session_ctty(sid, this);
    pts_.host->signal_process(sid, LSIGHUP);
    pts_.host->signal_process(sid, LSIGCONT);
  }
  if (pg) send_pgrp(pg, LSIGHUP);
  flush_input();
  stopped_ = false;
  pts_.waits.wake();
  InodeRef keep = std::move(slave_);  // the caller holds us; open slave fds hold `keep`
}

void Tty::session_leader_exited(int sid) {
  if (session_ != sid || sid == 0) return;
  const int pg = pgrp_;
  session_ = pgrp_ = 0;
  if (pts_.host) pts_.host->clear_session_ctty(sid, this);
  if (pg) send_pgrp(pg, LSIGHUP);
}

void Tty::send_pgrp(int pgrp, int sig) {
  if (pts_.host && pgrp > 0) pts_.host->signal_pgrp(pgrp, sig);
  pts_.waits.wake();
}

// ---- 4. input -------------------------------------------------------------------------

bool Tty::input_full() const {
  // Canonical mode keeps accepting (and dropping) characters of an over-long line so
  // that a newline can always end it; only completed lines count.
  return canon() ? lines_bytes_ >= kInputMax : raw_.size() >= kInputMax;
}

size_t Tty::input_available() const {
  if (!canon()) return raw_.size();
  return lines_bytes_;
}

void Tty::flush_input() {
  lines_.clear();
  lines_bytes_ = 0;
  edit_.clear();
  raw_.clear();
  lnext_ = false;
  canon_col_ = col_;
}

size_t Tty::master_write(const void* buf, size_t n) {
  const uint8_t* b = (const uint8_t*)buf;
  if (hung_up_) return n;
  size_t i = 0;
  while (i < n && !input_full()) receive_char(b[i++]);
  if (i) pts_.waits.wake();
  return i;
}

void Tty::receive_char(uint8_t c) {
  if (iflag(LT_ISTRIP)) c &= 0x7f;
  if (iflag(LT_IUCLC) && lflag(LT_IEXTEN) && c >= 'A' && c <= 'Z') c = (uint8_t)(c - 'A' + 'a');
  last_input_ns_ = pts_.host ? pts_.host->now_ns() : 0;
  if (lnext_) {  // literal: no special meaning, echoed as itself
    lnext_ = false;
    if (lflag(LT_ECHO)) echo_char(c);
    if (canon()) {
      if (edit_.size() < kInputMax - 1) edit_.push_back((char)c);
    } else {
      raw_.push_back((char)c);
    }
    return;
  }
  if (receive_special(c)) return;
  if (c == '\r') {
    if (iflag(LT_IGNCR)) return;
    if (iflag(LT_ICRNL)) c = '\n';
  } else if (c == '\n' && iflag(LT_INLCR)) {
    c = '\r';
  }
  if (canon()) { canon_char(c); return; }
  if (lflag(LT_ECHO)) {
    if (c == '\n') echo_raw(c);
    else echo_char(c);
  }
  raw_.push_back((char)c);
}

// Flow control (IXON) and signal characters (ISIG). True if `c` was consumed.
bool Tty::receive_special(uint8_t c) {
  if (iflag(LT_IXON)) {
    if (is_cc(c, LT_VSTOP)) { stopped_ = true; return true; }
    if (is_cc(c, LT_VSTART)) { stopped_ = false; pts_.waits.wake(); return true; }
  }
  if (lflag(LT_ISIG)) {
    if (is_cc(c, LT_VINTR)) { signal_char(LSIGINT, c); return true; }
    if (is_cc(c, LT_VQUIT)) { signal_char(LSIGQUIT, c); return true; }
    if (is_cc(c, LT_VSUSP)) { signal_char(LSIGTSTP, c); return true; }
  }
  if (stopped_ && iflag(LT_IXON) && iflag(LT_IXANY)) { stopped_ = false; pts_.waits.wake(); }
  return false;
}

void Tty::signal_char(int sig, uint8_t c) {
  if (!lflag(LT_NOFLSH)) flush_input();
  send_pgrp(pgrp_, sig);
  if (iflag(LT_IXON)) stopped_ = false;
  if (lflag(LT_ECHO)) echo_char(c);
}

void Tty::canon_char(uint8_t c) {
  const bool echo = lflag(LT_ECHO);
  if (is_cc(c, LT_VERASE) || is_cc(c, LT_VKILL) || (is_cc(c, LT_VWERASE) && lflag(LT_IEXTEN))) {
    erase(c);
    return;
  }
  if (is_cc(c, LT_VLNEXT) && lflag(LT_IEXTEN)) {
    lnext_ = true;
    if (echo && lflag(LT_ECHOCTL)) { echo_raw('^'); echo_raw('\b'); }
    return;
  }
  if (is_cc(c, LT_VREPRINT) && echo && lflag(LT_IEXTEN)) {
    reprint();
    return;
  }
  if (c == '\n') {
    if (echo || lflag(LT_ECHONL)) echo_raw('\n');
    finish_line("\n");
    return;
  }
  if (is_cc(c, LT_VEOF)) {
    finish_line("");
    return;
  }
  if (is_cc(c, LT_VEOL) || (is_cc(c, LT_VEOL2) && lflag(LT_IEXTEN))) {
    if (echo) {
      if (edit_.empty()) canon_col_ = col_;
      echo_char(c);
    }
    finish_line(std::string(1, (char)c));
    return;
  }
  if (edit_.size() >= kInputMax - 1) return;  // line full: dropped until a terminator
  if (echo) {
    if (edit_.empty()) canon_col_ = col_;
    echo_char(c);
  }
  edit_.push_back((char)c);
}

void Tty::finish_line(const std::string& terminator) {
  std::string line = edit_ + terminator;
  lines_bytes_ += line.size();
  lines_.push_back(std::move(line));
  edit_.clear();
  canon_col_ = col_;
}

// ERASE (one character), WERASE (a word: trailing non-word characters, then the word),
// KILL (the whole line), with the visual erase when ECHOE/ECHOKE ask for it.
void Tty::erase(uint8_t c) {
  if (edit_.empty()) return;
  enum { kErase, kWerase, kKill } kind =
      is_cc(c, LT_VERASE) ? kErase : is_cc(c, LT_VWERASE) ? kWerase : kKill;
  const bool echo = lflag(LT_ECHO);
  if (kind == kKill) {
    if (!echo) { edit_.clear(); return; }
    if (!lflag(LT_ECHOK) || !lflag(LT_ECHOKE) || !lflag(LT_ECHOE)) {
      edit_.clear();
      echo_char(c);
      if (lflag(LT_ECHOK)) echo_raw('\n');
      canon_col_ = col_;
      return;
    }
  }
  const bool utf8 = iflag(LT_IUTF8);
  int seen_alnums = 0;
  while (!edit_.empty()) {
    size_t head = edit_.size() - 1;
    while (head > 0 && utf8 && ((uint8_t)edit_[head] & 0xc0) == 0x80) head--;
    const uint8_t ch = (uint8_t)edit_[head];
    if (utf8 && (ch & 0xc0) == 0x80) break;  // only continuation bytes: never erase part
    if (kind == kWerase) {
      if (isalnum(ch) || ch == '_') seen_alnums++;
      else if (seen_alnums) break;
    }
    edit_.resize(head);
    if (echo) {
      if (kind == kErase && !lflag(LT_ECHOE)) {
        echo_char(c);
      } else if (ch == '\t') {
        const int target = column_of(edit_);
        while (col_ > target) out_char('\b');
      } else {
        if (is_ctrl(ch) && lflag(LT_ECHOCTL)) out_str("\b \b");
        if (!is_ctrl(ch) || lflag(LT_ECHOCTL)) out_str("\b \b");
      }
    }
    if (kind == kErase) break;
  }
}

void Tty::reprint() {
  echo_char(tio_.c_cc[LT_VREPRINT]);
  echo_raw('\n');
  canon_col_ = col_;
  for (uint8_t ch : edit_) echo_char(ch);
}

// The output column after echoing `text` from the start of the edited line.
int Tty::column_of(const std::string& text) const {
  int col = canon_col_;
  const bool utf8 = iflag(LT_IUTF8);
  for (uint8_t ch : text) {
    if (ch == '\t') col = (col | 7) + 1;
    else if (is_ctrl(ch)) col += lflag(LT_ECHOCTL) ? 2 : 0;
    else if (!(utf8 && (ch & 0xc0) == 0x80)) col++;
  }
  return col;
}

// ---- 5. output ------------------------------------------------------------------------

void Tty::echo_char(uint8_t c) {
  if (lflag(LT_ECHOCTL) && is_ctrl(c) && c != '\t' && c != '\n') {
    out_char('^');
    out_char(c ^ 0100);
    return;
  }
  out_char(c);
}

void Tty::echo_raw(uint8_t c) { out_char(c); }

// Linux's console prints its messages with "\r\n" whatever the guest set (raw mode in
// vim included), after what is already queued. Not bounded by out_room(): rare, short.
void Tty::kernel_print(const std::string& s) {
  for (char c : s) {
    if (c == '\n') out_ += "\r\n";
    else out_.push_back(c);
  }
  col_ = 0;
  pts_.waits.wake();
}

// One byte of output through OPOST (also used for echoes); tracks the column.
void Tty::out_char(uint8_t c) {
  const uint32_t o = tio_.c_oflag;
  if (!(o & LT_OPOST)) {
    out_.push_back((char)c);
    if (c == '\r' || c == '\n') col_ = 0;
    else if (c == '\b') { if (col_ > 0) col_--; }
    else if (!is_ctrl(c) && !(iflag(LT_IUTF8) && (c & 0xc0) == 0x80)) col_++;
    return;
  }
  switch (c) {
    case '\n':
      if (o & LT_ONLRET) col_ = 0;
      if (o & LT_ONLCR) { out_ += "\r\n"; col_ = 0; return; }
      out_.push_back('\n');
      return;
    case '\r':
      if ((o & LT_ONOCR) && col_ == 0) return;
      if (o & LT_OCRNL) {
        if (o & LT_ONLRET) col_ = 0;
        out_.push_back('\n');
        return;
      }
      col_ = 0;
      out_.push_back('\r');
      return;
    case '\t': {
      const int spaces = 8 - (col_ & 7);
      col_ += spaces;
      if ((o & LT_TABDLY) == LT_XTABS) out_.append((size_t)spaces, ' ');
      else out_.push_back('\t');
      return;
    }
    case '\b':
      if (col_ > 0) col_--;
      out_.push_back('\b');
      return;
    default:
      if (!is_ctrl(c)) {
        if ((o & LT_OLCUC) && c >= 'a' && c <= 'z') c = (uint8_t)(c - 'a' + 'A');
        if (!(iflag(LT_IUTF8) && (c & 0xc0) == 0x80)) col_++;
      }
      out_.push_back((char)c);
  }
}

// ---- 6. reads, writes, poll -----------------------------------------------------------

namespace {
int64_t would_block(uint32_t oflags) { return (oflags & LO_NONBLOCK) ? -LX_EAGAIN : kBlock; }
}  // namespace

int64_t Tty::slave_read(void* buf, uint64_t n, uint32_t oflags) {
  if (hung_up_) return 0;
  if (int64_t r = job_check(LSIGTTIN)) return r;
  if (n == 0) return 0;
  uint8_t* out = (uint8_t*)buf;
  if (canon()) {
    if (lines_.empty()) return would_block(oflags);
    std::string& line = lines_.front();
    const size_t k = std::min<size_t>((size_t)n, line.size());
    memcpy(out, line.data(), k);
    line.erase(0, k);
    lines_bytes_ -= k;
    if (line.empty()) lines_.pop_front();  // also an EOF marker: read returns 0
    pts_.waits.wake();
    return (int64_t)k;
  }
  // Non-canonical: VMIN / VTIME.
  const size_t vmin = tio_.c_cc[LT_VMIN], vtime = tio_.c_cc[LT_VTIME];
  const size_t avail = raw_.size();
  bool take = false;
  if (avail == 0) {
    if (vmin == 0 && vtime == 0) return 0;
    if (oflags & LO_NONBLOCK) return -LX_EAGAIN;
    if (vmin == 0 && pts_.host) {  // overall timer from the start of the call
      const uint64_t deadline = pts_.host->call_deadline_ns(vtime * kDeciNs);
      if (pts_.host->now_ns() >= deadline) return 0;
    }
    return kBlock;
  }
  const size_t want = std::min<size_t>(vmin ? vmin : 1, (size_t)n);
  if (avail >= want || (oflags & LO_NONBLOCK)) {
    take = true;
  } else if (vtime > 0 && pts_.host) {  // inter-byte timer since the newest byte
    const uint64_t deadline = last_input_ns_ + vtime * kDeciNs;
    if (pts_.host->now_ns() >= deadline) take = true;
    else pts_.host->wake_at_ns(deadline);
  }
  if (!take) return kBlock;
  const size_t k = std::min<size_t>((size_t)n, avail);
  memcpy(out, raw_.data(), k);
  raw_.erase(0, k);
  pts_.waits.wake();
  return (int64_t)k;
}

int64_t Tty::slave_write(const void* buf, uint64_t n, uint32_t oflags) {
  if (hung_up_) return -LX_EIO;
  if (lflag(LT_TOSTOP)) {
    if (int64_t r = job_check(LSIGTTOU)) return r;
  }
  if (n == 0) return 0;
  constexpr size_t kWorstCase = 8;  // a tab expanded by XTABS
  if (stopped_ || out_room() < kWorstCase) return would_block(oflags);
  const uint8_t* b = (const uint8_t*)buf;
  size_t i = 0;
  while (i < n && out_room() >= kWorstCase) out_char(b[i++]);
  pts_.waits.wake();
  return (int64_t)i;
}

uint32_t Tty::slave_poll(uint32_t events) {
  if (hung_up_) return (events & (LPOLLIN | LPOLLOUT | LPOLLRDNORM | LPOLLWRNORM)) | LPOLLHUP | LPOLLERR;
  uint32_t r = 0;
  const bool readable = canon() ? !lines_.empty() : !raw_.empty();
  if (readable) r |= events & (LPOLLIN | LPOLLRDNORM);
  if (!stopped_ && out_room() >= 8) r |= events & (LPOLLOUT | LPOLLWRNORM);
  return r;
}

size_t Tty::master_read(void* buf, size_t n) {
  const size_t k = std::min(n, out_.size());
  if (!k) return 0;
  memcpy(buf, out_.data(), k);
  out_.erase(0, k);
  pts_.waits.wake();
  return k;
}

std::string Tty::master_read_all() {
  std::string s;
  s.swap(out_);
  if (!s.empty()) pts_.waits.wake();
  return s;
}

int64_t Tty::master_read_op(void* buf, uint64_t n, uint32_t oflags) {
  if (n == 0) return 0;
  if (!out_.empty()) return (int64_t)master_read(buf, (size_t)n);
  if (slave_ever_opened_ && slave_opens_ == 0) return -LX_EIO;
  return would_block(oflags);
}

int64_t Tty::master_write_op(const void* buf, uint64_t n, uint32_t oflags) {
  if (n == 0) return 0;
  const size_t k = master_write(buf, (size_t)n);
  return k ? (int64_t)k : would_block(oflags);
}

uint32_t Tty::master_poll(uint32_t events) {
  uint32_t r = 0;
  if (!out_.empty()) r |= events & (LPOLLIN | LPOLLRDNORM);
  if (!input_full()) r |= events & (LPOLLOUT | LPOLLWRNORM);
  if (slave_ever_opened_ && slave_opens_ == 0) r |= LPOLLHUP;
  return r;
}

void Tty::set_winsize(uint16_t rows, uint16_t cols, uint16_t xpixel, uint16_t ypixel) {
  const lx_winsize w = {rows, cols, xpixel, ypixel};
  if (!memcmp(&w, &ws_, sizeof w)) return;
  ws_ = w;
  if (pgrp_) send_pgrp(pgrp_, LSIGWINCH);
}

void Tty::set_termios(const lx_termios& t) {
  const bool was_canon = canon();
  const uint8_t line = tio_.c_line;
  tio_ = t;
  tio_.c_line = line;
  if (was_canon && !canon()) {  // pending lines and the edited line become raw input
    for (auto& l : lines_) raw_ += l;
    raw_ += edit_;
    lines_.clear();
    lines_bytes_ = 0;
    edit_.clear();
  } else if (!was_canon && canon() && !raw_.empty()) {  // pending raw input: one line
    lines_bytes_ += raw_.size();
    lines_.push_back(std::move(raw_));
    raw_.clear();
  }
  if (!iflag(LT_IXON)) stopped_ = false;
  pts_.waits.wake();
}

// ---- 7. job control -------------------------------------------------------------------

bool Tty::caller_owns_ctty() {
  return !pts_.host || pts_.host->caller_ctty().get() == this;
}

// Linux's __tty_check_change: a background group touching its controlling terminal.
// Returns 0 (go on), -EIO, or kBlock after queueing `sig` to the caller's group (the
// task then stops or runs a handler; the call is re-executed or fails with EINTR).
int64_t Tty::job_check(int sig) {
  TtyHost* h = pts_.host;
  if (!h || h->caller_ctty().get() != this) return 0;
  const int pg = h->caller_pgid();
  if (!pgrp_ || pg == pgrp_) return 0;
  if (h->caller_ignores_or_blocks(sig)) return sig == LSIGTTIN ? -LX_EIO : 0;
  if (h->pgrp_is_orphaned(pg)) return -LX_EIO;
  h->signal_pgrp(pg, sig);
  pts_.waits.wake();
  return kBlock;
}

// ---- 8. ioctl -------------------------------------------------------------------------

namespace {
struct lx_termios2 {
  lx_termios t;
  uint32_t c_ispeed, c_ospeed;
};
static_assert(sizeof(lx_termios) == 36, "kernel termios is 36 bytes");
static_assert(sizeof(lx_termios2) == 44, "kernel termios2 is 44 bytes");

bool put_i32(AddressSpace& mem, uint64_t arg, int32_t v) { return mem.copy_out(arg, &v, 4); }
}  // namespace

int64_t Tty::ioctl_tcsets(uint32_t req, uint64_t arg, AddressSpace& mem, size_t size) {
  if (int64_t r = job_check(LSIGTTOU)) return r;
  lx_termios2 t2;
  if (!mem.copy_in(&t2, arg, size)) return -LX_EFAULT;
  if (req == LT_TCSETSF || req == LT_TCSETSF2) flush_input();
  // TCSETSW waits for the output to drain; a pty's output is never "in transmission".
  set_termios(t2.t);
  return 0;
}

int64_t Tty::ioctl_sctty(uint64_t arg) {
  TtyHost* h = pts_.host;
  if (!h) return -LX_EPERM;
  const int sid = h->caller_sid();
  if (h->caller_is_session_leader() && session_ == sid) return 0;
  if (!h->caller_is_session_leader() || h->caller_ctty()) return -LX_EPERM;
  if (session_) {
    if (arg != 1 || !h->caller_is_admin()) return -LX_EPERM;
    h->clear_session_ctty(session_, this);  // steal it
  }
  session_ = sid;
  pgrp_ = h->caller_pgid();
  h->set_caller_ctty(shared_from_this());
  return 0;
}

int64_t Tty::ioctl_notty() {
  TtyHost* h = pts_.host;
  if (!h || h->caller_ctty().get() != this) return -LX_ENOTTY;
  if (!h->caller_is_session_leader()) {
    h->set_caller_ctty(nullptr);
    return 0;
  }
  // The session leader gives up its terminal: SIGHUP + SIGCONT to the foreground.
  const int sid = session_, pg = pgrp_;
  session_ = pgrp_ = 0;
  if (pg) { send_pgrp(pg, LSIGHUP); send_pgrp(pg, LSIGCONT); }
  h->clear_session_ctty(sid, this);
  h->set_caller_ctty(nullptr);
  return 0;
}

int64_t Tty::ioctl_spgrp(uint64_t arg, AddressSpace& mem) {
  int64_t r = job_check(LSIGTTOU);
  if (r == -LX_EIO) return -LX_ENOTTY;
  if (r) return r;
  int32_t pg;
  if (!mem.copy_in(&pg, arg, 4)) return -LX_EFAULT;
  if (pg < 0) return -LX_EINVAL;
  TtyHost* h = pts_.host;
  if (h) {
    if (h->caller_ctty().get() != this || session_ != h->caller_sid()) return -LX_ENOTTY;
    const int s = h->session_of_pgrp(pg);
    if (s == 0) return -LX_ESRCH;
    if (s != session_) return -LX_EPERM;
  }
  pgrp_ = pg;
  return 0;
}

int64_t Tty::ioctl_flush(int how) {
  if (int64_t r = job_check(LSIGTTOU)) return r;
  switch (how) {
    case LT_TCIFLUSH: flush_input(); break;
    case LT_TCOFLUSH: out_.clear(); break;
    case LT_TCIOFLUSH: flush_input(); out_.clear(); break;
    default: return -LX_EINVAL;
  }
  pts_.waits.wake();
  return 0;
}

int64_t Tty::ioctl_flow(int how) {
  if (int64_t r = job_check(LSIGTTOU)) return r;
  switch (how) {
    case LT_TCOOFF: stopped_ = true; break;
    case LT_TCOON: stopped_ = false; pts_.waits.wake(); break;
    case LT_TCIOFF: if (tio_.c_cc[LT_VSTOP]) out_char(tio_.c_cc[LT_VSTOP]); break;
    case LT_TCION: if (tio_.c_cc[LT_VSTART]) out_char(tio_.c_cc[LT_VSTART]); break;
    default: return -LX_EINVAL;
  }
  return 0;
}

int64_t Tty::ioctl(bool master, uint32_t req, uint64_t arg, AddressSpace& mem) {
  switch (req) {
    case LT_TCGETS:
      return mem.copy_out(arg, &tio_, sizeof tio_) ? 0 : -LX_EFAULT;
    case LT_TCGETS2: {
      lx_termios2 t2 = {tio_, 38400, 38400};
      return mem.copy_out(arg, &t2, sizeof t2) ? 0 : -LX_EFAULT;
    }
    case LT_TCSETS: case LT_TCSETSW: case LT_TCSETSF:
      return ioctl_tcsets(req, arg, mem, sizeof(lx_termios));
    case LT_TCSETS2: case LT_TCSETSW2: case LT_TCSETSF2:
      return ioctl_tcsets(req, arg, mem, sizeof(lx_termios2));
    case LT_TIOCGWINSZ:
      return mem.copy_out(arg, &ws_, sizeof ws_) ? 0 : -LX_EFAULT;
    case LT_TIOCSWINSZ: {
      lx_winsize w;
      if (!mem.copy_in(&w, arg, sizeof w)) return -LX_EFAULT;
      set_winsize(w.ws_row, w.ws_col, w.ws_xpixel, w.ws_ypixel);
      return 0;
    }
    case LT_FIONREAD:
      return put_i32(mem, arg, (int32_t)(master ? out_.size() : input_available())) ? 0 : -LX_EFAULT;
    case LT_TIOCOUTQ:
      return put_i32(mem, arg, (int32_t)(master ? 0 : out_.size())) ? 0 : -LX_EFAULT;
    case LT_TCFLSH: return ioctl_flush((int)arg);
    case LT_TCXONC: return ioctl_flow((int)arg);
    case LT_TCSBRK: case LT_TCSBRKP: case LT_TIOCEXCL: case LT_TIOCNXCL: return 0;
    case LT_TIOCSCTTY: return ioctl_sctty(arg);
    case LT_TIOCNOTTY: return master ? -LX_ENOTTY : ioctl_notty();
    case LT_TIOCGPGRP:
      if (!master && !caller_owns_ctty()) return -LX_ENOTTY;
      return put_i32(mem, arg, pgrp_) ? 0 : -LX_EFAULT;
    case LT_TIOCSPGRP: return ioctl_spgrp(arg, mem);
    case LT_TIOCGSID:
      if (!master && !caller_owns_ctty()) return -LX_ENOTTY;
      if (!session_) return -LX_ENOTTY;
      return put_i32(mem, arg, session_) ? 0 : -LX_EFAULT;
    case LT_TIOCGETD: return put_i32(mem, arg, 0) ? 0 : -LX_EFAULT;  // N_TTY
    case LT_TIOCSETD: {
      int32_t d;
      if (!mem.copy_in(&d, arg, 4)) return -LX_EFAULT;
      return d == 0 ? 0 : -LX_EINVAL;
    }
    case LT_TIOCSTI: {
      uint8_t c;
      if (!mem.copy_in(&c, arg, 1)) return -LX_EFAULT;
      receive_char(c);
      pts_.waits.wake();
      return 0;
    }
    case LT_TIOCGDEV: {
      uint32_t d = (uint32_t)encode_dev(kPtsMajor, (uint32_t)index_);
      return mem.copy_out(arg, &d, 4) ? 0 : -LX_EFAULT;
    }
    default: break;
  }
  if (!master) return -LX_ENOTTY;
  switch (req) {  // master-only requests
    case LT_TIOCGPTN: {
      uint32_t n = (uint32_t)index_;
      return mem.copy_out(arg, &n, 4) ? 0 : -LX_EFAULT;
    }
    case LT_TIOCSPTLCK: {
      int32_t v;
      if (!mem.copy_in(&v, arg, 4)) return -LX_EFAULT;
      locked_ = v != 0;
      return 0;
    }
    case LT_TIOCGPTLCK: return put_i32(mem, arg, locked_ ? 1 : 0) ? 0 : -LX_EFAULT;
    case LT_TIOCPKT: {  // packet mode is not supported; turning it off is fine
      int32_t v;
      if (!mem.copy_in(&v, arg, 4)) return -LX_EFAULT;
      return v ? -LX_EINVAL : 0;
    }
    case LT_TIOCGPKT: return put_i32(mem, arg, 0) ? 0 : -LX_EFAULT;
    case LT_TIOCSIG:
      if (arg < 1 || arg > 64) return -LX_EINVAL;
      if (pgrp_) send_pgrp(pgrp_, (int)arg);
      return 0;
    default: return -LX_ENOTTY;  // TIOCGPTPEER is for the syscall layer (tty.h)
  }
}

// ---- 9. devpts, /dev/tty, console -----------------------------------------------------

InodeRef ptmx_node(Devpts& pts, FileSystem* fs, uint64_t ino) { return std::make_shared<PtyMaster>(pts, fs, ino); }

std::vector<std::pair<std::string, InodeRef>> pts_list(Devpts& pts) {
  std::vector<std::pair<std::string, InodeRef>> v;
  for (size_t i = 0; i < pts.ptys_.size(); i++) {
    auto t = pts.ptys_[i].lock();
    if (t && !t->hung_up() && t->slave_node()) v.emplace_back(std::to_string(i), t->slave_node());
  }
  return v;
}

InodeRef caller_ctty_node(Devpts& pts) {
  if (!pts.host) return nullptr;
  auto t = pts.host->caller_ctty();
  return t ? t->slave_node() : nullptr;
}

std::shared_ptr<Tty> open_console(Devpts& pts, uint16_t rows, uint16_t cols) {
  auto t = Tty::create(pts);
  lx_termios tio = t->termios();
  tio.c_iflag |= LT_IUTF8;
  t->set_termios(tio);
  t->set_winsize(rows, cols);
  return t;
}

std::shared_ptr<Tty> tty_of(const InodeRef& n) {
  if (auto s = std::dynamic_pointer_cast<PtySlave>(n)) return s->tty();
  if (auto m = std::dynamic_pointer_cast<PtyMaster>(n)) return m->tty();
  return nullptr;
}

}  // namespace gb
