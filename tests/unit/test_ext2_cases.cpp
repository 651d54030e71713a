// tests/unit/test_ext2_cases.cpp — focused ext2 cases: large directories and readdir
// cookies, running out of blocks and inodes, unlinked-but-open inodes, extended
// attribute blocks, truncate edge cases, directory moves, read-only mounts, and the
// read trace + read-ahead counters over a chunked device. Native only (mke2fs, e2fsck).
#include <doctest/doctest.h>

#include "tests/storage/storage_test_util.h"
#ifndef __EMSCRIPTEN__
#include "tests/storage/storage_tree.h"
#endif
#include "vm/fs/ext2.h"
#include "vm/fs/overlay.h"

using namespace gb;
using namespace gb::fs;
using namespace gbtest;

#ifndef __EMSCRIPTEN__
namespace {
struct Fs {
  TmpDir t;
  std::unique_ptr<OverlayDevice> dev;
  std::unique_ptr<Ext2> fs;
  std::string log;
  // an image from `root` (or empty) with mke2fs options, over a memory overlay
  bool make(const std::string& root, uint32_t bs, uint64_t kib, const std::string& opts = "") {
    if (mkfs(root, t / "img", bs, kib, opts, &log) != 0) return false;
    return mount(bs);
  }
  bool mount(uint32_t bs, bool ro = false) {
    FileDevice* fd = nullptr;
    if (FileDevice::open(t / "img", false, &fd, &log) != 0) return false;
    dev = OverlayDevice::memory(std::unique_ptr<BlockDevice>(fd), bs);
    Ext2Options o;
    o.read_only = ro;
    return Ext2::mount(dev.get(), o, &fs, &log) == 0;
  }
  // sync, export base + overlay, e2fsck -fn
  int check() {
    if (fs->sync() != 0) return -1;
    if (export_image(dev.get(), t / "out", &log) != 0) return -1;
    return fsck(t / "out", &log);
  }
};
}  // namespace

TEST_CASE("ext2: large directories, readdir cookies, deletions and reuse") {
  if (!have_e2fsprogs()) return;
  for (uint32_t bs : {1024u, 4096u}) {
    CAPTURE(bs);
    Fs f;
    REQUIRE_MESSAGE(f.make("", bs, 64 * 1024, bs == 1024 ? "-O ^filetype" : ""), f.log);
    uint32_t d;
    REQUIRE(f.fs->mkdir(Ext2::kRootIno, "big", 0755, 0, 0, &d) == 0);
    const int n = 6000;
    auto name = [](int i) { return "file-with-a-longish-name-" + std::to_string(i * 7919 % 100003); };
    for (int i = 0; i < n; i++) {
      uint32_t ino;
      REQUIRE(f.fs->create(d, name(i), 0644, 0, 0, &ino) == 0);
    }
    Ext2Stat st;
    REQUIRE(f.fs->stat(d, &st) == 0);
    CHECK(st.size > 40 * uint64_t(bs));  // spans many blocks
    // delete every third, rename every fifth, re-create some
    std::set<std::string> want;
    for (int i = 0; i < n; i++) {
      if (i % 3 == 0) {
        REQUIRE(f.fs->unlink(d, name(i)) == 0);
      } else if (i % 5 == 0) {
        REQUIRE(f.fs->rename(d, name(i), d, "renamed-" + std::to_string(i)) == 0);
        want.insert("renamed-" + std::to_string(i));
      } else {
        want.insert(name(i));
      }
    }
    for (int i = 0; i < 500; i++) {
      uint32_t ino;
      REQUIRE(f.fs->create(d, "again" + std::to_string(i), 0644, 0, 0, &ino) == 0);
      want.insert("again" + std::to_string(i));
    }
    for (auto& w : want) {
      uint32_t ino;
      REQUIRE_MESSAGE(f.fs->lookup(d, w, &ino) == 0, w);
    }
    // readdir in small steps via cookies sees every name once
    std::set<std::string> seen;
    uint64_t cookie = 0;
    int calls = 0;
    while (true) {
      int got = 0;
      uint64_t next = cookie;
      REQUIRE(f.fs->readdir(d, cookie, [&](const Ext2DirEntry& e) {
        CHECK(seen.insert(e.name).second);
        next = e.next;
        return ++got < 37;
      }) == 0);
      calls++;
      if (got == 0) break;
      cookie = next;
    }
    CHECK(calls > 100);
    seen.erase(".");
    seen.erase("..");
    CHECK(seen == want);
    REQUIRE(f.fs->stat(d, &st) == 0);
    CHECK(st.nlink == 2);
    CHECK_MESSAGE(f.check() == 0, f.log);
  }
}

