// tests/syscall/t_sigdeliver.c — signal delivery: handlers with SA_SIGINFO, the frame
// (registers and FPU state restored by rt_sigreturn), SIGSEGV/SIGFPE/SIGILL from faults
// with si_addr/si_code, sigaltstack, SA_RESTART vs EINTR on a blocking read,
// SA_RESETHAND, SA_NODEFER, masks during handlers, sigsuspend, sigtimedwait, SIGCHLD,
// real-time signal queueing, setitimer.
#include "common.h"
#include <setjmp.h>
#include <signal.h>
#include <sys/time.h>
#include <sys/wait.h>

static volatile sig_atomic_t hits, last_sig, last_code, nested;
static volatile void* last_addr;
static sigjmp_buf jb;

static void on_info(int sig, siginfo_t* si, void* uc) {
  (void)uc;
  hits++;
  last_sig = sig;
  last_code = si->si_code;
  last_addr = si->si_addr;
}
static void on_fault(int sig, siginfo_t* si, void* uc) {
  (void)uc;
  last_sig = sig;
  last_code = si->si_code;
  last_addr = si->si_addr;
  siglongjmp(jb, 1);
}
static void on_plain(int sig) { hits++; last_sig = sig; }
static void on_mask_check(int sig) {
  sigset_t cur;
  sigprocmask(SIG_BLOCK, NULL, &cur);
  nested = sigismember(&cur, sig) * 10 + sigismember(&cur, SIGUSR2);
}
static volatile double fpval;
static void clobber_fpu(int sig) {
  (void)sig;
  volatile double x = 1.0;
  for (int i = 0; i < 10; i++) x = x * 3.5 + 1.25;
  fpval = x;
}
static char altstack[65536];
static volatile int on_alt;
static void check_alt(int sig) {
  int here;
  (void)sig;
  on_alt = (char*)&here >= altstack && (char*)&here < altstack + sizeof altstack;
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_info;
  sa.sa_flags = SA_SIGINFO;
  SHOW(sigaction(SIGUSR1, &sa, NULL));
  SHOW(raise(SIGUSR1));
  printf("SIGUSR1: hits %d sig %d code %d\n", hits, last_sig, last_code);
  SHOW(kill(getpid(), SIGUSR1));
  printf("kill: hits %d code %d\n", hits, last_code);

  // blocked, pending, delivered on unblock
  sigset_t s, old;
  sigemptyset(&s);
  sigaddset(&s, SIGUSR1);
  sigprocmask(SIG_BLOCK, &s, &old);
  raise(SIGUSR1);
  sigset_t pend;
  sigpending(&pend);
  printf("pending while blocked: %d, hits %d\n", sigismember(&pend, SIGUSR1), hits);
  sigprocmask(SIG_SETMASK, &old, NULL);
  printf("after unblock: hits %d\n", hits);

  // mask inside a handler: the signal itself and sa_mask are blocked
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_mask_check;
  sigemptyset(&sa.sa_mask);
  sigaddset(&sa.sa_mask, SIGUSR2);
  sigaction(SIGHUP, &sa, NULL);
  raise(SIGHUP);
  printf("in handler: self blocked %d, sa_mask blocked %d\n", nested / 10, nested % 10);
  sa.sa_flags = SA_NODEFER;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGHUP, &sa, NULL);
  raise(SIGHUP);
  printf("SA_NODEFER: self blocked %d\n", nested / 10);

  // SA_RESETHAND: the second one is the default action (here: ignored SIGURG-like test uses SIGWINCH)
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_plain;
  sa.sa_flags = SA_RESETHAND;
  sigaction(SIGWINCH, &sa, NULL);
  hits = 0;
  raise(SIGWINCH);
  raise(SIGWINCH);
  struct sigaction now;
  sigaction(SIGWINCH, NULL, &now);
  printf("SA_RESETHAND: hits %d, handler reset %d\n", hits, now.sa_handler == SIG_DFL);

  // FPU state survives a handler that uses the FPU
  signal(SIGUSR2, clobber_fpu);
  volatile double a = 2.0;
  double b = a * 1.5;
  raise(SIGUSR2);
  b = b + a;
  printf("fpu after handler: %.3f (handler computed %.3f)\n", b, fpval);

  // faults
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_fault;
  sa.sa_flags = SA_SIGINFO;
  sigaction(SIGSEGV, &sa, NULL);
  sigaction(SIGFPE, &sa, NULL);
  sigaction(SIGILL, &sa, NULL);
  sigaction(SIGBUS, &sa, NULL);
  if (!sigsetjmp(jb, 1)) { *(volatile int*)16 = 1; }
  printf("SIGSEGV: sig %d code %d addr %p\n", last_sig, last_code, (void*)last_addr);
  char* ro = (char*)"constant";
  if (!sigsetjmp(jb, 1)) { ro[0] = 'x'; }
  printf("SIGSEGV write to read-only: code %d addr ok %d\n", last_code, last_addr == ro);
  volatile int zero = 0;
  if (!sigsetjmp(jb, 1)) { volatile int q = 1 / zero; (void)q; }
  printf("SIGFPE: sig %d code %d\n", last_sig, last_code);
  if (!sigsetjmp(jb, 1)) { __asm__ volatile("ud2"); }
  printf("SIGILL: sig %d code %d\n", last_sig, last_code);

  // sigaltstack for a handler
  stack_t st = {.ss_sp = altstack, .ss_size = sizeof altstack, .ss_flags = 0};
  SHOW(sigaltstack(&st, NULL));
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = check_alt;
  sa.sa_flags = SA_ONSTACK;
  sigaction(SIGUSR2, &sa, NULL);
  raise(SIGUSR2);
  printf("handler on the alternate stack: %d\n", on_alt);
  sa.sa_flags = 0;
  sigaction(SIGUSR2, &sa, NULL);
  raise(SIGUSR2);
  printf("without SA_ONSTACK: %d\n", on_alt);

  // a blocking read interrupted by a signal: EINTR without SA_RESTART, restarted with it
  int pfd[2];
  pipe(pfd);
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_plain;
  sigaction(SIGALRM, &sa, NULL);
  // The first alarm may come before the read has begun (a loaded host, a JIT compile in
  // the engine: more than 50 ms between setitimer and read), and then nothing would ever
  // end the read; so the timer repeats until a signal finds the read blocked, then stops.
  struct itimerval every = {{0, 50000}, {0, 50000}}, off = {{0, 0}, {0, 0}};
  setitimer(ITIMER_REAL, &every, NULL);
  char c;
  SHOW(read(pfd[0], &c, 1));
  setitimer(ITIMER_REAL, &off, NULL);
  struct itimerval it = {{0, 0}, {0, 50000}};
  pid_t child = fork();
  if (child == 0) { usleep(200000); write(pfd[1], "r", 1); _exit(0); }
  sa.sa_flags = SA_RESTART;
  sigaction(SIGALRM, &sa, NULL);
  hits = 0;
  setitimer(ITIMER_REAL, &it, NULL);
  SHOW(read(pfd[0], &c, 1));
  printf("restarted read got '%c', handler ran %d\n", c, hits);
  waitpid(child, NULL, 0);

  // sigsuspend
  sigprocmask(SIG_BLOCK, &s, &old);  // SIGUSR1 blocked
  child = fork();
  if (child == 0) { usleep(50000); kill(getppid(), SIGUSR1); _exit(0); }
  sigset_t wait_mask = old;
  sigdelset(&wait_mask, SIGUSR1);
  hits = 0;
  SHOW(sigsuspend(&wait_mask));
  sigset_t after;
  sigprocmask(SIG_BLOCK, NULL, &after);
  printf("sigsuspend: hits %d, mask restored %d\n", hits, sigismember(&after, SIGUSR1));
  waitpid(child, NULL, 0);

  // sigtimedwait / sigwaitinfo on a blocked signal
  raise(SIGUSR1);
  siginfo_t si;
  SHOW(sigwaitinfo(&s, &si));
  struct timespec ts = {0, 20000000};
  SHOW(sigtimedwait(&s, &si, &ts));  // EAGAIN
  sigprocmask(SIG_SETMASK, &old, NULL);

  // real-time signals queue, standard ones don't
  sigset_t rt;
  sigemptyset(&rt);
  sigaddset(&rt, SIGRTMIN);
  sigaddset(&rt, SIGUSR2);
  sigprocmask(SIG_BLOCK, &rt, NULL);
  union sigval v = {.sival_int = 7};
  sigqueue(getpid(), SIGRTMIN, v);
  sigqueue(getpid(), SIGRTMIN, v);
  raise(SIGUSR2);
  raise(SIGUSR2);
  int nrt = 0, nusr = 0;
  struct timespec z = {0, 0};
  int r;
  while ((r = sigtimedwait(&rt, &si, &z)) > 0) {
    if (r == SIGRTMIN) nrt++, printf("rt value %d code %d\n", si.si_value.sival_int, si.si_code);
    else nusr++;
  }
  printf("queued: SIGRTMIN %d, SIGUSR2 %d\n", nrt, nusr);
  sigprocmask(SIG_UNBLOCK, &rt, NULL);

  // SIGCHLD with siginfo
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_info;
  sa.sa_flags = SA_SIGINFO | SA_RESTART;
  sigaction(SIGCHLD, &sa, NULL);
  hits = 0;
  child = fork();
  if (child == 0) _exit(4);
  int status;
  waitpid(child, &status, 0);
  printf("SIGCHLD: sig %d code %d (CLD_EXITED %d)\n", last_sig, last_code, CLD_EXITED);

  // kill with signal 0 and bad numbers
  SHOW(kill(getpid(), 0));
  SHOW(kill(getpid(), 99));
  SHOW(sigaction(SIGKILL, &sa, NULL));
  return 0;
}
