// vm/linux/sys_signal.cpp — signal syscalls: rt_sigaction, rt_sigprocmask, rt_sigpending,
// sigaltstack, kill/tgkill/tkill/rt_(tg)sigqueueinfo, rt_sigreturn, rt_sigsuspend, pause,
// rt_sigtimedwait, alarm/setitimer/getitimer. Delivery and frames: signal.cpp.
#include "vm/linux/sys_common.h"

namespace gb {

namespace {

constexpr uint64_t kUnblockable = (1ull << (LSIGKILL - 1)) | (1ull << (LSIGSTOP - 1));

SYS(rt_sigaction) {
  const int sig = arg_int(a, 0);
  if (a[3] != 8) return -LX_EINVAL;
  if (sig < 1 || sig > LNSIG) return -LX_EINVAL;
  lx_sigaction nv;
  if (a[1]) {
    if (!p.get(&nv, a[1], sizeof nv)) return -LX_EFAULT;
    if (sig == LSIGKILL || sig == LSIGSTOP) return -LX_EINVAL;
  }
  if (a[2] && !p.put(a[2], &p.sigact[sig], sizeof(lx_sigaction))) return -LX_EFAULT;
  if (a[1]) {
    nv.mask &= ~kUnblockable;
    p.sigact[sig] = nv;
    // Setting SIG_IGN discards a pending signal.
    if (nv.handler == 1 || (nv.handler == 0 && signal_default_ignored(sig))) {
      p.tg->shared_pending &= ~(1ull << (sig - 1));
      for (Task* t : p.tg->threads) t->sigpending &= ~(1ull << (sig - 1));
    }
  }
  return 0;
}

SYS(rt_sigprocmask) {
  const int how = arg_int(a, 0);
  if (a[3] != 8) return -LX_EINVAL;
  uint64_t set = 0;
  if (a[1]) {
    if (how < 0 || how > 2) return -LX_EINVAL;
    if (!p.get(&set, a[1], 8)) return -LX_EFAULT;
  }
  const uint64_t old = p.sigmask;
  if (a[2] && !p.put(a[2], &old, 8)) return -LX_EFAULT;
  if (a[1]) {
    switch (how) {
      case 0: p.sigmask |= set; break;
      case 1: p.sigmask &= ~set; break;
      case 2: p.sigmask = set; break;
    }
    p.sigmask &= ~kUnblockable;
  }
  return 0;
}

SYS(rt_sigpending) {
  if (a[1] != 8) return -LX_EINVAL;
  const uint64_t v = p.pending_mask() & p.sigmask;
  return p.put(a[0], &v, 8) ? 0 : -LX_EFAULT;
}

SYS(sigaltstack) {
  lx_stack_t nv;
  if (a[0]) {
    if (!p.get(&nv, a[0], sizeof nv)) return -LX_EFAULT;
    const int32_t flags = nv.ss_flags & ~(int32_t)0x80000000;  // SS_AUTODISARM
    if (flags != 0 && flags != 2) return -LX_EINVAL;
    if (flags == 0 && nv.ss_size < 2048) return -LX_ENOMEM;
  }
  if (a[1]) {
    lx_stack_t old = p.altstack;
    if (!p.put(a[1], &old, sizeof old)) return -LX_EFAULT;
  }
  if (a[0]) {
    if (nv.ss_flags & 2) nv = {0, 2, 0, 0};
    p.altstack = nv;
  }
  return 0;
}

// Permission to signal: root, or a matching real/effective uid.
bool may_signal(const Task& p, const Task& t) {
  return p.euid == 0 || p.uid == t.uid || p.euid == t.uid || p.uid == t.suid || p.euid == t.suid;
}

int64_t kill_one(Task& p, Task& leader, int sig) {
  if (!may_signal(p, leader)) return -LX_EPERM;
  if (sig == 0) return 0;
  p.k.signal_process(leader, sig, make_siginfo(sig, LSI_USER, p.pid, p.uid));
  return 0;
}

SYS(kill) {
  const int pid = arg_int(a, 0), sig = arg_int(a, 1);
  if (sig < 0 || sig > LNSIG) return -LX_EINVAL;
  if (pid == INT32_MIN) return -LX_ESRCH;  // as Linux: -INT_MIN names no group
  if (pid > 0) {
    Task* t = p.k.find_leader(pid);
    if (!t || t->tg->zombie) {
      if (t) return 0;  // a zombie: nothing happens, but it exists
      return -LX_ESRCH;
    }
    return kill_one(p, *t, sig);
  }
  const int pg = pid == 0 ? p.pgid : -pid;
  int found = 0, sent = 0;
  for (Task* t : std::vector<Task*>(p.k.procs)) {
    if (!t->is_leader() || t->tg->zombie) continue;
    if (pid == -1 ? t->pid == p.pid : t->pgid != pg) continue;
    found++;
    if (kill_one(p, *t, sig) == 0) sent++;
  }
  if (!found) return -LX_ESRCH;
  return sent ? 0 : -LX_EPERM;
}

int64_t tkill_one(Task& p, int tgid, int tid, int sig) {
  if (sig < 0 || sig > LNSIG) return -LX_EINVAL;
  Task* t = p.k.find_task(tid);
  if (!t || (tgid > 0 && t->pid != tgid)) return -LX_ESRCH;
  if (!may_signal(p, *t)) return -LX_EPERM;
  if (sig == 0) return 0;
  p.k.signal_task(*t, sig, make_siginfo(sig, LSI_TKILL, p.pid, p.uid));
  return 0;
}
SYS(tgkill) {
  if (arg_int(a, 0) <= 0 || arg_int(a, 1) <= 0) return -LX_EINVAL;
  return tkill_one(p, arg_int(a, 0), arg_int(a, 1), arg_int(a, 2));
}
SYS(tkill) {
  if (arg_int(a, 0) <= 0) return -LX_EINVAL;
  return tkill_one(p, 0, arg_int(a, 0), arg_int(a, 1));
}

int64_t queueinfo(Task& p, int tgid, int tid, int sig, uint64_t uinfo) {
  lx_siginfo si;
  if (!p.get(&si, uinfo, sizeof si)) return -LX_EFAULT;
  if (sig < 1 || sig > LNSIG) return -LX_EINVAL;
  if ((si.si_code >= 0 || si.si_code == LSI_TKILL) && (tid != p.tid && tgid != p.pid)) return -LX_EPERM;
  si.si_signo = sig;
  if (tid) {
    Task* t = p.k.find_task(tid);
    if (!t || t->pid != tgid) return -LX_ESRCH;
    return p.k.signal_task(*t, sig, si);
  }
  Task* t = p.k.find_leader(tgid);
  if (!t || t->tg->zombie) return -LX_ESRCH;
  return p.k.signal_process(*t, sig, si);
}
SYS(rt_sigqueueinfo) { return queueinfo(p, arg_int(a, 0), 0, arg_int(a, 1), a[2]); }
SYS(rt_tgsigqueueinfo) { return queueinfo(p, arg_int(a, 0), arg_int(a, 1), arg_int(a, 2), a[3]); }

SYS(rt_sigreturn) { return p.sigreturn(); }

// Waits with a temporary mask until a handler runs (always -EINTR).
SYS(rt_sigsuspend) {
  if (a[1] != 8) return -LX_EINVAL;
  uint64_t set;
  if (!p.get(&set, a[0], 8)) return -LX_EFAULT;
  if (!p.restarting) {
    p.saved_sigmask = p.sigmask;
    p.restore_sigmask = true;
  }
  p.sigmask = set & ~kUnblockable;
  return kBlock;  // only a signal ends it (interrupt_syscall turns it into -EINTR)
}
SYS(pause) { return kBlock; }

SYS(rt_sigtimedwait) {
  if (a[3] != 8) return -LX_EINVAL;
  uint64_t set;
  if (!p.get(&set, a[0], 8)) return -LX_EFAULT;
  set &= ~kUnblockable;
  const uint64_t pend = p.pending_mask() & set;
  if (pend) {
    const int sig = __builtin_ctzll(pend) + 1;
    lx_siginfo si = make_siginfo(sig, LSI_USER);
    for (int pass = 0; pass < 2; pass++) {
      uint64_t& pm = pass == 0 ? p.sigpending : p.tg->shared_pending;
      std::deque<lx_siginfo>& q = pass == 0 ? p.siginfo : p.tg->shared_info;
      if (!(pm & (1ull << (sig - 1)))) continue;
      bool more = false, taken = false;
      for (size_t i = 0; i < q.size(); i++) {
        if (q[i].si_signo != sig) continue;
        if (!taken) { si = q[i]; q.erase(q.begin() + (long)i); i--; taken = true; }
        else more = true;
      }
      if (!more) pm &= ~(1ull << (sig - 1));
      break;
    }
    if (a[1] && !p.put(a[1], &si, sizeof si)) return -LX_EFAULT;
    return sig;
  }
  uint64_t deadline = 0;
  if (a[2]) {
    lx_timespec ts;
    if (!p.get(&ts, a[2], sizeof ts)) return -LX_EFAULT;
    if (ts.tv_nsec < 0 || ts.tv_nsec >= 1000000000 || ts.tv_sec < 0) return -LX_EINVAL;
    deadline = p.deadline_for((uint64_t)lx_ns(ts));
    if (Task::now_ns() >= deadline) return -LX_EAGAIN;
    p.wake_at(deadline);
  }
  // The waited-for signals count as unblocked while we wait: park with them unmasked so
  // their arrival wakes us; interrupt_syscall would then deliver them to a handler, so
  // wait with a mask that blocks them and rely on the wait generation instead.
  return kBlock;
}

// ---- timers: alarm, setitimer, getitimer (REAL: wall clock; VIRTUAL/PROF: CPU time) -------
struct lx_itimerval { lx_timeval interval, value; };

lx_timeval ns_to_tv(uint64_t ns) { return {(int64_t)(ns / 1000000000ull), (int64_t)(ns % 1000000000ull / 1000)}; }
uint64_t tv_to_ns(const lx_timeval& t) { return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_usec * 1000ull; }

lx_itimerval real_timer(Task& p) {
  lx_itimerval v{};
  ThreadGroup& g = *p.tg;
  if (g.real_deadline) {
    const uint64_t now = Task::now_ns();
    uint64_t left = g.real_deadline > now ? g.real_deadline - now : 1000;
    v.value = ns_to_tv(left);
    if (!v.value.tv_sec && !v.value.tv_usec) v.value.tv_usec = 1;
    v.interval = ns_to_tv(g.real_interval);
  }
  return v;
}

lx_itimerval cpu_timer(Task& p, int which) {
  ThreadGroup& g = *p.tg;
  const uint64_t left = which == 1 ? g.virt_left : g.prof_left;
  const uint64_t iv = which == 1 ? g.virt_interval : g.prof_interval;
  lx_itimerval v{};
  if (left) {
    v.value = ns_to_tv(left);
    if (!v.value.tv_sec && !v.value.tv_usec) v.value.tv_usec = 1;
    v.interval = ns_to_tv(iv);
  }
  return v;
}

SYS(setitimer) {
  const int which = arg_int(a, 0);
  if (which < 0 || which > 2) return -LX_EINVAL;
  lx_itimerval nv{};
  if (a[1] && !p.get(&nv, a[1], sizeof nv)) return -LX_EFAULT;
  if (nv.value.tv_usec < 0 || nv.value.tv_usec >= 1000000 || nv.interval.tv_usec < 0 ||
      nv.interval.tv_usec >= 1000000 || nv.value.tv_sec < 0 || nv.interval.tv_sec < 0)
    return -LX_EINVAL;
  lx_itimerval old = which == 0 ? real_timer(p) : cpu_timer(p, which);
  if (a[2] && !p.put(a[2], &old, sizeof old)) return -LX_EFAULT;
  if (which == 0) {
    const uint64_t v = tv_to_ns(nv.value);
    p.tg->real_deadline = v ? Task::now_ns() + v : 0;
    p.tg->real_interval = v ? tv_to_ns(nv.interval) : 0;
  } else {  // CPU-time timers: charged by the scheduler (Kernel::charge_itimers)
    const uint64_t v = tv_to_ns(nv.value);
    (which == 1 ? p.tg->virt_left : p.tg->prof_left) = v;
    (which == 1 ? p.tg->virt_interval : p.tg->prof_interval) = v ? tv_to_ns(nv.interval) : 0;
  }
  return 0;
}
SYS(getitimer) {
  const int which = arg_int(a, 0);
  if (which < 0 || which > 2) return -LX_EINVAL;
  lx_itimerval v = which == 0 ? real_timer(p) : cpu_timer(p, which);
  return p.put(a[1], &v, sizeof v) ? 0 : -LX_EFAULT;
}
SYS(alarm) {
  lx_itimerval old = real_timer(p);
  const uint64_t secs = (uint32_t)a[0];
  p.tg->real_deadline = secs ? Task::now_ns() + secs * 1000000000ull : 0;
  p.tg->real_interval = 0;
  return old.value.tv_sec + (old.value.tv_usec >= 500000 ? 1 : 0) + (!old.value.tv_sec && old.value.tv_usec ? 1 : 0);
}

}  // namespace

void register_sys_signal(SyscallTable& t) {
  t.add(13, "rt_sigaction", sys_rt_sigaction, {K(A_SIGNAL), K(A_SIGACTION), P(), U()});
  t.add(14, "rt_sigprocmask", sys_rt_sigprocmask, {K(A_SIGHOW), K(A_SIGSET), K(A_SIGSET_OUT), U()});
  t.add(15, "rt_sigreturn", sys_rt_sigreturn, {}, R_NONE);
  t.add(62, "kill", sys_kill, {I(), K(A_SIGNAL)});
  t.add(127, "rt_sigpending", sys_rt_sigpending, {K(A_SIGSET_OUT), U()});
  t.add(131, "sigaltstack", sys_sigaltstack, {P(), P()});
  t.add(200, "tkill", sys_tkill, {I(), K(A_SIGNAL)});
  t.add(234, "tgkill", sys_tgkill, {I(), I(), K(A_SIGNAL)});
  t.add(34, "pause", sys_pause, {});
  t.add(36, "getitimer", sys_getitimer, {I(), P()});
  t.add(37, "alarm", sys_alarm, {U()});
  t.add(38, "setitimer", sys_setitimer, {I(), P(), P()});
  t.add(128, "rt_sigtimedwait", sys_rt_sigtimedwait, {K(A_SIGSET), P(), K(A_TIMESPEC), U()});
  t.add(129, "rt_sigqueueinfo", sys_rt_sigqueueinfo, {I(), K(A_SIGNAL), P()});
  t.add(130, "rt_sigsuspend", sys_rt_sigsuspend, {K(A_SIGSET), U()});
  t.add(297, "rt_tgsigqueueinfo", sys_rt_tgsigqueueinfo, {I(), I(), K(A_SIGNAL), P()});
}

}  // namespace gb
