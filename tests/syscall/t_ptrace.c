// tests/syscall/t_ptrace.c — ptrace as a debugger uses it: TRACEME and the SIGTRAP after
// execve, syscall stops (TRACESYSGOOD, orig_rax, changing and skipping a call,
// GET_SYSCALL_INFO, SYSEMU), PEEK/POKE of data and text (a patched function that already ran:
// its decoded code must go), int3 breakpoints, single-step, GETREGS/SETREGS, FP regs and
// regsets, signal-delivery stops (GETSIGINFO, suppressing, injecting), SEIZE/INTERRUPT/
// LISTEN, PTRACE_O_TRACEFORK/TRACEEXEC event stops, PEEKUSER slots, and garbage requests.
#include "common.h"
#include <elf.h>
#include <signal.h>
#include <stdint.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <stddef.h>
#include <pthread.h>
#include <linux/ptrace.h>

static void show_status(const char* what, int st) {
  if (WIFEXITED(st)) printf("%s: exited %d\n", what, WEXITSTATUS(st));
  else if (WIFSIGNALED(st)) printf("%s: killed by %d\n", what, WTERMSIG(st));
  else if (WIFSTOPPED(st)) printf("%s: stopped by %d event %d\n", what, WSTOPSIG(st), st >> 16);
  else printf("%s: status %#x\n", what, st);
  fflush(stdout);
}

static long err_of(long r) { return r < 0 ? -errno : r; }
#define PT(req, pid, addr, data) err_of(ptrace((enum __ptrace_request)(req), (pid), (void*)(uintptr_t)(addr), (void*)(uintptr_t)(data)))
#define SHOWPT(what, expr) do { errno = 0; long r_ = (expr); if (r_ < 0) printf("%s = %s\n", what, strerrorname_np((int)-r_)); else printf("%s = %ld\n", what, r_); fflush(stdout); } while (0)

volatile long target_word = 1234;

__attribute__((noinline)) int answer(void) {
  __asm__ volatile("");
  return 1;
}

static void handler(int sig) { printf("child: handler for %d\n", sig); fflush(stdout); }

// ---- the children -------------------------------------------------------------------------

static int child_main(const char* mode) {
  if (strcmp(mode, "syscalls") == 0) {
    raise(SIGSTOP);
    long a = syscall(SYS_getppid);
    long b = syscall(SYS_getpid);  // the tracer turns this one into getuid... skipped
    long c = syscall(SYS_gettid);  // the tracer skips it: -ENOSYS unless it sets rax
    printf("child: getppid ok %d, getpid -> %ld, gettid -> %ld\n", a == getppid(), b == getpid() ? -1 : b, c);
    return 0;
  }
  if (strcmp(mode, "sysemu") == 0) {
    raise(SIGSTOP);
    long a = syscall(SYS_getpid);                  // the tracer answers 4242
    long b = syscall(SYS_write, 1, "emulated\n", 9);  // never runs: the tracer answers 7
    printf("child: getpid -> %ld, write -> %ld\n", a, b);
    return 0;
  }
  if (strcmp(mode, "detach") == 0) {
    raise(SIGSTOP);
    long p = syscall(SYS_getppid);  // the tracer detaches in its entry stop: it still runs
    printf("child: getppid after the detach ok %d\n", p == getppid());
    return 0;
  }
  if (strcmp(mode, "poke") == 0) {
    printf("child: answer %d, word %ld\n", answer(), target_word);
    fflush(stdout);
    raise(SIGSTOP);
    printf("child: answer %d, word %ld\n", answer(), target_word);
    fflush(stdout);
    raise(SIGSTOP);  // the parent plants an int3 at answer
    printf("child: answer %d\n", answer());
    return 0;
  }
  if (strcmp(mode, "step") == 0) {
    __asm__ volatile("int3\n\tnop\n\tnop\n\txor %%eax, %%eax\n\tmov $7, %%ecx\n\tlea 1(%%rcx), %%rdx\n\t" ::: "rax", "rcx", "rdx", "memory");
    return 0;
  }
  if (strcmp(mode, "signals") == 0) {
    signal(SIGUSR1, handler);
    signal(SIGUSR2, handler);
    raise(SIGUSR1);  // suppressed by the tracer
    raise(SIGUSR2);  // changed into SIGUSR1 by the tracer
    printf("child: after the signals\n");
    return 0;
  }
  if (strcmp(mode, "loop") == 0) {
    for (;;) pause();
  }
  if (strcmp(mode, "fork") == 0) {
    raise(SIGSTOP);
    pid_t g = fork();
    if (g == 0) _exit(5);
    int st;
    waitpid(g, &st, 0);
    printf("child: grandchild exited %d\n", WEXITSTATUS(st));
    return 0;
  }
  return 1;
}

