// tests/syscall/common.h — helpers for the syscall test programs. Every program prints
// only deterministic facts (results, errno names, contents), never addresses, inode
// numbers, pids or times, so that its output is identical natively and in the engine.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

// Evaluates a call returning an integer: prints "expr = value" or "expr = -1 ENAME".
#define SHOW(expr)                                                                  \
  do {                                                                              \
    errno = 0;                                                                      \
    long r_ = (long)(expr);                                                         \
    if (r_ < 0) printf("%s = %ld %s\n", #expr, r_, strerrorname_np(errno));         \
    else printf("%s = %ld\n", #expr, r_);                                           \
    fflush(stdout);                                                                 \
  } while (0)

// Like SHOW but only says whether it succeeded (for results that vary: fds, sizes).
#define OK(expr)                                                                    \
  do {                                                                              \
    errno = 0;                                                                      \
    long r_ = (long)(expr);                                                         \
    if (r_ < 0) printf("%s: -1 %s\n", #expr, strerrorname_np(errno));               \
    else printf("%s: ok\n", #expr);                                                 \
    fflush(stdout);                                                                 \
  } while (0)

#define CHECK(cond)                                                                 \
  do {                                                                              \
    printf("%s: %s\n", #cond, (cond) ? "yes" : "no");                               \
    fflush(stdout);                                                                 \
  } while (0)

// A fresh scratch directory under /tmp; the program chdirs into it.
static char scratch_dir[64];
__attribute__((unused)) static void enter_scratch(const char* name) {
  snprintf(scratch_dir, sizeof scratch_dir, "/tmp/gbsys-%s-XXXXXX", name);
  if (!mkdtemp(scratch_dir)) { perror("mkdtemp"); exit(99); }
  if (chdir(scratch_dir) != 0) { perror("chdir"); exit(99); }
}
#include <dirent.h>
__attribute__((unused)) static void rm_rf(const char* path) {
  struct stat st;
  if (lstat(path, &st) != 0) return;
  if (S_ISDIR(st.st_mode)) {
    DIR* d = opendir(path);
    if (d) {
      struct dirent* e;
      while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        char sub[1024];
        snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
        rm_rf(sub);
      }
      closedir(d);
    }
    chmod(path, 0700);
    rmdir(path);
  } else {
    unlink(path);
  }
}
__attribute__((unused)) static void leave_scratch(void) {
  if (chdir("/") != 0) return;
  rm_rf(scratch_dir);
}
