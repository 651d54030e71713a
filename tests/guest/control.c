// Control flow: dense switch (jump tables), sparse switch, recursion (fib, ackermann,
// mutual recursion), function pointers, computed goto, variadic functions, deep stack.
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int dense(int x) {
  switch (x) {
    case 0: return 11; case 1: return 22; case 2: return 35; case 3: return 47; case 4: return 51;
    case 5: return 68; case 6: return 72; case 7: return 89; case 8: return 93; case 9: return 104;
    case 10: return 7; case 11: return 3; case 12: return -5; case 13: return 1000; case 14: return 42;
    default: return -1;
  }
}
static int sparse(int x) {
  switch (x) {
    case -1000: return 1; case 7: return 2; case 100: return 3; case 1000: return 4; case 65536: return 5;
    case 123456: return 6; case -5: return 7; default: return 0;
  }
}
static long fib(int n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }
static int ack(int m, int n) { return m == 0 ? n + 1 : n == 0 ? ack(m - 1, 1) : ack(m - 1, ack(m, n - 1)); }
static int is_odd(unsigned n);
static int is_even(unsigned n) { return n == 0 ? 1 : is_odd(n - 1); }
static int is_odd(unsigned n) { return n == 0 ? 0 : is_even(n - 1); }
static int deep(int n) { volatile char buf[256]; buf[n & 255] = (char)n; return n == 0 ? 0 : deep(n - 1) + buf[n & 255] % 3; }

static int op_add(int a, int b) { return (int)((unsigned)a + (unsigned)b); }
static int op_sub(int a, int b) { return (int)((unsigned)a - (unsigned)b); }
static int op_mul(int a, int b) { return (int)((unsigned)a * (unsigned)b); }
static int op_xor(int a, int b) { return a ^ b; }
static int (*const ops[])(int, int) = {op_add, op_sub, op_mul, op_xor};

static long sum(int n, ...) {
  va_list ap;
  va_start(ap, n);
  long s = 0;
  for (int i = 0; i < n; i++) s += (i & 1) ? (long)va_arg(ap, double) : va_arg(ap, int);
  va_end(ap);
  return s;
}

static int interp(const char* prog) {
  static void* labels[] = {&&l_inc, &&l_dec, &&l_dbl, &&l_end};
  int acc = 0;
  const char* pc = prog;
#define NEXT goto* labels[(*pc++) - '0']
  NEXT;
l_inc: acc++; NEXT;
l_dec: acc--; NEXT;
l_dbl: acc *= 2; NEXT;
l_end: return acc;
}

int main(void) {
  unsigned long t = 0;
  for (int i = -3; i < 20; i++) t = t * 7 + (unsigned long)dense(i);
  printf("dense %lu\n", t);
  t = 0;
  int keys[] = {-1000, 7, 100, 1000, 65536, 123456, -5, 0, 8, 99999};
  for (unsigned i = 0; i < sizeof keys / sizeof keys[0]; i++) t = t * 10 + sparse(keys[i]);
  printf("sparse %lu\n", t);
  printf("fib(25) %ld ack(2,300) %d ack(3,5) %d\n", fib(25), ack(2, 300), ack(3, 5));
  printf("even(10001) %d odd(7777) %d deep %d\n", is_even(10001), is_odd(7777), deep(20000));
  int acc = 1;
  for (int i = 0; i < 40; i++) acc = ops[i % 4](acc, i + 3);
  printf("fnptr %d\n", acc);
  printf("varargs %ld\n", sum(8, 1, 2.5, 3, 4.75, 5, 6.0, 7, -8.9));
  printf("goto %d\n", interp("0020212003"));
  char s[64];
  int len = snprintf(s, sizeof s, "%d-%s-%c-%5.2f", 42, "str", 'z', 3.14159);
  printf("%s (%d) %zu\n", s, len, strlen(s));
  return 42;
}
