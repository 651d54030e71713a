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
  uint64_t icount = 0;  // instructions retired (the latest record of this task)
  uint64_t start_ns = 0, end_ns = 0;
  uint32_t execs = 0;
  bool thread = false;  // created with CLONE_THREAD
  std::string cmdline;  // argv joined by spaces (inherited from the parent until exec)
  std::string program;  // basename of argv[0] of the last exec
};

struct ProcessModel {
  std::vector<ProcRow> rows;  // creation order (a parent before its children)
  size_t max_rows = 10000;    // beyond it the oldest ended tasks go (a fork bomb, a long session)
  uint64_t discarded = 0;

  void apply(const TraceRecord& r);
  ProcRow* find(int tid);
  const ProcRow* find(int tid) const;
  int depth(const ProcRow& row) const;  // for the tree's indentation
  // Appends the model as JSON (the test hook) / as plain text (the screen-reader mirror).
  void to_json(std::string& out) const;
  void to_text(std::string& out) const;

 private:
  ProcRow& ensure(int tid, int pid);
  void trim();
};

const char* proc_state_name(ProcRow::State s);

}  // namespace gbi
