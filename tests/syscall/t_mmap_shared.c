// tests/syscall/t_mmap_shared.c — MAP_SHARED file mappings and the page cache: stores
// reach the file (munmap, msync, exit, fsync), read() and write() agree with the
// mapping while it lives, private copies see shared stores, truncate zeroes the tail,
// a store past the end never grows the file, and a new MAP_SHARED|MAP_ANONYMOUS object
// is zero even where an old one lived (regression: stale frames under a reused key).
// Works in /var/tmp, which is ext2 when the engine boots the image.
#include "common.h"
#include <sys/mman.h>
#include <sys/wait.h>

static char dir[64];

static void make_file(const char* name, size_t n, char fill) {
  int fd = open(name, O_CREAT | O_TRUNC | O_RDWR, 0644);
  char* b = malloc(n);
  memset(b, fill, n);
  if (write(fd, b, n) != (ssize_t)n) printf("short write\n");
  free(b);
  close(fd);
}

static void show_bytes(const char* what, const char* name, off_t off, size_t n) {
  char b[64] = {0};
  int fd = open(name, O_RDONLY);
  ssize_t r = pread(fd, b, n, off);
  close(fd);
  printf("%s: %zd '", what, r);
  for (ssize_t i = 0; i < r; i++) putchar(b[i] ? b[i] : '0');
  printf("'\n");
}

static long file_size(const char* name) {
  struct stat st;
  return stat(name, &st) == 0 ? (long)st.st_size : -1;
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  snprintf(dir, sizeof dir, "/var/tmp/gbsys-mmap-XXXXXX");
  if (!mkdtemp(dir) || chdir(dir) != 0) { perror("scratch"); return 99; }

  // 1. stores reach the file at munmap
  make_file("a", 10000, '.');
  int fd = open("a", O_RDWR);
  char* m = mmap(NULL, 10000, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  CHECK(m != MAP_FAILED);
  memcpy(m + 4090, "straddle", 8);  // across the first page boundary
  memcpy(m + 9990, "end", 3);
  // 2. read() sees the stores before any msync; write() shows in the mapping
  show_bytes("pread while mapped", "a", 4088, 12);
  SHOW(pwrite(fd, "PW", 2, 5000));
  printf("mapping after pwrite: %.2s\n", m + 5000);
  SHOW(msync(m, 10000, MS_SYNC));
  SHOW(msync(m, 10000, MS_ASYNC | MS_SYNC));
  SHOW(msync(m + 1, 10, MS_SYNC));
  SHOW(munmap(m, 10000));
  close(fd);
  show_bytes("after munmap", "a", 4088, 12);
  show_bytes("last bytes", "a", 9990, 10);
  SHOW(file_size("a"));
  SHOW(msync(m, 4096, MS_SYNC));  // nothing mapped there now

  // 3. a forked child's stores, the child exiting without munmap
  make_file("b", 8192, '-');
  fd = open("b", O_RDWR);
  m = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  close(fd);
  pid_t c = fork();
  if (c == 0) {
    memcpy(m + 100, "child", 5);
    _exit(0);
  }
  waitpid(c, NULL, 0);
  printf("parent sees: %.5s\n", m + 100);
  munmap(m, 8192);
  c = fork();
  if (c == 0) {  // its own mapping, never unmapped: exit writes it back
    int f2 = open("b", O_RDWR);
    char* m2 = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, f2, 0);
    memcpy(m2 + 6000, "exit", 4);
    _exit(0);
  }
  waitpid(c, NULL, 0);
  show_bytes("after child exit", "b", 6000, 4);
  show_bytes("and the earlier store", "b", 100, 5);

  // 4. two mappings from two opens; fsync writes; a private map sees shared stores
  make_file("c", 4096, 'c');
  int f1 = open("c", O_RDWR), f2 = open("c", O_RDWR);
  char* m1 = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, f1, 0);
  char* m2 = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, f2, 0);
  m1[10] = 'X';
  printf("other mapping: %c\n", m2[10]);
  char* pv = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, f2, 0);
  printf("private mapping: %c\n", pv[10]);
  pv[11] = 'P';  // private: never reaches the file
  SHOW(fsync(f1));
  show_bytes("after fsync", "c", 9, 4);
  munmap(pv, 4096);
  munmap(m1, 4096);
  munmap(m2, 4096);
  show_bytes("after both munmaps", "c", 9, 4);

  // 5. truncate zeroes the mapped tail; a store past the end does not grow the file
  make_file("d", 8192, 'd');
  fd = open("d", O_RDWR);
  m = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  SHOW(ftruncate(fd, 4100));
  printf("inside: %c, past the end: %d\n", m[4099], m[4100]);
  m[4200] = 'Z';
  SHOW(munmap(m, 8192));
  SHOW(file_size("d"));
  make_file("e", 100, 'e');
  fd = open("e", O_RDWR);
  m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  m[50] = 'E';
  m[200] = 'Q';
  munmap(m, 4096);
  SHOW(file_size("e"));
  show_bytes("e", "e", 48, 4);
  close(fd);

  // 6. read-only descriptions cannot be mapped shared and writable
  fd = open("e", O_RDONLY);
  m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  printf("shared writable map of O_RDONLY fd: %s\n", m == MAP_FAILED ? strerrorname_np(errno) : "mapped");
  close(fd);

  // 7. fresh shared anonymous objects are zero (many map/unmap rounds, addresses reused)
  int dirty = 0;
  for (int i = 0; i < 200; i++) {
    unsigned char* a = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    for (int j = 0; j < 8192; j++) dirty += a[j] != 0;
    memset(a, 0xa5, 8192);
    munmap(a, 8192);
  }
  printf("non-zero bytes in fresh shared anonymous maps: %d\n", dirty);
  // and one that outlives MADV_DONTNEED keeps its bytes (shared memory is the object)
  unsigned char* a = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  a[7] = 77;
  SHOW(madvise(a, 4096, MADV_DONTNEED));
  printf("after MADV_DONTNEED: %d\n", a[7]);

  unlink("a"); unlink("b"); unlink("c"); unlink("d"); unlink("e");
  if (chdir("/") == 0) rmdir(dir);
  return 0;
}
