#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int global = 42;

static void region(const void *addr, char *out, size_t size) {
    snprintf(out, size, "?");
    FILE *f = fopen("/proc/self/maps", "r");
    if (!f) return;
    char line[1024];
    unsigned long a = (unsigned long)addr;
    while (fgets(line, sizeof line, f)) {
        unsigned long start, end;
        if (sscanf(line, "%lx-%lx", &start, &end) != 2 || a < start || a >= end) continue;
        line[strcspn(line, "\n")] = 0;
        const char *name = strrchr(line, ' ') + 1;
        snprintf(out, size, "%s", *name ? name : "(anonymous)");
        break;
    }
    fclose(f);
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
