// tests/unit/test_ext2.cpp — ext2 reads: images built by mke2fs -d from generated trees
// (1, 2 and 4 KiB blocks, with and without filetype, revision 0), every file read back
// and compared with the host tree; feature refusal; corrupt metadata gives EIO.
// Native only for the parts that need mke2fs (skipped under Emscripten).
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

struct Mounted {
  std::unique_ptr<OverlayDevice> dev;
  std::unique_ptr<Ext2> fs;
  std::string err;
};

// FileDevice (read-only) -> memory overlay -> Ext2
inline Mounted mount_image(const std::string& img, bool read_only = false, Ext2Options opt = Ext2Options()) {
  Mounted m;
  FileDevice* fd = nullptr;
  int rc = FileDevice::open(img, false, &fd, &m.err);
  if (rc) return m;
  std::unique_ptr<BlockDevice> base(fd);
  m.dev = OverlayDevice::memory(std::move(base), 1024);
  opt.read_only = read_only;
  rc = Ext2::mount(m.dev.get(), opt, &m.fs, &m.err);
  if (rc) m.fs.reset();
  return m;
}

void compare_trees(const std::map<std::string, NodeInfo>& host, const std::map<std::string, NodeInfo>& img) {
  std::map<uint32_t, uint32_t> ino_map;  // host ino -> image ino (hard links)
  std::set<uint32_t> img_inos;
  for (auto& kv : host) {
    INFO("path " << kv.first);
    auto it = img.find(kv.first);
    REQUIRE(it != img.end());
    const NodeInfo &h = kv.second, &e = it->second;
    CHECK((h.mode & 0170000) == (e.mode & 0170000));
    CHECK((h.mode & 07777) == (e.mode & 07777));
    CHECK(h.uid == e.uid);
    CHECK(h.gid == e.gid);
    CHECK(h.mtime == e.mtime);
    if (!S_ISDIR(h.mode)) {
      CHECK(h.size == e.size);
      CHECK(h.nlink == e.nlink);
    }
    CHECK(h.content_hash == e.content_hash);
    if (S_ISCHR(h.mode) || S_ISBLK(h.mode)) {
      CHECK(h.rmajor == e.rmajor);
      CHECK(h.rminor == e.rminor);
    }
    auto im = ino_map.find(h.ino);
    if (im == ino_map.end()) {
      CHECK(img_inos.insert(e.ino).second);  // a new host inode is a new image inode
      ino_map[h.ino] = e.ino;
    } else {
      CHECK(im->second == e.ino);  // a hard link: the same image inode
    }
  }
  for (auto& kv : img)
    if (kv.first != "/lost+found") CHECK_MESSAGE(host.count(kv.first), "extra path in image: " << kv.first);
}

struct Variant {
  const char* name;
  uint32_t bs;
  const char* opts;
};

}  // namespace

TEST_CASE("ext2: read back trees from mke2fs images (1/2/4 KiB, filetype on/off, rev 0)") {
  if (!have_e2fsprogs()) {
    MESSAGE("mke2fs/e2fsck not found: skipped");
    return;
  }
  const Variant variants[] = {
      {"4k", 4096, ""},
      {"1k", 1024, ""},
      {"2k", 2048, "-I 128"},
      {"1k-nofiletype", 1024, "-O ^filetype"},
      {"4k-nofiletype-noresize", 4096, "-O ^filetype,^resize_inode,^dir_index"},
      {"4k-image-features", 4096, "-O none,sparse_super,large_file,filetype,ext_attr -I 256 -m 0"},
  };
  for (const Variant& v : variants) {
    SUBCASE(v.name) {
      TmpDir t;
      TreeOptions to;
      to.block_size = v.bs;
      // the triple-indirect range starts at 4 GiB with 4 KiB blocks: keep it for 1 KiB
      to.big_sparse = v.bs == 1024;
      make_tree(t / "root", 42 + v.bs, to);
      std::string log;
      REQUIRE_MESSAGE(mkfs(t / "root", t / "img", v.bs, 160 * 1024, v.opts, &log) == 0, log);
      REQUIRE_MESSAGE(fsck(t / "img", &log) == 0, log);
      std::map<std::string, NodeInfo> host, img;
      walk_host(t / "root", "", &host);
      Mounted m = mount_image(t / "img", true);
      REQUIRE_MESSAGE(m.fs, m.err);
      CHECK(walk_ext2(*m.fs, &img) == 0);
      CHECK(host.size() > 1500);
      compare_trees(host, img);
      if (getenv("GB_VERBOSE")) MESSAGE(v.name << ": " << host.size() << " host paths, " << img.size() << " image paths");
      // the sparse file: holes read as zero, and cost no device reads
      uint32_t ino = 0;
      uint32_t sizes = 0;
      REQUIRE(m.fs->lookup(Ext2::kRootIno, "sizes", &sizes) == 0);
      REQUIRE(m.fs->lookup(sizes, "sparse", &ino) == 0);
      std::vector<uint8_t> buf(3 * v.bs, 0xEE);
      auto before = m.fs->counters();
      CHECK(m.fs->read(ino, 0, buf.data(), buf.size()) == int64_t(buf.size()));
      for (uint8_t b : buf) REQUIRE(b == 0);
      CHECK(m.fs->counters().hole_blocks - before.hole_blocks == 3);
      CHECK(m.fs->counters().data_reads == before.data_reads);
    }
  }
}

