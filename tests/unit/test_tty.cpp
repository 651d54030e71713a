// tests/unit/test_tty.cpp — the pty line discipline (vm/linux/tty.h) against a fake
// TtyHost: canonical editing and echo, signal characters, output/input translation,
// raw mode VMIN/VTIME, EOF, window size, process groups, job control, hangup, and the
// /dev/ptmx inode (lock, index, devpts listing).
#include <doctest/doctest.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "vm/linux/file.h"
#include "vm/linux/tty.h"

using namespace gb;

namespace {

// One process (pid/pgid/sid) calling into the tty; records signals.
struct FakeHost : TtyHost {
  int pid = 100, pgid = 100, sid = 100;
  std::shared_ptr<Tty> ctty;
  std::vector<std::pair<int, int>> pgrp_signals;  // (pgrp, sig)
  std::vector<std::pair<int, int>> proc_signals;  // (pid, sig)
  std::set<int> ignored;
  std::map<int, int> pgrp_sessions = {{100, 100}, {200, 100}, {300, 999}};
  std::set<int> orphaned;
  uint64_t now = 1000000000ull;
  uint64_t deadline = 0, woken_at = 0;

  int caller_pid() override { return pid; }
  int caller_pgid() override { return pgid; }
  int caller_sid() override { return sid; }
  std::shared_ptr<Tty> caller_ctty() override { return ctty; }
  void set_caller_ctty(std::shared_ptr<Tty> t) override { ctty = std::move(t); }
  void clear_session_ctty(int s, const Tty* t) override {
    if (s == sid && ctty.get() == t) ctty.reset();
  }
  void signal_pgrp(int pg, int sig) override { pgrp_signals.emplace_back(pg, sig); }
  void signal_process(int p, int sig) override { proc_signals.emplace_back(p, sig); }
  int session_of_pgrp(int pg) override {
    auto it = pgrp_sessions.find(pg);
    return it == pgrp_sessions.end() ? 0 : it->second;
  }
  bool pgrp_is_orphaned(int pg) override { return orphaned.count(pg) != 0; }
  bool caller_ignores_or_blocks(int sig) override { return ignored.count(sig) != 0; }
  uint64_t now_ns() override { return now; }
  uint64_t call_deadline_ns(uint64_t rel) override {
    if (!deadline) deadline = now + rel;
    woken_at = deadline;
    return deadline;
  }
  void wake_at_ns(uint64_t abs) override { woken_at = abs; }
  bool got_pgrp(int pg, int sig) const {
    return std::find(pgrp_signals.begin(), pgrp_signals.end(), std::make_pair(pg, sig)) != pgrp_signals.end();
  }
};

// The machine state these tests' ttys belong to (a Kernel owns one of each).
Devpts& pts() {
  static Waits waits;
  static Devpts d(waits);
  return d;
}

// Installs a FakeHost for one test.
struct HostScope {
  FakeHost h;
  HostScope() { pts().host = &h; }
  ~HostScope() { pts().host = nullptr; }
};

// A console-like pair with its slave opened (as guest fds 0/1/2 would be).
struct Pair {
  std::shared_ptr<Tty> t;
  InodeRef slave;
  explicit Pair(bool open_slave = true) {
    t = Tty::create(pts());
    slave = t->slave_node();
    if (open_slave) REQUIRE(slave->on_open(LO_RDWR | LO_NOCTTY) == 0);
  }
  ~Pair() {
    if (t) t->close_master();
  }
  // Reads what the slave can read now (one read call).
  std::string read(uint64_t n = 4096, uint32_t oflags = 0, int64_t* ret = nullptr) {
    std::string buf(n, '\0');
    int64_t r = slave->read(0, &buf[0], n, oflags);
    if (ret) *ret = r;
    return r > 0 ? buf.substr(0, (size_t)r) : std::string();
  }
  int64_t write(const std::string& s, uint32_t oflags = 0) { return slave->write(0, s.data(), s.size(), oflags); }
  std::string screen() { return t->master_read_all(); }
  void set_lflag(uint32_t on, uint32_t off) {
    lx_termios tio = t->termios();
    tio.c_lflag = (tio.c_lflag | on) & ~off;
    t->set_termios(tio);
  }
};

// Guest memory for ioctl arguments.
struct Mem {
  AddressSpace as;
  static constexpr uint64_t kBase = 0x10000;
  Mem() { REQUIRE(as.map(kBase, 4096, 3, true, false, false, nullptr, 0, "test") == (int64_t)kBase); }
  template <class T> void put(const T& v) { REQUIRE(as.copy_out(kBase, &v, sizeof v)); }
  template <class T> T get() { T v; REQUIRE(as.copy_in(&v, kBase, sizeof v)); return v; }
};

}  // namespace

