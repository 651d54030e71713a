// tests/jit/memo.c — the compiler's probe memo (vm/jit/compiler.cpp, "[SECTION] probe
// memo"): a second access through the same base register, unchanged since a first one
// whose probe hit, takes that access's host page without a probe of its own while it
// stays in the page. Each case below is where such a memo would be wrong if it held too
// far; the engine (--jit off, on, always) must print what the host CPU prints:
//   1. the second access in the next page, or across the page boundary (a split read),
//      or the first one across it; the same with read-modify-writes of memory;
//   2. the second access in a page that is not mapped: SIGSEGV at its address;
//   3. a read, then a store through the same base into a read-only page: SIGSEGV at the
//      store (a read's memo never serves a store), memory unchanged;
//   4. copy-on-write: a read of a MAP_PRIVATE file page (the page cache's frame), a store
//      through another register into the same page (its slow path copies the frame),
//      then a read through the first register: the new value, not the file's; the same
//      for anonymous memory in a forked child;
//   5. pushes and pops that cross from one stack page into the next; a prologue's
//      `sub rsp, imm` and `lea rdi, [rdi + 8]` (the memo moves with the register) across
//      a page boundary;
//   6. `call [rdi + 8]`: the call's push of its return address is to the stack, not to
//      the operand it read its target from (the cpu-diff replay found a memo that
//      took the operand's page for the push).
// Each function runs many times, so that --jit on compiles it.
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

uint64_t two_reads(const uint8_t* p);           // [p] + [p + 8]
uint64_t read_then_store(uint8_t* p, uint64_t v);  // [p]; [p + 8] = v
uint64_t read_store_read(const uint8_t* p, uint8_t* q, uint64_t v);  // [p]; [q + 8] = v; [p + 8]
uint64_t two_rmw(uint8_t* p);                   // [p] += 1; [p + 8] += 2; returns [p + 16]
uint64_t push_pop(uint8_t* sp, uint64_t a, uint64_t b, uint64_t c, uint64_t d);
uint64_t frame(uint8_t* sp, uint64_t a, uint64_t b, uint64_t c);  // push a; rsp -= 32; [rsp+24] = b; [rsp] = c; sum
uint64_t walk(const uint8_t* p);                // [p] + [p + 8] * 3, the second through lea p + 8
uint64_t call_mem(void** table, uint64_t v);    // [table + 16] = v; call [table + 8]
uint64_t ret_42(void);

__asm__(
    ".text\n"
    ".globl two_reads\n"
    "two_reads:\n"
    "  mov (%rdi), %rax\n"
    "  add 8(%rdi), %rax\n"
    "  ret\n"
    ".globl read_then_store\n"
    "read_then_store:\n"
    "  mov (%rdi), %rax\n"
    "  mov %rsi, 8(%rdi)\n"
    "  ret\n"
    ".globl read_store_read\n"
    "read_store_read:\n"
    "  mov (%rdi), %rax\n"
    "  mov %rdx, 8(%rsi)\n"
    "  add 8(%rdi), %rax\n"
    "  ret\n"
    ".globl two_rmw\n"
    "two_rmw:\n"
    "  addq $1, (%rdi)\n"
    "  addq $2, 8(%rdi)\n"
    "  mov 16(%rdi), %rax\n"
    "  ret\n"
    ".globl push_pop\n"
    "push_pop:\n"  // rsp = sp; push a, b, c, d; pop them into rax as a*1000 + ...
    "  mov %rsp, %r11\n"
    "  mov %rdi, %rsp\n"
    "  push %rsi\n"
    "  push %rdx\n"
    "  push %rcx\n"
    "  push %r8\n"
    "  pop %rax\n"
    "  pop %r9\n"
    "  imul $10, %r9, %r9\n"
    "  add %r9, %rax\n"
    "  pop %r9\n"
    "  imul $100, %r9, %r9\n"
    "  add %r9, %rax\n"
    "  pop %r9\n"
    "  imul $1000, %r9, %r9\n"
    "  add %r9, %rax\n"
    "  mov %r11, %rsp\n"
    "  ret\n"
    ".globl frame\n"
    "frame:\n"
    "  mov %rsp, %r11\n"
    "  mov %rdi, %rsp\n"
    "  push %rsi\n"
    "  sub $32, %rsp\n"
    "  mov %rdx, 24(%rsp)\n"
    "  mov %rcx, (%rsp)\n"
    "  mov (%rsp), %rax\n"
    "  add 24(%rsp), %rax\n"
    "  add 32(%rsp), %rax\n"
    "  add $32, %rsp\n"
    "  add (%rsp), %rax\n"
    "  mov %r11, %rsp\n"
    "  ret\n"
    ".globl walk\n"
    "walk:\n"
    "  mov (%rdi), %rax\n"
    "  lea 8(%rdi), %rdi\n"
    "  mov (%rdi), %rdx\n"
    "  imul $3, %rdx, %rdx\n"
    "  add %rdx, %rax\n"
    "  ret\n"
    ".globl call_mem\n"
    "call_mem:\n"
    "  sub $8, %rsp\n"
    "  mov %rsi, 16(%rdi)\n"  // (a store through rdi: a write memo for the call to misuse)
    "  call *8(%rdi)\n"
    "  add 16(%rdi), %rax\n"
    "  add $8, %rsp\n"
    "  ret\n"
    ".globl ret_42\n"
    "ret_42:\n"
    "  mov $42, %eax\n"
    "  ret\n");

