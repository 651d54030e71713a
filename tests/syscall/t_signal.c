// tests/syscall/t_signal.c — recorded signal state: rt_sigaction old/new values,
// rt_sigprocmask, sigaltstack, kill/raise of ignored signals, SIGPIPE when ignored.
#include "common.h"  // first: it defines _GNU_SOURCE
#include <signal.h>

static void handler(int s) { (void)s; }

int main(void) {
  struct sigaction sa, old;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = handler;
  sigemptyset(&sa.sa_mask);
  sigaddset(&sa.sa_mask, SIGUSR2);
  sa.sa_flags = SA_RESTART;
  SHOW(sigaction(SIGUSR1, &sa, &old));
  CHECK(old.sa_handler == SIG_DFL);
  SHOW(sigaction(SIGUSR1, NULL, &old));
  CHECK(old.sa_handler == handler);
  CHECK(sigismember(&old.sa_mask, SIGUSR2) == 1);
  CHECK((old.sa_flags & SA_RESTART) != 0);
  SHOW(sigaction(SIGKILL, &sa, NULL));              // EINVAL
  SHOW(sigaction(SIGSTOP, NULL, &old));             // reading is fine
  SHOW(sigaction(0, &sa, NULL));                    // EINVAL
  SHOW(sigaction(65, &sa, NULL));                   // EINVAL
  sa.sa_handler = SIG_IGN;
  SHOW(sigaction(SIGUSR2, &sa, NULL));
  SHOW(raise(SIGUSR2));                             // ignored: nothing happens
  SHOW(kill(getpid(), SIGUSR2));
  SHOW(kill(getpid(), 0));
  SHOW(kill(getpid(), 999));                        // EINVAL
  // masks
  sigset_t set, oset;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGKILL);                         // silently not blockable
  SHOW(sigprocmask(SIG_BLOCK, &set, &oset));
  CHECK(sigismember(&oset, SIGINT) == 0);
  SHOW(sigprocmask(SIG_SETMASK, NULL, &oset));
  CHECK(sigismember(&oset, SIGINT) == 1);
  CHECK(sigismember(&oset, SIGKILL) == 0);
  SHOW(sigprocmask(SIG_UNBLOCK, &set, &oset));
  SHOW(sigprocmask(SIG_SETMASK, NULL, &oset));
  CHECK(sigismember(&oset, SIGINT) == 0);
  SHOW(sigprocmask(42, &set, NULL));                // EINVAL
  // a blocked signal stays pending
  SHOW(sigprocmask(SIG_BLOCK, &set, NULL));
  SHOW(raise(SIGINT));
  sigset_t pend;
  SHOW(sigpending(&pend));
  CHECK(sigismember(&pend, SIGINT) == 1);
  sa.sa_handler = SIG_IGN;
  SHOW(sigaction(SIGINT, &sa, NULL));               // ignoring discards it
  SHOW(sigpending(&pend));
  CHECK(sigismember(&pend, SIGINT) == 0);
  // sigaltstack
  stack_t ss, oss;
  static char stack[65536];
  SHOW(sigaltstack(NULL, &oss));
  CHECK(oss.ss_flags == SS_DISABLE);
  ss.ss_sp = stack;
  ss.ss_size = sizeof stack;
  ss.ss_flags = 0;
  SHOW(sigaltstack(&ss, NULL));
  SHOW(sigaltstack(NULL, &oss));
  CHECK(oss.ss_sp == stack && oss.ss_size == sizeof stack && oss.ss_flags == 0);
  ss.ss_size = 100;
  SHOW(sigaltstack(&ss, NULL));                     // ENOMEM
  ss.ss_flags = 12345;
  SHOW(sigaltstack(&ss, NULL));                     // EINVAL
  // SIGPIPE ignored -> EPIPE
  sa.sa_handler = SIG_IGN;
  SHOW(sigaction(SIGPIPE, &sa, NULL));
  int p[2];
  SHOW(pipe(p));
  SHOW(close(p[0]));
  SHOW(write(p[1], "x", 1));                        // EPIPE
  SHOW(close(p[1]));
  // SIGPIPE default -> the process dies with 128+13
  sa.sa_handler = SIG_DFL;
  SHOW(sigaction(SIGPIPE, &sa, NULL));
  SHOW(pipe(p));
  SHOW(close(p[0]));
  write(p[1], "x", 1);
  printf("not reached\n");
  return 0;
}
