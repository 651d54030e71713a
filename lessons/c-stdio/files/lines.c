#include <stdio.h>

int main(void) {
    const char *words[] = {"one", "two", "three"};
    for (int i = 0; i < 3; i++)
        printf("%s\n", words[i]);
    return 0;
}