static const char* self;

// A traced child without exec (same addresses as the parent: PIE bases differ per exec
// with ASLR natively): it stops itself with SIGSTOP first.
static pid_t start_fork(const char* mode) {
  pid_t c = fork();
  if (c == 0) {
    ptrace(PTRACE_TRACEME, 0, 0, 0);
    raise(SIGSTOP);
    _exit(child_main(mode));
  }
  int st;
  waitpid(c, &st, 0);
  show_status("self-stop", st);
  return c;
}

static pid_t start(const char* mode) {
  pid_t c = fork();
  if (c == 0) {
    ptrace(PTRACE_TRACEME, 0, 0, 0);
    execl(self, self, "child", mode, (char*)0);
    _exit(127);
  }
  int st;
  waitpid(c, &st, 0);
  show_status("after execve", st);
  return c;
}

static void finish(pid_t c, const char* what) {
  int st;
  PT(PTRACE_CONT, c, 0, 0);
  waitpid(c, &st, 0);
  show_status(what, st);
}

// ---- the tests ------------------------------------------------------------------------------

static void test_syscalls(void) {
  pid_t c = start("syscalls");
  SHOWPT("setoptions", PT(PTRACE_SETOPTIONS, c, 0, PTRACE_O_TRACESYSGOOD | PTRACE_O_EXITKILL));
  int st;
  PT(PTRACE_CONT, c, 0, 0);
  waitpid(c, &st, 0);
  show_status("raise", st);  // SIGSTOP delivery stop
  // Syscall stops up to getppid.
  int saw = 0, stops = 0;
  for (int i = 0; i < 200; i++) {
    PT(PTRACE_SYSCALL, c, 0, 0);
    waitpid(c, &st, 0);
    if (!WIFSTOPPED(st)) { show_status("unexpected", st); return; }
    if (WSTOPSIG(st) != (SIGTRAP | 0x80)) continue;
    stops++;
    struct user_regs_struct r;
    PT(PTRACE_GETREGS, c, 0, &r);
    struct ptrace_syscall_info info;
    long n = PT(PTRACE_GET_SYSCALL_INFO, c, sizeof info, &info);
    if (r.orig_rax == SYS_getppid && info.op == PTRACE_SYSCALL_INFO_ENTRY) {
      printf("getppid entry: rax %lld, info size %ld op %d arch %#x nr %lld ip-match %d\n", (long long)r.rax, n, info.op,
             info.arch, (long long)info.entry.nr, info.instruction_pointer == r.rip);
      long peek = PT(PTRACE_PEEKUSER, c, offsetof(struct user_regs_struct, orig_rax), 0);
      (void)peek;
      unsigned long v = 0;
      ptrace(PTRACE_PEEKUSER, c, (void*)offsetof(struct user_regs_struct, orig_rax), &v);
      printf("peekuser orig_rax %lu, cs %#llx ss %#llx ds %lld\n", v, (unsigned long long)r.cs, (unsigned long long)r.ss, (long long)r.ds);
      saw |= 1;
    } else if (r.orig_rax == SYS_getppid && info.op == PTRACE_SYSCALL_INFO_EXIT) {
      printf("getppid exit: info size %ld is_error %d rval-ok %d\n", n, info.exit.is_error, info.exit.rval == getpid());
      saw |= 2;
    } else if (r.orig_rax == SYS_getpid && info.op == PTRACE_SYSCALL_INFO_ENTRY) {
      r.orig_rax = SYS_getuid;  // change the call
      SHOWPT("setregs", PT(PTRACE_SETREGS, c, 0, &r));
      saw |= 4;
    } else if (r.orig_rax == SYS_getuid && info.op == PTRACE_SYSCALL_INFO_EXIT) {
      printf("getuid exit: rax %lld\n", (long long)r.rax);
    } else if (r.orig_rax == SYS_gettid && info.op == PTRACE_SYSCALL_INFO_ENTRY) {
      r.orig_rax = -1;  // skip the call
      PT(PTRACE_SETREGS, c, 0, &r);
    } else if (r.orig_rax == (unsigned long long)-1 && info.op == PTRACE_SYSCALL_INFO_EXIT) {
      printf("skipped call exit: rax %lld\n", (long long)r.rax);
      r.rax = 99;
      PT(PTRACE_SETREGS, c, 0, &r);
      break;
    }
  }
  printf("syscall stops seen %d, pairs %s\n", saw, stops >= 6 ? "yes" : "no");
  finish(c, "syscalls child");
}

