// vm/linux/entropy.h — the host's randomness, for the guest's AT_RANDOM, getrandom(2),
// /dev/random and /dev/urandom (one source for all of them).
#pragma once
#include <cstddef>

namespace gb {

// Fills buf with n bytes from the host's entropy source; false when it has none (then
// buf may be partly written). Natively getentropy(), in wasm crypto.getRandomValues
// (entropy.cpp).
bool host_entropy(void* buf, size_t n);

// host_entropy(), or where the host has no source a time-seeded xorshift generator
// (never blocks, never fails): for what must not fail (AT_RANDOM, /dev/urandom).
void fill_random(void* buf, size_t n);

}  // namespace gb
