// tests/fuzz/fuzz_ext2.cpp — a seeded fuzzer for the storage stack.
//
// Builds small ext2 images with mke2fs (1 KiB + filetype, 4 KiB without filetype,
// 2 KiB revision 0), records where their metadata lives, then for each case mutates a
// copy: superblock fields, group descriptors, inodes, directory entries, indirect blocks,
// bitmaps, random bytes, truncation; or (chunk cases) the stored chunk bytes (with and
// without sha256 verification, so broken gzip reaches the inflater) and the manifest
// text. Every case mounts, walks every file (reads, readlinks), then tries writes
// (create, write, mkdir, rename, unlink, truncate, symlink, link, rmdir) and sync.
// Errors and refusals are the expected outcome; a crash, a sanitizer report or a case
// running longer than the watchdog (10 s) is a failure.
//
//   fuzz_ext2 [--cases N] [--seed S] [--minutes M] [--verbose]
// Prints "fuzz: N cases (...)" and, last, "N passed, N failed" (a case = one test).
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>

#include "tests/storage/storage_test_util.h"
#include "tests/storage/storage_tree.h"
#include "vm/fs/chunked.h"
#include "vm/fs/ext2.h"
#include "vm/fs/overlay.h"

using namespace gb;
using namespace gb::fs;
using namespace gbtest;

namespace {

uint32_t e2_get32(const uint8_t* p) {
  return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24;
}
void put32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = uint8_t(v >> (8 * i));
}
void put16(uint8_t* p, uint32_t v) {
  p[0] = uint8_t(v);
  p[1] = uint8_t(v >> 8);
}

volatile sig_atomic_t g_case_seed_lo = 0;
void on_alarm(int) {
  char msg[96];
  int n = snprintf(msg, sizeof msg, "\nfuzz: HANG in the case with seed low bits %d (watchdog)\n0 passed, 1 failed\n",
                   int(g_case_seed_lo));
  if (write(2, msg, size_t(n)) < 0) {
  }
  _exit(2);
}

struct Base {
  std::string name;
  std::vector<uint8_t> img;
  uint32_t bs = 0;
  std::vector<uint64_t> sb_fields;  // byte offsets
  std::vector<uint64_t> gdt;        // byte offsets of descriptors
  std::vector<uint64_t> inodes;     // byte offsets of used inodes
  std::vector<uint32_t> dir_blocks, ind_blocks, meta_blocks;
  // chunked form
  std::map<std::string, std::vector<uint8_t>> chunk_files;
  std::string manifest;
};

