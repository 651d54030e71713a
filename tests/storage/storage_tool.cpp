// tests/storage/storage_tool.cpp — a command-line driver for the storage stack
// (debugging, the storage tests and the read-ahead measurements).
//
//   storage_tool walk    SOURCE [--overlay F]          mount, walk every file, print counts
//   storage_tool cat     SOURCE PATH [--overlay F]     print a file
//   storage_tool ls      SOURCE PATH [--overlay F]     list a directory
//   storage_tool export  SOURCE OUT [--overlay F]      base + overlay -> raw image
//   storage_tool put     SOURCE GUESTDIR HOSTPATH... --overlay F
//       copies host files (directories recursively; mode kept, owner root) into GUESTDIR
//       (created with its parents, mode 0755) through ext2 + the overlay file; the base
//       is never written. The guest test suites place their programs this way.
//   storage_tool measure SOURCE LIST [--readahead none|seq|whole] [--cache-mb N] [--trace]
//       replays LIST (lines "exec|open|dir|stat PATH", tests/storage/trace_to_list.py)
//       on a cold cache: paths are resolved (symlinks, ..), opened files are read whole
//       in 64 KiB reads (exec: after a prefetch_file hint unless --readahead none);
//       prints chunks/bytes fetched, round trips (fetch batches), cache hits.
// SOURCE: an http:// URL, a directory with manifest.json, a manifest path, or a raw
// .ext2 image.
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include "vm/fs/chunked.h"
#include "vm/fs/ext2.h"
#include "vm/fs/overlay.h"

using namespace gb::fs;

