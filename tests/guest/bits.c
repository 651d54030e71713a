// Bit operations: popcount (builtin, no -mpopcnt: libgcc or inline bit tricks), clz/ctz
// (bsr/bsf), bswap, rotates, parity, ffs, bit fields and bit tests.
#include <stdint.h>
#include <stdio.h>
#include <strings.h>

struct bf { unsigned a : 3; signed b : 5; unsigned c : 13; unsigned long long d : 41; };

static volatile uint64_t vals[] = {1, 2, 3, 0x80, 0xff, 0x100, 0x8000, 0x10000, 0x7fffffff, 0x80000000ull, 0xffffffffull,
                                   0x100000000ull, 0x8000000000000000ull, 0xffffffffffffffffull, 0x0123456789abcdefull,
                                   0xf0f0f0f0f0f0f0f0ull, 0x5555555555555555ull};

static uint32_t rotl32(uint32_t x, int r) { return (x << (r & 31)) | (x >> ((32 - r) & 31)); }
static uint64_t rotr64(uint64_t x, int r) { return (x >> (r & 63)) | (x << ((64 - r) & 63)); }

int main(void) {
  const int n = sizeof vals / sizeof vals[0];
  for (int i = 0; i < n; i++) {
    uint64_t v = vals[i];
    uint32_t w = (uint32_t)v;
    uint16_t h = (uint16_t)v;
    printf("%016llx: pop %d %d clz %d ctz %d clz32 %d ctz32 %d par %d ffs %d ffsll %d bswap %016llx %08x %04x rot %08x %016llx\n",
           (unsigned long long)v, __builtin_popcountll(v), __builtin_popcount(w), __builtin_clzll(v), __builtin_ctzll(v),
           w ? __builtin_clz(w) : -1, w ? __builtin_ctz(w) : -1, __builtin_parityll(v), ffs((int)w), ffsll((long long)v),
           (unsigned long long)__builtin_bswap64(v), __builtin_bswap32(w), __builtin_bswap16(h), rotl32(w, i),
           (unsigned long long)rotr64(v, i * 5));
  }
  struct bf b = {0};
  unsigned long long acc = 0;
  for (int i = 0; i < 1000; i++) {
    b.a += i;
    b.b -= i * 3;
    b.c ^= i * 77;
    b.d += (unsigned long long)i * 0x123456789ull;
    acc = acc * 131 + b.a + (unsigned)(b.b + 16) + b.c + b.d;
  }
  printf("bitfields %u %d %u %llu acc %llu\n", b.a, b.b, b.c, (unsigned long long)b.d, acc);
  // bit tests on arrays (bt/bts/btr patterns)
  uint64_t set[8] = {0};
  for (int i = 0; i < 512; i += 7) set[i / 64] |= 1ull << (i % 64);
  for (int i = 0; i < 512; i += 11) set[i / 64] ^= 1ull << (i % 64);
  int count = 0;
  for (int i = 0; i < 512; i++) count += (set[i / 64] >> (i % 64)) & 1;
  printf("bitset count %d words %016llx %016llx\n", count, (unsigned long long)set[0], (unsigned long long)set[7]);
  return count & 0x3f;
}
