#include <stdio.h>

int main(void) {
    /* TODO: print "direct" and a newline WITHOUT the C library's printf:
       call the write system call yourself (man 2 write). */
    printf("direct\n");
    return 0;
}