TEST_CASE("ext2: out of blocks and out of inodes, then everything freed again") {
  if (!have_e2fsprogs()) return;
  Fs f;
  REQUIRE_MESSAGE(f.make("", 1024, 2048, "-N 64"), f.log);
  Ext2StatFs s0;
  f.fs->statfs(&s0);
  // blocks: one file grows until the device is full
  uint32_t big;
  REQUIRE(f.fs->create(Ext2::kRootIno, "big", 0644, 0, 0, &big) == 0);
  std::vector<uint8_t> chunk(50000, 0x42);
  uint64_t off = 0;
  int64_t n;
  while ((n = f.fs->write(big, off, chunk.data(), chunk.size())) == int64_t(chunk.size())) off += uint64_t(n);
  if (n > 0) off += uint64_t(n);
  CHECK(f.fs->write(big, off, chunk.data(), chunk.size()) == -LX_ENOSPC);
  Ext2StatFs s1;
  f.fs->statfs(&s1);
  CHECK(s1.free_blocks == 0);
  Ext2Stat st;
  REQUIRE(f.fs->stat(big, &st) == 0);
  CHECK(st.size == off);
  uint32_t x;
  CHECK(f.fs->mkdir(Ext2::kRootIno, "nodir", 0755, 0, 0, &x) == -LX_ENOSPC);  // needs a block
  CHECK_MESSAGE(f.check() == 0, f.log);
  // the data reads back
  std::vector<uint8_t> back(chunk.size());
  REQUIRE(f.fs->read(big, off - 1000, back.data(), 1000) == 1000);
  CHECK(back[0] == 0x42);
  REQUIRE(f.fs->unlink(Ext2::kRootIno, "big") == 0);
  // inodes: empty files until none is left
  int made = 0;
  while (f.fs->create(Ext2::kRootIno, "f" + std::to_string(made), 0644, 0, 0, &x) == 0) made++;
  CHECK(f.fs->create(Ext2::kRootIno, "one-more", 0644, 0, 0, &x) == -LX_ENOSPC);
  CHECK(made > 40);
  f.fs->statfs(&s1);
  CHECK(s1.free_inodes == 0);
  CHECK_MESSAGE(f.check() == 0, f.log);
  for (int i = 0; i < made; i++) REQUIRE(f.fs->unlink(Ext2::kRootIno, "f" + std::to_string(i)) == 0);
  Ext2StatFs s2;
  f.fs->statfs(&s2);
  CHECK(s2.free_inodes == s0.free_inodes);
  CHECK(s2.free_blocks >= s0.free_blocks - 2);  // the root directory may have grown
  CHECK_MESSAGE(f.check() == 0, f.log);
}

