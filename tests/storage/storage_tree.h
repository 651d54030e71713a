// tests/storage/storage_tree.h — native helpers that build host trees and ext2 images
// with mke2fs for the ext2 tests, and walk host trees for comparison.
#pragma once
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <unistd.h>

#include "tests/storage/storage_test_util.h"

namespace gbtest {

// lstat-walk of a host directory, same shape as walk_ext2's result
inline void walk_host(const std::string& root, const std::string& rel, std::map<std::string, NodeInfo>* out) {
  DIR* d = opendir((root + rel).c_str());
  if (!d) return;
  std::vector<std::string> names;
  while (dirent* e = readdir(d)) {
    std::string n = e->d_name;
    if (n != "." && n != "..") names.push_back(n);
  }
  closedir(d);
  for (auto& n : names) {
    std::string p = rel + "/" + n, full = root + p;
    struct stat st;
    if (lstat(full.c_str(), &st) != 0) continue;
    NodeInfo ni;
    ni.mode = st.st_mode;
    ni.uid = st.st_uid;
    ni.gid = st.st_gid;
    ni.nlink = uint32_t(st.st_nlink);
    ni.size = S_ISDIR(st.st_mode) ? 0 : uint64_t(st.st_size);
    ni.mtime = st.st_mtime;
    ni.ino = uint32_t(st.st_ino);
    if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
      ni.rmajor = major(st.st_rdev);
      ni.rminor = minor(st.st_rdev);
    }
    if (S_ISREG(st.st_mode)) {
      ni.content_hash = sha256_hex(read_file(full));
    } else if (S_ISLNK(st.st_mode)) {
      char buf[4096];
      ssize_t k = readlink(full.c_str(), buf, sizeof buf);
      ni.content_hash.assign(buf, k > 0 ? size_t(k) : 0);
    } else if (S_ISDIR(st.st_mode)) {
      walk_host(root, p, out);
    }
    (*out)[p] = ni;
  }
}

inline bool put_bytes(const std::string& path, uint64_t off, const std::vector<uint8_t>& d) {
  int fd = open(path.c_str(), O_WRONLY | O_CREAT, 0644);
  if (fd < 0) return false;
  bool ok = pwrite(fd, d.data(), d.size(), off_t(off)) == ssize_t(d.size());
  close(fd);
  return ok;
}

inline std::vector<uint8_t> rand_bytes(Rng& r, size_t n) {
  std::vector<uint8_t> d(n);
  // compressible-ish: runs of text-like bytes mixed with random bytes
  for (size_t i = 0; i < n;) {
    uint64_t x = r.next();
    if (x & 1) {
      size_t run = std::min<size_t>(n - i, 1 + (x >> 8) % 64);
      uint8_t c = uint8_t('a' + (x >> 20) % 26);
      for (size_t k = 0; k < run; k++) d[i++] = c;
    } else {
      for (int k = 0; k < 8 && i < n; k++) d[i++] = uint8_t(x >> (8 * k));
    }
  }
  return d;
}

struct TreeOptions {
  uint32_t block_size = 4096;
  bool big_sparse = true;    // a sparse file reaching the triple-indirect range
  int big_dir_entries = 1500;
  bool devices = true;       // fifo, char and block device nodes (needs root)
};

