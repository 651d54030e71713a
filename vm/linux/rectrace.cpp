// vm/linux/rectrace.cpp — fills binary trace records from the kernel's state (rectrace.h).
#include "vm/linux/rectrace.h"

#include <string>

#include "vm/linux/kernel.h"
#include "vm/linux/syscall.h"

namespace gb {

// The argument whose bytes the record carries: the first path or string, else the input
// buffer, else (at exit, on success) the output buffer. -1: none.
static int data_arg_of(const SyscallDef& d, RecKind kind, int64_t ret) {
  for (int i = 0; i < d.nargs; i++)
    if (d.args[i].kind == A_PATH || d.args[i].kind == A_STR) return i;
  for (int i = 0; i < d.nargs; i++)
    if (d.args[i].kind == A_BUF_IN) return i;
  if (kind == RecKind::SysExit && ret > 0)
    for (int i = 0; i < d.nargs; i++)
      if (d.args[i].kind == A_BUF_OUT) return i;
  return -1;
}

void record_syscall(Task& p, RecKind kind, const SyscallDef* d, uint64_t nr, const uint64_t* a, int64_t ret) {
  RecordRing& ring = p.k.records;
  TraceRecord r = ring.make(kind, p.pid, p.tid, p.cpu.icount);
  r.nr = (uint16_t)(nr < 0xffff ? nr : 0xffff);
  for (int i = 0; i < 6; i++) r.a[i] = a[i];
  if (kind == RecKind::SysExit) r.ret = ret;
  // After a successful execve the old address space is gone: its pointers mean nothing.
  const bool memory_replaced = kind == RecKind::SysExit && p.regs_replaced;
  const int i = d && !memory_replaced ? data_arg_of(*d, kind, ret) : -1;
  if (i >= 0 && a[i]) {
    const ArgSpec& s = d->args[i];
    if (s.kind == A_PATH || s.kind == A_STR) {
      std::string str;
      const bool ok = p.mem->read_cstr(a[i], str, TraceRecord::kData);
      if (ok || !str.empty()) r.set_data(str.data(), str.size(), (uint8_t)i);
      if (!ok && !str.empty()) r.flags |= REC_TRUNCATED;
    } else {
      uint64_t n = s.kind == A_BUF_IN ? a[s.aux] : (uint64_t)ret;
      if (n > TraceRecord::kData) { n = TraceRecord::kData; r.flags |= REC_TRUNCATED; }
      uint8_t buf[TraceRecord::kData];
      if (p.mem->copy_in(buf, a[i], n)) {
        const uint8_t f = r.flags;
        r.set_data(buf, (size_t)n, (uint8_t)i);
        r.flags |= f;
      }
    }
  }
  ring.push(r);
}

void record_fork(Task& parent, Task& child, uint64_t flags) {
  TraceRecord r = parent.k.records.make(RecKind::Fork, child.pid, child.tid, parent.cpu.icount);
  r.ret = parent.tid;
  r.a[0] = flags;
  r.a[1] = (uint64_t)(int64_t)parent.pid;
  parent.k.records.push(r);
}

void record_exec(Task& p, uint64_t entry) {
  TraceRecord r = p.k.records.make(RecKind::Exec, p.pid, p.tid, p.cpu.icount);
  r.a[0] = entry;
  r.a[1] = p.cmdline.size();
  std::string joined;
  for (const std::string& s : p.cmdline) {
    if (!joined.empty()) joined += '\0';
    joined += s;
    if (joined.size() > TraceRecord::kData) break;
  }
  if (p.cmdline.empty()) joined = p.exe;
  r.set_data(joined.data(), joined.size());
  p.k.records.push(r);
}

void record_exit(Task& p, int64_t status) {
  TraceRecord r = p.k.records.make(RecKind::Exit, p.pid, p.tid, p.cpu.icount);
  r.ret = status;
  p.k.records.push(r);
}

}  // namespace gb
