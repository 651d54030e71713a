// vm/fs/blockdev.h — the block device interface and the simple devices.
//
// Index
//   1. ReadSource / ReadInfo: where the bytes of a read came from (for the trace)
//   2. DeviceStats: counters every device keeps (what the inspector and benches show)
//   3. BlockDevice: the one interface (byte ranges; size; flush; prefetch hints)
//   4. FileDevice: a raw image file (read-only, or read-write)
//   5. MemoryDevice: bytes in memory (tests, fuzzing)
//   6. export_image(): writes a device's full contents to a sparse raw file
//
// Design notes
//   * Stack: ChunkedDevice (chunked.h) or FileDevice -> OverlayDevice (overlay.h) -> Ext2.
//     The base is read-only; every write lands in the overlay.
//   * All calls return 0 (or a byte count) on success and -errno on failure, with Linux's
//     numbers (LX_E*, vm/base/lxerrno.h; a host errno is translated with host_errno()
//     where the host call is made, since the wasm libc numbers errno differently); nothing
//     throws. Reads past the end fail with -EIO, as do short reads of the host file.
//   * The engine is single-threaded: devices are not thread-safe.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "vm/base/lxerrno.h"

namespace gb::fs {

// Where a read was served from (the "worst" source when a read spans several).
enum class ReadSource : uint8_t {
  Cache = 0,    // a cache in memory (chunk cache, ext2's metadata buffers)
  Overlay = 1,  // the overlay (the student's modified blocks)
  Network = 2,  // fetched now (HTTP, or a chunk file read through a Fetcher)
  Disk = 3,     // a raw image file
  Zero = 4,     // a hole: all-zero chunk or unallocated file block (no I/O)
};
const char* read_source_name(ReadSource s);

struct ReadInfo {
  ReadSource source = ReadSource::Zero;
  uint64_t bytes_fetched = 0;  // bytes transferred from the network/disk for this read
  int64_t chunk = -1;          // first chunk index involved (ChunkedDevice), else -1

  // merge another part of the same read: the costlier source wins
  void merge(const ReadInfo& o);
};

struct DeviceStats {
  uint64_t reads = 0, writes = 0;
  uint64_t bytes_read = 0, bytes_written = 0;
  // ChunkedDevice
  uint64_t chunks_fetched = 0;      // chunk downloads that succeeded
  uint64_t bytes_fetched = 0;       // stored (possibly gzip'd) bytes downloaded
  uint64_t fetch_batches = 0;       // round trips: one per demand miss or prefetch batch
  uint64_t cache_hits = 0, cache_misses = 0;
  uint64_t zero_chunk_reads = 0;    // reads of all-zero chunks (never fetched)
  uint64_t prefetched_chunks = 0;   // chunks fetched by prefetch()
  uint64_t prefetch_unused = 0;     // prefetched chunks evicted before any read
  uint64_t fetch_retries = 0, fetch_errors = 0, verify_errors = 0;
  uint64_t evictions = 0;
  // OverlayDevice
  uint64_t overlay_blocks = 0;      // distinct blocks held by the overlay
  uint64_t overlay_reads = 0;       // block reads served by the overlay
  uint64_t log_bytes = 0;           // size of the overlay log file
  uint64_t compactions = 0;
};

class BlockDevice {
 public:
  virtual ~BlockDevice() = default;
  virtual uint64_t size() const = 0;
  // Reads len bytes at off. 0 or -errno. `info` (optional) says where they came from.
  virtual int read(uint64_t off, void* buf, size_t len, ReadInfo* info = nullptr) = 0;
  // Writes len bytes at off. 0 or -errno (-EROFS on a read-only device).
  virtual int write(uint64_t off, const void* buf, size_t len) = 0;
  // Makes written data durable (overlay log, host file). 0 or -errno.
  virtual int flush() { return 0; }
  virtual bool writable() const { return false; }
  // Hint: these byte ranges will be read soon. A chunked device fetches the missing
  // chunks in one batch; other devices ignore it. Errors are not reported here (the
  // later read reports them).
  struct Range {
    uint64_t off, len;
  };
  virtual void prefetch(const std::vector<Range>& ranges) { (void)ranges; }
  // The chunk index holding byte `off` (ChunkedDevice; an overlay asks its base), else -1:
  // what a write's trace event names (the inspector's chunk map).
  virtual int64_t chunk_of(uint64_t off) const {
    (void)off;
    return -1;
  }
  // Counters of this device and the devices below it.
  virtual DeviceStats stats() const { return stats_; }
  virtual void reset_stats() { stats_ = DeviceStats(); }
  // A short description ("chunked http://..., 256 KiB chunks") for logs.
  virtual std::string describe() const = 0;

 protected:
  DeviceStats stats_;
};

// A raw image file on the host. Read-only unless opened writable.
class FileDevice : public BlockDevice {
 public:
  ~FileDevice() override;
  // 0 or -errno; *err gets a message naming the file.
  static int open(const std::string& path, bool writable, FileDevice** out, std::string* err = nullptr);
  uint64_t size() const override { return size_; }
  int read(uint64_t off, void* buf, size_t len, ReadInfo* info = nullptr) override;
  int write(uint64_t off, const void* buf, size_t len) override;
  int flush() override;
  bool writable() const override { return writable_; }
  std::string describe() const override { return "file " + path_; }

 private:
  FileDevice() = default;
  int fd_ = -1;
  uint64_t size_ = 0;
  bool writable_ = false;
  std::string path_;
};

// Bytes in memory. Writable unless made read-only.
class MemoryDevice : public BlockDevice {
 public:
  explicit MemoryDevice(std::vector<uint8_t> data, bool writable = true)
      : data_(std::move(data)), writable_(writable) {}
  uint64_t size() const override { return data_.size(); }
  int read(uint64_t off, void* buf, size_t len, ReadInfo* info = nullptr) override;
  int write(uint64_t off, const void* buf, size_t len) override;
  bool writable() const override { return writable_; }
  std::string describe() const override { return "memory"; }
  std::vector<uint8_t>& data() { return data_; }

 private:
  std::vector<uint8_t> data_;
  bool writable_;
};

// Writes every byte of `dev` to a new raw file at `path` (all-zero blocks become
// holes). 0 or -errno.
int export_image(BlockDevice* dev, const std::string& path, std::string* err = nullptr);

}  // namespace gb::fs