TEST_CASE("tty: canonical line editing and echo") {
  Pair p;
  SUBCASE("a line is readable only when complete") {
    CHECK(p.t->master_write("hello") == 5);
    int64_t r;
    p.read(100, 0, &r);
    CHECK(r == kBlock);
    p.read(100, LO_NONBLOCK, &r);
    CHECK(r == -LX_EAGAIN);
    p.t->master_write("\n");
    CHECK(p.read() == "hello\n");
    CHECK(p.screen() == "hello\r\n");
  }
  SUBCASE("erase, kill, word erase") {
    p.t->master_write("abc\x7f" "d\n");
    CHECK(p.read() == "abd\n");
    CHECK(p.screen() == "abc\b \bd\r\n");
    p.t->master_write("junk\x15ok\n");  // ^U kills the line (ECHOKE: erased visually)
    CHECK(p.read() == "ok\n");
    CHECK(p.screen() == "junk\b \b\b \b\b \b\b \bok\r\n");
    p.t->master_write("one two  \x17three\n");  // ^W: the spaces and "two"
    CHECK(p.read() == "one three\n");
  }
  SUBCASE("erase at the start of a line does nothing") {
    p.t->master_write("\x7f\x7fx\n");
    CHECK(p.read() == "x\n");
    CHECK(p.screen() == "x\r\n");
  }
  SUBCASE("erase of a tab and of a control character") {
    p.t->master_write("ab\t");
    CHECK(p.screen() == "ab\t");
    p.t->master_write("\x7f");
    CHECK(p.screen() == std::string(6, '\b'));  // back from column 8 to 2
    p.t->master_write("\x01");                    // echoed as ^A
    CHECK(p.screen() == "^A");
    p.t->master_write("\x7f\n");
    CHECK(p.screen() == "\b \b\b \b\r\n");
    CHECK(p.read() == "ab\n");
  }
  SUBCASE("UTF-8 erase removes the whole character") {
    lx_termios tio = p.t->termios();
    tio.c_iflag |= LT_IUTF8;
    p.t->set_termios(tio);
    p.t->master_write("a\xc3\xa9\x7f\n");
    CHECK(p.read() == "a\n");
  }
  SUBCASE("a read returns at most one line, a short read leaves the rest") {
    p.t->master_write("first\nsecond\n");
    CHECK(p.read(3) == "fir");
    CHECK(p.read() == "st\n");
    CHECK(p.read() == "second\n");
  }
  SUBCASE("echo off; ECHONL") {
    p.set_lflag(0, LT_ECHO);
    p.t->master_write("secret\n");
    CHECK(p.read() == "secret\n");
    CHECK(p.screen() == "");
    p.set_lflag(LT_ECHONL, 0);
    p.t->master_write("pw\n");
    CHECK(p.screen() == "\r\n");
  }
  SUBCASE("VLNEXT makes the next character literal") {
    p.t->master_write("\x16\x03\n");
    CHECK(p.read() == "\x03\n");
  }
  SUBCASE("VEOL ends a line and is kept") {
    lx_termios tio = p.t->termios();
    tio.c_cc[LT_VEOL] = ';';
    p.t->set_termios(tio);
    p.t->master_write("a;b");
    CHECK(p.read() == "a;");
  }
  SUBCASE("FIONREAD counts complete lines") {
    p.t->master_write("ab\ncd");
    CHECK(p.t->input_available() == 3);
    CHECK(p.slave->readable_bytes(0) == 3);
  }
}