bool build_base(Base* b, const std::string& dir, const std::string& name, uint32_t bs, const std::string& opts,
                uint64_t size_kib) {
  b->name = name;
  b->bs = bs;
  std::string root = dir + "/" + name + ".root", img = dir + "/" + name + ".img";
  sh("mkdir -p '" + root + "/d/sub/deeper' '" + root + "/big' '" + root + "/empty'");
  Rng r(bs);
  for (int i = 0; i < 12; i++) write_file(root + "/d/f" + std::to_string(i), rand_bytes(r, r.below(3 * bs)));
  // double indirect (single indirect with 4 KiB blocks: the image stays small)
  write_file(root + "/d/sub/indirect", rand_bytes(r, (bs <= 2048 ? 12 + bs / 4 + 5 : 52) * bs));
  write_file(root + "/d/sub/deeper/x", std::vector<uint8_t>{'x'});
  for (int i = 0; i < 120; i++) write_file(root + "/big/n" + std::to_string(i) + std::string(i % 30, 'p'), {});
  sh("ln -s short '" + root + "/d/fast' && ln -s '" + std::string(200, 'L') + "' '" + root + "/d/slow' && ln '" +
     root + "/d/f1' '" + root + "/d/hard'");
  std::string log;
  if (mkfs(root, img, bs, size_kib, opts, &log) != 0) {
    fprintf(stderr, "fuzz: mke2fs failed: %s\n", log.c_str());
    return false;
  }
  b->img = read_file(img);
  // where the metadata is: a clean mount with a trace, walked
  MemoryDevice dev(b->img, false);
  std::unique_ptr<Ext2> fs;
  std::string err;
  if (Ext2::mount(&dev, Ext2Options(), &fs, &err) != 0) {
    fprintf(stderr, "fuzz: base %s does not mount: %s\n", name.c_str(), err.c_str());
    return false;
  }
  std::set<uint32_t> dirs, inds, metas, inos;
  fs->set_trace([&](const Ext2TraceEvent& ev) {
    if (ev.write) return;  // the blocks the walk reads
    if (ev.kind == Ext2ReadKind::Dir) dirs.insert(uint32_t(ev.pblk));
    else if (ev.kind == Ext2ReadKind::Indirect) inds.insert(uint32_t(ev.pblk));
    else if (ev.kind != Ext2ReadKind::Data && ev.kind != Ext2ReadKind::Symlink) metas.insert(uint32_t(ev.pblk));
    if (ev.ino) inos.insert(ev.ino);
  });
  std::map<std::string, NodeInfo> nodes;
  if (walk_ext2(*fs, &nodes) != 0) return false;
  for (auto& kv : nodes) inos.insert(kv.second.ino);
  inos.insert(2);
  b->dir_blocks.assign(dirs.begin(), dirs.end());
  b->ind_blocks.assign(inds.begin(), inds.end());
  b->meta_blocks.assign(metas.begin(), metas.end());
  const uint8_t* sb = b->img.data() + 1024;
  uint32_t ipg = e2_get32(sb + 40), isz = e2_get32(sb + 76) ? (sb[88] | sb[89] << 8) : 128;
  uint32_t first = e2_get32(sb + 20);
  uint32_t ngroups = (e2_get32(sb + 4) - first + e2_get32(sb + 32) - 1) / e2_get32(sb + 32);
  uint64_t gdt = uint64_t(first + 1) * bs;
  for (uint32_t g = 0; g < ngroups; g++) b->gdt.push_back(gdt + g * 32);
  for (uint32_t ino : inos) {
    uint32_t g = (ino - 1) / ipg, idx = (ino - 1) % ipg;
    uint32_t table = e2_get32(b->img.data() + gdt + g * 32 + 8);
    b->inodes.push_back(uint64_t(table) * bs + uint64_t(idx) * isz);
  }
  for (uint64_t f : {0, 4, 8, 12, 16, 20, 24, 28, 32, 36, 40, 56, 58, 76, 84, 88, 92, 96, 100, 206})
    b->sb_fields.push_back(1024 + f);
  // chunked form: 16 KiB chunks, half gzip'd (real DEFLATE), half raw
  MemoryFetcher mf;
  int k = 0;
  b->manifest = chunk_image(b->img, 16384, &mf, [&](const std::vector<uint8_t>& d) {
    return (k++ % 2) ? gzip_real(d, 6) : std::vector<uint8_t>();
  });
  b->chunk_files = mf.files();
  return true;
}


uint32_t interesting(Rng& r, uint32_t orig, uint32_t hint) {
  static const uint32_t vals[] = {0, 1, 2, 3, 7, 11, 12, 0x7F, 0xFF, 0x100, 0x3FF, 0x400, 0xFFF, 0x1000,
                                  0xFFFF, 0x10000, 0x7FFFFFFF, 0x80000000u, 0xFFFFFFFEu, 0xFFFFFFFFu};
  switch (r.below(6)) {
    case 0: return vals[r.below(sizeof vals / sizeof vals[0])];
    case 1: return orig + 1;
    case 2: return orig - 1;
    case 3: return orig ^ (1u << r.below(32));
    case 4: return hint + uint32_t(r.below(5)) - 2;
    default: return uint32_t(r.next());
  }
}

