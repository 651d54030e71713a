/* bench/cpu_bound.c — a CPU-bound guest program for the interpreter benchmark: a sieve,
 * an integer hash loop, an insertion-sort pass over pseudo-random data and some double
 * arithmetic, so the mix has loads, stores, branches, multiplies and SSE2 scalar math.
 * Prints a checksum so native and engine runs can be compared. Size: argv[1] (default 1);
 * argv[2], if given, runs only that kernel: sieve, hash, sort or float (bench/run.py --parts:
 * which kernel the JIT is slow on). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint32_t sieve(int n) {
  char *p = calloc(n + 1, 1);
  uint32_t count = 0;
  for (int i = 2; i <= n; i++) {
    if (p[i]) continue;
    count++;
    for (long j = (long)i * i; j <= n; j += i) p[j] = 1;
  }
  free(p);
  return count;
}

static uint64_t hash_loop(int n) {
  uint64_t h = 1469598103934665603ull;
  for (int i = 0; i < n; i++) {
    h ^= (uint64_t)i * 0x9e3779b97f4a7c15ull;
    h *= 1099511628211ull;
    h = (h << 13) | (h >> 51);
  }
  return h;
}

static uint32_t sort_pass(int n) {
  uint32_t *a = malloc(n * sizeof *a), x = 12345;
  for (int i = 0; i < n; i++) { x = x * 1103515245u + 12345u; a[i] = x >> 8; }
  for (int i = 1; i < n; i++) {
    uint32_t v = a[i];
    int j = i - 1;
    while (j >= 0 && a[j] > v) { a[j + 1] = a[j]; j--; }
    a[j + 1] = v;
  }
  uint32_t s = a[0] ^ a[n / 2] ^ a[n - 1];
  free(a);
  return s;
}

static double float_loop(int n) {
  double s = 0, x = 0.5;
  for (int i = 1; i <= n; i++) { x = x * 1.0000001 + 1.0 / i; s += x / (1.0 + x * x); }
  return s;
}

int main(int argc, char **argv) {
  int k = argc > 1 ? atoi(argv[1]) : 1;
  const char *only = argc > 2 ? argv[2] : "";
  int all = !*only;
  uint64_t acc = 0;
  double f = 0;
  for (int r = 0; r < k; r++) {
    if (all || !strcmp(only, "sieve")) acc += sieve(2000000);
    if (all || !strcmp(only, "hash")) acc ^= hash_loop(3000000);
    if (all || !strcmp(only, "sort")) acc += sort_pass(3000);
    if (all || !strcmp(only, "float")) f += float_loop(2000000);
  }
  printf("%llu %.6f\n", (unsigned long long)acc, f);
  return 0;
}
