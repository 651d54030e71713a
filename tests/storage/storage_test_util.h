// tests/storage/storage_test_util.h — helpers shared by the storage unit tests
// (tests/unit/test_ext2*.cpp, test_blockdev*.cpp), the fuzzer and storage_tool.
//
//   TmpDir               a private directory under $TMPDIR, removed afterwards
//   sh(cmd)              runs a shell command natively (-1 under Emscripten)
//   have_e2fsprogs()     mke2fs, e2fsck available (the ext2 image tests need them)
//   read_file/write_file whole host files
//   gzip_store()         a valid gzip member made of stored DEFLATE blocks (no zlib)
//   chunk_image()        an image -> MemoryFetcher files + Manifest, like tools/mkimage
//   Rng                  small deterministic PRNG (splitmix64)
//   walk_ext2()          every path of a mounted Ext2 with its attributes and content hash
#pragma once
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "vm/fs/blockdev.h"
#include "vm/fs/chunked.h"
#include "vm/fs/chunked_sha256.h"
#include "vm/fs/ext2.h"
#include "vm/fs/inflate.h"

namespace gbtest {

struct Rng {
  uint64_t s;
  explicit Rng(uint64_t seed) : s(seed * 0x9E3779B97F4A7C15ull + 1) {}
  uint64_t next() {
    uint64_t z = (s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  uint64_t below(uint64_t n) { return n ? next() % n : 0; }
  bool chance(unsigned pct) { return below(100) < pct; }
};

inline int sh(const std::string& cmd) {
#ifdef __EMSCRIPTEN__
  (void)cmd;
  return -1;
#else
  int rc = std::system(cmd.c_str());
  if (rc == -1) return -1;
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : 128;
#endif
}

// runs cmd, returns its exit code and stdout+stderr
inline int sh_out(const std::string& cmd, std::string* out) {
#ifdef __EMSCRIPTEN__
  (void)cmd;
  out->clear();
  return -1;
#else
  out->clear();
  FILE* f = popen((cmd + " 2>&1").c_str(), "r");
  if (!f) return -1;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) out->append(buf, n);
  int rc = pclose(f);
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : 128;
#endif
}

inline bool have_e2fsprogs() {
#ifdef __EMSCRIPTEN__
  return false;
#else
  static int have = -1;
  if (have < 0)
    have = sh("command -v mke2fs >/dev/null 2>&1 && command -v e2fsck >/dev/null 2>&1 || "
              "test -x /usr/sbin/mke2fs -a -x /usr/sbin/e2fsck") == 0;
  return have == 1;
#endif
}

inline std::string e2tool(const char* name) {
  std::string p = std::string("/usr/sbin/") + name;
  return access(p.c_str(), X_OK) == 0 ? p : std::string(name);
}

struct TmpDir {
  std::string path;
  TmpDir() {
    const char* t = getenv("TMPDIR");
    std::string tmpl = std::string(t && *t ? t : "/tmp") + "/gbstorage.XXXXXX";
    std::vector<char> b(tmpl.begin(), tmpl.end());
    b.push_back(0);
    char* r = mkdtemp(b.data());
    path = r ? r : "";
  }
  ~TmpDir() {
    if (!path.empty() && !getenv("GB_KEEP_TMP")) sh("rm -rf '" + path + "'");
  }
  std::string operator/(const std::string& n) const { return path + "/" + n; }
};

inline std::vector<uint8_t> read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::vector<uint8_t>((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}
inline bool write_file(const std::string& path, const void* data, size_t n) {
  FILE* f = fopen(path.c_str(), "wb");
  if (!f) return false;
  bool ok = n == 0 || fwrite(data, 1, n, f) == n;
  return fclose(f) == 0 && ok;
}
inline bool write_file(const std::string& path, const std::vector<uint8_t>& d) {
  return write_file(path, d.data(), d.size());
}

// A gzip member holding `data` in stored (uncompressed) DEFLATE blocks.
inline std::vector<uint8_t> gzip_store(const std::vector<uint8_t>& data) {
  std::vector<uint8_t> o = {0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 255};
  size_t pos = 0;
  do {
    size_t n = std::min<size_t>(65535, data.size() - pos);
    bool last = pos + n == data.size();
    o.push_back(last ? 1 : 0);
    o.push_back(uint8_t(n));
    o.push_back(uint8_t(n >> 8));
    o.push_back(uint8_t(~n));
    o.push_back(uint8_t(~n >> 8));
    o.insert(o.end(), data.begin() + long(pos), data.begin() + long(pos + n));
    pos += n;
  } while (pos < data.size());
  uint32_t crc = gb::fs::crc32_update(0, data.data(), data.size());
  uint32_t sz = uint32_t(data.size());
  for (int i = 0; i < 4; i++) o.push_back(uint8_t(crc >> (8 * i)));
  for (int i = 0; i < 4; i++) o.push_back(uint8_t(sz >> (8 * i)));
  return o;
}

// Real DEFLATE via the host's gzip (native only); falls back to gzip_store.
inline std::vector<uint8_t> gzip_real(const std::vector<uint8_t>& data, int level = 6) {
#ifndef __EMSCRIPTEN__
  TmpDir t;
  if (!t.path.empty() && write_file(t / "in", data) &&
      sh("gzip -n -" + std::to_string(level) + " -c '" + (t / "in") + "' > '" + (t / "out.gz") + "'") == 0)
    return read_file(t / "out.gz");
#endif
  return gzip_store(data);
}

// Cuts `img` into chunks like tools/mkimage: zero chunks null, others stored raw or as
// gzip (`gz(data)` returns the member, or empty to store raw). Returns the manifest
// JSON text; the chunk files land in `f` under "chunks/".
inline std::string chunk_image(const std::vector<uint8_t>& img, uint32_t chunk_size, gb::fs::MemoryFetcher* f,
                               const std::function<std::vector<uint8_t>(const std::vector<uint8_t>&)>& gz = nullptr) {
  size_t n = (img.size() + chunk_size - 1) / chunk_size;
  std::string j = "{\"format\": \"glassbox-image\", \"version\": 1, \"image_size\": " + std::to_string(img.size()) +
                  ", \"chunk_size\": " + std::to_string(chunk_size) + ", \"chunk_count\": " + std::to_string(n) +
                  ", \"chunks_dir\": \"chunks\", \"image_id\": \"sha256:" +
                  gb::fs::Sha256::hex(img.data(), img.size()) + "\",\n \"chunks\": [\n";
  for (size_t i = 0; i < n; i++) {
    size_t off = i * chunk_size, len = std::min<size_t>(chunk_size, img.size() - off);
    std::vector<uint8_t> d(img.begin() + long(off), img.begin() + long(off + len));
    bool zero = true;
    for (uint8_t b : d)
      if (b) {
        zero = false;
        break;
      }
    if (zero) {
      j += "  null";
    } else {
      std::vector<uint8_t> stored = d;
      bool isgz = false;
      if (gz) {
        std::vector<uint8_t> c = gz(d);
        if (!c.empty()) {
          stored = c;
          isgz = true;
        }
      }
      std::string h = gb::fs::Sha256::hex(stored.data(), stored.size());
      f->put("chunks/" + h, stored);
      j += "  {\"gz\": " + std::string(isgz ? "true" : "false") + ", \"hash\": \"" + h +
           "\", \"length\": " + std::to_string(stored.size()) + "}";
    }
    j += i + 1 < n ? ",\n" : "\n";
  }
  j += " ]\n}\n";
  return j;
}

// ---------------------------------------------------------------- walking

struct NodeInfo {
  uint32_t mode = 0, uid = 0, gid = 0, nlink = 0;
  uint64_t size = 0;
  int64_t mtime = 0;
  uint32_t ino = 0;
  std::string content_hash;  // regular files: sha256 of the content; symlinks: the target
  uint32_t rmajor = 0, rminor = 0;
};

// Walks every path from the root. Returns 0 or the first -errno; `limit_bytes` caps
// how much of each file is read (fuzzing: sizes may be absurd); `max_nodes` caps the walk.
inline int walk_ext2(gb::fs::Ext2& fs, std::map<std::string, NodeInfo>* out, uint64_t limit_bytes = UINT64_MAX,
                     size_t max_nodes = SIZE_MAX, bool stop_on_error = true) {
  int first_err = 0;
  std::vector<std::pair<std::string, uint32_t>> stack = {{"", gb::fs::Ext2::kRootIno}};
  std::set<uint32_t> seen_dirs;
  std::vector<uint8_t> buf(1 << 20);
  while (!stack.empty()) {
    auto [path, dino] = stack.back();
    stack.pop_back();
    if (!seen_dirs.insert(dino).second) continue;  // a directory reached twice: a loop
    std::vector<gb::fs::Ext2DirEntry> ents;
    int rc = fs.readdir(dino, 0, [&](const gb::fs::Ext2DirEntry& e) {
      if (e.name != "." && e.name != "..") ents.push_back(e);
      return ents.size() < max_nodes;
    });
    if (rc) {
      if (!first_err) first_err = rc;
      if (stop_on_error) return rc;
      continue;
    }
    for (auto& e : ents) {
      if (out->size() >= max_nodes) return first_err;
      std::string p = path + "/" + e.name;
      gb::fs::Ext2Stat st;
      rc = fs.stat(e.ino, &st);
      if (rc) {
        if (!first_err) first_err = rc;
        if (stop_on_error) return rc;
        continue;
      }
      NodeInfo ni;
      ni.mode = st.mode;
      ni.uid = st.uid;
      ni.gid = st.gid;
      ni.nlink = st.nlink;
      ni.size = st.size;
      ni.mtime = st.mtime;
      ni.ino = e.ino;
      ni.rmajor = st.rdev_major;
      ni.rminor = st.rdev_minor;
      uint32_t t = st.mode & 0170000;
      if (t == 0100000) {
        gb::fs::Sha256 h;
        uint64_t off = 0, want = std::min<uint64_t>(st.size, limit_bytes);
        while (off < want) {
          int64_t n = fs.read(e.ino, off, buf.data(), std::min<uint64_t>(buf.size(), want - off));
          if (n < 0) {
            rc = int(n);
            break;
          }
          if (n == 0) break;
          h.update(buf.data(), size_t(n));
          off += uint64_t(n);
        }
        uint8_t d[32];
        h.finish(d);
        char hex[65];
        for (int i = 0; i < 32; i++) snprintf(hex + 2 * i, 3, "%02x", d[i]);
        ni.content_hash = hex;
      } else if (t == 0120000) {
        rc = fs.readlink(e.ino, &ni.content_hash);
      } else if (t == 0040000) {
        stack.push_back({p, e.ino});
      }
      if (rc) {
        if (!first_err) first_err = rc;
        if (stop_on_error) return rc;
      }
      (*out)[p] = ni;
    }
  }
  return first_err;
}

inline std::string sha256_hex(const std::vector<uint8_t>& d) { return gb::fs::Sha256::hex(d.data(), d.size()); }

}  // namespace gbtest
