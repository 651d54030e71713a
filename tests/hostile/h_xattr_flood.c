// Extended attributes on tmpfs without end (native: no: the host's /dev/shm is half its
// RAM). Linux counts them against the tmpfs (ENOSPC); the engine counts them against
// the tmpfs size limit (512 MiB for /dev/shm and /tmp).
#include "common.h"
#include <fcntl.h>
#include <sys/xattr.h>

int main(void) {
  static char v[65536];
  memset(v, 'v', sizeof v);
  long total = 0;
  int err = 0;
  for (int f = 0; f < 100000 && !err; f++) {
    char path[64];
    snprintf(path, sizeof path, "/dev/shm/gbx.%d", f);
    int fd = open(path, O_CREAT | O_WRONLY, 0600);
    if (fd < 0) { err = errno; break; }
    close(fd);
    for (int i = 0; i < 64; i++) {
      char name[32];
      snprintf(name, sizeof name, "user.a%d", i);
      if (setxattr(path, name, v, sizeof v, 0) < 0) { err = errno; break; }
      total += sizeof v;
    }
  }
  errno = err;
  printf("stopped with %s\n", err_name(-1));
  CHECK(err == ENOSPC, "ENOSPC");
  CHECK(total < (1l << 30), "before a GiB of attributes");
  return finish();
}