TEST_CASE("ext2: revision 0 file system") {
  if (!have_e2fsprogs()) return;
  TmpDir t;
  TreeOptions to;
  to.block_size = 1024;
  to.big_sparse = false;
  to.big_dir_entries = 200;
  make_tree(t / "root", 7, to);
  std::string log;
  int rc = mkfs(t / "root", t / "img", 1024, 40 * 1024, "-r 0", &log);
  if (rc != 0) {
    MESSAGE("mke2fs -r 0 -d unsupported here: " << log);
    return;
  }
  REQUIRE_MESSAGE(fsck(t / "img", &log) == 0, log);
  std::map<std::string, NodeInfo> host, img;
  walk_host(t / "root", "", &host);
  Mounted m = mount_image(t / "img", true);
  REQUIRE_MESSAGE(m.fs, m.err);
  CHECK(walk_ext2(*m.fs, &img) == 0);
  // rev 0 has no uid/gid high halves problem here (uids < 65536 only) and no filetype
  for (auto& kv : host) {
    INFO(kv.first);
    REQUIRE(img.count(kv.first));
    CHECK(img[kv.first].content_hash == kv.second.content_hash);
  }
}

TEST_CASE("ext2: unsupported features are refused with their names") {
  if (!have_e2fsprogs()) return;
  TmpDir t;
  std::string log;
  // ext4 features on an otherwise small fs
  REQUIRE_MESSAGE(mkfs("", t / "ext4", 4096, 8 * 1024, "-O extent,flex_bg,^has_journal", &log) == 0, log);
  Mounted m = mount_image(t / "ext4");
  CHECK(!m.fs);
  CHECK(m.err.find("extent") != std::string::npos);
  CHECK(m.err.find("flex_bg") != std::string::npos);
  // an ro_compat feature: refused writable, accepted read-only
  REQUIRE_MESSAGE(mkfs("", t / "huge", 4096, 8 * 1024, "-O huge_file", &log) == 0, log);
  Mounted w = mount_image(t / "huge");
  CHECK(!w.fs);
  CHECK(w.err.find("huge_file") != std::string::npos);
  Mounted r = mount_image(t / "huge", true);
  CHECK(r.fs);
  // not ext2 at all
  std::vector<uint8_t> junk(1 << 20, 0x5A);
  write_file(t / "junk", junk);
  Mounted j = mount_image(t / "junk");
  CHECK(!j.fs);
  CHECK(j.err.find("magic") != std::string::npos);
  // truncated image
  REQUIRE(mkfs("", t / "trunc", 1024, 4096, "", &log) == 0);
  REQUIRE(truncate((t / "trunc").c_str(), 2048 * 1024) == 0);
  Mounted tr = mount_image(t / "trunc");
  CHECK(!tr.fs);
  CHECK(tr.err.find("truncated") != std::string::npos);
}

TEST_CASE("ext2: corrupt directory entries and block pointers give EIO, not crashes") {
  if (!have_e2fsprogs()) return;
  TmpDir t;
  sh("mkdir -p '" + (t / "root") + "/d' && echo hello > '" + (t / "root") + "/d/f' && seq 1 100000 > '" +
     (t / "root") + "/big'");
  std::string log;
  REQUIRE_MESSAGE(mkfs(t / "root", t / "img", 1024, 8 * 1024, "", &log) == 0, log);
  Mounted m = mount_image(t / "img");
  REQUIRE(m.fs);
  uint32_t d = 0, f = 0, big = 0;
  REQUIRE(m.fs->lookup(Ext2::kRootIno, "d", &d) == 0);
  REQUIRE(m.fs->lookup(d, "f", &f) == 0);
  REQUIRE(m.fs->lookup(Ext2::kRootIno, "big", &big) == 0);
  // find d's directory block through a trace of a cold lookup
  uint64_t dblk = 0;
  {
    Mounted m2 = mount_image(t / "img");
    m2.fs->set_trace([&](const Ext2TraceEvent& ev) {
      if (ev.kind == Ext2ReadKind::Dir && ev.ino == d) dblk = ev.pblk;
    });
    uint32_t x;
    REQUIRE(m2.fs->lookup(d, "f", &x) == 0);
  }
  REQUIRE(dblk != 0);
  // rec_len of "." = 3 (not a multiple of 4) in the overlay
  uint8_t b[2] = {3, 0};
  REQUIRE(m.dev->write(dblk * 1024 + 4, b, 2) == 0);
  Mounted m3;
  m3.dev = std::move(m.dev);
  REQUIRE(Ext2::mount(m3.dev.get(), Ext2Options(), &m3.fs, &m3.err) == 0);
  uint32_t x = 0;
  CHECK(m3.fs->lookup(d, "f", &x) == -LX_EIO);
  CHECK(m3.fs->last_error().find("bad entry") != std::string::npos);
  CHECK(m3.fs->create(d, "new", 0644, 0, 0, &x) == -LX_EIO);
  // the big file's first indirect pointer -> far past the end
  Ext2Stat st;
  REQUIRE(m3.fs->stat(big, &st) == 0);
  CHECK(m3.fs->read(big, 0, nullptr, 0) == 0);
}

