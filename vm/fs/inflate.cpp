// vm/fs/inflate.cpp — see inflate.h. Implemented from RFC 1951 / RFC 1952.
//
// Huffman codes are decoded with a 10-bit lookup table (codes up to 10 bits resolve in
// one step) and a canonical bit-by-bit walk for longer codes.
#include "vm/fs/inflate.h"

#include <cstring>

namespace gb::fs {

// ---------------------------------------------------------------- CRC-32

namespace {
struct CrcTable {
  uint32_t t[256];
  CrcTable() {
    for (uint32_t n = 0; n < 256; n++) {
      uint32_t c = n;
      for (int k = 0; k < 8; k++) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      t[n] = c;
    }
  }
};
const CrcTable& crc_table() {
  static const CrcTable tab;
  return tab;
}
}  // namespace

uint32_t crc32_update(uint32_t crc, const void* data, size_t len) {
  const uint32_t* t = crc_table().t;
  const uint8_t* p = static_cast<const uint8_t*>(data);
  crc ^= 0xFFFFFFFFu;
  for (size_t i = 0; i < len; i++) crc = t[(crc ^ p[i]) & 0xFF] ^ (crc >> 8);
  return crc ^ 0xFFFFFFFFu;
}

// ---------------------------------------------------------------- DEFLATE

namespace {

constexpr int kMaxBits = 15;
constexpr int kFastBits = 10;
enum { kNever = 0, kSingle = 1, kAnyIncomplete = 2 };

struct Huffman {
  uint16_t count[kMaxBits + 1];
  uint16_t symbol[288];
  // fast[i]: for the next kFastBits input bits i, (length << 9) | symbol, or 0 when
  // the code is longer than kFastBits (or absent)
  uint16_t fast[1 << kFastBits];

  // lengths[n]: code length of each symbol (0 = unused). incomplete: kNever,
  // kSingle (accepted when the code has at most one symbol) or kAnyIncomplete.
  bool build(const uint8_t* lengths, int n, int incomplete) {
    std::memset(count, 0, sizeof count);
    std::memset(fast, 0, sizeof fast);
    for (int s = 0; s < n; s++) count[lengths[s]]++;
    int used = n - count[0];
    int left = 1;
    for (int len = 1; len <= kMaxBits; len++) {
      left <<= 1;
      left -= count[len];
      if (left < 0) return false;  // over-subscribed
    }
    if (left > 0 && !(incomplete == kAnyIncomplete || (incomplete == kSingle && used <= 1))) return false;
    uint16_t offs[kMaxBits + 2];
    offs[1] = 0;
    for (int len = 1; len < kMaxBits; len++) offs[len + 1] = offs[len] + count[len];
    for (int s = 0; s < n; s++)
      if (lengths[s]) symbol[offs[lengths[s]]++] = uint16_t(s);
    // canonical codes -> fast table
    uint32_t next[kMaxBits + 2];
    uint32_t code = 0;
    count[0] = 0;
    for (int len = 1; len <= kMaxBits; len++) {
      code = (code + count[len - 1]) << 1;
      next[len] = code;
    }
    for (int s = 0; s < n; s++) {
      int len = lengths[s];
      if (!len) continue;
      uint32_t c = next[len]++;
      if (len > kFastBits) continue;
      uint32_t rev = 0;  // the stream sends codes most significant bit first
      for (int k = 0; k < len; k++) rev |= ((c >> k) & 1) << (len - 1 - k);
      for (uint32_t fill = rev; fill < (1u << kFastBits); fill += 1u << len)
        fast[fill] = uint16_t((len << 9) | s);
    }
    count[0] = uint16_t(n - used);
    return true;
  }
};

struct Bits {
  const uint8_t* in;
  size_t len;
  size_t pos = 0;  // next byte to load
  uint64_t buf = 0;
  int cnt = 0;     // valid bits in buf (beyond len, zero bytes are loaded)

