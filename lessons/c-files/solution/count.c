#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: count FILE\n");
        return 2;
    }
    int fd = open(argv[1], O_RDONLY);
    if (fd < 0) {
        fprintf(stderr, "count: %s: %s\n", argv[1], strerror(errno));
        return 1;
    }
    long total = 0;
    char buf[4096];
    for (;;) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n < 0) {
            fprintf(stderr, "count: %s: %s\n", argv[1], strerror(errno));
            close(fd);
            return 1;
        }
        if (n == 0) break;
        total += n;
    }
    close(fd);
    printf("%ld\n", total);
    return 0;
}
