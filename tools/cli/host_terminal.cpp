// tools/cli/host_terminal.cpp — raw host terminal and pumps for the guest console (see
// host_terminal.h).
//
// Index
//   1. saved modes and the restore paths (atexit, fatal signals)
//   2. SIGWINCH self-pipe
//   3. HostTerminal
//
// The saved termios and the pipe are process globals because signal handlers need
// them; only one HostTerminal is active at a time. Everything a signal handler does is
// async-signal-safe (tcsetattr, write, signal, raise).
#include "tools/cli/host_terminal.h"

#include "vm/linux/tty.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

namespace gb {

namespace {

// ---- 1. saved modes, restore ----------------------------------------------------------
struct termios g_saved;
volatile sig_atomic_t g_raw = 0;  // raw mode is on (restore is due)
bool g_handlers_installed = false;

constexpr int kFatalSignals[] = {SIGTERM, SIGHUP, SIGINT, SIGQUIT, SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};

void restore_modes() {
  if (g_raw) {
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &g_saved);
    g_raw = 0;
  }
}

void on_fatal_signal(int sig) {
  restore_modes();
  signal(sig, SIG_DFL);
  raise(sig);  // delivered when the handler returns (the signal is blocked in it)
}

void install_restore_handlers() {
  if (g_handlers_installed) return;
  g_handlers_installed = true;
  atexit(restore_modes);
  for (int sig : kFatalSignals) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_fatal_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESETHAND;
    struct sigaction old;
    // Keep a signal the user ignores ignored (e.g. nohup).
    if (sigaction(sig, nullptr, &old) == 0 && old.sa_handler == SIG_IGN) continue;
    sigaction(sig, &sa, nullptr);
  }
}

// ---- 2. SIGWINCH ----------------------------------------------------------------------
int g_winch_pipe[2] = {-1, -1};
volatile sig_atomic_t g_winch = 0;

void on_winch(int) {
  const int saved = errno;
  g_winch = 1;
  if (g_winch_pipe[1] >= 0) {
    const char c = 'w';
    ssize_t r = write(g_winch_pipe[1], &c, 1);  // full pipe: a wakeup is pending anyway
    (void)r;
  }
  errno = saved;
}

void install_winch() {
  if (g_winch_pipe[0] >= 0) return;
  if (pipe(g_winch_pipe) != 0) { g_winch_pipe[0] = g_winch_pipe[1] = -1; return; }
  for (int fd : g_winch_pipe) {
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    fcntl(fd, F_SETFD, FD_CLOEXEC);
  }
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_winch;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  sigaction(SIGWINCH, &sa, nullptr);
}

void drain_winch_pipe() {
  char buf[64];
  while (g_winch_pipe[0] >= 0 && read(g_winch_pipe[0], buf, sizeof buf) > 0) {}
}

// True if fd has input now.
bool readable_now(int fd) {
  struct pollfd p = {fd, POLLIN, 0};
  return poll(&p, 1, 0) > 0 && (p.revents & (POLLIN | POLLHUP | POLLERR));
}

}  // namespace

// ---- 3. HostTerminal ------------------------------------------------------------------

bool HostTerminal::usable() {
#ifdef __EMSCRIPTEN__
  return false;  // node's stdin cannot be put in raw mode and polled from here
#else
  return isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
#endif
}

HostTerminal::~HostTerminal() { restore(); }

bool HostTerminal::start() {
  if (active_) return true;
  if (!usable()) return false;
  if (tcgetattr(STDIN_FILENO, &g_saved) != 0) return false;
  install_restore_handlers();
  install_winch();
  struct termios raw = g_saved;
  raw.c_iflag &= ~(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON | IXOFF);
  raw.c_oflag &= ~OPOST;
  raw.c_lflag &= ~(ECHO | ECHONL | ICANON | ISIG | IEXTEN);
  raw.c_cflag &= ~(CSIZE | PARENB);
  raw.c_cflag |= CS8;
  raw.c_cc[VMIN] = 1;
  raw.c_cc[VTIME] = 0;
  g_raw = 1;  // set before the change so a signal in between restores
  if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &raw) != 0) {
    g_raw = 0;
    return false;
  }
  active_ = true;
  eof_ = false;
  read_winsize();
  return true;
}

void HostTerminal::restore() {
  if (!active_) return;
  restore_modes();
  active_ = false;
}

bool HostTerminal::read_winsize() {
#ifndef __EMSCRIPTEN__
  struct winsize w;
  if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &w) == 0 && w.ws_row && w.ws_col) {
    const bool changed = w.ws_row != rows_ || w.ws_col != cols_;
    rows_ = w.ws_row;
    cols_ = w.ws_col;
    return changed;
  }
#endif
  return false;
}

void HostTerminal::apply_host_keys(Tty& t) const {
  if (!active_) return;
  lx_termios tio = t.termios();
  const int map[][2] = {{LT_VINTR, VINTR}, {LT_VQUIT, VQUIT}, {LT_VERASE, VERASE}, {LT_VKILL, VKILL},
                        {LT_VEOF, VEOF}, {LT_VSTART, VSTART}, {LT_VSTOP, VSTOP}, {LT_VSUSP, VSUSP},
                        {LT_VREPRINT, VREPRINT}, {LT_VWERASE, VWERASE}, {LT_VLNEXT, VLNEXT}};
  for (auto& m : map) tio.c_cc[m[0]] = g_saved.c_cc[m[1]];
  if (g_saved.c_iflag & IUTF8) tio.c_iflag |= LT_IUTF8;
  t.set_termios(tio);
}

size_t HostTerminal::pump_input(Tty& t) {
  if (active_ && !eof_ && pending_.size() < 4096 && readable_now(STDIN_FILENO)) {
    char buf[4096];
    const ssize_t r = read(STDIN_FILENO, buf, sizeof buf);
    if (r > 0) pending_.append(buf, (size_t)r);
    else if (r == 0 || (errno != EINTR && errno != EAGAIN)) eof_ = true;
  }
  if (pending_.empty()) return 0;
  const size_t k = t.master_write(pending_.data(), pending_.size());
  pending_.erase(0, k);
  return k;
}

size_t HostTerminal::pump_output(Tty& t) {
  char buf[4096];
  size_t total = 0;
  for (;;) {
    const size_t n = t.master_read(buf, sizeof buf);
    if (!n) break;
    size_t off = 0;
    while (off < n) {
      const ssize_t w = write(STDOUT_FILENO, buf + off, n - off);
      if (w > 0) { off += (size_t)w; continue; }
      if (w < 0 && errno == EINTR) continue;
      if (w < 0 && errno == EAGAIN) {  // someone made stdout non-blocking: wait for room
        struct pollfd p = {STDOUT_FILENO, POLLOUT, 0};
        poll(&p, 1, 100);
        continue;
      }
      return total;  // stdout is gone; drop the output
    }
    total += n;
  }
  return total;
}

bool HostTerminal::sync_winsize(Tty& t) {
  if (!g_winch) return false;
  g_winch = 0;
  drain_winch_pipe();
  if (!read_winsize()) return false;
  t.set_winsize(rows_, cols_);
  return true;
}

std::vector<struct pollfd> HostTerminal::poll_fds() const {
  std::vector<struct pollfd> v;
  if (active_ && !eof_) v.push_back({STDIN_FILENO, POLLIN, 0});
  if (g_winch_pipe[0] >= 0) v.push_back({g_winch_pipe[0], POLLIN, 0});
  return v;
}

}  // namespace gb
