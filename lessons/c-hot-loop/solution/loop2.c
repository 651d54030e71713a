#include <stdio.h>
#include <stdlib.h>

static long sumsq(long n) {
    long s = 0;
    for (long i = 0; i < n; i++)
        s = (s + i * i) % 1000003;
    return s;
}

int main(int argc, char **argv) {
    long n = argc > 1 ? atol(argv[1]) : 1000000;
    printf("%ld\n", sumsq(n));
    return 0;
}
