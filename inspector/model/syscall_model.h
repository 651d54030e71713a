// inspector/model/syscall_model.h — the System calls panel's model: a bounded table of
// completed calls (from SysExit records; durations from the matching SysEnter), counts per
// call like `strace -c`, and the filters (failed only, call name). Plain data, no ImGui.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "inspector/model/fd_model.h"
#include "inspector/model/syscall_decode.h"
#include "inspector/model/records.h"

namespace gbi {

struct CallCount {
  uint32_t calls = 0;
  uint32_t errors = 0;
  uint64_t total_ns = 0;
};

struct SyscallFilter {
  bool failed_only = false;
  int nr = -1;  // one call only (-1: all)
  int pid = 0;  // one process only (0: all)
};

struct SyscallModel {
  static constexpr int kMaxNr = 512;
  size_t max_rows = 20000;          // older rows are discarded (and counted)
  std::vector<TraceRecord> rows;    // SysExit records, oldest first; a[5] is kept, duration in `dur_ns`
  std::vector<uint64_t> dur_ns;     // per row: exit time - enter time (0: enter not seen)
  std::vector<int32_t> fd_used;     // per row: the fd the call worked on (-1: none)
  std::vector<uint64_t> fd_origin;  // per row: seq of the record that made that fd (0: unknown)
  std::vector<uint32_t> visible;    // indices of rows passing `filter`
  FdModel fds;                      // the fd tables (fork, exec, exit, the attach snapshot)
  SyscallShapes shapes;             // what each call's arguments are (the attach snapshot)
  uint64_t discarded = 0;           // rows dropped to stay under max_rows
  CallCount counts[kMaxNr + 1];     // [kMaxNr] = numbers beyond the table
  SyscallFilter filter;

  void apply(const TraceRecord& r);
  void set_filter(const SyscallFilter& f);  // recomputes `visible`
  bool passes(const TraceRecord& r) const;
  // Counts in strace -c order (most calls first): the call numbers with calls > 0.
  void count_order(std::vector<int>& out) const;
  // The call entered by `tid` and not yet exited (null: none): FilesModel's join.
  const TraceRecord* pending(int tid) const;
  // The row holding the SysExit record `seq` (-1: not in the table: discarded, or not a call).
  long row_of_seq(uint64_t seq) const;
  // "openat(AT_FDCWD, "hello.c", O_RDONLY) = 3 [pid 7]", "open when the inspector attached:
  // /dev/pts/0 [pid 100]" or "not seen (opened before the trace or discarded)".
  void describe_origin(std::string& out, uint64_t seq) const;
  // The row's detail (the call, the fd's origin, the buffer as text and as hex): the
  // detail view and its "as text" mirror.
  void detail_text(std::string& out, size_t row) const;
  void to_json(std::string& out, size_t max_rows_out) const;  // the last max_rows_out visible rows
  void to_text(std::string& out, size_t max_rows_out) const;

 private:
  // Calls entered and not yet exited, one per task: the enter record is kept for its time
  // and its bytes (an execve's path is only readable at entry).
  std::vector<TraceRecord> pending_;
  void trim();
  void push_row(const TraceRecord& row, uint64_t dur, int32_t fd, uint64_t origin);  // the parallel columns, `visible`
};

}  // namespace gbi