// one mutation of img (which may change size)
void mutate(const Base& b, std::vector<uint8_t>& img, Rng& r, std::string* what) {
  const uint32_t bs = b.bs;
  uint32_t blocks = e2_get32(b.img.data() + 1024 + 4), inodes = e2_get32(b.img.data() + 1024);
  auto pick = [&](const std::vector<uint32_t>& v) -> uint64_t { return v.empty() ? 0 : v[r.below(v.size())]; };
  int kind = int(r.below(100));
  if (kind < 12) {  // superblock field
    uint64_t off = b.sb_fields[r.below(b.sb_fields.size())];
    put32(&img[off], interesting(r, e2_get32(&img[off]), blocks));
    *what += "sb@" + std::to_string(off - 1024) + " ";
  } else if (kind < 22) {  // group descriptor field
    uint64_t off = b.gdt[r.below(b.gdt.size())] + 4 * r.below(5);
    put32(&img[off], interesting(r, e2_get32(&img[off]), blocks));
    *what += "gd ";
  } else if (kind < 45) {  // inode field
    uint64_t ino = b.inodes[r.below(b.inodes.size())];
    static const uint32_t f[] = {0, 4, 26, 28, 32, 40, 44, 48, 84, 88, 92, 96, 100, 104, 108};
    uint64_t off = ino + f[r.below(sizeof f / sizeof f[0])];
    uint32_t hint = r.chance(50) ? blocks : inodes;
    if (off == ino || off == ino + 26) put16(&img[off], interesting(r, img[off] | img[off + 1] << 8, 0xFFFF));
    else put32(&img[off], interesting(r, e2_get32(&img[off]), hint));
    *what += "inode@" + std::to_string(off - ino) + " ";
  } else if (kind < 65) {  // directory entry
    uint64_t blk = pick(b.dir_blocks);
    if (!blk) return;
    uint64_t base = blk * bs;
    // walk to a random entry of the (possibly already mutated) block
    uint32_t off = 0, n = uint32_t(r.below(20));
    while (n-- && off + 8 <= bs) {
      uint32_t rl = img[base + off + 4] | img[base + off + 5] << 8;
      if (rl < 8 || off + rl >= bs) break;
      off += rl;
    }
    if (off + 8 > bs) off = 0;
    int field = int(r.below(4));
    if (field == 0) put32(&img[base + off], interesting(r, e2_get32(&img[base + off]), inodes));
    else if (field == 1) put16(&img[base + off + 4], interesting(r, img[base + off + 4], bs) & 0xFFFF);
    else if (field == 2) img[base + off + 6] = uint8_t(r.next());
    else img[base + off + 7] = uint8_t(r.below(10));
    *what += "dirent.f" + std::to_string(field) + " ";
  } else if (kind < 75) {  // indirect block entry
    uint64_t blk = pick(b.ind_blocks);
    if (!blk) return;
    uint64_t off = blk * bs + 4 * r.below(bs / 4);
    put32(&img[off], interesting(r, e2_get32(&img[off]), blocks));
    *what += "indirect ";
  } else if (kind < 85) {  // random bytes in a metadata block (bitmaps, inode tables)
    uint64_t blk = pick(b.meta_blocks);
    for (int i = 0; i < 1 + int(r.below(8)); i++) img[blk * bs + r.below(bs)] = uint8_t(r.next());
    *what += "meta-bytes ";
  } else if (kind < 93) {  // random bytes anywhere in the first 64 KiB
    for (int i = 0; i < 1 + int(r.below(16)); i++) img[r.below(std::min<size_t>(img.size(), 65536))] = uint8_t(r.next());
    *what += "bytes ";
  } else {  // truncation
    img.resize(size_t(r.below(img.size())));
    *what += "truncate ";
  }
}

struct Tally {
  uint64_t cases = 0, mounted = 0, refused = 0, walk_errors = 0, write_errors = 0, chunk_cases = 0, files = 0;
};