// PTRACE_SYSEMU: every syscall stops at its entry and is never run; the tracer's rax is
// its result. The SIGSTOP's delivery stop comes first, then raise()'s sigprocmask.
static void test_sysemu(void) {
  pid_t c = start("sysemu");
  int st;
  PT(PTRACE_CONT, c, 0, 0);
  waitpid(c, &st, 0);
  show_status("raise", st);
  for (int i = 0; i < 10; i++) {
    SHOWPT("sysemu", PT(PTRACE_SYSEMU, c, 0, 0));
    waitpid(c, &st, 0);
    if (!WIFSTOPPED(st)) { show_status("unexpected", st); return; }
    struct user_regs_struct r;
    PT(PTRACE_GETREGS, c, 0, &r);
    unsigned char insn[2] = {0};
    long w = ptrace(PTRACE_PEEKTEXT, c, (void*)(uintptr_t)(r.rip - 2), 0);
    memcpy(insn, &w, 2);
    printf("stop %d: sig %d, orig_rax %lld, rax %lld, after a syscall instruction %d\n", i, WSTOPSIG(st),
           (long long)r.orig_rax, (long long)r.rax, insn[0] == 0x0f && insn[1] == 0x05);
    if (r.orig_rax == SYS_getpid) { r.rax = 4242; PT(PTRACE_SETREGS, c, 0, &r); }
    if (r.orig_rax == SYS_write) { r.rax = 7; PT(PTRACE_SETREGS, c, 0, &r); break; }
  }
  finish(c, "sysemu child");  // CONT from the write's stop: the write is still not run
}

// Detaching in a syscall-enter stop: the call runs.
static void test_detach_in_syscall(void) {
  pid_t c = start("detach");
  int st;
  PT(PTRACE_CONT, c, 0, 0);
  waitpid(c, &st, 0);
  show_status("raise", st);
  // The detach's result is printed after the child's exit: once detached, the child runs
  // and prints at once, so a line printed here would race with its line (seen under ASan).
  long detached = 1;
  for (int i = 0; i < 10; i++) {
    PT(PTRACE_SYSCALL, c, 0, 0);
    waitpid(c, &st, 0);
    if (!WIFSTOPPED(st)) { show_status("unexpected", st); return; }
    struct user_regs_struct r;
    PT(PTRACE_GETREGS, c, 0, &r);
    if (r.orig_rax == SYS_getppid && r.rax == (unsigned long long)-ENOSYS) {
      detached = PT(PTRACE_DETACH, c, 0, 0);
      break;
    }
  }
  waitpid(c, &st, 0);
  SHOWPT("detach at getppid's entry", detached);
  show_status("detached child", st);
}

static void test_poke(void) {
  pid_t c = start_fork("poke");
  int st;
  PT(PTRACE_CONT, c, 0, 0);
  waitpid(c, &st, 0);
  show_status("poke stop", st);
  // Data: PEEKDATA through the raw syscall (result stored at data) and the glibc wrapper.
  long w = 0;
  SHOWPT("peekdata raw", syscall(SYS_ptrace, PTRACE_PEEKDATA, c, &target_word, &w) < 0 ? -errno : 0);
  printf("word %ld\n", w);
  SHOWPT("pokedata", PT(PTRACE_POKEDATA, c, &target_word, 777));
  // Text: the function already ran (decoded); now it returns 42: b8 2a 00 00 00 c3.
  errno = 0;
  long orig = ptrace(PTRACE_PEEKTEXT, c, (void*)answer, 0);
  printf("peektext errno %d\n", errno);
  long patched = (orig & ~0xffffffffffffL) | 0xc30000002ab8L;
  SHOWPT("poketext", PT(PTRACE_POKETEXT, c, answer, patched));
  PT(PTRACE_CONT, c, 0, 0);
  waitpid(c, &st, 0);
  show_status("second stop", st);
  // int3 at answer: the call traps with rip after the int3.
  long bp = (orig & ~0xffL) | 0xcc;
  PT(PTRACE_POKETEXT, c, answer, bp);
  PT(PTRACE_CONT, c, 0, 0);
  waitpid(c, &st, 0);
  show_status("breakpoint", st);
  struct user_regs_struct r;
  PT(PTRACE_GETREGS, c, 0, &r);
  printf("rip - answer = %lld\n", (long long)(r.rip - (unsigned long long)(uintptr_t)answer));
  siginfo_t si;
  PT(PTRACE_GETSIGINFO, c, 0, &si);
  printf("siginfo: signo %d code %#x\n", si.si_signo, si.si_code);
  PT(PTRACE_POKETEXT, c, answer, orig);  // the original code back, rip back, the trap dropped
  r.rip = (uintptr_t)answer;
  PT(PTRACE_SETREGS, c, 0, &r);
  finish(c, "poke child");
}