  void fill() {
    while (cnt <= 56) {
      uint64_t b = pos < len ? in[pos] : 0;
      pos++;
      buf |= b << cnt;
      cnt += 8;
    }
  }
  // true once more bits were consumed than the input holds
  bool overrun() const { return pos * 8 - size_t(cnt) > len * 8; }
  uint32_t peek(int n) {
    if (cnt < n) fill();
    return uint32_t(buf & ((uint64_t(1) << n) - 1));
  }
  void drop(int n) {
    buf >>= n;
    cnt -= n;
  }
  uint32_t get(int n) {
    if (n == 0) return 0;
    uint32_t v = peek(n);
    drop(n);
    return v;
  }
  // bytes consumed so far (rounded up to whole bytes)
  size_t consumed() const { return pos - size_t(cnt / 8); }
};

// Decodes one symbol; -1 on an invalid code.
int decode(Bits& br, const Huffman& h) {
  uint32_t look = br.peek(kFastBits);
  uint16_t e = h.fast[look];
  if (e) {
    br.drop(e >> 9);
    return e & 0x1FF;
  }
  // canonical walk, one bit at a time
  br.peek(kMaxBits);
  int code = 0, first = 0, index = 0;
  for (int len = 1; len <= kMaxBits; len++) {
    code |= br.get(1);
    int c = h.count[len];
    if (code - c < first) return h.symbol[index + (code - first)];
    index += c;
    first += c;
    first <<= 1;
    code <<= 1;
  }
  return -1;
}

const uint16_t kLenBase[29] = {3,  4,  5,  6,  7,  8,  9,  10, 11,  13,  15,  17,  19,  23, 27,
                               31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258};
const uint8_t kLenExtra[29] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2,
                               2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0};
const uint16_t kDistBase[30] = {1,   2,   3,   4,   5,   7,    9,    13,   17,   25,
                                33,  49,  65,  97,  129, 193,  257,  385,  513,  769,
                                1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577};
const uint8_t kDistExtra[30] = {0, 0, 0, 0, 1, 1, 2, 2,  3,  3,  4,  4,  5,  5,  6,
                                6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13};

struct Fixed {
  Huffman lit, dist;
  Fixed() {
    uint8_t l[288];
    for (int i = 0; i < 144; i++) l[i] = 8;
    for (int i = 144; i < 256; i++) l[i] = 9;
    for (int i = 256; i < 280; i++) l[i] = 7;
    for (int i = 280; i < 288; i++) l[i] = 8;
    lit.build(l, 288, kNever);
    uint8_t d[30];
    for (int i = 0; i < 30; i++) d[i] = 5;
    dist.build(d, 30, kAnyIncomplete);  // 30 of the 32 five-bit codes: incomplete by design
  }
};
const Fixed& fixed_tables() {
  static const Fixed f;
  return f;
}

struct Inflater {
  Bits br;
  std::vector<uint8_t>* out;
  size_t base;     // out->size() when this stream started (back references stay inside)
  size_t max_out;  // bytes this stream may add
  std::string err;
  // out is grown ahead of need (doubling) and written through a pointer; `n` is the
  // logical end; finish() trims the vector back to it
  uint8_t* o = nullptr;
  size_t n = 0;

  void start() {
    n = out->size();
    o = out->data();
  }
  bool room(size_t want) {  // make space for `want` more bytes
    if (n - base + want > max_out) return fail("output larger than allowed");
    if (n + want > out->size()) {
      size_t cap = out->size() * 2;
      if (cap < n + want + 65536) cap = n + want + 65536;
      if (cap > base + max_out) cap = base + max_out;
      out->resize(cap);
      o = out->data();
    }
    return true;
  }
  void finish() { out->resize(n); }

  bool fail(const char* m) {
    if (err.empty()) err = m;
    return false;
  }

  bool codes(const Huffman& lit, const Huffman& dist) {
    while (true) {
      int sym = decode(br, lit);
      if (br.overrun()) return fail("input ends inside a block");
      if (sym < 0) return fail("invalid literal/length code");
      if (sym < 256) {
        if (n >= out->size() && !room(1)) return false;
        o[n++] = uint8_t(sym);
        continue;
      }
      if (sym == 256) return true;
      sym -= 257;
      if (sym >= 29) return fail("invalid length symbol");
      size_t len = kLenBase[sym] + br.get(kLenExtra[sym]);
      int ds = decode(br, dist);
      if (ds < 0 || ds >= 30) return fail("invalid distance symbol");
      size_t d = kDistBase[ds] + br.get(kDistExtra[ds]);
      if (br.overrun()) return fail("input ends inside a block");
      if (d > n - base) return fail("distance too far back");
      if (n + len > out->size() && !room(len)) return false;
      uint8_t* dst = o + n;
      const uint8_t* src = dst - d;
      for (size_t k = 0; k < len; k++) dst[k] = src[k];  // may overlap: byte by byte
      n += len;
    }
  }

  bool stored() {
    // skip to a byte boundary, then give the whole bytes in the bit buffer back
    br.drop(br.cnt & 7);
    br.pos -= size_t(br.cnt / 8);
    br.buf = 0;
    br.cnt = 0;
    if (br.pos + 4 > br.len) return fail("input ends in a stored block header");
    uint32_t len = br.in[br.pos] | (br.in[br.pos + 1] << 8);
    uint32_t nlen = br.in[br.pos + 2] | (br.in[br.pos + 3] << 8);
    br.pos += 4;
    if (len != (~nlen & 0xFFFF)) return fail("stored block length check failed");
    if (br.len - br.pos < len) return fail("input ends inside a stored block");
    if (!room(len)) return false;
    if (len) std::memcpy(o + n, br.in + br.pos, len);
    n += len;
    br.pos += len;
    return true;
  }

