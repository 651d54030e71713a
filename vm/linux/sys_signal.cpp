// vm/linux/sys_signal.cpp — signal syscalls, recorded: rt_sigaction and rt_sigprocmask
// keep the process's dispositions and mask (old values are returned correctly);
// sigaltstack is recorded; kill/tgkill/tkill to oneself apply the default action
// (terminate or ignore). Running guest handlers comes with the signals issue.
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
    if (nv.handler == 1) p.sigpending &= ~(1ull << (sig - 1));
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
  const uint64_t v = p.sigpending & p.sigmask;
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

// A signal sent by the process to itself.
int64_t self_signal(Process& p, int sig) {
  if (sig < 0 || sig > LNSIG) return -LX_EINVAL;
  if (sig == 0) return 0;
  const uint64_t bit = 1ull << (sig - 1);
  const uint64_t h = p.sigact[sig].handler;
  if (sig == LSIGKILL) { p.kill_with(sig, std::string("guest killed by ") + signal_name(sig)); return 0; }
  if (h == 1) return 0;  // ignored
  if (p.sigmask & bit) { p.sigpending |= bit; return 0; }
  if (h == 0) {
    if (signal_default_terminates(sig)) {
      const char* n = signal_name(sig);
      p.kill_with(sig, std::string("guest killed by ") + (n ? n : "signal " + std::to_string(sig)) +
                           " (sent by itself)");
    }
    return 0;
  }
  p.sigpending |= bit;
  if (p.k.log_once("sighandler:" + std::to_string(sig)))
    p.k.message(std::string("signal ") + (signal_name(sig) ? signal_name(sig) : std::to_string(sig).c_str()) +
                " has a guest handler; running handlers is not implemented yet (left pending)");
  return 0;
}

SYS(kill) {
  const int pid = arg_int(a, 0);
  if (pid == p.pid || pid == 0 || pid == -1 || pid == -p.pgid) return self_signal(p, arg_int(a, 1));
  return -LX_ESRCH;
}
SYS(tgkill) {
  if (arg_int(a, 0) <= 0 || arg_int(a, 1) <= 0) return -LX_EINVAL;
  if (arg_int(a, 0) != p.pid || arg_int(a, 1) != p.tid) return -LX_ESRCH;
  return self_signal(p, arg_int(a, 2));
}
SYS(tkill) {
  if (arg_int(a, 0) <= 0) return -LX_EINVAL;
  if (arg_int(a, 0) != p.tid) return -LX_ESRCH;
  return self_signal(p, arg_int(a, 1));
}

SYS(rt_sigreturn) {
  p.kill_with(LSIGSEGV, "rt_sigreturn without a signal frame (signal delivery is not implemented yet)");
  return 0;
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
}

}  // namespace gb
