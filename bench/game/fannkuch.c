// bench/game/fannkuch.c — fannkuch-redux (written for this project): over every
// permutation of 1..n (in the order of the counting method), flip the prefix given by the
// first element until it is 1; print a checksum of the flip counts and the maximum.
// Usage: fannkuch N
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char** argv) {
  const int n = argc > 1 ? atoi(argv[1]) : 8;
  int perm[16], work[16], count[16] = {0};
  for (int i = 0; i < n; i++) perm[i] = i;
  int maxflips = 0, checksum = 0, index = 0;
  for (;;) {
    for (int i = 0; i < n; i++) work[i] = perm[i];
    int flips = 0;
    for (int k = work[0]; k != 0; k = work[0]) {
      for (int a = 0, b = k; a < b; a++, b--) { const int t = work[a]; work[a] = work[b]; work[b] = t; }
      flips++;
    }
    if (flips > maxflips) maxflips = flips;
    checksum += (index & 1) ? -flips : flips;
    index++;
    // next permutation: rotate the first i+1 elements left, carrying like an odometer
    int i = 1;
    for (; i < n; i++) {
      const int first = perm[0];
      for (int j = 0; j < i; j++) perm[j] = perm[j + 1];
      perm[i] = first;
      if (++count[i] <= i) break;
      count[i] = 0;
    }
    if (i >= n) break;
  }
  printf("%d\nPfannkuchen(%d) = %d\n", checksum, n, maxflips);
  return 0;
}
