// vm/fs/overlay.h — the overlay: every modified block of the image lives here, never in
// the (read-only) base device.
//
// Index
//   1. OverlayDevice: a BlockDevice = base + the blocks written since the overlay began
//   2. The native log file (format below), replay, compaction, reset
//   3. The memory mode with a flush sink (how the browser's IndexedDB store plugs in)
//
// Log file format (little endian), natively "<image>.overlay" or any path:
//   header (512 bytes): "GBOVLOG1", u32 version (1), u32 block_size, u64 base_size,
//     u32 id_len, base_id bytes (<= 256; the manifest's image_id, or empty), zero pad,
//     u32 crc32 of bytes 0..507.
//   records, appended: u32 magic "GBRK" (0x4B524247), u32 type (1 block, 2 commit),
//     u64 block number (block) or 0 (commit), u64 sequence, u32 data length
//     (block_size for a block, 0 for a commit), u32 crc32 over the 28 header bytes
//     before it and the data; then the data.
// Crash safety: flush() appends the dirty blocks as block records, then a commit record,
// then fsyncs. Reopening replays records up to the last commit whose records all
// checked out; anything after it (a torn or partial flush) is ignored and cut off. So
// the image seen after a crash is the one of the last completed flush: earlier data is
// never damaged because records are only appended, and compaction writes a fresh file
// and renames it over the old one.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "vm/fs/blockdev.h"

namespace gb::fs {

class OverlayDevice : public BlockDevice {
 public:
  ~OverlayDevice() override;
  // Overlay in memory only (tests; the browser until its store is wired).
  static std::unique_ptr<OverlayDevice> memory(std::unique_ptr<BlockDevice> base, uint32_t block_size = 4096);
  // Overlay persisted in a log file (created if missing). base_id, when not empty, must
  // match the one recorded in an existing log (a log never applies to another image).
  static int open_file(std::unique_ptr<BlockDevice> base, const std::string& path, const std::string& base_id,
                       uint32_t block_size, std::unique_ptr<OverlayDevice>* out, std::string* err);

  uint64_t size() const override { return base_->size(); }
  int64_t chunk_of(uint64_t off) const override { return base_->chunk_of(off); }
  int read(uint64_t off, void* buf, size_t len, ReadInfo* info = nullptr) override;
  int write(uint64_t off, const void* buf, size_t len) override;
  int flush() override;
  bool writable() const override { return true; }
  void prefetch(const std::vector<Range>& ranges) override;
  DeviceStats stats() const override;
  void reset_stats() override;
  std::string describe() const override;

  // Drops every overlay block (the image is the base again). 0 or -errno.
  int reset();
  // Rewrites the log with only the live blocks. 0 or -errno. flush() calls it when the
  // log has grown to more than twice the live data (+ compact_slack).
  int compact();
  void set_compact_slack(uint64_t bytes) { compact_slack_ = bytes; }
  // Dirty blocks are spilled (uncommitted) to the log when they exceed this.
  void set_dirty_limit(uint64_t bytes) { dirty_limit_ = bytes; }

  uint32_t block_size() const { return bs_; }
  size_t block_count() const { return map_.size(); }
  bool has_block(uint64_t blk) const { return map_.count(blk) != 0; }
  BlockDevice* base() { return base_.get(); }
  const std::string& path() const { return path_; }

  // Every overlay block, in no particular order (export, persistence). 0 or -errno.
  int for_each_block(const std::function<int(uint64_t blk, const uint8_t* data)>& fn);
  // Memory mode: loads a block from an external store (no dirty mark).
  int put_block(uint64_t blk, const uint8_t* data);
  // Memory mode: flush() hands the blocks changed since the last flush to this sink
  // (which stores them in one transaction); a non-zero return fails the flush and
  // keeps them dirty.
  using Sink = std::function<int(const std::vector<std::pair<uint64_t, const uint8_t*>>& blocks)>;
  void set_flush_sink(Sink s) { sink_ = std::move(s); }

 private:
  OverlayDevice() = default;
  struct Entry {
    int64_t file_off = -1;              // data offset in the log, -1 if none
    std::unique_ptr<uint8_t[]> mem;     // data in memory (dirty, or memory mode)
    bool dirty = false;                 // changed since the last flush
  };
  int read_block(uint64_t blk, uint8_t* out);  // overlay or base, whole block
  int load(uint64_t blk, const Entry& e, uint8_t* out);
  int append_record(uint32_t type, uint64_t blk, const uint8_t* data, int64_t* data_off);
  int write_header(int fd);
  int replay(std::string* err);
  int spill();

  std::unique_ptr<BlockDevice> base_;
  uint32_t bs_ = 4096;
  std::unordered_map<uint64_t, Entry> map_;
  std::string path_, base_id_;
  int fd_ = -1;
  uint64_t log_end_ = 0;      // append position
  uint64_t seq_ = 0;
  uint64_t dirty_bytes_ = 0;
  uint64_t dirty_limit_ = 64u << 20;
  uint64_t compact_slack_ = 16u << 20;
  Sink sink_;
};

}  // namespace gb::fs
