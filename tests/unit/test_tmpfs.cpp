// tests/unit/test_tmpfs.cpp — the memory file system (vm/fs/tmpfs.h): files with holes
// and truncation, directories and link counts, symlinks through the real Vfs (mounted
// at /tmp over another tmpfs), hard links, unlinked-open files, every rename rule
// (replace, EISDIR/ENOTDIR/ENOTEMPTY, own subtree, NOREPLACE, EXCHANGE, EXDEV),
// permissions and owners (setgid directories, chown clears setuid), timestamps with a
// fake clock, statfs and the ENOSPC limits, and a randomized comparison against a model.
#include <doctest/doctest.h>

#include <map>
#include <random>

#include "vm/fs/tmpfs.h"

using namespace gb;

namespace {
struct Clock {
  int64_t t = 1000;
  Timespec now() { return {t, 5}; }
};

std::shared_ptr<TmpFs> fresh(Clock* c = nullptr, TmpfsOptions o = TmpfsOptions()) {
  auto fs = TmpFs::create(o);
  if (c) fs->set_clock([c] { return c->now(); });
  return fs;
}
Stat st_of(const InodeRef& n) {
  Stat s;
  REQUIRE(n->getattr(s) == 0);
  return s;
}
InodeRef get(const InodeRef& dir, const std::string& name) {
  InodeRef out;
  REQUIRE(dir->lookup(name, out) == 0);
  return out;
}
std::string read_all(Inode& n) {
  std::string s;
  char buf[3000];
  for (uint64_t off = 0;;) {
    int64_t k = n.read(off, buf, sizeof buf);
    if (k <= 0) break;
    s.append(buf, size_t(k));
    off += uint64_t(k);
  }
  return s;
}
std::vector<std::string> names(const InodeRef& d) {
  std::vector<DirEntry> ents;
  REQUIRE(d->readdir(ents) == 0);
  std::vector<std::string> out;
  for (auto& e : ents) out.push_back(e.name);
  return out;
}
}  // namespace

TEST_CASE("tmpfs: regular files, holes, truncate, blocks") {
  auto fs = fresh();
  auto root = fs->root();
  Stat rs = st_of(root);
  CHECK(rs.mode == (LS_IFDIR | 01777));
  CHECK(rs.nlink == 2);
  CHECK(rs.dev == 0x1a);
  InodeRef f;
  REQUIRE(root->create("a", 0644, f) == 0);
  CHECK(root->create("a", 0644, f) == -LX_EEXIST);
  CHECK(f->write(0, "hello", 5) == 5);
  CHECK(read_all(*f) == "hello");
  // a write far away leaves a hole that reads as zeros and costs no pages
  CHECK(f->write(1 << 20, "x", 1) == 1);
  Stat s = st_of(f);
  CHECK(s.size == (1 << 20) + 1);
  CHECK(s.blocks == 16);  // two 4 KiB pages
  CHECK(fs->bytes_used() == 8192);
  char buf[16];
  CHECK(f->read(4090, buf, 16) == 16);
  CHECK(std::string(buf, 16) == std::string(16, '\0'));
  CHECK(f->read((1 << 20) + 1, buf, 16) == 0);
  // truncate down inside a page: the tail reads as zero after growing again
  REQUIRE(f->truncate(3) == 0);
  CHECK(st_of(f).size == 3);
  CHECK(fs->bytes_used() == 4096);
  REQUIRE(f->truncate(10) == 0);
  CHECK(read_all(*f) == std::string("hel") + std::string(7, '\0'));
  REQUIRE(f->truncate(0) == 0);
  CHECK(fs->bytes_used() == 0);
  CHECK(f->truncate(TmpFs::kMaxFileSize + 1) == -LX_EFBIG);
  CHECK(f->write(TmpFs::kMaxFileSize, "x", 1) == -LX_EFBIG);
  // data operations on the wrong kinds
  CHECK(root->read(0, buf, 1) == -LX_EISDIR);
  CHECK(root->write(0, buf, 1) == -LX_EISDIR);
  CHECK(f->lookup("x", f) == -LX_ENOTDIR);
  InodeRef g;
  CHECK(f->create("x", 0644, g) == -LX_ENOTDIR);
  // names
  CHECK(root->create(std::string(256, 'n'), 0644, g) == -LX_ENAMETOOLONG);
  CHECK(root->create(std::string(255, 'n'), 0644, g) == 0);
  CHECK(root->lookup(std::string(256, 'n'), g) == -LX_ENAMETOOLONG);
  CHECK(root->lookup("missing", g) == -LX_ENOENT);
}

