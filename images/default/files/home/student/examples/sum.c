/* Sum the numbers 1..n given on the command line: ./sum 100 */
#include <stdio.h>
#include <stdlib.h>

static long sum_to(long n)
{
    long total = 0;
    for (long i = 1; i <= n; i++)
        total += i;
    return total;
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? strtol(argv[1], NULL, 10) : 10;
    printf("1 + ... + %ld = %ld\n", n, sum_to(n));
    return 0;
}
