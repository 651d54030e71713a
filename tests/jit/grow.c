// tests/jit/grow.c — regions that grow (vm/jit/jit.h "Regions that grow"): a loop whose
// iteration runs through more blocks than a region holds (a switch through a jump table,
// calls to functions that are never inlined, their returns), so that its regions exit to
// one another every iteration until one is compiled again, bigger, holding the whole loop.
// run.sh runs it with `--jit on --jit-threshold 64 --jit-grow 64` (and the usual modes)
// and checks that --stats counts a grown region:
//   1. the loop's checksum, the host's;
//   2. the same loop reading through a pointer that runs into an unmapped page after
//      thousands of iterations (by then inside the grown region): the SIGSEGV handler
//      prints the fault address, rip relative to the loop's function, the iteration
//      count the loop stores, and the arithmetic flags; it resumes at a recovery point.
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>

#define NOINLINE __attribute__((noinline))

static NOINLINE uint64_t mix_a(uint64_t x) { return (x ^ (x >> 7)) * 0x9e3779b97f4a7c15ull; }
static NOINLINE uint64_t mix_b(uint64_t x) { return x + (x << 3) + 11; }
static NOINLINE uint64_t mix_c(uint64_t x, uint64_t y) { return x < y ? y - x : (x - y) ^ 0x5555; }
static NOINLINE uint64_t mix_d(uint64_t x) { return (x & 1) ? x * 3 + 1 : x >> 1; }

volatile uint64_t g_iter;  // the loop's iteration, stored every time (the handler reads it)

// ~30 blocks an iteration: the switch's jump table, four calls and their returns, and
// the branches around them.
static NOINLINE uint64_t big_loop(const uint64_t* data, uint64_t n, uint64_t mask) {
  uint64_t h = 1469598103934665603ull, t = 7;
  for (uint64_t i = 0; i < n; i++) {
    g_iter = i;
    const uint64_t v = data[i & mask];
    switch ((v ^ h) & 7) {
      case 0: h = mix_a(h ^ v); break;
      case 1: h = mix_b(h + v); break;
      case 2: h = mix_c(h, v); break;
      case 3: h ^= mix_d(v); break;
      case 4: h += v * 13; break;
      case 5: h = (h << 5) | (h >> 59); break;
      case 6: h -= mix_a(v); break;
      default: h ^= 0xabcdef; break;
    }
    if (h & 0x100) t = mix_d(t + h);
    else t += mix_b(h) & 0xff;
    if ((t & 3) == 0) h ^= t;
    h = mix_c(h, t | 1);
  }
  return h ^ t;
}

static sigjmp_buf recover;
static uint8_t* region;

static void on_segv(int sig, siginfo_t* si, void* ucv) {
  (void)sig;
  ucontext_t* uc = ucv;
  greg_t* g = uc->uc_mcontext.gregs;
  printf("SIGSEGV at region+%#lx, rip big_loop+%#lx, iteration %llu, flags %#llx\n",
         (unsigned long)((uint8_t*)si->si_addr - region), (unsigned long)(g[REG_RIP] - (greg_t)(uintptr_t)&big_loop),
         (unsigned long long)g_iter, (unsigned long long)(g[REG_EFL] & 0x8d5));
  fflush(stdout);
  siglongjmp(recover, 1);
}

int main(void) {
  enum { N = 1 << 12 };
  uint64_t* data = malloc(N * sizeof *data);
  uint64_t x = 12345;
  for (int i = 0; i < N; i++) { x = x * 6364136223846793005ull + 1442695040888963407ull; data[i] = x >> 11; }
  printf("checksum %llx\n", (unsigned long long)big_loop(data, 400000, N - 1));

  // 2. 32 pages of words, the last 16 unmapped: the loop reads data[i] for i < n with
  //    mask = all ones, so it faults at the first word of page 16 (iteration 8192).
  region = mmap(0, 32 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (region == MAP_FAILED) return 1;
  munmap(region + 16 * 4096, 16 * 4096);
  memcpy(region, data, 16 * 4096 < N * 8 ? 16 * 4096 : N * 8);
  for (int i = N; i < 16 * 512; i++) ((uint64_t*)region)[i] = (uint64_t)i * 2654435761u;
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_segv;
  sa.sa_flags = SA_SIGINFO | SA_NODEFER;
  sigaction(SIGSEGV, &sa, 0);
  for (int round = 0; round < 3; round++) {
    if (sigsetjmp(recover, 1) == 0) printf("no fault: %llx\n", (unsigned long long)big_loop((uint64_t*)region, 1 << 20, ~0ull));
    else printf("recovered, round %d\n", round);
  }
  printf("checksum again %llx\n", (unsigned long long)big_loop(data, 100000, N - 1));
  return 0;
}
