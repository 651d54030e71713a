// Real-time signals queued without end (native: yes). Linux stops at the user's
// RLIMIT_SIGPENDING with EAGAIN from sigqueue; a lowered limit is honoured exactly.
#include "common.h"
#include <signal.h>
#include <sys/resource.h>

int main(void) {
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, SIGRTMIN);
  sigaddset(&s, SIGRTMIN + 1);
  sigprocmask(SIG_BLOCK, &s, NULL);
  struct rlimit rl;
  getrlimit(RLIMIT_SIGPENDING, &rl);
  CHECK(rl.rlim_cur > 0 && rl.rlim_cur != RLIM_INFINITY, "RLIMIT_SIGPENDING is a finite value");
  long n = 0;
  union sigval v = {0};
  while (n < 4000000 && sigqueue(getpid(), SIGRTMIN, v) == 0) n++;
  printf("stopped: %s\n", err_name(-1));
  CHECK(n > 0 && n <= (long)rl.rlim_cur, "stopped within RLIMIT_SIGPENDING");
  // drain, lower the limit, fill again
  struct timespec zero = {0, 0};
  long drained = 0;
  while (sigtimedwait(&s, NULL, &zero) > 0) drained++;
  CHECK(drained == n, "every queued signal is delivered");
  struct rlimit low = {100, rl.rlim_max};
  SHOW(setrlimit(RLIMIT_SIGPENDING, &low));
  n = 0;
  while (n < 1000 && sigqueue(getpid(), SIGRTMIN + 1, v) == 0) n++;
  // (natively other signals of the same user, anywhere on the host, count too)
  printf("with a limit of 100: stopped with %s\n", err_name(-1));
  CHECK(n > 50 && n <= 100, "at most 100 queued");
  // kill() of a real-time signal past the limit is still delivered (without its data)
  SHOW(kill(getpid(), SIGRTMIN));
  return finish();
}
