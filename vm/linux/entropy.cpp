// vm/linux/entropy.cpp — the host's randomness (entropy.h).
//
// One source for the guest's randomness: natively getentropy(), in wasm the host's
// crypto.getRandomValues (in the node CLI the module-local one of tools/cli/node_crypto.js,
// the host's /dev/urandom: node's own WebCrypto costs 5-8 ms to load at every start).
#include "vm/linux/entropy.h"

#include <time.h>
#include <unistd.h>

#include <cstdint>

#ifdef __EMSCRIPTEN__
#include <emscripten.h>

// clang-format off
// 1 when p..p+n was filled (n <= 65536, crypto.getRandomValues' limit). In the node CLI
// `crypto` is tools/cli/node_crypto.js's (the host's /dev/urandom), in a page the browser's.
EM_JS(int, gb_js_entropy, (uint8_t* p, int n), {
  try {
    if (typeof crypto === 'object' && typeof crypto.getRandomValues === 'function') {
      crypto.getRandomValues(HEAPU8.subarray(p, p + n));
      return 1;
    }
  } catch (e) {
  }
  return 0;
});
// clang-format on
#endif

namespace gb {

bool host_entropy(void* buf, size_t n) {
  uint8_t* p = (uint8_t*)buf;
#ifdef __EMSCRIPTEN__
  constexpr size_t kPiece = 65536;
#else
  constexpr size_t kPiece = 256;  // getentropy's limit
#endif
  while (n) {
    const size_t k = n < kPiece ? n : kPiece;
#ifdef __EMSCRIPTEN__
    if (!gb_js_entropy(p, (int)k)) return false;
#else
    if (getentropy(p, k) != 0) return false;
#endif
    p += k;
    n -= k;
  }
  return true;
}

void fill_random(void* buf, size_t n) {
  if (host_entropy(buf, n)) return;
  // Its state is process-wide on purpose: host randomness, not machine state.
  static uint64_t s = 0x9e3779b97f4a7c15ull ^ (uint64_t)time(nullptr);
  uint8_t* p = (uint8_t*)buf;
  for (size_t i = 0; i < n; i++) {
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    p[i] = (uint8_t)s;
  }
}

}  // namespace gb
