#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
    int n = argc > 1 ? atoi(argv[1]) : 1000000;
    int s = 0;
    for (int i = 0; i < n; i++)
        s = (s + i * i) % 1000003;
    printf("%d\n", s);
    return 0;
}
