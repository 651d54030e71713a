// tests/syscall/t_task.c — processes: fork, vfork, posix_spawn, execve in a child,
// wait4/waitpid/waitid (options, statuses), zombies and orphans, process groups and
// sessions, close-on-exec across exec, pipes between processes, exit statuses by signal.
#include "common.h"
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>

extern char** environ;

static void show_status(const char* what, int st) {
  if (WIFEXITED(st)) printf("%s: exited %d\n", what, WEXITSTATUS(st));
  else if (WIFSIGNALED(st)) printf("%s: killed by %d%s\n", what, WTERMSIG(st), WCOREDUMP(st) ? " (core)" : "");
  else if (WIFSTOPPED(st)) printf("%s: stopped by %d\n", what, WSTOPSIG(st));
  else if (WIFCONTINUED(st)) printf("%s: continued\n", what);
  fflush(stdout);
}

int main(int argc, char** argv) {
  if (argc > 1 && strcmp(argv[1], "child-exec") == 0) {
    // After exec: fd 5 was close-on-exec, fd 6 not.
    printf("exec'd child: fd5 %s, fd6 %s, arg %s\n", fcntl(5, F_GETFD) < 0 ? "closed" : "open",
           fcntl(6, F_GETFD) < 0 ? "closed" : "open", argv[2]);
    return 42;
  }
  setvbuf(stdout, NULL, _IONBF, 0);
  int st;
  // fork + exit code + rusage
  pid_t c = fork();
  if (c == 0) _exit(3);
  CHECK(c > 0);
  struct rusage ru;
  CHECK(wait4(c, &st, 0, &ru) == c);
  show_status("fork child", st);
  SHOW(waitpid(-1, &st, WNOHANG));  // ECHILD: none left

  // the child sees its own pid, the parent's pid as ppid, memory is copied
  int shared = 1;
  int pfd[2];
  SHOW(pipe(pfd));
  c = fork();
  if (c == 0) {
    shared = 2;
    char msg[64];
    int n = snprintf(msg, sizeof msg, "%d %d", getppid() == (pid_t)strtol(argv[0] ? "0" : "0", 0, 10) ? 0 : 1, shared);
    write(pfd[1], msg, (size_t)n);
    _exit(0);
  }
  close(pfd[1]);
  char buf[64] = {0};
  int n = (int)read(pfd[0], buf, sizeof buf - 1);
  printf("pipe from child: %d bytes '%s', parent still sees %d\n", n, buf, shared);
  SHOW(read(pfd[0], buf, 10));  // EOF once the child is gone
  close(pfd[0]);
  waitpid(c, &st, 0);
  show_status("pipe child", st);

  // killed by a signal, with and without core
  c = fork();
  if (c == 0) { pause(); _exit(0); }
  kill(c, SIGTERM);
  waitpid(c, &st, 0);
  show_status("SIGTERM child", st);
  c = fork();
  if (c == 0) { abort(); }
  waitpid(c, &st, 0);
  printf("abort child: killed by %d\n", WTERMSIG(st));

  // stop and continue, seen by waitpid
  c = fork();
  if (c == 0) { for (;;) pause(); }
  kill(c, SIGSTOP);
  SHOW(waitpid(c, &st, WUNTRACED) == c);
  show_status("stopped child", st);
  kill(c, SIGCONT);
  SHOW(waitpid(c, &st, WCONTINUED) == c);
  show_status("continued child", st);
  kill(c, SIGKILL);
  waitpid(c, &st, 0);
  show_status("killed child", st);

  // waitid with WNOWAIT leaves the zombie; a second waitid reaps it
  c = fork();
  if (c == 0) _exit(9);
  siginfo_t si;
  memset(&si, 0, sizeof si);
  SHOW(waitid(P_PID, (id_t)c, &si, WEXITED | WNOWAIT));
  printf("waitid: code %d status %d pid ok %d\n", si.si_code, si.si_status, si.si_pid == c);
  memset(&si, 0, sizeof si);
  SHOW(waitid(P_PID, (id_t)c, &si, WEXITED));
  printf("waitid again: status %d\n", si.si_status);
  SHOW(waitid(P_PID, (id_t)c, &si, WEXITED));  // ECHILD

  // vfork + exec, close-on-exec
  int fd5 = open("/dev/null", O_RDONLY | O_CLOEXEC);
  int fd6 = open("/dev/null", O_RDONLY);
  dup2(fd5, 5);
  fcntl(5, F_SETFD, FD_CLOEXEC);
  dup2(fd6, 6);
  c = vfork();
  if (c == 0) {
    char* args[] = {argv[0], "child-exec", "via-vfork", NULL};
    execve("/proc/self/exe", args, environ);
    _exit(127);
  }
  waitpid(c, &st, 0);
  show_status("vfork+exec child", st);

  // posix_spawn (clone(CLONE_VM|CLONE_VFORK) in glibc)
  char* sargs[] = {argv[0], "child-exec", "via-posix_spawn", NULL};
  int sr = posix_spawn(&c, "/proc/self/exe", NULL, NULL, sargs, environ);  // printed after the child's line
  waitpid(c, &st, 0);
  printf("posix_spawn = %d\n", sr);
  show_status("posix_spawn child", st);
  SHOW(posix_spawn(&c, "/nonexistent", NULL, NULL, sargs, environ));  // ENOENT as the result

  // process groups
  c = fork();
  if (c == 0) { pause(); _exit(0); }
  SHOW(setpgid(c, c));
  CHECK(getpgid(c) == c);
  SHOW(kill(-c, SIGKILL));
  waitpid(c, &st, 0);
  show_status("group member", st);
  SHOW(kill(-999999, 0));  // ESRCH

  // setsid in a child: new session and group
  c = fork();
  if (c == 0) {
    pid_t s = setsid();
    _exit(s == getpid() && getpgrp() == getpid() && getsid(0) == getpid() ? 0 : 1);
  }
  waitpid(c, &st, 0);
  show_status("setsid child", st);

  // orphans: a grandchild outlives its parent; its new parent is not us
  SHOW(pipe(pfd));
  c = fork();
  if (c == 0) {
    if (fork() == 0) {
      close(pfd[0]);
      while (getppid() == getpid()) ;  // never true; just keep going
      usleep(50000);
      char m = getppid() != 0 ? 'o' : '?';
      write(pfd[1], &m, 1);
      _exit(0);
    }
    _exit(0);
  }
  close(pfd[1]);
  waitpid(c, &st, 0);
  char m = 0;
  SHOW(read(pfd[0], &m, 1));
  printf("orphan wrote %c\n", m);
  SHOW(waitpid(-1, &st, WNOHANG));  // the grandchild is not ours: ECHILD
  close(pfd[0]);

  // SIGCHLD ignored: children are reaped by the kernel
  signal(SIGCHLD, SIG_IGN);
  c = fork();
  if (c == 0) _exit(0);
  SHOW(waitpid(c, &st, 0));  // ECHILD once it is gone
  signal(SIGCHLD, SIG_DFL);

  // many children at once, reaped in any order
  int sum = 0;
  for (int i = 1; i <= 8; i++) {
    if (fork() == 0) _exit(i);
  }
  for (int i = 0; i < 8; i++) {
    wait(&st);
    sum += WEXITSTATUS(st);
  }
  printf("8 children, sum of statuses %d\n", sum);
  return 0;
}
