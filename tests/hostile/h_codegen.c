// A guest that never stops making new code (native: yes): a million distinct one-shot
// functions written over one 64 KiB buffer and called (every write lands in a page that
// holds decoded code: its blocks are dropped), then 3000 distinct hot loops, each run long
// enough for `--jit on` to compile it before the next one overwrites it. The engine's
// block cache and code cache must stay bounded (the peak RSS the harness prints).
// engine-args: --jit on
#include "common.h"
#include <stdint.h>
#include <sys/mman.h>

typedef int (*fn0)(void);

int main(void) {
  const size_t size = 64 << 10;
  uint8_t* buf = mmap(NULL, size, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (buf == MAP_FAILED) { perror("mmap"); return 1; }
  // 1. mov eax, imm32; xor eax, imm32; ret (11 bytes) at a new 16-byte slot each time
  long sum1 = 0;
  for (long i = 0; i < 1000000; i++) {
    uint8_t* f = buf + (i * 16) % size;
    const uint32_t a = (uint32_t)(i * 2654435761u), b = (uint32_t)i;
    f[0] = 0xb8; memcpy(f + 1, &a, 4);
    f[5] = 0x35; memcpy(f + 6, &b, 4);
    f[10] = 0xc3;
    sum1 += (uint32_t)((fn0)f)();
  }
  printf("one-shot functions: sum %ld\n", sum1);
  // 2. xor eax,eax; mov ecx, 3000; L: add eax, imm32; dec ecx; jnz L; ret
  long sum2 = 0;
  for (long i = 0; i < 3000; i++) {
    uint8_t* f = buf + (i * 64) % size;
    const uint8_t code[] = {0x31, 0xc0, 0xb9, 0xb8, 0x0b, 0, 0, 0x05, 0, 0, 0, 0, 0xff, 0xc9, 0x75, 0xf7, 0xc3};
    memcpy(f, code, sizeof code);
    const uint32_t k = (uint32_t)(i * 7 + 1);
    memcpy(f + 8, &k, 4);
    sum2 += (uint32_t)((fn0)f)();
  }
  printf("hot loops: sum %ld\n", sum2);
  printf("ok\n");
  return 0;
}
