// vm/fs/chunked.h — the chunked image device: manifest.json + content-addressed chunks,
// fetched lazily.
//
// Index
//   1. Fetcher: gets named files ("manifest.json", "chunks/<sha256>") from somewhere.
//      DirFetcher (a local directory), HttpFetcher (http:// URL, blocking HTTP/1.1 GET
//      over a socket, native only), JsFetcher (Emscripten: http(s):// through JS — a
//      synchronous Module.glassboxFetchBatch hook the browser worker installs, or in node
//      a fetch worker thread the engine blocks on), MemoryFetcher (tests; fault injection).
//      See docs/storage.md for the JS interface.
//   2. Manifest: the parsed, validated manifest.json of tools/mkimage (docs/image.md).
//   3. ChunkedDevice: a read-only BlockDevice over the manifest's chunks.
//
// Design notes
//   * Manifest format (tools/mkimage, format "glassbox-image" version 1): "image_size",
//     "chunk_size" (power of two), "chunks_dir" (default "chunks"), "chunks": one entry
//     per chunk, null for an all-zero chunk (never fetched) or {"hash": sha256 hex of
//     the STORED bytes, "length": stored bytes, "gz": the stored bytes are gzip}. The
//     chunk file is <chunks_dir>/<hash> (no suffix). "image_id" is "sha256:<hex>" of
//     the whole raw image (the overlay records it to refuse a foreign base).
//   * Every fetched chunk is checked (stored length, sha256, gunzip with CRC, decoded
//     length); a failure is retried up to max_attempts times in total, then the read
//     fails with -EIO. HttpFetcher bounds every request by a deadline, so nothing hangs.
//   * The cache is an LRU of decoded chunks bounded in bytes. A read that needs several
//     missing chunks fetches them in one batch (one Fetcher::fetch call, one "round
//     trip" in the counters); prefetch() does the same for read-ahead.
#pragma once
#include <cerrno>
#include <cstdint>
#include <list>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "vm/fs/blockdev.h"

namespace gb::fs {

// ---------------------------------------------------------------- Fetcher

struct FetchRequest {
  std::string name;            // relative to the fetcher's base: "manifest.json", "chunks/ab12..."
  size_t max_bytes = 0;        // a larger response is an error (0: 64 MiB)
  std::vector<uint8_t> data;   // filled on success
  int result = -LX_EIO;        // 0 or -errno
  std::string error;           // a message when result != 0
};

class Fetcher {
 public:
  virtual ~Fetcher() = default;
  // Performs every request, setting data/result. An implementation may run them
  // concurrently (the browser) or one after another (native); either way it returns
  // only when all are done, and within a bounded time.
  virtual void fetch(const std::vector<FetchRequest*>& reqs) = 0;
  virtual std::string describe() const = 0;
  int fetch_one(const std::string& name, std::vector<uint8_t>* out, size_t max_bytes, std::string* err);
};

class DirFetcher : public Fetcher {
 public:
  explicit DirFetcher(std::string dir) : dir_(std::move(dir)) {}
  void fetch(const std::vector<FetchRequest*>& reqs) override;
  std::string describe() const override { return dir_; }

 private:
  std::string dir_;
};

// http://host[:port]/base/ — plain HTTP/1.1, keep-alive, Content-Length, chunked
// transfer encoding or read-to-close bodies. Every request has a deadline.
class HttpFetcher : public Fetcher {
 public:
  ~HttpFetcher() override;
  // 0 or -EINVAL (not an http:// URL we can use).
  static int create(const std::string& base_url, std::unique_ptr<HttpFetcher>* out, std::string* err);
  void fetch(const std::vector<FetchRequest*>& reqs) override;
  std::string describe() const override { return url_; }
  void set_timeout_ms(int ms) { timeout_ms_ = ms; }
  uint64_t connections() const { return connections_; }

 private:
  HttpFetcher() = default;
  int get(FetchRequest* r);
  int connect_now(int64_t deadline_ms, std::string* err);
  void disconnect();
  std::string url_, host_, port_, path_;
  int fd_ = -1;
  int timeout_ms_ = 15000;
  uint64_t connections_ = 0;
};

// Emscripten: http:// or https:// base URL, fetched by JavaScript (chunked.cpp):
//   * if Module.glassboxFetchBatch(urls, timeoutMs, maxBytes) exists, it is called and must
//     return synchronously one result per URL: {data: Uint8Array} or {error: string,
//     code: 1 not found | 2 timed out | 3 other} (the browser's engine worker: synchronous
//     XMLHttpRequest, or fetch() on another thread + Atomics.wait on a SharedArrayBuffer);
//   * else in node, a worker_threads Worker does the GETs (keep-alive, 6 in parallel,
//     one deadline per batch) while the engine thread waits with Atomics.wait and takes
//     the answer with receiveMessageOnPort; a batch unanswered by its deadline fails
//     (-ETIMEDOUT), so nothing hangs. The environment variable GLASSBOX_FETCH_TIMEOUT_MS
//     overrides the deadline in node (tests). Natively fetch() fails with -ENOSYS.
class JsFetcher : public Fetcher {
 public:
  explicit JsFetcher(std::string base_url) : url_(std::move(base_url)) {
    if (url_.empty() || url_.back() != '/') url_ += '/';
  }
  void fetch(const std::vector<FetchRequest*>& reqs) override;
  std::string describe() const override { return url_; }
  void set_timeout_ms(int ms) { timeout_ms_ = ms; }

