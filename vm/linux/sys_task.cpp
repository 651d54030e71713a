// vm/linux/sys_task.cpp — task lifecycle syscalls: clone, clone3, fork, vfork, exit,
// exit_group, wait4, waitid. The task model and scheduler are in sched.cpp.
#include <algorithm>

#include "vm/linux/rectrace.h"
#include "vm/linux/sys_common.h"

namespace gb {

namespace {

// ---- clone ----------------------------------------------------------------------------

struct CloneArgs {
  uint64_t flags = 0, pidfd = 0, child_tid = 0, parent_tid = 0, exit_signal = 0, stack = 0, stack_size = 0,
           tls = 0;
};

int64_t do_clone(Task& p, const CloneArgs& ca) {
  const uint64_t fl = ca.flags;
  // Namespaces and pidfds are not part of this machine.
  if (fl & (LCLONE_NEWNS | LCLONE_NEWCGROUP | LCLONE_NEWUTS | LCLONE_NEWIPC | LCLONE_NEWUSER | LCLONE_NEWPID |
            LCLONE_NEWNET))
    return -LX_EPERM;
  if (fl & LCLONE_PIDFD) return -LX_EINVAL;
  if ((fl & LCLONE_THREAD) && !(fl & LCLONE_SIGHAND)) return -LX_EINVAL;
  if ((fl & LCLONE_SIGHAND) && !(fl & LCLONE_VM)) return -LX_EINVAL;
  if (ca.exit_signal > LNSIG) return -LX_EINVAL;
  // A fork bomb meets RLIMIT_NPROC (and the machine's own cap) with EAGAIN, as on Linux.
  // (Tasks already reaped, or dead threads, are no longer counted: the scheduler frees
  // them at its next round, which a fork right after wait() must not wait for.)
  const size_t limit = std::min<uint64_t>(p.rlim[6].cur, Kernel::kMaxTasks);
  size_t tasks = 0;
  for (const Task* t : p.k.procs)
    if (!(t->state == Task::State::Dead && (!t->is_leader() || t->reaped_))) tasks++;
  if (tasks >= limit) {
    if (p.k.log_once("task-limit"))
      p.k.message("clone: " + std::to_string(p.k.procs.size()) + " tasks, the limit; returning EAGAIN");
    return -LX_EAGAIN;
  }
  const int tid = p.k.alloc_pid();
  auto child = std::make_unique<Task>(p.k, p, fl, tid);
  Task& c = *child;
  c.exit_signal = (fl & LCLONE_THREAD) ? -1 : (int)ca.exit_signal;
  c.cpu.r[RAX] = 0;
  if (ca.stack) c.cpu.r[RSP] = ca.stack;
  if (fl & LCLONE_SETTLS) c.cpu.fs_base = ca.tls;
  if (fl & LCLONE_CHILD_CLEARTID) c.clear_child_tid = ca.child_tid;
  if (fl & LCLONE_CHILD_SETTID) {
    const uint32_t v = (uint32_t)tid;
    c.mem->copy_out(ca.child_tid, &v, 4);  // in the child's memory
  }
  if (fl & LCLONE_PARENT_SETTID) {
    const uint32_t v = (uint32_t)tid;
    if (!p.put(ca.parent_tid, &v, 4)) return -LX_EFAULT;
  }
  if (fl & LCLONE_CLEAR_SIGHAND)
    for (int s = 1; s <= LNSIG; s++)
      if (c.sigact[s].handler > 1) c.sigact[s] = lx_sigaction{};
  if (p.k.trace.enabled()) {
    TraceEvent ev = p.k.trace.make(TraceKind::Exec, c.pid, c.tid, c.cpu.icount);
    ev.args[0] = fl;
    ev.set_text(std::string(fl & LCLONE_THREAD ? "thread " : "fork ") + std::to_string(tid) + " of " +
                std::to_string(p.tid));
    p.k.trace.emit(ev);
  }
  if (p.k.records.enabled()) record_fork(p, c, fl);
  p.k.adopt(std::move(child));
  ptrace_on_clone(p, c, fl);  // PTRACE_O_TRACEFORK & co.: the child is traced too
  if (fl & LCLONE_VFORK) {
    // The parent sleeps until the child execs or exits (sched.cpp wakes it).
    c.vfork_parent = p.tid;
    p.vfork_child = tid;
    p.state = Task::State::Blocked;
    p.park_gen = p.k.waits.generation();
    p.cpu.stop = true;
  }
  p.k.waits.wake();
  return tid;
}

SYS(clone) {
  CloneArgs ca;
  ca.flags = a[0] & ~0xffull;
  ca.exit_signal = a[0] & 0xff;
  ca.stack = a[1];
  ca.parent_tid = a[2];
  ca.child_tid = a[3];
  ca.tls = a[4];
  return do_clone(p, ca);
}
SYS(clone3) {
  if (a[1] < 64 || a[1] > 4096) return -LX_EINVAL;
  uint64_t raw[11] = {};
  if (!p.get(raw, a[0], std::min<uint64_t>(a[1], sizeof raw))) return -LX_EFAULT;
  CloneArgs ca;
  ca.flags = raw[0];
  ca.pidfd = raw[1];
  ca.child_tid = raw[2];
  ca.parent_tid = raw[3];
  ca.exit_signal = raw[4];
  ca.stack = raw[5];
  ca.stack_size = raw[6];
  ca.tls = raw[7];
  if (a[1] >= 80 && raw[9]) return -LX_EINVAL;  // set_tid
  if ((ca.stack == 0) != (ca.stack_size == 0)) return -LX_EINVAL;
  if (ca.stack) ca.stack += ca.stack_size;  // the stack grows down from its end
  return do_clone(p, ca);
}
SYS(fork) {
  CloneArgs ca;
  ca.exit_signal = LSIGCHLD;
  return do_clone(p, ca);
}
SYS(vfork) {
  CloneArgs ca;
  ca.flags = LCLONE_VM | LCLONE_VFORK;
  ca.exit_signal = LSIGCHLD;
  return do_clone(p, ca);
}

SYS(exit) {
  if (p.traced() && ptrace_exit_event(p, (arg_int(a, 0) & 0xff) << 8)) return kBlock;
  p.exit_thread(arg_int(a, 0));
  return 0;
}
SYS(exit_group) {
  if (p.traced() && ptrace_exit_event(p, (arg_int(a, 0) & 0xff) << 8)) return kBlock;
  p.exit_now(arg_int(a, 0));
  return 0;
}

// ---- wait -----------------------------------------------------------------------------

enum : uint32_t { LWNOHANG = 1, LWUNTRACED = 2, LWSTOPPED = 2, LWEXITED = 4, LWCONTINUED = 8, LWNOWAIT = 0x1000000,
                  LWNOTHREAD = 0x20000000, LWALL = 0x40000000, LWCLONE = 0x80000000 };

// Whether child process (or tracee) `c` matches wait4's pid selector.
bool matches(const Task& p, const Task& c, int sel_kind, int sel) {
  switch (sel_kind) {
    case 0: return true;                // any child
    case 1: return c.tid == sel;        // that pid (a tracee may be a thread)
    default: return c.pgid == sel;      // that process group
  }
}

struct WaitResult {
  Task* child = nullptr;
  bool ptrace_stop = false;  // a tracee's ptrace-stop (CLD_TRAPPED)
  int code = 0;     // CLD_*
  int status = 0;   // wait4 status word
  int si_status = 0;
};

// Finds a child with something to report. Returns 0, -ECHILD or kBlock (nothing yet).
int64_t find_waitable(Task& p, int sel_kind, int sel, uint32_t opts, WaitResult& r) {
  bool any = false;
  for (Task* c : p.k.procs) {
    // Children (processes) and tracees (processes or threads) of this process.
    const bool traced = c->pt.tracer == p.pid && c->tid != p.pid;
    const bool child = c->is_leader() && c->ppid == p.pid && c->pid != p.pid;
    if ((!traced && !child) || c->reaped_) continue;
    if (!traced && c->is_leader() && c->traced() && c->tg->zombie) { any = true; continue; }  // its tracer first
    if (!matches(p, *c, sel_kind, sel)) continue;
    // __WCLONE: only children whose exit signal is not SIGCHLD; __WALL: all.
    const bool clone_child = c->exit_signal != LSIGCHLD;
    if (!(opts & LWALL) && (((opts & LWCLONE) != 0) != clone_child)) continue;
    any = true;
    if (traced && !c->is_leader() && c->exited) {  // a traced thread that ended
      if (!(opts & LWEXITED)) continue;
      r.child = c;
      r.status = c->killed_by ? c->killed_by : (c->exit_code & 0xff) << 8;
      r.code = c->killed_by ? LCLD_KILLED : LCLD_EXITED;
      r.si_status = c->killed_by ? c->killed_by : c->exit_code & 0xff;
      return 0;
    }
    ThreadGroup& g = *c->tg;
    if (c->is_leader() && g.zombie && (opts & LWEXITED)) {
      r.child = c;
      const int st = g.exit_status;
      r.status = st;
      if (st & 0x7f) {
        r.code = (st & 0x80) ? LCLD_DUMPED : LCLD_KILLED;
        r.si_status = st & 0x7f;
      } else {
        r.code = LCLD_EXITED;
        r.si_status = (st >> 8) & 0xff;
      }
      return 0;
    }
    if (traced) {
      if (c->pt.stop != PtStop::None && c->pt.report && !c->exited) {
        r.child = c;
        r.ptrace_stop = true;
        r.code = LCLD_TRAPPED;
        r.status = (c->pt.code << 8) | 0x7f;
        r.si_status = c->pt.code;
        return 0;
      }
      if (!child) continue;
    }
    if (g.stopped && g.stop_report && (opts & LWSTOPPED)) {
      r.child = c;
      r.code = LCLD_STOPPED;
      r.status = (g.stop_sig << 8) | 0x7f;
      r.si_status = g.stop_sig;
      return 0;
    }
    if (g.cont_report && (opts & LWCONTINUED)) {
      r.child = c;
      r.code = LCLD_CONTINUED;
      r.status = 0xffff;
      r.si_status = LSIGCONT;
      return 0;
    }
  }
  if (!any) return -LX_ECHILD;
  return kBlock;
}

void consume(Task& p, WaitResult& r) {
  Task& c = *r.child;
  ThreadGroup& g = *c.tg;
  if (r.ptrace_stop) c.pt.report = false;
  else if (!c.is_leader()) { c.pt = PtraceState{}; c.reaped_ = true; p.k.waits.wake(); }  // a traced thread
  else if (r.code == LCLD_STOPPED) g.stop_report = false;
  else if (r.code == LCLD_CONTINUED) g.cont_report = false;
  else if (c.traced() && c.ppid != p.pid) {
    // The tracer collected a tracee that is not its child: the parent's turn now.
    c.pt = PtraceState{};
    const int st = g.exit_status;
    p.k.notify_parent(c, r.code, (st & 0x7f) ? (st & 0x7f) : (st >> 8) & 0xff);
  } else {
    p.k.reap(c);
  }
}

void fill_rusage(Task& p, Task* c, uint64_t addr) {
  if (!addr) return;
  lx_rusage ru;
  memset(&ru, 0, sizeof ru);
  if (c) {
    const uint64_t ns = c->tg->cpu_ns;
    ru.ru_utime = {(int64_t)(ns / 1000000000ull), (int64_t)(ns / 1000 % 1000000)};
    ru.ru_maxrss = (int64_t)(c->mem ? c->mem->resident_pages() * 4 : 0);
  }
  p.put(addr, &ru, sizeof ru);
}

SYS(wait4) {
  const int pid = arg_int(a, 0);
  const uint32_t opts = (uint32_t)a[2];
  if (opts & ~(LWNOHANG | LWUNTRACED | LWCONTINUED | LWNOTHREAD | LWALL | LWCLONE)) return -LX_EINVAL;
  if (pid == INT32_MIN) return -LX_ESRCH;  // as Linux: -INT_MIN names no group
  int kind = 0, sel = 0;
  if (pid > 0) { kind = 1; sel = pid; }
  else if (pid == 0) { kind = 2; sel = p.pgid; }
  else if (pid < -1) { kind = 2; sel = -pid; }
  WaitResult r;
  const int64_t e = find_waitable(p, kind, sel, opts | LWEXITED, r);
  if (e == kBlock) return (opts & LWNOHANG) ? 0 : kBlock;
  if (e < 0) return e;
  const int cpid = r.child->tid;  // (a traced thread reports its own id)
  if (a[1] && !p.put(a[1], &r.status, 4)) return -LX_EFAULT;
  fill_rusage(p, r.child, a[3]);
  consume(p, r);
  return cpid;
}

SYS(waitid) {
  const int idtype = arg_int(a, 0), id = arg_int(a, 1);
  const uint32_t opts = (uint32_t)a[3];
  if (opts & ~(LWNOHANG | LWSTOPPED | LWEXITED | LWCONTINUED | LWNOWAIT | LWNOTHREAD | LWALL | LWCLONE))
    return -LX_EINVAL;
  if (!(opts & (LWEXITED | LWSTOPPED | LWCONTINUED))) return -LX_EINVAL;
  int kind;
  switch (idtype) {
    case 0: kind = 0; break;                     // P_ALL
    case 1: kind = 1; break;                     // P_PID
    case 2: kind = 2; break;                     // P_PGID
    default: return -LX_EINVAL;                  // P_PIDFD: no pidfds
  }
  const int sel = (idtype == 2 && id == 0) ? p.pgid : id;
  WaitResult r;
  const int64_t e = find_waitable(p, kind, sel, opts, r);
  lx_siginfo si;
  if (e == kBlock && !(opts & LWNOHANG)) return kBlock;
  if (e < 0 && e != kBlock) return e;
  if (e == 0) {
    si = make_siginfo(LSIGCHLD, r.code, r.child->tid, r.child->uid);
    si.u.chld.status = r.si_status;
  }
  if (a[2] && !p.put(a[2], &si, sizeof si)) return -LX_EFAULT;  // WNOHANG with nothing: zeroed
  if (e == 0) {
    fill_rusage(p, r.child, a[4]);
    if (!(opts & LWNOWAIT)) consume(p, r);
  }
  return 0;
}

}  // namespace

void register_sys_task(SyscallTable& t) {
  t.add(56, "clone", sys_clone, {H(), P(), P(), P(), H()});
  t.add(57, "fork", sys_fork, {});
  t.add(58, "vfork", sys_vfork, {});
  t.add(60, "exit", sys_exit, {I()}, R_NONE);
  t.add(61, "wait4", sys_wait4, {I(), P(), H(), P()});
  t.add(231, "exit_group", sys_exit_group, {I()}, R_NONE);
  t.add(247, "waitid", sys_waitid, {I(), I(), P(), H(), P()});
  t.add(435, "clone3", sys_clone3, {P(), U()});
}

}  // namespace gb
