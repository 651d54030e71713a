// SSE2 intrinsics: integer SIMD (add/sub/mul/saturate/compare/shift/shuffle/unpack/pack/
// movemask/sad/min/max/avg), double and float SIMD, conversions, scalar ops, mxcsr.
#include <emmintrin.h>
#include <stdint.h>
#include <stdio.h>

static void show(const char* name, __m128i v) {
  uint32_t x[4];
  _mm_storeu_si128((__m128i*)x, v);
  printf("%-12s %08x %08x %08x %08x\n", name, x[3], x[2], x[1], x[0]);
}
static void showpd(const char* name, __m128d v) {
  double x[2];
  _mm_storeu_pd(x, v);
  printf("%-12s %a %a\n", name, x[1], x[0]);
}
static void showps(const char* name, __m128 v) {
  float x[4];
  _mm_storeu_ps(x, v);
  printf("%-12s %a %a %a %a\n", name, (double)x[3], (double)x[2], (double)x[1], (double)x[0]);
}

int main(void) {
  static const uint8_t bytes[48] = {0, 1, 2, 3, 0x7f, 0x80, 0x81, 0xfe, 0xff, 9, 10, 11, 12, 200, 100, 50,
                                    255, 0, 128, 127, 1, 2, 254, 253, 3, 4, 5, 6, 7, 8, 9, 10,
                                    0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0};
  __m128i a = _mm_loadu_si128((const __m128i*)bytes);
  __m128i b = _mm_loadu_si128((const __m128i*)(bytes + 16));
  __m128i c = _mm_loadu_si128((const __m128i*)(bytes + 7));  // unaligned
  show("a", a); show("b", b); show("c", c);
  show("add8", _mm_add_epi8(a, b)); show("adds8", _mm_adds_epi8(a, b)); show("addsu8", _mm_adds_epu8(a, b));
  show("sub16", _mm_sub_epi16(a, b)); show("subs16", _mm_subs_epi16(a, b)); show("subsu16", _mm_subs_epu16(a, b));
  show("add32", _mm_add_epi32(a, c)); show("add64", _mm_add_epi64(a, c)); show("sub64", _mm_sub_epi64(a, b));
  show("mullo16", _mm_mullo_epi16(a, b)); show("mulhi16", _mm_mulhi_epi16(a, b)); show("mulhiu16", _mm_mulhi_epu16(a, b));
  show("mulu32", _mm_mul_epu32(a, b)); show("madd16", _mm_madd_epi16(a, b)); show("sad", _mm_sad_epu8(a, b));
  show("avg8", _mm_avg_epu8(a, b)); show("avg16", _mm_avg_epu16(a, b));
  show("min8u", _mm_min_epu8(a, b)); show("max8u", _mm_max_epu8(a, b)); show("min16", _mm_min_epi16(a, b)); show("max16", _mm_max_epi16(a, b));
  show("cmpeq8", _mm_cmpeq_epi8(a, c)); show("cmpgt8", _mm_cmpgt_epi8(a, b)); show("cmpgt16", _mm_cmpgt_epi16(a, b));
  show("cmpeq32", _mm_cmpeq_epi32(a, a)); show("cmpgt32", _mm_cmpgt_epi32(b, a));
  show("and", _mm_and_si128(a, b)); show("andnot", _mm_andnot_si128(a, b)); show("or", _mm_or_si128(a, b)); show("xor", _mm_xor_si128(a, b));
  show("sll16", _mm_slli_epi16(a, 3)); show("srl32", _mm_srli_epi32(a, 7)); show("sra16", _mm_srai_epi16(a, 4));
  show("sra32", _mm_srai_epi32(b, 31)); show("sll64", _mm_slli_epi64(a, 33)); show("srl64", _mm_srli_epi64(b, 1));
  show("sllv16", _mm_sll_epi16(a, _mm_cvtsi32_si128(5))); show("srlv64", _mm_srl_epi64(a, _mm_cvtsi32_si128(65)));
  show("bsll", _mm_slli_si128(a, 5)); show("bsrl", _mm_srli_si128(a, 11));
  show("shuf32", _mm_shuffle_epi32(a, 0x1b)); show("shufhi", _mm_shufflehi_epi16(a, 0x4e)); show("shuflo", _mm_shufflelo_epi16(a, 0xb1));
  show("unpklo8", _mm_unpacklo_epi8(a, b)); show("unpkhi8", _mm_unpackhi_epi8(a, b)); show("unpklo16", _mm_unpacklo_epi16(a, b));
  show("unpkhi32", _mm_unpackhi_epi32(a, b)); show("unpklo64", _mm_unpacklo_epi64(a, b)); show("unpkhi64", _mm_unpackhi_epi64(a, b));
  show("packs16", _mm_packs_epi16(a, b)); show("packus16", _mm_packus_epi16(a, b)); show("packs32", _mm_packs_epi32(a, b));
  printf("movemask %04x %04x\n", _mm_movemask_epi8(a), _mm_movemask_epi8(b));
  printf("extract %d %d insert ", _mm_extract_epi16(a, 3), _mm_extract_epi16(b, 7));
  show("", _mm_insert_epi16(a, 0xbeef, 5));
  printf("cvtsi128 %d %lld\n", _mm_cvtsi128_si32(b), (long long)_mm_cvtsi128_si64(a));
  show("movq", _mm_move_epi64(a));

  __m128d x = _mm_set_pd(1.5, -2.25), y = _mm_set_pd(1e300, 3.0), z = _mm_set_pd(-0.0, 0.1);
  showpd("addpd", _mm_add_pd(x, y)); showpd("subpd", _mm_sub_pd(x, z)); showpd("mulpd", _mm_mul_pd(x, y));
  showpd("mulpd ovf", _mm_mul_pd(y, y)); showpd("divpd", _mm_div_pd(x, y)); showpd("sqrtpd", _mm_sqrt_pd(_mm_set_pd(2.0, 1e-310)));
  showpd("minpd", _mm_min_pd(x, z)); showpd("maxpd", _mm_max_pd(x, z)); showpd("andpd", _mm_and_pd(x, z));
  showpd("xorpd", _mm_xor_pd(x, z)); showpd("unpcklpd", _mm_unpacklo_pd(x, y)); showpd("shufpd", _mm_shuffle_pd(x, y, 1));
  showpd("addsd", _mm_add_sd(x, y)); showpd("sqrtsd", _mm_sqrt_sd(x, _mm_set_sd(9.0)));
  show("cmpltpd", _mm_castpd_si128(_mm_cmplt_pd(x, z))); show("cmpunord", _mm_castpd_si128(_mm_cmpunord_pd(x, _mm_div_pd(z, _mm_setzero_pd()))));
  printf("comisd %d %d %d ucomisd %d\n", _mm_comilt_sd(x, y), _mm_comieq_sd(x, x), _mm_comigt_sd(y, x), _mm_ucomineq_sd(x, z));
  show("cvttpd2dq", _mm_cvttpd_epi32(_mm_set_pd(-3.7, 2.5))); show("cvtpd2dq", _mm_cvtpd_epi32(_mm_set_pd(-3.5, 2.5)));
  showpd("cvtdq2pd", _mm_cvtepi32_pd(a)); showps("cvtdq2ps", _mm_cvtepi32_ps(a)); show("cvtps2dq", _mm_cvtps_epi32(_mm_set_ps(1.5, 2.5, -0.5, 1e10f)));
  showpd("cvtps2pd", _mm_cvtps_pd(_mm_set_ps(1, 2, 3.25f, -0.1f))); showps("cvtpd2ps", _mm_cvtpd_ps(_mm_set_pd(1e-50, 3.14159)));
  printf("cvtsd2si %d %lld cvttsd2si %d %lld\n", _mm_cvtsd_si32(_mm_set_sd(2.5)), (long long)_mm_cvtsd_si64(_mm_set_sd(-1e19)),
         _mm_cvttsd_si32(_mm_set_sd(-7.9)), (long long)_mm_cvttsd_si64(_mm_set_sd(1e18)));
  __m128 p = _mm_set_ps(1.f, -2.f, 3.5f, 1e-40f), q = _mm_set_ps(0.5f, 4.f, -1.f, 2.f);
  showps("addps", _mm_add_ps(p, q)); showps("mulps", _mm_mul_ps(p, q)); showps("divps", _mm_div_ps(p, q));
  showps("sqrtps", _mm_sqrt_ps(q)); showps("minps", _mm_min_ps(p, q)); showps("shufps", _mm_shuffle_ps(p, q, 0x8d));
  showps("unpckhps", _mm_unpackhi_ps(p, q)); showps("movhlps", _mm_movehl_ps(p, q)); showps("movlhps", _mm_movelh_ps(p, q));
  printf("movmskps %x movmskpd %x\n", _mm_movemask_ps(p), _mm_movemask_pd(x));
  // rounding mode via mxcsr
  // (volatile inputs: the compiler must not fold these under the default rounding mode)
  static volatile double h = 2.5, one = 1.0, three = 3.0;
  unsigned old = _mm_getcsr();
  for (int rc = 0; rc < 4; rc++) {
    _mm_setcsr((old & ~0x6000u) | (rc << 13));
    printf("rc %d: %d %d %a\n", rc, _mm_cvtsd_si32(_mm_set_sd(h)), _mm_cvtsd_si32(_mm_set_sd(-h)),
           _mm_cvtsd_f64(_mm_div_sd(_mm_set_sd(one), _mm_set_sd(three))));
  }
  _mm_setcsr(old);
  printf("mxcsr %08x\n", _mm_getcsr() & ~0x3fu);
  return 0;
}
