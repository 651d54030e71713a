#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
    long n = argc > 1 ? atol(argv[1]) : 1000000;
    long s = 0;
    for (long i = 0; i < n; i++)
        s = (s + i * i) % 1000003;
    printf("%ld\n", s);
    return 0;
}
