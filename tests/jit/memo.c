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
//      took the operand's page for the push);
//   7. a read, then a store through the same base (the read's probe tests the write tag,
//      and its memo serves the store): into a copy-on-write page of a forked child (the
//      read finds no write tag; the store copies the frame), and into a page that holds
//      code the program runs next (the store must reach it: the function returns what
//      was stored);
//   8. the memo across a block's start (a block whose one edge in comes from the block
//      before it): a load, a conditional branch, a store in the next block, at every
//      page-end offset, into a read-only page and a copy-on-write one; an insertion
//      sort's inner loop (the memo moves with the index register) over an array that
//      crosses a page; a call whose callee pushes across a stack page;
//   9. the memo around a loop (a loop's head takes the memo its back edge had, and the
//      memo moves with each access): loops over arrays of three pages at several start
//      offsets (a load and a store, and an add to memory, per element); the same into a
//      read-only third page (SIGSEGV at its first byte, the elements before it updated);
//      in forked children over copy-on-write pages; a loop whose other edge in has a memo
//      through the same registers 2 KiB away; and a loop that copies code into the
//      function the program calls next.
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
uint64_t load_branch_store(uint8_t* p, uint64_t v);  // r = [p]; if (r < v) [p + 8] = v (the next block); r
uint64_t load_branch_index(uint32_t* a, int64_t j);  // the insertion sort's inner loop over a[0..j]
uint64_t call_pushes(uint8_t* sp, uint64_t a, uint64_t b);  // rsp = sp; call f: push a; push b; [rsp+16]; pops
uint64_t add_words(uint32_t* a, int64_t n, uint32_t v);  // for (i = 0; i < n; i++) a[i] += v: a load, a store
uint64_t rmw_words(uint32_t* a, int64_t n, uint32_t v);  // the same with one add to memory
uint64_t copy_down(uint32_t* a, int64_t n);             // for (i = 0; i < n; i++) a[i] = a[i + 16]
uint64_t far_then_loop(uint32_t* a, int64_t n, uint32_t v);  // reads a[512], then add_words's loop

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
    ".globl load_branch_store\n"
    "load_branch_store:\n"
    "  mov (%rdi), %rax\n"
    "  cmp %rsi, %rax\n"
    "  jae 1f\n"
    "  mov %rsi, 8(%rdi)\n"  // (a block whose one edge in is the jae's fall: the load's memo)
    "1:\n"
    "  ret\n"
    ".globl load_branch_index\n"
    "load_branch_index:\n"  // v = a[j]; while (j > 0 && a[j - 1] > v) { a[j] = a[j - 1]; j-- } a[j] = v
    "  mov (%rdi,%rsi,4), %ecx\n"
    "  jmp 2f\n"
    "1:\n"
    "  mov %edx, 4(%rdi,%rsi,4)\n"  // (one edge in, the jb: the load's memo, index moved by -1)
    "  test %rsi, %rsi\n"
    "  je 3f\n"
    "2:\n"
    "  sub $1, %rsi\n"
    "  mov (%rdi,%rsi,4), %edx\n"
    "  cmp %ecx, %edx\n"
    "  ja 1b\n"
    "  add $1, %rsi\n"
    "3:\n"
    "  mov %ecx, (%rdi,%rsi,4)\n"
    "  mov %rsi, %rax\n"
    "  ret\n"
    ".globl call_pushes\n"
    "call_pushes:\n"
    "  mov %rsp, %r11\n"
    "  mov %rdi, %rsp\n"
    "  call 1f\n"
    "  mov %r11, %rsp\n"
    "  ret\n"
    "1:\n"  // (one edge in, the call: its push's memo)
    "  push %rsi\n"
    "  push %rdx\n"
    "  mov 16(%rsp), %rax\n"  // the return address
    "  sub (%rsp), %rax\n"
    "  add 8(%rsp), %rax\n"
    "  pop %rdx\n"
    "  pop %rsi\n"
    "  ret\n"
    ".globl add_words\n"
    "add_words:\n"  // (n >= 1)
    "  xor %eax, %eax\n"
    "add_words_loop:\n"  // (the loop's head: its back edge's memo, the index moved by +1)
    "  mov (%rdi,%rax,4), %ecx\n"
    "  add %edx, %ecx\n"
    "  mov %ecx, (%rdi,%rax,4)\n"
    "  add $1, %rax\n"
    "  cmp %rsi, %rax\n"
    "  jne add_words_loop\n"
    "  ret\n"
    ".globl rmw_words\n"
    "rmw_words:\n"
    "  xor %eax, %eax\n"
    "1:\n"
    "  add %edx, (%rdi,%rax,4)\n"
    "  add $1, %rax\n"
    "  cmp %rsi, %rax\n"
    "  jne 1b\n"
    "  ret\n"
    ".globl copy_down\n"
    "copy_down:\n"
    "  xor %eax, %eax\n"
    "1:\n"
    "  mov 64(%rdi,%rax,4), %ecx\n"
    "  mov %ecx, (%rdi,%rax,4)\n"
    "  add $1, %rax\n"
    "  cmp %rsi, %rax\n"
    "  jne 1b\n"
    "  ret\n"
    ".globl far_then_loop\n"
    "far_then_loop:\n"
    "  xor %eax, %eax\n"
    "  mov 2048(%rdi,%rax,4), %r8d\n"  // (a memo through the loop's registers, 2 KiB on)
    "  jmp add_words_loop\n"
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