namespace {

struct Opts {
  std::string overlay;
  Ext2Readahead ra = Ext2Readahead::Sequential;
  size_t cache_mb = 64;
  bool trace = false;
  bool exec_hint = true;
};

struct Stack {
  BlockDevice* base = nullptr;
  ChunkedDevice* chunked = nullptr;
  std::unique_ptr<OverlayDevice> top;
  std::unique_ptr<Ext2> fs;
};

int open_stack(const std::string& src, const Opts& o, Stack* s, std::string* err) {
  std::unique_ptr<BlockDevice> base;
  std::string id;
  bool raw = src.size() > 5 && src.compare(src.size() - 5, 5, ".ext2") == 0;
  if (raw) {
    FileDevice* f = nullptr;
    int rc = FileDevice::open(src, false, &f, err);
    if (rc) return rc;
    base.reset(f);
  } else {
    ChunkedOptions co;
    co.cache_bytes = o.cache_mb << 20;
    std::unique_ptr<ChunkedDevice> c;
    int rc = ChunkedDevice::open(src, co, &c, err);
    if (rc) return rc;
    id = c->manifest().image_id;
    s->chunked = c.get();
    base = std::move(c);
  }
  s->base = base.get();
  if (o.overlay.empty()) {
    s->top = OverlayDevice::memory(std::move(base), 4096);
  } else {
    int rc = OverlayDevice::open_file(std::move(base), o.overlay, id, 4096, &s->top, err);
    if (rc) return rc;
  }
  Ext2Options eo;
  eo.readahead = o.ra;
  return Ext2::mount(s->top.get(), eo, &s->fs, err);
}

// Resolves an absolute path (symlinks followed, "..", at most 40 links). 0 or -errno.
int resolve(Ext2& fs, const std::string& path, uint32_t* out, bool follow = true, int depth = 0) {
  if (depth > 40) return -ELOOP;
  std::vector<uint32_t> stack = {Ext2::kRootIno};
  std::vector<std::string> parts;
  std::stringstream ss(path);
  std::string c;
  while (std::getline(ss, c, '/'))
    if (!c.empty() && c != ".") parts.push_back(c);
  for (size_t i = 0; i < parts.size(); i++) {
    if (parts[i] == "..") {
      if (stack.size() > 1) stack.pop_back();
      continue;
    }
    uint32_t ino;
    int rc = fs.lookup(stack.back(), parts[i], &ino);
    if (rc) return rc;
    Ext2Stat st;
    rc = fs.stat(ino, &st);
    if (rc) return rc;
    if ((st.mode & 0170000) == 0120000 && (follow || i + 1 < parts.size())) {
      std::string t;
      rc = fs.readlink(ino, &t);
      if (rc) return rc;
      std::string dir;
      if (t[0] != '/') {
        // the path of the directory we are in, rebuilt from the components so far
        std::vector<std::string> sofar;
        for (size_t k = 0; k < i; k++) {
          if (parts[k] == "..") {
            if (!sofar.empty()) sofar.pop_back();
          } else {
            sofar.push_back(parts[k]);
          }
        }
        for (auto& x : sofar) dir += "/" + x;
        dir += "/";
      }
      std::string rest;
      for (size_t k = i + 1; k < parts.size(); k++) rest += "/" + parts[k];
      return resolve(fs, dir + t + rest, out, follow, depth + 1);
    }
    stack.push_back(ino);
  }
  *out = stack.back();
  return 0;
}

void print_stats(const char* label, const DeviceStats& st, const Ext2::Counters& c, double secs) {
  printf("%s: chunks_fetched %llu bytes_fetched %llu round_trips %llu cache_hits %llu prefetched %llu "
         "prefetch_unused %llu meta_reads %llu data_reads %llu time %.3f s\n",
         label, (unsigned long long)st.chunks_fetched, (unsigned long long)st.bytes_fetched,
         (unsigned long long)st.fetch_batches, (unsigned long long)st.cache_hits,
         (unsigned long long)st.prefetched_chunks, (unsigned long long)st.prefetch_unused,
         (unsigned long long)c.meta_reads, (unsigned long long)c.data_reads, secs);
}

// put: copies host file or directory `host` to `name` in guest directory `dir`.
int put_path(Ext2& fs, uint32_t dir, const std::string& name, const std::string& host) {
  struct stat hs;
  if (lstat(host.c_str(), &hs) != 0) return -errno;
  uint32_t ino = 0;
  if (fs.lookup(dir, name, &ino) == 0) {  // replace an existing file (not a directory)
    Ext2Stat st;
    if (fs.stat(ino, &st) == 0 && (st.mode & 0170000) != 0040000) {
      int rc = fs.unlink(dir, name);
      if (rc) return rc;
      ino = 0;
    }
  } else {
    ino = 0;
  }
  if (S_ISDIR(hs.st_mode)) {
    if (!ino) {
      int rc = fs.mkdir(dir, name, hs.st_mode & 07777, 0, 0, &ino);
      if (rc) return rc;
    }
    DIR* d = opendir(host.c_str());
    if (!d) return -errno;
    int rc = 0;
    while (struct dirent* e = readdir(d)) {
      std::string n = e->d_name;
      if (n == "." || n == "..") continue;
      if ((rc = put_path(fs, ino, n, host + "/" + n)) != 0) break;
    }
    closedir(d);
    return rc;
  }
  if (S_ISLNK(hs.st_mode)) {
    char t[4096];
    ssize_t n = readlink(host.c_str(), t, sizeof t);
    if (n < 0) return -errno;
    return fs.symlink(dir, name, std::string_view(t, size_t(n)), 0, 0, &ino);
  }
  if (!S_ISREG(hs.st_mode)) return -EINVAL;
  int fd = ::open(host.c_str(), O_RDONLY);
  if (fd < 0) return -errno;
  int rc = fs.create(dir, name, 0100000 | (hs.st_mode & 07777), 0, 0, &ino);
  std::vector<uint8_t> buf(1 << 20);
  uint64_t off = 0;
  while (rc == 0) {
    ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n < 0) rc = -errno;
    if (n <= 0) break;
    int64_t w = fs.write(ino, off, buf.data(), uint64_t(n));
    if (w != n) rc = w < 0 ? int(w) : -EIO;
    off += uint64_t(n);
  }
  ::close(fd);
  return rc;
}

