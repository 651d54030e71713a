// tests/unit/test_ext2_write.cpp — ext2 writes against a model: thousands of random
// creates, writes (appends, sparse, large), truncates, unlinks, mkdirs, rmdirs, renames,
// symlinks, hard links, chmods and chowns, with syncs and remounts in between. Every
// return code is checked against the model; at the end the image (base + overlay) must
// pass e2fsck -fn and, mounted again from the exported raw file and from the overlay
// log, show exactly the model. Native only (needs mke2fs/e2fsck).
//   GB_STORAGE_STRESS=N   number of random operations per variant (default 3000)
#include <doctest/doctest.h>

#include <array>

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

constexpr uint64_t kPage = 4096;

struct FileObj {
  char type = 'f';  // 'f' file, 'l' symlink, 'd' directory
  std::map<uint64_t, std::vector<uint8_t>> pages;  // files: page index -> 4096 bytes
  uint64_t size = 0;
  std::string target;  // symlinks
  uint32_t mode = 0644, uid = 0, gid = 0;
};
using Obj = std::shared_ptr<FileObj>;

struct Model {
  std::map<std::string, Obj> nodes;  // "/a/b" -> object ("" is the root, not stored)

  static std::string parent(const std::string& p) { return p.substr(0, p.rfind('/')); }
  static std::string base(const std::string& p) { return p.substr(p.rfind('/') + 1); }
  bool is_dir(const std::string& p) const {
    if (p.empty()) return true;
    auto it = nodes.find(p);
    return it != nodes.end() && it->second->type == 'd';
  }
  std::vector<std::string> children(const std::string& dir) const {
    std::vector<std::string> r;
    std::string pfx = dir + "/";
    for (auto it = nodes.lower_bound(pfx); it != nodes.end() && it->first.compare(0, pfx.size(), pfx) == 0; ++it)
      if (it->first.find('/', pfx.size()) == std::string::npos) r.push_back(it->first);
    return r;
  }
  uint32_t nlink(const std::string& p) const {
    const Obj& o = nodes.at(p);
    if (o->type == 'd') {
      uint32_t n = 2;
      for (auto& c : children(p))
        if (nodes.at(c)->type == 'd') n++;
      return n;
    }
    uint32_t n = 0;
    for (auto& kv : nodes)
      if (kv.second == o) n++;
    return n;
  }
  void write(const Obj& o, uint64_t off, const std::vector<uint8_t>& d) {
    for (size_t i = 0; i < d.size();) {
      uint64_t pos = off + i, pg = pos / kPage, in = pos % kPage;
      size_t n = std::min<size_t>(kPage - in, d.size() - i);
      auto& page = o->pages[pg];
      if (page.empty()) page.assign(kPage, 0);
      std::memcpy(page.data() + in, d.data() + i, n);
      i += n;
    }
    if (!d.empty()) o->size = std::max<uint64_t>(o->size, off + d.size());
  }
  void truncate(const Obj& o, uint64_t size) {
    if (size < o->size) {
      for (auto it = o->pages.begin(); it != o->pages.end();) {
        if (it->first * kPage >= size) it = o->pages.erase(it);
        else ++it;
      }
      auto it = o->pages.find(size / kPage);
      if (it != o->pages.end()) std::fill(it->second.begin() + long(size % kPage), it->second.end(), 0);
    }
    o->size = size;
  }
  std::vector<uint8_t> content_range(const Obj& o, uint64_t off, uint64_t n) const {
    std::vector<uint8_t> r(n, 0);
    for (uint64_t i = 0; i < n;) {
      uint64_t pos = off + i, pg = pos / kPage, in = pos % kPage;
      uint64_t k = std::min<uint64_t>(kPage - in, n - i);
      auto it = o->pages.find(pg);
      if (it != o->pages.end()) std::memcpy(r.data() + i, it->second.data() + in, size_t(k));
      i += k;
    }
    return r;
  }
};

int resolve(Ext2& fs, const std::string& path, uint32_t* ino) {
  uint32_t cur = Ext2::kRootIno;
  size_t i = 1;
  while (i <= path.size() && !path.empty()) {
    size_t j = path.find('/', i);
    if (j == std::string::npos) j = path.size();
    int rc = fs.lookup(cur, path.substr(i, j - i), &cur);
    if (rc) return rc;
    i = j + 1;
  }
  *ino = cur;
  return 0;
}