TEST_CASE("ext2: an unlinked inode lives until its last unref") {
  if (!have_e2fsprogs()) return;
  Fs f;
  REQUIRE(f.make("", 4096, 8192));
  Ext2StatFs s0;
  f.fs->statfs(&s0);
  uint32_t ino, d;
  REQUIRE(f.fs->create(Ext2::kRootIno, "tmpfile", 0600, 0, 0, &ino) == 0);
  REQUIRE(f.fs->write(ino, 0, "still here", 10) == 10);
  REQUIRE(f.fs->mkdir(Ext2::kRootIno, "cwd", 0755, 0, 0, &d) == 0);
  f.fs->ref(ino);
  f.fs->ref(d);
  REQUIRE(f.fs->unlink(Ext2::kRootIno, "tmpfile") == 0);
  REQUIRE(f.fs->rmdir(Ext2::kRootIno, "cwd") == 0);
  char buf[10];
  CHECK(f.fs->read(ino, 0, buf, 10) == 10);
  CHECK(f.fs->write(ino, 10, "!", 1) == 1);
  Ext2Stat st;
  REQUIRE(f.fs->stat(ino, &st) == 0);
  CHECK(st.nlink == 0);
  uint32_t x;
  CHECK(f.fs->create(d, "in-removed-dir", 0644, 0, 0, &x) == -LX_ENOENT);
  f.fs->unref(ino);
  f.fs->unref(d);
  Ext2StatFs s1;
  f.fs->statfs(&s1);
  CHECK(s1.free_inodes == s0.free_inodes);
  CHECK(s1.free_blocks == s0.free_blocks);
  CHECK_MESSAGE(f.check() == 0, f.log);
}

TEST_CASE("ext2: files with extended attribute blocks can be deleted cleanly") {
  if (!have_e2fsprogs()) return;
  Fs f;
  std::string root = f.t / "root";
  sh("mkdir -p '" + root + "' && echo a > '" + root + "/a' && echo b > '" + root + "/b'");
  int rc = sh("python3 -c \"import os; [os.setxattr('" + root + "/' + n, 'user.note', b'x' * 300) for n in 'ab']\" 2>/dev/null");
  if (rc != 0) {
    MESSAGE("no user xattrs on this host file system: skipped");
    return;
  }
  REQUIRE_MESSAGE(f.make(root, 1024, 4096, "-I 128 -O ext_attr"), f.log);
  uint32_t a, b;
  REQUIRE(f.fs->lookup(Ext2::kRootIno, "a", &a) == 0);
  REQUIRE(f.fs->lookup(Ext2::kRootIno, "b", &b) == 0);
  Ext2Stat st;
  REQUIRE(f.fs->stat(a, &st) == 0);
  CHECK(st.blocks == 4);  // one data block + the attribute block, in 512-byte units
  REQUIRE(f.fs->truncate(a, 0) == 0);
  REQUIRE(f.fs->stat(a, &st) == 0);
  CHECK(st.blocks == 2);  // the attribute block stays
  CHECK_MESSAGE(f.check() == 0, f.log);
  REQUIRE(f.fs->unlink(Ext2::kRootIno, "a") == 0);
  REQUIRE(f.fs->rename(Ext2::kRootIno, "b", Ext2::kRootIno, "lost+found") == -LX_EISDIR);
  REQUIRE(f.fs->unlink(Ext2::kRootIno, "b") == 0);
  CHECK_MESSAGE(f.check() == 0, f.log);
}