// put: creates the absolute guest directory `path` and its parents; *out its inode.
int mkdir_p(Ext2& fs, const std::string& path, uint32_t* out) {
  uint32_t cur = Ext2::kRootIno;
  std::stringstream ss(path);
  std::string c;
  while (std::getline(ss, c, '/')) {
    if (c.empty() || c == ".") continue;
    uint32_t ino;
    int rc = fs.lookup(cur, c, &ino);
    if (rc == -ENOENT) rc = fs.mkdir(cur, c, 0755, 0, 0, &ino);
    if (rc) return rc;
    cur = ino;
  }
  *out = cur;
  return 0;
}

int usage() {
  fprintf(stderr,
          "usage: storage_tool walk|cat|ls|export|put|measure SOURCE [ARG] [--overlay F] [--readahead none|seq|whole] "
          "[--cache-mb N] [--trace]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> pos;
  Opts o;
  for (int i = 1; i < argc; i++) {
    std::string a = argv[i];
    if (a == "--overlay" && i + 1 < argc) o.overlay = argv[++i];
    else if (a == "--cache-mb" && i + 1 < argc) o.cache_mb = size_t(atoi(argv[++i]));
    else if (a == "--trace") o.trace = true;
    else if (a == "--readahead" && i + 1 < argc) {
      std::string v = argv[++i];
      if (v == "none") {
        o.ra = Ext2Readahead::None;
        o.exec_hint = false;
      } else if (v == "seq") {
        o.ra = Ext2Readahead::Sequential;
      } else if (v == "whole") {
        o.ra = Ext2Readahead::WholeFile;
      } else {
        return usage();
      }
    } else pos.push_back(a);
  }
  if (pos.size() < 2) return usage();
  const std::string cmd = pos[0], src = pos[1];
  Stack s;
  std::string err;
  auto t0 = std::chrono::steady_clock::now();
  if (open_stack(src, o, &s, &err) != 0) {
    fprintf(stderr, "storage_tool: %s\n", err.c_str());
    return 1;
  }
  auto secs = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(); };
  if (o.trace)
    s.fs->set_trace([](const Ext2TraceEvent& ev) {
      printf("trace ino %u %s lblk %llu pblk %llu n %u %s fetched %llu chunk %lld\n", ev.ino,
             ext2_read_kind_name(ev.kind), (unsigned long long)ev.lblk, (unsigned long long)ev.pblk, ev.nblocks,
             ev.write ? "written" : read_source_name(ev.source), (unsigned long long)ev.bytes_fetched, (long long)ev.chunk);
    });
  if (cmd == "walk") {
    std::vector<std::pair<std::string, uint32_t>> stack = {{"", Ext2::kRootIno}};
    uint64_t files = 0, dirs = 0, bytes = 0, errors = 0;
    std::vector<uint8_t> buf(1 << 20);
    while (!stack.empty()) {
      auto [path, d] = stack.back();
      stack.pop_back();
      dirs++;
      std::vector<Ext2DirEntry> ents;
      if (s.fs->readdir(d, 0, [&](const Ext2DirEntry& e) {
            if (e.name != "." && e.name != "..") ents.push_back(e);
            return true;
          })) {
        errors++;
        continue;
      }
      for (auto& e : ents) {
        Ext2Stat st;
        if (s.fs->stat(e.ino, &st)) {
          errors++;
          continue;
        }
        if ((st.mode & 0170000) == 0040000) {
          stack.push_back({path + "/" + e.name, e.ino});
        } else if ((st.mode & 0170000) == 0100000) {
          files++;
          for (uint64_t off = 0; off < st.size;) {
            int64_t n = s.fs->read(e.ino, off, buf.data(), buf.size());
            if (n <= 0) {
              errors++;
              break;
            }
            off += uint64_t(n);
            bytes += uint64_t(n);
          }
        }
      }
    }
    printf("walk: %llu directories, %llu files, %llu bytes, %llu errors\n", (unsigned long long)dirs,
           (unsigned long long)files, (unsigned long long)bytes, (unsigned long long)errors);
    print_stats("device", s.top->stats(), s.fs->counters(), secs());
    return errors ? 1 : 0;
  }
  if (cmd == "cat" || cmd == "ls") {
    if (pos.size() < 3) return usage();
    uint32_t ino;
    int rc = resolve(*s.fs, pos[2], &ino);
    if (rc) {
      fprintf(stderr, "%s: %s\n", pos[2].c_str(), strerror(-rc));
      return 1;
    }
    if (cmd == "ls") {
      rc = s.fs->readdir(ino, 0, [&](const Ext2DirEntry& e) {
        Ext2Stat st;
        s.fs->stat(e.ino, &st);
        printf("%7o %5u %5u %10llu %s\n", st.mode, st.uid, st.gid, (unsigned long long)st.size, e.name.c_str());
        return true;
      });
    } else {
      std::vector<uint8_t> buf(1 << 16);
      for (uint64_t off = 0;;) {
        int64_t n = s.fs->read(ino, off, buf.data(), buf.size());
        if (n < 0) rc = int(n);
        if (n <= 0) break;
        fwrite(buf.data(), 1, size_t(n), stdout);
        off += uint64_t(n);
      }
    }
    if (rc) fprintf(stderr, "%s: %s\n", pos[2].c_str(), strerror(-rc));
    return rc ? 1 : 0;
  }
  if (cmd == "export") {
    if (pos.size() < 3) return usage();
    int rc = export_image(s.top.get(), pos[2], &err);
    if (rc) fprintf(stderr, "export: %s\n", err.c_str());
    return rc ? 1 : 0;
  }
  if (cmd == "put") {
    if (pos.size() < 4 || o.overlay.empty()) return usage();
    uint32_t dir;
    int rc = mkdir_p(*s.fs, pos[2], &dir);
    for (size_t i = 3; rc == 0 && i < pos.size(); i++) {
      std::string h = pos[i];
      while (h.size() > 1 && h.back() == '/') h.pop_back();
      size_t sl = h.rfind('/');
      rc = put_path(*s.fs, dir, sl == std::string::npos ? h : h.substr(sl + 1), h);
      if (rc) fprintf(stderr, "put %s: %s\n", h.c_str(), strerror(-rc));
    }
    if (int src2 = s.fs->sync(); rc == 0 && src2 != 0) {
      rc = src2;
      fprintf(stderr, "put: sync: %s\n", strerror(-rc));
    }
    return rc ? 1 : 0;
  }
  if (cmd == "measure") {
    if (pos.size() < 3) return usage();
    std::ifstream in(pos[2]);
    std::string op, path;
    s.top->reset_stats();
    t0 = std::chrono::steady_clock::now();
    uint64_t opened = 0, bytes = 0, missing = 0;
    std::vector<uint8_t> buf(1 << 16);
    while (in >> op >> path) {
      uint32_t ino;
      if (resolve(*s.fs, path, &ino) != 0) {
        missing++;
        continue;
      }
      Ext2Stat st;
      if (s.fs->stat(ino, &st) != 0) continue;
      if (op == "dir") {
        s.fs->readdir(ino, 0, [](const Ext2DirEntry&) { return true; });
      } else if ((op == "open" || op == "exec") && (st.mode & 0170000) == 0100000) {
        opened++;
        if (op == "exec" && o.exec_hint) s.fs->prefetch_file(ino);
        for (uint64_t off = 0; off < st.size;) {
          int64_t n = s.fs->read(ino, off, buf.data(), buf.size());
          if (n <= 0) break;
          off += uint64_t(n);
          bytes += uint64_t(n);
        }
      }
    }
    printf("measure: %llu files read (%llu bytes of file data), %llu names absent\n", (unsigned long long)opened,
           (unsigned long long)bytes, (unsigned long long)missing);
    print_stats("device", s.top->stats(), s.fs->counters(), secs());
    return 0;
  }
  return usage();
}