// Compares the whole file system with the model. Returns the number of mismatches.
int verify(Ext2& fs, const Model& m, const char* when) {
  int bad = 0;
  std::map<std::string, NodeInfo> got;
  int rc = walk_ext2(fs, &got, 0);  // attributes only; contents compared below
  if (rc) {
    FAIL_CHECK(when << ": walk failed " << rc << " " << fs.last_error());
    return 1;
  }
  for (auto& kv : m.nodes) {
    auto it = got.find(kv.first);
    if (it == got.end()) {
      FAIL_CHECK(when << ": missing " << kv.first);
      bad++;
      continue;
    }
    const NodeInfo& g = it->second;
    const Obj& o = kv.second;
    uint32_t t = g.mode & 0170000;
    bool type_ok = (o->type == 'd' && t == 0040000) || (o->type == 'f' && t == 0100000) ||
                   (o->type == 'l' && t == 0120000);
    if (!type_ok || (o->type != 'l' && (g.mode & 07777) != o->mode) || g.uid != o->uid || g.gid != o->gid ||
        g.nlink != m.nlink(kv.first)) {
      FAIL_CHECK(when << ": attributes of " << kv.first << " mode " << std::oct << g.mode << " want " << o->mode
                      << std::dec << " uid " << g.uid << "/" << o->uid << " nlink " << g.nlink << "/"
                      << m.nlink(kv.first));
      bad++;
      continue;
    }
    if (o->type == 'l') {
      std::string target;
      if (fs.readlink(g.ino, &target) != 0 || target != o->target) {
        FAIL_CHECK(when << ": symlink " << kv.first);
        bad++;
      }
    } else if (o->type == 'f') {
      if (g.size != o->size) {
        FAIL_CHECK(when << ": size of " << kv.first << " " << g.size << " want " << o->size);
        bad++;
        continue;
      }
      std::vector<uint8_t> buf(1 << 16);
      for (uint64_t off = 0; off < o->size; off += buf.size()) {
        uint64_t n = std::min<uint64_t>(buf.size(), o->size - off);
        // skip the reading of long holes quickly: compare only pages the model has or
        // the first window
        bool any = off == 0;
        for (auto pit = o->pages.lower_bound(off / kPage); pit != o->pages.end() && pit->first * kPage < off + n; ++pit)
          any = true;
        if (!any) continue;
        if (fs.read(g.ino, off, buf.data(), n) != int64_t(n)) {
          FAIL_CHECK(when << ": read of " << kv.first << " failed");
          bad++;
          break;
        }
        if (std::memcmp(buf.data(), m.content_range(o, off, n).data(), size_t(n)) != 0) {
          FAIL_CHECK(when << ": content of " << kv.first << " differs near " << off);
          bad++;
          break;
        }
      }
    }
  }
  for (auto& kv : got)
    if (!m.nodes.count(kv.first) && kv.first != "/lost+found") {
      FAIL_CHECK(when << ": unexpected " << kv.first);
      bad++;
    }
  return bad;
}

struct Stress {
  Ext2* fs;
  Model m;
  Rng r;
  uint32_t bs;
  int ops = 0, errors = 0;
  std::map<std::string, int> counts;

  explicit Stress(Ext2* f, uint64_t seed, uint32_t b) : fs(f), r(seed), bs(b) {}

  std::string pick(char type, bool allow_root = false) {
    std::vector<const std::string*> c;
    for (auto& kv : m.nodes)
      if (type == '*' || kv.second->type == type) c.push_back(&kv.first);
    if (allow_root && (type == 'd' || type == '*') && (c.empty() || r.chance(20))) return "";
    if (c.empty()) return allow_root ? "" : "\x01";
    return *c[r.below(c.size())];
  }
  std::string name() {
    static const char* pre[] = {"a", "b", "file", "dir", "x_y", "long_name_for_a_file_entry", "n"};
    std::string s = pre[r.below(7)] + std::to_string(r.below(40));
    if (r.chance(3)) s += std::string(std::min<size_t>(255 - s.size(), 150 + r.below(120)), 'q');
    return s;
  }
  std::vector<std::string> recent;  // the last operations, for failure messages
  void note(const std::string& s) {
    recent.push_back(s);
    if (recent.size() > 12) recent.erase(recent.begin());
  }
  void expect(int got, int want, const std::string& what) {
    ops++;
    counts[what]++;
    if (got != want) {
      errors++;
      FAIL_CHECK(what << ": got " << got << " want " << want << " (" << fs->last_error() << ")");
    }
  }
  uint32_t ino_of(const std::string& p) {
    uint32_t ino = 0;
    int rc = resolve(*fs, p, &ino);
    REQUIRE_MESSAGE(rc == 0, "resolve " << p << ": " << rc);
    return ino;
  }

