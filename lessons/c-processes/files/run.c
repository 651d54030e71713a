#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

/* run CMD [ARGS...]: runs the command, waits for it, prints how it ended. */
int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: run CMD [ARGS...]\n");
        return 2;
    }
    /* TODO: fork; in the child exec argv[1] with its arguments;
       in the parent wait for the child and print "exit status N". */
    return 0;
}