TEST_CASE("tmpfs: directories, link counts, readdir, rmdir, removed cwd") {
  auto fs = fresh();
  auto root = fs->root();
  REQUIRE(root->mkdir("d", 0755) == 0);
  CHECK(root->mkdir("d", 0755) == -LX_EEXIST);
  CHECK(st_of(root).nlink == 3);
  auto d = get(root, "d");
  CHECK(st_of(d).mode == (LS_IFDIR | 0755));
  REQUIRE(d->mkdir("e", 0700) == 0);
  CHECK(st_of(d).nlink == 3);
  auto e = get(d, "e");
  CHECK((get(e, "..") == d));
  CHECK((get(d, "..") == root));
  CHECK((get(root, "..") == root));
  InodeRef f;
  REQUIRE(d->create("f", 0600, f) == 0);
  CHECK(names(d) == std::vector<std::string>{".", "..", "e", "f"});
  CHECK(st_of(d).size == 20 * 4);
  CHECK(root->rmdir("d") == -LX_ENOTEMPTY);
  CHECK(d->rmdir("f") == -LX_ENOTDIR);
  CHECK(d->unlink("e") == -LX_EISDIR);
  CHECK(d->unlink("nope") == -LX_ENOENT);
  REQUIRE(d->unlink("f") == 0);
  REQUIRE(d->rmdir("e") == 0);
  CHECK(st_of(d).nlink == 2);
  CHECK(st_of(e).nlink == 0);
  // a removed directory (someone's cwd) cannot be listed and refuses new names
  InodeRef x;
  CHECK(e->create("x", 0644, x) == -LX_ENOENT);
  CHECK(e->mkdir("x", 0755) == -LX_ENOENT);
  std::vector<DirEntry> gone;
  CHECK(e->readdir(gone) == -LX_ENOENT);
  REQUIRE(root->rmdir("d") == 0);
  CHECK(st_of(root).nlink == 2);
  CHECK(fs->inodes_used() >= 1);
}

