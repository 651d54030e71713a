// Descriptor exhaustion (native: yes). Linux: EMFILE at RLIMIT_NOFILE; dup2 past it is
// EBADF; raising the soft limit to the hard one gives room again.
#include "common.h"
#include <fcntl.h>
#include <sys/resource.h>

int main(void) {
  struct rlimit rl = {512, 4096};
  SHOW(setrlimit(RLIMIT_NOFILE, &rl));
  int n = 0, last = -1;
  for (;;) {
    int fd = open("/dev/null", O_RDONLY);
    if (fd < 0) { printf("open stopped with %s\n", err_name(-1)); break; }
    n++;
    last = fd;
  }
  printf("highest fd %d\n", last);
  SHOW(dup2(0, 512));
  SHOW(dup2(0, 511));
  SHOW(fcntl(0, F_DUPFD, 600));
  int p[2];
  SHOW(pipe(p));
  rl.rlim_cur = 4096;
  SHOW(setrlimit(RLIMIT_NOFILE, &rl));
  SHOW(dup2(0, 4000));
  rl.rlim_cur = rl.rlim_max = 1u << 30;
  SHOW(setrlimit(RLIMIT_NOFILE, &rl));
  return finish();
}
