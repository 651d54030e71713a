// tests/unit/test_ext2_vfs.cpp — ext2 as a VFS file system (vm/fs/ext2_vfs.h): path
// resolution through the real Vfs (symlinks, ".."), the Inode operations with guest
// errno values, an unlinked file that stays readable while referenced, persistence
// through the overlay file, and e2fsck on the result. Native only (needs mke2fs).
#include <doctest/doctest.h>

#include "tests/storage/storage_test_util.h"
#ifndef __EMSCRIPTEN__
#include "tests/storage/storage_tree.h"
#endif
#include "vm/fs/ext2_vfs.h"

using namespace gb;
using namespace gbtest;

#ifndef __EMSCRIPTEN__
namespace {
int resolve(Vfs& v, const std::string& path, Loc& out, bool follow = true) {
  ResolveOpts o;
  o.follow = follow;
  return v.resolve(v.root(), v.root(), path, o, out);
}
std::string read_all(Inode& n) {
  std::string s;
  char buf[4096];
  for (uint64_t off = 0;;) {
    int64_t k = n.read(off, buf, sizeof buf);
    if (k <= 0) break;
    s.append(buf, size_t(k));
    off += uint64_t(k);
  }
  return s;
}
}  // namespace

TEST_CASE("ext2 through the VFS: resolve, read, write, rename, unlink-while-open, persistence") {
  if (!have_e2fsprogs()) return;
  TmpDir t;
  sh("mkdir -p '" + (t / "root") + "/usr/lib' '" + (t / "root") + "/home/student' && echo hello > '" + (t / "root") +
     "/usr/lib/file.txt' && ln -s usr/lib '" + (t / "root") + "/lib' && ln -s ../../usr '" + (t / "root") +
     "/home/student/up'");
  std::string log;
  REQUIRE_MESSAGE(mkfs(t / "root", t / "img.ext2", 4096, 32 * 1024, "-O none,sparse_super,large_file,filetype,ext_attr", &log) == 0, log);
  Ext2FsOptions o;
  o.overlay = t / "img.overlay";
  std::string err;
  {
    auto fs = Ext2Fs::open(t / "img.ext2", o, err);
    REQUIRE_MESSAGE(fs, err);
    fs->set_creds([](uint32_t* u, uint32_t* g) {
      *u = 1000;
      *g = 1000;
    });
    Vfs v(fs);
    Loc l;
    REQUIRE(resolve(v, "/lib/file.txt", l) == 0);
    CHECK(l.path == "/usr/lib/file.txt");
    CHECK(read_all(*l.node) == "hello\n");
    REQUIRE(resolve(v, "/home/student/up/lib/../lib/file.txt", l) == 0);
    CHECK(read_all(*l.node) == "hello\n");
    CHECK(resolve(v, "/nope", l) == -LX_ENOENT);
    CHECK(resolve(v, "/usr/lib/file.txt/x", l) == -LX_ENOTDIR);
    Stat st;
    // create + write through the Inode interface
    Loc home;
    REQUIRE(resolve(v, "/home/student", home) == 0);
    InodeRef f;
    REQUIRE(home.node->create("a.c", 0644, f) == 0);
    CHECK(home.node->create("a.c", 0644, f) == -LX_EEXIST);
    const std::string text = "int main(){return 0;}\n";
    CHECK(f->write(0, text.data(), text.size()) == int64_t(text.size()));
    REQUIRE(f->getattr(st) == 0);
    CHECK(st.uid == 1000);
    CHECK(st.size == int64_t(text.size()));
    CHECK((st.mode & LS_IFMT) == LS_IFREG);
    CHECK(st.dev == fs->dev());
    REQUIRE(home.node->mkdir("sub", 0755) == 0);
    REQUIRE(home.node->symlink("link", "a.c") == 0);
    REQUIRE(resolve(v, "/home/student/link", l) == 0);
    CHECK(l.node->ino() == f->ino());  // the same inode object identity
    CHECK(l.node.get() == f.get());
    std::vector<DirEntry> ents;
    REQUIRE(home.node->readdir(ents) == 0);
    std::set<std::string> names;
    for (auto& e : ents) names.insert(e.name);
    CHECK(names == std::set<std::string>{".", "..", "a.c", "sub", "link", "up"});
    // rename into the subdirectory, with NOREPLACE
    Loc sub;
    REQUIRE(resolve(v, "/home/student/sub", sub) == 0);
    REQUIRE(home.node->rename("a.c", *sub.node, "b.c", LRENAME_NOREPLACE) == 0);
    REQUIRE(home.node->symlink("x", "y") == 0);
    CHECK(home.node->rename("x", *sub.node, "b.c", LRENAME_NOREPLACE) == -LX_EEXIST);
    CHECK(home.node->rename("x", *sub.node, "b.c", LRENAME_EXCHANGE) == -LX_EINVAL);
    CHECK(sub.node->rmdir("nothing") == -LX_ENOENT);
    CHECK(home.node->rmdir("sub") == -LX_ENOTEMPTY);
    // unlink while referenced: still readable, freed when the last reference goes
    REQUIRE(sub.node->unlink("b.c") == 0);
    CHECK(read_all(*f) == text);
    REQUIRE(f->getattr(st) == 0);
    CHECK(st.nlink == 0);
    uint64_t free_before = 0;
    lx_statfs sfs;
    fs->statfs(sfs);
    free_before = sfs.f_ffree;
    f.reset();
    l = Loc();
    fs->statfs(sfs);
    CHECK(sfs.f_ffree == free_before + 1);
    // utimens / chmod / chown
    REQUIRE(home.node->create("t", 0600, f) == 0);
    Timespec mt{123456789, 0};
    REQUIRE(f->utimens(nullptr, &mt) == 0);
    REQUIRE(f->chmod(0640) == 0);
    REQUIRE(f->chown(0xFFFFFFFFu, 50) == 0);
    REQUIRE(f->getattr(st) == 0);
    CHECK(st.mtime.sec == 123456789);
    CHECK((st.mode & 07777) == 0640);
    CHECK(st.uid == 1000);
    CHECK(st.gid == 50);
    REQUIRE(home.node->mknod("dev", LS_IFCHR | 0600, (uint64_t(1) << 8) | 3) == 0);
    REQUIRE(resolve(v, "/home/student/dev", l) == 0);
    REQUIRE(l.node->getattr(st) == 0);
    CHECK(st.rdev == ((uint64_t(1) << 8) | 3));
    CHECK(fs->statfs(sfs) == 0);
    CHECK(sfs.f_type == 0xEF53);
    CHECK(fs->sync() == 0);
  }
  // a second session sees every change
  {
    auto fs = Ext2Fs::open(t / "img.ext2", o, err);
    REQUIRE_MESSAGE(fs, err);
    Vfs v(fs);
    Loc l;
    REQUIRE(resolve(v, "/home/student/t", l) == 0);
    Stat st;
    REQUIRE(l.node->getattr(st) == 0);
    CHECK(st.mtime.sec == 123456789);
    CHECK(resolve(v, "/home/student/sub/b.c", l) == -LX_ENOENT);
    REQUIRE(resolve(v, "/home/student/x", l, false) == 0);
    CHECK(l.node->is_symlink());
    REQUIRE(fs::export_image(fs->device(), t / "out.img") == 0);
  }
  CHECK_MESSAGE(fsck(t / "out.img", &log) == 0, log);
}
#endif