void exercise(BlockDevice* dev, Rng& r, Tally& t) {
  std::unique_ptr<Ext2> fs;
  std::string err;
  Ext2Options o;
  o.cache_blocks = 64 + r.below(200);
  if (Ext2::mount(dev, o, &fs, &err) != 0) {
    t.refused++;
    return;
  }
  t.mounted++;
  std::map<std::string, NodeInfo> nodes;
  if (walk_ext2(*fs, &nodes, 1 << 20, 3000, false) != 0) t.walk_errors++;
  t.files += nodes.size();
  // writes on whatever this file system is now
  std::vector<uint32_t> dirs = {Ext2::kRootIno}, files;
  for (auto& kv : nodes) {
    if ((kv.second.mode & 0170000) == 0040000) dirs.push_back(kv.second.ino);
    else if ((kv.second.mode & 0170000) == 0100000) files.push_back(kv.second.ino);
  }
  std::vector<uint8_t> data(1 + r.below(40000), 0x5A);
  int errs = 0;
  for (int i = 0; i < 12; i++) {
    uint32_t d = dirs[r.below(dirs.size())];
    uint32_t f = files.empty() ? 0 : files[r.below(files.size())];
    std::string n = "fz" + std::to_string(r.below(8));
    uint32_t ino = 0;
    int rc = 0;
    switch (r.below(9)) {
      case 0: rc = fs->create(d, n, 0644, 0, 0, &ino); break;
      case 1: rc = f ? int(std::min<int64_t>(0, fs->write(f, r.below(1 << 20), data.data(), data.size()))) : 0; break;
      case 2: rc = fs->mkdir(d, n, 0755, 0, 0, &ino); break;
      case 3: rc = fs->rename(d, n, dirs[r.below(dirs.size())], "fr" + std::to_string(r.below(4))); break;
      case 4: rc = fs->unlink(d, n); break;
      case 5: rc = f ? fs->truncate(f, r.below(1 << 20)) : 0; break;
      case 6: rc = fs->symlink(d, n, std::string(1 + r.below(300), 's'), 0, 0, &ino); break;
      case 7: rc = f ? fs->link(d, n, f) : 0; break;
      default: rc = fs->rmdir(d, n); break;
    }
    errs += rc < 0 && rc != -LX_EEXIST && rc != -LX_ENOENT;
  }
  if (fs->sync() != 0) errs++;
  if (errs) t.write_errors++;
  // and the walk once more after the writes
  nodes.clear();
  walk_ext2(*fs, &nodes, 1 << 16, 3000, false);
}