 private:
  std::string url_;
  int timeout_ms_ = 15000;
};

// Files held in memory. fail_next(n) makes the next n requests fail (-EIO);
// corrupt_next(n) flips a byte in the next n responses.
class MemoryFetcher : public Fetcher {
 public:
  void put(const std::string& name, std::vector<uint8_t> data) { files_[name] = std::move(data); }
  std::map<std::string, std::vector<uint8_t>>& files() { return files_; }
  void fetch(const std::vector<FetchRequest*>& reqs) override;
  std::string describe() const override { return "memory"; }
  void fail_next(int n) { fail_ = n; }
  void corrupt_next(int n) { corrupt_ = n; }
  uint64_t requests() const { return requests_; }

 private:
  std::map<std::string, std::vector<uint8_t>> files_;
  int fail_ = 0, corrupt_ = 0;
  uint64_t requests_ = 0;
};

// "http://..." -> HttpFetcher; a directory or a path to manifest.json -> DirFetcher.
// *manifest_name receives the manifest's name relative to the fetcher's base.
int make_fetcher(const std::string& where, std::unique_ptr<Fetcher>* out, std::string* manifest_name,
                 std::string* err);

// ---------------------------------------------------------------- Manifest

struct ChunkEntry {
  bool zero = true;      // all-zero chunk: no file
  bool gz = false;
  uint32_t length = 0;   // stored bytes
  std::string hash;      // 64 lower-case hex digits
};

struct Manifest {
  std::string image_id;       // "sha256:<hex>" or empty
  uint64_t image_size = 0;
  uint32_t chunk_size = 0;
  std::string chunks_dir = "chunks";
  uint32_t fs_block_size = 0;  // "fs.block_size" when present (informational)
  std::vector<ChunkEntry> chunks;

  // Parses and validates; false + *err on anything malformed or inconsistent.
  static bool parse(std::string_view json, Manifest* out, std::string* err);
  uint32_t chunk_len(uint64_t i) const {
    uint64_t rest = image_size - i * uint64_t(chunk_size);
    return rest < chunk_size ? uint32_t(rest) : chunk_size;
  }
};

// ---------------------------------------------------------------- ChunkedDevice

struct ChunkedOptions {
  size_t cache_bytes = 64u << 20;     // decoded chunks kept in memory (at least 2 chunks)
  int max_attempts = 3;               // fetch tries per chunk before -EIO
  size_t max_prefetch_bytes = 16u << 20;  // per prefetch() call (decoded bytes)
  bool verify = true;                 // check sha256 of every chunk
};

class ChunkedDevice : public BlockDevice {
 public:
  // Fetches and parses `manifest_name` through `fetcher`.
  static int open(std::unique_ptr<Fetcher> fetcher, const std::string& manifest_name, const ChunkedOptions& opt,
                  std::unique_ptr<ChunkedDevice>* out, std::string* err);
  // "http://127.0.0.1:8000/image/" (or .../manifest.json), a directory, or a manifest path.
  static int open(const std::string& where, const ChunkedOptions& opt, std::unique_ptr<ChunkedDevice>* out,
                  std::string* err);
  static int from_manifest(Manifest m, std::unique_ptr<Fetcher> fetcher, const ChunkedOptions& opt,
                           std::unique_ptr<ChunkedDevice>* out);

  uint64_t size() const override { return m_.image_size; }
  int read(uint64_t off, void* buf, size_t len, ReadInfo* info = nullptr) override;
  int write(uint64_t, const void*, size_t) override { return -LX_EROFS; }
  void prefetch(const std::vector<Range>& ranges) override;
  std::string describe() const override;

  const Manifest& manifest() const { return m_; }
  uint32_t chunk_size() const { return m_.chunk_size; }
  int64_t chunk_of(uint64_t off) const override { return m_.chunk_size && off < m_.image_size ? int64_t(off / m_.chunk_size) : -1; }
  bool cached(uint64_t chunk) const { return index_.count(chunk) != 0; }
  void drop_cache();  // forget every cached chunk (cold-start measurements)
  Fetcher* fetcher() { return fetcher_.get(); }
  // the last fetch error message (for the CLI / logs)
  const std::string& last_error() const { return last_error_; }

 private:
  ChunkedDevice() = default;
  struct Slot {
    uint64_t chunk;
    std::vector<uint8_t> data;
    bool prefetched_unread;
  };
  // Fetches the given (missing, non-zero) chunks into the cache. Returns 0 or -EIO
  // (when any of them failed after all attempts). bytes: stored bytes downloaded.
  int fetch_chunks(const std::vector<uint64_t>& chunks, bool prefetch, uint64_t* bytes);
  int decode(uint64_t chunk, std::vector<uint8_t>& stored, std::vector<uint8_t>* out, std::string* err);
  void insert(uint64_t chunk, std::vector<uint8_t> data, bool prefetched);
  Slot* lookup(uint64_t chunk);  // moves to the front; nullptr if absent

  Manifest m_;
  std::unique_ptr<Fetcher> fetcher_;
  ChunkedOptions opt_;
  std::list<Slot> lru_;  // front = most recent
  std::unordered_map<uint64_t, std::list<Slot>::iterator> index_;
  size_t cached_bytes_ = 0;
  std::string last_error_;
};

}  // namespace gb::fs
