#include "shapes.h"
#include "util.h"

int main(void) {
    struct rect r = {3.0, 4.5};
    print_value("rect", rect_area(r));
    print_value("circle", circle_area(2.0));
    return 0;
}
