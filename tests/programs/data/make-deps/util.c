#include <stdio.h>
#include "util.h"

void print_value(const char *name, double v) { printf("%-8s %10.4f\n", name, v); }
