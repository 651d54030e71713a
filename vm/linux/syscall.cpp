// vm/linux/syscall.cpp — the syscall table and the dispatcher (Task::syscall).
#include "vm/linux/syscall.h"

#include "vm/linux/kernel.h"
#include "vm/linux/rectrace.h"

namespace gb {

void SyscallTable::add(int nr, const char* name, SysHandler fn, std::initializer_list<ArgSpec> args, uint8_t ret) {
  SyscallDef& d = defs_[nr];
  d.name = name;
  d.fn = fn;
  d.nargs = (uint8_t)args.size();
  int i = 0;
  for (const ArgSpec& a : args) d.args[i++] = a;
  d.ret = ret;
}

const SyscallTable& SyscallTable::get() {
  static const SyscallTable* t = [] {
    auto* t = new SyscallTable();
    register_sys_file(*t);
    register_sys_fs(*t);
    register_sys_mem(*t);
    register_sys_proc(*t);
    register_sys_time(*t);
    register_sys_signal(*t);
    register_sys_misc(*t);
    register_sys_socket(*t);
    register_sys_task(*t);
    register_sys_futex(*t);
    register_sys_event(*t);
    register_sys_ptrace(*t);
    return t;
  }();
  return *t;
}

const char* SyscallTable::name(uint64_t nr) {
  switch (nr) {
#define X(n, name) case n: return #name;
#include "vm/linux/syscall_names.inc"
#undef X
    default: return nullptr;
  }
}

// Parks the calling task at its syscall instruction (docs/processes.md).
static void park(Task& p, Cpu& c, uint64_t nr) {
  c.rip -= 2;  // back to the 0f 05
  c.r[RAX] = nr;
  c.stop = true;
  p.state = Task::State::Blocked;
  p.park_gen = p.k.waits.generation();
  p.k.waits.take_host_waits(p.host_fds);
  if (const uint64_t d = p.k.waits.take_deadline()) p.wake_at(d);
}

// A completed call: forget the state kept across re-executions.
static void completed(Task& p) {
  p.restarting = false;
  p.block_deadline = 0;
  p.write_done = 0;
  p.futex_key = 0;
  p.futex_woken = false;
  p.wake_at_ns = 0;
  p.host_fds.clear();
  p.k.waits.forget_notes();
}

void Task::syscall(Cpu& c) {
  const uint64_t nr = c.r[RAX];
  const uint64_t a[6] = {c.r[RDI], c.r[RSI], c.r[RDX], c.r[R10], c.r[R8], c.r[R9]};
  const SyscallDef* d = SyscallTable::get().find(nr);
  regs_replaced = false;
  int64_t ret;
  // A traced task stops at syscall entry (ptrace.cpp); the call runs when it is resumed.
  if (__builtin_expect(pt.tracer != 0, 0) && !restarting && ptrace_syscall_enter(*this, nr)) return;
  if (!restarting) { nsyscalls++; k.counters.syscalls++; }
  if (!d) {
    const char* n = SyscallTable::name(nr);
    if (k.log_once("syscall:" + std::to_string(nr)))
      k.message("unimplemented syscall " + std::to_string(nr) + " (" + (n ? n : "unknown") + ")");
    ret = -LX_ENOSYS;
    if (k.trace.enabled()) {
      TraceEvent ev = k.trace.make(TraceKind::SyscallExit, pid, tid, cpu.icount);
      ev.nr = (uint16_t)(nr < 0xffff ? nr : 0xffff);
      ev.ret = ret;
      for (int i = 0; i < 6; i++) ev.args[i] = a[i];
      std::string line = (n ? std::string(n) : "syscall_" + std::to_string(nr)) + "(...) = " + format_ret(ret, R_INT);
      ev.set_text(line);
      k.trace.emit(ev);
    }
    if (k.records.enabled()) record_syscall(*this, RecKind::SysExit, nullptr, nr, a, ret);
    c.r[RAX] = (uint64_t)ret;
    if (__builtin_expect(pt.tracer != 0, 0)) ptrace_syscall_exit(*this, nr, ret);
    return;
  }
  if (__builtin_expect(k.records.enabled(), 0) && !restarting) record_syscall(*this, RecKind::SysEnter, d, nr, a, 0);
  if (__builtin_expect(k.trace.enabled(), 0)) {
    SysFormat f;
    format_sys_enter(*this, *d, a, f);
    if (!restarting) {
      TraceEvent ev = k.trace.make(TraceKind::SyscallEnter, pid, tid, cpu.icount);
      ev.nr = (uint16_t)nr;
      for (int i = 0; i < 6; i++) ev.args[i] = a[i];
      std::string s = std::string(d->name) + "(";
      for (int i = 0; i < d->nargs; i++) {
        if (f.out[i]) break;
        if (i) s += ", ";
        s += f.args[i];
      }
      ev.set_text(s);
      k.trace.emit(ev);
    }
    ret = d->fn(*this, a);
    if (ret == kBlock && !(pt.tracer && ptrace_syscall_interrupted(*this, nr))) { park(*this, c, nr); return; }
    if (ret == kBlock) ret = -512;  // -ERESTARTSYS: a traced call interrupted by a signal
    TraceEvent ev = k.trace.make(TraceKind::SyscallExit, pid, tid, cpu.icount);
    ev.nr = (uint16_t)nr;
    ev.ret = ret;
    for (int i = 0; i < 6; i++) ev.args[i] = a[i];
    ev.set_text(format_sys_exit(*this, *d, a, f, ret));
    k.trace.emit(ev);
    flush_exit_event();
  } else {
    ret = d->fn(*this, a);
    if (ret == kBlock && !(pt.tracer && ptrace_syscall_interrupted(*this, nr))) { park(*this, c, nr); return; }
    if (ret == kBlock) ret = -512;  // -ERESTARTSYS: a traced call interrupted by a signal
  }
  if (__builtin_expect(k.records.enabled(), 0)) record_syscall(*this, RecKind::SysExit, d, nr, a, ret);
  completed(*this);
  if (!regs_replaced) c.r[RAX] = (uint64_t)ret;
  if (__builtin_expect(pt.tracer != 0, 0)) ptrace_syscall_exit(*this, nr, ret);
  if (signal_deliverable() || restore_sigmask) c.stop = true;  // the scheduler delivers before more code runs
}

}  // namespace gb
