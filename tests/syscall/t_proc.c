// tests/syscall/t_proc.c — ids, uname, rlimits, sysinfo, affinity, rusage, times,
// arch_prctl, set_tid_address, prctl, wait4.
#include "common.h"  // first: it defines _GNU_SOURCE
#include <asm/prctl.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/times.h>
#include <sys/utsname.h>
#include <sys/wait.h>

int main(int argc, char** argv) {
  CHECK(getpid() > 0);
  CHECK(getpid() == gettid());
  CHECK(getppid() >= 0);
  CHECK(getpgrp() > 0);
  CHECK(getsid(0) >= 0);  // 0 when the session leader lives outside our pid namespace (CI containers)
  uid_t r, e, s;
  SHOW(getresuid(&r, &e, &s));
  CHECK(r == getuid() && e == geteuid() && s == getuid());
  gid_t gr, ge, gs;
  SHOW(getresgid(&gr, &ge, &gs));
  CHECK(gr == getgid() && ge == getegid());
  SHOW(setuid(getuid()));
  SHOW(setgid(getgid()));
  SHOW(syscall(SYS_set_tid_address, NULL) == gettid());
  struct utsname u;
  SHOW(uname(&u));
  printf("sysname %s machine %s\n", u.sysname, u.machine);
  struct rlimit rl;
  SHOW(getrlimit(RLIMIT_NOFILE, &rl));
  CHECK(rl.rlim_cur >= 64 && rl.rlim_cur <= rl.rlim_max);
  struct rlimit lower = {100, rl.rlim_max};
  SHOW(setrlimit(RLIMIT_NOFILE, &lower));
  SHOW(getrlimit(RLIMIT_NOFILE, &rl));
  printf("nofile soft %ld\n", (long)rl.rlim_cur);
  SHOW(dup2(0, 150));                                          // EBADF: above the limit
  struct rlimit bad = {10, 5};
  SHOW(setrlimit(RLIMIT_NOFILE, &bad));                        // EINVAL
  struct rlimit old;
  SHOW(prlimit(0, RLIMIT_STACK, NULL, &old));
  CHECK(old.rlim_cur > 0);
  SHOW(prlimit(0, 99, NULL, &old));                            // EINVAL
  struct sysinfo si;
  SHOW(sysinfo(&si));
  CHECK(si.totalram > 0 && si.mem_unit > 0 && si.procs > 0);
  cpu_set_t set;
  CPU_ZERO(&set);
  SHOW(sched_getaffinity(0, sizeof set, &set));
  CHECK(CPU_COUNT(&set) >= 1);
  SHOW(sched_yield());
  struct rusage ru;
  SHOW(getrusage(RUSAGE_SELF, &ru));
  SHOW(getrusage(RUSAGE_CHILDREN, &ru));
  SHOW(getrusage(42, &ru));                                    // EINVAL
  struct tms t;
  CHECK(times(&t) != (clock_t)-1);
  unsigned long fs = 0;
  SHOW(syscall(SYS_arch_prctl, ARCH_GET_FS, &fs));
  unsigned long self;
  __asm__("mov %%fs:0, %0" : "=r"(self));
  CHECK(fs == self && fs != 0);
  SHOW(syscall(SYS_arch_prctl, 0x9999, 0));                    // EINVAL
  char name[17] = {0};
  SHOW(prctl(PR_GET_NAME, name));
  const char* base = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
  CHECK(strncmp(name, base, 15) == 0);
  SHOW(prctl(PR_GET_DUMPABLE));
  int status;
  SHOW(wait4(-1, &status, WNOHANG, NULL));                     // ECHILD
  SHOW(getpriority(PRIO_PROCESS, 0));
  printf("argc %d\n", argc);
  return 7;
}