TEST_CASE("tty: EOF") {
  Pair p;
  p.t->master_write("\x04");
  int64_t r = -1;
  p.read(100, 0, &r);
  CHECK(r == 0);
  CHECK(p.screen() == "");  // ^D is not echoed
  p.t->master_write("ab\x04");
  CHECK(p.read() == "ab");
  p.read(100, LO_NONBLOCK, &r);
  CHECK(r == -LX_EAGAIN);
}

TEST_CASE("tty: output and input translation") {
  Pair p;
  SUBCASE("ONLCR") {
    CHECK(p.write("a\nb\n") == 4);
    CHECK(p.screen() == "a\r\nb\r\n");
  }
  SUBCASE("no OPOST: bytes unchanged") {
    lx_termios tio = p.t->termios();
    tio.c_oflag &= ~LT_OPOST;
    p.t->set_termios(tio);
    p.write("a\nb");
    CHECK(p.screen() == "a\nb");
  }
  SUBCASE("OCRNL, ONOCR, XTABS") {
    lx_termios tio = p.t->termios();
    tio.c_oflag = LT_OPOST | LT_OCRNL;
    p.t->set_termios(tio);
    p.write("x\r");
    CHECK(p.screen() == "x\n");
    tio.c_oflag = LT_OPOST | LT_ONOCR | LT_XTABS;
    p.t->set_termios(tio);
    p.write("\r\r\tq");  // the second CR is at column 0: dropped
    CHECK(p.screen() == "\r        q");
  }
  SUBCASE("ICRNL, IGNCR, INLCR") {
    p.t->master_write("x\r");
    CHECK(p.read() == "x\n");
    lx_termios tio = p.t->termios();
    tio.c_iflag = LT_IGNCR;
    p.t->set_termios(tio);
    p.t->master_write("y\r\n");
    CHECK(p.read() == "y\n");
    tio.c_iflag = LT_INLCR;
    tio.c_lflag &= ~LT_ICANON;
    p.t->set_termios(tio);
    p.t->master_write("\n");
    CHECK(p.read() == "\r");
  }
}

