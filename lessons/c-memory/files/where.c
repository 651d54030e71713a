#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int global = 42;

/* Writes into `out` the name of the mapping that holds `addr`, as /proc/self/maps says
   ([stack], [heap], a file's path), or "?" when no mapping holds it. */
static void region(const void *addr, char *out, size_t size) {
    /* TODO: read /proc/self/maps line by line and find the line whose range holds addr */
    snprintf(out, size, "?");
}

static void show(const char *what, const void *addr) {
    char name[512];
    region(addr, name, sizeof name);
    printf("%s: %s\n", what, name);
}

int main(void) {
    int local = 7;
    int *heap = malloc(sizeof *heap);
    show("global", &global);
    show("local", &local);
    show("heap", heap);
    show("function", (const void *)&main);
    free(heap);
    return 0;
}