enum { N = 20000, PG = 4096 };
static sigjmp_buf jb;
static volatile uintptr_t fault_addr;

static void on_segv(int sig, siginfo_t* si, void* uc) {
  (void)sig; (void)uc;
  fault_addr = (uintptr_t)si->si_addr;
  siglongjmp(jb, 1);
}

static uint8_t* pages(int n, int prot) {
  uint8_t* p = mmap(0, (size_t)n * PG, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) { perror("mmap"); exit(1); }
  return p;
}

int main(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_segv;
  sa.sa_flags = SA_SIGINFO | SA_NODEFER;
  sigaction(SIGSEGV, &sa, 0);

  // 1. near the end of a page: both in it, the second in the next one, the second
  //    across the boundary, the first across it
  uint8_t* two = pages(2, PROT_READ | PROT_WRITE);
  for (int i = 0; i < 2 * PG; i++) two[i] = (uint8_t)(i * 7 + 3);
  const int offs[] = {PG - 16, PG - 8, PG - 12, PG - 4, 0, PG - 9};
  for (int k = 0; k < 6; k++) {
    uint64_t s = 0;
    for (int i = 0; i < N; i++) s += two_reads(two + offs[k]);
    printf("reads at page end - %d: %llx\n", PG - offs[k], (unsigned long long)s);
  }
  for (int k = 0; k < 6; k++) {
    memset(two, 0, 2 * PG);
    uint64_t s = 0;
    for (int i = 0; i < N; i++) s += two_rmw(two + offs[k]);
    uint64_t a, b;
    memcpy(&a, two + offs[k], 8);
    memcpy(&b, two + offs[k] + 8, 8);
    printf("rmw at page end - %d: %llx %llx %llx\n", PG - offs[k], (unsigned long long)a,
           (unsigned long long)b, (unsigned long long)s);
  }

  // 2. the second read in a page that is not mapped
  uint8_t* guard = pages(2, PROT_READ | PROT_WRITE);
  munmap(guard + PG, PG);
  memset(guard, 5, PG);
  int faults = 0;
  for (int i = 0; i < 300; i++) {
    if (sigsetjmp(jb, 1) == 0) {
      two_reads(guard + PG - 8);
    } else {
      faults++;
      if (fault_addr != (uintptr_t)(guard + PG)) printf("fault at +%ld\n", (long)(fault_addr - (uintptr_t)guard));
    }
  }
  printf("reads into an unmapped page: %d faults at its first byte\n", faults);

  // 3. a read, then a store through the same base into a read-only page
  uint8_t* ro = pages(1, PROT_READ | PROT_WRITE);
  memset(ro, 9, PG);
  mprotect(ro, PG, PROT_READ);
  faults = 0;
  for (int i = 0; i < 300; i++) {
    if (sigsetjmp(jb, 1) == 0) {
      read_then_store(ro + 64, 0x1122334455667788ull);
    } else {
      faults++;
      if (fault_addr != (uintptr_t)(ro + 72)) printf("fault at +%ld\n", (long)(fault_addr - (uintptr_t)ro));
    }
  }
  int same = 1;
  for (int i = 0; i < PG; i++) same &= ro[i] == 9;
  printf("stores into a read-only page after a read: %d faults, page %s\n", faults, same ? "unchanged" : "CHANGED");
  uint8_t* rw = pages(1, PROT_READ | PROT_WRITE);
  uint64_t s3 = 0;
  for (int i = 0; i < N; i++) s3 += read_then_store(rw + 64 + 8 * (i & 1), (uint64_t)i * 3);  // (reads the last store)
  printf("read then store, writable: %llx\n", (unsigned long long)s3);

  // 4. copy-on-write between a read and a read through the same base
  char path[] = "/tmp/gb-memo-XXXXXX";
  int fd = mkstemp(path);
  if (fd < 0) { perror("mkstemp"); return 1; }
  unlink(path);
  uint8_t file[PG];
  for (int i = 0; i < PG; i++) file[i] = (uint8_t)(i ^ 0x5a);
  if (write(fd, file, PG) != PG) { perror("write"); return 1; }
  uint64_t s4 = 0;
  for (int i = 0; i < 2000; i++) {
    uint8_t* m = mmap(0, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    if (m == MAP_FAILED) { perror("mmap file"); return 1; }
    s4 += read_store_read(m + 128, m + 128, 0xabcdef0000ull + (uint64_t)i);
    munmap(m, PG);
  }
  uint8_t back[PG];
  if (pread(fd, back, PG, 0) != PG) { perror("pread"); return 1; }
  printf("private file pages: %llx, file %s\n", (unsigned long long)s4, memcmp(back, file, PG) ? "CHANGED" : "unchanged");
  uint8_t* anon = pages(1, PROT_READ | PROT_WRITE);
  memset(anon, 0x33, PG);
  fflush(stdout);
  for (int i = 0; i < 4; i++) {
    pid_t pid = fork();
    if (pid == 0) {
      uint64_t s = 0;
      for (int j = 0; j < N; j++) s += read_store_read(anon + 256, anon + 256, (uint64_t)j);
      printf("forked child %d: %llx\n", i, (unsigned long long)s);
      fflush(stdout);
      _exit(0);
    }
    waitpid(pid, 0, 0);
  }
  printf("parent's page after the children: %s\n", anon[264] == 0x33 ? "unchanged" : "CHANGED");

  // 5. pushes and pops across a stack page boundary (rsp 16, 24 and 32 bytes above it)
  uint8_t* stk = pages(2, PROT_READ | PROT_WRITE);
  for (int k = 16; k <= 40; k += 8) {
    uint64_t s = 0;
    for (int i = 0; i < N; i++) s += push_pop(stk + PG + k, 1, 2, 3, (uint64_t)(i & 7));
    printf("push/pop at page start + %d: %llu\n", k, (unsigned long long)s);
  }
  for (int k = 8; k <= 48; k += 8) {
    uint64_t s = 0;
    for (int i = 0; i < N; i++) s += frame(stk + PG + k, (uint64_t)i, 7, 11);
    printf("frame at page start + %d: %llu\n", k, (unsigned long long)s);
  }
  for (int k = 0; k < 6; k++) {
    uint64_t s = 0;
    for (int i = 0; i < N; i++) s += walk(two + offs[k]);
    printf("walk at page end - %d: %llx\n", PG - offs[k], (unsigned long long)s);
  }

  // 6. call through memory
  void* table[3] = {0, (void*)ret_42, 0};
  uint64_t s6 = 0;
  for (int i = 0; i < N; i++) s6 += call_mem(table, (uint64_t)i);
  printf("call [table + 8]: %llu, table %s\n", (unsigned long long)s6, table[1] == (void*)ret_42 ? "unchanged" : "CHANGED");
  return 0;
}
