#include <stdio.h>
#include <stdlib.h>

/* sumsq N: prints 0*0 + 1*1 + ... + (N-1)*(N-1) */
int main(int argc, char **argv) {
    /* TODO */
    return 0;
}
