// tests/jit/cloops.c — compiled loops (wasm `loop`s: a block that is its own successor,
// and loops of several blocks whose back edges branch to their head without the
// dispatcher), their state when something looks:
//   1. nested C loops (insertion sort, a sieve, a loop with rep movsb in its body: a
//      handler that changes the instruction count inside a compiled loop) print checksums;
//   2. a loop of three blocks (a forward branch inside it) runs off the end of its
//      mapping: the SIGSEGV handler prints the fault address, rip, registers and flags;
//   3. (unless the argument is "count") `alarm` interrupts an endless loop of three
//      blocks: a compiled loop must give the scheduler and the timer their turn.
// tests/jit/run.sh compares the output with the host's in every --jit mode, and the
// instruction count (--stats) of `cloops count` with --jit on and always against off:
// the count compiled code keeps in a local is the interpreter's at every exit and fault.
#define _GNU_SOURCE
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

static uint8_t *code, *data;

static void on_segv(int sig, siginfo_t* si, void* ucv) {
  ucontext_t* uc = ucv;
  greg_t* g = uc->uc_mcontext.gregs;
  printf("SIGSEGV at data+%#lx, rip code+%#lx, rax %#llx rcx %#llx rsi %#llx rdi data+%#llx, flags %#llx\n",
         (unsigned long)((uint8_t*)si->si_addr - data), (unsigned long)(g[REG_RIP] - (greg_t)code),
         (unsigned long long)g[REG_RAX], (unsigned long long)g[REG_RCX], (unsigned long long)g[REG_RSI],
         (unsigned long long)(g[REG_RDI] - (greg_t)data), (unsigned long long)(g[REG_EFL] & 0x8d5));
  fflush(stdout);
  g[REG_RIP] = (greg_t)(code + 23);  // resume at the ret
}

static void on_alarm(int sig) {
  printf("alarm interrupted the loop\n");
  fflush(stdout);
  _exit(0);
}

static uint32_t sort_sum(int n) {
  uint32_t* a = malloc(n * sizeof *a), x = 7;
  for (int i = 0; i < n; i++) { x = x * 1103515245u + 12345u; a[i] = x >> 8; }
  for (int i = 1; i < n; i++) {
    uint32_t v = a[i];
    int j = i - 1;
    while (j >= 0 && a[j] > v) { a[j + 1] = a[j]; j--; }
    a[j + 1] = v;
  }
  uint32_t s = 0;
  for (int i = 0; i < n; i++) s = s * 31 + a[i];
  free(a);
  return s;
}

static uint32_t sieve(int n) {
  char* p = calloc(n + 1, 1);
  uint32_t count = 0;
  for (int i = 2; i <= n; i++) {
    if (p[i]) continue;
    count++;
    for (long j = (long)i * i; j <= n; j += i) p[j] = 1;
  }
  free(p);
  return count;
}

static uint64_t copies(int rounds) {
  static char src[256], dst[256];
  uint64_t s = 0;
  for (int i = 0; i < 256; i++) src[i] = (char)(i * 7);
  for (int r = 0; r < rounds; r++) {
    void *d = dst, *sp = src + (r & 15);
    size_t n = 64 + (r & 63);
    __asm__ volatile("rep movsb" : "+D"(d), "+S"(sp), "+c"(n) : : "memory");
    s += (uint8_t)dst[r & 63] + (s << 1);
  }
  return s;
}

int main(int argc, char** argv) {
  const int count_only = argc > 1 && !strcmp(argv[1], "count");
  printf("sort %u sieve %u copies %llu\n", sort_sum(1500), sieve(200000), (unsigned long long)copies(20000));
  code = mmap(0, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  data = mmap(0, 2 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (code == MAP_FAILED || data == MAP_FAILED) return 1;
  munmap(data + 4096, 4096);
  for (int i = 0; i < 512; i++) ((uint64_t*)data)[i] = (uint64_t)(i * 7 % 32);
  const uint8_t loop[] = {
      0x31, 0xc0,              //  0: xor eax,eax
      0x48, 0x8b, 0x0f,        //  2: L: mov rcx,[rdi]
      0x48, 0x83, 0xf9, 0x10,  //  5: cmp rcx,16
      0x72, 0x03,              //  9: jb S
      0x48, 0x01, 0xc8,        // 11: add rax,rcx
      0x48, 0x83, 0xc7, 0x08,  // 14: S: add rdi,8
      0x83, 0xee, 0x01,        // 18: sub esi,1
      0x75, 0xeb,              // 21: jnz L
      0xc3,                    // 23: ret
      0x48, 0x83, 0xc0, 0x01,              // 24: L2: add rax,1
      0x48, 0xa9, 0x01, 0x00, 0x00, 0x00,  // 28: test rax,1
      0x74, 0x02,                          // 34: jz +2
      0xeb, 0xf2,                          // 36: jmp L2
      0xeb, 0xf0,                          // 38: jmp L2
  };
  memcpy(code, loop, sizeof loop);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_segv;
  sa.sa_flags = SA_SIGINFO;
  sigaction(SIGSEGV, &sa, 0);
  long (*sum)(uint8_t*, int) = (long (*)(uint8_t*, int))code;
  long s = 0;
  for (int r = 0; r < 200; r++) s += sum(data, 512);
  printf("in range: %ld\n", s);
  printf("past the end: %ld\n", sum(data, 100000));  // faults at data+4096
  if (count_only) return 0;
  signal(SIGALRM, on_alarm);
  alarm(1);
  ((void (*)(void))(code + 24))();
  return 1;
}
