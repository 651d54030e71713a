// tests/syscall/t_misc.c — getrandom, futex, /dev, /proc/self, ioctl on non-ttys.
#include "common.h"  // first: it defines _GNU_SOURCE
#include <linux/futex.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <termios.h>


static int file_has(const char* path, const char* needle) {
  FILE* f = fopen(path, "r");
  if (!f) return -1;
  char line[4096];
  int found = 0;
  while (fgets(line, sizeof line, f))
    if (strstr(line, needle)) found = 1;
  fclose(f);
  return found;
}

int main(int argc, char** argv) {
  unsigned char rnd[64];
  SHOW(getrandom(rnd, sizeof rnd, 0));
  SHOW(getrandom(rnd, 16, GRND_NONBLOCK));
  SHOW(getrandom(rnd, 16, 0x100));                          // EINVAL
  int word = 5;
  SHOW(syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, 6, NULL, NULL, 0));  // EAGAIN
  SHOW(syscall(SYS_futex, &word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0));
  struct timespec to = {0, 1000000};
  SHOW(syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, 5, &to, NULL, 0));   // ETIMEDOUT
  // /dev
  int fd = open("/dev/null", O_RDWR);
  SHOW(write(fd, "gone", 4));
  char buf[64];
  SHOW(read(fd, buf, sizeof buf));
  struct stat st;
  SHOW(fstat(fd, &st));
  printf("null: chr %d rdev %d:%d\n", S_ISCHR(st.st_mode), major(st.st_rdev), minor(st.st_rdev));
  struct termios tio;
  SHOW(ioctl(fd, TCGETS, &tio));                            // ENOTTY
  SHOW(close(fd));
  fd = open("/dev/zero", O_RDONLY);
  memset(buf, 1, sizeof buf);
  SHOW(read(fd, buf, sizeof buf));
  CHECK(buf[0] == 0 && buf[63] == 0);
  SHOW(close(fd));
  fd = open("/dev/urandom", O_RDONLY);
  SHOW(read(fd, buf, 16));
  SHOW(close(fd));
  fd = open("/dev/full", O_WRONLY);
  SHOW(write(fd, "x", 1));                                  // ENOSPC
  SHOW(close(fd));
  // /proc/self
  char path[4096] = {0}, real[4096] = {0};
  SHOW(readlink("/proc/self/exe", path, sizeof path) > 0);
  CHECK(realpath(argv[0], real) && strcmp(path, real) == 0);
  CHECK(file_has("/proc/self/maps", "[stack]") == 1);
  CHECK(file_has("/proc/self/maps", path) == 1);
  CHECK(file_has("/proc/cpuinfo", " sse2") == 1);
  CHECK(file_has("/proc/cpuinfo", "processor") == 1);
  char cwd[4096] = {0}, pcwd[4096] = {0};
  SHOW(chdir("/tmp"));
  CHECK(getcwd(cwd, sizeof cwd) != NULL);
  SHOW(readlink("/proc/self/cwd", pcwd, sizeof pcwd) > 0);
  CHECK(strcmp(cwd, pcwd) == 0);
  fd = open("/proc/self/cmdline", O_RDONLY);
  memset(buf, 0, sizeof buf);
  long n = read(fd, buf, sizeof buf);
  CHECK(n > 0 && strcmp(buf, argv[0]) == 0);
  SHOW(close(fd));
  int probe = open("/dev/null", O_RDONLY);
  char fdpath[64], target[256] = {0};
  snprintf(fdpath, sizeof fdpath, "/proc/self/fd/%d", probe);
  SHOW(readlink(fdpath, target, sizeof target) > 0);
  printf("fd link -> %s\n", target);
  SHOW(access(fdpath, F_OK));
  SHOW(close(probe));
  SHOW(access(fdpath, F_OK));                               // ENOENT
  CHECK(file_has("/proc/self/status", "Pid:") == 1);
  // ioctl on a regular file
  fd = open(argv[0], O_RDONLY);
  int avail = -1;
  SHOW(ioctl(fd, FIONREAD, &avail));
  CHECK(avail > 0);
  SHOW(ioctl(fd, TIOCGWINSZ, buf));                         // ENOTTY
  SHOW(ioctl(fd, FIOCLEX));
  SHOW(fcntl(fd, F_GETFD));
  SHOW(close(fd));
  CHECK(isatty(0) == 0);                                    // the test runs with stdin from /dev/null
  return 0;
}