static void test_step(void) {
  pid_t c = start_fork("step");
  int st;
  PT(PTRACE_CONT, c, 0, 0);
  waitpid(c, &st, 0);
  show_status("int3", st);
  struct user_regs_struct r;
  PT(PTRACE_GETREGS, c, 0, &r);
  unsigned long long prev = r.rip;
  for (int i = 0; i < 5; i++) {
    PT(PTRACE_SINGLESTEP, c, 0, 0);
    waitpid(c, &st, 0);
    PT(PTRACE_GETREGS, c, 0, &r);
    siginfo_t si;
    PT(PTRACE_GETSIGINFO, c, 0, &si);
    printf("step %d: sig %d code %d advance %lld rcx %lld rdx %lld\n", i, WSTOPSIG(st), si.si_code,
           (long long)(r.rip - prev), (long long)r.rcx, i >= 4 ? (long long)r.rdx : -1LL);
    prev = r.rip;
  }
  finish(c, "step child");
}

static void test_signals(void) {
  pid_t c = start("signals");
  int st;
  for (int i = 0; i < 2; i++) {
    PT(PTRACE_CONT, c, 0, 0);
    waitpid(c, &st, 0);
    show_status("signal stop", st);
    siginfo_t si;
    PT(PTRACE_GETSIGINFO, c, 0, &si);
    printf("siginfo: signo %d code %d pid-ok %d\n", si.si_signo, si.si_code, si.si_pid == c);
    if (i == 0) continue;  // suppressed by the next CONT 0
    // The second: deliver SIGUSR1 instead.
    PT(PTRACE_CONT, c, 0, SIGUSR1);
    waitpid(c, &st, 0);
    show_status("after inject", st);
  }
  finish(c, "signals child");
}

static void test_fork_exec_events(void) {
  pid_t c = start("fork");
  int st;
  SHOWPT("setoptions", PT(PTRACE_SETOPTIONS, c, 0, PTRACE_O_TRACEFORK | PTRACE_O_TRACEEXEC | PTRACE_O_TRACEEXIT));
  PT(PTRACE_CONT, c, 0, 0);
  waitpid(c, &st, 0);
  show_status("raise", st);
  PT(PTRACE_CONT, c, 0, 0);  // SIGSTOP suppressed
  waitpid(c, &st, 0);
  show_status("fork event", st);
  unsigned long msg = 0;
  PT(PTRACE_GETEVENTMSG, c, 0, &msg);
  pid_t g = (pid_t)msg;
  waitpid(g, &st, __WALL);
  show_status("new child", st);
  PT(PTRACE_CONT, g, 0, 0);  // its SIGSTOP suppressed
  waitpid(g, &st, __WALL);
  show_status("grandchild exit event", st);
  PT(PTRACE_GETEVENTMSG, g, 0, &msg);
  printf("exit event msg %#lx\n", msg);
  PT(PTRACE_CONT, g, 0, 0);
  waitpid(g, &st, __WALL);
  show_status("grandchild", st);
  PT(PTRACE_CONT, c, 0, 0);
  waitpid(c, &st, 0);
  show_status("child exit event", st);
  finish(c, "fork child");  // stops at PTRACE_EVENT_EXIT
  finish(c, "fork child");
}

