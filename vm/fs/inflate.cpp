// vm/fs/inflate.cpp — see inflate.h: the engine's gunzip and CRC-32 over libdeflate.
#include "vm/fs/inflate.h"

#include <libdeflate.h>

#include <algorithm>

namespace gb::fs {

uint32_t crc32_update(uint32_t crc, const void* data, size_t len) { return libdeflate_crc32(crc, data, len); }

namespace {

// One decompressor per call: it holds no state between streams, and a few KiB of
// allocation is small next to a chunk's inflate. No engine-wide instance (issue 9 #3).
struct Decompressor {
  libdeflate_decompressor* d = libdeflate_alloc_decompressor();
  Decompressor() = default;
  Decompressor(const Decompressor&) = delete;
  Decompressor& operator=(const Decompressor&) = delete;
  ~Decompressor() { libdeflate_free_decompressor(d); }
};

uint32_t le32(const uint8_t* p) { return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24; }

}  // namespace

bool gunzip(const uint8_t* in, size_t in_len, std::vector<uint8_t>* out, size_t max_out, std::string* err) {
  out->clear();
  auto bad = [&](const char* m) {
    out->clear();
    if (err) *err = m;
    return false;
  };
  if (in_len == 0) return bad("empty gzip data");
  Decompressor dec;
  if (!dec.d) return bad("gzip: out of memory");
  // Output room: the last member's size trailer is a good guess (the whole size for the
  // usual single member); if the data needs more, the room grows once to max_out.
  size_t room = std::min(max_out, std::max<size_t>(in_len >= 4 ? le32(in + in_len - 4) : 0, 4096));
  out->resize(std::max<size_t>(room, 1));  // at least a byte: data() is never null
  size_t n = 0, p = 0;
  while (p < in_len) {
    size_t used = 0, got = 0;
    libdeflate_result r =
        libdeflate_gzip_decompress_ex(dec.d, in + p, in_len - p, out->data() + n, room - n, &used, &got);
    if (r == LIBDEFLATE_INSUFFICIENT_SPACE && room < max_out) {
      room = max_out;
      out->resize(std::max<size_t>(room, 1));
      continue;  // the member again, with all the room allowed
    }
    if (r == LIBDEFLATE_INSUFFICIENT_SPACE) return bad("gzip: output larger than allowed");
    if (r != LIBDEFLATE_SUCCESS)
      return bad(p == 0 ? "gzip: not gzip data, or corrupt (bad header, stream, CRC-32 or size)"
                        : "gzip: a later member is not gzip data, or corrupt");
    n += got;
    p += used;
  }
  out->resize(n);
  return true;
}

}  // namespace gb::fs
