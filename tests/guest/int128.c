// 128-bit multiply, divide and modulo (__int128: mul/imul, libgcc __divti3/__udivti3/
// __modti3), shifts and conversions, printed in decimal by hand.
#include <stdint.h>
#include <stdio.h>

typedef unsigned __int128 u128;
typedef __int128 s128;

static void put_u128(u128 v) {
  char buf[64];
  int n = 0;
  do { buf[n++] = (char)('0' + (int)(v % 10)); v /= 10; } while (v);
  while (n) putchar(buf[--n]);
}
static void put_s128(s128 v) {
  if (v < 0) { putchar('-'); put_u128((u128)0 - (u128)v); }
  else put_u128((u128)v);
}

static volatile uint64_t vals[] = {0, 1, 2, 3, 10, 0xffffffffull, 0x100000000ull, 0x7fffffffffffffffull,
                                   0x8000000000000000ull, 0xffffffffffffffffull, 1000000007ull, 0x123456789abcdef0ull};

int main(void) {
  const int n = sizeof vals / sizeof vals[0];
  u128 acc = 0;
  for (int i = 0; i < n; i++)
    for (int j = 0; j < n; j++) {
      u128 a = ((u128)vals[i] << 64) | vals[j];
      u128 b = (u128)vals[j] * vals[(i + j) % n] + 1;
      s128 sa = (s128)a, sb = (s128)((u128)vals[(i * 7 + j) % n] - 5);
      u128 p = a * b;
      u128 q = b ? a / b : 0, r = b ? a % b : 0;
      s128 sq = sb ? sa / sb : 0, sr = sb ? sa % sb : 0;
      acc = acc * 1000003 + (p ^ q ^ (r << 3) ^ (u128)sq ^ ((u128)sr << 7));
      if (j == i || j == 0) {
        put_u128(a); printf(" * "); put_u128(b); printf(" = "); put_u128(p);
        printf("; / = "); put_u128(q); printf(" %% "); put_u128(r);
        printf("; signed "); put_s128(sa); printf(" / "); put_s128(sb); printf(" = "); put_s128(sq);
        printf(" rem "); put_s128(sr); printf("\n");
      }
    }
  printf("acc "); put_u128(acc); printf("\n");
  // 64x64->128 multiply high parts (mul / imul one-operand forms)
  uint64_t hi = 0;
  int64_t shi = 0;
  for (int i = 0; i < n; i++)
    for (int j = 0; j < n; j++) {
      hi += (uint64_t)(((u128)vals[i] * vals[j]) >> 64);
      shi += (int64_t)(((s128)(int64_t)vals[i] * (int64_t)vals[j]) >> 64);
    }
  printf("mulhi %llu %lld\n", (unsigned long long)hi, (long long)shi);
  // conversions
  double d = (double)(((u128)1 << 100) + 12345);
  u128 back = (u128)1e30;
  printf("conv %a ", d); put_u128(back); printf(" %a\n", (double)(s128)-123456789012345678ll * 1e10);
  return 0;
}