  void step() {
    int k = int(r.below(100));
    if (k < 18) {  // create
      std::string d = pick('d', true), p = d + "/" + name();
      uint32_t ino;
      int want = m.nodes.count(p) ? -LX_EEXIST : 0;
      uint32_t mode = r.chance(50) ? 0644 : 0600;
      note("create " + p);
      expect(fs->create(ino_of(d), Model::base(p), mode, 1000, 1000, &ino), want, "create");
      if (want == 0) {
        auto o = std::make_shared<FileObj>();
        o->mode = mode;
        o->uid = o->gid = 1000;
        m.nodes[p] = o;
      }
    } else if (k < 38) {  // write
      std::string p = pick('f');
      if (p == "\x01") return;
      Obj o = m.nodes[p];
      uint64_t off;
      int kind = int(r.below(10));
      if (kind < 4) off = o->size;                               // append
      else if (kind < 8) off = r.below(o->size + 2 * bs);         // overwrite / extend
      else if (kind < 9) off = r.below(300) * uint64_t(bs) * 16;  // sparse, double indirect
      else off = (r.chance(30) ? 80ull << 20 : 8ull << 20) + r.below(1 << 20);  // far: triple indirect (1K)
      size_t len = r.chance(10) ? size_t(r.below(300000)) : size_t(r.below(3 * bs));
      std::vector<uint8_t> d(len);
      for (auto& b : d) b = uint8_t(r.next());
      note("write " + p + " @" + std::to_string(off) + " +" + std::to_string(len));
      int64_t n = fs->write(ino_of(p), off, d.data(), d.size());
      expect(int(n == int64_t(len) ? 0 : (n < 0 ? n : -1)), 0, "write");
      if (n == int64_t(len)) m.write(o, off, d);
    } else if (k < 45) {  // truncate
      std::string p = pick('f');
      if (p == "\x01") return;
      Obj o = m.nodes[p];
      uint64_t size = r.chance(50) ? r.below(o->size + 1) : o->size + r.below(100000);
      note("truncate " + p + " " + std::to_string(size));
      expect(fs->truncate(ino_of(p), size), 0, "truncate");
      m.truncate(o, size);
    } else if (k < 53) {  // unlink
      std::string p = pick('*');
      if (p == "\x01" || p.empty()) return;
      int want = m.nodes[p]->type == 'd' ? -LX_EISDIR : 0;
      note("unlink " + p);
      expect(fs->unlink(ino_of(Model::parent(p)), Model::base(p)), want, "unlink");
      if (want == 0) m.nodes.erase(p);
    } else if (k < 61) {  // mkdir
      std::string d = pick('d', true), p = d + "/" + name();
      uint32_t ino;
      int want = m.nodes.count(p) ? -LX_EEXIST : 0;
      expect(fs->mkdir(ino_of(d), Model::base(p), 0755, 0, 0, &ino), want, "mkdir");
      if (want == 0) {
        auto o = std::make_shared<FileObj>();
        o->type = 'd';
        o->mode = 0755;
        m.nodes[p] = o;
      }
    } else if (k < 67) {  // rmdir
      std::string p = pick('d');
      if (p == "\x01") return;
      int want = m.children(p).empty() ? 0 : -LX_ENOTEMPTY;
      expect(fs->rmdir(ino_of(Model::parent(p)), Model::base(p)), want, "rmdir");
      if (want == 0) m.nodes.erase(p);
    } else if (k < 82) {  // rename
      std::string src = pick('*');
      if (src == "\x01" || src.empty()) return;
      std::string dd = pick('d', true);
      std::string dst = r.chance(30) && !m.children(dd).empty() ? m.children(dd)[r.below(m.children(dd).size())]
                                                                 : dd + "/" + name();
      Obj so = m.nodes[src];
      bool exists = m.nodes.count(dst) != 0;
      int want = 0;
      if (exists && m.nodes[dst] == so) want = 0;
      else if (so->type == 'd' && Model::parent(src) != dd && (dd == src || dd.compare(0, src.size() + 1, src + "/") == 0))
        want = -LX_EINVAL;
      else if (exists && so->type == 'd' && m.nodes[dst]->type != 'd') want = -LX_ENOTDIR;
      else if (exists && so->type != 'd' && m.nodes[dst]->type == 'd') want = -LX_EISDIR;
      else if (exists && so->type == 'd' && !m.children(dst).empty()) want = -LX_ENOTEMPTY;
      uint32_t sd = ino_of(Model::parent(src)), ndir = ino_of(dd);
      note("rename " + src + " -> " + dst + " want " + std::to_string(want));
      expect(fs->rename(sd, Model::base(src), ndir, Model::base(dst)), want, "rename");
      if (want == 0 && !(exists && m.nodes[dst] == so) && src != dst) {
        if (exists) m.nodes.erase(dst);
        std::map<std::string, Obj> moved;
        std::string pfx = src + "/";
        for (auto it = m.nodes.begin(); it != m.nodes.end();) {
          if (it->first == src || it->first.compare(0, pfx.size(), pfx) == 0) {
            moved[dst + it->first.substr(src.size())] = it->second;
            it = m.nodes.erase(it);
          } else {
            ++it;
          }
        }
        for (auto& kv : moved) m.nodes[kv.first] = kv.second;
      }
    } else if (k < 87) {  // symlink
      std::string d = pick('d', true), p = d + "/" + name();
      std::string target = r.chance(50) ? "t" + std::to_string(r.below(1000)) : std::string(60 + r.below(900), 's');
      if (r.chance(10)) target = std::string(59 + r.below(3), 'e');
      uint32_t ino;
      int want = m.nodes.count(p) ? -LX_EEXIST : 0;
      expect(fs->symlink(ino_of(d), Model::base(p), target, 0, 0, &ino), want, "symlink");
      if (want == 0) {
        auto o = std::make_shared<FileObj>();
        o->type = 'l';
        o->target = target;
        o->mode = 0777;
        m.nodes[p] = o;
      }
    } else if (k < 92) {  // hard link
      std::string src = pick('f');
      if (src == "\x01") return;
      std::string d = pick('d', true), p = d + "/" + name();
      int want = m.nodes.count(p) ? -LX_EEXIST : 0;
      note("link " + src + " " + p);
      expect(fs->link(ino_of(d), Model::base(p), ino_of(src)), want, "link");
      if (want == 0) m.nodes[p] = m.nodes[src];
    } else if (k < 96) {  // chmod / chown
      std::string p = pick('*');
      if (p == "\x01" || p.empty()) return;
      Obj o = m.nodes[p];
      if (o->type == 'l') return;
      if (r.chance(50)) {
        uint32_t mode = uint32_t(r.below(07777 + 1));
        expect(fs->chmod(ino_of(p), mode), 0, "chmod");
        o->mode = mode;
      } else {
        uint32_t uid = uint32_t(r.below(3) * 1000 + (r.chance(10) ? 100000 : 0));
        expect(fs->chown(ino_of(p), uid, uid + 1), 0, "chown");
        o->uid = uid;
        o->gid = uid + 1;
      }
    } else if (k < 97) {  // names that are too long
      std::string d = pick('d', true);
      uint32_t ino;
      expect(fs->create(ino_of(d), std::string(256, 'N'), 0644, 0, 0, &ino), -LX_ENAMETOOLONG, "create-toolong");
    } else {  // lookup of a missing name
      std::string d = pick('d', true);
      std::string n = "missing" + std::to_string(r.below(100));
      uint32_t ino;
      expect(fs->lookup(ino_of(d), n, &ino), m.nodes.count(d + "/" + n) ? 0 : -LX_ENOENT, "lookup");
    }
  }
};

