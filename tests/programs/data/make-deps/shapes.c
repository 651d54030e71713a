#include <math.h>
#include "shapes.h"

double rect_area(struct rect r) { return r.w * r.h; }
double circle_area(double radius) { return M_PI * radius * radius; }
