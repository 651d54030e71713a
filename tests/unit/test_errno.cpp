// tests/unit/test_errno.cpp — one errno: every engine interface answers with Linux's
// numbers, natively and in the wasm build (where the libc's ENOENT is 44, not 2).
//
// The expected values are literals (2, 12, ...), never the host's E* macros: a host errno
// that leaked past the one translation (host_errno(), made where the host call is) would
// pass natively and fail here in node. The unit tests run in both builds (tools/test unit).
#include <doctest/doctest.h>

#include <unistd.h>

#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "vm/base/lxerrno.h"
#include "vm/fs/blockdev.h"
#include "vm/fs/ext2.h"
#include "vm/fs/hostfs.h"
#include "vm/fs/overlay.h"
#include "vm/mem/address_space.h"

using namespace gb;
using namespace gb::fs;

namespace {

// A 64 KiB ext2 file system: 1 KiB blocks, 16 inodes, an empty root and lost+found.
// Made by `E2FSPROGS_FAKE_TIME=1700000000 mke2fs -t ext2 -b 1024 -m 0 -N 16
// -O ^resize_inode,^dir_index,^ext_attr,^sparse_super -U 00000000-0000-0000-0000-000000000001
// -E hash_seed=00000000-0000-0000-0000-000000000002,root_owner=0:0 img 64` (e2fsck -fn
// clean), stored as its non-zero bytes: {offset, fill count, fill byte, hex bytes}.
struct Piece {
  uint32_t off, fill_n;
  uint8_t fill;
  const char* hex;
};
const Piece kTinyExt2[] = {
    {1024, 0, 0, "1000000040"},
    {1036, 0, 0, "2a0000000500000001"},
    {1057, 0, 0, "2000000020000010"},
    {1073, 0, 0, "f153650000ffff53ef010001"},
    {1089, 0, 0, "f15365"},
    {1100, 0, 0, "01"},
    {1108, 0, 0, "0b"},
    {1113, 0, 0, "01"},
    {1120, 0, 0, "0200000002"},
    {1143, 0, 0, "01"},
    {1275, 0, 0, "02010000000c"},
    {1289, 0, 0, "f15365"},
    {1372, 0, 0, "2000200001"},
    {1608, 0, 0, "09"},
    {2048, 0, 0, "0300000004000000050000002a00050002"},
    {3072, 0, 0, "ffff1f"},
    {3079, 0, 0, "80"},
    {3080, 1017, 0xff, ""},
    {4097, 0, 0, "07"},
    {4098, 1022, 0xff, ""},
    {5129, 0, 0, "f1536500f1536500f15365"},
    {5376, 0, 0, "ed4100000004000000f1536500f1536500f15365"},
    {5402, 0, 0, "030002"},
    {5416, 0, 0, "09"},
    {5504, 0, 0, "20"},
    {5521, 0, 0, "f15365"},
    {7680, 0, 0, "c04100000030000000f1536500f1536500f15365"},
    {7706, 0, 0, "020018"},
    {7720, 0, 0, "0a0000000b0000000c0000000d0000000e0000000f000000100000001100000012000000130000001400000015"},
    {7808, 0, 0, "20"},
    {7825, 0, 0, "f15365"},
    {9216, 0, 0, "020000000c0001022e000000020000000c0002022e2e00000b000000e8030a026c6f73742b666f756e64"},
    {10240, 0, 0, "0b0000000c0001022e00000002000000f40302022e2e"},
    {11269, 0, 0, "04"},
    {12293, 0, 0, "04"},
    {13317, 0, 0, "04"},
    {14341, 0, 0, "04"},
    {15365, 0, 0, "04"},
    {16389, 0, 0, "04"},
    {17413, 0, 0, "04"},
    {18437, 0, 0, "04"},
    {19461, 0, 0, "04"},
    {20485, 0, 0, "04"},
    {21509, 0, 0, "04"},
};

std::vector<uint8_t> tiny_ext2() {
  std::vector<uint8_t> img(64 * 1024);
  for (const Piece& p : kTinyExt2) {
    for (uint32_t i = 0; i < p.fill_n; i++) img[p.off + i] = p.fill;
    const std::string h = p.hex;
    for (size_t i = 0; i + 1 < h.size(); i += 2) img[p.off + i / 2] = uint8_t(std::stoul(h.substr(i, 2), nullptr, 16));
  }
  return img;
}

std::string missing_path() { return "/nonexistent-glassbox-dir/nothing-here"; }

}  // namespace

