#include <stdio.h>

int main(void) {
    /* TODO: print Hello, world! followed by a newline */
    return 0;
}