void run_stress(uint32_t bs, const std::string& mkfs_opts, uint64_t seed, int nops) {
  TmpDir t;
  std::string log;
  // a small starting tree, then random operations on top of it
  sh("mkdir -p '" + (t / "root") + "/etc' && echo base > '" + (t / "root") + "/etc/base.txt'");
  REQUIRE_MESSAGE(mkfs(t / "root", t / "base.img", bs, 256 * 1024, mkfs_opts, &log) == 0, log);
  std::unique_ptr<OverlayDevice> ov;
  {
    FileDevice* fd = nullptr;
    REQUIRE(FileDevice::open(t / "base.img", false, &fd, &log) == 0);
    REQUIRE(OverlayDevice::open_file(std::unique_ptr<BlockDevice>(fd), t / "base.overlay", "", bs, &ov, &log) == 0);
  }
  std::unique_ptr<Ext2> fs;
  REQUIRE_MESSAGE(Ext2::mount(ov.get(), Ext2Options(), &fs, &log) == 0, log);
  Stress s(fs.get(), seed, bs);
  {
    auto base = std::make_shared<FileObj>();
    auto etc = std::make_shared<FileObj>();
    etc->type = 'd';
    etc->mode = 0755;
    base->mode = 0644;
    s.m.write(base, 0, std::vector<uint8_t>{'b', 'a', 's', 'e', '\n'});
    // owners/modes as mke2fs copied them from the host tree
    struct stat st;
    lstat((t / "root/etc").c_str(), &st);
    etc->mode = st.st_mode & 07777;
    etc->uid = st.st_uid;
    etc->gid = st.st_gid;
    lstat((t / "root/etc/base.txt").c_str(), &st);
    base->mode = st.st_mode & 07777;
    base->uid = st.st_uid;
    base->gid = st.st_gid;
    s.m.nodes["/etc"] = etc;
    s.m.nodes["/etc/base.txt"] = base;
  }
  for (int i = 0; i < nops && s.errors < 20; i++) {
    s.step();
    if (getenv("GB_STORAGE_CHECK_EVERY") && i % atoi(getenv("GB_STORAGE_CHECK_EVERY")) == 0) {
      if (verify(*fs, s.m, "step") != 0) {
        std::string r;
        for (auto& x : s.recent) r += x + "\n";
        FAIL("diverged at op " << i << ", recent:\n" << r);
      }
    }
    if (i % 997 == 996) REQUIRE(fs->sync() == 0);
    if (i % 2503 == 2502) {  // remount on the same overlay
      REQUIRE(fs->sync() == 0);
      fs.reset();
      REQUIRE_MESSAGE(Ext2::mount(ov.get(), Ext2Options(), &fs, &log) == 0, log);
      s.fs = fs.get();
    }
  }
  REQUIRE(s.errors == 0);
  CHECK(verify(*fs, s.m, "live") == 0);
  REQUIRE(fs->sync() == 0);
  // base + overlay -> raw image -> e2fsck
  REQUIRE(export_image(ov.get(), t / "out.img", &log) == 0);
  int frc = fsck(t / "out.img", &log);
  CHECK_MESSAGE(frc == 0, "e2fsck -fn:\n" << log);
  // mount the exported raw image
  {
    FileDevice* fd = nullptr;
    REQUIRE(FileDevice::open(t / "out.img", false, &fd, &log) == 0);
    std::unique_ptr<BlockDevice> d(fd);
    std::unique_ptr<Ext2> f2;
    REQUIRE_MESSAGE(Ext2::mount(d.get(), Ext2Options(), &f2, &log) == 0, log);
    CHECK(verify(*f2, s.m, "exported") == 0);
  }
  // reopen the overlay log from disk
  fs.reset();
  ov.reset();
  {
    FileDevice* fd = nullptr;
    REQUIRE(FileDevice::open(t / "base.img", false, &fd, &log) == 0);
    REQUIRE(OverlayDevice::open_file(std::unique_ptr<BlockDevice>(fd), t / "base.overlay", "", bs, &ov, &log) == 0);
    REQUIRE_MESSAGE(Ext2::mount(ov.get(), Ext2Options(), &fs, &log) == 0, log);
    CHECK(verify(*fs, s.m, "reopened overlay") == 0);
  }
  std::string summary;
  for (auto& kv : s.counts) summary += kv.first + "=" + std::to_string(kv.second) + " ";
  if (getenv("GB_VERBOSE"))
    MESSAGE("bs " << bs << " '" << mkfs_opts << "': " << s.ops << " ops (" << summary << "), " << s.m.nodes.size()
                  << " paths at the end, overlay " << ov->block_count() << " blocks");
}

int stress_ops() {
  const char* e = getenv("GB_STORAGE_STRESS");
  return e ? atoi(e) : 3000;
}

}  // namespace

TEST_CASE("ext2 write: random operations vs a model, e2fsck clean, persistent (4 KiB)") {
  if (!have_e2fsprogs()) return;
  run_stress(4096, "", 1, stress_ops());
}

TEST_CASE("ext2 write: random operations vs a model (1 KiB, no filetype, triple indirect)") {
  if (!have_e2fsprogs()) return;
  run_stress(1024, "-O ^filetype", 2, stress_ops());
}

TEST_CASE("ext2 write: random operations vs a model (2 KiB, the image's feature set)") {
  if (!have_e2fsprogs()) return;
  run_stress(2048, "-O none,sparse_super,large_file,filetype,ext_attr -I 256 -m 0", 3, stress_ops() / 2);
}

#endif  // __EMSCRIPTEN__
