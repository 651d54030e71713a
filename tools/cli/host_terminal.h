// tools/cli/host_terminal.h — the CLI's host terminal when the guest gets a pty: raw
// mode on the host (restored on every exit path), the host window size, and
// non-blocking pumps between the host's stdin/stdout and the master side of a guest
// Tty (vm/linux/tty.h).
//
// Index
//   1. HostTerminal::usable(): should the CLI give the guest a pty at all
//   2. start()/restore(): raw mode, atexit + fatal-signal restore, SIGWINCH self-pipe
//   3. pumps: pump_input(), pump_output(), sync_winsize(), poll_fds()
//
// Intended wiring (tools/cli/main.cpp, cmd_run, once the scheduler runs tasks):
//
//   HostTerminal term;
//   std::shared_ptr<Tty> console;
//   if (HostTerminal::usable() && term.start()) {       // else: keep host stdio as today
//     console = open_console(term.rows(), term.cols());  // vm/linux/tty.h, /dev/pts/0
//     term.apply_host_keys(*console);                    // host's ^H/^? erase etc.
//     // first process: fds 0/1/2 = open_inode(Loc{console->slave_node(), console->name()},
//     //   LO_RDWR | LO_NOCTTY, f) (one description, dup'd to 0,1,2); the process is a
//     //   session leader (sid = pgid = pid) with console as its controlling terminal:
//     //   console->attach_session(pid, pid) + the kernel's ctty field for that process.
//   }
//   for (;;) {
//     RunResult r = kernel.run(budget);
//     if (console) { term.pump_input(*console); term.sync_winsize(*console); term.pump_output(*console); }
//     if (first process tree is gone) break;
//     if (r.state == idle) wait on poll(term.poll_fds() + the kernel's host fds, timeout from
//       r.wake_at_ns), then pump again (pump_input wakes the machine's waiters through the tty).
//     if (console && term.input_eof()) console->close_master();   // host terminal went away
//   }
//   if (console) { term.pump_output(*console); console->close_master(); }
//   term.restore();   // also runs from atexit and from SIGTERM/SIGHUP/SIGSEGV... handlers
//
// The guest's ^C reaches the guest (host ISIG is off): the line discipline sends SIGINT
// to the guest's foreground process group. Output post-processing (ONLCR) is done by the
// guest tty, so the host's OPOST is off too; restore() before printing CLI messages.
// The node build has no raw host terminal: usable() is false there (host stdio is kept).
#pragma once
#include <poll.h>

#include <cstdint>
#include <string>
#include <vector>

namespace gb {

class Tty;

class HostTerminal {
 public:
  // stdin and stdout are terminals and this build can drive them (native only).
  static bool usable();

  ~HostTerminal();
  // Saves the host modes and switches to raw mode; installs the restore handlers and
  // the SIGWINCH watcher. Returns false (and changes nothing) if not usable.
  bool start();
  // Restores the saved modes (idempotent; also called from atexit and fatal signals).
  void restore();
  bool active() const { return active_; }

  // Host window size (24x80 when unknown).
  uint16_t rows() const { return rows_; }
  uint16_t cols() const { return cols_; }
  // Copies the host's control characters (erase, kill, intr ...) and IUTF8 into the tty.
  void apply_host_keys(Tty& t) const;

  // Reads what host stdin has now (never blocks) and types it into the tty; bytes the
  // tty cannot take yet are kept for the next call. Returns bytes delivered.
  size_t pump_input(Tty& t);
  // Writes all pending tty output to host stdout. Returns bytes written.
  size_t pump_output(Tty& t);
  // After SIGWINCH: re-reads the host size and passes it on (SIGWINCH in the guest).
  // Returns true if the size changed.
  bool sync_winsize(Tty& t);
  // Host stdin reached end of file or failed (the terminal went away).
  bool input_eof() const { return eof_; }
  // What to wait on when the guest is idle: stdin (POLLIN) and the SIGWINCH pipe.
  std::vector<struct pollfd> poll_fds() const;

 private:
  bool read_winsize();
  bool active_ = false;
  bool eof_ = false;
  uint16_t rows_ = 24, cols_ = 80;
  std::string pending_;  // stdin bytes the tty did not accept yet
};

}  // namespace gb
