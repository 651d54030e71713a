// tests/unit/test_blockdev.cpp — the storage building blocks: SHA-256, CRC-32, inflate,
// JSON, manifest parsing, the chunked device (fetch, verify, retry, cache, prefetch),
// the HTTP fetcher against an in-process server, file/memory devices.
// Overlay tests: test_blockdev_overlay.cpp.
#include <doctest/doctest.h>

#include "tests/storage/storage_test_util.h"
#include "vm/fs/chunked.h"
#include "vm/fs/chunked_sha256.h"
#include "vm/fs/inflate.h"
#include "vm/fs/json.h"

#ifndef __EMSCRIPTEN__
#include <netinet/in.h>
#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <thread>
#endif

using namespace gb;
using namespace gb::fs;
using namespace gbtest;

namespace {
std::vector<uint8_t> bytes(const std::string& s) { return std::vector<uint8_t>(s.begin(), s.end()); }

std::vector<uint8_t> test_data(int kind, size_t n, uint64_t seed) {
  Rng r(seed);
  std::vector<uint8_t> d(n);
  for (size_t i = 0; i < n; i++) {
    switch (kind) {
      case 0: d[i] = uint8_t(r.next()); break;                          // incompressible
      case 1: d[i] = uint8_t("the quick brown fox "[i % 20]); break;    // long repeats
      case 2: d[i] = uint8_t('a' + r.below(4)); break;                  // skewed literals
      default: d[i] = (i / 1000) % 2 ? uint8_t(r.next()) : 0; break;    // runs of zeros
    }
  }
  return d;
}
}  // namespace

