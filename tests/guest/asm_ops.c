// Integer instructions the compiler rarely emits, through inline assembly: string ops
// with rep/repe/repne in both directions, cmpxchg/cmpxchg16b/xadd/xchg, bt* on memory
// with large bit offsets, shld/shrd, rcl/rcr, adc/sbb chains, lahf/sahf, all setcc and
// cmovcc conditions, one-operand mul/imul/div/idiv at every size, enter/leave, 16-bit
// push/pop, cbw..cqo, bsf/bsr, loop/jrcxz, pushf/popf.
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static uint64_t h = 14695981039346656037ull;
static void mix(uint64_t v) { h = (h ^ v) * 1099511628211ull; }

int main(void) {
  // ---- string instructions ----
  char src[64], dst[64];
  for (int i = 0; i < 64; i++) src[i] = (char)(i * 3 + 1);
  memset(dst, 0, sizeof dst);
  {
    void *d = dst + 5, *s = src + 2;
    uint64_t c = 37;
    __asm__ volatile("cld; rep movsb" : "+D"(d), "+S"(s), "+c"(c) : : "memory");
    mix((uintptr_t)d - (uintptr_t)dst); mix(c);
    d = dst + 40; s = src + 40; c = 3;
    __asm__ volatile("std; rep movsq; cld" : "+D"(d), "+S"(s), "+c"(c) : : "memory");
    mix((uintptr_t)d - (uintptr_t)dst);
    d = dst + 1; c = 9;
    __asm__ volatile("rep stosw" : "+D"(d), "+c"(c) : "a"(0xbeef) : "memory");
    for (int i = 0; i < 64; i++) mix((unsigned char)dst[i]);
    printf("movs/stos %016llx\n", (unsigned long long)h);
  }
  {
    char a[32] = "abcdefghijklmnopqrstuvwxyz", b[32] = "abcdefghijklmnoXqrstuvwxyz";
    void *x = a, *y = b;
    uint64_t c = 26;
    uint8_t zf;
    __asm__ volatile("cld; repe cmpsb; setz %3" : "+S"(x), "+D"(y), "+c"(c), "=q"(zf) : : "memory", "cc");
    printf("repe cmpsb: stopped at %ld, rcx %llu, zf %d\n", (long)((char*)x - a), (unsigned long long)c, zf);
    y = a; c = 32;
    __asm__ volatile("repne scasb" : "+D"(y), "+c"(c) : "a"('q') : "memory", "cc");
    printf("repne scasb: found at %ld, rcx %llu\n", (long)((char*)y - a - 1), (unsigned long long)c);
    uint64_t w = 0;
    x = a + 8;
    __asm__ volatile("lodsq; lodsw" : "+S"(x), "+a"(w) : : "memory");
    printf("lods %016llx\n", (unsigned long long)w);
  }
  // ---- atomics ----
  {
    uint64_t m = 100, r;
    uint64_t expect = 100;
    uint8_t ok;
    __asm__ volatile("lock cmpxchgq %3, %1; setz %2" : "+a"(expect), "+m"(m), "=q"(ok) : "r"(555ull) : "cc", "memory");
    printf("cmpxchg ok %d m %llu rax %llu\n", ok, (unsigned long long)m, (unsigned long long)expect);
    expect = 1;
    __asm__ volatile("lock cmpxchgq %3, %1; setz %2" : "+a"(expect), "+m"(m), "=q"(ok) : "r"(7ull) : "cc", "memory");
    printf("cmpxchg fail %d m %llu rax %llu\n", ok, (unsigned long long)m, (unsigned long long)expect);
    r = 45;
    __asm__ volatile("lock xaddq %0, %1" : "+r"(r), "+m"(m) : : "cc", "memory");
    printf("xadd old %llu new %llu\n", (unsigned long long)r, (unsigned long long)m);
    r = 9;
    __asm__ volatile("xchgq %0, %1" : "+r"(r), "+m"(m) : : "memory");
    printf("xchg %llu %llu\n", (unsigned long long)r, (unsigned long long)m);
    _Alignas(16) uint64_t pair[2] = {1, 2};
    uint64_t lo = 1, hi = 2;
    __asm__ volatile("lock cmpxchg16b %1; setz %2" : "+a"(lo), "+m"(pair), "=q"(ok), "+d"(hi)
                     : "b"(0x1111ull), "c"(0x2222ull) : "cc", "memory");
    printf("cmpxchg16b %d %llx %llx\n", ok, (unsigned long long)pair[0], (unsigned long long)pair[1]);
  }
  // ---- bit tests on memory with offsets beyond the operand ----
  {
    uint64_t bits[8] = {0};
    long offs[] = {0, 63, 64, 200, 511, 3, 130};
    uint8_t cf;
    uint64_t acc = 0;
    for (unsigned i = 0; i < sizeof offs / sizeof offs[0]; i++) {
      __asm__ volatile("btsq %2, %1; setc %0" : "=q"(cf), "+m"(bits) : "r"(offs[i]) : "cc", "memory");
      acc = acc * 2 + cf;
    }
    __asm__ volatile("btcq %2, %1; setc %0" : "=q"(cf), "+m"(bits) : "r"(200L) : "cc", "memory"); acc = acc * 2 + cf;
    __asm__ volatile("btrq %2, %1; setc %0" : "=q"(cf), "+m"(bits) : "r"(511L) : "cc", "memory"); acc = acc * 2 + cf;
    __asm__ volatile("btl %2, %1; setc %0" : "=q"(cf) : "m"(bits), "r"(130) : "cc"); acc = acc * 2 + cf;
    __asm__ volatile("btsw $15, %1; setc %0" : "=q"(cf), "+m"(bits[1]) : : "cc", "memory"); acc = acc * 2 + cf;
    printf("bt* %llx %016llx %016llx %016llx %016llx\n", (unsigned long long)acc, (unsigned long long)bits[0],
           (unsigned long long)bits[1], (unsigned long long)bits[3], (unsigned long long)bits[7]);
  }
  // ---- shifts: shld/shrd, rcl/rcr, counts 0/1/n ----
  {
    uint64_t a = 0x0123456789abcdefull, b = 0xfedcba9876543210ull;
    for (int n = 0; n < 70; n += 7) {
      uint64_t x = a, y = a, z;
      uint32_t x32 = (uint32_t)a;
      uint16_t x16 = (uint16_t)a;
      __asm__("shldq %%cl, %2, %0" : "+r"(x) : "c"(n), "r"(b) : "cc");
      __asm__("shrdq %%cl, %2, %0" : "+r"(y) : "c"(n), "r"(b) : "cc");
      __asm__("shldl %%cl, %2, %0" : "+r"(x32) : "c"(n), "r"((uint32_t)b) : "cc");
      __asm__("shrdw %%cl, %2, %0" : "+r"(x16) : "c"(n & 15), "r"((uint16_t)b) : "cc");
      z = a;
      __asm__("stc; rclq %%cl, %0" : "+r"(z) : "c"(n) : "cc");
      uint8_t z8 = (uint8_t)a;
      __asm__("clc; rcrb %%cl, %0" : "+q"(z8) : "c"(n) : "cc");
      printf("shift %2d: %016llx %016llx %08x %04x %016llx %02x\n", n, (unsigned long long)x, (unsigned long long)y, x32, x16,
             (unsigned long long)z, z8);
    }
  }
  // ---- multi-precision add/sub with adc/sbb ----
  {
    uint64_t x[4] = {~0ull, ~0ull, 5, 0}, y[4] = {1, 0, ~0ull, 7}, s[4], d[4];
    __asm__("movq (%2), %%rax; addq (%3), %%rax; movq %%rax, (%0);"
            "movq 8(%2), %%rax; adcq 8(%3), %%rax; movq %%rax, 8(%0);"
            "movq 16(%2), %%rax; adcq 16(%3), %%rax; movq %%rax, 16(%0);"
            "movq 24(%2), %%rax; adcq 24(%3), %%rax; movq %%rax, 24(%0);"
            "movq (%2), %%rax; subq (%3), %%rax; movq %%rax, (%1);"
            "movq 8(%2), %%rax; sbbq 8(%3), %%rax; movq %%rax, 8(%1);"
            "movq 16(%2), %%rax; sbbq 16(%3), %%rax; movq %%rax, 16(%1);"
            "movq 24(%2), %%rax; sbbq 24(%3), %%rax; movq %%rax, 24(%1);"
            : : "r"(s), "r"(d), "r"(x), "r"(y) : "rax", "cc", "memory");
    printf("adc %016llx %016llx %016llx %016llx sbb %016llx %016llx %016llx %016llx\n", (unsigned long long)s[3],
           (unsigned long long)s[2], (unsigned long long)s[1], (unsigned long long)s[0], (unsigned long long)d[3],
           (unsigned long long)d[2], (unsigned long long)d[1], (unsigned long long)d[0]);
  }
  // ---- all condition codes after a few comparisons (setcc and cmovcc) ----
  {
    int64_t pairs[][2] = {{1, 2}, {2, 1}, {5, 5}, {-1, 1}, {INT64_MIN, 1}, {0, 0x80}, {3, -3}};
    for (unsigned p = 0; p < sizeof pairs / sizeof pairs[0]; p++) {
      uint8_t c[16];
      uint64_t mv = 0;
      __asm__("cmpq %18, %17\n\t"
              "seto %0; setno %1; setb %2; setae %3; sete %4; setne %5; setbe %6; seta %7\n\t"
              "sets %8; setns %9; setp %10; setnp %11; setl %12; setge %13; setle %14; setg %15\n\t"
              "movq $0, %16\n\t"
              "cmpq %18, %17\n\t"
              "cmovlq %17, %16"
              : "=m"(c[0]), "=m"(c[1]), "=m"(c[2]), "=m"(c[3]), "=m"(c[4]), "=m"(c[5]), "=m"(c[6]), "=m"(c[7]), "=m"(c[8]),
                "=m"(c[9]), "=m"(c[10]), "=m"(c[11]), "=m"(c[12]), "=m"(c[13]), "=m"(c[14]), "=m"(c[15]), "=&r"(mv)
              : "r"(pairs[p][0]), "r"(pairs[p][1])
              : "cc");
      printf("cc %lld,%lld:", (long long)pairs[p][0], (long long)pairs[p][1]);
      for (int k = 0; k < 16; k++) printf("%d", c[k]);
      printf(" cmovl %lld\n", (long long)mv);
    }
  }
  // ---- lahf/sahf, pushf/popf, cmc ----
  {
    uint64_t ah_val, fl;
    __asm__("xor %%eax, %%eax; cmp $1, %%eax; lahf; shr $8, %%eax; movzbl %%al, %%eax" : "=a"(ah_val) : : "cc");
    __asm__("mov $0xd5, %%ah; sahf; cmc; pushfq; popq %0" : "=r"(fl) : : "rax", "cc");
    printf("lahf %02llx flags after sahf+cmc %03llx\n", (unsigned long long)ah_val, (unsigned long long)(fl & 0xfd5));
  }
  // ---- one-operand multiply and divide at every size ----
  {
    uint64_t vals[] = {7, 255, 65535, 0xfffffffbull, 0x8000000000000001ull, 12345678901234ull};
    for (unsigned i = 0; i < 6; i++) {
      uint64_t v = vals[i], lo, hi;
      uint16_t ax;
      __asm__("mulq %2" : "=a"(lo), "=d"(hi) : "r"(v * 3 + 1), "a"(v) : "cc");
      mix(lo); mix(hi);
      __asm__("imulq %2" : "=a"(lo), "=d"(hi) : "r"(-(int64_t)v), "a"(v) : "cc");
      mix(lo); mix(hi);
      __asm__("movb %b1, %%al; mulb %b2" : "=&a"(ax) : "r"(v), "q"(v >> 1) : "cc");
      mix(ax);
      __asm__("movb %b1, %%al; imulb %b2" : "=&a"(ax) : "r"(v), "q"(v + 77) : "cc");
      mix(ax);
      uint32_t q32, r32;
      __asm__("divl %4" : "=a"(q32), "=d"(r32) : "a"((uint32_t)v), "d"(3u), "r"((uint32_t)v | 0x10u) : "cc");
      mix(q32); mix(r32);
      int32_t sq, sr;
      __asm__("cltd; idivl %3" : "=a"(sq), "=d"(sr) : "a"(-(int32_t)v), "c"(7) : "cc");
      mix((uint32_t)sq); mix((uint32_t)sr);
      uint16_t q16;
      __asm__("movw %w1, %%ax; xorw %%dx, %%dx; divw %w2" : "=&a"(q16) : "r"(v), "c"((v & 0xff) | 1) : "rdx", "cc");
      mix(q16);
      __asm__("movw %w1, %%ax; divb %b2" : "=&a"(ax) : "r"(v & 0x3fff), "c"((v & 0xff) | 0x80) : "cc");
      mix(ax);
      __asm__("movw %w1, %%ax; cbtw; movw $-5, %%dx; movw %%dx, %%dx; idivb %%dl" : "=a"(ax) : "r"(v) : "rdx", "cc");
      mix(ax);
      int64_t q64, r64;
      __asm__("cqto; idivq %3" : "=a"(q64), "=d"(r64) : "a"((int64_t)v * -13), "c"((int64_t)101) : "cc");
      mix((uint64_t)q64); mix((uint64_t)r64);
    }
    printf("mul/div %016llx\n", (unsigned long long)h);
  }
  // ---- sign extension, bit scan, bswap, loop, jrcxz, enter/leave, 16-bit push/pop ----
  {
    uint64_t r1, r2, r3, r4;
    __asm__("movq $0x80, %%rax; cbtw; cwtl; cltq; movq %%rax, %0; movq $-2, %%rax; cqto; movq %%rdx, %1"
            : "=r"(r1), "=r"(r2) : : "rax", "rdx");
    printf("cbw.. %016llx %016llx\n", (unsigned long long)r1, (unsigned long long)r2);
    __asm__("bsfq %2, %0; bsrq %2, %1" : "=r"(r1), "=r"(r2) : "r"(0x0000f00000000100ull) : "cc");
    __asm__("bswapq %0" : "=r"(r3) : "0"(0x0102030405060708ull));
    printf("bsf %llu bsr %llu bswap %016llx\n", (unsigned long long)r1, (unsigned long long)r2, (unsigned long long)r3);
    __asm__("xorq %0, %0; movq $10, %%rcx; 1: addq %%rcx, %0; loop 1b; movq $0, %%rcx; jrcxz 2f; movq $999, %0; 2:"
            : "=&r"(r1) : : "rcx", "cc");
    __asm__("movq %%rsp, %%r8; enter $32, $0; movq %%rsp, %0; leave; subq %0, %%r8; movq %%r8, %0" : "=r"(r4) : : "r8", "memory");
    __asm__("pushw $0x1234; pushw $0x5678; popw %%ax; popw %%dx; shl $16, %%edx; movzwl %%ax, %%eax; or %%edx, %%eax"
            : "=a"(r2) : : "rdx", "memory");
    printf("loop sum %llu enter frame %llu pushw %08llx\n", (unsigned long long)r1, (unsigned long long)r4, (unsigned long long)r2);
  }
  return 0;
}
