// Pipes of pipes (native: yes): as many pipes as the fd limit allows, each full, and
// pipes sent through pipes' readers... Linux: EMFILE at the limit; a full pipe's
// non-blocking write is EAGAIN; everything reads back.
#include "common.h"
#include <fcntl.h>
#include <sys/resource.h>

int main(void) {
  struct rlimit rl = {1024, 1024};
  setrlimit(RLIMIT_NOFILE, &rl);
  int open_before = 0;  // 0, 1, 2 and whatever the runner left open
  for (int fd = 0; fd < 1024; fd++)
    if (fcntl(fd, F_GETFD) >= 0) open_before++;
  static int fds[1024][2];
  int n = 0;
  while (n < 1024 && pipe2(fds[n], O_NONBLOCK) == 0) n++;
  printf("pipes made until %s\n", err_name(-1));
  CHECK(2 * n + open_before >= 1023, "every descriptor used");
  static char buf[65536];
  memset(buf, 'p', sizeof buf);
  long total = 0;
  int full = 0;
  for (int i = 0; i < n; i++) {
    long w;
    while ((w = write(fds[i][1], buf, sizeof buf)) > 0) total += w;
    if (errno == EAGAIN) full++;
  }
  CHECK(total == 65536L * n && full == n, "every pipe holds 64 KiB, then EAGAIN");
  long back = 0;
  for (int i = 0; i < n; i++) {
    long r;
    while ((r = read(fds[i][0], buf, sizeof buf)) > 0) back += r;
  }
  CHECK(back == total, "every byte reads back");
  // a pipe of pipes: the write ends of others written into one, as numbers, in a chain
  for (int i = 0; i + 1 < n; i++) {
    char c = (char)i;
    if (write(fds[i][1], &c, 1) != 1) { failures++; break; }
  }
  for (int i = 0; i < n; i++) { close(fds[i][0]); close(fds[i][1]); }
  int p[2];
  SHOW(pipe(p));
  SHOW(fcntl(p[1], F_SETPIPE_SZ, 1 << 30));
  SHOW(fcntl(p[1], F_SETPIPE_SZ, 1 << 20));
  return finish();
}
