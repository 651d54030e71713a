// vm/linux/sys_proc.cpp — process and identity syscalls: exit, execve, ids, process
// groups, arch_prctl, set_tid_address, robust lists, rlimits, uname, prctl, wait4.
#include "vm/linux/elf.h"
#include "vm/linux/sys_common.h"

namespace gb {

namespace {


int read_strarray(Task& p, uint64_t addr, std::vector<std::string>& out) {
  out.clear();
  if (!addr) return 0;
  size_t total = 0;
  for (uint64_t i = 0;; i++) {
    uint64_t ptr;
    if (!p.get(&ptr, addr + 8 * i, 8)) return -LX_EFAULT;
    if (!ptr) break;
    std::string s;
    if (!p.mem->read_cstr(ptr, s, 128 * 1024)) return s.size() >= 128 * 1024 ? -LX_E2BIG : -LX_EFAULT;
    if (s.size() + 1 > 128 * 1024) return -LX_E2BIG;  // MAX_ARG_STRLEN counts the NUL
    total += s.size() + 1 + 8;
    if (total > kStackSize / 4 || i > 0x7fffffff) return -LX_E2BIG;
    out.push_back(std::move(s));
  }
  return 0;
}

int64_t do_execve(Task& p, int dirfd, uint64_t path_addr, uint64_t argv_addr, uint64_t envp_addr, uint32_t flags) {
  std::string path;
  int e = p.get_path(path_addr, path);
  if (e < 0) return e;
  std::vector<std::string> argv, envp;
  e = read_strarray(p, argv_addr, argv);
  if (e < 0) return e;
  e = read_strarray(p, envp_addr, envp);
  if (e < 0) return e;
  if (dirfd != LAT_FDCWD && !path.empty() && path[0] != '/') {
    FileRef f = p.fds.get(dirfd);
    if (!f) return -LX_EBADF;
    path = Vfs::join(f->loc.path.empty() ? "/" : f->loc.path, path);
  } else if (path.empty() && (flags & LAT_EMPTY_PATH)) {
    FileRef f = p.fds.get(dirfd);
    if (!f) return -LX_EBADF;
    path = f->loc.path;
  }
  std::string err;
  e = p.execve(path, argv, envp, err);
  if (e < 0 && e != -LX_ENOENT && e != -LX_EACCES && !err.empty()) p.k.message("execve: " + err);
  return e;
}

SYS(execve) { return do_execve(p, LAT_FDCWD, a[0], a[1], a[2], 0); }
SYS(execveat) { return do_execve(p, arg_int(a, 0), a[1], a[2], a[3], (uint32_t)a[4]); }

SYS(getpid) { return p.pid; }
SYS(getppid) { return p.ppid; }
SYS(gettid) { return p.tid; }
SYS(getuid) { return p.uid; }
SYS(geteuid) { return p.euid; }
SYS(getgid) { return p.gid; }
SYS(getegid) { return p.egid; }
SYS(getresuid) {
  if (!p.put(a[0], &p.uid, 4) || !p.put(a[1], &p.euid, 4) || !p.put(a[2], &p.suid, 4)) return -LX_EFAULT;
  return 0;
}
SYS(getresgid) {
  if (!p.put(a[0], &p.gid, 4) || !p.put(a[1], &p.egid, 4) || !p.put(a[2], &p.sgid, 4)) return -LX_EFAULT;
  return 0;
}

// set*id: root may set anything; others only among their current ids.
bool may_set(const Task& p, uint32_t v, uint32_t r, uint32_t e, uint32_t s) {
  return p.euid == 0 || v == r || v == e || v == s;
}
SYS(setuid) {
  const uint32_t v = (uint32_t)a[0];
  if (p.euid == 0) { p.uid = p.euid = p.suid = v; return 0; }
  if (v != p.uid && v != p.suid) return -LX_EPERM;
  p.euid = v;
  return 0;
}
SYS(setgid) {
  const uint32_t v = (uint32_t)a[0];
  if (p.euid == 0) { p.gid = p.egid = p.sgid = v; return 0; }
  if (v != p.gid && v != p.sgid) return -LX_EPERM;
  p.egid = v;
  return 0;
}
SYS(setresuid) {
  const uint32_t r = (uint32_t)a[0], e = (uint32_t)a[1], s = (uint32_t)a[2];
  for (uint32_t v : {r, e, s})
    if (v != 0xffffffffu && !may_set(p, v, p.uid, p.euid, p.suid)) return -LX_EPERM;
  if (r != 0xffffffffu) p.uid = r;
  if (e != 0xffffffffu) p.euid = e;
  if (s != 0xffffffffu) p.suid = s;
  return 0;
}
SYS(setresgid) {
  const uint32_t r = (uint32_t)a[0], e = (uint32_t)a[1], s = (uint32_t)a[2];
  for (uint32_t v : {r, e, s})
    if (v != 0xffffffffu && p.euid != 0 && v != p.gid && v != p.egid && v != p.sgid) return -LX_EPERM;
  if (r != 0xffffffffu) p.gid = r;
  if (e != 0xffffffffu) p.egid = e;
  if (s != 0xffffffffu) p.sgid = s;
  return 0;
}
SYS(setreuid) {
  const uint64_t b[6] = {a[0], a[1], 0xffffffffu, 0, 0, 0};
  return sys_setresuid(p, b);
}
SYS(setregid) {
  const uint64_t b[6] = {a[0], a[1], 0xffffffffu, 0, 0, 0};
  return sys_setresgid(p, b);
}
SYS(setfsuid) { return p.euid; }
SYS(setfsgid) { return p.egid; }
SYS(getgroups) {
  const int n = arg_int(a, 0);
  if (n < 0) return -LX_EINVAL;
  const int have = (int)p.groups.size();
  if (n == 0) return have;
  if (n < have) return -LX_EINVAL;
  return p.put(a[1], p.groups.data(), (size_t)have * 4) ? have : -LX_EFAULT;
}
SYS(setgroups) {
  const int n = arg_int(a, 0);
  if (p.euid != 0) return -LX_EPERM;
  if (n < 0 || n > 65536) return -LX_EINVAL;
  std::vector<uint32_t> g((size_t)n);
  if (n && !p.get(g.data(), a[1], (size_t)n * 4)) return -LX_EFAULT;
  for (Task* t : p.tg->threads) t->groups = g;  // glibc's setgroups covers every thread
  p.groups = g;
  return 0;
}
SYS(getpgrp) { return p.pgid; }
// The process a pid argument names: 0 = the caller.
Task* target(Task& p, int pid) {
  if (pid == 0 || pid == p.pid) return &p;
  Task* t = p.k.find_leader(pid);
  return t && !t->tg->zombie ? t : nullptr;
}
// Sets pgid/sid on every thread of a process.
void set_group(Task& t, int pgid, int sid) {
  for (Task* th : t.tg->threads) { th->pgid = pgid; th->sid = sid; }
  t.pgid = pgid;
  t.sid = sid;
}
SYS(getpgid) {
  Task* t = target(p, arg_int(a, 0));
  return t ? t->pgid : -LX_ESRCH;
}
SYS(setpgid) {
  const int pid = arg_int(a, 0), pg = arg_int(a, 1);
  if (pg < 0) return -LX_EINVAL;
  Task* t = target(p, pid);
  if (!t) return -LX_ESRCH;
  if (t != &p && t->ppid != p.pid) return -LX_ESRCH;      // only self or a child
  if (t != &p && t->sid != p.sid) return -LX_EPERM;       // a child in another session
  if (t->sid == t->pid) return -LX_EPERM;                 // a session leader cannot move
  const int ng = pg ? pg : t->pid;
  if (ng != t->pid) {                                     // joining a group: it must exist in our session
    bool ok = false;
    for (Task* q : p.k.procs)
      if (q->is_leader() && q->pgid == ng && q->sid == p.sid && !q->tg->zombie) ok = true;
    if (!ok) return -LX_EPERM;
  }
  set_group(*t, ng, t->sid);
  return 0;
}
SYS(getsid) {
  Task* t = target(p, arg_int(a, 0));
  return t ? t->sid : -LX_ESRCH;
}
SYS(setsid) {
  for (Task* q : p.k.procs)
    if (q->pgid == p.pid && !q->tg->zombie) return -LX_EPERM;  // already a group leader
  set_group(p, p.pid, p.pid);
  p.ctty.reset();
  return p.sid;
}

SYS(arch_prctl) {
  const int code = arg_int(a, 0);
  const uint64_t v = a[1];
  switch (code) {
    case 0x1001:  // ARCH_SET_GS
      if (v >= (1ull << 47)) return -LX_EPERM;
      p.cpu.gs_base = v;
      return 0;
    case 0x1002:  // ARCH_SET_FS
      if (v >= (1ull << 47)) return -LX_EPERM;
      p.cpu.fs_base = v;
      return 0;
    case 0x1003: return p.put(v, &p.cpu.fs_base, 8) ? 0 : -LX_EFAULT;  // ARCH_GET_FS
    case 0x1004: return p.put(v, &p.cpu.gs_base, 8) ? 0 : -LX_EFAULT;  // ARCH_GET_GS
    case 0x1011: return 1;                                             // ARCH_GET_CPUID: cpuid works
    case 0x1012: return -LX_ENODEV;                                    // ARCH_SET_CPUID: no faulting
    default: return -LX_EINVAL;
  }
}

SYS(set_tid_address) {
  p.clear_child_tid = a[0];
  return p.tid;
}
SYS(set_robust_list) {
  if (a[1] != 24) return -LX_EINVAL;
  p.robust_list = a[0];
  p.robust_len = a[1];
  return 0;
}
SYS(get_robust_list) {
  const int pid = arg_int(a, 0);
  if (pid != 0 && pid != p.tid) return -LX_ESRCH;
  if (!p.put(a[1], &p.robust_list, 8) || !p.put(a[2], &p.robust_len, 8)) return -LX_EFAULT;
  return 0;
}

int64_t do_prlimit(Task& p, int pid, uint32_t res, uint64_t new_addr, uint64_t old_addr) {
  if (pid != 0 && pid != p.pid) return -LX_ESRCH;
  if (res >= 16) return -LX_EINVAL;
  lx_rlimit nv;
  if (new_addr) {
    if (!p.get(&nv, new_addr, sizeof nv)) return -LX_EFAULT;
    if (nv.cur > nv.max) return -LX_EINVAL;
    if (nv.max > p.rlim[res].max && p.euid != 0) return -LX_EPERM;
    if (res == 7 && nv.max > 1048576) return -LX_EPERM;  // NOFILE above nr_open
  }
  if (old_addr && !p.put(old_addr, &p.rlim[res], sizeof(lx_rlimit))) return -LX_EFAULT;
  if (new_addr) {
    p.rlim[res] = nv;
    if (res == 7) p.fds.max_fds = (int)std::min<uint64_t>(nv.cur, 1048576);
  }
  return 0;
}
SYS(prlimit64) { return do_prlimit(p, arg_int(a, 0), (uint32_t)a[1], a[2], a[3]); }
SYS(getrlimit) { return do_prlimit(p, 0, (uint32_t)a[0], 0, a[1]); }
SYS(setrlimit) { return do_prlimit(p, 0, (uint32_t)a[0], a[1], 0); }

SYS(uname) {
  lx_utsname u;
  memset(&u, 0, sizeof u);
  auto set = [](char* dst, const std::string& s) { strncpy(dst, s.c_str(), 64); };
  set(u.sysname, "Linux");
  set(u.nodename, p.k.opts.hostname);
  set(u.release, "6.1.0");
  set(u.version, "#1 SMP PREEMPT_DYNAMIC Glassbox");
  set(u.machine, "x86_64");
  set(u.domainname, "(none)");
  return p.put(a[0], &u, sizeof u) ? 0 : -LX_EFAULT;
}
SYS(sethostname) {
  if (p.euid != 0) return -LX_EPERM;
  if (a[1] > 64) return -LX_EINVAL;
  std::string s((size_t)a[1], '\0');
  if (a[1] && !p.get(&s[0], a[0], a[1])) return -LX_EFAULT;
  p.k.opts.hostname = s;
  return 0;
}

SYS(prctl) {
  const int op = arg_int(a, 0);
  switch (op) {
    case 1: return 0;                                   // PR_SET_PDEATHSIG
    case 2: {                                           // PR_GET_PDEATHSIG
      const int32_t z = 0;
      return p.put(a[1], &z, 4) ? 0 : -LX_EFAULT;
    }
    case 3: return 1;                                   // PR_GET_DUMPABLE
    case 4: return a[1] <= 1 ? 0 : -LX_EINVAL;          // PR_SET_DUMPABLE
    case 15: {                                          // PR_SET_NAME
      std::string s;
      p.mem->read_cstr(a[1], s, 16);
      return 0;
    }
    case 16: {                                          // PR_GET_NAME
      std::string n = p.exe.substr(p.exe.rfind('/') + 1);
      if (n.size() > 15) n.resize(15);
      char buf[16] = {0};
      memcpy(buf, n.data(), n.size());
      return p.put(a[1], buf, 16) ? 0 : -LX_EFAULT;
    }
    case 23: return a[1] <= 40 ? 1 : -LX_EINVAL;        // PR_CAPBSET_READ
    case 36: case 37: return 0;                         // PR_SET/GET_CHILD_SUBREAPER
    case 38: return 0;                                  // PR_SET_NO_NEW_PRIVS
    case 39: return 0;                                  // PR_GET_NO_NEW_PRIVS
    default: return -LX_EINVAL;
  }
}

SYS(personality) {
  // Kept and reported (gdb sets ADDR_NO_RANDOMIZE and reads it back); this machine has no
  // address randomization to turn off anyway.
  const uint32_t old = p.persona;
  if ((uint32_t)a[0] != 0xffffffffu) p.persona = (uint32_t)a[0];
  return old;
}


// Nice values are kept per process (nothing is scheduled by them: one task runs at a time).
Task* prio_target(Task& p, int which, int who) {
  if (which != 0) return who == 0 || who == p.pgid || who == (int)p.uid ? &p : nullptr;  // PGRP/USER: the caller
  return target(p, who);
}
SYS(getpriority) {
  Task* t = prio_target(p, arg_int(a, 0), arg_int(a, 1));
  if (arg_int(a, 0) < 0 || arg_int(a, 0) > 2) return -LX_EINVAL;
  if (!t) return -LX_ESRCH;
  return 20 - t->tg->nice;  // the kernel returns 20 - nice
}
SYS(setpriority) {
  if (arg_int(a, 0) < 0 || arg_int(a, 0) > 2) return -LX_EINVAL;
  Task* t = prio_target(p, arg_int(a, 0), arg_int(a, 1));
  if (!t) return -LX_ESRCH;
  int v = arg_int(a, 2);
  v = v < -20 ? -20 : v > 19 ? 19 : v;
  if (v < t->tg->nice && p.euid != 0) return -LX_EACCES;
  t->tg->nice = v;
  return 0;
}

}  // namespace

void register_sys_proc(SyscallTable& t) {
  t.add(39, "getpid", sys_getpid, {});
  t.add(59, "execve", sys_execve, {K(A_PATH), K(A_STRARRAY), K(A_ENVP)});
  t.add(63, "uname", sys_uname, {K(A_UNAME_OUT)});
  t.add(97, "getrlimit", sys_getrlimit, {K(A_RLIMIT_RES), K(A_OUT_PTR)});
  t.add(102, "getuid", sys_getuid, {});
  t.add(104, "getgid", sys_getgid, {});
  t.add(105, "setuid", sys_setuid, {I()});
  t.add(106, "setgid", sys_setgid, {I()});
  t.add(107, "geteuid", sys_geteuid, {});
  t.add(108, "getegid", sys_getegid, {});
  t.add(109, "setpgid", sys_setpgid, {I(), I()});
  t.add(110, "getppid", sys_getppid, {});
  t.add(111, "getpgrp", sys_getpgrp, {});
  t.add(112, "setsid", sys_setsid, {});
  t.add(113, "setreuid", sys_setreuid, {I(), I()});
  t.add(114, "setregid", sys_setregid, {I(), I()});
  t.add(115, "getgroups", sys_getgroups, {I(), P()});
  t.add(116, "setgroups", sys_setgroups, {I(), P()});
  t.add(117, "setresuid", sys_setresuid, {I(), I(), I()});
  t.add(118, "getresuid", sys_getresuid, {P(), P(), P()});
  t.add(119, "setresgid", sys_setresgid, {I(), I(), I()});
  t.add(120, "getresgid", sys_getresgid, {P(), P(), P()});
  t.add(121, "getpgid", sys_getpgid, {I()});
  t.add(122, "setfsuid", sys_setfsuid, {I()});
  t.add(123, "setfsgid", sys_setfsgid, {I()});
  t.add(124, "getsid", sys_getsid, {I()});
  t.add(135, "personality", sys_personality, {H()});
  t.add(140, "getpriority", sys_getpriority, {I(), I()});
  t.add(141, "setpriority", sys_setpriority, {I(), I(), I()});
  t.add(157, "prctl", sys_prctl, {I(), H(), H(), H(), H()});
  t.add(158, "arch_prctl", sys_arch_prctl, {K(A_ARCH_PRCTL), H()});
  t.add(160, "setrlimit", sys_setrlimit, {K(A_RLIMIT_RES), P()});
  t.add(170, "sethostname", sys_sethostname, {K(A_STR), U()});
  t.add(186, "gettid", sys_gettid, {});
  t.add(218, "set_tid_address", sys_set_tid_address, {P()});
  t.add(273, "set_robust_list", sys_set_robust_list, {P(), U()});
  t.add(274, "get_robust_list", sys_get_robust_list, {I(), P(), P()});
  t.add(302, "prlimit64", sys_prlimit64, {I(), K(A_RLIMIT_RES), P(), K(A_OUT_PTR)});
  t.add(322, "execveat", sys_execveat, {K(A_DIRFD), K(A_PATH), K(A_STRARRAY), K(A_ENVP), K(A_AT_FLAGS)});
}

}  // namespace gb
