#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
    long long n = argc > 1 ? atoll(argv[1]) : 0;
    long long total = 0;
    for (long long i = 0; i < n; i++)
        total += i * i;
    printf("%lld\n", total);
    return 0;
}