TEST_CASE("tty: raw mode VMIN / VTIME") {
  HostScope hs;
  Pair p;
  lx_termios tio = p.t->termios();
  tio.c_lflag &= ~(LT_ICANON | LT_ECHO);
  tio.c_cc[LT_VMIN] = 1;
  tio.c_cc[LT_VTIME] = 0;
  p.t->set_termios(tio);
  int64_t r;
  SUBCASE("VMIN=1: every byte at once, blocks when empty") {
    p.read(10, 0, &r);
    CHECK(r == kBlock);
    p.read(10, LO_NONBLOCK, &r);
    CHECK(r == -LX_EAGAIN);
    p.t->master_write("q");
    CHECK(p.read() == "q");
    p.t->master_write("\x1b[A");
    CHECK(p.read() == "\x1b[A");
    CHECK(p.screen() == "");
  }
  SUBCASE("VMIN=3 waits for three bytes (or n)") {
    tio.c_cc[LT_VMIN] = 3;
    p.t->set_termios(tio);
    p.t->master_write("ab");
    p.read(10, 0, &r);
    CHECK(r == kBlock);
    CHECK(p.read(2) == "ab");  // n < VMIN: n bytes suffice
    p.t->master_write("abcd");
    CHECK(p.read() == "abcd");
  }
  SUBCASE("VMIN=0, VTIME=0 never waits") {
    tio.c_cc[LT_VMIN] = 0;
    p.t->set_termios(tio);
    p.read(10, 0, &r);
    CHECK(r == 0);
    p.t->master_write("z");
    CHECK(p.read() == "z");
  }
  SUBCASE("VMIN=0, VTIME=5: one byte or 0.5 s") {
    tio.c_cc[LT_VMIN] = 0;
    tio.c_cc[LT_VTIME] = 5;
    p.t->set_termios(tio);
    p.read(10, 0, &r);
    CHECK(r == kBlock);
    CHECK(hs.h.woken_at == hs.h.now + 500000000ull);
    hs.h.now += 200000000ull;
    p.read(10, 0, &r);  // a re-execution keeps the deadline
    CHECK(r == kBlock);
    hs.h.now += 300000000ull;
    p.read(10, 0, &r);
    CHECK(r == 0);
  }
  SUBCASE("VMIN=2, VTIME=1: inter-byte timer") {
    tio.c_cc[LT_VMIN] = 2;
    tio.c_cc[LT_VTIME] = 1;
    p.t->set_termios(tio);
    p.t->master_write("a");
    p.read(10, 0, &r);
    CHECK(r == kBlock);
    CHECK(hs.h.woken_at == hs.h.now + 100000000ull);
    hs.h.now += 100000000ull;
    CHECK(p.read() == "a");
  }
  SUBCASE("switching to canonical makes pending raw input a line") {
    p.t->master_write("xy");
    tio.c_lflag |= LT_ICANON;
    p.t->set_termios(tio);
    CHECK(p.read() == "xy");
  }
}

TEST_CASE("tty: signal characters go to the foreground process group") {
  HostScope hs;
  Pair p;
  p.t->attach_session(100, 100);
  hs.h.ctty = p.t;
  p.t->master_write("partial");
  p.screen();
  p.t->master_write("\x03");
  CHECK(hs.h.got_pgrp(100, LSIGINT));
  CHECK(p.screen() == "^C");
  p.t->master_write("\n");
  CHECK(p.read() == "\n");  // the partial line was flushed
  p.t->master_write("\x1c\x1a");
  CHECK(hs.h.got_pgrp(100, LSIGQUIT));
  CHECK(hs.h.got_pgrp(100, LSIGTSTP));
  SUBCASE("NOFLSH keeps the input; no ISIG: a plain byte") {
    p.set_lflag(LT_NOFLSH, 0);
    p.t->master_write("keep\x03\n");
    CHECK(p.read() == "keep\n");
    p.set_lflag(0, LT_ISIG);
    hs.h.pgrp_signals.clear();
    p.t->master_write("\x03\n");
    CHECK(hs.h.pgrp_signals.empty());
    CHECK(p.read() == "\x03\n");
  }
}

TEST_CASE("tty: window size and SIGWINCH") {
  HostScope hs;
  Pair p;
  Mem m;
  p.t->attach_session(100, 100);
  hs.h.ctty = p.t;
  p.t->set_winsize(40, 120);
  CHECK(hs.h.got_pgrp(100, LSIGWINCH));
  CHECK(p.slave->ioctl(LT_TIOCGWINSZ, Mem::kBase, m.as) == 0);
  auto w = m.get<lx_winsize>();
  CHECK(w.ws_row == 40);
  CHECK(w.ws_col == 120);
  hs.h.pgrp_signals.clear();
  p.t->set_winsize(40, 120);  // unchanged: no signal
  CHECK(hs.h.pgrp_signals.empty());
  m.put(lx_winsize{10, 20, 0, 0});
  CHECK(p.slave->ioctl(LT_TIOCSWINSZ, Mem::kBase, m.as) == 0);
  CHECK(p.t->winsize().ws_row == 10);
  CHECK(hs.h.got_pgrp(100, LSIGWINCH));
}

