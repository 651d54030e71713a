#ifndef SHAPES_H
#define SHAPES_H
struct rect { double w, h; };
double rect_area(struct rect r);
double circle_area(double radius);
#endif
