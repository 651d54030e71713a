// inspector/model/fd_model.h — "where did this fd come from": each process's fd table as
// the records show it. An fd's origin is the record that made it: the SysExit of the
// openat / socket / pipe / dup / accept ... that returned it, or the Fd record of the
// attach snapshot (open before the trace began). Forks copy the parent's table, execve
// drops the close-on-exec fds, close removes. Plain data, no ImGui; SyscallModel owns one
// and stamps each call on an fd with its origin when the call arrives.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "inspector/model/records.h"

namespace gbi {

struct FdOrigin {
  uint64_t seq = 0;      // the record that made it (0: unknown, opened before anything we saw)
  bool cloexec = false;
  bool at_attach = false;  // seq is an Fd record of the attach snapshot
  std::string path;      // what it names, if the records say: the openat path, /dev/pts/0 ...
};

// One fd of the attach snapshot (the Fd records), kept for "open before the trace".
struct AttachFd {
  uint64_t seq;
  int pid, fd;
  std::string path;
};

struct FdModel {
  std::unordered_map<int, std::map<int, FdOrigin>> tables;  // by process (thread group)
  std::vector<AttachFd> attach;                              // the snapshot, seq order

  // Fork, Exit, Fd records (the table's life). SysExit records go through on_call.
  void apply(const TraceRecord& r);
  // A completed call (SysExit): the fd it used (-1: none) and that fd's origin seq (0:
  // never seen made) into *fd / *origin_seq, then applies what the call did to the table.
  void on_call(const TraceRecord& r, int* fd, uint64_t* origin_seq);
  const FdOrigin* lookup(int pid, int fd) const;
  const AttachFd* attach_of(uint64_t seq) const;
};

// Which argument of call `nr` is the fd it works on (-1: none). mmap: arg 4.
int fd_arg_of(unsigned nr);

}  // namespace gbi