void run_case(const Base& b, uint64_t seed, Tally& t, bool verbose) {
  Rng r(seed);
  g_case_seed_lo = int(seed & 0x7FFFFFFF);
  alarm(10);
  std::string what;
  t.cases++;
  if (r.chance(20)) {  // chunk case
    t.chunk_cases++;
    auto mf = std::make_unique<MemoryFetcher>();
    for (auto& kv : b.chunk_files) mf->put(kv.first, kv.second);
    std::string man = b.manifest;
    ChunkedOptions co;
    co.max_attempts = 1 + int(r.below(2));
    co.cache_bytes = 16384 * (2 + r.below(30));
    int k = int(r.below(3));
    if (k == 0) {  // damage stored chunk bytes
      co.verify = r.chance(50);
      auto& files = mf->files();
      for (int i = 0; i < 1 + int(r.below(4)); i++) {
        auto it = files.begin();
        std::advance(it, long(r.below(files.size())));
        if (it->second.empty()) continue;
        if (r.chance(20)) it->second.resize(size_t(r.below(it->second.size())));
        else it->second[r.below(it->second.size())] ^= uint8_t(1 + r.below(255));
      }
      what = co.verify ? "chunk-bytes(verified) " : "chunk-bytes(unverified) ";
    } else if (k == 1) {  // damage the manifest text
      for (int i = 0; i < 1 + int(r.below(6)); i++) {
        size_t p = r.below(man.size());
        int op = int(r.below(3));
        if (op == 0) man[p] = char(r.next());
        else if (op == 1) man.erase(p, 1 + r.below(20));
        else man.insert(p, std::string(1, "0123456789{}[],:\"nul-e."[r.below(23)]));
      }
      what = "manifest ";
    } else {  // a mutated image, served as chunks
      std::vector<uint8_t> img = b.img;
      for (int i = 0; i < 1 + int(r.below(3)); i++) mutate(b, img, r, &what);
      mf = std::make_unique<MemoryFetcher>();
      man = chunk_image(img.empty() ? std::vector<uint8_t>(1, 0) : img, 16384, mf.get(),
                        [](const std::vector<uint8_t>& d) { return gzip_store(d); });
    }
    mf->put("manifest.json", std::vector<uint8_t>(man.begin(), man.end()));
    std::unique_ptr<ChunkedDevice> cd;
    std::string err;
    if (ChunkedDevice::open(std::move(mf), "manifest.json", co, &cd, &err) != 0) {
      t.refused++;
    } else {
      auto ov = OverlayDevice::memory(std::move(cd), 1024);
      exercise(ov.get(), r, t);
    }
  } else {
    std::vector<uint8_t> img = b.img;
    int n = 1 + int(r.below(r.chance(30) ? 12 : 3));
    for (int i = 0; i < n; i++) mutate(b, img, r, &what);
    auto ov = OverlayDevice::memory(std::make_unique<MemoryDevice>(std::move(img), false), 1024);
    exercise(ov.get(), r, t);
  }
  alarm(0);
  if (verbose) fprintf(stderr, "case %llu %s: %s\n", (unsigned long long)seed, b.name.c_str(), what.c_str());
}

}  // namespace

int main(int argc, char** argv) {
  uint64_t cases = 2000, seed = 1;
  double minutes = 0;
  bool verbose = false;
  for (int i = 1; i < argc; i++) {
    std::string a = argv[i];
    if (a == "--cases" && i + 1 < argc) cases = strtoull(argv[++i], nullptr, 10);
    else if (a == "--seed" && i + 1 < argc) seed = strtoull(argv[++i], nullptr, 10);
    else if (a == "--minutes" && i + 1 < argc) minutes = atof(argv[++i]);
    else if (a == "--verbose") verbose = true;
    else {
      fprintf(stderr, "usage: fuzz_ext2 [--cases N] [--seed S] [--minutes M] [--verbose]\n");
      return 2;
    }
  }
  if (!have_e2fsprogs()) {
    printf("fuzz: mke2fs not found\n0 passed, 1 failed\n");
    return 1;
  }
  signal(SIGALRM, on_alarm);
  TmpDir t;
  std::vector<Base> bases(3);
  if (!build_base(&bases[0], t.path, "1k", 1024, "", 2048) ||
      !build_base(&bases[1], t.path, "4k-nofiletype", 4096, "-O ^filetype,^resize_inode", 4096) ||
      !build_base(&bases[2], t.path, "2k-rev0", 2048, "-r 0", 2048)) {
    printf("0 passed, 1 failed\n");
    return 1;
  }
  Tally tally;
  auto t0 = std::chrono::steady_clock::now();
  auto elapsed = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(); };
  for (uint64_t i = 0; minutes > 0 ? elapsed() < minutes * 60 : i < cases; i++) {
    uint64_t s = seed * 1000003 + i;
    run_case(bases[s % bases.size()], s, tally, verbose);
  }
  printf("fuzz: %llu cases (%llu on chunked devices) in %.1f s: %llu mounted, %llu refused, %llu walks with errors, "
         "%llu with write errors, %llu files walked; no crash, no hang\n",
         (unsigned long long)tally.cases, (unsigned long long)tally.chunk_cases, elapsed(),
         (unsigned long long)tally.mounted, (unsigned long long)tally.refused, (unsigned long long)tally.walk_errors,
         (unsigned long long)tally.write_errors, (unsigned long long)tally.files);
  printf("%llu passed, 0 failed\n", (unsigned long long)tally.cases);
  return 0;
}