TEST_CASE("ext2: truncate edge cases and sparse triple-indirect files free every block") {
  if (!have_e2fsprogs()) return;
  Fs f;
  REQUIRE(f.make("", 1024, 32 * 1024));
  Ext2StatFs s0;
  f.fs->statfs(&s0);
  uint32_t ino;
  REQUIRE(f.fs->create(Ext2::kRootIno, "t", 0644, 0, 0, &ino) == 0);
  std::vector<uint8_t> d(5000, 0xCC);
  REQUIRE(f.fs->write(ino, 0, d.data(), d.size()) == 5000);
  REQUIRE(f.fs->truncate(ino, 1500) == 0);   // mid-block
  REQUIRE(f.fs->truncate(ino, 4000) == 0);   // grow again: the cut part reads as zero
  std::vector<uint8_t> r(4000);
  REQUIRE(f.fs->read(ino, 0, r.data(), r.size()) == 4000);
  for (size_t i = 0; i < 1500; i++) REQUIRE(r[i] == 0xCC);
  for (size_t i = 1500; i < 4000; i++) REQUIRE(r[i] == 0);
  // triple indirect with 1 KiB blocks starts at (12 + 256 + 65536) KiB
  const uint64_t tind = (12 + 256 + 65536) * 1024ull;
  for (uint64_t at : std::vector<uint64_t>{tind + 5, tind + 3 * 65536 * 1024ull, 1ull << 33, 12 * 1024ull, 300 * 1024ull})
    REQUIRE(f.fs->write(ino, at, d.data(), 1000) == 1000);
  Ext2Stat st;
  REQUIRE(f.fs->stat(ino, &st) == 0);
  CHECK(st.size == (1ull << 33) + 1000);
  std::vector<uint8_t> z(3000);
  REQUIRE(f.fs->read(ino, tind - 1000, z.data(), z.size()) == 3000);
  for (size_t i = 0; i < 1005; i++) REQUIRE(z[i] == 0);
  CHECK(z[1005] == 0xCC);
  CHECK_MESSAGE(f.check() == 0, f.log);
  REQUIRE(f.fs->truncate(ino, tind + 100) == 0);  // cut inside the triple-indirect tree
  REQUIRE(f.fs->read(ino, tind, z.data(), 200) == 100);
  CHECK(z[5] == 0xCC);
  CHECK_MESSAGE(f.check() == 0, f.log);
  REQUIRE(f.fs->truncate(ino, 0) == 0);
  REQUIRE(f.fs->stat(ino, &st) == 0);
  CHECK(st.blocks == 0);
  Ext2StatFs s1;
  f.fs->statfs(&s1);
  CHECK(s1.free_blocks == s0.free_blocks);
  CHECK(f.fs->write(ino, 1ull << 40, d.data(), 1) == -LX_EFBIG);  // past the 1 KiB map (16 GiB)
  CHECK_MESSAGE(f.check() == 0, f.log);
}

TEST_CASE("ext2: directory moves update '..' and link counts; POSIX rename errors") {
  if (!have_e2fsprogs()) return;
  Fs f;
  REQUIRE(f.make("", 4096, 8192));
  uint32_t a, b, c, x, file;
  REQUIRE(f.fs->mkdir(Ext2::kRootIno, "a", 0755, 0, 0, &a) == 0);
  REQUIRE(f.fs->mkdir(Ext2::kRootIno, "b", 0755, 0, 0, &b) == 0);
  REQUIRE(f.fs->mkdir(a, "c", 0755, 0, 0, &c) == 0);
  REQUIRE(f.fs->create(c, "f", 0644, 0, 0, &file) == 0);
  Ext2Stat st;
  REQUIRE(f.fs->stat(a, &st) == 0);
  CHECK(st.nlink == 3);
  REQUIRE(f.fs->rename(a, "c", b, "c2") == 0);
  REQUIRE(f.fs->lookup(c, "..", &x) == 0);
  CHECK(x == b);
  REQUIRE(f.fs->stat(a, &st) == 0);
  CHECK(st.nlink == 2);
  REQUIRE(f.fs->stat(b, &st) == 0);
  CHECK(st.nlink == 3);
  CHECK(f.fs->rename(b, "c2", c, "inside") == -LX_EINVAL);  // into itself
  CHECK(f.fs->rename(Ext2::kRootIno, "b", c, "deeper") == -LX_EINVAL);
  // a replaces an empty directory
  uint32_t e;
  REQUIRE(f.fs->mkdir(Ext2::kRootIno, "empty", 0755, 0, 0, &e) == 0);
  REQUIRE(f.fs->rename(b, "c2", Ext2::kRootIno, "empty") == 0);
  REQUIRE(f.fs->lookup(Ext2::kRootIno, "empty", &x) == 0);
  CHECK(x == c);
  CHECK(f.fs->rename(c, "f", Ext2::kRootIno, "a") == -LX_EISDIR);
  CHECK(f.fs->rename(Ext2::kRootIno, "a", c, "f") == -LX_ENOTDIR);
  CHECK(f.fs->rename(Ext2::kRootIno, "missing", c, "f") == -LX_ENOENT);
  // hard links: renaming one name onto another of the same inode is a no-op
  REQUIRE(f.fs->link(Ext2::kRootIno, "f2", file) == 0);
  REQUIRE(f.fs->rename(c, "f", Ext2::kRootIno, "f2") == 0);
  REQUIRE(f.fs->stat(file, &st) == 0);
  CHECK(st.nlink == 2);
  CHECK(f.fs->link(Ext2::kRootIno, "dirlink", a) == -LX_EPERM);
  CHECK(f.fs->unlink(Ext2::kRootIno, "a") == -LX_EISDIR);
  CHECK(f.fs->rmdir(Ext2::kRootIno, "f2") == -LX_ENOTDIR);
  CHECK(f.fs->lookup(file, "x", &x) == -LX_ENOTDIR);
  CHECK_MESSAGE(f.check() == 0, f.log);
  // read-only mount
  REQUIRE(f.mount(4096, true));
  CHECK(f.fs->read_only());
  CHECK(f.fs->create(Ext2::kRootIno, "no", 0644, 0, 0, &x) == -LX_EROFS);
  CHECK(f.fs->write(file, 0, "x", 1) == -LX_EROFS);
}

