// malloc stress: many sizes (tiny to above the mmap threshold), realloc growth and
// shrink, calloc zeroing, frees in pseudo-random order; contents verified throughout.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t s = 88172645463325252ull;
static uint64_t rnd(void) { s ^= s << 13; s ^= s >> 7; s ^= s << 17; return s; }

#define N 400
static unsigned char* p[N];
static size_t sz[N];
static unsigned char tag[N];

static size_t pick_size(void) {
  switch (rnd() % 32) {
    case 0: case 1: case 2: case 3: return rnd() % 16;
    case 4: return 4096 + rnd() % 65536;
    case 5: return 120 * 1024 + rnd() % (16 * 1024);  // around the 128 KiB mmap threshold
    case 6: return 256 * 1024 + rnd() % (256 * 1024);
    case 7: case 8: case 9: return rnd() % 4096;
    default: return rnd() % 512;
  }
}
// Large blocks are filled and checked with a stride (every 61st byte and the last one).
static size_t stride(size_t n) { return n > 4096 ? 61 : 1; }
static int check(int i) {
  for (size_t k = 0; k < sz[i]; k += stride(sz[i])) if (p[i][k] != (unsigned char)(tag[i] + k)) return 0;
  if (sz[i] && p[i][sz[i] - 1] != (unsigned char)(tag[i] + sz[i] - 1)) return 0;
  return 1;
}
static void fill(int i) {
  for (size_t k = 0; k < sz[i]; k += stride(sz[i])) p[i][k] = (unsigned char)(tag[i] + k);
  if (sz[i]) p[i][sz[i] - 1] = (unsigned char)(tag[i] + sz[i] - 1);
}

int main(void) {
  int bad = 0;
  size_t total = 0;
  for (int round = 0; round < 5; round++) {
    for (int i = 0; i < N; i++) {
      const int op = (int)(rnd() % 4);
      if (!p[i]) {
        sz[i] = pick_size();
        tag[i] = (unsigned char)rnd();
        if (op == 0) {
          p[i] = calloc(1, sz[i] ? sz[i] : 1);
          for (size_t k = 0; k < sz[i]; k += stride(sz[i])) bad += p[i][k] != 0;
        } else {
          p[i] = malloc(sz[i] ? sz[i] : 1);
        }
        if (((uintptr_t)p[i] & 15) != 0) bad++;  // 16-byte alignment
        fill(i);
        total += sz[i];
      } else if (op == 1) {
        bad += !check(i);
        free(p[i]);
        p[i] = NULL;
      } else if (op == 2) {
        bad += !check(i);
        size_t nsz = pick_size();
        unsigned char* q = realloc(p[i], nsz ? nsz : 1);
        size_t keep = nsz < sz[i] ? nsz : sz[i];
        for (size_t k = 0; k < keep; k += stride(sz[i])) bad += q[k] != (unsigned char)(tag[i] + k);
        p[i] = q;
        sz[i] = nsz;
        fill(i);
      } else {
        bad += !check(i);
      }
    }
    size_t live = 0;
    for (int i = 0; i < N; i++) if (p[i]) live += sz[i];
    printf("round %d: live bytes %zu, allocated so far %zu, bad %d\n", round, live, total, bad);
  }
  for (int i = 0; i < N; i++) { if (p[i]) bad += !check(i); free(p[i]); }
  // aligned allocation and a big zeroed block
  void* a = aligned_alloc(4096, 3 * 4096);
  int* z = calloc(1 << 18, sizeof(int));
  long zs = 0;
  for (int i = 0; i < (1 << 18); i += 997) zs += z[i];
  printf("aligned %d, calloc zero sum %ld, bad %d\n", ((uintptr_t)a & 4095) == 0, zs, bad);
  free(a);
  free(z);
  return bad ? 1 : 0;
}