static void test_seize(void) {
  pid_t c = fork();
  if (c == 0) { execl(self, self, "child", "loop", (char*)0); _exit(127); }
  usleep(100000);
  SHOWPT("seize bad addr", PT(PTRACE_SEIZE, c, 1, 0));
  SHOWPT("seize bad options", PT(PTRACE_SEIZE, c, 0, 0x80000000u));
  SHOWPT("seize", PT(PTRACE_SEIZE, c, 0, PTRACE_O_TRACESYSGOOD));
  SHOWPT("seize again", PT(PTRACE_SEIZE, c, 0, 0));
  SHOWPT("getregs running", PT(PTRACE_GETREGS, c, 0, 0));
  SHOWPT("interrupt", PT(PTRACE_INTERRUPT, c, 0, 0));
  int st;
  waitpid(c, &st, 0);
  show_status("interrupted", st);
  siginfo_t si;
  SHOWPT("getsiginfo", PT(PTRACE_GETSIGINFO, c, 0, &si));
  printf("siginfo: signo %d code %#x\n", si.si_signo, si.si_code);
  SHOWPT("listen (not traced-stopped)", PT(PTRACE_LISTEN, getpid(), 0, 0));
  kill(c, SIGSTOP);
  SHOWPT("cont", PT(PTRACE_CONT, c, 0, 0));
  waitpid(c, &st, 0);
  show_status("sigstop delivery", st);
  SHOWPT("cont with SIGSTOP", PT(PTRACE_CONT, c, 0, SIGSTOP));
  waitpid(c, &st, 0);
  show_status("group stop", st);
  SHOWPT("listen", PT(PTRACE_LISTEN, c, 0, 0));
  SHOWPT("waitpid WNOHANG", waitpid(c, &st, WNOHANG));
  SHOWPT("getregs listening", PT(PTRACE_GETREGS, c, 0, &(struct user_regs_struct){0}));
  kill(c, SIGCONT);
  waitpid(c, &st, 0);
  show_status("notified by SIGCONT", st);
  SHOWPT("cont", PT(PTRACE_CONT, c, 0, 0));
  waitpid(c, &st, 0);
  show_status("sigcont delivery", st);
  SHOWPT("kill", PT(PTRACE_KILL, c, 0, 0));
  waitpid(c, &st, 0);
  show_status("seized child", st);
}

static void* thread_fn(void* a) { return a; }

// A seized process with PTRACE_O_TRACECLONE starts a thread: the clone event, the new
// thread's PTRACE_EVENT_STOP and its exit reach the tracer (wait4 __WALL gives the thread's
// own id). Host threads run in parallel, so the events are printed sorted.
static void test_threads(void) {
  pid_t c = fork();
  if (c == 0) {
    raise(SIGSTOP);
    pthread_t t;
    pthread_create(&t, 0, thread_fn, 0);
    pthread_join(t, 0);
    _exit(7);
  }
  int st;
  waitpid(c, &st, WSTOPPED);
  SHOWPT("seize", PT(PTRACE_SEIZE, c, 0, PTRACE_O_TRACECLONE));
  kill(c, SIGCONT);
  char lines[16][64];
  int n = 0;
  pid_t thread = 0;
  while (n < 16) {
    pid_t w = waitpid(-1, &st, __WALL);
    if (w < 0) break;
    // (A thread's exit code may be the group's if the process exits while the thread is
    // still ending: timing on the host.)
    if (w != c && WIFEXITED(st)) snprintf(lines[n++], sizeof lines[0], "thread: exited");
    else snprintf(lines[n++], sizeof lines[0], "%s: status %#x", w == c ? "process" : "thread", st);
    if (WIFSTOPPED(st) && (st >> 16) == PTRACE_EVENT_CLONE) {
      unsigned long msg = 0;
      PT(PTRACE_GETEVENTMSG, c, 0, &msg);
      thread = (pid_t)msg;
    }
    if (w != c && thread && w != thread) printf("wait4 gave an unknown id\n");
    if (WIFSTOPPED(st)) PT(PTRACE_CONT, w, 0, (st >> 16) == 0 && WSTOPSIG(st) != SIGTRAP ? WSTOPSIG(st) : 0);
  }  // (until ECHILD: every event of both, whatever the order)
  qsort(lines, n, sizeof lines[0], (int (*)(const void*, const void*))strcmp);
  for (int i = 0; i < n; i++) printf("%s\n", lines[i]);
}