// Builds a test tree at `root`. Deterministic for a seed.
inline void make_tree(const std::string& root, uint64_t seed, const TreeOptions& o) {
  Rng r(seed);
  const uint64_t bs = o.block_size, a = bs / 4;
  sh("mkdir -p '" + root + "/a/b/c/d/e' '" + root + "/empty' '" + root + "/big' '" + root + "/perm' '" + root +
     "/links' '" + root + "/sizes'");
  std::vector<uint64_t> sizes = {0, 1, 100, bs - 1, bs, bs + 1, 12 * bs - 1, 12 * bs, 12 * bs + 1,
                                 (12 + a) * bs - 1, (12 + a) * bs, (12 + a) * bs + 5, 3 * bs + 17};
  for (size_t i = 0; i < sizes.size(); i++)
    write_file(root + "/sizes/f" + std::to_string(i) + "_" + std::to_string(sizes[i]), rand_bytes(r, sizes[i]));
  for (int i = 0; i < 30; i++)
    write_file(root + "/a/b/c/r" + std::to_string(i), rand_bytes(r, r.below(5 * bs)));
  write_file(root + "/a/b/c/d/e/deep.txt", std::vector<uint8_t>{'d', 'e', 'e', 'p', '\n'});
  // sparse: holes at the start, in the middle, data in the triple-indirect range
  {
    std::string sp = root + "/sizes/sparse";
    uint64_t tind = (12 + a + a * a) * bs;
    put_bytes(sp, 5 * bs + 3, rand_bytes(r, 1000));
    put_bytes(sp, (12 + a + 3) * bs, rand_bytes(r, 3 * bs));
    if (o.big_sparse) put_bytes(sp, tind + 7 * bs + 11, rand_bytes(r, 2 * bs + 5));
    if (truncate(sp.c_str(), off_t((o.big_sparse ? tind : (12 + a + 10) * bs) + 20 * bs)) != 0) perror("truncate");
  }
  for (int i = 0; i < o.big_dir_entries; i++) {
    std::string name = "entry_" + std::to_string(i) + std::string(r.below(40), 'x');
    write_file(root + "/big/" + name, rand_bytes(r, r.below(64)));
  }
  write_file(root + "/big/" + std::string(255, 'L'), std::vector<uint8_t>{'l'});
  write_file(root + "/a/with space", std::vector<uint8_t>{'s'});
  write_file(root + "/a/\xc3\xa9t\xc3\xa9", std::vector<uint8_t>{'u'});
  // symlinks: fast (< 60 bytes), exactly 59 and 60, slow
  sh("ln -s ../a/b/c/d/e/deep.txt '" + root + "/links/fast'");
  sh("ln -s '" + std::string(59, 'y') + "' '" + root + "/links/s59'");
  sh("ln -s '" + std::string(60, 'z') + "' '" + root + "/links/s60'");
  sh("ln -s '/" + std::string(300, 'w') + "/target' '" + root + "/links/slow'");
  sh("ln -s nowhere '" + root + "/links/dangling'");
  // hard links
  write_file(root + "/links/hard1", rand_bytes(r, 3000));
  sh("ln '" + root + "/links/hard1' '" + root + "/links/hard2' && ln '" + root + "/links/hard1' '" + root +
     "/a/hard3'");
  // permissions and owners
  write_file(root + "/perm/suid", std::vector<uint8_t>{'x'});
  sh("chmod 4755 '" + root + "/perm/suid'");
  write_file(root + "/perm/private", std::vector<uint8_t>{'p'});
  sh("chmod 600 '" + root + "/perm/private'");
  sh("mkdir '" + root + "/perm/sticky' && chmod 1777 '" + root + "/perm/sticky'");
  write_file(root + "/perm/student", std::vector<uint8_t>{'s'});
  sh("chown 1000:1000 '" + root + "/perm/student' 2>/dev/null; chown 65534:65534 '" + root +
     "/perm/private' 2>/dev/null; chown 70000:70001 '" + root + "/perm/suid' 2>/dev/null");
  if (o.devices) {
    sh("mkfifo '" + root + "/perm/fifo'");
    sh("mknod '" + root + "/perm/chr' c 1 3 2>/dev/null; mknod '" + root + "/perm/blk' b 8 1 2>/dev/null; mknod '" +
       root + "/perm/bigdev' c 300 70000 2>/dev/null");
  }
  sh("touch -d '2001-02-03 04:05:06' '" + root + "/a/b/c/r1' 2>/dev/null");
}

// mke2fs -t ext2 -d root img size (KiB). Returns the exit code; the output goes to *log.
inline int mkfs(const std::string& root, const std::string& img, uint32_t bs, uint64_t size_kib,
                const std::string& extra = "", std::string* log = nullptr) {
  std::string out;
  std::string cmd = "rm -f '" + img + "' && " + e2tool("mke2fs") + " -q -F -t ext2 -b " + std::to_string(bs) + " " +
                    extra + (root.empty() ? "" : " -d '" + root + "'") + " '" + img + "' " +
                    std::to_string(size_kib) + "k";
  int rc = sh_out(cmd, &out);
  if (log) *log = cmd + "\n" + out;
  return rc;
}

// e2fsck -fn; 0 when clean
inline int fsck(const std::string& img, std::string* log = nullptr) {
  std::string out;
  int rc = sh_out(e2tool("e2fsck") + " -fn '" + img + "'", &out);
  if (log) *log = out;
  return rc;
}

}  // namespace gbtest
