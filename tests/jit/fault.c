// tests/jit/fault.c — precise state when compiled code faults or runs long:
#define _GNU_SOURCE
//   1. a loop summing 8-byte words runs off the end of its mapping: the SIGSEGV handler
//      prints the fault address, rip (relative to the loop), the registers and the
//      arithmetic flags it sees; they must be the host's, with every --jit mode;
//   2. `alarm` interrupts an endless loop (a compiled region must return to the scheduler).
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

static uint8_t *code, *data;

static void on_segv(int sig, siginfo_t* si, void* ucv) {
  ucontext_t* uc = ucv;
  greg_t* g = uc->uc_mcontext.gregs;
  printf("SIGSEGV at data+%#lx, rip code+%#lx, rax %#llx rsi %#llx rdi data+%#llx, flags %#llx\n",
         (unsigned long)((uint8_t*)si->si_addr - data), (unsigned long)(g[REG_RIP] - (greg_t)code),
         (unsigned long long)g[REG_RAX], (unsigned long long)g[REG_RSI],
         (unsigned long long)(g[REG_RDI] - (greg_t)data), (unsigned long long)(g[REG_EFL] & 0x8d5));
  fflush(stdout);
  // resume after the loop: the handler moves rip to the ret
  g[REG_RIP] = (greg_t)(code + 14);
}

static void on_alarm(int sig) {
  printf("alarm interrupted the loop\n");
  fflush(stdout);
  _exit(0);
}

int main(void) {
  code = mmap(0, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  data = mmap(0, 2 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (code == MAP_FAILED || data == MAP_FAILED) return 1;
  munmap(data + 4096, 4096);
  for (int i = 0; i < 512; i++) ((uint64_t*)data)[i] = (uint64_t)i * 3 + 1;
  // 0: xor eax,eax; 2: L: add rax,[rdi]; 5: add rdi,8; 9: sub esi,1; 12: jnz L; 14: ret
  const uint8_t loop[] = {0x31, 0xc0, 0x48, 0x03, 0x07, 0x48, 0x83, 0xc7, 0x08, 0x83, 0xee, 0x01, 0x75, 0xf4, 0xc3,
                          // 15: L2: add rax,1; jmp L2  (endless)
                          0x48, 0x83, 0xc0, 0x01, 0xeb, 0xfa};
  memcpy(code, loop, sizeof loop);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_segv;
  sa.sa_flags = SA_SIGINFO;
  sigaction(SIGSEGV, &sa, 0);
  long (*sum)(uint8_t*, int) = (long (*)(uint8_t*, int))code;
  printf("in range: %ld\n", sum(data, 512));
  printf("past the end: %ld\n", sum(data, 100000));  // faults at data+4096
  signal(SIGALRM, on_alarm);
  alarm(1);
  ((void (*)(void))(code + 15))();
  return 1;
}
