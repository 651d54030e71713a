// printf of floats: %f %e %g %a with precisions and flags, float/double/long double,
// denormals, huge values, signed zero, inf and nan; snprintf + strtod round trips.
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static volatile double vals[] = {0.0, -0.0, 1.0, -1.0, 0.5, 0.1, 1.0 / 3, 2.0 / 3, 3.14159265358979323846,
                                 2.718281828459045, 1e-5, 123456.789, 1e15, 1e16, 1e21, 1e22, 1e100, 1.7976931348623157e308,
                                 2.2250738585072014e-308, 4.9406564584124654e-324, 1e-320, 0.125, 1024.0, 9.999999e-5,
                                 99999.95, 0.000123456, 5e-324, 1.5, 2.5, -2.5};

int main(void) {
  const int n = sizeof vals / sizeof vals[0];
  for (int i = 0; i < n; i++) {
    double x = vals[i];
    printf("%f|%.0f|%.3f|%10.2f|%-10.1f|%+f\n", x, x, x, x, x, x);
    printf("%e|%.0e|%.10e|%E|%+.2e\n", x, x, x, x, x);
    printf("%g|%.0g|%.1g|%.10g|%.17g|%#g|%G\n", x, x, x, x, x, x, x);
    printf("%a|%.0a|%.3a|%A\n", x, x, x, x);
    float f = (float)x;
    printf("float %g %.9g %a\n", f, f, f);
    char buf[64];
    snprintf(buf, sizeof buf, "%.17g", x);
    double back = strtod(buf, NULL);
    printf("round trip %s %s\n", buf, memcmp(&back, &x, sizeof x) == 0 ? "ok" : "DIFFERENT");
  }
  volatile double zero = 0.0;
  printf("%f %f %e %g %a\n", 1 / zero, -1 / zero, zero / zero, -(zero / zero), 1 / zero);
  printf("%5.1f|%-8.3e|%08.2f|% f\n", 3.14159, 2.71828, -1.5, 2.0);
  // long double (x87): printed at precisions a double carries (the engine's x87 computes
  // in double precision, DESIGN.md), huge values only where they are exact in double.
  long double ld[] = {1.0L, -2.5L, 0.1L, 1.0L / 3, 12345.678L, 1e-300L, 0x1p+70L};
  for (unsigned i = 0; i < sizeof ld / sizeof ld[0]; i++)
    printf("Lf %Lf %.3Lf %Le %.10Lg\n", ld[i], ld[i], ld[i], ld[i]);
  printf("Le %Le %.12Lg %La\n", 1e300L, 1e300L, 0x1p+1000L);
  // strtod of tricky strings
  const char* s[] = {"0.1", "1e-400", "1e400", "-0", "0x1.8p3", "inf", "nan", "2.2250738585072011e-308",
                     "123456789012345678901234567890", "0.30000000000000004", "  42abc", "1e+", ".5e1"};
  for (unsigned i = 0; i < sizeof s / sizeof s[0]; i++) {
    char* end;
    double v = strtod(s[i], &end);
    printf("strtod(\"%s\") = %a (%.17g) rest \"%s\"\n", s[i], v, v, end);
  }
  printf("strtof %a strtold %.10Lg atof %g\n", (double)strtof("3.4028235e38", NULL), strtold("1.25", NULL), atof("6.02e23"));
  return 0;
}
