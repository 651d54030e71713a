// tests/unit/test_blockdev_overlay.cpp — the overlay device: reads/writes over a
// read-only base, the memory mode and its flush sink, and the log file: persistence,
// crash safety (the log cut at every kind of point keeps exactly the last completed
// flush), spill, compaction, reset, a foreign base refused.
#include <doctest/doctest.h>

#include "tests/storage/storage_test_util.h"
#include "vm/fs/overlay.h"

using namespace gb;
using namespace gb::fs;
using namespace gbtest;

namespace {
std::unique_ptr<BlockDevice> base_dev(size_t size, uint64_t seed) {
  std::vector<uint8_t> d(size);
  Rng r(seed);
  for (auto& b : d) b = uint8_t(r.next());
  return std::make_unique<MemoryDevice>(std::move(d), false);
}
std::vector<uint8_t> whole(BlockDevice* d) {
  std::vector<uint8_t> v(d->size());
  REQUIRE(d->read(0, v.data(), v.size()) == 0);
  return v;
}
}  // namespace

TEST_CASE("overlay (memory): writes never reach the base; partial blocks; sink") {
  auto ov = OverlayDevice::memory(base_dev(64 * 1024, 1), 1024);
  auto* base = static_cast<MemoryDevice*>(ov->base());
  std::vector<uint8_t> orig = base->data();
  std::vector<uint8_t> model = orig;
  Rng r(2);
  for (int i = 0; i < 500; i++) {
    uint64_t off = r.below(model.size());
    size_t len = size_t(std::min<uint64_t>(model.size() - off, 1 + r.below(5000)));
    std::vector<uint8_t> d(len);
    for (auto& b : d) b = uint8_t(r.next());
    REQUIRE(ov->write(off, d.data(), len) == 0);
    std::memcpy(model.data() + off, d.data(), len);
  }
  CHECK(whole(ov.get()) == model);
  CHECK(base->data() == orig);
  ReadInfo ri;
  uint8_t b;
  REQUIRE(ov->read(0, &b, 1, &ri) == 0);
  CHECK(ov->write(model.size() - 1, "ab", 2) == -LX_EIO);
  // sink: gets the changed blocks once
  std::map<uint64_t, std::vector<uint8_t>> store;
  int calls = 0;
  ov->set_flush_sink([&](const std::vector<std::pair<uint64_t, const uint8_t*>>& blocks) {
    calls++;
    for (auto& p : blocks) store[p.first].assign(p.second, p.second + 1024);
    return 0;
  });
  REQUIRE(ov->flush() == 0);
  CHECK(store.size() == ov->block_count());
  REQUIRE(ov->flush() == 0);
  CHECK(calls == 1);  // nothing new
  REQUIRE(ov->write(5000, "x", 1) == 0);
  model[5000] = 'x';
  store.clear();
  REQUIRE(ov->flush() == 0);
  CHECK(store.size() == 1);
  CHECK(store.count(4));
  // a new overlay loaded from the store shows the same image
  auto ov2 = OverlayDevice::memory(std::make_unique<MemoryDevice>(orig, false), 1024);
  ov->set_flush_sink(nullptr);
  REQUIRE(ov->for_each_block([&](uint64_t blk, const uint8_t* d) { return ov2->put_block(blk, d); }) == 0);
  CHECK(whole(ov2.get()) == model);
  REQUIRE(ov->reset() == 0);
  CHECK(whole(ov.get()) == orig);
}