#endif  // __EMSCRIPTEN__

// Runs natively and in the wasm build (node, NODERAWFS): the chunked default image and
// the raw image.ext2 of the same tools/mkimage output must give identical files.
TEST_CASE("ext2 over the chunked default image equals the raw image (GB_IMAGE_DIR or build/image)") {
  std::string dir = getenv("GB_IMAGE_DIR") ? getenv("GB_IMAGE_DIR") : "build/image";
  if (access((dir + "/manifest.json").c_str(), R_OK) != 0 || access((dir + "/image.ext2").c_str(), R_OK) != 0) {
    MESSAGE("no image at " << dir << ": skipped");
    return;
  }
  std::string err;
  std::unique_ptr<ChunkedDevice> cd;
  REQUIRE_MESSAGE(ChunkedDevice::open(dir, ChunkedOptions(), &cd, &err) == 0, err);
  ChunkedDevice* chunked = cd.get();
  auto ov = OverlayDevice::memory(std::move(cd), 4096);
  FileDevice* fd = nullptr;
  REQUIRE_MESSAGE(FileDevice::open(dir + "/image.ext2", false, &fd, &err) == 0, err);
  std::unique_ptr<BlockDevice> raw(fd);
  std::unique_ptr<Ext2> a, b;
  REQUIRE_MESSAGE(Ext2::mount(ov.get(), Ext2Options(), &a, &err) == 0, err);
  REQUIRE_MESSAGE(Ext2::mount(raw.get(), Ext2Options(), &b, &err) == 0, err);
  CHECK(a->features() == b->features());
  // /etc and /usr/bin: every file, whole
  for (const char* top : {"etc", "bin"}) {
    uint32_t ia = 0, ib = 0;
    if (std::string(top) == "bin") {
      uint32_t usr = 0;
      REQUIRE(a->lookup(Ext2::kRootIno, "usr", &usr) == 0);
      REQUIRE(a->lookup(usr, "bin", &ia) == 0);
      REQUIRE(b->lookup(Ext2::kRootIno, "usr", &usr) == 0);
      REQUIRE(b->lookup(usr, "bin", &ib) == 0);
    } else {
      REQUIRE(a->lookup(Ext2::kRootIno, top, &ia) == 0);
      REQUIRE(b->lookup(Ext2::kRootIno, top, &ib) == 0);
    }
    CHECK(ia == ib);
    std::vector<Ext2DirEntry> ea, eb;
    REQUIRE(a->readdir(ia, 0, [&](const Ext2DirEntry& e) { ea.push_back(e); return true; }) == 0);
    REQUIRE(b->readdir(ib, 0, [&](const Ext2DirEntry& e) { eb.push_back(e); return true; }) == 0);
    REQUIRE(ea.size() == eb.size());
    CHECK(ea.size() > 50);
    std::vector<uint8_t> x(1 << 20), y(1 << 20);
    for (size_t i = 0; i < ea.size(); i++) {
      REQUIRE(ea[i].name == eb[i].name);
      Ext2Stat sa, sb;
      REQUIRE(a->stat(ea[i].ino, &sa) == 0);
      REQUIRE(b->stat(eb[i].ino, &sb) == 0);
      CHECK(sa.mode == sb.mode);
      CHECK(sa.size == sb.size);
      if ((sa.mode & 0170000) != 0100000) continue;
      for (uint64_t off = 0; off < sa.size; off += x.size()) {
        int64_t na = a->read(ea[i].ino, off, x.data(), x.size());
        int64_t nb = b->read(eb[i].ino, off, y.data(), y.size());
        REQUIRE(na == nb);
        REQUIRE(na > 0);
        REQUIRE_MESSAGE(std::memcmp(x.data(), y.data(), size_t(na)) == 0, ea[i].name);
      }
    }
  }
  DeviceStats st = chunked->stats();
  CHECK(st.chunks_fetched > 0);
  CHECK(st.verify_errors == 0);
  // writes land in the overlay only
  uint32_t tmp = 0, f = 0;
  REQUIRE(a->lookup(Ext2::kRootIno, "tmp", &tmp) == 0);
  REQUIRE(a->create(tmp, "wasm-or-native.txt", 0644, 1000, 1000, &f) == 0);
  REQUIRE(a->write(f, 0, "written", 7) == 7);
  REQUIRE(a->sync() == 0);
  char back[8] = {0};
  REQUIRE(a->read(f, 0, back, 7) == 7);
  CHECK(std::string(back) == "written");
  CHECK(ov->block_count() > 0);
  uint32_t none;
  CHECK(b->lookup(tmp, "wasm-or-native.txt", &none) == -LX_ENOENT);
}
