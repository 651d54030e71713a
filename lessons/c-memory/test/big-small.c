#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(void) {
    char *p = malloc(4 << 10);
    memset(p, 1, 4 << 10);
    free(p);
    printf("ok\n");
    return 0;
}