TEST_CASE("sha256 and crc32 known values") {
  CHECK(Sha256::hex("", 0) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(Sha256::hex("abc", 3) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  std::string m(1000000, 'a');
  CHECK(Sha256::hex(m.data(), m.size()) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  // incremental = one shot, across block boundaries
  Sha256 s;
  for (size_t i = 0; i < m.size(); i += 77) s.update(m.data() + i, std::min<size_t>(77, m.size() - i));
  uint8_t d[32];
  s.finish(d);
  CHECK(d[0] == 0xcd);
  CHECK(d[31] == 0xd0);
  CHECK(crc32_update(0, "123456789", 9) == 0xCBF43926u);
  CHECK(crc32_update(crc32_update(0, "1234", 4), "56789", 5) == 0xCBF43926u);
}

TEST_CASE("inflate: stored gzip members, limits and corruption") {
  for (size_t n : {size_t(0), size_t(1), size_t(65535), size_t(65536), size_t(200000)}) {
    auto d = test_data(0, n, n);
    auto gz = gzip_store(d);
    std::vector<uint8_t> out;
    std::string err;
    REQUIRE_MESSAGE(gunzip(gz.data(), gz.size(), &out, n, &err), err);
    CHECK(out == d);
    if (n > 0) CHECK(!gunzip(gz.data(), gz.size(), &out, n - 1, &err));  // over the limit
  }
  // two members
  auto a = gzip_store(bytes("hello ")), b = gzip_store(bytes("world"));
  a.insert(a.end(), b.begin(), b.end());
  std::vector<uint8_t> out;
  REQUIRE(gunzip(a.data(), a.size(), &out, 100));
  CHECK(std::string(out.begin(), out.end()) == "hello world");
  // every truncation fails cleanly
  auto gz = gzip_store(test_data(1, 3000, 1));
  for (size_t k = 0; k < gz.size(); k++) CHECK(!gunzip(gz.data(), k, &out, 1 << 20));
  CHECK(!gunzip(nullptr, 0, &out, 10));
}

TEST_CASE("inflate: real DEFLATE from the host gzip (fixed and dynamic Huffman)") {
#ifdef __EMSCRIPTEN__
  MESSAGE("native only (uses the host gzip)");
#else
  if (sh("command -v gzip >/dev/null") != 0) return;
  int cases = 0;
  for (int kind = 0; kind < 4; kind++) {
    for (size_t n : {size_t(1), size_t(100), size_t(5000), size_t(262144), size_t(1000003)}) {
      for (int level : {1, 6, 9}) {
        auto d = test_data(kind, n, n * 31 + kind);
        auto gz = gzip_real(d, level);
        std::vector<uint8_t> out;
        std::string err;
        REQUIRE_MESSAGE(gunzip(gz.data(), gz.size(), &out, n, &err), err << " kind " << kind << " n " << n);
        REQUIRE(out == d);
        cases++;
        // bit flips: an error or (CRC permitting) the right bytes; never a crash
        Rng r(n + level);
        for (int f = 0; f < 20; f++) {
          auto bad = gz;
          size_t pos = 10 + r.below(bad.size() - 10);
          bad[pos] ^= uint8_t(1 << r.below(8));
          std::vector<uint8_t> o2;
          if (gunzip(bad.data(), bad.size(), &o2, n)) CHECK(o2 == d);
        }
      }
    }
  }
  CHECK(cases == 60);
#endif
}

TEST_CASE("inflate: fixed and dynamic Huffman members (zlib-made vectors, every build)") {
  // made once with Python's zlib (gzip wrapper, level 9; Z_FIXED for the first), so the
  // node build decodes real Huffman blocks too, not only stored ones
  const std::vector<uint8_t> fixed = {0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x03,
                                      0xcb, 0x48, 0xcd, 0xc9, 0xc9, 0x57, 0xc8, 0x40, 0x27, 0x15,
                                      0xb9, 0x00, 0x72, 0xa2, 0xac, 0x44, 0x19, 0x00, 0x00, 0x00};
  const std::vector<uint8_t> dynamic = {
      0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x03, 0x9d, 0x94, 0x59, 0x12, 0xc2, 0x30, 0x0c, 0x43,
      0xff, 0x7b, 0x0a, 0x1f, 0xa1, 0x4d, 0xb3, 0x38, 0xdc, 0x06, 0x68, 0x80, 0x42, 0x68, 0xa0, 0x0b, 0x05, 0x4e,
      0xcf, 0xc0, 0x0d, 0x78, 0xdf, 0x1e, 0x8d, 0x65, 0x59, 0x52, 0xee, 0x87, 0x24, 0xf5, 0x46, 0xe6, 0x53, 0x92,
      0xfb, 0xd2, 0xef, 0x2f, 0xb2, 0x1b, 0xcb, 0x3a, 0xc8, 0xa1, 0x3c, 0xe5, 0xbc, 0x5c, 0x6f, 0x93, 0x94, 0x47,
      0x1a, 0x7f, 0xe3, 0xbc, 0x7d, 0xbf, 0xa4, 0x2b, 0xc7, 0x2a, 0x7f, 0x31, 0x0d, 0xc0, 0x58, 0x80, 0x89, 0x84,
      0x9b, 0x07, 0x20, 0xe3, 0x00, 0xa8, 0x25, 0x9b, 0x2c, 0xb9, 0xc9, 0x13, 0xf1, 0x94, 0x7c, 0xa9, 0x25, 0xe2,
      0x11, 0x76, 0x36, 0x00, 0x50, 0x30, 0x84, 0x1e, 0x91, 0x81, 0x68, 0xe7, 0xc9, 0xa6, 0x88, 0x9c, 0x47, 0xde,
      0x14, 0x50, 0xd2, 0xc9, 0x4d, 0x8e, 0xd0, 0x8b, 0x28, 0x4d, 0xa8, 0x55, 0x50, 0x7d, 0xa1, 0x9b, 0x08, 0x3d,
      0x47, 0xfe, 0xa4, 0xc4, 0xaf, 0xc4, 0x7a, 0x86, 0xe4, 0x56, 0x09, 0x3d, 0x47, 0xc4, 0x33, 0xc4, 0xaf, 0x8a,
      0x3a, 0x19, 0xd5, 0x2b, 0x91, 0xbc, 0x21, 0x9b, 0x94, 0xc4, 0xc9, 0xff, 0x09, 0xfa, 0x00, 0x3e, 0x82, 0x4f,
      0x91, 0x41, 0x08, 0x00, 0x00};
  std::string text;
  for (int i = 0; i < 40; i++)
    text += "line " + std::to_string(i * i % 97) + ": the quick brown fox jumps over the lazy dog\n";
  REQUIRE(text.size() == 2113);
  CHECK(crc32_update(0, text.data(), text.size()) == 2437907006u);
  std::vector<uint8_t> out;
  std::string err;
  REQUIRE_MESSAGE(gunzip(fixed.data(), fixed.size(), &out, 100, &err), err);
  CHECK(std::string(out.begin(), out.end()) == "hello hello hello hello!\n");
  REQUIRE_MESSAGE(gunzip(dynamic.data(), dynamic.size(), &out, text.size(), &err), err);
  CHECK(std::string(out.begin(), out.end()) == text);
  CHECK(!gunzip(dynamic.data(), dynamic.size(), &out, text.size() - 1, &err));  // one byte over
  // every single-bit flip after the header: an error or (CRC permitting) the same text
  for (size_t pos = 10; pos < dynamic.size(); pos++)
    for (int bit = 0; bit < 8; bit++) {
      auto bad = dynamic;
      bad[pos] ^= uint8_t(1 << bit);
      if (gunzip(bad.data(), bad.size(), &out, 1 << 16)) CHECK(std::string(out.begin(), out.end()) == text);
    }
  // a large member followed by a small one: the output room, guessed from the last
  // member's size trailer, has to grow once
  auto big = test_data(1, 300000, 7), small = bytes("tail");
  auto two = gzip_store(big), tail = gzip_store(small);
  two.insert(two.end(), tail.begin(), tail.end());
  REQUIRE_MESSAGE(gunzip(two.data(), two.size(), &out, big.size() + 4, &err), err);
  big.insert(big.end(), small.begin(), small.end());
  CHECK(out == big);
  CHECK(!gunzip(two.data(), two.size(), &out, big.size() - 1, &err));
  // trailing bytes that are not a gzip member
  auto junk = gzip_store(small);
  junk.push_back(0);
  CHECK(!gunzip(junk.data(), junk.size(), &out, 100, &err));
}

TEST_CASE("json: the depth limit (64) at its edge, duplicate keys, strictness") {
  JsonValue v;
  std::string err;
  auto nest = [](int n, const std::string& inner) { return std::string(n, '[') + inner + std::string(n, ']'); };
  // a value inside 64 open containers is accepted, inside 65 refused (empty containers
  // are values too: 65 nested empty arrays hold nothing at depth 65)
  CHECK(json_parse(nest(64, "1"), &v, &err));
  CHECK(!json_parse(nest(65, "1"), &v, &err));
  CHECK(err.find("deep") != std::string::npos);
  CHECK(json_parse(nest(65, ""), &v, &err));
  CHECK(!json_parse(nest(66, ""), &v, &err));
  std::string obj;
  for (int i = 0; i < 64; i++) obj += "{\"k\":";
  CHECK(json_parse(obj + "true" + std::string(64, '}'), &v, &err));
  CHECK(!json_parse("{\"k\":" + obj + "true" + std::string(65, '}'), &v, &err));
  // a deep document fails fast, without recursion (a million brackets)
  CHECK(!json_parse(std::string(1000000, '['), &v, &err));
  // members stay in document order; get() returns the first of duplicate keys
  REQUIRE(json_parse(R"({"b": 1, "a": 2, "b": 3})", &v, &err));
  REQUIRE(v.obj.size() == 3);
  CHECK(v.obj[0].first == "b");
  CHECK(v.obj[1].first == "a");
  int64_t i = 0;
  CHECK(v.get("b")->as_int(0, 10, &i));
  CHECK(i == 1);
  // integers: exact int64 at the edges, beyond them a double only
  REQUIRE(json_parse("[-9223372036854775808, 9223372036854775807, 9223372036854775808, -9223372036854775809]", &v));
  CHECK(v.arr[0].is_int);
  CHECK(v.arr[0].i == INT64_MIN);
  CHECK(v.arr[1].i == INT64_MAX);
  CHECK(!v.arr[2].is_int);
  CHECK(v.arr[2].num == 9223372036854775808.0);
  CHECK(!v.arr[3].is_int);
  // refused: a byte order mark, a number that overflows a double, ill-formed UTF-8
  for (const char* bad : {"\xEF\xBB\xBF{}", "1e400", "\"\xff\"", "\"\xC3\"", "[1 2]", "{\"a\":1,}", "nul"})
    CHECK_MESSAGE(!json_parse(bad, &v, &err), bad);
  CHECK(json_parse(" \t\r\n{ \"\xC3\xA9\" : [ ] } \n", &v, &err));
}

TEST_CASE("json parser") {
  JsonValue v;
  std::string err;
  REQUIRE(json_parse(R"({"a": [1, -2, 3.5, true, false, null, "x\n\u00e9\ud83d\ude00"], "b": {}})", &v, &err));
  const JsonValue* a = v.get("a");
  REQUIRE(a);
  REQUIRE(a->arr.size() == 7);
  int64_t i = 0;
  CHECK(a->arr[1].as_int(-10, 10, &i));
  CHECK(i == -2);
  CHECK(!a->arr[2].as_int(-10, 10, &i));
  CHECK(a->arr[3].b);
  CHECK(a->arr[5].is_null());
  CHECK(a->arr[6].str == "x\n\xc3\xa9\xf0\x9f\x98\x80");
  CHECK(v.get("b")->is_object());
  CHECK(json_parse("9223372036854775807", &v));
  CHECK(v.is_int);
  CHECK(json_parse("18446744073709551616", &v));
  CHECK(!v.is_int);
  for (const char* bad : {"", "{", "[1,]", "{\"a\" 1}", "\"\\ud800\"", "01x", "[1] 2", "\"\x01\"", "tru", "-",
                          "1.", "1e", "{\"a\":}", "\"\\q\""})
    CHECK_MESSAGE(!json_parse(bad, &v, &err), bad);
  std::string deep(100, '[');
  CHECK(!json_parse(deep, &v, &err));
  CHECK(err.find("deep") != std::string::npos);
}

TEST_CASE("manifest: the tools/mkimage format, and malformed manifests refused") {
  MemoryFetcher f;
  std::vector<uint8_t> img(5 * 4096, 0);
  for (size_t i = 4096; i < 8192; i++) img[i] = uint8_t(i);
  std::string j = chunk_image(img, 4096, &f);
  Manifest m;
  std::string err;
  REQUIRE_MESSAGE(Manifest::parse(j, &m, &err), err);
  CHECK(m.chunk_size == 4096);
  CHECK(m.image_size == img.size());
  CHECK(m.chunks.size() == 5);
  CHECK(m.chunks[0].zero);
  CHECK(!m.chunks[1].zero);
  CHECK(m.image_id.compare(0, 7, "sha256:") == 0);
  auto refused = [&](const std::string& from, const std::string& to, const char* why) {
    std::string t = j;
    size_t p = t.find(from);
    REQUIRE_MESSAGE(p != std::string::npos, from);
    t.replace(p, from.size(), to);
    Manifest m2;
    std::string e;
    CHECK_MESSAGE(!Manifest::parse(t, &m2, &e), why);
    CHECK(!e.empty());
  };
  refused("\"glassbox-image\"", "\"other\"", "format");
  refused("\"version\": 1", "\"version\": 2", "version");
  refused("\"chunk_size\": 4096", "\"chunk_size\": 5000", "chunk size not a power of two");
  refused("\"chunk_size\": 4096", "\"chunk_size\": 1024", "chunk size too small");
  refused("\"image_size\": 20480", "\"image_size\": 40960", "chunk count");
  refused("\"chunk_count\": 5", "\"chunk_count\": 6", "chunk_count");
  refused("\"chunks_dir\": \"chunks\"", "\"chunks_dir\": \"../etc\"", "chunks_dir escapes");
  refused("\"gz\": false", "\"gz\": 1", "gz type");
  refused("\"length\": 4096", "\"length\": 4097", "raw length");
  refused("\"hash\": \"", "\"hash\": \"X", "hash");
  refused("null", "7", "entry type");
}

namespace {
struct Chunked {
  MemoryFetcher* f = nullptr;
  std::unique_ptr<ChunkedDevice> dev;
};

Chunked make_chunked(const std::vector<uint8_t>& img, uint32_t cs, ChunkedOptions opt = ChunkedOptions(),
                     bool gz = true) {
  auto mf = std::make_unique<MemoryFetcher>();
  std::string j = chunk_image(img, cs, mf.get(), gz ? [](const std::vector<uint8_t>& d) { return gzip_store(d); }
                                                    : std::function<std::vector<uint8_t>(const std::vector<uint8_t>&)>());
  mf->put("manifest.json", std::vector<uint8_t>(j.begin(), j.end()));
  Chunked c;
  c.f = mf.get();
  std::string err;
  int rc = ChunkedDevice::open(std::move(mf), "manifest.json", opt, &c.dev, &err);
  REQUIRE_MESSAGE(rc == 0, err);
  return c;
}

std::vector<uint8_t> sparse_image(size_t size, uint64_t seed) {
  std::vector<uint8_t> img(size, 0);
  Rng r(seed);
  for (size_t off = 0; off < size; off += 4096)
    if (r.chance(40))
      for (size_t k = 0; k < 4096; k++) img[off + k] = uint8_t(r.chance(50) ? 'a' + k % 7 : r.next());
  return img;
}
}  // namespace

TEST_CASE("chunked device: random reads equal the image; zero chunks never fetched") {
  auto img = sparse_image(3 << 20, 5);
  for (uint32_t cs : {4096u, 65536u, 262144u}) {
    for (bool gz : {false, true}) {
      Chunked c = make_chunked(img, cs, ChunkedOptions(), gz);
      CHECK(c.dev->size() == img.size());
      Rng r(cs + gz);
      for (int i = 0; i < 300; i++) {
        uint64_t off = r.below(img.size());
        size_t len = size_t(std::min<uint64_t>(img.size() - off, r.below(3 * cs)));
        std::vector<uint8_t> buf(len);
        ReadInfo ri;
        REQUIRE(c.dev->read(off, buf.data(), len, &ri) == 0);
        REQUIRE(std::memcmp(buf.data(), img.data() + off, len) == 0);
      }
      std::vector<uint8_t> all(img.size());
      REQUIRE(c.dev->read(0, all.data(), all.size()) == 0);
      CHECK(all == img);
      DeviceStats st = c.dev->stats();
      size_t nonzero = 0;
      for (auto& e : c.dev->manifest().chunks) nonzero += !e.zero;
      CHECK(st.chunks_fetched >= nonzero);  // the cache (64 MiB) holds everything:
      CHECK(st.chunks_fetched == nonzero);  // each chunk fetched exactly once
      CHECK(c.f->requests() == nonzero + 1);  // + the manifest
      std::vector<uint8_t> one(10);
      CHECK(c.dev->read(img.size() - 5, one.data(), 10) == -LX_EIO);  // past the end
    }
  }
}

TEST_CASE("chunked device: LRU cache bound, verify, retries, EIO, prefetch batches") {
  auto img = sparse_image(2 << 20, 9);
  for (size_t i = 0; i < img.size(); i += 4096) img[i] = 1;  // no zero chunks
  SUBCASE("bounded cache") {
    ChunkedOptions o;
    o.cache_bytes = 4 * 65536;
    Chunked c = make_chunked(img, 65536, o);
    std::vector<uint8_t> all(img.size());
    for (int pass = 0; pass < 2; pass++) {
      REQUIRE(c.dev->read(0, all.data(), all.size()) == 0);
      CHECK(all == img);
    }
    DeviceStats st = c.dev->stats();
    CHECK(st.chunks_fetched == 2 * 32);  // nothing survives a sequential pass over 8x the cache
    CHECK(st.evictions > 0);
    // a hot chunk stays
    uint8_t b;
    for (int k = 0; k < 10; k++) REQUIRE(c.dev->read(100, &b, 1) == 0);
    CHECK(c.dev->stats().cache_hits >= 9);
  }
  SUBCASE("transient failures are retried") {
    Chunked c = make_chunked(img, 65536);
    c.f->fail_next(2);
    std::vector<uint8_t> buf(100);
    REQUIRE(c.dev->read(70000, buf.data(), buf.size()) == 0);
    CHECK(std::memcmp(buf.data(), img.data() + 70000, 100) == 0);
    CHECK(c.dev->stats().fetch_retries == 2);
    c.f->corrupt_next(1);  // a damaged response: sha256 mismatch, then a good one
    REQUIRE(c.dev->read(200000, buf.data(), buf.size()) == 0);
    CHECK(std::memcmp(buf.data(), img.data() + 200000, 100) == 0);
    CHECK(c.dev->stats().verify_errors == 1);
  }
  SUBCASE("persistent failures give EIO, and nothing is cached") {
    Chunked c = make_chunked(img, 65536);
    c.f->fail_next(3);
    std::vector<uint8_t> buf(100);
    CHECK(c.dev->read(70000, buf.data(), buf.size()) == -LX_EIO);
    CHECK(!c.dev->cached(1));
    CHECK(c.dev->read(70000, buf.data(), buf.size()) == 0);  // the server is back
    // a chunk file whose content changed on the server: always EIO
    for (auto& kv : c.f->files())
      if (kv.first != "manifest.json") kv.second[kv.second.size() / 3] ^= 1;
    CHECK(c.dev->read(300000, buf.data(), buf.size()) == -LX_EIO);
    CHECK(c.dev->last_error().find("hash") != std::string::npos);
    // missing file
    c.f->files().clear();
    CHECK(c.dev->read(500000, buf.data(), buf.size()) == -LX_EIO);
  }
  SUBCASE("prefetch: one batch, then cache hits") {
    Chunked c = make_chunked(img, 65536);
    c.dev->prefetch({{0, 10 * 65536}, {20 * 65536, 65536}});
    DeviceStats st = c.dev->stats();
    CHECK(st.fetch_batches == 1);
    CHECK(st.prefetched_chunks == 11);
    std::vector<uint8_t> buf(10 * 65536);
    ReadInfo ri;
    REQUIRE(c.dev->read(0, buf.data(), buf.size(), &ri) == 0);
    CHECK(ri.source == ReadSource::Cache);
    CHECK(c.dev->stats().fetch_batches == 1);
    REQUIRE(c.dev->read(15 * 65536, buf.data(), 65536, &ri) == 0);
    CHECK(ri.source == ReadSource::Network);
    CHECK(ri.bytes_fetched > 0);
    // a read spanning several missing chunks fetches them in one batch
    uint64_t before = c.dev->stats().fetch_batches;
    REQUIRE(c.dev->read(24 * 65536, buf.data(), 5 * 65536) == 0);
    CHECK(c.dev->stats().fetch_batches == before + 1);
  }
  SUBCASE("a bad manifest is refused at open") {
    auto mf = std::make_unique<MemoryFetcher>();
    mf->put("manifest.json", bytes("{\"format\": \"glassbox-image\"}"));
    std::unique_ptr<ChunkedDevice> d;
    std::string err;
    CHECK(ChunkedDevice::open(std::move(mf), "manifest.json", ChunkedOptions(), &d, &err) == -LX_EINVAL);
    CHECK(err.find("version") != std::string::npos);
    auto mf2 = std::make_unique<MemoryFetcher>();
    CHECK(ChunkedDevice::open(std::move(mf2), "manifest.json", ChunkedOptions(), &d, &err) == -LX_ENOENT);
  }
}

TEST_CASE("file and memory devices") {
  MemoryDevice m(std::vector<uint8_t>(8192, 7));
  uint8_t b[16];
  CHECK(m.read(8190, b, 2) == 0);
  CHECK(m.read(8190, b, 3) == -LX_EIO);
  CHECK(m.write(0, "abc", 3) == 0);
  CHECK(m.read(0, b, 3) == 0);
  CHECK(std::memcmp(b, "abc", 3) == 0);
  MemoryDevice ro(std::vector<uint8_t>(10), false);
  CHECK(ro.write(0, "x", 1) == -LX_EROFS);
#ifndef __EMSCRIPTEN__
  TmpDir t;
  std::vector<uint8_t> d(10000);
  for (size_t i = 0; i < d.size(); i++) d[i] = uint8_t(i * 7);
  write_file(t / "f", d);
  FileDevice* fd = nullptr;
  std::string err;
  REQUIRE(FileDevice::open(t / "f", false, &fd, &err) == 0);
  std::unique_ptr<FileDevice> f(fd);
  CHECK(f->size() == 10000);
  std::vector<uint8_t> buf(5000);
  ReadInfo ri;
  REQUIRE(f->read(4000, buf.data(), buf.size(), &ri) == 0);
  CHECK(std::memcmp(buf.data(), d.data() + 4000, 5000) == 0);
  CHECK(ri.source == ReadSource::Disk);
  CHECK(f->write(0, "x", 1) == -LX_EROFS);
  CHECK(FileDevice::open(t / "missing", false, &fd, &err) == -LX_ENOENT);
  CHECK(err.find("missing") != std::string::npos);
  // export_image writes a sparse copy
  MemoryDevice big(std::vector<uint8_t>(1 << 20, 0));
  big.write(700000, "data", 4);
  REQUIRE(export_image(&big, t / "exp", &err) == 0);
  auto e = read_file(t / "exp");
  CHECK(e.size() == size_t(1 << 20));
  CHECK(std::memcmp(e.data() + 700000, "data", 4) == 0);
#endif
}

// ---------------------------------------------------------------- HTTP

#ifndef __EMSCRIPTEN__
namespace {
// A tiny HTTP/1.1 server on 127.0.0.1 for the fetcher tests. Paths:
//   /d/<name>  Content-Length, keep-alive      /c/<name>  chunked transfer encoding
//   /x/<name>  body to connection close (HTTP/1.0)   /slow  never answers
//   /short     Content-Length larger than the body, then close   /404  not found
struct MiniServer {
  int lfd = -1;
  int port = 0;
  std::atomic<bool> stop{false};
  std::thread th;
  std::map<std::string, std::vector<uint8_t>> files;
  std::atomic<int> connections{0}, requests{0};

  MiniServer() {
    lfd = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(lfd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    listen(lfd, 16);
    socklen_t l = sizeof a;
    getsockname(lfd, reinterpret_cast<sockaddr*>(&a), &l);
    port = ntohs(a.sin_port);
  }
  void start() {
    th = std::thread([this] { loop(); });
  }
  ~MiniServer() {
    stop = true;
    shutdown(lfd, SHUT_RDWR);
    close(lfd);
    if (th.joinable()) th.join();
  }
  static void send_all(int fd, const std::string& s) {
    size_t d = 0;
    while (d < s.size()) {
      ssize_t n = send(fd, s.data() + d, s.size() - d, MSG_NOSIGNAL);
      if (n <= 0) return;
      d += size_t(n);
    }
  }
  void loop() {
    while (!stop) {
      int c = accept(lfd, nullptr, nullptr);
      if (c < 0) return;
      connections++;
      serve(c);
      close(c);
    }
  }
  void serve(int c) {
    std::string in;
    char buf[4096];
    while (!stop) {
      size_t e;
      while ((e = in.find("\r\n\r\n")) == std::string::npos) {
        ssize_t n = recv(c, buf, sizeof buf, 0);
        if (n <= 0) return;
        in.append(buf, size_t(n));
      }
      std::string req = in.substr(0, e);
      in.erase(0, e + 4);
      requests++;
      size_t sp = req.find(' '), sp2 = req.find(' ', sp + 1);
      std::string path = req.substr(sp + 1, sp2 - sp - 1);
      std::string kind = path.substr(0, 3), name = path.size() > 3 ? path.substr(3) : "";
      auto it = files.find(name);
      if (path == "/slow") {
        std::this_thread::sleep_for(std::chrono::milliseconds(1500));
        return;
      }
      if (path == "/short") {
        send_all(c, "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\nonly this");
        return;
      }
      if (it == files.end()) {
        send_all(c, "HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n\r\nnot found");
        continue;
      }
      std::string body(it->second.begin(), it->second.end());
      if (kind == "/d/") {
        send_all(c, "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body);
      } else if (kind == "/c/") {
        std::string o = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
        for (size_t p = 0; p < body.size(); p += 1000) {
          std::string part = body.substr(p, 1000);
          char h[32];
          snprintf(h, sizeof h, "%zx;ext=1\r\n", part.size());
          o += h + part + "\r\n";
        }
        o += "0\r\nX-Trailer: 1\r\n\r\n";
        send_all(c, o);
      } else {
        send_all(c, "HTTP/1.0 200 OK\r\nContent-Type: application/octet-stream\r\n\r\n" + body);
        return;
      }
    }
  }
};
}  // namespace

TEST_CASE("http fetcher: content-length keep-alive, chunked, read-to-close, errors, timeouts") {
  MiniServer s;
  std::vector<uint8_t> blob = test_data(0, 300000, 3);
  s.files["blob"] = blob;
  s.files["empty"] = {};
  s.start();
  std::string base = "http://127.0.0.1:" + std::to_string(s.port) + "/";
  std::unique_ptr<HttpFetcher> h;
  std::string err;
  REQUIRE(HttpFetcher::create(base, &h, &err) == 0);
  std::vector<uint8_t> out;
  for (int i = 0; i < 3; i++) {
    REQUIRE_MESSAGE(h->fetch_one("d/blob", &out, 0, &err) == 0, err);
    CHECK(out == blob);
  }
  CHECK(h->connections() == 1);  // keep-alive
  REQUIRE_MESSAGE(h->fetch_one("c/blob", &out, 0, &err) == 0, err);
  CHECK(out == blob);
  REQUIRE_MESSAGE(h->fetch_one("x/blob", &out, 0, &err) == 0, err);
  CHECK(out == blob);
  REQUIRE_MESSAGE(h->fetch_one("d/empty", &out, 0, &err) == 0, err);
  CHECK(out.empty());
  CHECK(h->fetch_one("d/none", &out, 0, &err) == -LX_ENOENT);
  CHECK(err.find("404") != std::string::npos);
  CHECK(h->fetch_one("d/blob", &out, 1000, &err) != 0);  // larger than allowed
  CHECK(h->fetch_one("short", &out, 0, &err) != 0);
  h->set_timeout_ms(300);
  auto t0 = std::chrono::steady_clock::now();
  CHECK(h->fetch_one("slow", &out, 0, &err) == -LX_ETIMEDOUT);
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(3));
  h->set_timeout_ms(15000);
  REQUIRE_MESSAGE(h->fetch_one("d/blob", &out, 0, &err) == 0, err);  // recovers
  // nobody listening
  std::unique_ptr<HttpFetcher> dead;
  REQUIRE(HttpFetcher::create("http://127.0.0.1:1/", &dead, &err) == 0);
  CHECK(dead->fetch_one("x", &out, 0, &err) < 0);
  CHECK(HttpFetcher::create("https://example.com/", &dead, &err) == -LX_EINVAL);
  CHECK(HttpFetcher::create("http://h:99999999/", &dead, &err) == -LX_EINVAL);
}

TEST_CASE("chunked device over HTTP (in-process server)") {
  MiniServer s;
  auto img = sparse_image(1 << 20, 77);
  MemoryFetcher mf;
  std::string j = chunk_image(img, 65536, &mf, [](const std::vector<uint8_t>& d) { return gzip_real(d); });
  for (auto& kv : mf.files()) s.files[kv.first] = kv.second;
  s.files["manifest.json"] = std::vector<uint8_t>(j.begin(), j.end());
  s.start();
  std::unique_ptr<ChunkedDevice> d;
  std::string err;
  REQUIRE_MESSAGE(ChunkedDevice::open("http://127.0.0.1:" + std::to_string(s.port) + "/d/manifest.json",
                                      ChunkedOptions(), &d, &err) == 0,
                  err);
  std::vector<uint8_t> all(img.size());
  REQUIRE(d->read(0, all.data(), all.size()) == 0);
  CHECK(all == img);
}

TEST_CASE("chunked device against the real tools/mkimage output (GB_IMAGE_DIR) and python http.server (GB_TEST_HTTP_URL)") {
  const char* dir = getenv("GB_IMAGE_DIR");
  if (!dir) {
    MESSAGE("GB_IMAGE_DIR not set: skipped (tests/storage/run.sh sets it)");
    return;
  }
  std::string raw = std::string(dir) + "/image.ext2";
  FileDevice* fd = nullptr;
  std::string err;
  REQUIRE_MESSAGE(FileDevice::open(raw, false, &fd, &err) == 0, err);
  std::unique_ptr<FileDevice> f(fd);
  std::vector<std::string> wheres = {dir};
  if (const char* url = getenv("GB_TEST_HTTP_URL")) wheres.push_back(url);
  for (auto& w : wheres) {
    std::unique_ptr<ChunkedDevice> d;
    REQUIRE_MESSAGE(ChunkedDevice::open(w, ChunkedOptions(), &d, &err) == 0, err);
    CHECK(d->size() == f->size());
    Rng r(1);
    std::vector<uint8_t> a(300000), b(300000);
    // reads near the start (metadata), random, and across chunk boundaries
    for (int i = 0; i < 60; i++) {
      uint64_t off = i < 20 ? r.below(8 << 20) : r.below(d->size() - a.size());
      size_t len = size_t(1 + r.below(a.size()));
      REQUIRE(d->read(off, a.data(), len) == 0);
      REQUIRE(f->read(off, b.data(), len) == 0);
      REQUIRE_MESSAGE(std::memcmp(a.data(), b.data(), len) == 0, w << " @" << off);
    }
    DeviceStats st = d->stats();
    MESSAGE(w << ": " << st.chunks_fetched << " chunks, " << st.bytes_fetched << " bytes fetched, "
              << st.zero_chunk_reads << " zero-chunk reads");
  }
}
#endif
