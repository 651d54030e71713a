// vm/linux/ptrace.cpp — ptrace(2): one tracer per tracee, as Linux (docs/ptrace.md).
//
// Index
//   1. Stops: entering a ptrace-stop, notifying the tracer
//   2. Hooks the scheduler, the dispatcher and signal delivery call
//   3. Attach, detach, the tracer's exit, clone auto-attach
//   4. Registers: user_regs_struct, struct user (PEEKUSER), fxsave, regsets
//   5. Memory: forced writes (POKETEXT), PEEK/POKE
//   6. The syscall: ptrace()
//
// Design notes
//   * A ptrace-stop is `t.pt.stop != PtStop::None`: the scheduler skips the task, wait4
//     of the tracer reports `pt.code << 8 | 0x7f` once (`pt.report`).
//   * Syscall-enter stop: the dispatcher returns before running the call, with rax =
//     -ENOSYS and rip after the `syscall` instruction, as Linux shows it. On resume
//     `pt.dispatch` rewinds to the instruction with rax = orig_rax (which the tracer may
//     have changed) and the re-executed call skips its entry stop (`pt.entry_done`).
//   * Stops due at a syscall's exit (fork/exec events, then the syscall-exit stop) are
//     taken by ptrace_before_run, one per turn, so each can be resumed separately.
//   * A traced syscall that would park while a signal is deliverable returns
//     -ERESTARTSYS (reported at its exit stop), the signal gets its delivery stop, and
//     the call restarts unless a handler runs without SA_RESTART (then -EINTR).
//   * Single-step decodes and runs one instruction outside the block cache, then sends
//     SIGTRAP (TRAP_TRACE), which gives the signal-delivery stop.
#include <cstring>

#include "vm/cpu/decode.h"
#include "vm/cpu/exec.h"
#include "vm/cpu/f80.h"
#include "vm/linux/kernel.h"
#include "vm/linux/sys_common.h"

