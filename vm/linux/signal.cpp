// vm/linux/signal.cpp — signals: sending, default actions, the x86-64 signal frame and
// rt_sigreturn, interrupting parked syscalls (docs/processes.md).
//
// Index
//   1. Default actions and siginfo
//   2. Sending: Kernel::signal_process / signal_task / signal_pgrp
//   3. Pending and deliverable
//   4. Delivery: deliver_signals, force_signal, interrupt_syscall
//   5. The frame: setup_frame, sigreturn
//
// Design notes
//   * Standard signals (1-31) are pending at most once; real-time signals (32-64) queue
//     their siginfo. A process-directed signal waits in the group's set and is taken by
//     the first thread that does not block it.
//   * The frame is the kernel's rt_sigframe: the return address (sa_restorer), a
//     ucontext (flags, link, stack, 256-byte sigcontext, mask) and the siginfo, with the
//     512-byte fxsave image 64-byte aligned above it. glibc and gdb read exactly this.
#include <cstring>

#include "vm/cpu/f80.h"
#include "vm/linux/debug.h"
#include "vm/linux/kernel.h"
#include "vm/linux/rectrace.h"
#include "vm/linux/sys_common.h"

namespace gb {

// ---- 1. default actions and siginfo -------------------------------------------------------

bool signal_default_stops(int sig) {
  return sig == LSIGSTOP || sig == LSIGTSTP || sig == LSIGTTIN || sig == LSIGTTOU;
}
bool signal_default_cores(int sig) {
  return sig == LSIGQUIT || sig == LSIGILL || sig == LSIGTRAP || sig == LSIGABRT || sig == LSIGBUS ||
         sig == LSIGFPE || sig == LSIGSEGV || sig == LSIGXCPU || sig == LSIGXFSZ || sig == LSIGSYS;
}

lx_siginfo make_siginfo(int sig, int code, int pid, uint32_t uid) {
  lx_siginfo si;
  si.si_signo = sig;
  si.si_code = code;
  si.u.kill.pid = pid;
  si.u.kill.uid = uid;
  return si;
}

static inline uint64_t bit(int sig) { return 1ull << (sig - 1); }
constexpr uint64_t kStopMask = (1ull << (LSIGSTOP - 1)) | (1ull << (LSIGTSTP - 1)) | (1ull << (LSIGTTIN - 1)) |
                               (1ull << (LSIGTTOU - 1));
constexpr uint64_t kUnblockable = (1ull << (LSIGKILL - 1)) | (1ull << (LSIGSTOP - 1));

// ---- 2. sending ---------------------------------------------------------------------------

// Adds a signal to a pending set + siginfo queue (standard signals once, RT ones queued).
// Queued siginfo of every task of user `uid` (Linux's per-user sigpending count).
static uint64_t queued_for_user(const Kernel& k, uint32_t uid) {
  uint64_t n = 0;
  for (const Task* p : k.procs) {
    if (p->uid != uid) continue;
    n += p->siginfo.size();
    if (p->is_leader()) n += p->tg->shared_info.size();
  }
  return n;
}

// Queues a signal for `target` (its task queue or its group's). Past the target user's
// RLIMIT_SIGPENDING, as Linux's __send_signal: a real-time signal from sigqueue (or
// any non-kill source) is refused with EAGAIN; a standard signal, or a kill(), is still
// made pending but its siginfo is not queued. Returns 0 or -EAGAIN.
static int enqueue(Kernel& k, Task& target, uint64_t& pending, std::deque<lx_siginfo>& q, int sig,
                   const lx_siginfo& si) {
  if (sig < 32 && (pending & bit(sig))) return 0;
  const bool override_limit = sig < 32 && si.si_code >= 0;
  if (!override_limit && queued_for_user(k, target.uid) >= target.rlim[11].cur) {
    if (sig >= 32 && si.si_code != LSI_USER) return -LX_EAGAIN;
    pending |= bit(sig);  // delivered with a kernel siginfo: the details are lost
    return 0;
  }
  pending |= bit(sig);
  lx_siginfo s = si;
  s.si_signo = sig;
  q.push_back(s);
  return 0;
}

static bool ignored(const Task& p, int sig) {
  const uint64_t h = p.sigact[sig].handler;
  return h == 1 || (h == 0 && signal_default_ignored(sig));
}

// What every sender does first: SIGKILL/SIGCONT act at once, stop and continue cancel
// each other. Returns false when the signal is gone (ignored and not blocked).
static bool prepare_send(Kernel& k, Task& target, int sig) {
  ThreadGroup& g = *target.tg;
  if (g.zombie || g.exiting) return false;
  if (sig == LSIGKILL) {
    // Fatal at once, even for a stopped group.
    Task* t = g.threads.empty() ? &target : g.threads.front();
    g.stopped = false;
    t->kill_with(LSIGKILL, "");
    return false;
  }
  if (signal_default_stops(sig)) {
    g.shared_pending &= ~bit(LSIGCONT);
    for (Task* t : g.threads) t->sigpending &= ~bit(LSIGCONT);
  }
  if (sig == LSIGCONT) {
    g.shared_pending &= ~kStopMask;
    for (Task* t : g.threads) t->sigpending &= ~kStopMask;
    for (Task* t : g.threads) {  // seized tracees trap (PTRACE_EVENT_STOP) before running on
      if (!t->pt.seized) continue;
      if (t->pt.stop != PtStop::None) t->pt.notify = true;  // after the tracer resumes it
      else { t->pt.listening = false; t->pt.trap = true; t->cpu.stop = true; }
    }
    if (g.stopped) {
      g.stopped = false;
      g.stop_report = false;
      g.cont_report = true;
      if (Task* leader = k.find_leader(target.pid)) k.notify_parent(*leader, LCLD_CONTINUED, LSIGCONT);
    }
  }
  // Ignored signals are discarded unless blocked (they may be unignored before unblocking).
  bool blocked_everywhere = true;
  for (Task* t : g.threads)
    if (!(t->sigmask & bit(sig))) blocked_everywhere = false;
  // (A traced task sees even ignored signals: its tracer decides at the delivery stop.)
  if (ignored(target, sig) && !blocked_everywhere && !target.traced()) return false;
  return true;
}

int Kernel::signal_process(Task& target, int sig, const lx_siginfo& si) {
  if (sig < 1 || sig > LNSIG) return 0;
  if (!prepare_send(*this, target, sig)) { waits.wake(); return 0; }
  ThreadGroup& g = *target.tg;
  const int e = enqueue(*this, target, g.shared_pending, g.shared_info, sig, si);
  waits.wake();
  return e;
}

int Kernel::signal_task(Task& t, int sig, const lx_siginfo& si) {
  if (sig < 1 || sig > LNSIG || t.exited) return 0;
  if (!prepare_send(*this, t, sig)) { waits.wake(); return 0; }
  const int e = enqueue(*this, t, t.sigpending, t.siginfo, sig, si);
  waits.wake();
  return e;
}

int Kernel::signal_pgrp(int pgrp, int sig, const lx_siginfo& si) {
  int n = 0;
  for (Task* p : std::vector<Task*>(procs))
    if (p->is_leader() && p->pgid == pgrp && !p->tg->zombie) {
      signal_process(*p, sig, si);
      n++;
    }
  return n ? 0 : -LX_ESRCH;
}

// ---- 3. pending and deliverable -------------------------------------------------------------

uint64_t Task::pending_mask() const { return sigpending | tg->shared_pending; }

bool Task::signal_deliverable() const {
  return (pending_mask() & ~sigmask) != 0 && !exited;
}

// Takes the lowest deliverable signal (task-directed first) and its siginfo.
static int dequeue(Task& p, lx_siginfo& out) {
  for (int pass = 0; pass < 2; pass++) {
    uint64_t& pend = pass == 0 ? p.sigpending : p.tg->shared_pending;
    std::deque<lx_siginfo>& q = pass == 0 ? p.siginfo : p.tg->shared_info;
    const uint64_t ready = pend & ~p.sigmask;
    if (!ready) continue;
    // Synchronous-looking signals first (as Linux: SIGSEGV, SIGBUS ... before others).
    int sig = __builtin_ctzll(ready) + 1;
    out = make_siginfo(sig, LSI_KERNEL);
    bool more = false;
    for (size_t i = 0; i < q.size(); i++) {
      if (q[i].si_signo != sig) continue;
      out = q[i];
      q.erase(q.begin() + (long)i);
      for (size_t j = i; j < q.size(); j++)
        if (q[j].si_signo == sig) more = true;
      break;
    }
    if (!more) pend &= ~bit(sig);
    return sig;
  }
  return 0;
}

// ---- 4. delivery ------------------------------------------------------------------------

// The inspector's signal breakpoints: the signal dequeue() would take next, if it would be
// acted on (not ignored), offered to the debugger, which may halt the machine instead.
static bool debugger_stops_before(Task& p) {
  for (int pass = 0; pass < 2; pass++) {
    const uint64_t ready = (pass == 0 ? p.sigpending : p.tg->shared_pending) & ~p.sigmask;
    if (!ready) continue;
    const int sig = __builtin_ctzll(ready) + 1;
    const lx_sigaction& act = p.sigact[sig];
    if (act.handler == 1 || (act.handler == 0 && signal_default_ignored(sig))) return false;
    return p.k.debugger->signal_stop(p, sig);
  }
  return false;
}

void Task::deliver_signals() {
  while (!exited && state == State::Runnable && !(tg->stopped && !traced()) && !pt.listening &&
         pt.stop == PtStop::None) {
    lx_siginfo si;
    int sig;
    if (pt.inject) {  // a signal the tracer let through its delivery stop
      sig = pt.inject;
      si = pt.inject_si;
      pt.inject = 0;
      if (sigmask & bit(sig)) {  // blocked meanwhile: pending again
        enqueue(k, *this, sigpending, siginfo, sig, si);
        continue;
      }
    } else {
      if (__builtin_expect(k.debugger != nullptr, 0) && debugger_stops_before(*this)) return;  // stays pending
      sig = dequeue(*this, si);
      if (!sig) break;
      if (traced() && ptrace_signal_stop(*this, sig, si)) return;
    }
    lx_sigaction act = sigact[sig];
    if (act.handler == 1) continue;  // SIG_IGN
    if (act.handler == 0) {
      if (signal_default_ignored(sig)) continue;
      if (signal_default_stops(sig)) {
        ThreadGroup& g = *tg;
        g.stopped = true;
        g.stop_sig = sig;
        if (!traced() || pt.tracer != ppid) {
          g.stop_report = true;
          if (Task* leader = k.find_leader(pid)) k.notify_parent(*leader, LCLD_STOPPED, sig);
        }
        if (traced()) ptrace_group_stop(*this, sig);
        if (k.records.enabled()) record_signal(*this, sig, si, SigStopped, 0);
        if (k.trace.enabled()) {
          TraceEvent ev = k.trace.make(TraceKind::Signal, pid, tid, cpu.icount);
          ev.nr = (uint16_t)sig;
          ev.set_text(std::string("stopped by ") + signal_name(sig));
          k.trace.emit(ev);
        }
        return;
      }
      if (k.records.enabled()) record_signal(*this, sig, si, SigKilled, 0);
      kill_with(sig, "");
      return;
    }
    if (k.records.enabled()) record_signal(*this, sig, si, SigHandled, act.handler);
    if (k.trace.enabled()) {
      TraceEvent ev = k.trace.make(TraceKind::Signal, pid, tid, cpu.icount);
      ev.nr = (uint16_t)sig;
      ev.args[0] = act.handler;
      ev.set_text(std::string("--- ") + (signal_name(sig) ? signal_name(sig) : "SIGRT") + " ---");
      k.trace.emit(ev);
    }
    if (pt.restart) ptrace_fix_restart(*this, &act);  // -EINTR, or the call again after the handler
    if (!setup_frame(sig, si, act)) {
      kill_with(LSIGSEGV, std::string("guest SIGSEGV: cannot write the signal frame for ") +
                              (signal_name(sig) ? signal_name(sig) : "a signal") + " (bad stack)");
      return;
    }
    if (act.flags & LSA_RESETHAND) sigact[sig].handler = 0;
    break;  // one handler frame at a time; the rest go when it returns or at the next turn
  }
  // An interrupted traced syscall with no handler to run: it restarts.
  if (pt.restart && !exited && pt.stop == PtStop::None && !(tg->stopped && !traced()) && !pt.listening)
    ptrace_fix_restart(*this, nullptr);
  if (restore_sigmask && !exited) {  // sigsuspend & co. ended without running a handler
    sigmask = saved_sigmask;
    restore_sigmask = false;
  }
}

void Task::force_signal(int sig, const lx_siginfo& si, const std::string& what) {
  lx_sigaction& act = sigact[sig];
  if (traced()) {
    // The tracer sees it first (signal-delivery stop); as Linux's force_sig, a blocked
    // or ignored fault signal is unblocked and set to its default action.
    if (sigmask & bit(sig)) { sigmask &= ~bit(sig); if (act.handler == 1) act.handler = 0; }
    else if (act.handler == 1) act.handler = 0;
    enqueue(k, *this, sigpending, siginfo, sig, si);
    cpu.stop = true;
    deliver_signals();
    return;
  }
  if (act.handler <= 1 || (sigmask & bit(sig))) {
    // Blocked or ignored synchronous faults kill, as on Linux; so does no handler.
    if (!(act.handler == 0 && signal_default_ignored(sig))) {
      if (k.records.enabled()) record_signal(*this, sig, si, SigKilled, 0);
      kill_with(sig, what);
      return;
    }
  }
  enqueue(k, *this, sigpending, siginfo, sig, si);
  cpu.stop = true;
  deliver_signals();
}

// Syscalls that never restart after a handler (Linux: ERESTARTNOHAND / restart blocks).
static bool never_restarts(uint64_t nr) {
  switch (nr) {
    case 7: case 23: case 34: case 35: case 128: case 130: case 230: case 232: case 270: case 271: case 281:
      return true;  // poll select pause nanosleep rt_sigtimedwait rt_sigsuspend clock_nanosleep epoll_wait pselect6 ppoll epoll_pwait
    default:
      return false;
  }
}

void Task::interrupt_syscall() {
  // The task is parked at its syscall instruction (rip rewound, rax = number). Find the
  // signal that will be delivered; ignored ones are dropped here.
  for (;;) {
    const uint64_t ready = pending_mask() & ~sigmask;
    if (!ready) return;
    const int sig = __builtin_ctzll(ready) + 1;
    const lx_sigaction& act = sigact[sig];
    if (act.handler == 1 || (act.handler == 0 && signal_default_ignored(sig))) {
      lx_siginfo tmp;
      dequeue(*this, tmp);
      continue;
    }
    if (act.handler == 0 && signal_default_stops(sig)) return;  // stops, then re-executes
    if (act.handler == 0) return;                               // fatal: nothing to return
    const uint64_t nr = cpu.r[RAX];
    restarting = false;  // a restart after the handler starts afresh
    block_deadline = 0;
    futex_key = 0;
    if (write_done) {  // a write that got somewhere returns its count, SA_RESTART or not
      cpu.r[RAX] = write_done;
      cpu.rip += 2;
      write_done = 0;
      return;
    }
    if ((act.flags & LSA_RESTART) && !never_restarts(nr) && !(nr == 202 && block_deadline)) return;  // re-executed after the handler
    cpu.r[RAX] = (uint64_t)-LX_EINTR;
    cpu.rip += 2;
    restarting = false;
    block_deadline = 0;
    futex_key = 0;
    return;
  }
}

int set_temp_sigmask(Task& p, uint64_t mask_addr, uint64_t size) {
  if (!mask_addr) return 0;
  if (size != 8) return -LX_EINVAL;
  uint64_t m;
  if (!p.get(&m, mask_addr, 8)) return -LX_EFAULT;
  if (!p.restore_sigmask) {
    p.saved_sigmask = p.sigmask;
    p.restore_sigmask = true;
  }
  p.sigmask = m & ~kUnblockable;
  return 0;
}

// ---- 5. the frame -------------------------------------------------------------------------

namespace {

#pragma pack(push, 1)
struct SigContext {  // struct sigcontext (x86-64), 256 bytes
  uint64_t r8, r9, r10, r11, r12, r13, r14, r15, rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip, eflags;
  uint16_t cs, gs, fs, ss;
  uint64_t err, trapno, oldmask, cr2, fpstate;
  uint64_t reserved[8];
};
struct UContext {  // struct ucontext (kernel), 304 bytes
  uint64_t uc_flags, uc_link;
  lx_stack_t uc_stack;
  SigContext mc;
  uint64_t sigmask;
};
struct RtSigframe {
  uint64_t pretcode;
  UContext uc;
  lx_siginfo info;
};
#pragma pack(pop)
static_assert(sizeof(SigContext) == 256, "sigcontext");
static_assert(sizeof(UContext) == 304, "ucontext");

bool on_altstack(const Task& p, uint64_t sp) {
  return p.altstack.ss_size && !(p.altstack.ss_flags & 2) && sp > p.altstack.ss_sp &&
         sp <= p.altstack.ss_sp + p.altstack.ss_size;
}

}  // namespace

bool Task::setup_frame(int sig, const lx_siginfo& si, const lx_sigaction& act) {
  if (!(act.flags & LSA_RESTORER) || !act.restorer) return false;  // x86-64 needs sa_restorer
  uint64_t sp = cpu.r[RSP];
  const bool was_on_alt = on_altstack(*this, sp);
  lx_stack_t uc_stack = altstack;
  if ((act.flags & LSA_ONSTACK) && altstack.ss_size && !(altstack.ss_flags & 2) && !was_on_alt) {
    sp = altstack.ss_sp + altstack.ss_size;
    if (altstack.ss_flags & (int32_t)0x80000000) altstack = {0, 2, 0, 0};  // SS_AUTODISARM
  } else {
    sp -= 128;  // the red zone
  }
  if (was_on_alt) uc_stack.ss_flags = 1;  // SS_ONSTACK
  // fxsave image, 64-byte aligned.
  sp = (sp - 512) & ~63ull;
  const uint64_t fp_addr = sp;
  uint8_t fx[512];
  memset(fx, 0, sizeof fx);
  x87::fxsave_image(cpu, fx, true);
  sp -= sizeof(RtSigframe);
  sp = (sp & ~15ull) - 8;  // at the handler's first instruction, rsp + 8 is 16-byte aligned
  RtSigframe f{};  // all zero (reserved fields included)
  f.pretcode = act.restorer;
  f.uc.uc_flags = 0x2;  // UC_SIGCONTEXT_SS
  f.uc.uc_stack = uc_stack;
  SigContext& m = f.uc.mc;
  m.r8 = cpu.r[R8]; m.r9 = cpu.r[R9]; m.r10 = cpu.r[R10]; m.r11 = cpu.r[R11];
  m.r12 = cpu.r[R12]; m.r13 = cpu.r[R13]; m.r14 = cpu.r[R14]; m.r15 = cpu.r[R15];
  m.rdi = cpu.r[RDI]; m.rsi = cpu.r[RSI]; m.rbp = cpu.r[RBP]; m.rbx = cpu.r[RBX];
  m.rdx = cpu.r[RDX]; m.rax = cpu.r[RAX]; m.rcx = cpu.r[RCX]; m.rsp = cpu.r[RSP];
  m.rip = cpu.rip;
  m.eflags = cpu.get_rflags();
  m.cs = 0x33;
  m.ss = 0x2b;
  m.trapno = sig == LSIGSEGV || sig == LSIGBUS ? 14 : 0;
  m.cr2 = (sig == LSIGSEGV || sig == LSIGBUS) ? si.u.fault.addr : 0;
  m.oldmask = restore_sigmask ? saved_sigmask : sigmask;
  m.fpstate = fp_addr;
  f.uc.sigmask = restore_sigmask ? saved_sigmask : sigmask;
  f.info = si;
  f.info.si_signo = sig;
  if (!mem->copy_out(fp_addr, fx, sizeof fx) || !mem->copy_out(sp, &f, sizeof f)) return false;
  restore_sigmask = false;
  cpu.r[RDI] = (uint64_t)sig;
  cpu.r[RSI] = sp + offsetof(RtSigframe, info);
  cpu.r[RDX] = sp + offsetof(RtSigframe, uc);
  cpu.r[RAX] = 0;
  cpu.r[RSP] = sp;
  cpu.rip = act.handler;
  cpu.materialize();
  cpu.rflags &= ~(uint64_t)(0x400 | 0x100);  // DF and TF clear in the handler
  sigmask |= act.mask;
  if (!(act.flags & LSA_NODEFER)) sigmask |= bit(sig);
  sigmask &= ~kUnblockable;
  cpu.stop = true;
  k.counters.signal_frames++;
  return true;
}

int64_t Task::sigreturn() {
  const uint64_t sp = cpu.r[RSP] - 8;  // the handler's `ret` popped pretcode
  RtSigframe f;
  if (!mem->copy_in(&f, sp, sizeof f)) {
    kill_with(LSIGSEGV, "guest SIGSEGV: rt_sigreturn with an unreadable signal frame");
    return 0;
  }
  const SigContext& m = f.uc.mc;
  cpu.r[R8] = m.r8; cpu.r[R9] = m.r9; cpu.r[R10] = m.r10; cpu.r[R11] = m.r11;
  cpu.r[R12] = m.r12; cpu.r[R13] = m.r13; cpu.r[R14] = m.r14; cpu.r[R15] = m.r15;
  cpu.r[RDI] = m.rdi; cpu.r[RSI] = m.rsi; cpu.r[RBP] = m.rbp; cpu.r[RBX] = m.rbx;
  cpu.r[RDX] = m.rdx; cpu.r[RAX] = m.rax; cpu.r[RCX] = m.rcx; cpu.r[RSP] = m.rsp;
  cpu.rip = m.rip;
  cpu.cc = LazyFlags{};
  cpu.set_rflags(m.eflags);
  if (m.fpstate) {
    uint8_t fx[512];
    if (!mem->copy_in(fx, m.fpstate, sizeof fx) || !x87::fxrstor_image(cpu, fx, true)) {
      kill_with(LSIGSEGV, "guest SIGSEGV: rt_sigreturn with a bad fpstate");
      return 0;
    }
  }
  sigmask = f.uc.sigmask & ~kUnblockable;
  // The alternate stack as the frame recorded it (sigaltstack semantics, errors ignored).
  const lx_stack_t& st = f.uc.uc_stack;
  if (!on_altstack(*this, cpu.r[RSP])) {
    if (st.ss_flags & 2) altstack = {0, 2, 0, 0};
    else if (st.ss_size >= 2048) altstack = {st.ss_sp, st.ss_flags & (int32_t)0x80000000, 0, st.ss_size};
  }
  regs_replaced = true;
  cpu.stop = true;
  return (int64_t)m.rax;
}

}  // namespace gb