TEST_CASE("tty: termios ioctls") {
  Pair p;
  Mem m;
  CHECK(p.slave->ioctl(LT_TCGETS, Mem::kBase, m.as) == 0);
  lx_termios t = m.get<lx_termios>();
  CHECK(t.c_lflag == 0x8a3b);
  CHECK(t.c_iflag == 0x500);
  CHECK(t.c_cc[LT_VINTR] == 3);
  CHECK(t.c_cc[LT_VMIN] == 1);
  t.c_lflag &= ~LT_ICANON;
  m.put(t);
  CHECK(p.slave->ioctl(LT_TCSETSF, Mem::kBase, m.as) == 0);
  CHECK(!(p.t->termios().c_lflag & LT_ICANON));
  CHECK(p.slave->ioctl(LT_TCSBRK, 1, m.as) == 0);  // tcdrain
  CHECK(p.slave->ioctl(LT_TIOCGPTN, Mem::kBase, m.as) == -LX_ENOTTY);  // master only
  CHECK(p.slave->ioctl(0x1234, 0, m.as) == -LX_ENOTTY);
}

TEST_CASE("tty: controlling terminal, TIOCSPGRP, TIOCGSID") {
  HostScope hs;
  Pair p;
  Mem m;
  // Not our terminal yet.
  CHECK(p.slave->ioctl(LT_TIOCGPGRP, Mem::kBase, m.as) == -LX_ENOTTY);
  // A non-leader cannot acquire it.
  hs.h.pid = 101;
  CHECK(p.slave->ioctl(LT_TIOCSCTTY, 0, m.as) == -LX_EPERM);
  hs.h.pid = 100;
  CHECK(p.slave->ioctl(LT_TIOCSCTTY, 0, m.as) == 0);
  CHECK(hs.h.ctty.get() == p.t.get());
  CHECK(p.t->session() == 100);
  CHECK(p.slave->ioctl(LT_TIOCGPGRP, Mem::kBase, m.as) == 0);
  CHECK(m.get<int32_t>() == 100);
  CHECK(p.slave->ioctl(LT_TIOCGSID, Mem::kBase, m.as) == 0);
  CHECK(m.get<int32_t>() == 100);
  m.put<int32_t>(200);
  CHECK(p.slave->ioctl(LT_TIOCSPGRP, Mem::kBase, m.as) == 0);
  CHECK(p.t->fg_pgrp() == 200);
  hs.h.ignored.insert(LSIGTTOU);  // now in the background (like bash, ignore SIGTTOU)
  m.put<int32_t>(300);  // another session
  CHECK(p.slave->ioctl(LT_TIOCSPGRP, Mem::kBase, m.as) == -LX_EPERM);
  m.put<int32_t>(4242);  // no such group
  CHECK(p.slave->ioctl(LT_TIOCSPGRP, Mem::kBase, m.as) == -LX_ESRCH);
  SUBCASE("TIOCNOTTY by the leader hangs up the foreground") {
    CHECK(p.slave->ioctl(LT_TIOCNOTTY, 0, m.as) == 0);
    CHECK(!hs.h.ctty);
    CHECK(hs.h.got_pgrp(200, LSIGHUP));
    CHECK(p.t->session() == 0);
  }
  SUBCASE("opening the slave makes it the ctty of a session leader") {
    Pair q(false);
    hs.h.ctty.reset();
    p.t->attach_session(0, 0);
    CHECK(q.slave->on_open(LO_RDWR) == 0);
    CHECK(hs.h.ctty.get() == q.t.get());
    CHECK(q.t->session() == 100);
    CHECK(q.t->fg_pgrp() == 100);
    hs.h.ctty.reset();
  }
}