namespace gb {

namespace {

enum : int {
  PT_TRACEME = 0, PT_PEEKTEXT = 1, PT_PEEKDATA = 2, PT_PEEKUSR = 3, PT_POKETEXT = 4, PT_POKEDATA = 5,
  PT_POKEUSR = 6, PT_CONT = 7, PT_KILL = 8, PT_SINGLESTEP = 9, PT_GETREGS = 12, PT_SETREGS = 13,
  PT_GETFPREGS = 14, PT_SETFPREGS = 15, PT_ATTACH = 16, PT_DETACH = 17, PT_SYSCALL = 24,
  PT_SYSEMU = 31, PT_SYSEMU_SINGLESTEP = 32,
  PT_SETOPTIONS = 0x4200, PT_GETEVENTMSG = 0x4201, PT_GETSIGINFO = 0x4202, PT_SETSIGINFO = 0x4203,
  PT_GETREGSET = 0x4204, PT_SETREGSET = 0x4205, PT_SEIZE = 0x4206, PT_INTERRUPT = 0x4207, PT_LISTEN = 0x4208,
  PT_GETSIGMASK = 0x420a, PT_SETSIGMASK = 0x420b, PT_GET_SYSCALL_INFO = 0x420e,
};
enum : uint32_t {
  O_TRACESYSGOOD = 1, O_TRACEFORK = 2, O_TRACEVFORK = 4, O_TRACECLONE = 8, O_TRACEEXEC = 0x10,
  O_TRACEVFORKDONE = 0x20, O_TRACEEXIT = 0x40, O_TRACESECCOMP = 0x80, O_EXITKILL = 0x100000,
  O_SUSPEND_SECCOMP = 0x200000, O_MASK = 0x3000ff,
};
enum : int { EV_FORK = 1, EV_VFORK = 2, EV_CLONE = 3, EV_EXEC = 4, EV_VFORK_DONE = 5, EV_EXIT = 6, EV_STOP = 128 };
// How the tracee was resumed. SYSEMU stops at each syscall's entry like SYSCALL, but the
// call is then never run (the tracer emulates it: rax is its result) and has no exit stop.
enum : int { R_CONT = 0, R_SYSCALL = 1, R_STEP = 2, R_SYSEMU = 3, R_SYSEMU_STEP = 4 };
bool steps(int how) { return how == R_STEP || how == R_SYSEMU_STEP; }
constexpr int64_t kERestartSys = -512;
constexpr uint64_t kTaskSizeMax = (1ull << 47) - 4096;

Task* tracer_of(Task& t) { return t.pt.tracer ? t.k.find_leader(t.pt.tracer) : nullptr; }

// ---- 1. stops -----------------------------------------------------------------------------

void notify_tracer(Task& t) {
  Task* tr = tracer_of(t);
  if (tr && !tr->tg->zombie) {
    const lx_sigaction& act = tr->sigact[LSIGCHLD];
    if (act.handler != 1 && !(act.flags & LSA_NOCLDSTOP)) {
      lx_siginfo si = make_siginfo(LSIGCHLD, LCLD_TRAPPED, t.tid, t.uid);
      si.u.chld.status = t.pt.code & 0x7f;
      t.k.signal_process(*tr, LSIGCHLD, si);
    }
  }
  t.k.waits.wake();
}

// Enters a ptrace-stop with code `code` (signal | event << 8).
void enter_stop(Task& t, PtStop kind, int code, const lx_siginfo* si) {
  t.pt.stop = kind;
  t.pt.code = code;
  t.pt.report = true;
  t.pt.has_si = si != nullptr;
  if (si) t.pt.si = *si;
  t.cpu.stop = true;
  notify_tracer(t);
}

// A trap (syscall stop, event stop): siginfo SIGTRAP with si_code = the code.
void trap_stop(Task& t, PtStop kind, int code, uint64_t msg) {
  lx_siginfo si = make_siginfo(LSIGTRAP, code, t.pid, t.uid);
  t.pt.msg = msg;
  enter_stop(t, kind, code, &si);
}

void syscall_stop(Task& t, PtStop kind) {
  const int code = LSIGTRAP | ((t.pt.opts & O_TRACESYSGOOD) ? 0x80 : 0);
  trap_stop(t, kind, code, kind == PtStop::SyscallEnter ? 1 : 2);
}

// PTRACE_EVENT_STOP: group stops of seized tracees, INTERRUPT, new seized children.
// (Its siginfo: the signal, si_code = the code, as Linux's ptrace_do_notify.)
void event_stop_trap(Task& t, int sig) {
  if (!sig) sig = LSIGTRAP;
  const int code = sig | (EV_STOP << 8);
  lx_siginfo si = make_siginfo(sig, code, t.pid, t.uid);
  enter_stop(t, PtStop::Group, code, &si);
}

// Ends a ptrace-stop: the task runs (or stays group-stopped after LISTEN).
void leave_stop(Task& t) {
  t.pt.stop = PtStop::None;
  t.pt.report = false;
  t.k.waits.wake();
}

void clear_trace(Task& t) { t.pt = PtraceState{}; }

}  // namespace

// ---- 2. hooks -------------------------------------------------------------------------------

bool ptrace_syscall_enter(Task& t, uint64_t nr) {
  if (t.pt.entry_done) { t.pt.entry_done = false; return false; }
  t.pt.orig_rax = nr;
  const int how = t.pt.resume;
  if (how != R_SYSCALL && how != R_SYSEMU && how != R_SYSEMU_STEP) return false;
  t.pt.emulated = how != R_SYSCALL;  // decided here, whatever the tracer resumes with
  t.cpu.r[RAX] = (uint64_t)-LX_ENOSYS;
  syscall_stop(t, PtStop::SyscallEnter);
  return true;
}

void ptrace_syscall_exit(Task& t, uint64_t nr, int64_t ret) {
  if (t.exited || !t.traced()) return;
  if ((nr == 59 || nr == 322) && ret == 0) {  // execve, execveat
    if (t.pt.opts & O_TRACEEXEC) {
      t.pt.event = EV_EXEC;
      t.pt.msg = (uint64_t)t.tid;
    } else {
      lx_siginfo si = make_siginfo(LSIGTRAP, LSI_USER, 0, 0);
      t.k.signal_task(t, LSIGTRAP, si);
    }
  }
  t.pt.exit_due = true;  // taken by ptrace_before_run (after an event stop, if any)
  t.cpu.stop = true;
}

bool ptrace_syscall_interrupted(Task& t, uint64_t nr) {
  if (t.pt.event || !t.signal_deliverable()) return false;
  t.pt.orig_rax = nr;
  t.pt.restart = true;
  t.restarting = false;
  t.block_deadline = 0;
  t.futex_key = 0;
  t.write_done = 0;
  return true;
}

bool ptrace_exit_event(Task& t, int status) {
  if (!(t.pt.opts & O_TRACEEXIT) || t.pt.exit_reported) return false;
  t.pt.exit_reported = true;
  t.pt.event = EV_EXIT;
  t.pt.msg = (uint64_t)(uint32_t)status;
  return true;
}

void ptrace_fix_restart(Task& t, const lx_sigaction* act) {
  if (!t.pt.restart) return;
  t.pt.restart = false;
  if ((int64_t)t.cpu.r[RAX] != kERestartSys) return;  // the tracer changed it
  const uint64_t nr = t.pt.orig_rax;
  const bool never = nr == 7 || nr == 23 || nr == 34 || nr == 35 || nr == 128 || nr == 130 || nr == 230 ||
                     nr == 232 || nr == 270 || nr == 271 || nr == 281;
  if (act && (!(act->flags & LSA_RESTART) || never)) {
    t.cpu.r[RAX] = (uint64_t)-LX_EINTR;
    return;
  }
  t.cpu.rip -= 2;  // back to the syscall instruction: the call runs again
  t.cpu.r[RAX] = nr;
}

int ptrace_before_run(Task& t) {
  PtraceState& pt = t.pt;

  if (pt.stop != PtStop::None) return 1;
  if (pt.trap) {
    pt.trap = false;
    event_stop_trap(t, pt.trap_sig);
    pt.trap_sig = 0;
    return 1;
  }
  if (pt.event) {
    const int ev = pt.event;
    pt.event = 0;
    trap_stop(t, PtStop::Event, LSIGTRAP | (ev << 8), pt.msg);
    return 1;
  }
  if (pt.exit_due) {
    pt.exit_due = false;
    if (pt.resume == R_SYSCALL) {
      syscall_stop(t, PtStop::SyscallExit);
      return 1;
    }
  }
  if (pt.dispatch) {
    pt.dispatch = false;
    if (pt.orig_rax != ~0ull) {
      t.cpu.rip -= 2;
      t.cpu.r[RAX] = pt.orig_rax;
      pt.entry_done = true;
    } else if (pt.resume == R_SYSCALL) {  // the tracer cancelled the call: only its exit stop
      syscall_stop(t, PtStop::SyscallExit);
      return 1;
    }
  }
  return steps(pt.resume) || ptrace_watching(t) ? 2 : 0;
}

namespace {

// Runs one instruction outside the block cache. False when it faulted (the fault's
// signal is queued or the task died).
bool step_one(Task& t) {
  Cpu& c = t.cpu;
  t.k.current = &t;
  const CpuException ex = gb::step_one(c);
  if (ex.kind == CpuException::NONE) return true;
  if (!t.exited) t.handle_exception(ex);
  return false;
}

// Debug registers without hardware: data watchpoints (DR7 RW = write or read/write) are
// emulated by stepping the tracee and comparing the watched bytes after each
// instruction; a change sets DR6's B bit and stops it with SIGTRAP (TRAP_HWBKPT), as a
// hardware watchpoint that saw a new value would. (Reads and stores of the same value
// go unseen; execution breakpoints in DR7 are not emulated.)
int watch_len(uint64_t dr7, int i) {
  static const int lens[4] = {1, 2, 8, 4};
  return lens[(dr7 >> (18 + 4 * i)) & 3];
}
bool watch_on(uint64_t dr7, int i) { return (dr7 >> (2 * i)) & 3 && ((dr7 >> (16 + 4 * i)) & 1); }

}  // namespace

bool ptrace_watching(const Task& t) {
  for (int i = 0; i < 4; i++)
    if (watch_on(t.pt.dr[7], i)) return true;
  return false;
}

void ptrace_watch_snapshot(Task& t) {
  for (int i = 0; i < 4; i++) {
    t.pt.watch_val[i] = 0;
    if (watch_on(t.pt.dr[7], i)) t.mem->copy_in(&t.pt.watch_val[i], t.pt.dr[i], watch_len(t.pt.dr[7], i));
  }
}

// Which watched slots changed (bit i), refreshing the snapshot.
static uint32_t watch_hits(Task& t) {
  uint32_t hits = 0;
  for (int i = 0; i < 4; i++) {
    if (!watch_on(t.pt.dr[7], i)) continue;
    uint64_t v = 0;
    t.mem->copy_in(&v, t.pt.dr[i], watch_len(t.pt.dr[7], i));
    if (v != t.pt.watch_val[i]) { hits |= 1u << i; t.pt.watch_val[i] = v; }
  }
  return hits;
}

uint64_t ptrace_single_step(Task& t) {
  const bool stepping = steps(t.pt.resume);
  const bool watching = ptrace_watching(t);
  const uint64_t limit = stepping ? 1 : Kernel::kSlice / 8;  // watch mode: steps per turn
  uint64_t n = 0;
  while (n < limit) {
    const uint64_t start = t.cpu.rip;
    n++;
    if (!step_one(t)) return n;  // the fault's signal gives the stop
    if (t.exited || t.state != Task::State::Runnable || t.pt.stop != PtStop::None) return n;
    if (t.pt.exit_due || t.pt.event) return n;  // a syscall ran: its stops come first
    const uint32_t hits = watching ? watch_hits(t) : 0;
    if (hits || stepping) {
      t.pt.dr[6] |= hits ? hits : 0x4000;  // B0-B3, or BS (single step)
      lx_siginfo si = make_siginfo(LSIGTRAP, hits ? 4 /* TRAP_HWBKPT */ : 2 /* TRAP_TRACE */, 0, 0);
      si.u.fault.addr = hits ? 0 : start;
      t.k.signal_task(t, LSIGTRAP, si);
      return n;
    }
    if (t.cpu.stop || t.signal_deliverable()) return n;  // a syscall or a signal: back to the scheduler
  }
  return n;
}

bool ptrace_signal_stop(Task& t, int sig, const lx_siginfo& si) {
  if (sig == LSIGKILL) return false;
  enter_stop(t, PtStop::Signal, sig, &si);
  return true;
}

void ptrace_group_stop(Task& t, int sig) {
  if (t.pt.seized) {
    t.pt.trap = false;
    event_stop_trap(t, sig);
  } else {
    enter_stop(t, PtStop::Group, sig, nullptr);
  }
}

// ---- 3. attach, detach, exit ------------------------------------------------------------------

bool ptrace_may_access(const Task& tracer, const Task& target) {
  if (tracer.euid == 0) return true;  // CAP_SYS_PTRACE
  const uint32_t u = tracer.uid;
  return target.uid == u && target.euid == u && target.suid == u && target.gid == tracer.gid &&
         target.egid == tracer.gid && target.sgid == tracer.gid;
}

static void attach(Task& tracer, Task& t, bool seize, uint32_t opts) {
  t.pt = PtraceState{};
  t.pt.tracer = tracer.pid;
  t.pt.seized = seize;
  t.pt.opts = opts;
  ThreadGroup& g = *t.tg;
  if (g.stopped) {
    // Already group-stopped: it re-traps into a ptrace group stop the tracer can wait for.
    if (seize) event_stop_trap(t, g.stop_sig);
    else ptrace_group_stop(t, g.stop_sig);
  } else if (!seize) {
    lx_siginfo si = make_siginfo(LSIGSTOP, LSI_USER, tracer.pid, tracer.uid);
    t.k.signal_task(t, LSIGSTOP, si);
  }
  t.k.waits.wake();
}

// Detach: the tracee runs on (with `sig` if it was in a signal-delivery stop).
static void detach(Task& t, int sig) {
  const bool was_sigstop = t.pt.stop == PtStop::Signal;
  // Detached in a syscall-enter stop: the call still runs (unless SYSEMU stopped it).
  if (t.pt.stop == PtStop::SyscallEnter && !t.pt.emulated && t.pt.orig_rax != ~0ull) {
    t.cpu.rip -= 2;
    t.cpu.r[RAX] = t.pt.orig_rax;
  }
  clear_trace(t);
  if (was_sigstop && sig) {
    t.pt.inject = sig;
    t.pt.inject_si = make_siginfo(sig, LSI_USER, 0, 0);
  }
  Kernel& k = t.k;
  // A zombie whose tracer was not its parent: the parent hears about it now.
  if (t.is_leader() && t.tg->zombie && !t.reaped_) {
    const int st = t.tg->exit_status;
    const int code = (st & 0x7f) ? ((st & 0x80) ? LCLD_DUMPED : LCLD_KILLED) : LCLD_EXITED;
    k.notify_parent(t, code, (st & 0x7f) ? (st & 0x7f) : (st >> 8) & 0xff);
  }
  k.waits.wake();
}

void ptrace_tracer_gone(Kernel& k, int tracer_pid) {
  for (Task* t : std::vector<Task*>(k.procs)) {
    if (t->pt.tracer != tracer_pid || t->exited) continue;
    if (t->pt.opts & O_EXITKILL) {
      clear_trace(*t);
      lx_siginfo si = make_siginfo(LSIGKILL, LSI_KERNEL);
      k.signal_task(*t, LSIGKILL, si);
    } else {
      detach(*t, 0);
    }
  }
  // Zombies traced by it: their parents take over; its ended threads go.
  for (Task* t : std::vector<Task*>(k.procs)) {
    if (t->pt.tracer != tracer_pid) continue;
    if (!t->is_leader()) { t->pt = PtraceState{}; t->reaped_ = true; continue; }
    detach(*t, 0);
  }
}

void ptrace_on_clone(Task& p, Task& c, uint64_t fl) {
  if (!p.traced()) return;
  int ev;
  uint32_t need;
  if (fl & LCLONE_VFORK) { ev = EV_VFORK; need = O_TRACEVFORK; }
  else if (c.exit_signal == LSIGCHLD) { ev = EV_FORK; need = O_TRACEFORK; }
  else { ev = EV_CLONE; need = O_TRACECLONE; }
  if (!(p.pt.opts & need)) return;
  c.pt = PtraceState{};
  c.pt.tracer = p.pt.tracer;
  c.pt.seized = p.pt.seized;
  c.pt.opts = p.pt.opts;
  if (c.pt.seized) {
    c.pt.trap = true;  // starts with PTRACE_EVENT_STOP
  } else {
    lx_siginfo si = make_siginfo(LSIGSTOP, LSI_KERNEL);
    c.sigpending |= 1ull << (LSIGSTOP - 1);
    c.siginfo.push_back(si);
  }
  p.pt.msg = (uint64_t)c.tid;
  p.cpu.stop = true;
  if (ev == EV_VFORK) {
    // At once: the parent then waits for the child's exec or exit, and the tracer must
    // see the event while the child runs (gdb detaches from it there).
    trap_stop(p, PtStop::Event, LSIGTRAP | (ev << 8), p.pt.msg);
  } else {
    p.pt.event = ev;
  }
}

void ptrace_vfork_done(Task& p, int child_tid) {
  if (!(p.pt.opts & O_TRACEVFORKDONE)) return;
  p.pt.event = EV_VFORK_DONE;
  p.pt.msg = (uint64_t)child_tid;
}

void ptrace_thread_exited(Task& t) {
  if (Task* tr = tracer_of(t)) {
    if (!tr->tg->zombie && tr->sigact[LSIGCHLD].handler != 1) {
      lx_siginfo si = make_siginfo(LSIGCHLD, t.killed_by ? LCLD_KILLED : LCLD_EXITED, t.tid, t.uid);
      si.u.chld.status = t.killed_by ? t.killed_by : t.exit_code;
      t.k.signal_process(*tr, LSIGCHLD, si);
    }
  } else {
    t.reaped_ = true;
  }
  t.k.waits.wake();
}

// ---- 4. registers -----------------------------------------------------------------------------

namespace {

constexpr int kNRegs = 27;  // user_regs_struct
enum : int { U_R15, U_R14, U_R13, U_R12, U_RBP, U_RBX, U_R11, U_R10, U_R9, U_R8, U_RAX, U_RCX, U_RDX, U_RSI,
             U_RDI, U_ORIG_RAX, U_RIP, U_CS, U_EFLAGS, U_RSP, U_SS, U_FS_BASE, U_GS_BASE, U_DS, U_ES, U_FS,
             U_GS };
const int8_t kGpr[kNRegs] = {R15, R14, R13, R12, RBP, RBX, R11, R10, R9, R8, RAX, RCX, RDX, RSI, RDI,
                             -1,  -1,  -1,  -1,  RSP, -1,  -1,  -1,  -1, -1, -1,  -1};
constexpr uint64_t kFlagMask = 0x1 | 0x4 | 0x10 | 0x40 | 0x80 | 0x100 | 0x400 | 0x800 | 0x10000 | 0x40000;
// The kernel's struct user (x86-64): regs, u_fpvalid, i387, sizes, ..., u_debugreg[8] at
// 848, error_code, fault_address: 928 bytes (glibc's ends after u_debugreg).
constexpr uint64_t kUserSize = 928, kDebugRegOff = 848;

uint64_t get_reg(Task& t, int i) {
  if (kGpr[i] >= 0) return t.cpu.r[kGpr[i]];
  switch (i) {
    case U_ORIG_RAX: return t.pt.orig_rax;
    case U_RIP: return t.cpu.rip;
    case U_CS: return 0x33;
    case U_SS: return 0x2b;
    case U_EFLAGS: return t.cpu.get_rflags();
    case U_FS_BASE: return t.cpu.fs_base;
    case U_GS_BASE: return t.cpu.gs_base;
    default: return 0;  // ds es fs gs: 0 in a 64-bit process
  }
}

bool invalid_selector(uint64_t v) { return v != 0 && (v & 3) != 3; }

int set_reg(Task& t, int i, uint64_t v) {
  if (kGpr[i] >= 0) { t.cpu.r[kGpr[i]] = v; return 0; }
  switch (i) {
    case U_ORIG_RAX: t.pt.orig_rax = v; return 0;
    case U_RIP: t.cpu.rip = v; return 0;
    case U_EFLAGS: {
      const uint64_t f = (t.cpu.get_rflags() & ~kFlagMask) | (v & kFlagMask);
      t.cpu.cc = LazyFlags{};
      t.cpu.set_rflags(f);
      return 0;
    }
    case U_FS_BASE:
      if (v >= kTaskSizeMax) return -LX_EIO;
      t.cpu.fs_base = v;
      return 0;
    case U_GS_BASE:
      if (v >= kTaskSizeMax) return -LX_EIO;
      t.cpu.gs_base = v;
      return 0;
    case U_CS: case U_SS:
      if (invalid_selector(v) || v == 0) return -LX_EIO;
      return 0;  // the engine runs 64-bit code only: the selector is not kept
    default:
      return invalid_selector(v) ? -LX_EIO : 0;
  }
}

void get_regs(Task& t, uint64_t out[kNRegs]) {
  for (int i = 0; i < kNRegs; i++) out[i] = get_reg(t, i);
}

int set_regs(Task& t, const uint64_t in[kNRegs]) {
  // Validate first: a bad value changes nothing.
  for (int i : {U_FS_BASE, U_GS_BASE})
    if (in[i] >= kTaskSizeMax) return -LX_EIO;
  for (int i : {U_CS, U_SS})
    if (invalid_selector(in[i]) || in[i] == 0) return -LX_EIO;
  for (int i : {U_DS, U_ES, U_FS, U_GS})
    if (invalid_selector(in[i])) return -LX_EIO;
  for (int i = 0; i < kNRegs; i++) set_reg(t, i, in[i]);
  return 0;
}

int64_t peek_user(Task& t, uint64_t off, uint64_t& out) {
  if ((off & 7) || off >= kUserSize) return -LX_EIO;
  if (off < kNRegs * 8) { out = get_reg(t, (int)(off / 8)); return 0; }
  if (off >= kDebugRegOff && off < kDebugRegOff + 64) { out = t.pt.dr[(off - kDebugRegOff) / 8]; return 0; }
  out = 0;
  return 0;
}

int64_t poke_user(Task& t, uint64_t off, uint64_t v) {
  if ((off & 7) || off >= kUserSize) return -LX_EIO;
  if (off < kNRegs * 8) return set_reg(t, (int)(off / 8), v);
  if (off >= kDebugRegOff && off < kDebugRegOff + 64) {
    const int n = (int)((off - kDebugRegOff) / 8);
    if (n == 4 || n == 5) return -LX_EIO;
    if (n < 4 && v > kTaskSizeMax - 8) return -LX_EIO;
    // No hardware breakpoints: data watchpoints are emulated (ptrace_single_step); I/O
    // breakpoints are invalid, as on Linux.
    if (n == 7)
      for (int i = 0; i < 4; i++)
        if (((v >> (2 * i)) & 3) && ((v >> (16 + 4 * i)) & 3) == 2) return -LX_EINVAL;
    t.pt.dr[n] = v;
    if (n == 7 || n < 4) ptrace_watch_snapshot(t);
    return 0;
  }
  return 0;  // the rest of struct user is ignored, as Linux
}

}  // namespace

// ---- 5. memory --------------------------------------------------------------------------------

bool ptrace_write_mem(Task& t, uint64_t addr, const void* src, size_t n) {
  AddressSpace& as = *t.mem;
  const uint8_t* s = (const uint8_t*)src;
  while (n) {
    const uint64_t page = addr & ~(uint64_t)(PAGE - 1);
    const size_t k = std::min<uint64_t>(n, PAGE - (addr - page));
    const Vma* v = as.vma_at(addr);
    if (!v) return false;
    if (v->prot & PROT_W) {
      if (!as.copy_out(addr, s, k)) return false;
    } else {
      // FOLL_FORCE: a private mapping is written through its own copy of the page
      // (the whole VMA is made writable for the store and restored: no split).
      if (v->shared) return false;
      const uint64_t vs = v->start, ve = v->end;
      const uint32_t prot = v->prot;
      if (as.protect(vs, ve - vs, prot | PROT_W | PROT_R) < 0) return false;
      const bool ok = as.copy_out(addr, s, k);
      as.protect(vs, ve - vs, prot);
      if (!ok) return false;
    }
    addr += k; s += k; n -= k;
  }
  return true;
}

namespace {

// ---- 6. the syscall -----------------------------------------------------------------------------

// The tracee named by `pid` for a request of `p`: -ESRCH unless p traces it; with
// `stopped`, it must be in a ptrace-stop.
int64_t get_tracee(Task& p, int pid, bool stopped, Task*& out) {
  Task* t = p.k.find_task(pid);
  if (!t || t->pt.tracer != p.pid || t->exited) return -LX_ESRCH;
  if (stopped && t->pt.stop == PtStop::None) return -LX_ESRCH;
  out = t;
  return 0;
}

int64_t resume(Task& t, int how, uint64_t data) {
  if (data > (uint64_t)LNSIG) return -LX_EIO;
  const PtStop was = t.pt.stop;
  t.pt.resume = how;
  t.pt.listening = false;
  if (was == PtStop::Signal && data) {
    t.pt.inject = (int)data;
    t.pt.inject_si = t.pt.si;
    if (t.pt.inject_si.si_signo != (int)data) {
      t.pt.inject_si = make_siginfo((int)data, LSI_USER, t.pt.tracer, 0);
    }
  }
  // Leaving a syscall-enter stop runs the call, unless SYSEMU stopped it there: then rip
  // stays after the instruction and rax is the result (what the tracer set, else -ENOSYS).
  if (was == PtStop::SyscallEnter && !t.pt.emulated) t.pt.dispatch = true;
  t.pt.emulated = false;
  if (t.pt.notify) { t.pt.notify = false; t.pt.trap = true; }  // a SIGCONT came while it was stopped
  if (ptrace_watching(t)) ptrace_watch_snapshot(t);
  leave_stop(t);
  return 0;
}

int64_t get_syscall_info(Task& p, Task& t, uint64_t size, uint64_t addr) {
  uint8_t buf[88] = {};
  buf[0] = 0;                                           // op
  const uint32_t arch = 0xc000003e;                     // AUDIT_ARCH_X86_64
  memcpy(buf + 4, &arch, 4);
  memcpy(buf + 8, &t.cpu.rip, 8);
  memcpy(buf + 16, &t.cpu.r[RSP], 8);
  size_t actual = 24;
  const bool sysgood = t.pt.has_si && t.pt.si.si_code == (LSIGTRAP | 0x80);
  if (sysgood && t.pt.stop == PtStop::SyscallEnter) {
    buf[0] = 1;
    memcpy(buf + 24, &t.pt.orig_rax, 8);
    const uint64_t args[6] = {t.cpu.r[RDI], t.cpu.r[RSI], t.cpu.r[RDX], t.cpu.r[R10], t.cpu.r[R8], t.cpu.r[R9]};
    memcpy(buf + 32, args, 48);
    actual = 80;
  } else if (sysgood && t.pt.stop == PtStop::SyscallExit) {
    buf[0] = 2;
    const int64_t rv = (int64_t)t.cpu.r[RAX];
    memcpy(buf + 24, &rv, 8);
    buf[32] = rv < 0 && rv >= -4095;
    actual = 33;
  }
  if (!t.pt.has_si && t.pt.stop != PtStop::Group) return -LX_EINVAL;
  const size_t n = std::min<uint64_t>(size, actual);
  if (n && !p.put(addr, buf, n)) return -LX_EFAULT;
  return (int64_t)actual;
}

SYS(ptrace) {
  const int64_t req = (int64_t)a[0];
  const int pid = arg_int(a, 1);
  const uint64_t addr = a[2], data = a[3];
  Kernel& k = p.k;
  if (req == PT_TRACEME) {
    if (p.traced()) return -LX_EPERM;
    Task* par = p.ppid > 1 ? k.find_leader(p.ppid) : nullptr;
    if (!par || par->tg->zombie) return -LX_EPERM;
    p.pt = PtraceState{};
    p.pt.tracer = par->pid;
    return 0;
  }
  if (req == PT_ATTACH || req == PT_SEIZE) {
    Task* t = k.find_task(pid);
    if (!t) return -LX_ESRCH;
    if (req == PT_SEIZE) {
      if (addr != 0) return -LX_EIO;
      if (data & ~(uint64_t)O_MASK) return -LX_EIO;
    }
    if (t->tg == p.tg || t->tg->exiting || t->tg->zombie) return -LX_EPERM;
    if (!ptrace_may_access(p, *t)) return -LX_EPERM;
    if (t->traced()) return -LX_EPERM;
    if ((data & O_SUSPEND_SECCOMP) && p.euid != 0) return -LX_EPERM;
    attach(p, *t, req == PT_SEIZE, req == PT_SEIZE ? (uint32_t)data : 0);
    return 0;
  }
  Task* t = nullptr;
  if (req == PT_KILL) {
    int64_t e = get_tracee(p, pid, false, t);
    if (e < 0) return e;
    lx_siginfo si = make_siginfo(LSIGKILL, LSI_KERNEL);
    k.signal_task(*t, LSIGKILL, si);
    return 0;
  }
  if (req == PT_INTERRUPT) {
    int64_t e = get_tracee(p, pid, false, t);
    if (e < 0) return e;
    if (!t->pt.seized) return -LX_EIO;
    if (t->pt.stop == PtStop::None) {
      t->pt.trap = true;
      t->pt.listening = false;
      t->cpu.stop = true;
      k.waits.wake();
    }
    return 0;
  }
  int64_t e = get_tracee(p, pid, true, t);
  if (e < 0) return e;
  Task& tt = *t;
  switch (req) {
    case PT_PEEKTEXT: case PT_PEEKDATA: {
      uint64_t v;
      if (!tt.mem->copy_in(&v, addr, 8)) return -LX_EIO;
      if (!p.put(data, &v, 8)) return -LX_EFAULT;
      return 0;
    }
    case PT_POKETEXT: case PT_POKEDATA:
      return ptrace_write_mem(tt, addr, &data, 8) ? 0 : -LX_EIO;
    case PT_PEEKUSR: {
      uint64_t v;
      e = peek_user(tt, addr, v);
      if (e < 0) return e;
      if (!p.put(data, &v, 8)) return -LX_EFAULT;
      return 0;
    }
    case PT_POKEUSR:
      return poke_user(tt, addr, data);
    case PT_GETREGS: {
      uint64_t r[kNRegs];
      get_regs(tt, r);
      return p.put(data, r, sizeof r) ? 0 : -LX_EFAULT;
    }
    case PT_SETREGS: {
      uint64_t r[kNRegs];
      if (!p.get(r, data, sizeof r)) return -LX_EFAULT;
      return set_regs(tt, r);
    }
    case PT_GETFPREGS: {
      uint8_t fx[512] = {};
      x87::fxsave_image(tt.cpu, fx, true);
      return p.put(data, fx, sizeof fx) ? 0 : -LX_EFAULT;
    }
    case PT_SETFPREGS: {
      uint8_t fx[512];
      if (!p.get(fx, data, sizeof fx)) return -LX_EFAULT;
      uint32_t mxcsr;
      memcpy(&mxcsr, fx + 24, 4);
      if (mxcsr & ~0xffffu) return -LX_EINVAL;
      return x87::fxrstor_image(tt.cpu, fx, true) ? 0 : -LX_EINVAL;
    }
    case PT_GETREGSET: case PT_SETREGSET: {
      lx_iovec iov;
      if (!p.get(&iov, data, sizeof iov)) return -LX_EFAULT;
      const bool get = req == PT_GETREGSET;
      if (addr == 1) {  // NT_PRSTATUS
        if (iov.len % 8) return -LX_EINVAL;
        uint64_t r[kNRegs];
        get_regs(tt, r);
        const uint64_t n = std::min<uint64_t>(iov.len, sizeof r);
        if (get) {
          if (!p.put(iov.base, r, n)) return -LX_EFAULT;
        } else {
          if (!p.get(r, iov.base, n)) return -LX_EFAULT;
          if ((e = set_regs(tt, r)) < 0) return e;
        }
        iov.len = n;
      } else if (addr == 2) {  // NT_PRFPREG
        if (iov.len % 4) return -LX_EINVAL;
        uint8_t fx[512] = {};
        x87::fxsave_image(tt.cpu, fx, true);
        const uint64_t n = std::min<uint64_t>(iov.len, sizeof fx);
        if (get) {
          if (!p.put(iov.base, fx, n)) return -LX_EFAULT;
        } else {
          if (!p.get(fx, iov.base, n)) return -LX_EFAULT;
          uint32_t mxcsr;
          memcpy(&mxcsr, fx + 24, 4);
          if (mxcsr & ~0xffffu) return -LX_EINVAL;
          if (!x87::fxrstor_image(tt.cpu, fx, true)) return -LX_EINVAL;
        }
        iov.len = n;
      } else {
        return -LX_EINVAL;  // NT_X86_XSTATE: the CPUID claims no XSAVE
      }
      return p.put(data + 8, &iov.len, 8) ? 0 : -LX_EFAULT;
    }
    case PT_GETSIGINFO:
      if (!tt.pt.has_si) return -LX_EINVAL;
      return p.put(data, &tt.pt.si, sizeof tt.pt.si) ? 0 : -LX_EFAULT;
    case PT_SETSIGINFO: {
      if (!tt.pt.has_si) return -LX_EINVAL;
      lx_siginfo si;
      if (!p.get(&si, data, sizeof si)) return -LX_EFAULT;
      tt.pt.si = si;
      return 0;
    }
    case PT_GETSIGMASK: {
      if (addr != 8) return -LX_EINVAL;
      return p.put(data, &tt.sigmask, 8) ? 0 : -LX_EFAULT;
    }
    case PT_SETSIGMASK: {
      if (addr != 8) return -LX_EINVAL;
      uint64_t m;
      if (!p.get(&m, data, 8)) return -LX_EFAULT;
      tt.sigmask = m & ~((1ull << (LSIGKILL - 1)) | (1ull << (LSIGSTOP - 1)));
      return 0;
    }
    case PT_SETOPTIONS:
      if (data & ~(uint64_t)O_MASK) return -LX_EINVAL;
      if ((data & O_SUSPEND_SECCOMP) && p.euid != 0) return -LX_EPERM;
      tt.pt.opts = (uint32_t)data;
      return 0;
    case PT_GETEVENTMSG:
      return p.put(data, &tt.pt.msg, 8) ? 0 : -LX_EFAULT;
    case PT_GET_SYSCALL_INFO:
      return get_syscall_info(p, tt, addr, data);
    case PT_CONT: return resume(tt, R_CONT, data);
    case PT_SYSCALL: return resume(tt, R_SYSCALL, data);
    case PT_SINGLESTEP: return resume(tt, R_STEP, data);
    case PT_SYSEMU: return resume(tt, R_SYSEMU, data);
    case PT_SYSEMU_SINGLESTEP: return resume(tt, R_SYSEMU_STEP, data);
    case PT_LISTEN:
      if (!tt.pt.seized || !tt.pt.has_si || (tt.pt.si.si_code >> 8) != EV_STOP) return -LX_EIO;
      leave_stop(tt);
      if (tt.pt.notify) { tt.pt.notify = false; tt.pt.trap = true; }  // SIGCONT came meanwhile: trap again
      else tt.pt.listening = true;
      return 0;
    case PT_DETACH:
      if (data > (uint64_t)LNSIG) return -LX_EIO;
      detach(tt, (int)data);
      return 0;
    default:
      return -LX_EIO;
  }
}

// process_vm_readv / process_vm_writev: iovecs of both sides, partial transfers counted.
int64_t vm_rw(Task& p, const uint64_t* a, bool write) {
  const int pid = arg_int(a, 0);
  const uint64_t liov = a[1], liovcnt = a[2], riov = a[3], riovcnt = a[4], flags = a[5];
  if (flags) return -LX_EINVAL;
  if (liovcnt > 1024 || riovcnt > 1024) return -LX_EINVAL;
  std::vector<lx_iovec> l(liovcnt), r(riovcnt);
  if (liovcnt && !p.get(l.data(), liov, liovcnt * sizeof(lx_iovec))) return -LX_EFAULT;
  if (riovcnt && !p.get(r.data(), riov, riovcnt * sizeof(lx_iovec))) return -LX_EFAULT;
  Task* t = p.k.find_task(pid);
  if (!t || t->exited) return -LX_ESRCH;
  if (!ptrace_may_access(p, *t)) return -LX_EPERM;
  if (!t->mem) return -LX_ESRCH;
  uint64_t done = 0;
  size_t li = 0, ri = 0;
  uint64_t loff = 0, roff = 0;
  std::vector<uint8_t> buf;
  while (li < l.size() && ri < r.size()) {
    if (loff == l[li].len) { li++; loff = 0; continue; }
    if (roff == r[ri].len) { ri++; roff = 0; continue; }
    const uint64_t ra = r[ri].base + roff, la = l[li].base + loff;
    uint64_t n = std::min(l[li].len - loff, r[ri].len - roff);
    n = std::min<uint64_t>(n, PAGE - (ra & (PAGE - 1)));
    buf.resize(n);
    if (write) {
      if (!p.get(buf.data(), la, n)) return done ? (int64_t)done : -LX_EFAULT;
      if (!t->mem->copy_out(ra, buf.data(), n)) return done ? (int64_t)done : -LX_EFAULT;
    } else {
      if (!t->mem->copy_in(buf.data(), ra, n)) return done ? (int64_t)done : -LX_EFAULT;
      if (!p.put(la, buf.data(), n)) return done ? (int64_t)done : -LX_EFAULT;
    }
    done += n;
    loff += n;
    roff += n;
  }
  return (int64_t)done;
}

SYS(process_vm_readv) { return vm_rw(p, a, false); }
SYS(process_vm_writev) { return vm_rw(p, a, true); }

}  // namespace

void register_sys_ptrace(SyscallTable& t) {
  t.add(101, "ptrace", sys_ptrace, {H(), I(), H(), H()});
  t.add(310, "process_vm_readv", sys_process_vm_readv, {I(), P(), U(), P(), U(), H()});
  t.add(311, "process_vm_writev", sys_process_vm_writev, {I(), P(), U(), P(), U(), H()});
}

}  // namespace gb
