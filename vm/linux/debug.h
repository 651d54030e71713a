// vm/linux/debug.h — the inspector's control of the machine: pause and resume, step one
// instruction, step over, step out, run to the next system call, breakpoints at an address
// (of the followed process, or of a program by path: those hold in every process running
// it), at a source line of a program built with -g (resolved through its DWARF line table
// when a process runs it), at a system call number and at a signal about to be delivered
// to the followed process (docs/inspector.md, "Control").
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
//     exactly there; the block cache is never modified. A watched task runs interpreted
//     (BlockCache::interpret_only): a compiled region runs on to its next loop head or
//     exit, so it would carry the task past a breakpoint, a step-over's return address or
//     a step-out's `ret` in a later block of the region (with the JIT on, issue 11).
//   * A stop ("halted") freezes the whole machine: Kernel::run returns at once and the
//     embedder stops calling it until resume()/step(). Terminal input keeps arriving in
//     the line discipline meanwhile (nothing is lost; it is read when the guest runs).
//   * Resuming or stepping from a breakpoint executes that instruction once without
//     stopping on it again (skip: the task, its rip and its instruction count).
//   * Step out stops after the first `ret` the task executes from a stack slot at or above
//     its stack pointer when asked (a deeper call's `ret` pops a slot below it), so it
//     needs no frame pointer and no symbols: right in a leaf, at a function's first
//     instruction, after `leave`, and through tail calls (it returns to the caller's caller).
//   * A signal breakpoint stops before the signal is acted on (a fault: before the
//     handler or the kill, rip still at the faulting instruction); resuming delivers it
//     (the fault re-executes and this time the signal goes through: pass_*).
// No text and no UI here; the embedder (web/engine/glassbox_web.cpp) maps requests to
// these calls and reads the state through vm/linux/inspect_state.h.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "vm/cpu/interp.h"

namespace gb {

class Task;
class Kernel;
struct Mm;

class Debugger {
 public:
  enum Reason : uint32_t { None = 0, Paused = 1, Step = 2, Breakpoint = 3, Syscall = 4, Exited = 5, Signal = 6 };
  struct PathBreak {  // a breakpoint in a program: its file and its link-time address
    std::string path;
    uint64_t vaddr = 0;
    bool pie = false;  // ET_DYN: relocated by the load address of the file's offset-0 mapping
  };
  struct LineBreak {  // a source line of a program built with -g: "hello.c", 5
    std::string path;  // the program (its exe path); "": any program whose line table has code for it
    std::string file;  // a source file: a bare name matches any directory, else a path suffix
    uint32_t line = 0;
  };

  // ---- state the embedder reads ----
  bool halted = false;
  Reason reason = None;
  int stop_pid = 0, stop_tid = 0;  // the task that stopped (0: the machine was paused between slices)
  int stop_signal = 0;             // reason Signal: the signal about to be delivered
  uint64_t stops = 0;              // counts every stop (the page asks for state when it changes)
  int target_pid = 0;              // the followed process (set by the embedder before running)

  // ---- breakpoints ----
  std::vector<uint64_t> addr_breaks;   // in the followed process
  std::vector<PathBreak> path_breaks;  // in any process running that file
  std::vector<uint32_t> syscall_breaks;  // syscall numbers, in the followed process
  std::vector<LineBreak> line_breaks;    // in any process running that program
  std::vector<int> signal_breaks;        // signal numbers, delivered to the followed process
  // Call after changing path_breaks or line_breaks of a program that may already run.
  void breakpoints_changed() { gen_++; pathless_.clear(); }
  // The kernel's hook after a successful execve: a line breakpoint without a program
  // looks at that program's line table again (it may have been rebuilt).
  void exec_done(const Task& t);

  // ---- commands ----
  void pause(int pid, int tid) { halt(Paused, pid, tid); }
  void resume(Kernel& k);                 // run on (past a breakpoint it stopped at)
  void step(Kernel& k, int tid);          // one instruction of task `tid`, then stop
  void run_to_syscall(Kernel& k, int tid);  // stop before the task's next `syscall`
  // Step over: a call runs to its return (the next instruction with the stack pointer
  // back at or above the call's); anything else is one step.
  void step_over(Kernel& k, int tid);
  // Step out: run until the current function returns (see "Step out" above).
  void step_out(Kernel& k, int tid);

  // The kernel's hook before it acts on signal `sig` for `t` (a fault, or a pending signal
  // it is about to deliver): true if the machine halted instead (the signal waits).
  bool signal_stop(Task& t, int sig);

  // The hook: runs `t` for up to `budget` instructions (Task::run_slice).
  CpuException run(Task& t, BlockCache& bc, uint64_t budget);

 private:
  int step_tid_ = 0;          // stepping this task: one instruction then stop
  int syscall_tid_ = 0;       // run_to_syscall: this task
  int over_tid_ = 0;          // step_over: stop this task at over_rip_ with rsp >= over_rsp_
  uint64_t over_rip_ = 0, over_rsp_ = 0;
  int out_tid_ = 0;           // step_out: stop this task after a ret from a slot >= out_rsp_
  uint64_t out_rsp_ = 0;
  int pass_tid_ = 0, pass_sig_ = 0;  // a signal stop resumed: that delivery goes through
  uint64_t pass_icount_ = 0;
  uint64_t gen_ = 0, resolved_gen_ = ~0ull;
  int skip_tid_ = 0;          // the first instruction after a stop does not stop again
  uint64_t skip_rip_ = 0, skip_icount_ = 0;
  // path breakpoints resolved for one address space
  const Mm* resolved_mm_ = nullptr;
  std::string resolved_exe_;
  size_t resolved_n_ = 0;
  std::vector<uint64_t> resolved_;
  // line breakpoints without a program: exe -> whether its line table has code for one
  // (read once per program, again after each exec of it and when the breakpoints change)
  mutable std::map<std::string, bool> pathless_;
  bool pathless_match(const Task& t) const;

  void halt(Reason r, int pid, int tid);
  void skip_from(Kernel& k, int tid);
  bool watches(const Task& t) const;
  void resolve(Task& t);
  bool is_break(const Task& t, uint64_t rip) const;
  bool break_inside(const Task& t, uint64_t start, uint64_t end) const;
};

}  // namespace gb