TEST_CASE("tmpfs: symlinks, hard links, device nodes, unlinked open files") {
  auto fs = fresh();
  auto root = fs->root();
  REQUIRE(root->mkdir("dir", 0755) == 0);
  InodeRef f;
  REQUIRE(get(root, "dir")->create("file", 0644, f) == 0);
  REQUIRE(f->write(0, "data\n", 5) == 5);
  REQUIRE(root->symlink("rel", "dir/file") == 0);
  REQUIRE(root->symlink("loop", "loop") == 0);
  CHECK(root->symlink("empty", "") == -LX_ENOENT);
  CHECK(root->symlink("long", std::string(4096, 'a')) == -LX_ENAMETOOLONG);
  auto l = get(root, "rel");
  CHECK(l->is_symlink());
  std::string t;
  REQUIRE(l->readlink(t) == 0);
  CHECK(t == "dir/file");
  CHECK(st_of(l).size == 8);
  CHECK(f->readlink(t) == -LX_EINVAL);
  // through the VFS: /tmp is a tmpfs mounted on another tmpfs
  auto top = fresh();
  REQUIRE(top->root()->mkdir("tmp", 0755) == 0);
  Vfs v(top);
  REQUIRE(v.mount("/tmp", fs) == 0);
  Loc loc;
  ResolveOpts o;
  REQUIRE(v.resolve(v.root(), v.root(), "/tmp/rel", o, loc) == 0);
  CHECK(loc.path == "/tmp/dir/file");
  CHECK(read_all(*loc.node) == "data\n");
  REQUIRE(v.resolve(v.root(), v.root(), "/tmp/dir/../rel", o, loc) == 0);
  CHECK((loc.node == f));
  CHECK(v.resolve(v.root(), v.root(), "/tmp/loop", o, loc) == -LX_ELOOP);
  REQUIRE(v.resolve(v.root(), v.root(), "/tmp/..", o, loc) == 0);
  CHECK(loc.path == "/");
  // hard links
  REQUIRE(root->link("hard", *f) == 0);
  CHECK(st_of(f).nlink == 2);
  CHECK((get(root, "hard") == f));
  CHECK(root->link("hard", *f) == -LX_EEXIST);
  CHECK((root->link("dirlink", *get(root, "dir")) == -LX_EPERM));
  CHECK(root->link("other", *top->root()->fs()->root()) == -LX_EXDEV);
  // unlinked while open: still readable and writable, memory freed with the last ref
  REQUIRE(get(root, "dir")->unlink("file") == 0);
  REQUIRE(root->unlink("hard") == 0);
  CHECK(st_of(f).nlink == 0);
  CHECK(root->link("again", *f) == -LX_ENOENT);
  CHECK(f->write(5, "more", 4) == 4);
  CHECK(read_all(*f) == "data\nmore");
  const uint64_t before = fs->inodes_used();
  l.reset();
  loc = Loc();
  f.reset();
  CHECK(fs->inodes_used() == before - 1);
  CHECK(fs->bytes_used() == 0);
  // device nodes and FIFOs
  REQUIRE(root->mknod("null", LS_IFCHR | 0666, 0x103) == 0);
  REQUIRE(root->mknod("fifo", LS_IFIFO | 0600, 0) == 0);
  REQUIRE(root->mknod("plain", 0644, 0) == 0);
  CHECK(root->mknod("bad", LS_IFDIR | 0755, 0) == -LX_EINVAL);
  Stat s = st_of(get(root, "null"));
  CHECK(s.mode == (LS_IFCHR | 0666));
  CHECK(s.rdev == 0x103);
  CHECK(st_of(get(root, "fifo")).mode == (LS_IFIFO | 0600));
  CHECK(get(root, "plain")->is_reg());
  char c;
  CHECK((get(root, "fifo")->read(0, &c, 1) == -LX_EINVAL));
}

TEST_CASE("tmpfs: rename rules") {
  auto fs = fresh();
  auto root = fs->root();
  InodeRef a, b;
  REQUIRE(root->create("a", 0644, a) == 0);
  REQUIRE(root->create("b", 0644, b) == 0);
  REQUIRE(root->mkdir("d", 0755) == 0);
  REQUIRE(root->mkdir("e", 0755) == 0);
  auto d = get(root, "d"), e = get(root, "e");
  REQUIRE(d->mkdir("sub", 0755) == 0);
  auto sub = get(d, "sub");
  // file over file: the old target loses a link
  REQUIRE(root->rename("a", *root, "b", 0) == 0);
  CHECK((get(root, "b") == a));
  CHECK(st_of(b).nlink == 0);
  CHECK(root->lookup("a", b) == -LX_ENOENT);
  CHECK(root->rename("a", *root, "c", 0) == -LX_ENOENT);
  // same inode under two names: a no-op that keeps both
  REQUIRE(root->link("b2", *a) == 0);
  REQUIRE(root->rename("b", *root, "b2", 0) == 0);
  CHECK((get(root, "b") == a));
  CHECK((get(root, "b2") == a));
  CHECK(root->rename("b", *root, "b", 0) == 0);
  // kinds
  CHECK(root->rename("b", *root, "d", 0) == -LX_EISDIR);
  CHECK(root->rename("d", *root, "b", 0) == -LX_ENOTDIR);
  CHECK(root->rename("e", *root, "d", 0) == -LX_ENOTEMPTY);
  CHECK(root->rename("d", *sub, "x", 0) == -LX_EINVAL);   // into its own subtree
  CHECK(root->rename("d", *d, "x", 0) == -LX_EINVAL);
  CHECK(root->rename("b", *root, "b2", LRENAME_NOREPLACE) == -LX_EEXIST);  // even for the same inode (Linux)
  InodeRef c;
  REQUIRE(root->create("c", 0644, c) == 0);
  CHECK(root->rename("c", *root, "b", LRENAME_NOREPLACE) == -LX_EEXIST);
  CHECK(root->rename("c", *root, "b", LRENAME_NOREPLACE | LRENAME_EXCHANGE) == -LX_EINVAL);
  CHECK(root->rename("c", *root, "zz", LRENAME_EXCHANGE) == -LX_ENOENT);
  CHECK(root->rename("c", *root, "b", 8) == -LX_EINVAL);
  // a directory moves: link counts and ".."
  REQUIRE(d->rename("sub", *e, "moved", 0) == 0);
  CHECK(st_of(d).nlink == 2);
  CHECK(st_of(e).nlink == 3);
  CHECK((get(sub, "..") == e));
  // a directory over an empty directory
  REQUIRE(e->mkdir("empty", 0755) == 0);
  auto empty = get(e, "empty");
  REQUIRE(e->rename("moved", *e, "empty", 0) == 0);
  CHECK((get(e, "empty") == sub));
  CHECK(st_of(empty).nlink == 0);
  CHECK(st_of(e).nlink == 3);
  // exchange a file and a directory across directories
  REQUIRE(root->rename("c", *e, "empty", LRENAME_EXCHANGE) == 0);
  CHECK((get(root, "c") == sub));
  CHECK((get(e, "empty") == c));
  CHECK((get(sub, "..") == root));
  CHECK(st_of(e).nlink == 2);
  CHECK(st_of(root).nlink == 5);  // d, e, c (the exchanged directory) + 2
  // another file system
  auto other = fresh();
  CHECK(root->rename("b", *other->root(), "b", 0) == -LX_EXDEV);
  CHECK(root->rename("b", *c, "x", 0) == -LX_ENOTDIR);
}