// f(j) for j < N in each of `kids` forked children, one after another: each prints its sum
static void in_children(int kids, const char* what, uint64_t (*f)(int j)) {
  fflush(stdout);
  for (int i = 0; i < kids; i++) {
    pid_t pid = fork();
    if (pid == 0) {
      uint64_t s = 0;
      for (int j = 0; j < N; j++) s += f(j);
      printf("forked child %d%s: %llx\n", i, what, (unsigned long long)s);
      fflush(stdout);
      _exit(0);
    }
    waitpid(pid, 0, 0);
  }
}
static uint8_t *anon, *cow, *cow8;  // the pages the children write (copy-on-write)
static uint64_t child4(int j) { return read_store_read(anon + 256, anon + 256, (uint64_t)j); }
static uint64_t child7(int j) { return read_then_store(cow + 512 + 8 * (j & 1), (uint64_t)j * 5); }
static uint64_t child8(int j) { return load_branch_store(cow8 + 512 + 8 * (j & 3), (uint64_t)j); }
static uint8_t* cow9;
static uint64_t child9(int j) {
  uint32_t* a = (uint32_t*)(cow9 + PG - 64 + 4 * (j & 7));
  add_words(a, 40, (uint32_t)j);
  rmw_words(a, 40, 3);
  return a[20];
}
static uint64_t hash_words(const uint8_t* p, int bytes) {
  uint64_t h = 0;
  for (int i = 0; i + 4 <= bytes; i += 4) { uint32_t w; memcpy(&w, p + i, 4); h = h * 1000003 + w; }
  return h;
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

  // 3. a read, then a store through the same base into a read-only page (first into a
  //    writable one, so that --jit on has compiled the function)
  uint8_t* rw = pages(1, PROT_READ | PROT_WRITE);
  uint64_t s3 = 0;
  for (int i = 0; i < 10 * N; i++) s3 += read_then_store(rw + 64 + 8 * (i & 1), (uint64_t)i * 3);  // (reads the last store)
  printf("read then store, writable: %llx\n", (unsigned long long)s3);
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
  anon = pages(1, PROT_READ | PROT_WRITE);
  memset(anon, 0x33, PG);
  in_children(4, "", child4);
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

  // 7. a read, then a store through the same base: copy-on-write, code
  cow = pages(1, PROT_READ | PROT_WRITE);
  memset(cow, 0x44, PG);
  in_children(4, ", read then store", child7);
  printf("parent's page after the children: %s\n", cow[520] == 0x44 && cow[528] == 0x44 ? "unchanged" : "CHANGED");
  uint8_t* code = mmap(0, PG, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (code == MAP_FAILED) { perror("mmap code"); return 1; }
  memset(code, 0xcc, PG);
  static const uint8_t mov_ret[] = {0xb8, 0, 0, 0, 0, 0xc3};  // mov eax, imm32; ret
  memcpy(code + 16, mov_ret, sizeof mov_ret);
  uint32_t (*fn)(void) = (uint32_t (*)(void))(code + 16);
  uint64_t s7 = 0;
  for (int i = 0; i < N; i++) {
    s7 += fn();
    // [code + 9]; [code + 17] = the imm32 and the ret, then int3s
    s7 += read_then_store(code + 9, (uint64_t)(uint32_t)(i * 3) | 0xccccccc300000000ull) & 0xff;
  }
  s7 += fn();
  printf("read then store into code: %llu\n", (unsigned long long)s7);

  // 8. across a block's start
  for (int k = 0; k < 6; k++) {
    memset(two, 0, 2 * PG);
    uint64_t s = 0;
    for (int i = 0; i < N; i++) s += load_branch_store(two + offs[k] + 8 * (i & 1), (uint64_t)i);
    uint64_t b;
    memcpy(&b, two + offs[k] + 8, 8);
    printf("load, branch, store at page end - %d: %llx %llx\n", PG - offs[k], (unsigned long long)s,
           (unsigned long long)b);
  }
  uint8_t* ro8 = pages(1, PROT_READ | PROT_WRITE);
  memset(ro8, 0, PG);
  uint64_t s8 = 0;
  for (int i = 0; i < 10 * N; i++) s8 += load_branch_store(ro8 + 128 + 8 * (i & 7), (uint64_t)i);
  mprotect(ro8, PG, PROT_READ);
  faults = 0;
  for (int i = 0; i < 300; i++) {
    if (sigsetjmp(jb, 1) == 0) {
      s8 += load_branch_store(ro8 + 64, 1);
    } else {
      faults++;
      if (fault_addr != (uintptr_t)(ro8 + 72)) printf("fault at +%ld\n", (long)(fault_addr - (uintptr_t)ro8));
    }
  }
  printf("load, branch, store into a read-only page: %llx, %d faults\n", (unsigned long long)s8, faults);
  cow8 = pages(1, PROT_READ | PROT_WRITE);
  memset(cow8, 0, PG);
  in_children(3, ", load, branch, store", child8);
  int zero = 1;
  for (int i = 0; i < PG; i++) zero &= cow8[i] == 0;
  printf("parent's page after the children: %s\n", zero ? "unchanged" : "CHANGED");
  uint32_t* arr = (uint32_t*)(two + PG - 64 * 4 + 8);  // 64 elements, 62 in the first page
  uint32_t x = 12345;
  uint64_t s8b = 0;
  for (int r = 0; r < 400; r++) {
    for (int i = 0; i < 64; i++) { x = x * 1103515245u + 12345u; arr[i] = x >> 8; }
    for (int i = 1; i < 64; i++) s8b += load_branch_index(arr, i);
    for (int i = 0; i < 64; i++) s8b = s8b * 31 + arr[i];
  }
  printf("insertion sort across a page: %llx\n", (unsigned long long)s8b);
  for (int k = 8; k <= 40; k += 8) {
    uint64_t s = 0;
    for (int i = 0; i < N; i++) s += call_pushes(stk + PG + k, (uint64_t)i, 7);
    printf("call and pushes at page start + %d: %llu\n", k, (unsigned long long)(s - (uint64_t)N * (uintptr_t)call_pushes));
  }

  // 9. around a loop
  uint8_t* three = pages(3, PROT_READ | PROT_WRITE);
  const int starts[] = {0, 4, PG - 64, PG - 20, 2 * PG - 40, 2 * PG - 4};
  for (int k = 0; k < 6; k++) {
    memset(three, 0, 3 * PG);
    uint32_t* a = (uint32_t*)(three + starts[k]);
    const int64_t n = (3 * PG - starts[k]) / 4 < 1500 ? (3 * PG - starts[k]) / 4 : 1500;
    for (int r = 0; r < 60; r++) {
      add_words(a, n, (uint32_t)r);
      rmw_words(a, n - r % 3, (uint32_t)r * 3 + 1);
    }
    printf("loop over pages from %d: %llx\n", starts[k], (unsigned long long)hash_words(three, 3 * PG));
  }
  for (int k = 0; k < 6; k++) {
    memset(three, 0, 3 * PG);
    for (int i = 0; i < 3 * PG / 4; i++) ((uint32_t*)three)[i] = (uint32_t)i;
    uint64_t s = 0;
    for (int r = 0; r < 200; r++) s = s * 7 + far_then_loop((uint32_t*)(three + 4 * k + 40 * r), 32, (uint32_t)r);
    printf("far access, then a loop, from %d: %llx %llx\n", 4 * k, (unsigned long long)s,
           (unsigned long long)hash_words(three, 3 * PG));
  }
  for (int rmw = 0; rmw < 2; rmw++) {  // the third page read-only: stores fault at its first byte
    uint8_t* ro9 = pages(3, PROT_READ | PROT_WRITE);
    memset(ro9, 1, 3 * PG);
    uint32_t* a = (uint32_t*)(ro9 + 2 * PG - 256);
    for (int r = 0; r < 100; r++) {  // (writable first: --jit on compiles the loop)
      if (rmw) rmw_words(a, 64, 2); else add_words(a, 64, 2);
    }
    mprotect(ro9 + 2 * PG, PG, PROT_READ);
    faults = 0;
    for (int i = 0; i < 200; i++) {
      if (sigsetjmp(jb, 1) == 0) {
        if (rmw) rmw_words(a, 80, 5); else add_words(a, 80, 5);
      } else {
        faults++;
        if (fault_addr != (uintptr_t)(ro9 + 2 * PG)) printf("fault at +%ld\n", (long)(fault_addr - (uintptr_t)ro9));
      }
    }
    int ones = 1;
    for (int i = 2 * PG; i < 3 * PG; i++) ones &= ro9[i] == 1;
    printf("loop into a read-only page (%s): %d faults, before it %llx, the page %s\n", rmw ? "add to memory" : "load, store",
           faults, (unsigned long long)hash_words(ro9, 2 * PG), ones ? "unchanged" : "CHANGED");
  }
  cow9 = pages(2, PROT_READ | PROT_WRITE);
  memset(cow9, 7, 2 * PG);
  in_children(3, ", loops", child9);
  int sevens = 1;
  for (int i = 0; i < 2 * PG; i++) sevens &= cow9[i] == 7;
  printf("parent's pages after the children: %s\n", sevens ? "unchanged" : "CHANGED");
  uint8_t* code9 = mmap(0, PG, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (code9 == MAP_FAILED) { perror("mmap code"); return 1; }
  memset(code9, 0xcc, PG);
  uint32_t (*fn9)(void) = (uint32_t (*)(void))code9;
  uint64_t s9 = 0;
  for (int i = 0; i < 3000; i++) {  // code9[64..71] = mov eax, i; ret; the loop copies it to code9[0..7]
    uint8_t insn[8] = {0xb8, 0, 0, 0, 0, 0xc3, 0xcc, 0xcc};
    const uint32_t imm = (uint32_t)i * 7 + 1;
    memcpy(insn + 1, &imm, 4);
    memcpy(code9 + 64, insn, 8);
    copy_down((uint32_t*)code9, 2);
    s9 = s9 * 31 + fn9();
  }
  printf("a loop copying code: %llx\n", (unsigned long long)s9);
  return 0;
}
