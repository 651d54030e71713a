// Unbounded recursion (native: yes). Linux: SIGSEGV when the stack cannot grow; with
// an alternate signal stack the handler runs there; without one the process dies.
#include "common.h"
#include <signal.h>
#include <stdint.h>
#include <sys/wait.h>

static char* alt;
static volatile int depth;
static int recurse(int n) {
  volatile char pad[512];
  pad[0] = (char)n;
  depth = n;
  return recurse(n + 1) + pad[0];
}
static void on_segv(int sig, siginfo_t* si, void* uc) {
  char here;
  int on_alt = &here >= alt && &here < alt + SIGSTKSZ * 4;
  const char* m = on_alt ? "caught SIGSEGV on the alternate stack\n" : "caught SIGSEGV elsewhere\n";
  write(1, m, strlen(m));
  _exit(on_alt ? 0 : 1);
}

int main(void) {
  fflush(stdout);
  pid_t c = fork();
  if (c == 0) { recurse(0); _exit(5); }
  int st;
  waitpid(c, &st, 0);
  CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV, "without a handler: killed by SIGSEGV");
  fflush(stdout);
  c = fork();
  if (c == 0) {
    alt = malloc(SIGSTKSZ * 4);
    stack_t ss = {.ss_sp = alt, .ss_size = SIGSTKSZ * 4};
    sigaltstack(&ss, NULL);
    struct sigaction sa = {0};
    sa.sa_sigaction = on_segv;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigaction(SIGSEGV, &sa, NULL);
    recurse(0);
    _exit(5);
  }
  waitpid(c, &st, 0);
  CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "with sigaltstack: the handler ran on it");
  return finish();
}
