// tests/syscall/t_errors.c — bad pointers give EFAULT, never a crash; bad arguments
// give the right errno.
#include "common.h"  // first: it defines _GNU_SOURCE
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>

int main(void) {
  char* bad = (char*)8;  // never mapped
  SHOW(syscall(SYS_write, 1, bad, 10));
  SHOW(syscall(SYS_openat, AT_FDCWD, bad, O_RDONLY));
  SHOW(syscall(SYS_newfstatat, AT_FDCWD, "/", bad, 0));
  SHOW(syscall(SYS_newfstatat, AT_FDCWD, bad, bad, 0));
  int fd = open("/dev/zero", O_RDONLY);
  SHOW(syscall(SYS_read, fd, bad, 10));
  SHOW(syscall(SYS_read, fd, NULL, 0));
  struct iovec iov = {bad, 4};
  SHOW(syscall(SYS_readv, fd, &iov, 1));
  SHOW(syscall(SYS_readv, fd, bad, 1));
  SHOW(syscall(SYS_getcwd, bad, 100));
  SHOW(syscall(SYS_uname, bad));
  SHOW(syscall(SYS_clock_gettime, 0, bad));
  SHOW(syscall(SYS_pipe2, bad, 0));
  SHOW(syscall(SYS_rt_sigaction, 10, bad, NULL, 8));
  SHOW(syscall(SYS_rt_sigaction, 10, NULL, NULL, 4));     // EINVAL: sigset size
  // a read-only page is not writable by the kernel either
  char* ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  SHOW(syscall(SYS_read, fd, ro, 10));
  SHOW(syscall(SYS_getrandom, ro, 8, 0));
  // a buffer that runs into an unmapped page: partial results where Linux gives them
  char* two = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  munmap(two + 4096, 4096);
  SHOW(syscall(SYS_write, 1, two + 4096 - 3, 0));
  SHOW(syscall(447 + 100));                               // ENOSYS
  SHOW(close(fd));
  return 0;
}
