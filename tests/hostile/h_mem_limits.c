// Address-space requests that can never be backed (native: yes): mmap of 2^47 and of
// more than the machine's memory, a huge brk, RLIMIT_AS. Linux: ENOMEM (heuristic
// overcommit refuses one request larger than RAM + swap), brk returns the old break.
#include "common.h"
#include <stdint.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>

int main(void) {
  errno = 0;
  void* p = mmap(NULL, 1ul << 47, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  printf("mmap 2^47: %s\n", p == MAP_FAILED ? err_name(-1) : "mapped");
  p = mmap(NULL, 1ul << 46, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  printf("mmap 2^46 writable: %s\n", p == MAP_FAILED ? err_name(-1) : "mapped");
  p = mmap(NULL, 1ul << 44, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  printf("mmap 2^44 PROT_NONE reservation: %s\n", p == MAP_FAILED ? err_name(-1) : "mapped");
  if (p != MAP_FAILED) munmap(p, 1ul << 44);
  uintptr_t cur = (uintptr_t)syscall(SYS_brk, 0);
  uintptr_t got = (uintptr_t)syscall(SYS_brk, cur + (1ul << 45));
  CHECK(got == cur, "brk + 2^45 refused (the break stays)");
  errno = 0;
  void* s = sbrk(1l << 45);
  printf("sbrk 2^45: %s\n", s == (void*)-1 ? err_name(-1) : "grew");
  got = (uintptr_t)syscall(SYS_brk, cur + (1 << 20));
  CHECK(got == cur + (1 << 20), "brk + 1 MiB works");
  memset((void*)cur, 1, 1 << 20);
  // RLIMIT_AS
  struct rlimit as = {256ul << 20, RLIM_INFINITY};
  SHOW(setrlimit(RLIMIT_AS, &as));
  p = mmap(NULL, 512ul << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  printf("mmap 512 MiB under RLIMIT_AS 256 MiB: %s\n", p == MAP_FAILED ? err_name(-1) : "mapped");
  p = mmap(NULL, 512ul << 20, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  printf("... PROT_NONE too: %s\n", p == MAP_FAILED ? err_name(-1) : "mapped");
  p = mmap(NULL, 16ul << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  printf("mmap 16 MiB: %s\n", p == MAP_FAILED ? err_name(-1) : "mapped");
  got = (uintptr_t)syscall(SYS_brk, cur + (300ul << 20));
  CHECK(got == cur + (1 << 20), "brk past RLIMIT_AS refused");
  void* q = malloc(400ul << 20);
  CHECK(q == NULL, "malloc 400 MiB fails under RLIMIT_AS");
  return finish();
}