TEST_CASE("tmpfs: permissions, owners, setgid directories, timestamps") {
  Clock clk;
  auto fs = fresh(&clk);
  uint32_t uid = 1000, gid = 1000;
  fs->set_creds([&](uint32_t* u, uint32_t* g) {
    *u = uid;
    *g = gid;
  });
  auto root = fs->root();
  InodeRef f;
  REQUIRE(root->create("f", 06755, f) == 0);
  Stat s = st_of(f);
  CHECK(s.uid == 1000);
  CHECK(s.gid == 1000);
  CHECK(s.mode == (LS_IFREG | 06755));
  CHECK(s.mtime.sec == 1000);
  CHECK(s.mtime.nsec == 5);
  clk.t = 2000;
  REQUIRE(f->chown(0, 0xFFFFFFFFu) == 0);
  s = st_of(f);
  CHECK(s.uid == 0);
  CHECK(s.gid == 1000);
  CHECK(s.mode == (LS_IFREG | 0755));  // setuid and (group-executable) setgid dropped
  CHECK(s.ctime.sec == 2000);
  CHECK(s.mtime.sec == 1000);
  REQUIRE(f->chmod(LS_IFDIR | 02640) == 0);  // the type bits are not changeable
  CHECK(st_of(f).mode == (LS_IFREG | 02640));
  REQUIRE(f->chown(0xFFFFFFFFu, 50) == 0);
  CHECK(st_of(f).mode == (LS_IFREG | 02640));  // setgid without group exec stays (mandatory locking mark)
  // setgid directory: group and bit inherited
  REQUIRE(root->mkdir("shared", 02775) == 0);
  auto sh = get(root, "shared");
  REQUIRE(sh->chown(0, 77) == 0);
  CHECK(st_of(sh).mode == (LS_IFDIR | 02775));  // directories keep setgid on chown
  InodeRef g;
  REQUIRE(sh->create("g", 0644, g) == 0);
  CHECK(st_of(g).gid == 77);
  CHECK(st_of(g).uid == 1000);
  REQUIRE(sh->mkdir("sub", 0755) == 0);
  CHECK(st_of(get(sh, "sub")).mode == (LS_IFDIR | 02755));
  CHECK(st_of(get(sh, "sub")).gid == 77);
  // timestamps: data changes, namespace changes, utimens, relatime reads
  clk.t = 3000;
  REQUIRE(g->write(0, "x", 1) == 1);
  s = st_of(g);
  CHECK(s.mtime.sec == 3000);
  CHECK(s.ctime.sec == 3000);
  clk.t = 3100;
  InodeRef h;
  REQUIRE(sh->create("h", 0644, h) == 0);
  CHECK(st_of(sh).mtime.sec == 3100);
  clk.t = 3200;
  REQUIRE(sh->unlink("h") == 0);
  CHECK(st_of(sh).mtime.sec == 3200);
  CHECK(st_of(h).ctime.sec == 3200);
  Timespec at{100, 1}, mt{200, 2}, omit{0, kUtimeOmit}, now{0, kUtimeNow};
  REQUIRE(g->utimens(&at, &mt) == 0);
  s = st_of(g);
  CHECK(s.atime.sec == 100);
  CHECK(s.atime.nsec == 1);
  CHECK(s.mtime.sec == 200);
  CHECK(s.ctime.sec == 3200);
  clk.t = 3300;
  REQUIRE(g->utimens(&omit, &now) == 0);
  s = st_of(g);
  CHECK(s.atime.sec == 100);
  CHECK(s.mtime.sec == 3300);
  REQUIRE(g->utimens(nullptr, nullptr) == 0);
  CHECK(st_of(g).atime.sec == 100);
  // relatime: a read updates atime when it is not newer than mtime
  clk.t = 3400;
  char c;
  REQUIRE(g->read(0, &c, 1) == 1);
  CHECK(st_of(g).atime.sec == 3400);
  clk.t = 3500;
  REQUIRE(g->read(0, &c, 1) == 1);
  CHECK(st_of(g).atime.sec == 3400);  // already newer than mtime/ctime: unchanged
  clk.t = 3400 + 86400;
  REQUIRE(g->read(0, &c, 1) == 1);
  CHECK(st_of(g).atime.sec == 3400 + 86400);  // a day old: updated
}