// The image as an HTTP-style chunked device: 64 KiB chunks served from memory.
static std::unique_ptr<ChunkedDevice> open_chunked(const std::vector<uint8_t>& img) {
  auto mf = std::make_unique<MemoryFetcher>();
  std::string j = chunk_image(img, 65536, mf.get());
  mf->put("manifest.json", std::vector<uint8_t>(j.begin(), j.end()));
  std::unique_ptr<ChunkedDevice> cd;
  std::string err;
  REQUIRE(ChunkedDevice::open(std::move(mf), "manifest.json", ChunkedOptions(), &cd, &err) == 0);
  return cd;
}

TEST_CASE("ext2: read trace events and read-ahead over a chunked device") {
  if (!have_e2fsprogs()) return;
  TmpDir t;
  sh("mkdir -p '" + (t / "root") + "' && head -c 3000000 /dev/urandom > '" + (t / "root") + "/big' && echo small > '" +
     (t / "root") + "/small'");
  std::string log;
  REQUIRE(mkfs(t / "root", t / "img", 4096, 16 * 1024, "", &log) == 0);
  auto img = read_file(t / "img");
  struct Run {
    uint64_t batches, chunks, events_net, events_zero;
  };
  auto run = [&](Ext2Readahead ra, bool hint) {
    std::unique_ptr<ChunkedDevice> cd = open_chunked(img);
    std::string err;
    ChunkedDevice* c = cd.get();
    auto ov = OverlayDevice::memory(std::move(cd), 4096);
    std::unique_ptr<Ext2> fs;
    Ext2Options o;
    o.readahead = ra;
    REQUIRE(Ext2::mount(ov.get(), o, &fs, &err) == 0);
    Run r{};
    std::vector<Ext2TraceEvent> evs;
    fs->set_trace([&](const Ext2TraceEvent& e) { evs.push_back(e); });
    uint32_t ino;
    REQUIRE(fs->lookup(Ext2::kRootIno, "big", &ino) == 0);
    c->reset_stats();
    if (hint) fs->prefetch_file(ino);
    std::vector<uint8_t> buf(65536);
    for (uint64_t off = 0; off < 3000000; off += buf.size())
      REQUIRE(fs->read(ino, off, buf.data(), buf.size()) > 0);
    r.batches = c->stats().fetch_batches;
    r.chunks = c->stats().chunks_fetched;
    for (auto& e : evs) {
      if (e.source == ReadSource::Network) r.events_net++;
      if (e.kind == Ext2ReadKind::Data) CHECK(e.ino == ino);
    }
    CHECK(evs.size() > 10);
    // metadata events name their kind; the root directory was read from the device
    bool dir = false;
    for (auto& e : evs) dir |= e.kind == Ext2ReadKind::Dir && e.ino == Ext2::kRootIno;
    CHECK(dir);
    return r;
  };
  Run none = run(Ext2Readahead::None, false), seq = run(Ext2Readahead::Sequential, false),
      whole = run(Ext2Readahead::WholeFile, false), hint = run(Ext2Readahead::None, true);
  CHECK(none.chunks >= 45);  // 3 MB in 64 KiB chunks
  CHECK(none.batches == none.chunks);
  CHECK(seq.chunks == none.chunks);
  CHECK(seq.batches < none.batches / 3);
  CHECK(whole.batches <= 2);
  CHECK(hint.batches <= 2);
  CHECK(none.events_net > 0);
  MESSAGE("3 MB file in 64 KiB chunks, round trips: none " << none.batches << ", sequential " << seq.batches
                                                             << ", whole file " << whole.batches);
}

