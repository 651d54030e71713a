// tests/syscall/t_pipe_big.c — blocking writes larger than the pipe complete: one
// write(2) of 1 MiB to a pipe a slow child drains returns 1 MiB (regression: the engine
// returned after the first 64 KiB, and programs that write once lost the rest). Also
// writev, write and send on a socketpair, a signal that interrupts a write part-way (the
// count comes back, not EINTR), and the writer's SIGPIPE when the reader goes early.
#include "common.h"
#include <signal.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>

enum { BIG = 1 << 20 };

static void on_alarm(int sig) { (void)sig; }

// The child reads everything in small, slow pieces and reports the byte count and a checksum.
static pid_t slow_reader(int rfd, int wfd_to_close) {
  pid_t c = fork();
  if (c == 0) {
    close(wfd_to_close);
    char b[5000];
    long total = 0;
    unsigned sum = 2166136261u;
    int rounds = 0;
    for (;;) {
      ssize_t r = read(rfd, b, sizeof b);
      if (r <= 0) break;
      for (ssize_t i = 0; i < r; i++) sum = (sum ^ (unsigned char)b[i]) * 16777619u;
      total += r;
      if (++rounds % 40 == 0) usleep(1000);
    }
    printf("reader got %ld bytes, sum %08x\n", total, sum);
    _exit(0);
  }
  return c;
}

static unsigned expected_sum(const char* d, long n) {
  unsigned sum = 2166136261u;
  for (long i = 0; i < n; i++) sum = (sum ^ (unsigned char)d[i]) * 16777619u;
  return sum;
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  char* data = malloc(BIG);
  for (int i = 0; i < BIG; i++) data[i] = (char)(i * 7 + (i >> 12));
  printf("expect sum %08x\n", expected_sum(data, BIG));

  int p[2];
  SHOW(pipe(p));
  pid_t c = slow_reader(p[0], p[1]);
  close(p[0]);
  SHOW(write(p[1], data, BIG));
  close(p[1]);
  waitpid(c, NULL, 0);

  SHOW(pipe(p));
  c = slow_reader(p[0], p[1]);
  close(p[0]);
  struct iovec iov[3] = {{data, 1000}, {data + 1000, BIG / 2}, {data + 1000 + BIG / 2, BIG / 2 - 1000}};
  SHOW(writev(p[1], iov, 3));
  close(p[1]);
  waitpid(c, NULL, 0);

  int sv[2];
  SHOW(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
  c = slow_reader(sv[0], sv[1]);
  close(sv[0]);
  SHOW(write(sv[1], data, BIG));
  close(sv[1]);
  waitpid(c, NULL, 0);

  SHOW(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
  c = slow_reader(sv[0], sv[1]);
  close(sv[0]);
  SHOW(send(sv[1], data, BIG, 0));
  close(sv[1]);
  waitpid(c, NULL, 0);

  // nobody reads: the pipe fills (64 KiB), the write blocks, SIGALRM interrupts it and
  // the write returns what it wrote, with or without SA_RESTART
  for (int restart = 0; restart < 2; restart++) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sa.sa_flags = restart ? SA_RESTART : 0;
    sigaction(SIGALRM, &sa, NULL);
    SHOW(pipe(p));
    alarm(1);
    SHOW(write(p[1], data, BIG));
    alarm(0);
    close(p[0]);
    close(p[1]);
  }

  // the reader leaves after 100 KiB: the writer gets SIGPIPE (ignored here) and the count
  signal(SIGPIPE, SIG_IGN);
  SHOW(pipe(p));
  c = fork();
  if (c == 0) {
    close(p[1]);
    char b[4096];
    long total = 0;
    while (total < 100 * 1024) {
      ssize_t r = read(p[0], b, sizeof b);
      if (r <= 0) break;
      total += r;
    }
    _exit(0);
  }
  close(p[0]);
  errno = 0;
  ssize_t w = write(p[1], data, BIG);
  // (>=: the reader may have drained the pipe and left with exactly 100 KiB read, all that
  // was written: the host did that under load, once in a CI run and once under asan)
  printf("write to a reader that left: %s, %s\n", w >= 100 * 1024 && w < BIG ? "partial count" : "other",
         strerrorname_np(errno) ? strerrorname_np(errno) : "0");
  SHOW(write(p[1], data, 10));  // now nothing: EPIPE
  waitpid(c, NULL, 0);
  free(data);
  return 0;
}
