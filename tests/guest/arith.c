// Integer and floating arithmetic: wrapping, signed division, shifts, conversions,
// rounding, NaN/inf comparisons. Deterministic output; exits with 7.
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>

static volatile int64_t vs[] = {0, 1, -1, 2, -2, 7, -7, 100, -100, INT32_MAX, INT32_MIN, INT64_MAX, INT64_MIN, 0x123456789abcdefLL};
static volatile double vd[] = {0.0, -0.0, 1.0, -1.5, 2.5, 3.5, -2.5, 1e-310, 1e308, 0.1, 1.0 / 3, 123456789.987654321, 4503599627370497.0};

int main(void) {
  const int n = sizeof vs / sizeof vs[0];
  uint64_t h = 1469598103934665603ull;
  for (int i = 0; i < n; i++)
    for (int j = 0; j < n; j++) {
      int64_t a = vs[i], b = vs[j];
      uint64_t ua = (uint64_t)a, ub = (uint64_t)b;
      int32_t a32 = (int32_t)a, b32 = (int32_t)b;
      uint64_t r[12];
      r[0] = ua + ub;
      r[1] = ua - ub;
      r[2] = ua * ub;
      r[3] = b ? ua / ub : 0;
      r[4] = b ? ua % ub : 0;
      r[5] = (b && !(a == INT64_MIN && b == -1)) ? (uint64_t)(a / b) : 0;
      r[6] = (b && !(a == INT64_MIN && b == -1)) ? (uint64_t)(a % b) : 0;
      r[7] = (b32 && !(a32 == INT32_MIN && b32 == -1)) ? (uint64_t)(int64_t)(a32 / b32) : 0;
      r[8] = ua << (ub & 63);
      r[9] = ua >> (ub & 63);
      r[10] = (uint64_t)(a >> (ub & 63));
      r[11] = (uint64_t)((uint32_t)a32 * (uint32_t)b32) ^ (uint64_t)(a < b) ^ ((uint64_t)(ua < ub) << 1);
      for (int k = 0; k < 12; k++) h = (h ^ r[k]) * 1099511628211ull;
      if (i == j || j == 3) printf("%lld %lld: %llx %llx %llx %llx %llx %lld %lld %lld\n", (long long)a, (long long)b,
                                   (unsigned long long)r[0], (unsigned long long)r[1], (unsigned long long)r[2],
                                   (unsigned long long)r[3], (unsigned long long)r[4], (long long)r[5], (long long)r[6],
                                   (long long)r[7]);
    }
  printf("integer hash %016llx\n", (unsigned long long)h);

  const int m = sizeof vd / sizeof vd[0];
  for (int i = 0; i < m; i++) {
    double x = vd[i];
    printf("%a: floor %a ceil %a round %a trunc %a rint %a lrint %ld sqrt %a (int64)%lld (uint32)%u f %a\n", x, floor(x),
           ceil(x), round(x), trunc(x), rint(x), lrint(x), sqrt(fabs(x)), (long long)x, (unsigned)(x < 0 ? 0 : (x > 4e9 ? 0 : x)),
           (double)(float)x);
    for (int j = 0; j < m; j++) {
      double y = vd[j];
      printf(" %a %a %a %a %a %d%d%d", x + y, x - y, x * y, y != 0 ? x / y : 0.0, fmod(x, y == 0 ? 1 : y), x < y, x == y,
             x >= y);
      float fx = (float)x, fy = (float)y;
      printf(" | %a %a %a", (double)(fx + fy), (double)(fx * fy), (double)(fy != 0 ? fx / fy : 0.f));
      if (j % 3 == 2) printf("\n");
    }
    printf("\n");
  }
  volatile double zero = 0.0;
  double inf = 1.0 / zero, nan = zero / zero;
  printf("inf %f -inf %f nan? %d %d %d %d isnan %d isinf %d\n", inf, -inf, nan == nan, nan < 1, nan > 1, nan != nan,
         isnan(nan), isinf(-inf));
  printf("limits %a %a %a %a\n", DBL_MAX, DBL_MIN, DBL_EPSILON, (double)FLT_MAX);
  // int <-> double conversions at the edges
  volatile int64_t big = INT64_MAX;
  volatile uint64_t ubig = UINT64_MAX;
  printf("conv %a %a %lld %llu\n", (double)big, (double)ubig, (long long)(double)(big - 1023),
         (unsigned long long)(double)(ubig - 4096));
  return 7;
}
