// tests/jit/reuse.c — a program's next process starts with the code its last process
// decoded and compiled (vm/linux/code_pool.h). The blocks are kept by address, so each
// case here puts different bytes, or the same bytes without PROT_EXEC, at an address
// where an earlier process of this same program ran code:
//   reuse            the driver: runs the children below one after another (fork,
//                    execve of itself, wait), so each starts with its predecessor's cache
//   reuse gen N      maps one page at a fixed address, writes a loop that adds N 100,000
//                    times, calls it 50 times (hot: compiled under --jit on), prints the sum
//   reuse noexec N   the same page and bytes as `gen N`, but PROT_READ only: the call
//                    must fault (prints "SIGSEGV"), not run the blocks kept from `gen N`
//   reuse write N    the bytes of `gen 1` first, called once, then N patched in and called:
//                    the running process's own store into an inherited page
//   reuse span N     a loop adding N 20 times on two pages, called 6,000 times: its start
//                    (xor, mov, jmp) ends the first page, the jump goes to the loop on the
//                    second. The first page is the same for every N, the second differs:
//                    under --jit on, `span 1` leaves a region holding the caller's blocks,
//                    the start and the loop (three pages), which `span 2` must drop when
//                    it first finds one of them, though that block's own page is the same
// The driver prints every child's output; the engine (--jit off, on, always) must print
// what the host prints. tests/jit/run.sh also reads --stats: blocks reused, pages rejected.
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

#define CODE_AT ((void*)0x5a5a0000)

typedef int (*fn0)(void);

// xor eax, eax; mov ecx, 100000; loop: add eax, imm32; dec ecx; jnz loop; ret
static void put_loop(uint8_t* p, int32_t n) {
  const uint8_t code[] = {0x31, 0xc0, 0xb9, 0xa0, 0x86, 0x01, 0x00, 0x05, 0, 0, 0, 0, 0xff, 0xc9, 0x75, 0xf7, 0xc3};
  memcpy(p, code, sizeof code);
  memcpy(p + 8, &n, 4);
}

// A loop on two pages (p: the first of two): returns the entry, 12 bytes before the
// second page, which holds the loop at +16.
//   xor eax, eax; mov ecx, 20; jmp loop | ... loop: add eax, imm32; dec ecx; jnz loop; ret
static uint8_t* put_span(uint8_t* p, int32_t n) {
  uint8_t* f = p + 4096 - 12;
  const uint8_t head[] = {0x31, 0xc0, 0xb9, 20, 0, 0, 0, 0xe9, 16, 0, 0, 0};
  const uint8_t loop[] = {0x05, 0, 0, 0, 0, 0xff, 0xc9, 0x75, 0xf7, 0xc3};
  memcpy(f, head, sizeof head);
  memcpy(p + 4096 + 16, loop, sizeof loop);
  memcpy(p + 4096 + 17, &n, 4);
  return f;
}

static sigjmp_buf env;
static void on_segv(int sig) { (void)sig; siglongjmp(env, 1); }

static uint8_t* map_code(size_t len) {
  uint8_t* p = mmap(CODE_AT, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
  if (p == MAP_FAILED) { perror("mmap"); exit(1); }
  return p;
}

static int child(const char* what, int32_t n) {
  uint8_t* p = map_code(8192);
  if (!strcmp(what, "span")) {
    uint8_t* f = put_span(p, n);
    if (mprotect(p, 8192, PROT_READ | PROT_EXEC) != 0) { perror("mprotect"); return 1; }
    long sum = 0;
    for (int i = 0; i < 6000; i++) sum += ((fn0)f)();
    printf("span %d: %ld\n", n, sum);
  } else if (!strcmp(what, "gen")) {
    put_loop(p, n);
    if (mprotect(p, 4096, PROT_READ | PROT_EXEC) != 0) { perror("mprotect"); return 1; }
    long sum = 0;
    for (int i = 0; i < 50; i++) sum += ((fn0)p)();
    printf("gen %d: %ld\n", n, sum);
  } else if (!strcmp(what, "noexec")) {
    put_loop(p, n);
    if (mprotect(p, 4096, PROT_READ) != 0) { perror("mprotect"); return 1; }
    signal(SIGSEGV, on_segv);
    if (sigsetjmp(env, 1) == 0) printf("noexec %d: ran, returned %d\n", n, ((fn0)p)());
    else printf("noexec %d: SIGSEGV\n", n);
  } else if (!strcmp(what, "write")) {
    if (mprotect(p, 8192, PROT_READ | PROT_WRITE | PROT_EXEC) != 0) { perror("mprotect"); return 1; }
    put_loop(p, 1);
    const int a = ((fn0)p)();
    memcpy(p + 8, &n, 4);
    long sum = 0;
    for (int i = 0; i < 50; i++) sum += ((fn0)p)();
    printf("write %d: first %d, then %ld\n", n, a, sum);
  }
  return 0;
}

static void run(const char* self, const char* what, const char* n) {
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    execl(self, self, what, n, (char*)0);
    perror("execl");
    _exit(127);
  }
  int st = 0;
  waitpid(pid, &st, 0);
  if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) printf("%s %s: status %#x\n", what, n, st);
}

int main(int argc, char** argv) {
  if (argc == 3) return child(argv[1], (int32_t)atoi(argv[2]));
  const char* self = "/proc/self/exe";
  run(self, "gen", "1");
  run(self, "gen", "1");     // the same bytes: reused
  run(self, "gen", "2");     // one byte differs: its page rejected, decoded again
  run(self, "gen", "2");
  run(self, "noexec", "2");  // the same bytes, not executable
  run(self, "gen", "3");
  run(self, "write", "4");   // a store into the inherited page after its first run
  run(self, "write", "5");
  run(self, "gen", "1");
  run(self, "span", "1");
  run(self, "span", "1");    // both pages the same: reused
  run(self, "span", "2");    // the entry's page the same, the second not: the region dropped
  run(self, "span", "2");
  return 0;
}