TEST_CASE("tty: job control for background groups") {
  HostScope hs;
  Pair p;
  Mem m;
  p.t->attach_session(100, 200);  // foreground is group 200
  hs.h.ctty = p.t;
  p.t->master_write("line\n");
  int64_t r;
  SUBCASE("background read: SIGTTIN to the caller's group") {
    p.read(100, 0, &r);
    CHECK(r == kBlock);
    CHECK(hs.h.got_pgrp(100, LSIGTTIN));
    CHECK(p.t->input_available() == 5);  // nothing consumed
  }
  SUBCASE("SIGTTIN ignored or orphaned group: EIO") {
    hs.h.ignored.insert(LSIGTTIN);
    p.read(100, 0, &r);
    CHECK(r == -LX_EIO);
    hs.h.ignored.clear();
    hs.h.orphaned.insert(100);
    p.read(100, 0, &r);
    CHECK(r == -LX_EIO);
    CHECK(hs.h.pgrp_signals.empty());
  }
  SUBCASE("foreground read works") {
    hs.h.pgid = 200;
    CHECK(p.read() == "line\n");
  }
  SUBCASE("background write: allowed unless TOSTOP") {
    CHECK(p.write("x") == 1);
    p.set_lflag(LT_TOSTOP, 0);
    CHECK(p.write("x") == kBlock);
    CHECK(hs.h.got_pgrp(100, LSIGTTOU));
    hs.h.ignored.insert(LSIGTTOU);
    CHECK(p.write("y") == 1);
  }
  SUBCASE("background tcsetattr: SIGTTOU unless ignored") {
    CHECK(p.slave->ioctl(LT_TCGETS, Mem::kBase, m.as) == 0);
    CHECK(p.slave->ioctl(LT_TCSETS, Mem::kBase, m.as) == kBlock);
    CHECK(hs.h.got_pgrp(100, LSIGTTOU));
    hs.h.ignored.insert(LSIGTTOU);
    CHECK(p.slave->ioctl(LT_TCSETS, Mem::kBase, m.as) == 0);
    // bash: tcsetpgrp with SIGTTOU blocked brings itself to the foreground
    m.put<int32_t>(100);
    CHECK(p.slave->ioctl(LT_TIOCSPGRP, Mem::kBase, m.as) == 0);
    CHECK(p.t->fg_pgrp() == 100);
  }
  SUBCASE("not the caller's terminal: no job control") {
    hs.h.ctty.reset();
    CHECK(p.read() == "line\n");
  }
}

TEST_CASE("tty: hangup") {
  HostScope hs;
  SUBCASE("master closes: slave reads 0, writes EIO, SIGHUP") {
    Pair p;
    p.t->attach_session(100, 200);
    hs.h.ctty = p.t;
    auto t = p.t;
    p.t.reset();
    t->close_master();
    CHECK(t->hung_up());
    CHECK(hs.h.got_pgrp(200, LSIGHUP));
    CHECK(std::find(hs.h.proc_signals.begin(), hs.h.proc_signals.end(), std::make_pair(100, (int)LSIGHUP)) !=
          hs.h.proc_signals.end());
    CHECK(!hs.h.ctty);
    char c;
    CHECK(p.slave->read(0, &c, 1, 0) == 0);
    CHECK(p.slave->write(0, "x", 1, 0) == -LX_EIO);
    CHECK((p.slave->poll(LPOLLIN) & LPOLLHUP));
    p.slave->on_close(LO_RDWR);
  }
  SUBCASE("slave closes: master reads the rest, then EIO") {
    Pair p;
    Mem m;
    InodeRef master = ptmx_node(pts(), nullptr, 2);
    REQUIRE(master->on_open(LO_RDWR) == 0);
    auto t = tty_of(master);
    REQUIRE(t.get() != nullptr);
    InodeRef slave = t->slave_node();
    CHECK(slave->on_open(LO_RDWR | LO_NOCTTY) == -LX_EIO);  // locked
    m.put<int32_t>(0);
    CHECK(master->ioctl(LT_TIOCSPTLCK, Mem::kBase, m.as) == 0);
    REQUIRE(slave->on_open(LO_RDWR | LO_NOCTTY) == 0);
    CHECK(slave->write(0, "bye\n", 4, 0) == 4);
    slave->on_close(LO_RDWR);
    char buf[16];
    CHECK(master->read(0, buf, sizeof buf, 0) == 5);
    CHECK(std::string(buf, 5) == "bye\r\n");
    CHECK(master->read(0, buf, sizeof buf, 0) == -LX_EIO);
    CHECK((master->poll(LPOLLIN) & LPOLLHUP));
    master->on_close(LO_RDWR);
    CHECK(t->hung_up());
  }
}

