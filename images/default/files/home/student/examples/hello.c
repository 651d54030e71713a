#include <stdio.h>

int main(void)
{
    printf("Hello from C on x86-64!\n");
    return 0;
}
