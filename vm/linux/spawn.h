// vm/linux/spawn.h — a process the embedder starts beside the terminal's (a lesson's
// check, a tool run by the IDE): its own session with no terminal, stdin fed from a
// buffer, stdout and stderr collected up to a cap, its exit status kept after the kernel
// reaps it.
//
// Design notes
//   * The process is a child of "1" (outside the machine), as init is: nobody in the
//     guest can wait for it, and the kernel reaps it at once when it exits. The kernel
//     keeps the wait status for pids it was asked to watch (Kernel::watched_exits).
//   * Its fds 0, 1 and 2 are pipes whose other ends the Spawned object holds; pump()
//     moves bytes between them and the buffers without blocking, between kernel runs.
//     Output past the cap is read and dropped (the writer never blocks on a full pipe,
//     so a program that floods its output still ends), and `truncated` says so.
//   * With capture_events, the machine's trace events of the process and of every
//     process it forks (exec, exit, signal, fault, system calls, file-system reads) are
//     kept as they happen (system calls and disk reads up to max_events; exec, fork,
//     exit, signal and fault events always): what a lesson's "events" check reads.
//   * kill() sends SIGKILL to its process group (a timeout: the command and whatever it
//     started go together).
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "vm/linux/file.h"
#include "vm/trace/trace.h"

namespace gb {

class Kernel;

struct SpawnSpec {
  std::vector<std::string> argv;  // argv[0] is the path to execute
  std::vector<std::string> env;
  std::string cwd = "/";
  uint32_t uid = 0, gid = 0;
  std::string stdin_data;          // then EOF
  size_t out_cap = 64 * 1024;      // bytes kept of stdout and of stderr each
  bool capture_events = false;
  size_t max_events = 20000;  // system calls and disk reads kept (process events: all)
};

// One trace event of a spawned process tree (vm/trace/trace.h's TraceEvent, kept small).
struct SpawnEvent {
  const char* kind;  // trace_kind_name: "exec", "exit", "signal", "fault", "syscall-exit", ...
  int pid;
  int nr;            // syscall or signal number
  int64_t ret;       // syscall result or exit status
  std::string text;  // strace-style line, path, "killed by SIGSEGV", ...
};

class Spawned {
 public:
  // Starts the process. Null and `err` set (the reason, with the errno name) on failure.
  static std::unique_ptr<Spawned> start(Kernel& k, const SpawnSpec& spec, std::string& err);
  ~Spawned();
  Spawned(const Spawned&) = delete;

  // Moves stdin bytes in and output out; call between kernel runs. Returns true when
  // something moved.
  bool pump();
  // The process has exited and its output is drained.
  // After kill() the output is not waited for (a descendant that left the group may
  // hold the pipes open).
  bool done() const { return exited_ && ((out_eof_ && err_eof_) || killed_); }
  void kill();

  int pid = 0;
  int wait_status = -1;  // Linux's wait status once exited (code << 8, or the signal)
  std::string out, err;
  bool out_truncated = false, err_truncated = false;
  std::vector<SpawnEvent> events;
  bool events_truncated = false;

 private:
  Spawned(Kernel& k) : k_(k) {}
  bool drain(FileRef& f, std::string& buf, bool& truncated, bool& eof);
  void on_event(const TraceEvent& e);
  Kernel& k_;
  size_t cap_ = 0;
  std::string in_;
  size_t in_pos_ = 0;
  FileRef in_w_, out_r_, err_r_;
  bool killed_ = false;
  bool exited_ = false, out_eof_ = false, err_eof_ = false;
  int listener_ = 0;           // trace subscription while capturing events
  std::vector<int> tree_;      // pids and tids of the process and its descendants
  size_t max_events_ = 0;
  size_t bulk_events_ = 0;     // of events: system calls and disk reads
  static constexpr size_t kMaxProcessEvents = 10000;
};

}  // namespace gb
