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
  // pipe, pipe2, socketpair: the two new fds (an int[2] the call wrote; it returns 0).
  if (kind == RecKind::SysExit && ret == 0 && (nr == 22 || nr == 293 || nr == 53)) {
    const int at = nr == 53 ? 3 : 0;
    uint8_t fds[8];
    if (a[at] && p.mem->copy_in(fds, a[at], sizeof fds)) r.set_data(fds, sizeof fds, (uint8_t)at);
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

// CPU time, own instructions, compiled instructions, tier: Stat's and Exit's a[0..3].
static void put_figures(Task& p, TraceRecord& r) {
  r.a[0] = p.k.task_cpu_ns(p);
  r.a[1] = p.cpu.icount - p.icount_base;
  r.a[2] = p.cpu.jit.icount;
  r.a[3] = p.mm && p.mm->bc->tier ? 1 : 0;
}

void record_signal(Task& p, int sig, const lx_siginfo& si, SignalAction action, uint64_t handler) {
  TraceRecord r = p.k.records.make(RecKind::Signal, p.pid, p.tid, p.cpu.icount);
  r.nr = (uint16_t)sig;
  r.ret = action;
  r.a[0] = (uint64_t)(int64_t)si.si_code;
  if (signal_is_fault(sig) && si.si_code > 0) {
    r.a[1] = si.u.fault.addr;
  } else {
    r.a[1] = (uint64_t)(int64_t)si.u.kill.pid;
    r.a[2] = sig == LSIGCHLD ? (uint64_t)(int64_t)si.u.chld.status : si.u.kill.uid;
  }
  r.a[3] = handler;
  r.a[4] = p.cpu.rip;
  p.k.records.push(r);
}

void record_exit(Task& p, int64_t status) {
  TraceRecord r = p.k.records.make(RecKind::Exit, p.pid, p.tid, p.cpu.icount);
  r.ret = status;
  put_figures(p, r);
  p.k.records.push(r);
}

void record_stat_due(Task& p) {
  const uint64_t now = trace_now_ns();
  if (p.stat_ns && now - p.stat_ns < 100000000ull) return;
  p.stat_ns = now;
  TraceRecord r = p.k.records.make(RecKind::Stat, p.pid, p.tid, p.cpu.icount);
  put_figures(p, r);
  p.k.records.push(r);
}

void record_syscall_shapes(RecordRing& ring) {
  const SyscallTable& t = SyscallTable::get();
  constexpr size_t kEntry = 16, kPer = TraceRecord::kData / kEntry;
  TraceRecord r = ring.make(RecKind::SysShapes, 0, 0, 0);
  size_t n = 0;
  for (int nr = 0; nr < kMaxSyscall; nr++) {
    const SyscallDef* d = t.find((uint64_t)nr);
    if (!d) continue;
    uint8_t* e = r.data + n * kEntry;
    e[0] = (uint8_t)nr;
    e[1] = (uint8_t)(nr >> 8);
    e[2] = d->nargs;
    e[3] = d->ret;
    for (int i = 0; i < 6; i++) {
      e[4 + i] = d->args[i].kind;
      e[10 + i] = d->args[i].aux;
    }
    if (++n == kPer) {
      r.a[0] = n;
      r.data_len = (uint16_t)(n * kEntry);
      ring.push(r);
      r = ring.make(RecKind::SysShapes, 0, 0, 0);
      n = 0;
    }
  }
  if (n) {
    r.a[0] = n;
    r.data_len = (uint16_t)(n * kEntry);
    ring.push(r);
  }
}

void record_fd_snapshot(Kernel& k) {
  for (Task* t : k.procs) {
    if (!t->is_leader() || t->exited) continue;
    for (int fd : t->fds.list()) {
      FileRef f = t->fds.get(fd);
      if (!f) continue;
      TraceRecord r = k.records.make(RecKind::Fd, t->pid, t->tid, t->cpu.icount);
      r.a[0] = (uint64_t)fd;
      r.a[1] = t->fds.cloexec(fd) ? 1 : 0;
      const std::string d = f->describe();
      r.set_data(d.data(), d.size());
      k.records.push(r);
    }
  }
}

}  // namespace gb
