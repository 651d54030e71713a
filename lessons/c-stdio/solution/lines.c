#include <stdio.h>

int main(void) {
    const char *words[] = {"one", "two", "three"};
    setvbuf(stdout, NULL, _IOLBF, 0);
    for (int i = 0; i < 3; i++)
        printf("%s\n", words[i]);
    return 0;
}
