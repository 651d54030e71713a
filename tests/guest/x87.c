// x87 long double: arithmetic, comparisons, conversions (fild/fistp/fld/fstp), libm's
// x87 paths (sqrtl, floorl, fmodl, sinl, expl, logl, atan2l, powl), rounding control.
// Printed at %.10Lg: the engine computes x87 in double precision (DESIGN.md), so values
// are compared at the precision a double carries.
#include <fenv.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>

static volatile long double v[] = {0.0L, -0.0L, 1.0L, -1.0L, 0.5L, 3.0L, -7.25L, 0.1L, 1e10L, 123456.789L,
                                   1e-5L, 2.718281828459045L, 1e30L, -1e-30L, 4096.0L};  // products stay inside the double range
// Values that are exactly doubles. The engine computes x87 in double (DESIGN.md), so
// fmodl, which turns a last-bit difference of 80-bit operands into a different remainder,
// is only compared on exact operands.
static const int exact[] = {1, 1, 1, 1, 1, 1, 1, 0, 1, 0, 0, 0, 0, 0, 1};

int main(void) {
  const int n = sizeof v / sizeof v[0];
  for (int i = 0; i < n; i++) {
    long double x = v[i];
    printf("%.10Lg: sqrt %.10Lg abs %.10Lg floor %.10Lg ceil %.10Lg round %.10Lg trunc %.10Lg rint %.10Lg", x, sqrtl(fabsl(x)),
           fabsl(x), floorl(x), ceill(x), roundl(x), truncl(x), rintl(x));
    printf(" ll %lld d %.17g f %.9g\n", (fabsl(x) < 1e15L) ? (long long)x : 0LL, (double)x, (double)(float)x);
    for (int j = 0; j < n; j += 2) {
      long double y = v[j];
      printf("  %.10Lg %.10Lg %.10Lg %.10Lg %d%d%d%d", x + y, x - y, x * y, y != 0 ? x / y : 0.0L, x < y, x <= y, x == y, x > y);
      printf(" fmod %.10Lg\n", (exact[i] && exact[j] && y != 0 && fabsl(x / y) < 1e15L) ? fmodl(x, y) : 0.0L);
    }
  }
  printf("sin %.10Lg cos %.10Lg tan %.10Lg atan2 %.10Lg\n", sinl(0.5L), cosl(0.5L), tanl(1.0L), atan2l(1.0L, -2.0L));
  printf("exp %.10Lg log %.10Lg log2 %.10Lg log10 %.10Lg pow %.10Lg exp2 %.10Lg\n", expl(1.5L), logl(10.0L), log2l(3.0L),
         log10l(2.0L), powl(1.5L, 2.5L), exp2l(0.3L));
  // integer <-> x87 conversions (fild/fistp) at sizes 16/32/64
  volatile int16_t s16 = -12345;
  volatile int32_t s32 = 2000000001;
  volatile int64_t s64 = -4503599627370495LL;
  long double a = s16, b = s32, c = s64;
  printf("fild %.10Lg %.10Lg %.16Lg fistp %d %d %lld\n", a, b, c, (int16_t)(a * 2), (int32_t)(b / 3), (long long)(c / 5));
  // rounding control (fldcw) through lrintl under the four modes
  const int modes[4] = {FE_TONEAREST, FE_DOWNWARD, FE_UPWARD, FE_TOWARDZERO};
  for (int m = 0; m < 4; m++) {
    fesetround(modes[m]);
    printf("mode %d: %ld %ld %ld %ld\n", m, lrintl(2.5L), lrintl(-2.5L), lrintl(3.7L), lrintl(-3.7L));
  }
  fesetround(FE_TONEAREST);
  // a small x87 loop: harmonic sum
  long double h = 0;
  for (int k = 1; k <= 10000; k++) h += 1.0L / k;
  printf("harmonic %.10Lg\n", h);
  return 0;
}