TEST_CASE("ext2: write trace events name the blocks written and their chunk (the inspector's chunk map)") {
  if (!have_e2fsprogs()) return;
  TmpDir t;
  sh("mkdir -p '" + (t / "root") + "' && echo small > '" + (t / "root") + "/small'");
  std::string log;
  REQUIRE(mkfs(t / "root", t / "img", 4096, 16 * 1024, "", &log) == 0);
  auto img = read_file(t / "img");
  std::unique_ptr<ChunkedDevice> cd = open_chunked(img);
  std::string err;
  CHECK(cd->chunk_of(65536 * 3 + 5) == 3);
  CHECK(cd->chunk_of(img.size()) == -1);
  auto ov = OverlayDevice::memory(std::move(cd), 4096);
  CHECK(ov->chunk_of(65536 * 3 + 5) == 3);  // the overlay asks its base
  std::unique_ptr<Ext2> fs;
  REQUIRE(Ext2::mount(ov.get(), Ext2Options(), &fs, &err) == 0);
  std::vector<Ext2TraceEvent> evs;
  fs->set_trace([&](const Ext2TraceEvent& e) { evs.push_back(e); });
  uint32_t ino = 0, dir = 0;
  REQUIRE(fs->mkdir(Ext2::kRootIno, "d", 0755, 0, 0, &dir) == 0);
  REQUIRE(fs->create(dir, "f", 0644, 0, 0, &ino) == 0);
  std::vector<uint8_t> data(3 * 4096 + 100, 0x5a);
  REQUIRE(fs->write(ino, 0, data.data(), data.size()) == int64_t(data.size()));
  // file data: written at once, contiguous blocks as one event
  std::vector<Ext2TraceEvent> wd;
  for (auto& e : evs)
    if (e.write && e.kind == Ext2ReadKind::Data && e.ino == ino) wd.push_back(e);
  REQUIRE(!wd.empty());
  uint32_t blocks = 0;
  for (auto& e : wd) {
    blocks += e.nblocks;
    CHECK(e.chunk == int64_t(e.pblk * 4096 / 65536));
  }
  CHECK(blocks == 4);
  CHECK(wd.size() <= 2);
  CHECK(wd[0].lblk == 0);
  // metadata at sync: the new directory's block, inodes, bitmaps, the superblock
  evs.clear();
  REQUIRE(fs->sync() == 0);
  bool dir_block = false, inode = false, bitmap = false, super = false;
  for (auto& e : evs) {
    CHECK(e.write);
    CHECK(e.chunk >= 0);
    dir_block |= e.kind == Ext2ReadKind::Dir && e.ino == dir;
    inode |= e.kind == Ext2ReadKind::Inode;
    bitmap |= e.kind == Ext2ReadKind::Bitmap;
    super |= e.kind == Ext2ReadKind::Super;
  }
  CHECK(dir_block);
  CHECK(inode);
  CHECK(bitmap);
  CHECK(super);
  // the bytes are the overlay's: read back after a remount
  fs.reset();
  REQUIRE(Ext2::mount(ov.get(), Ext2Options(), &fs, &err) == 0);
  std::vector<uint8_t> back(data.size());
  REQUIRE(fs->read(ino, 0, back.data(), back.size()) == int64_t(back.size()));
  CHECK(back == data);
}
#endif
