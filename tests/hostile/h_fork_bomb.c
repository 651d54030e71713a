// A fork bomb (native: no: documented answer). Linux: fork fails with EAGAIN at the
// process limit (RLIMIT_NPROC / pid_max); the children are killed, all is well again.
#include "common.h"
#include <signal.h>
#include <sys/wait.h>

int main(void) {
  int made = 0;
  pid_t kids[100000];
  for (;;) {
    pid_t c = fork();
    if (c < 0) { printf("fork stopped with %s\n", err_name(-1)); break; }
    if (c == 0) { for (;;) pause(); }
    kids[made++] = c;
    if (made == 100000) break;
  }
  CHECK(made > 10, "some children were made first");
  for (int i = 0; i < made; i++) kill(kids[i], SIGKILL);
  int reaped = 0;
  while (wait(NULL) > 0) reaped++;
  CHECK(reaped == made, "every child reaped");
  pid_t c = fork();
  if (c == 0) _exit(7);
  int st;
  waitpid(c, &st, 0);
  CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 7, "fork works again");
  return finish();
}
