#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

/* count FILE: prints the number of bytes in FILE. */
int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: count FILE\n");
        return 2;
    }
    long total = 0;
    /* TODO: open argv[1], read it to the end, add up the bytes, close it. */
    printf("%ld\n", total);
    return 0;
}