TEST_CASE("tty: /dev/ptmx pairs") {
  Mem m;
  InodeRef a = ptmx_node(pts(), nullptr, 2), b = ptmx_node(pts(), nullptr, 2);
  REQUIRE(a->on_open(LO_RDWR) == 0);
  REQUIRE(b->on_open(LO_RDWR) == 0);
  CHECK(a->ioctl(LT_TIOCGPTN, Mem::kBase, m.as) == 0);
  const uint32_t na = m.get<uint32_t>();
  CHECK(b->ioctl(LT_TIOCGPTN, Mem::kBase, m.as) == 0);
  const uint32_t nb = m.get<uint32_t>();
  CHECK(na != nb);
  CHECK(a->ioctl(LT_TIOCGPTLCK, Mem::kBase, m.as) == 0);
  CHECK(m.get<int32_t>() == 1);
  auto names = [] {
    std::set<std::string> s;
    for (auto& e : pts_list(pts())) s.insert(e.first);
    return s;
  };
  CHECK(names().count(std::to_string(na)) == 1);
  CHECK(names().count(std::to_string(nb)) == 1);
  Stat st;
  tty_of(a)->slave_node()->getattr(st);
  CHECK(st.rdev == ((uint64_t)kPtsMajor << 8 | na));
  CHECK((st.mode & LS_IFMT) == LS_IFCHR);
  // Master writes are typed input; slave output comes back processed.
  m.put<int32_t>(0);
  a->ioctl(LT_TIOCSPTLCK, Mem::kBase, m.as);
  InodeRef s = tty_of(a)->slave_node();
  REQUIRE(s->on_open(LO_RDWR | LO_NOCTTY) == 0);
  CHECK(a->write(0, "ls\r", 3, 0) == 3);
  char buf[16];
  CHECK(s->read(0, buf, sizeof buf, 0) == 3);
  CHECK(std::string(buf, 3) == "ls\n");
  CHECK(a->read(0, buf, sizeof buf, 0) == 4);  // the echo
  CHECK(std::string(buf, 4) == "ls\r\n");
  CHECK(a->read(0, buf, sizeof buf, LO_NONBLOCK) == -LX_EAGAIN);
  CHECK((a->poll(LPOLLIN | LPOLLOUT) & (LPOLLIN | LPOLLOUT)) == LPOLLOUT);
  s->on_close(LO_RDWR);
  a->on_close(LO_RDWR);
  b->on_close(LO_RDWR);
  CHECK(names().count(std::to_string(na)) == 0);
}

TEST_CASE("tty: console") {
  auto t = open_console(pts(), 30, 100);
  CHECK(t->winsize().ws_col == 100);
  CHECK((t->termios().c_iflag & LT_IUTF8));
  InodeRef s = t->slave_node();
  REQUIRE(s->on_open(LO_RDWR | LO_NOCTTY) == 0);  // a console is never locked
  t->master_write("\xc3\xa9x\x7f\x7f\r");
  char buf[8];
  CHECK(s->read(0, buf, sizeof buf, 0) == 1);
  CHECK(buf[0] == '\n');
  s->on_close(LO_RDWR);
  t->close_master();
}

TEST_CASE("tty: IXON flow control") {
  Pair p;
  p.t->master_write("\x13");  // ^S
  CHECK(p.write("x") == kBlock);
  CHECK(p.write("x", LO_NONBLOCK) == -LX_EAGAIN);
  CHECK(!(p.slave->poll(LPOLLOUT) & LPOLLOUT));
  p.t->master_write("\x11");  // ^Q
  CHECK(p.write("x") == 1);
}
