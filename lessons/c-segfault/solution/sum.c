#include <stdio.h>
#include <string.h>

struct list {
    int n;
    int *items;
};

static int sum(const struct list *l) {
    int s = 0;
    for (int i = 0; i < l->n; i++)
        s += l->items[i];
    return s;
}

int main(void) {
    int values[] = {4, 5, 6};
    int storage[3];
    struct list l = {3, storage};
    memcpy(l.items, values, sizeof values);
    printf("%d\n", sum(&l));
    return 0;
}