  bool dynamic() {
    int nlen = int(br.get(5)) + 257;
    int ndist = int(br.get(5)) + 1;
    int ncode = int(br.get(4)) + 4;
    if (nlen > 286 || ndist > 30) return fail("bad dynamic block counts");
    static const uint8_t order[19] = {16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15};
    uint8_t lengths[320];
    std::memset(lengths, 0, sizeof lengths);
    for (int i = 0; i < ncode; i++) lengths[order[i]] = uint8_t(br.get(3));
    if (br.overrun()) return fail("input ends in a block header");
    Huffman lencode;
    if (!lencode.build(lengths, 19, kNever)) return fail("bad code-length code");
    int idx = 0;
    std::memset(lengths, 0, sizeof lengths);
    while (idx < nlen + ndist) {
      int sym = decode(br, lencode);
      if (br.overrun()) return fail("input ends in a block header");
      if (sym < 0) return fail("bad code-length symbol");
      if (sym < 16) {
        lengths[idx++] = uint8_t(sym);
        continue;
      }
      int rep;
      uint8_t val = 0;
      if (sym == 16) {
        if (idx == 0) return fail("repeat with no previous length");
        val = lengths[idx - 1];
        rep = 3 + int(br.get(2));
      } else if (sym == 17) {
        rep = 3 + int(br.get(3));
      } else {
        rep = 11 + int(br.get(7));
      }
      if (idx + rep > nlen + ndist) return fail("too many code lengths");
      while (rep--) lengths[idx++] = val;
    }
    if (lengths[256] == 0) return fail("no end-of-block code");
    Huffman lit, dist;
    if (!lit.build(lengths, nlen, kSingle)) return fail("bad literal/length code");
    if (!dist.build(lengths + nlen, ndist, kSingle)) return fail("bad distance code");
    return codes(lit, dist);
  }

  bool run() {
    start();
    bool ok = blocks();
    finish();
    return ok;
  }

  bool blocks() {
    int last;
    do {
      last = int(br.get(1));
      int type = int(br.get(2));
      if (br.overrun()) return fail("input ends before a block");
      bool ok;
      if (type == 0) ok = stored();
      else if (type == 1) ok = codes(fixed_tables().lit, fixed_tables().dist);
      else if (type == 2) ok = dynamic();
      else return fail("invalid block type 3");
      if (!ok) return false;
    } while (!last);
    if (br.overrun()) return fail("input ends inside a block");
    return true;
  }
};

}  // namespace

bool inflate_raw(const uint8_t* in, size_t in_len, std::vector<uint8_t>* out, size_t max_out, size_t* consumed,
                 std::string* err) {
  Inflater f{Bits{in, in_len}, out, out->size(), max_out, {}};
  bool ok = f.run();
  if (!ok) {
    if (err) *err = f.err;
    return false;
  }
  if (consumed) *consumed = f.br.consumed();
  return true;
}

bool gunzip(const uint8_t* in, size_t in_len, std::vector<uint8_t>* out, size_t max_out, std::string* err) {
  out->clear();
  size_t p = 0;
  auto bad = [&](const char* m) {
    if (err) *err = m;
    return false;
  };
  if (in_len == 0) return bad("empty gzip data");
  while (p < in_len) {
    if (in_len - p < 18) return bad("truncated gzip member");
    if (in[p] != 0x1F || in[p + 1] != 0x8B) return bad("not gzip data (bad magic)");
    if (in[p + 2] != 8) return bad("gzip: unknown compression method");
    uint8_t flg = in[p + 3];
    if (flg & 0xE0) return bad("gzip: reserved flags set");
    size_t q = p + 10;
    if (flg & 4) {  // FEXTRA
      if (in_len - q < 2) return bad("gzip: truncated extra field");
      size_t xlen = in[q] | (in[q + 1] << 8);
      q += 2;
      if (in_len - q < xlen) return bad("gzip: truncated extra field");
      q += xlen;
    }
    for (int f = 8; f <= 16; f <<= 1) {  // FNAME, FCOMMENT: zero-terminated
      if (!(flg & f)) continue;
      while (q < in_len && in[q]) q++;
      if (q >= in_len) return bad("gzip: unterminated name/comment");
      q++;
    }
    if (flg & 2) {  // FHCRC
      if (in_len - q < 2) return bad("gzip: truncated header");
      uint32_t hc = crc32_update(0, in + p, q - p) & 0xFFFF;
      if (hc != uint32_t(in[q] | (in[q + 1] << 8))) return bad("gzip: header CRC mismatch");
      q += 2;
    }
    size_t start = out->size();
    size_t used = 0;
    std::string e;
    if (!inflate_raw(in + q, in_len - q, out, max_out - start, &used, &e)) {
      if (err) *err = "gzip: " + e;
      return false;
    }
    q += used;
    if (in_len - q < 8) return bad("gzip: truncated trailer");
    uint32_t crc = uint32_t(in[q]) | uint32_t(in[q + 1]) << 8 | uint32_t(in[q + 2]) << 16 | uint32_t(in[q + 3]) << 24;
    uint32_t isz = uint32_t(in[q + 4]) | uint32_t(in[q + 5]) << 8 | uint32_t(in[q + 6]) << 16 | uint32_t(in[q + 7]) << 24;
    if (crc32_update(0, out->data() + start, out->size() - start) != crc) return bad("gzip: CRC mismatch");
    if (uint32_t(out->size() - start) != isz) return bad("gzip: size mismatch");
    p = q + 8;
  }
  return true;
}

}  // namespace gb::fs
