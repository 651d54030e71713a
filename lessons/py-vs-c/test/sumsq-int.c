#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
    int n = argc > 1 ? atoi(argv[1]) : 0;
    long total = 0;
    for (int i = 0; i < n; i++)
        total += i * i;
    printf("%ld\n", total);
    return 0;
}
