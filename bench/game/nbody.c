// bench/game/nbody.c — a Benchmarks-Game style n-body simulation (written for this
// project): five bodies, symplectic Euler steps, energy printed before and after.
// Usage: nbody STEPS
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#define N 5
static const double kPi = 3.141592653589793, kYear = 365.24;
static double px[N], py[N], pz[N], vx[N], vy[N], vz[N], mass[N];

static void init(void) {
  static const double d[N][7] = {
      {0, 0, 0, 0, 0, 0, 1},
      {4.84143144246472090e+00, -1.16032004402742839e+00, -1.03622044471123109e-01, 1.66007664274403694e-03,
       7.69901118419740425e-03, -6.90460016972063023e-05, 9.54791938424326609e-04},
      {8.34336671824457987e+00, 4.12479856412430479e+00, -4.03523417114321381e-01, -2.76742510726862411e-03,
       4.99852801234917238e-03, 2.30417297573763929e-05, 2.85885980666130812e-04},
      {1.28943695621391310e+01, -1.51111514016986312e+01, -2.23307578892655734e-01, 2.96460137564761618e-03,
       2.37847173959480950e-03, -2.96589568540237556e-05, 4.36624404335156298e-05},
      {1.53796971148509165e+01, -2.59193146099879641e+01, 1.79258772950371181e-01, 2.68067772490389322e-03,
       1.62824170038242295e-03, -9.51592254519715870e-05, 5.15138902046611451e-05}};
  const double sm = 4 * kPi * kPi;
  double ox = 0, oy = 0, oz = 0;
  for (int i = 0; i < N; i++) {
    px[i] = d[i][0]; py[i] = d[i][1]; pz[i] = d[i][2];
    vx[i] = d[i][3] * kYear; vy[i] = d[i][4] * kYear; vz[i] = d[i][5] * kYear;
    mass[i] = d[i][6] * sm;
    ox += vx[i] * mass[i]; oy += vy[i] * mass[i]; oz += vz[i] * mass[i];
  }
  vx[0] = -ox / sm; vy[0] = -oy / sm; vz[0] = -oz / sm;
}

static double energy(void) {
  double e = 0;
  for (int i = 0; i < N; i++) {
    e += 0.5 * mass[i] * (vx[i] * vx[i] + vy[i] * vy[i] + vz[i] * vz[i]);
    for (int j = i + 1; j < N; j++) {
      const double dx = px[i] - px[j], dy = py[i] - py[j], dz = pz[i] - pz[j];
      e -= mass[i] * mass[j] / sqrt(dx * dx + dy * dy + dz * dz);
    }
  }
  return e;
}

static void step(double dt) {
  for (int i = 0; i < N; i++)
    for (int j = i + 1; j < N; j++) {
      const double dx = px[i] - px[j], dy = py[i] - py[j], dz = pz[i] - pz[j];
      const double r2 = dx * dx + dy * dy + dz * dz;
      const double mag = dt / (r2 * sqrt(r2));
      vx[i] -= dx * mass[j] * mag; vy[i] -= dy * mass[j] * mag; vz[i] -= dz * mass[j] * mag;
      vx[j] += dx * mass[i] * mag; vy[j] += dy * mass[i] * mag; vz[j] += dz * mass[i] * mag;
    }
  for (int i = 0; i < N; i++) { px[i] += dt * vx[i]; py[i] += dt * vy[i]; pz[i] += dt * vz[i]; }
}

int main(int argc, char** argv) {
  const int n = argc > 1 ? atoi(argv[1]) : 1000;
  init();
  printf("%.9f\n", energy());
  for (int i = 0; i < n; i++) step(0.01);
  printf("%.9f\n", energy());
  return 0;
}
