// bench/game/spectral.c — spectral-norm (written for this project): the largest
// singular value of the infinite matrix a(i,j) = 1/((i+j)(i+j+1)/2 + i + 1), by ten
// power iterations of A^T A on an n-vector.  Usage: spectral N
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static double a(int i, int j) { return 1.0 / ((i + j) * (i + j + 1) / 2 + i + 1); }

static void mul_av(int n, const double* v, double* out) {
  for (int i = 0; i < n; i++) {
    double s = 0;
    for (int j = 0; j < n; j++) s += a(i, j) * v[j];
    out[i] = s;
  }
}

static void mul_atv(int n, const double* v, double* out) {
  for (int i = 0; i < n; i++) {
    double s = 0;
    for (int j = 0; j < n; j++) s += a(j, i) * v[j];
    out[i] = s;
  }
}

int main(int argc, char** argv) {
  const int n = argc > 1 ? atoi(argv[1]) : 100;
  double* u = malloc(n * sizeof *u);
  double* v = malloc(n * sizeof *v);
  double* t = malloc(n * sizeof *t);
  for (int i = 0; i < n; i++) u[i] = 1;
  for (int k = 0; k < 10; k++) {
    mul_av(n, u, t); mul_atv(n, t, v);
    mul_av(n, v, t); mul_atv(n, t, u);
  }
  double uv = 0, vv = 0;
  for (int i = 0; i < n; i++) { uv += u[i] * v[i]; vv += v[i] * v[i]; }
  printf("%.9f\n", sqrt(uv / vv));
  free(u); free(v); free(t);
  return 0;
}
