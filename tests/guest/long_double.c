// long double (x87, 80-bit): printed at full precision, so every bit of the engine's
// extended precision arithmetic must match the hardware's: 25!, 1/3, sqrtl, libm's x87
// paths (expl logl sinl cosl tanl atanl powl), a summation loop, rounding modes, and
// strtold / printf %La round trips (denormal, largest, pi).
#include <fenv.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static volatile long double xs[] = {0.5L, 1.0L, 2.0L, 10.0L, -3.25L, 100.0L, 1e-5L, 0.1L, 1e300L, 7.0L};

int main(void) {
  long double f = 1;
  for (int i = 1; i <= 25; i++) f *= i;
  printf("25! = %.0Lf\n", f);
  volatile long double three = 3;
  printf("1/3 = %.20Lf\n", 1.0L / three);
  printf("sqrtl(2) = %.18Lf\n", sqrtl(2.0L));
  for (int i = 0; i < (int)(sizeof xs / sizeof xs[0]); i++) {
    const long double x = xs[i];
    printf("%La: exp %.21Lg log %.21Lg sin %.21Lg cos %.21Lg tan %.21Lg atan %.21Lg pow %.21Lg\n", x, expl(x),
           logl(fabsl(x)), sinl(x), cosl(x), tanl(x), atanl(x), powl(fabsl(x), 1.0L / 3));
  }
  long double s = 0;
  for (int i = 1; i <= 100000; i++) s += 1.0L / ((long double)i * i);
  printf("sum 1/i^2 = %.21Lg %La\n", s, s);
  const int modes[] = {FE_TONEAREST, FE_DOWNWARD, FE_UPWARD, FE_TOWARDZERO};
  for (int m = 0; m < 4; m++) {
    fesetround(modes[m]);
    volatile long double a = 2, b = 3;
    printf("mode %d: 2/3 %La sqrt2 %La -1/3 %La\n", m, a / b, sqrtl(a), -1 / b);
  }
  fesetround(FE_TONEAREST);
  const char* t[] = {"0.1", "1e-4940", "1.18973149535723176502e+4932", "3.14159265358979323846264338327950288",
                     "0x1.fffffffffffffffep+16383", "4.9e-4951", "-2.5e-310"};
  for (int i = 0; i < (int)(sizeof t / sizeof t[0]); i++) {
    const long double v = strtold(t[i], 0);
    char b[64];
    snprintf(b, sizeof b, "%La", v);
    printf("%s -> %La %.25Lg round trip %d\n", t[i], v, v, strtold(b, 0) == v);
  }
  return 0;
}
