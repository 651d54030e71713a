// tests/syscall/t_exec.c — execve of itself (arguments and environment carried over),
// execve errors, close-on-exec.
#include "common.h"

extern char** environ;

int main(int argc, char** argv) {
  if (argc > 1 && strcmp(argv[1], "second") == 0) {
    printf("second stage: argc %d argv[2] %s env %s\n", argc, argv[2], getenv("GB_TEST") ? getenv("GB_TEST") : "-");
    SHOW(fcntl(5, F_GETFD));            // closed by O_CLOEXEC: EBADF
    SHOW(fcntl(6, F_GETFD));            // survived
    return 3;
  }
  char* bad[] = {"x", NULL};
  SHOW(execve("/nonexistent/program", bad, environ));  // ENOENT
  SHOW(execve("/tmp", bad, environ));                  // EACCES
  SHOW(execve("/dev/null", bad, environ));             // EACCES
  int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  SHOW(dup2(fd, 5));
  SHOW(fcntl(5, F_SETFD, FD_CLOEXEC));
  SHOW(dup2(fd, 6));
  // a non-executable regular file and a non-ELF executable
  enter_scratch("exec");
  int t = open("noexec", O_CREAT | O_WRONLY, 0644);
  SHOW(write(t, "hello", 5));
  SHOW(close(t));
  SHOW(execve("noexec", bad, environ));                // EACCES
  SHOW(chmod("noexec", 0755));
  SHOW(execve("noexec", bad, environ));                // ENOEXEC
  leave_scratch();
  char* args[] = {argv[0], "second", "arg two", NULL};
  char* env[] = {"GB_TEST=carried", NULL};
  fflush(stdout);
  execve(argv[0], args, env);
  printf("execve failed: %s\n", strerrorname_np(errno));
  return 1;
}
