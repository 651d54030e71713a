// tests/jit/smc.c — self-modifying code, the cases a JIT gets wrong first: a store that
// patches the next instruction of the running block, a store into another function of
// the same page, a store from another page; each many times, so that compiled regions
// are made, patched and dropped over and over. Prints what the patched code returned;
// the engine (--jit off, on, always) must print what the host CPU prints.
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

typedef int (*fn0)(void);
typedef void (*fn1)(int);

int main(void) {
  uint8_t* p = mmap(0, 3 * 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return 1;
  // 1. same block: mov eax,1; mov byte [rip+1],NN; mov eax,2; ret -- the store patches the
  //    immediate of the very next instruction (NN is itself patched from C before each call).
  const uint8_t same_block[] = {0xb8, 1, 0, 0, 0, 0xc6, 0x05, 1, 0, 0, 0, 0x00, 0xb8, 2, 0, 0, 0, 0xc3};
  memcpy(p, same_block, sizeof same_block);
  // 2. same page: f2 at +0x100 (mov eax,imm32; ret), f1 at +0x200 (mov [rip->f2+1],edi; ret)
  const uint8_t f2[] = {0xb8, 0, 0, 0, 0, 0xc3};
  memcpy(p + 0x100, f2, sizeof f2);
  const int32_t disp = 0x101 - 0x206;
  uint8_t f1[] = {0x89, 0x3d, 0, 0, 0, 0, 0xc3};
  memcpy(f1 + 2, &disp, 4);
  memcpy(p + 0x200, f1, sizeof f1);
  // 3. another page: f3 at +0x1000 (a loop adding its immediate rcx times), patched from main's page
  //    mov eax,0; mov ecx,10; L: add eax,imm32; dec ecx; jnz L; ret
  const uint8_t f3[] = {0xb8, 0, 0, 0, 0, 0xb9, 10, 0, 0, 0, 0x05, 0, 0, 0, 0, 0xff, 0xc9, 0x75, 0xf7, 0xc3};
  memcpy(p + 0x1000, f3, sizeof f3);

  long s1 = 0, s2 = 0, s3 = 0;
  int bad1 = 0, bad2 = 0, bad3 = 0;
  for (int i = 0; i < 3000; i++) {
    p[11] = (uint8_t)(i & 0x7f);  // the byte the code stores
    int r = ((fn0)p)();
    if (r != (i & 0x7f)) bad1++;
    s1 += r;
    ((fn1)(p + 0x200))(i * 3);
    r = ((fn0)(p + 0x100))();
    if (r != i * 3) bad2++;
    s2 += r;
    *(volatile int32_t*)(p + 0x100b) = i;
    r = ((fn0)(p + 0x1000))();
    if (r != 10 * i) bad3++;
    s3 += r;
  }
  printf("same block: sum %ld, wrong %d\n", s1, bad1);
  printf("same page: sum %ld, wrong %d\n", s2, bad2);
  printf("other page: sum %ld, wrong %d\n", s3, bad3);
  return 0;
}