TEST_CASE("tmpfs: statfs and the limits") {
  TmpfsOptions o;
  o.max_bytes = 16 * 4096;
  o.max_inodes = 8;
  auto fs = fresh(nullptr, o);
  auto root = fs->root();
  lx_statfs sf;
  REQUIRE(fs->statfs(sf) == 0);
  CHECK(sf.f_type == 0x01021994);
  CHECK(sf.f_bsize == 4096);
  CHECK(sf.f_blocks == 16);
  CHECK(sf.f_bfree == 16);
  CHECK(sf.f_files == 8);
  CHECK(sf.f_ffree == 7);  // the root
  CHECK(sf.f_namelen == 255);
  InodeRef f;
  REQUIRE(root->create("big", 0644, f) == 0);
  std::string blob(20 * 4096, 'z');
  CHECK(f->write(100, blob.data(), blob.size()) == 16 * 4096 - 100);  // partial write up to the limit
  CHECK(f->write(16 * 4096, "y", 1) == -LX_ENOSPC);
  CHECK(f->write(0, "overwrite in place", 18) == 18);  // existing pages need no space
  REQUIRE(fs->statfs(sf) == 0);
  CHECK(sf.f_bfree == 0);
  CHECK(sf.f_bavail == 0);
  REQUIRE(f->truncate(4096) == 0);
  REQUIRE(fs->statfs(sf) == 0);
  CHECK(sf.f_bfree == 15);
  InodeRef g;
  for (int i = 0; i < 6; i++) REQUIRE(root->create("f" + std::to_string(i), 0644, g) == 0);
  CHECK(root->create("one-too-many", 0644, g) == -LX_ENOSPC);
  CHECK(root->mkdir("dir", 0755) == -LX_ENOSPC);
  REQUIRE(root->unlink("f0") == 0);
  g.reset();  // the last one created was f5; f0 is gone for good now
  REQUIRE(root->mkdir("dir", 0755) == 0);
  CHECK(std::string(fs->type_name()) == "tmpfs");
  CHECK((make_tmpfs() != nullptr));
}

