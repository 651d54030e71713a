long sum_squares(const long *a, int n) {
    long s = 0;
    for (int i = 0; i < n; i++)
        s += a[i] * a[i];
    return s;
}

int clamp(int x, int lo, int hi) {
    return x < lo ? lo : x > hi ? hi : x;
}
