// tests/syscall/t_mem.c — mmap (anonymous, file, fixed), munmap, mprotect, mremap,
// madvise, brk, mincore.
#include "common.h"  // first: it defines _GNU_SOURCE
#include <stdint.h>
#include <sys/mman.h>

static int in_maps(void* addr, char* perms_out) {
  FILE* f = fopen("/proc/self/maps", "r");
  if (!f) return -1;
  char line[512];
  int found = 0;
  while (fgets(line, sizeof line, f)) {
    unsigned long lo, hi;
    char perms[8];
    if (sscanf(line, "%lx-%lx %7s", &lo, &hi, perms) == 3 && (uintptr_t)addr >= lo && (uintptr_t)addr < hi) {
      strcpy(perms_out, perms);
      found = 1;
    }
  }
  fclose(f);
  return found;
}

int main(void) {
  enter_scratch("mem");
  const long pg = sysconf(_SC_PAGESIZE);
  printf("page size %ld\n", pg);
  char perms[8] = "";
  char* p = mmap(NULL, 4 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  CHECK(p != MAP_FAILED);
  CHECK(((uintptr_t)p & (pg - 1)) == 0);
  CHECK(p[0] == 0 && p[4 * pg - 1] == 0);
  memset(p, 'a', 4 * pg);
  CHECK(in_maps(p, perms) == 1);
  printf("perms %s\n", perms);
  SHOW(mprotect(p + pg, pg, PROT_READ));
  CHECK(in_maps(p + pg, perms) == 1);
  printf("perms after mprotect %s\n", perms);
  SHOW(mprotect(p + 1, pg, PROT_READ));                   // EINVAL
  SHOW(munmap(p + 2 * pg, pg));
  CHECK(in_maps(p + 2 * pg, perms) == 0);
  SHOW(munmap(p + 1, pg));                                // EINVAL
  SHOW(mprotect(p + 2 * pg, pg, PROT_READ));              // ENOMEM (unmapped)
  unsigned char vec[4];
  SHOW(mincore(p, 2 * pg, vec));
  SHOW(mincore(p + 2 * pg, pg, vec));                     // ENOMEM
  // mremap: grow (maybe move), contents kept
  char* q = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  strcpy(q, "remapped");
  char* r = mremap(q, pg, 16 * pg, MREMAP_MAYMOVE);
  CHECK(r != MAP_FAILED);
  printf("after mremap: %s, tail zero %d\n", r, r[16 * pg - 1] == 0);
  char* s = mremap(r, 16 * pg, pg, 0);
  CHECK(s == r);
  SHOW(mremap(r, pg, 2 * pg, MREMAP_FIXED));             // EINVAL
  // madvise DONTNEED zeroes private anonymous memory
  r[0] = 'z';
  SHOW(madvise(r, pg, MADV_DONTNEED));
  printf("after DONTNEED: %d\n", r[0]);
  SHOW(madvise(r, pg, MADV_WILLNEED));
  SHOW(madvise(r + 1, pg, MADV_DONTNEED));               // EINVAL
  // MAP_FIXED and MAP_FIXED_NOREPLACE
  char* f1 = mmap(p, pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
  CHECK(f1 == p && p[0] == 0);
  void* f2 = mmap(p, pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
  printf("noreplace: %s\n", f2 == MAP_FAILED ? strerrorname_np(errno) : "mapped");
  // errors
  void* e1 = mmap(NULL, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  printf("len 0: %s\n", e1 == MAP_FAILED ? strerrorname_np(errno) : "mapped");
  void* e2 = mmap(NULL, pg, PROT_READ, MAP_PRIVATE, 77, 0);
  printf("bad fd: %s\n", e2 == MAP_FAILED ? strerrorname_np(errno) : "mapped");
  void* e3 = mmap(NULL, pg, PROT_READ, MAP_ANONYMOUS, -1, 0);
  printf("no type: %s\n", e3 == MAP_FAILED ? strerrorname_np(errno) : "mapped");
  void* e4 = mmap(NULL, pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 1);
  printf("unaligned offset: %s\n", e4 == MAP_FAILED ? strerrorname_np(errno) : "mapped");
  // file mappings
  int fd = open("file", O_RDWR | O_CREAT, 0644);
  char data[10000];
  for (int i = 0; i < (int)sizeof data; i++) data[i] = (char)('A' + i % 26);
  SHOW(write(fd, data, sizeof data));
  char* m = mmap(NULL, sizeof data, PROT_READ, MAP_PRIVATE, fd, 0);
  CHECK(m != MAP_FAILED);
  CHECK(memcmp(m, data, sizeof data) == 0);
  printf("tail of last page zero: %d\n", m[sizeof data] == 0 && m[3 * pg - 1] == 0);
  char* m2 = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, pg);
  printf("offset map: %.5s\n", m2);
  m2[0] = '#';  // private: the file does not change
  char c;
  SHOW(pread(fd, &c, 1, pg));
  printf("file byte: %c\n", c);
  int dfd = open(".", O_RDONLY | O_DIRECTORY);
  void* e5 = mmap(NULL, pg, PROT_READ, MAP_PRIVATE, dfd, 0);
  printf("map dir: %s\n", e5 == MAP_FAILED ? strerrorname_np(errno) : "mapped");
  int wfd = open("file", O_WRONLY);
  void* e6 = mmap(NULL, pg, PROT_READ, MAP_PRIVATE, wfd, 0);
  printf("map write-only fd: %s\n", e6 == MAP_FAILED ? strerrorname_np(errno) : "mapped");
  // brk
  void* b0 = sbrk(0);
  CHECK(sbrk(3 * pg) == b0);
  CHECK((char*)sbrk(0) == (char*)b0 + 3 * pg);
  memset(b0, 7, 3 * pg);
  CHECK(sbrk(-(intptr_t)pg) != (void*)-1);
  CHECK((char*)sbrk(0) == (char*)b0 + 2 * pg);
  // malloc of a large block goes through mmap
  char* big = malloc(8 << 20);
  memset(big, 1, 8 << 20);
  CHECK(big[(8 << 20) - 1] == 1);
  free(big);
  SHOW(munmap(m, sizeof data));
  SHOW(close(fd));
  leave_scratch();
  return 0;
}
