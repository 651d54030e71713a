#include <stdio.h>
#include <stdlib.h>

/* loop N: prints (0*0 + 1*1 + ... + (N-1)*(N-1)) mod 1000003 */
int main(int argc, char **argv) {
    long n = argc > 1 ? atol(argv[1]) : 1000000;
    long s = 0;
    /* TODO: the loop */
    printf("%ld\n", s);
    return 0;
}
