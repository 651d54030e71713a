// qsort and bsearch over ints, doubles, strings and structs (stable tie-break by index).
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint32_t seed = 12345;
static uint32_t rnd(void) { seed = seed * 1103515245u + 12345u; return seed >> 8; }

static int cmp_int(const void* a, const void* b) { int x = *(const int*)a, y = *(const int*)b; return (x > y) - (x < y); }
static int cmp_dbl(const void* a, const void* b) { double x = *(const double*)a, y = *(const double*)b; return (x > y) - (x < y); }
static int cmp_str(const void* a, const void* b) { return strcmp(*(char* const*)a, *(char* const*)b); }
struct rec { int key; int idx; char name[12]; };
static int cmp_rec(const void* a, const void* b) {
  const struct rec *x = a, *y = b;
  if (x->key != y->key) return x->key < y->key ? -1 : 1;
  return x->idx - y->idx;
}

int main(void) {
  for (int n = 0; n <= 5000; n = n ? n * 3 : 1) {
    int* v = malloc(sizeof(int) * (n + 1));
    for (int i = 0; i < n; i++) v[i] = (int)(rnd() % 1000) - 500;
    qsort(v, n, sizeof(int), cmp_int);
    long long sum = 0;
    int sorted = 1;
    for (int i = 0; i < n; i++) { sum += (long long)v[i] * (i + 1); if (i && v[i - 1] > v[i]) sorted = 0; }
    int key = 17, found = 0;
    for (key = -500; key < 500; key += 37) found += bsearch(&key, v, n, sizeof(int), cmp_int) != NULL;
    printf("ints n=%d sorted=%d weighted=%lld found=%d\n", n, sorted, sum, found);
    free(v);
  }
  double d[1000];
  for (int i = 0; i < 1000; i++) d[i] = (double)rnd() / 7.0 - 1e5;
  qsort(d, 1000, sizeof(double), cmp_dbl);
  printf("doubles %.6f %.6f %.6f\n", d[0], d[500], d[999]);
  char* words[300];
  for (int i = 0; i < 300; i++) {
    words[i] = malloc(16);
    int len = 1 + rnd() % 10;
    for (int k = 0; k < len; k++) words[i][k] = 'a' + rnd() % 26;
    words[i][len] = 0;
  }
  qsort(words, 300, sizeof(char*), cmp_str);
  for (int i = 0; i < 300; i += 30) printf("%s ", words[i]);
  printf("\n");
  struct rec r[2000];
  for (int i = 0; i < 2000; i++) { r[i].key = rnd() % 50; r[i].idx = i; snprintf(r[i].name, sizeof r[i].name, "n%d", i); }
  qsort(r, 2000, sizeof(struct rec), cmp_rec);
  unsigned h = 0;
  for (int i = 0; i < 2000; i++) h = h * 31 + (unsigned)r[i].idx;
  printf("records first %s last %s hash %u\n", r[0].name, r[1999].name, h);
  return 0;
}
