#include <stdio.h>
#include "ops.h"

int main(void) {
    printf("2 + 3 = %d\n", add(2, 3));
    return 0;
}
