// inspector/model/process_model.h — the Processes panel's model: the tree of tasks built
// from Fork, Exec and Exit records (plus any record, for instructions retired). Plain data,
// no drawing, no ImGui: unit-tested natively (tests/unit/test_inspector.cpp).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "inspector/model/records.h"

namespace gbi {

struct ProcRow {
  enum State : uint8_t { Running, Exited, Killed };
  int tid = 0;          // the task
  int pid = 0;          // its thread group (== tid for a process)
  int parent = 0;       // the tid that created it (0: before the trace began)
  State state = Running;
  int status = 0;       // wait status at exit (code << 8 | signal)
  uint64_t icount = 0;  // instructions this task retired itself (not counting its parent's
                        // before the fork): Stat/Exit figures, else the latest record's count
  uint64_t icount_base = 0;  // the record count it was forked with (the parent's)
  uint64_t cpu_ns = 0;       // CPU time (Stat and Exit records; 0 until the first)
  uint64_t jit_icount = 0;   // of icount, run as compiled code (the JIT tier)
  bool jit_tier = false;     // its address space has the JIT tier
  bool figures = false;      // a Stat or Exit record gave cpu_ns / jit_icount
  uint64_t start_ns = 0, end_ns = 0;  // fork (or first record) and exit times
  uint64_t exec_ns[4] = {};  // the first four execs' times (the timeline's ticks)
  uint32_t execs = 0;
  bool thread = false;  // created with CLONE_THREAD
  std::string cmdline;  // argv joined by spaces (inherited from the parent until exec)
  std::string program;  // basename of argv[0] of the last exec
};

struct ProcessModel {
  std::vector<ProcRow> rows;  // creation order (a parent before its children)
  size_t max_rows = 10000;    // beyond it the oldest ended tasks go (a fork bomb, a long session)
  uint64_t discarded = 0;
  uint64_t first_ns = 0, last_ns = 0;  // the timeline's span: the first and latest record

  void apply(const TraceRecord& r);
  ProcRow* find(int tid);
  const ProcRow* find(int tid) const;
  int depth(const ProcRow& row) const;  // for the tree's indentation
  // Appends the model as JSON (the test hook) / as plain text (the screen-reader mirror).
  void to_json(std::string& out) const;
  void to_text(std::string& out, int followed_pid = 0) const;

 private:
  ProcRow& ensure(int tid, int pid);
  void trim();
};

const char* proc_state_name(ProcRow::State s);
// "interpreter", "interpreter (JIT on)" or "JIT 73%" (the share of instructions compiled).
void tier_text(const ProcRow& p, char* buf, size_t n);

}  // namespace gbi
