// A rep string instruction over 128 MiB (native: yes). Hardware may interrupt rep
// between iterations (rcx/rsi/rdi say how far it got, rip stays on it): a timer signal
// arrives in the middle, and the instruction completes after the handler.
#include "common.h"
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <ucontext.h>

static volatile long mid_rep, ticks;
static const size_t N = 128ul << 20;

static void on_alarm(int sig, siginfo_t* si, void* uc) {
  ucontext_t* u = uc;
  uint64_t rcx = u->uc_mcontext.gregs[REG_RCX];
  ticks++;
  if (rcx > 0 && rcx < N) mid_rep++;
}

int main(void) {
  unsigned char* m = mmap(NULL, N, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  struct sigaction sa = {0};
  sa.sa_sigaction = on_alarm;
  sa.sa_flags = SA_SIGINFO | SA_RESTART;
  sigaction(SIGALRM, &sa, NULL);
  struct itimerval it = {{0, 2000}, {0, 2000}};
  setitimer(ITIMER_REAL, &it, NULL);
  for (int round = 0; round < 4 && !mid_rep; round++) {
    // rep stosb: fill, then rep lodsb: read it back (al = last byte)
    void* d = m;
    size_t n = N;
    __asm__ volatile("rep stosb" : "+D"(d), "+c"(n) : "a"(0x5a) : "memory");
    const void* s = m;
    n = N;
    unsigned char al;
    __asm__ volatile("rep lodsb" : "+S"(s), "+c"(n), "=a"(al) : : "memory");
    if (al != 0x5a || n != 0 || s != m + N) { printf("rep result wrong\n"); failures++; }
    void* d2 = m + N / 2;
    const void* s2 = m;
    n = N / 2;
    __asm__ volatile("rep movsb" : "+D"(d2), "+S"(s2), "+c"(n) : : "memory");
    if (n != 0) failures++;
  }
  struct itimerval off = {{0, 0}, {0, 0}};
  setitimer(ITIMER_REAL, &off, NULL);
  CHECK(ticks > 0, "the timer fired");
  CHECK(mid_rep > 0, "a signal arrived in the middle of a rep (rcx between 0 and N)");
  CHECK(m[N - 1] == 0x5a && m[0] == 0x5a, "the memory holds what rep wrote");
  return finish();
}
