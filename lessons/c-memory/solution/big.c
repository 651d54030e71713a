#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(void) {
    char *p = malloc(4 << 20);
    if (!p) return 1;
    memset(p, 1, 4 << 20);
    free(p);
    printf("ok\n");
    return 0;
}
