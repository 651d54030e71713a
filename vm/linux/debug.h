// vm/linux/debug.h — the inspector's control of the machine: pause and resume, step one
// instruction, run to the next system call, breakpoints at an address (of the followed
// process, or of a program by path: those hold in every process running it) and at a
// system call number (docs/inspector.md, "Control").
//
// How it runs (the kernel's only hooks: Task::run_slice calls Debugger::run instead of
// gb::run when a Debugger is attached, and Kernel::run returns as soon as it is halted):
//   * A task nobody watches runs gb::run as before: one predictable branch per slice.
//   * A watched task runs block by block (gb::run with a budget of 1 runs exactly one
//     decoded block). Before each block the debugger checks rip against the breakpoints
//     and, when it watches system calls, whether rip is at a `syscall` instruction. A block
//     holding a breakpoint (or a watched `syscall`) past its first byte is single-stepped
//     instruction by instruction (step_one: decode one instruction and run its handler,
//     with the run loop's rip/icount/fault rules), so an address inside a block stops
//     exactly there; the block cache is never modified.
//   * A stop ("halted") freezes the whole machine: Kernel::run returns at once and the
//     embedder stops calling it until resume()/step(). Terminal input keeps arriving in
//     the line discipline meanwhile (nothing is lost; it is read when the guest runs).
//   * Resuming or stepping from a breakpoint executes that instruction once without
//     stopping on it again (skip: the task, its rip and its instruction count).
// No text and no UI here; the embedder (web/engine/glassbox_web.cpp) maps requests to
// these calls and reads the state through vm/linux/inspect_state.h.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "vm/cpu/interp.h"

namespace gb {

class Task;
class Kernel;
struct Mm;

class Debugger {
 public:
  enum Reason : uint32_t { None = 0, Paused = 1, Step = 2, Breakpoint = 3, Syscall = 4, Exited = 5 };
  struct PathBreak {  // a breakpoint in a program: its file and its link-time address
    std::string path;
    uint64_t vaddr = 0;
    bool pie = false;  // ET_DYN: relocated by the load address of the file's offset-0 mapping
  };

  // ---- state the embedder reads ----
  bool halted = false;
  Reason reason = None;
  int stop_pid = 0, stop_tid = 0;  // the task that stopped (0: the machine was paused between slices)
  uint64_t stops = 0;              // counts every stop (the page asks for state when it changes)
  int target_pid = 0;              // the followed process (set by the embedder before running)

  // ---- breakpoints ----
  std::vector<uint64_t> addr_breaks;   // in the followed process
  std::vector<PathBreak> path_breaks;  // in any process running that file
  std::vector<uint32_t> syscall_breaks;  // syscall numbers, in the followed process

  // ---- commands ----
  void pause(int pid, int tid) { halt(Paused, pid, tid); }
  void resume(Kernel& k);                 // run on (past a breakpoint it stopped at)
  void step(Kernel& k, int tid);          // one instruction of task `tid`, then stop
  void run_to_syscall(Kernel& k, int tid);  // stop before the task's next `syscall`
  // Step over: a call runs to its return (the next instruction with the stack pointer
  // back at or above the call's); anything else is one step.
  void step_over(Kernel& k, int tid);

  // The hook: runs `t` for up to `budget` instructions (Task::run_slice).
  CpuException run(Task& t, BlockCache& bc, uint64_t budget);

 private:
  int step_tid_ = 0;          // stepping this task: one instruction then stop
  int syscall_tid_ = 0;       // run_to_syscall: this task
  int over_tid_ = 0;          // step_over: stop this task at over_rip_ with rsp >= over_rsp_
  uint64_t over_rip_ = 0, over_rsp_ = 0;
  int skip_tid_ = 0;          // the first instruction after a stop does not stop again
  uint64_t skip_rip_ = 0, skip_icount_ = 0;
  // path breakpoints resolved for one address space
  const Mm* resolved_mm_ = nullptr;
  std::string resolved_exe_;
  size_t resolved_n_ = 0;
  std::vector<uint64_t> resolved_;

  void halt(Reason r, int pid, int tid);
  void skip_from(Kernel& k, int tid);
  bool watches(const Task& t) const;
  void resolve(Task& t);
  bool is_break(const Task& t, uint64_t rip) const;
  bool break_inside(const Task& t, uint64_t start, uint64_t end) const;
};

}  // namespace gb