#ifndef __EMSCRIPTEN__
TEST_CASE("overlay (log file): persistence, crash safety at every cut, compaction, reset") {
  TmpDir t;
  const size_t size = 256 * 1024;
  const uint32_t bs = 1024;
  std::string path = t / "ov";
  std::string err;
  std::vector<std::vector<uint8_t>> snapshots;  // device content after each flush
  std::vector<uint64_t> log_ends;               // log size after each flush
  {
    std::unique_ptr<OverlayDevice> ov;
    REQUIRE(OverlayDevice::open_file(base_dev(size, 3), path, "sha256:abc", bs, &ov, &err) == 0);
    ov->set_compact_slack(1ull << 40);  // no compaction here: the cut points below need a growing log
    snapshots.push_back(whole(ov.get()));
    log_ends.push_back(ov->stats().log_bytes);
    Rng r(4);
    for (int round = 0; round < 40; round++) {
      int n = 1 + int(r.below(20));
      for (int i = 0; i < n; i++) {
        uint64_t off = r.below(size - 3000);
        std::vector<uint8_t> d(1 + r.below(3000));
        for (auto& b : d) b = uint8_t(r.next());
        REQUIRE(ov->write(off, d.data(), d.size()) == 0);
      }
      REQUIRE(ov->flush() == 0);
      snapshots.push_back(whole(ov.get()));
      log_ends.push_back(ov->stats().log_bytes);
    }
    // unflushed writes at the end: lost in a crash
    REQUIRE(ov->write(100, "lost", 4) == 0);
  }
  auto full = read_file(path);
  REQUIRE(full.size() == log_ends.back());
  // cut the log at many points (and add garbage after some cuts)
  Rng r(5);
  std::vector<uint64_t> cuts = {0, 100, 511, 512, 513, full.size(), full.size() - 1};
  for (uint64_t e : log_ends) {
    cuts.push_back(e);
    cuts.push_back(e + 1);
    if (e > 40) cuts.push_back(e - 33);
  }
  for (int i = 0; i < 60; i++) cuts.push_back(r.below(full.size()));
  int checked = 0;
  for (uint64_t cut : cuts) {
    if (cut > full.size()) continue;
    std::vector<uint8_t> part(full.begin(), full.begin() + long(cut));
    if (r.chance(30))
      for (int k = 0; k < 100; k++) part.push_back(uint8_t(r.next()));
    write_file(t / "cut", part);
    std::unique_ptr<OverlayDevice> ov;
    int rc = OverlayDevice::open_file(base_dev(size, 3), t / "cut", "sha256:abc", bs, &ov, &err);
    if (cut < 512) {  // the header itself is damaged: refused, never misread
      if (rc == 0) CHECK(whole(ov.get()) == snapshots[0]);
      continue;
    }
    REQUIRE_MESSAGE(rc == 0, err);
    size_t k = 0;
    while (k + 1 < log_ends.size() && log_ends[k + 1] <= cut) k++;
    REQUIRE_MESSAGE(whole(ov.get()) == snapshots[k], "cut at " << cut << " should show flush " << k);
    // and it keeps working: write, flush, reopen
    REQUIRE(ov->write(7, "after", 5) == 0);
    REQUIRE(ov->flush() == 0);
    auto expect = snapshots[k];
    std::memcpy(expect.data() + 7, "after", 5);
    ov.reset();
    REQUIRE(OverlayDevice::open_file(base_dev(size, 3), t / "cut", "sha256:abc", bs, &ov, &err) == 0);
    CHECK(whole(ov.get()) == expect);
    checked++;
  }
  CHECK(checked > 80);
  // the full log reopens as the last flush
  std::unique_ptr<OverlayDevice> ov;
  REQUIRE(OverlayDevice::open_file(base_dev(size, 3), path, "sha256:abc", bs, &ov, &err) == 0);
  CHECK(whole(ov.get()) == snapshots.back());
  // a different image or block size is refused
  std::unique_ptr<OverlayDevice> other;
  CHECK(OverlayDevice::open_file(base_dev(size, 3), path, "sha256:def", bs, &other, &err) == -LX_EINVAL);
  CHECK(err.find("sha256:abc") != std::string::npos);
  CHECK(OverlayDevice::open_file(base_dev(size * 2, 3), path, "", bs, &other, &err) == -LX_EINVAL);
  CHECK(OverlayDevice::open_file(base_dev(size, 3), path, "", 4096, &other, &err) == -LX_EINVAL);
  // compaction: rewrite the same blocks until the log is compacted
  ov->set_compact_slack(64 * 1024);
  for (int i = 0; i < 200; i++) {
    uint8_t v = uint8_t(i);
    REQUIRE(ov->write(uint64_t(i % 8) * bs, &v, 1) == 0);
    REQUIRE(ov->flush() == 0);
  }
  CHECK(ov->stats().compactions > 0);
  auto now = whole(ov.get());
  ov.reset();
  REQUIRE(OverlayDevice::open_file(base_dev(size, 3), path, "sha256:abc", bs, &ov, &err) == 0);
  CHECK(whole(ov.get()) == now);
  // spill: many dirty blocks go to the log before the flush; a crash before the
  // flush keeps the previous state
  ov->set_dirty_limit(8 * bs);
  std::vector<uint8_t> big(100 * bs, 0xAB);
  REQUIRE(ov->write(0, big.data(), big.size()) == 0);
  CHECK(ov->stats().log_bytes > 90 * bs);
  auto before_flush = now;
  ov.reset();  // crash: no flush
  REQUIRE(OverlayDevice::open_file(base_dev(size, 3), path, "sha256:abc", bs, &ov, &err) == 0);
  CHECK(whole(ov.get()) == before_flush);
  REQUIRE(ov->write(0, big.data(), big.size()) == 0);
  REQUIRE(ov->flush() == 0);
  ov.reset();
  REQUIRE(OverlayDevice::open_file(base_dev(size, 3), path, "sha256:abc", bs, &ov, &err) == 0);
  auto v = whole(ov.get());
  CHECK(std::memcmp(v.data(), big.data(), big.size()) == 0);
  // reset: back to the base, persistently
  REQUIRE(ov->reset() == 0);
  CHECK(whole(ov.get()) == snapshots[0]);
  ov.reset();
  REQUIRE(OverlayDevice::open_file(base_dev(size, 3), path, "sha256:abc", bs, &ov, &err) == 0);
  CHECK(whole(ov.get()) == snapshots[0]);
  CHECK(ov->block_count() == 0);
  // not an overlay
  write_file(t / "junk", std::vector<uint8_t>(4096, 1));
  CHECK(OverlayDevice::open_file(base_dev(size, 3), t / "junk", "", bs, &other, &err) == -LX_EINVAL);
}
#endif