TEST_CASE("tmpfs: random operations agree with a model") {
  // A flat model: path -> contents for files, "" marker set for directories.
  auto fs = fresh();
  std::map<std::string, std::string> files;
  std::map<std::string, bool> dirs{{"", true}};
  std::mt19937 rng(12345);
  auto pick = [&](int n) { return int(rng() % unsigned(n)); };
  auto dir_of = [&](const std::string& path) {
    InodeRef cur = fs->root();
    size_t s = 0;
    while (s < path.size()) {
      size_t e = path.find('/', s);
      if (e == std::string::npos) e = path.size();
      InodeRef nx;
      REQUIRE(cur->lookup(path.substr(s, e - s), nx) == 0);
      cur = nx;
      s = e + 1;
    }
    return cur;
  };
  auto random_dir = [&]() {
    auto it = dirs.begin();
    std::advance(it, pick(int(dirs.size())));
    return it->first;
  };
  auto join = [](const std::string& d, const std::string& n) { return d.empty() ? n : d + "/" + n; };
  for (int step = 0; step < 3000; step++) {
    const std::string d = random_dir();
    const std::string name = "n" + std::to_string(pick(12));
    const std::string p = join(d, name);
    InodeRef dn = dir_of(d);
    const bool is_file = files.count(p), is_dir = dirs.count(p);
    switch (pick(6)) {
      case 0: {  // create + write at a random offset
        InodeRef f;
        int rc = dn->create(name, 0644, f);
        if (is_file || is_dir) {
          CHECK(rc == -LX_EEXIST);
          break;
        }
        REQUIRE(rc == 0);
        std::string data(size_t(pick(9000)), char('a' + pick(26)));
        uint64_t off = uint64_t(pick(20000));
        REQUIRE(f->write(off, data.data(), data.size()) == int64_t(data.size()));
        std::string m(off + data.size(), '\0');
        m.replace(off, data.size(), data);
        if (data.empty()) m.clear();
        files[p] = m;
        break;
      }
      case 1:  // mkdir
        if (dirs.size() > 40) break;
        CHECK(dn->mkdir(name, 0755) == (is_file || is_dir ? -LX_EEXIST : 0));
        if (!is_file) dirs[p] = true;
        break;
      case 2:  // unlink
        CHECK(dn->unlink(name) == (is_file ? 0 : is_dir ? -LX_EISDIR : -LX_ENOENT));
        files.erase(p);
        break;
      case 3: {  // truncate
        if (!is_file) break;
        uint64_t sz = uint64_t(pick(15000));
        REQUIRE(get(dn, name)->truncate(sz) == 0);
        files[p].resize(sz, '\0');
        break;
      }
      case 4: {  // rename a file to another directory
        if (!is_file) break;
        const std::string d2 = random_dir();
        const std::string n2 = "n" + std::to_string(pick(12));
        const std::string p2 = join(d2, n2);
        int rc = dn->rename(name, *dir_of(d2), n2, 0);
        if (dirs.count(p2)) {
          CHECK(rc == -LX_EISDIR);
        } else {
          REQUIRE(rc == 0);
          std::string data = files[p];
          files.erase(p);
          files[p2] = data;
        }
        break;
      }
      case 5: {  // rmdir
        if (!is_dir) break;
        bool empty = true;
        for (auto& [k, v] : files) empty = empty && k.rfind(p + "/", 0) != 0;
        for (auto& [k, v] : dirs) empty = empty && k.rfind(p + "/", 0) != 0;
        CHECK(dn->rmdir(name) == (empty ? 0 : -LX_ENOTEMPTY));
        if (empty) dirs.erase(p);
        break;
      }
    }
  }
  uint64_t pages = 0;
  for (auto& [p, data] : files) {
    size_t sl = p.rfind('/');
    InodeRef f = get(dir_of(sl == std::string::npos ? "" : p.substr(0, sl)), sl == std::string::npos ? p : p.substr(sl + 1));
    CHECK(read_all(*f) == data);
    pages += uint64_t(st_of(f).blocks / 8);
  }
  CHECK(fs->bytes_used() == pages * 4096);
  for (auto& [p, v] : dirs) {
    if (p.empty()) continue;
    int subdirs = 0;
    for (auto& [q, w] : dirs)
      if (q.rfind(p + "/", 0) == 0 && q.find('/', p.size() + 1) == std::string::npos) subdirs++;
    CHECK(st_of(dir_of(p)).nlink == uint64_t(2 + subdirs));
  }
}
