/* readat PATH OFFSET LEN: write LEN bytes of PATH from OFFSET (64-bit) to stdout.
   Built -static by tests/image/layout.sh and put into its small test images. */
#define _FILE_OFFSET_BITS 64
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char** argv) {
  if (argc != 4) { fprintf(stderr, "usage: readat PATH OFFSET LEN\n"); return 2; }
  int fd = open(argv[1], O_RDONLY);
  if (fd < 0) { perror(argv[1]); return 1; }
  off_t off = strtoll(argv[2], 0, 0);
  size_t len = strtoul(argv[3], 0, 0);
  char buf[65536];
  while (len > 0) {
    ssize_t n = pread(fd, buf, len < sizeof buf ? len : sizeof buf, off);
    if (n < 0) { perror("pread"); return 1; }
    if (n == 0) break;
    fwrite(buf, 1, n, stdout);
    off += n; len -= n;
  }
  return 0;
}