static void test_errors(void) {
  pid_t c = start("syscalls");
  unsigned long v = 1;
  SHOWPT("bad request", PT(0x7777, c, 0, 0));
  SHOWPT("peekuser unaligned", PT(PTRACE_PEEKUSER, c, 3, 0));
  SHOWPT("peekuser error_code slot", syscall(SYS_ptrace, PTRACE_PEEKUSER, c, sizeof(struct user), &v) < 0 ? -errno : (long)v);
  SHOWPT("peekuser past struct user", PT(PTRACE_PEEKUSER, c, 928, 0));
  SHOWPT("peekuser u_debugreg[7]", syscall(SYS_ptrace, PTRACE_PEEKUSER, c, offsetof(struct user, u_debugreg[7]), &v) < 0 ? -errno : (long)v);
  SHOWPT("peekuser i387 slot", syscall(SYS_ptrace, PTRACE_PEEKUSER, c, offsetof(struct user, i387), &v) < 0 ? -errno : 0);
  SHOWPT("pokeuser u_debugreg[4]", PT(PTRACE_POKEUSER, c, offsetof(struct user, u_debugreg[4]), 0));
  SHOWPT("pokeuser u_debugreg[0]", PT(PTRACE_POKEUSER, c, offsetof(struct user, u_debugreg[0]), 0x1000));
  SHOWPT("pokeuser fs_base kernel", PT(PTRACE_POKEUSER, c, offsetof(struct user_regs_struct, fs_base), 0xffff800000000000UL));
  SHOWPT("pokeuser cs bad", PT(PTRACE_POKEUSER, c, offsetof(struct user_regs_struct, cs), 0x30));
  SHOWPT("peekdata unmapped", PT(PTRACE_PEEKDATA, c, 16, &v));
  SHOWPT("pokedata unmapped", PT(PTRACE_POKEDATA, c, 16, 0));
  SHOWPT("setoptions bad", PT(PTRACE_SETOPTIONS, c, 0, 0x40000000));
  SHOWPT("cont bad signal", PT(PTRACE_CONT, c, 0, 100));
  SHOWPT("getsiginfo (exec SIGTRAP)", PT(PTRACE_GETSIGINFO, c, 0, &(siginfo_t){0}));
  struct iovec iov = {&(struct user_regs_struct){0}, 7};
  SHOWPT("getregset odd size", PT(PTRACE_GETREGSET, c, NT_PRSTATUS, &iov));
  iov.iov_len = sizeof(struct user_regs_struct) + 64;
  SHOWPT("getregset prstatus", PT(PTRACE_GETREGSET, c, NT_PRSTATUS, &iov));
  printf("iov_len %zu\n", iov.iov_len);
  struct user_fpregs_struct fp;
  iov.iov_base = &fp;
  iov.iov_len = sizeof fp;
  SHOWPT("getregset prfpreg", PT(PTRACE_GETREGSET, c, NT_PRFPREG, &iov));
  printf("iov_len %zu mxcsr %#x cwd %#x\n", iov.iov_len, fp.mxcsr, fp.cwd);
  SHOWPT("getfpregs", PT(PTRACE_GETFPREGS, c, 0, &fp));
  fp.mxcsr = 0xffff0000;
  SHOWPT("setfpregs bad mxcsr", PT(PTRACE_SETFPREGS, c, 0, &fp));
  SHOWPT("getregs bad pointer", PT(PTRACE_GETREGS, c, 0, 8));
  SHOWPT("attach self", PT(PTRACE_ATTACH, getpid(), 0, 0));
  SHOWPT("attach traced", PT(PTRACE_ATTACH, c, 0, 0));
  pid_t t = fork();
  if (t == 0) {
    long a = PT(PTRACE_TRACEME, 0, 0, 0), b = PT(PTRACE_TRACEME, 0, 0, 0);
    printf("traceme %ld, again %s\n", a, b == -EPERM ? "EPERM" : "?");
    _exit(0);
  }
  waitpid(t, &(int){0}, 0);
  SHOWPT("cont nonexistent", PT(PTRACE_CONT, 999999, 0, 0));
  SHOWPT("peek not traced", PT(PTRACE_PEEKDATA, getppid() > 1 ? getppid() : 1, 0, &v));
  // Killed while stopped.
  kill(c, SIGKILL);
  int st;
  waitpid(c, &st, 0);
  show_status("killed while stopped", st);
  SHOWPT("cont after death", PT(PTRACE_CONT, c, 0, 0));
}

int main(int argc, char** argv) {
  self = argv[0];
  if (argc > 2 && strcmp(argv[1], "child") == 0) return child_main(argv[2]);
  setvbuf(stdout, NULL, _IONBF, 0);
  printf("== syscalls\n"); test_syscalls();
  printf("== sysemu\n"); test_sysemu();
  printf("== detach in a syscall\n"); test_detach_in_syscall();
  printf("== poke\n"); test_poke();
  printf("== step\n"); test_step();
  printf("== signals\n"); test_signals();
  printf("== fork/exec events\n"); test_fork_exec_events();
  printf("== seize\n"); test_seize();
  printf("== threads\n"); test_threads();
  printf("== errors\n"); test_errors();
  return 0;
}
