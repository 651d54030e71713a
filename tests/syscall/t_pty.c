// tests/syscall/t_pty.c — pseudo-terminals: openpty, canonical input with echo, raw mode,
// window size, ^C from the master to the foreground process group of a session that
// has the slave as controlling terminal, hangup on master close, and the regression of
// openpty making the opener's controlling terminal (O_NOCTTY ignored: SIGHUP on close).
#include "common.h"
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>

static void show_status(const char* what, int st) {
  if (WIFEXITED(st)) printf("%s: exited %d\n", what, WEXITSTATUS(st));
  else if (WIFSIGNALED(st)) printf("%s: killed by %d\n", what, WTERMSIG(st));
}

// Reads what the master has within a short time.
static int drain(int m, char* buf, int cap) {
  int n = 0;
  struct pollfd pf = {m, POLLIN, 0};
  while (n < cap - 1 && poll(&pf, 1, 200) > 0 && (pf.revents & POLLIN)) {
    int r = (int)read(m, buf + n, (size_t)(cap - 1 - n));
    if (r <= 0) break;
    n += r;
  }
  buf[n] = 0;
  return n;
}

// Reads from the master until `want` has been seen (or 10 s pass): a loaded machine may
// take longer than drain()'s 200 ms of silence to schedule the writer.
static int wait_for(int m, const char* want, char* buf, int cap) {
  int n = 0;
  buf[0] = 0;
  struct pollfd pf = {m, POLLIN, 0};
  for (int waited = 0; !strstr(buf, want) && n < cap - 1 && waited < 10000; waited += 100) {
    if (poll(&pf, 1, 100) <= 0 || !(pf.revents & POLLIN)) continue;
    int r = (int)read(m, buf + n, (size_t)(cap - 1 - n));
    if (r <= 0) break;
    n += r;
    buf[n] = 0;
  }
  return n;
}

static void show_bytes(const char* what, const char* s) {
  printf("%s: \"", what);
  for (; *s; s++) {
    if (*s == '\r') printf("\\r");
    else if (*s == '\n') printf("\\n");
    else if ((unsigned char)*s < 32) printf("^%c", *s + 64);
    else putchar(*s);
  }
  printf("\"\n");
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  alarm(60);  // never hang a test run (children inherit the pending alarm only via fork: they set their own)
  int st;
  // regression: a session leader without a terminal opens a pty with openpty (O_NOCTTY)
  // and closes it; it must not become its controlling terminal nor get SIGHUP.
  pid_t c = fork();
  if (c == 0) {
    setsid();
    int m, s;
    if (openpty(&m, &s, NULL, NULL, NULL) != 0) _exit(2);
    close(s);
    close(m);
    _exit(open("/dev/tty", O_RDWR) < 0 ? 0 : 3);  // still no controlling terminal
  }
  waitpid(c, &st, 0);
  show_status("openpty in a new session", st);

  int m, s;
  struct winsize ws = {30, 100, 0, 0};
  SHOW(openpty(&m, &s, NULL, NULL, &ws));
  struct winsize got;
  SHOW(ioctl(s, TIOCGWINSZ, &got));
  printf("winsize %dx%d\n", got.ws_row, got.ws_col);
  CHECK(isatty(s) && isatty(m));

  // canonical mode with echo: the slave reads a line once Enter comes
  write(m, "hel", 3);
  write(m, "lo\r", 3);
  char buf[256];
  int n = (int)read(s, buf, sizeof buf - 1);
  buf[n > 0 ? n : 0] = 0;
  show_bytes("slave read", buf);
  drain(m, buf, sizeof buf);
  show_bytes("echo on the master", buf);
  // output processing: \n becomes \r\n
  write(s, "out\n", 4);
  drain(m, buf, sizeof buf);
  show_bytes("master sees", buf);
  // erase: "abX<DEL>c\r" reads "abc\n"
  write(m, "abX\x7f" "c\r", 6);
  n = (int)read(s, buf, sizeof buf - 1);
  buf[n > 0 ? n : 0] = 0;
  show_bytes("after erase", buf);
  drain(m, buf, sizeof buf);

  // raw mode: bytes arrive one by one, no echo
  struct termios t;
  tcgetattr(s, &t);
  cfmakeraw(&t);
  SHOW(tcsetattr(s, TCSANOW, &t));
  write(m, "x", 1);
  n = (int)read(s, buf, sizeof buf - 1);
  printf("raw read %d byte(s): %c\n", n, buf[0]);
  SHOW(poll(&(struct pollfd){m, POLLIN, 0}, 1, 50));  // nothing echoed
  close(s);
  close(m);

  // ^C through the master reaches the foreground group of the terminal's session
  SHOW(openpty(&m, &s, NULL, NULL, NULL));
  c = fork();
  if (c == 0) {
    alarm(30);
    close(m);
    setsid();
    ioctl(s, TIOCSCTTY, 0);
    dup2(s, 0);
    dup2(s, 1);
    pid_t g = fork();
    if (g == 0) {  // a foreground job in its own group
      alarm(20);
      signal(SIGINT, SIG_DFL);  // a harness started in the background hands down SIGINT ignored
      setpgid(0, 0);
      signal(SIGTTOU, SIG_IGN);  // a background group may take the terminal only so (as shells do)
      tcsetpgrp(0, getpid());
      signal(SIGTTOU, SIG_DFL);
      write(1, "ready\n", 6);
      pause();
      _exit(0);
    }
    int gs;
    waitpid(g, &gs, 0);
    _exit(WIFSIGNALED(gs) ? 100 + WTERMSIG(gs) : 1);
  }
  close(s);
  wait_for(m, "ready", buf, sizeof buf);  // the job is in the foreground now
  usleep(50000);
  write(m, "\x03", 1);
  waitpid(c, &st, 0);
  show_status("session leader (100 + its job's signal)", st);
  close(m);
  return 0;
}