TEST_CASE("errno: the Linux numbers themselves") {
  CHECK(LX_ENOENT == 2);
  CHECK(LX_EIO == 5);
  CHECK(LX_ENOMEM == 12);
  CHECK(LX_EEXIST == 17);
  CHECK(LX_EINVAL == 22);
  CHECK(LX_EROFS == 30);
  CHECK(std::string(errno_name(2)) == "ENOENT");
}

TEST_CASE("errno: ext2 answers with Linux numbers") {
  MemoryDevice dev(tiny_ext2());
  std::unique_ptr<Ext2> fs;
  std::string err;
  REQUIRE_MESSAGE(Ext2::mount(&dev, Ext2Options(), &fs, &err) == 0, err);
  uint32_t ino = 0;
  CHECK(fs->lookup(Ext2::kRootIno, "lost+found", &ino) == 0);
  CHECK(fs->lookup(Ext2::kRootIno, "missing", &ino) == -2);             // ENOENT
  REQUIRE(fs->create(Ext2::kRootIno, "f", 0644, 0, 0, &ino) == 0);
  CHECK(fs->create(Ext2::kRootIno, "f", 0644, 0, 0, &ino) == -17);      // EEXIST
  CHECK(fs->lookup(ino, "x", &ino) == -20);                              // ENOTDIR
  CHECK(fs->rmdir(Ext2::kRootIno, "missing") == -2);
  CHECK(fs->create(Ext2::kRootIno, std::string(256, 'n'), 0644, 0, 0, &ino) == -36);  // ENAMETOOLONG

  MemoryDevice ro(tiny_ext2(), false);
  Ext2Options o;
  o.read_only = true;
  std::unique_ptr<Ext2> rofs;
  REQUIRE_MESSAGE(Ext2::mount(&ro, o, &rofs, &err) == 0, err);
  CHECK(rofs->create(Ext2::kRootIno, "g", 0644, 0, 0, &ino) == -30);     // EROFS

  std::vector<uint8_t> junk(64 * 1024, 0);
  MemoryDevice bad(junk);
  std::unique_ptr<Ext2> none;
  CHECK(Ext2::mount(&bad, Ext2Options(), &none, &err) == -22);          // EINVAL: no ext2 here
}

TEST_CASE("errno: block devices translate the host's errno once, where they call the host") {
  MemoryDevice m(std::vector<uint8_t>(4096));
  char b[8];
  CHECK(m.read(4095, b, 2) == -5);                                       // EIO past the end
  MemoryDevice ro(std::vector<uint8_t>(4096), false);
  CHECK(ro.write(0, b, 1) == -30);                                       // EROFS

  FileDevice* fd = nullptr;
  std::string err;
  CHECK(FileDevice::open(missing_path(), false, &fd, &err) == -2);       // host ENOENT (44 in wasm)
  std::unique_ptr<OverlayDevice> ov;
  CHECK(OverlayDevice::open_file(std::make_unique<MemoryDevice>(std::vector<uint8_t>(8192)), missing_path(), "", 4096,
                                 &ov, &err) == -2);
}

TEST_CASE("errno: hostfs translates the host's errno") {
  char tmpl[] = "/tmp/gb-errno-XXXXXX";
  REQUIRE(mkdtemp(tmpl) != nullptr);
  std::string err;
  auto fs = HostFs::open(tmpl, err);
  REQUIRE_MESSAGE(bool(fs), err);
  InodeRef out;
  CHECK(fs->root()->lookup("missing", out) == -2);                       // host ENOENT (44 in wasm)
  REQUIRE(fs->root()->mkdir("d", 0755) == 0);
  CHECK(fs->root()->mkdir("d", 0755) == -17);                            // host EEXIST (20 in wasm)
  CHECK(fs->root()->rmdir("d") == 0);
  rmdir(tmpl);
}

TEST_CASE("errno: the address space answers with Linux numbers") {
  AddressSpace as;
  const uint64_t A = 0x10000000;
  CHECK(as.map(A, 0, PROT_R, true, false, false, nullptr, 0, "") == -22);                  // EINVAL: empty
  CHECK(as.map((1ull << 47) - 4096, 2 * 4096, PROT_R, true, false, false, nullptr, 0, "") == -12);  // ENOMEM
  REQUIRE(as.map(A, 4096, PROT_R, true, false, false, nullptr, 0, "") == int64_t(A));
  CHECK(as.map(A, 4096, PROT_R, true, true, false, nullptr, 0, "") == -17);                // EEXIST: noreplace
  CHECK(as.protect(A + 4096, 4096, PROT_R) == -12);                                        // ENOMEM: unmapped
  CHECK(as.unmap(A + 1, 4096) == -22);                                                     // EINVAL: unaligned
}
